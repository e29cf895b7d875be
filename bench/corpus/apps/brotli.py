"""Brotli: compression at several qualities and modes, streaming decompression."""
# dists: brotli
import brotli

data = ("<html><body>" + "<p>hello brotli</p>" * 500 + "</body></html>").encode()
for q in (0, 5, 11):
    c = brotli.compress(data, quality=q, mode=brotli.MODE_TEXT)
    print(q, len(c), brotli.decompress(c) == data)
d = brotli.Decompressor()
c = brotli.compress(data)
print(b"".join(d.process(c[i:i + 50]) for i in range(0, len(c), 50)) == data)
