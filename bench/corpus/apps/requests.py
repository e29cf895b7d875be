"""requests: GET and POST against a local HTTP server (loopback only), sessions, errors."""
# dists: requests, urllib3, idna, charset-normalizer, certifi
import http.server
import json
import threading

import requests


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "agent": self.headers["User-Agent"].split("/")[0]}).encode()
        self.send_response(200 if self.path != "/missing" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Type", "text/plain; charset=latin-1")
        self.end_headers()
        self.wfile.write(b"got: " + data.upper() + " é".encode("latin-1"))

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
with requests.Session() as s:
    r = s.get(base + "/hello", params={"q": "a b"})
    print(r.status_code, r.json())
    r = s.post(base + "/p", data=b"payload")
    print(r.status_code, r.encoding, r.text)
    r = s.get(base + "/missing")
    try:
        r.raise_for_status()
    except requests.HTTPError as e:
        print("HTTPError", e.response.status_code)
print(requests.utils.requote_uri("http://x/a b"), requests.__version__ is not None)
server.shutdown()
