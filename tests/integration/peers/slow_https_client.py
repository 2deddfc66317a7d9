#!/usr/bin/python3
"""A slow HTTPS reader: GETs a path COUNT times on one keep-alive
connection, reading 64 kB every 10 ms, and waits GAP seconds between
requests. Prints one line per response: status and bytes read.
usage: slow_https_client.py PORT PATH COUNT GAP"""
import http.client
import ssl
import sys
import time

port, path, count, gap = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl._create_unverified_context())
for i in range(count):
    conn.request("GET", path)
    resp = conn.getresponse()
    n = 0
    while True:
        chunk = resp.read(65536)
        if not chunk:
            break
        n += len(chunk)
        time.sleep(0.01)
    print(resp.status, n, flush=True)
    if i + 1 < count:
        time.sleep(gap)
conn.close()
