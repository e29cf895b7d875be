"""toml: loads and dumps."""
# dists: toml
import toml

doc = toml.loads('[server]\nhost = "x"\nports = [80, 443]\n[server.tls]\non = true\n')
print(doc)
print(toml.dumps({"a": {"b": [1, 2], "c": "d"}, "e": 1.5}))
