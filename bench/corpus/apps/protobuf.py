"""protobuf: well-known types, a message type built from a descriptor, binary and JSON formats."""
# dists: protobuf
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    json_format,
    message_factory,
    struct_pb2,
    timestamp_pb2,
)

fd = descriptor_pb2.FileDescriptorProto(name="corpus.proto", package="corpus", syntax="proto3")
m = fd.message_type.add(name="Person")
m.field.add(name="name", number=1, type=9, label=1)
m.field.add(name="ids", number=2, type=5, label=3)
pool = descriptor_pool.DescriptorPool()
pool.Add(fd)
Person = message_factory.GetMessageClass(pool.FindMessageTypeByName("corpus.Person"))
p = Person(name="Ann", ids=[1, 2, 300])
data = p.SerializeToString()
print(data.hex(), Person.FromString(data) == p)
print(json_format.MessageToJson(p, indent=None))
ts = timestamp_pb2.Timestamp()
ts.FromJsonString("2024-02-29T12:00:00Z")
print(ts.seconds, ts.ToJsonString())
s = struct_pb2.Struct()
s.update({"a": 1, "b": [True, "x"]})
print(sorted(json_format.MessageToDict(s).items()))
from google.protobuf.internal import api_implementation

print(api_implementation.Type())
