"""httpx: a client against a local HTTP server (loopback), a mock transport, and async use."""
# dists: httpx, httpcore, h11, anyio, sniffio, idna, certifi
import asyncio
import http.server
import threading

import httpx


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("you asked for " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/x?y=1"
with httpx.Client() as c:
    r = c.get(url)
    print(r.status_code, r.text, r.http_version)


def handler(request):
    return httpx.Response(200, json={"method": request.method, "path": request.url.path})


with httpx.Client(transport=httpx.MockTransport(handler)) as c:
    print(c.post("https://mock.test/api", json={}).json())


async def main():
    async with httpx.AsyncClient() as c:
        r = await c.get(url)
        print("async", r.status_code, r.text)


asyncio.run(main())
server.shutdown()
