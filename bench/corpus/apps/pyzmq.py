"""pyzmq: REQ/REP over loopback TCP, PUSH/PULL over inproc, multipart messages, poller."""
# dists: pyzmq
import zmq

ctx = zmq.Context()
rep = ctx.socket(zmq.REP)
port = rep.bind_to_random_port("tcp://127.0.0.1")
req = ctx.socket(zmq.REQ)
req.connect(f"tcp://127.0.0.1:{port}")
for i in range(3):
    req.send_string(f"ping {i}")
    rep.send_string(rep.recv_string().replace("ping", "pong"))
    print(req.recv_string())
push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
pull.bind("inproc://corpus")
push.connect("inproc://corpus")
push.send_multipart([b"a", b"b", b"c"])
poller = zmq.Poller()
poller.register(pull, zmq.POLLIN)
print(dict(poller.poll(5000)).get(pull) == zmq.POLLIN, pull.recv_multipart())
for s in (rep, req, push, pull):
    s.close(linger=0)
ctx.term()
print(zmq.zmq_version_info() >= (4,), zmq.has("inproc"))
