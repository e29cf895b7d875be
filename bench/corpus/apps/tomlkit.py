"""tomlkit: style-preserving TOML edit: comments and layout survive a round trip."""
# dists: tomlkit
import tomlkit

src = '# config\n[tool]  # the tool\nname = "x"  # its name\nlist = [1, 2]\n'
doc = tomlkit.parse(src)
doc["tool"]["name"] = "y"
doc["tool"]["list"].append(3)
doc["tool"].add("new", tomlkit.inline_table())
doc["tool"]["new"]["k"] = True
print(tomlkit.dumps(doc))
print(tomlkit.dumps(tomlkit.parse(src)) == src)
