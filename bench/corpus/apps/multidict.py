"""multidict: multi-value and case-insensitive dictionaries (C extension)."""
# dists: multidict
from multidict import CIMultiDict, MultiDict

md = MultiDict([("a", 1), ("b", 2), ("a", 3)])
print(md, md.getall("a"), md.getone("b"), len(md))
ci = CIMultiDict({"Content-Type": "text/html"})
ci.add("content-type", "x")
print(ci.getall("CONTENT-TYPE"), "content-TYPE" in ci)
md.extend(c=4)
print(list(md.items()), type(md).__module__)
