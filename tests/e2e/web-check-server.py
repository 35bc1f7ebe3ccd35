#!/usr/bin/env python3
"""A web check's target for the AnalysisRun e2e tests.

  web-check-server.py PORTFILE HEADERLOG

Listens on 127.0.0.1 (a free port, written to PORTFILE) and answers
  GET  /healthz  {"status": "ok", "data": {"n": 3}}
  GET  /down     {"status": "down"}
  GET  /slow     {"status": "ok"}, after 3 seconds
  POST /echo     the request body back (JSON)
Every request's Authorization header is appended to HEADERLOG, so a test
can prove a secret reached the server it was meant for (and only there).
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def _answer(self, body):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _log_auth(self):
        with open(sys.argv[2], "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, self.headers.get("Authorization", "-")))

    def do_GET(self):
        self._log_auth()
        if self.path == "/healthz":
            self._answer({"status": "ok", "data": {"n": 3}})
        elif self.path == "/slow":
            time.sleep(3)
            self._answer({"status": "ok"})
        elif self.path == "/down":
            self._answer({"status": "down"})
        else:
            self.send_error(404)

    def do_POST(self):
        self._log_auth()
        n = int(self.headers.get("Content-Length", "0"))
        self._answer(self.rfile.read(n))

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
