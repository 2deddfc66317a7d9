"""A keep-alive HTTP/1.1 request on an open socket, for tests that hold
connections: sends a GET and reads until the body's known last line."""


def ask(sock, path, last_line=b"created\n"):
    sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while not got.endswith(last_line):
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("connection closed")
        got += chunk
    return got
