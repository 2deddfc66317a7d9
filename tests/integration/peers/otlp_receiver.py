"""A loopback OTLP/HTTP receiver for tests: stores every POST body to
/v1/traces in a directory as NNNN.bin or NNNN.json, and every one to
/v1/metrics as metrics-NNNN.bin or .json ("-" keeps none, for the
benchmark), answering
the status codes it is given in turn (then 200), e.g.
`otlp_receiver.py PORT DIR 503 503`."""
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, directory, statuses = int(sys.argv[1]), sys.argv[2], [int(s) for s in sys.argv[3:]]
count = 0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = statuses.pop(0) if statuses else 200
        prefix = {"/v1/traces": "", "/v1/metrics": "metrics-"}.get(self.path)
        if status == 200 and prefix is not None and directory != "-":
            count += 1
            kind = "json" if "json" in self.headers.get("Content-Type", "") else "bin"
            with open(os.path.join(directory, "%s%04d.%s" % (prefix, count, kind)), "wb") as f:
                f.write(body)
            with open(os.path.join(directory, "%s%04d.headers" % (prefix, count)), "w") as f:
                f.write(str(self.headers))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
