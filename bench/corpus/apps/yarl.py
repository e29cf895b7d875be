"""yarl: URL parsing, building, joining and query manipulation."""
# dists: yarl
from yarl import URL

u = URL("https://user:pw@ëxample.org:8443/a/b/../c?x=1&y=2#frag")
print(u.host, u.raw_host, u.port, u.path, u.query, u.fragment, u.user)
print(u.with_query({"z": "3 4"}).update_query(w=["1", "2"]), u / "d" / "e f")
print(URL("http://h/a/b").join(URL("../c")), URL.build(scheme="http", host="h", path="/p", query={"q": "1"}))
