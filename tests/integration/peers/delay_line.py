"""A delay line between two network namespaces, for round-trip times
without netem (which this kernel lacks): two TUN devices, TUN_A and TUN_B,
made here (the test moves them into the namespaces); IP packets read from
TUN_A are written to TUN_B DELAY seconds later, those from TUN_B to TUN_A
at once. Creates READY once both exist.
Usage: delay_line.py TUN_A TUN_B DELAY READY"""
import collections
import fcntl
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def send(fd, packet):
    # A device that is not up yet drops what it is given, as a link would.
    try:
        os.write(fd, packet)
    except OSError:
        pass


a, b = tun(sys.argv[1]), tun(sys.argv[2])
delay = float(sys.argv[3])
open(sys.argv[4], "w").close()
queue = collections.deque()
while True:
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        send(b, queue.popleft()[1])
    timeout = max(0.0, queue[0][0] - now) if queue else None
    for fd in select.select([a, b], [], [], timeout)[0]:
        packet = os.read(fd, 65536)
        if fd == a:
            queue.append((time.monotonic() + delay, packet))
        else:
            send(a, packet)
