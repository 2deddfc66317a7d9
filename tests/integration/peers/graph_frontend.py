"""A service that calls others for each request it serves, with urllib and
no tracing code: `graph_frontend.py PORT URL...`. GET /N answers 200 once
it has fetched every URL (each on a connection of its own), the first with
/missing instead of / when N is a multiple of 3 (a 404: a failed call)."""
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, URLS = int(sys.argv[1]), sys.argv[2:]


class Frontend(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        n = int(self.path.strip("/") or 0)
        for i, url in enumerate(URLS):
            path = "/missing" if i == 0 and n % 3 == 0 else "/"
            try:
                urllib.request.urlopen(url + path, timeout=10).read()
            except urllib.error.HTTPError as e:
                e.read()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


HTTPServer(("127.0.0.1", PORT), Frontend).serve_forever()
