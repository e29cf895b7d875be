"""urllib3: a PoolManager against a local HTTP server (loopback), retries and errors."""
# dists: urllib3
import http.server
import threading

import urllib3


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("path=" + self.path).encode()
        self.send_response(200 if "bad" not in self.path else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
http_ = urllib3.PoolManager()
r = http_.request("GET", base + "/a", fields={"x": "1"})
print(r.status, r.data)
r = http_.request("GET", base + "/bad", retries=urllib3.Retry(total=0, status_forcelist=[]))
print(r.status)
print(urllib3.util.parse_url("https://u@h:8/p?q#f"))
try:
    http_.request("GET", "http://127.0.0.1:1/", retries=False, timeout=2)
except urllib3.exceptions.NewConnectionError as e:
    print(type(e).__name__)
server.shutdown()
