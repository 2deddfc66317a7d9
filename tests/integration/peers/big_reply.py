# An unmodified http.server on HTTP/1.1 keep-alive: /big answers 10 MiB,
# written a MiB at a time over about three seconds; anything else "ok".
# Its access log, one "METHOD PATH STATUS" line a request, goes to argv[2].
import http.server
import sys
import time

LOG = open(sys.argv[2], "a", buffering=1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        big = self.path == "/big"
        body_len = 10 * 1024 * 1024 if big else 3
        self.send_response(200)
        self.send_header("Content-Length", str(body_len))
        self.end_headers()
        if not big:
            self.wfile.write(b"ok\n")
            return
        chunk = b"x" * (1024 * 1024)
        for _ in range(10):
            self.wfile.write(chunk)
            self.wfile.flush()
            time.sleep(0.3)

    def log_request(self, code="-", size="-"):
        LOG.write("%s %s %s\n" % (self.command, self.path, code))

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
