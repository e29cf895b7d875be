"""Flask: routes, JSON, templates, sessions and errors through the test client."""
# dists: flask, werkzeug, itsdangerous, blinker, click, jinja2
from flask import Flask, abort, jsonify, render_template_string, request, session

app = Flask("corpus")
app.secret_key = "fixed"


@app.route("/hello/<name>")
def hello(name):
    session["n"] = session.get("n", 0) + 1
    return render_template_string("<p>Hello {{ name }} #{{ n }}</p>", name=name, n=session["n"])


@app.post("/sum")
def total():
    return jsonify(sum=sum(request.get_json()["xs"]))


@app.route("/boom")
def boom():
    abort(418)


with app.test_client() as c:
    print(c.get("/hello/<Ann>").data.decode())
    print(c.get("/hello/Bob").data.decode())
    print(c.post("/sum", json={"xs": [1, 2, 3]}).get_json())
    print(c.get("/boom").status_code, c.get("/nowhere").status_code)
print(sorted(r.rule for r in app.url_map.iter_rules()))
