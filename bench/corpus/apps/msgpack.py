"""msgpack: packing and unpacking with ext types, streaming unpacker."""
# dists: msgpack
import datetime

import msgpack

data = {"a": [1, 2.5, None, True], "b": b"\x00\xff", "c": {"nested": "é"}}
packed = msgpack.packb(data)
print(packed.hex())
print(msgpack.unpackb(packed))
ts = msgpack.Timestamp.from_datetime(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
print(msgpack.unpackb(msgpack.packb(ts)), msgpack.ExtType(5, b"xy"))
u = msgpack.Unpacker()
u.feed(msgpack.packb(1) + msgpack.packb([2, 3]))
print(list(u))
from msgpack import _cmsgpack

print("C extension used:", msgpack.Packer is _cmsgpack.Packer)
