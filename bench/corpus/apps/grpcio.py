"""grpcio: an in-process gRPC server on loopback and a client making unary and streaming calls."""
# dists: grpcio
from concurrent import futures

import grpc


def upper(request, context):
    return request.upper()


def count(request, context):
    for i in range(int(request)):
        yield str(i).encode()


handler = grpc.method_handlers_generic_handler("corpus.Svc", {
    "Upper": grpc.unary_unary_rpc_method_handler(upper),
    "Count": grpc.unary_stream_rpc_method_handler(count),
})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers((handler,))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
    print(ch.unary_unary("/corpus.Svc/Upper")(b"hello grpc", timeout=10))
    print(list(ch.unary_stream("/corpus.Svc/Count")(b"4", timeout=10)))
    try:
        ch.unary_unary("/corpus.Svc/Nope")(b"", timeout=10)
    except grpc.RpcError as e:
        print(e.code())
server.stop(None).wait()
