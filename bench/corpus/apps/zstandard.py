"""zstandard: compression levels, a trained dictionary, streaming, frame parameters."""
# dists: zstandard
import io
import zlib

import zstandard as zstd

data = b"".join(b"line %d of some fairly repetitive text\n" % i for i in range(2000))
for level in (1, 3, 19):
    c = zstd.ZstdCompressor(level=level).compress(data)
    print(level, len(c), zstd.ZstdDecompressor().decompress(c) == data)
samples = [b"key=%d value=%s" % (i, b"x" * (i % 7)) for i in range(500)]
d = zstd.train_dictionary(4096, samples)
print("dict id set:", d.dict_id() != 0)
out = io.BytesIO()
with zstd.ZstdCompressor().stream_writer(out, closefd=False) as w:
    w.write(data)
print(zlib.crc32(zstd.ZstdDecompressor().stream_reader(io.BytesIO(out.getvalue())).read()) == zlib.crc32(data))
print(zstd.get_frame_parameters(zstd.ZstdCompressor(write_content_size=True).compress(b"abc")).content_size)
