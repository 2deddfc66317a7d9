"""A webhook receiver for the tests: `webhook_sink.py PORT OUTFILE` appends
every POST as one JSON line {"path": ..., "body": <the parsed body>} and
answers 200. A body that is not JSON is kept as {"path", "body": null,
"raw": <the text>} and answered 400, so a test sees what was wrong.
Binds 127.0.0.1."""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()


class Sink(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            record, status = {"path": self.path, "body": json.loads(raw)}, 200
        except ValueError:
            record, status = {"path": self.path, "body": None, "raw": raw.decode(errors="replace")}, 400
        # One whole line per request, even when requests overlap.
        with lock, open(sys.argv[2], "a") as out:
            out.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
