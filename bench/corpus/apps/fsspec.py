"""fsspec: the in-memory and local filesystems, found by protocol name."""
# dists: fsspec
import os
import tempfile

import fsspec

fs = fsspec.filesystem("memory")
with fs.open("/corpus/a.txt", "w") as f:
    f.write("hello")
print(fs.ls("/corpus", detail=False), fs.cat("/corpus/a.txt"))
d = tempfile.mkdtemp()
with fsspec.open("file://" + os.path.join(d, "b.txt"), "w") as f:
    f.write("local")
print(fsspec.filesystem("file").cat(os.path.join(d, "b.txt")), type(fs).__name__)
