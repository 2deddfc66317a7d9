"""A Python program whose function sonde times from outside, through
CPython's USDT probes: once a file exists (its probes are in), it calls
process_order N times, each about 2 ms, and the function of the same name
in another module (elsewhere) M times, which is not the one followed.
Usage: py_orders.py N M GOFILE"""
import os
import sys
import time

import elsewhere


def process_order(i):
    time.sleep(0.002)
    return i


def main():
    n, m, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    while not os.path.exists(go):
        time.sleep(0.01)
    for i in range(n):
        process_order(i)
    for i in range(m):
        elsewhere.process_order(i)


main()
