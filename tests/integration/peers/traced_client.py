"""A client that serves nothing: once argv[2] exists, three requests to
127.0.0.1:argv[1], each on a connection of its own: one carrying its own
traceparent (argv[3]), one bare, one whose request line is split across
two sends. Prints each status line."""
import os
import socket
import sys
import time

port, go, tp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
while not os.path.exists(go):
    time.sleep(0.05)


def request(*parts):
    s = socket.create_connection(("127.0.0.1", port))
    for i, p in enumerate(parts):
        if i:
            time.sleep(0.1)
        s.sendall(p.encode())
    print(s.makefile("rb").readline().decode().strip(), flush=True)
    s.close()


request("GET /own HTTP/1.1\r\nHost: b\r\ntraceparent: %s\r\nConnection: close\r\n\r\n" % tp)
request("GET /bare HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
request("GET /split-across-two-sends HT", "TP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
