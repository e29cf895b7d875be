"""ruamel.yaml: round-trip YAML editing with comments kept."""
# dists: ruamel-yaml
import io

from ruamel.yaml import YAML

y = YAML()
doc = y.load("# top\nname: x  # the name\nlist:\n- 1\n- 2\nmap: {a: 1}\n")
doc["name"] = "y"
doc["list"].append(3)
doc["map"]["b"] = 2
out = io.StringIO()
y.dump(doc, out)
print(out.getvalue())
print(YAML(typ="safe", pure=True).load("a: [1, 2]"))
