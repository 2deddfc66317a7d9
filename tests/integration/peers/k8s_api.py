"""A Kubernetes API server for the tests, over TLS on loopback, speaking the
pod and Service list and watch JSON: `k8s_api.py PORT CERT KEY TOKEN STATE_DIR`.

GET /api/v1/pods?fieldSelector=... (a node's pods) answers a PodList of
STATE_DIR/pods.json (a JSON array of pods); its watch streams: on the first
watch, the pod of STATE_DIR/added.json as an ADDED event once that file
appears, then an ERROR 410 (Gone) once STATE_DIR/gone appears; later
watches stay open with bookmarks. GET /api/v1/pods (the cluster's pods)
answers pods.json and STATE_DIR/cluster_pods.json, GET /api/v1/services
STATE_DIR/services.json (each an array, empty when absent); their watches
stay open without events. Every request is logged to
STATE_DIR/requests.log as "METHOD PATH"; a wrong bearer token gets 401."""
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, CERT, KEY, TOKEN, STATE = sys.argv[1:6]
watches = 0
version = 100


def path(name):
    return os.path.join(STATE, name)


def wait_for(name, seconds):
    for _ in range(seconds * 10):
        if os.path.exists(path(name)):
            return True
        time.sleep(0.1)
    return False


def load(name):
    return json.load(open(path(name))) if os.path.exists(path(name)) else []


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json_line(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        global watches, version
        with open(path("requests.log"), "a") as log:
            log.write(f"GET {self.path}\n")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        node = "fieldSelector=spec.nodeName" in self.path
        kind = "Service" if self.path.startswith("/api/v1/services") else "Pod"
        if not self.path.startswith(("/api/v1/pods", "/api/v1/services")):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "watch=1" not in self.path:
            version += 1
            if kind == "Service":
                items = load("services.json")
            else:
                items = load("pods.json") + ([] if node else load("cluster_pods.json"))
            body = json.dumps({"kind": kind + "List", "apiVersion": "v1",
                               "metadata": {"resourceVersion": str(version)},
                               "items": items}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not node:
            while True:
                time.sleep(1)
        watches += 1
        first = watches == 1
        try:
            if first and wait_for("added.json", 60):
                version += 1
                pod = json.load(open(path("added.json")))
                pod["metadata"]["resourceVersion"] = str(version)
                self.send_json_line({"type": "ADDED", "object": pod})
                if wait_for("gone", 60):
                    self.send_json_line({"type": "ERROR", "object": {
                        "kind": "Status", "apiVersion": "v1", "status": "Failure",
                        "message": "too old resource version", "reason": "Expired", "code": 410}})
                self.wfile.write(b"0\r\n\r\n")
                return
            # Later watches: open until the client goes, with bookmarks.
            while True:
                time.sleep(1)
                self.send_json_line({"type": "BOOKMARK", "object": {
                    "kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": str(version)}}})
        except (BrokenPipeError, ConnectionResetError):
            pass


server = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Api)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
