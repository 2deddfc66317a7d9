# One keep-alive connection: GET /big, then 1.5 s later GET /small, every
# byte counted both ways and written to argv[2] as "SENT RECEIVED"; the
# connection stays open until argv[2] is removed.
import os
import socket
import sys
import time

sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sent = received = 0


def get(path):
    global sent, received
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()
    sock.sendall(req)
    sent += len(req)
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    body = 0
    while body < length:
        body += len(sock.recv(min(65536, length - body)))
    received += len(head) + body


get("/big")
time.sleep(1.5)
get("/small")
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d %d\n" % (sent, received))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
sock.close()
