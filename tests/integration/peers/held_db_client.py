"""Connections to Redis and PostgreSQL held across sonde's start: 3
commands on each, a file to say so, then 10 more on each once another
file exists. Speaks RESP and PostgreSQL's v3 protocol (trust auth) itself,
so nothing reconnects."""
import os
import socket
import struct
import sys
import time


def recv_some(sock):
    chunk = sock.recv(65536)
    if not chunk:
        raise SystemExit("connection closed")
    return chunk


def pg_ready(sock):
    """Reads messages up to ReadyForQuery; returns the ErrorResponses seen."""
    buf, errors = b"", 0
    while True:
        while len(buf) < 5:
            buf += recv_some(sock)
        kind, n = buf[:1], struct.unpack("!I", buf[1:5])[0]
        while len(buf) < 1 + n:
            buf += recv_some(sock)
        buf = buf[1 + n:]
        errors += kind == b"E"
        if kind == b"Z":
            return errors


def pg_connect(port):
    sock = socket.create_connection(("127.0.0.1", port))
    body = struct.pack("!I", 196608) + b"user\0postgres\0database\0postgres\0\0"
    sock.sendall(struct.pack("!I", len(body) + 4) + body)
    pg_ready(sock)
    return sock


def pg_query(sock, sql):
    q = sql.encode() + b"\0"
    sock.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
    return pg_ready(sock) == 0


def redis_set(sock, i):
    key, value = b"k%d" % i, b"v%d" % i
    sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
    got = b""
    while not got.endswith(b"\r\n"):
        got += recv_some(sock)
    return got == b"+OK\r\n"


redis_port, pg_port, ready, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
r = socket.create_connection(("127.0.0.1", redis_port))
p = pg_connect(pg_port)
before = sum(redis_set(r, i) for i in range(3)), sum(pg_query(p, "SELECT %d" % i) for i in range(3))
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
after = sum(redis_set(r, i) for i in range(10)), sum(pg_query(p, "SELECT %d" % i) for i in range(10))
print("before", *before, "after", *after)
r.close()
p.close()
