"""An HTTP/1.1 client that pipelines: waits for a file to go, then sends
batches of requests in one write each on one connection and reads their
responses, which arrive several to a read, before the next batch."""
import os
import socket
import sys
import time

port, batches, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
paths = sys.argv[4:]
while not os.path.exists(go):
    time.sleep(0.02)
sock = socket.create_connection(("127.0.0.1", port))
batch = b"".join(b"GET " + p.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n" for p in paths)
for _ in range(batches):
    sock.sendall(batch)
    time.sleep(0.02)  # let every response arrive before the first read
    got, answered = b"", 0
    while answered < len(paths):
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed")
        got += chunk
        while b"\r\n\r\n" in got:
            head, rest = got.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                break
            got = rest[length:]
            answered += 1
sock.close()
