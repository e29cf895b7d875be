"""starlette: routes, middleware, JSON and errors through the TestClient (no network)."""
# dists: starlette
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient


async def hello(request):
    return JSONResponse({"name": request.path_params["name"], "q": request.query_params.get("q")})


async def big(request):
    return PlainTextResponse("x" * 2000)


app = Starlette(routes=[Route("/hello/{name}", hello), Route("/big", big)],
                middleware=[Middleware(GZipMiddleware, minimum_size=100)])
with TestClient(app) as c:
    print(c.get("/hello/ann?q=1").json())
    r = c.get("/big")
    print(r.status_code, r.headers["content-encoding"], len(r.text))
    print(c.get("/nope").status_code)
