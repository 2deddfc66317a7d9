"""An http.server that answers "ok" and logs, per request, its path and
the traceparent header it carried (or "-") to argv[2]."""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

LOG = open(sys.argv[2], "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        LOG.write("%s %s\n" % (self.path, self.headers.get("traceparent", "-")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
