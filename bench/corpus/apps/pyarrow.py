"""pyarrow: tables, compute kernels, Parquet and IPC round trips in memory, CSV reading."""
# dists: pyarrow
import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pyarrow import ipc

t = pa.table({"id": pa.array([3, 1, 2, 5, 4], pa.int64()),
              "name": ["c", "a", "b", "e", "d"],
              "score": [1.5, None, 2.25, 4.0, 3.0]})
print(t.schema)
print("sorted ids:", t.sort_by("id").column("id").to_pylist())
print("sum:", pc.sum(t["score"]).as_py(), "mean:", pc.mean(t["score"]).as_py())
print("filtered:", t.filter(pc.greater(t["id"], 2)).column("name").to_pylist())
print("upper:", pc.utf8_upper(t["name"]).to_pylist())
sink = pa.BufferOutputStream()
pq.write_table(t, sink, compression="zstd")
back = pq.read_table(pa.BufferReader(sink.getvalue()))
print("parquet round trip:", back.equals(t))
sink = pa.BufferOutputStream()
with ipc.new_stream(sink, t.schema) as w:
    w.write_table(t)
print("ipc round trip:", ipc.open_stream(sink.getvalue()).read_all().equals(t))
csv = pacsv.read_csv(io.BytesIO(b"a,b\n1,x\n2,y\n3,z\n"))
print(csv.to_pydict())
print(t.group_by("name").aggregate([("score", "sum")]).sort_by("name").to_pydict())
