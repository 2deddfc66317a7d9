"""Sends HTTP/1.1 requests the way slow or careful clients do: a request
head split into several TCP segments with pauses, a body sent after its
head, on one keep-alive connection. Prints the status of each response."""
import socket
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
sock = socket.create_connection(("127.0.0.1", port))
reader = sock.makefile("rb")
for i in range(count):
    body = b'{"name": "user %d"}' % i
    head = (b"POST /api/items/%d HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (1000 + i, len(body)))
    for part in (head[:7], head[7:30], head[30:], body):
        sock.sendall(part)
        time.sleep(0.005)
    status = reader.readline().split()[1]
    length = 0
    while True:
        line = reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    reader.read(length)
    print(status.decode())
sock.close()
