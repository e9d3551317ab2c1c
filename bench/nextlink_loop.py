#!/usr/bin/env python3
"""Reproducer (not part of the benchmark): a Graph stand-in whose
@odata.nextLink never ends. all_pages follows it without a cap on pages or
on the merged size, so one msgraph_request grows until the process runs out
of memory (measured: 12,839 pages and 1.3 GB RSS in 8 s).

  python3 bench/nextlink_loop.py [empty|full] &     # writes ./port
  p=$(cat port); printf '{"emulator":{"tenant_id":"t","client_id":"c","client_secret":"s","authority_host":"http://127.0.0.1:%s","graph_base_url":"http://127.0.0.1:%s/v1.0"}}' $p $p > c.json; chmod 600 c.json
  /usr/bin/time -f "maxrss %M KB" timeout 8 target/bench/bench_capi target/release/libmsgraph.so c.json page /users
"""
import http.server
import json
import sys

served = 0


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, body):
        b = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):  # the token endpoint
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.reply({"token_type": "Bearer", "expires_in": 3599,
                    "access_token": "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ0In0.c2ln"})

    def do_GET(self):
        global served
        served += 1
        port = self.server.server_address[1]
        items = [] if (sys.argv[1:] or ["full"])[0] == "empty" else [{"id": "x" * 1000}] * 100
        self.reply({"value": items,
                    "@odata.nextLink": "http://127.0.0.1:%d/v1.0/users?$skiptoken=%d" % (port, served)})


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open("port", "w").write(str(s.server_address[1]))
try:
    s.serve_forever()
except KeyboardInterrupt:
    print("pages served:", served)
