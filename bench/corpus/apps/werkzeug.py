"""Werkzeug: URL routing, a WSGI app driven by the test client, HTTP header parsing."""
# dists: werkzeug
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_accept_header, parse_options_header
from werkzeug.routing import Map, Rule
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

urls = Map([Rule("/", endpoint="index"), Rule("/user/<int:uid>", endpoint="user")])
a = urls.bind("example.org")
print(a.match("/user/42"), a.build("user", {"uid": 7, "x": "y z"}))


@Request.application
def app(request):
    return Response("{} {} {}".format(request.method, request.path, request.args.getlist("a")))


print(Client(app).get("/p?a=1&a=2").get_data(as_text=True))
print(parse_options_header("text/html; charset=utf-8"))
print(parse_accept_header("text/html;q=0.8, application/json").best)
print(MultiDict([("a", 1), ("a", 2)]).getlist("a"))
