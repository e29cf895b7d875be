"""lz4: frame and block compression."""
# dists: lz4
import lz4.block
import lz4.frame

data = b"abcdefgh" * 1000 + bytes(range(256))
f = lz4.frame.compress(data, compression_level=9)
print(len(f), lz4.frame.decompress(f) == data)
b = lz4.block.compress(data, store_size=True)
print(len(b), lz4.block.decompress(b) == data)
c = lz4.frame.LZ4FrameCompressor()
chunk = c.begin() + c.compress(data) + c.flush()
print(lz4.frame.decompress(chunk) == data)
