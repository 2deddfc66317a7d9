"""An unmodified-style Python http.server service whose responses exercise
HTTP/1.1 framing: chunked bodies, a response written in several writes,
HTTP/1.0 close-delimited bodies, and HEAD. /call/N makes a request of its
own, to the server on port UPSTREAM_PORT, from the handler's thread; /dead/N
tries port 1, where nothing listens, and answers 502."""
import os
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/chunked/"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"alpha", b"beta", b"gamma"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                time.sleep(0.01)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/pieces/"):
            body = b"x" * 30000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            for i in range(0, len(body), 10000):
                self.wfile.write(body[i:i + 10000])
                self.wfile.flush()
                time.sleep(0.01)
        elif self.path.startswith("/fail/"):
            self.send_error(500, "boom")
        elif self.path.startswith("/call/") or self.path.startswith("/dead/"):
            n = self.path.rsplit("/", 1)[1]
            port = os.environ["UPSTREAM_PORT"] if self.path.startswith("/call/") else "1"
            url = "http://127.0.0.1:%s/api/users/%s" % (port, n)
            try:
                with urllib.request.urlopen(url) as upstream:
                    upstream.read()
            except OSError:
                self.send_error(502, "upstream refused")
                return
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")
        else:
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "12345")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
