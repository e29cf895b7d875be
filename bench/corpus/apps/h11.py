"""h11: an HTTP/1.1 client and server state machine exchanging a request and a response."""
# dists: h11
import h11

client, server = h11.Connection(h11.CLIENT), h11.Connection(h11.SERVER)
data = client.send(h11.Request(method="POST", target="/x", headers=[("Host", "h"), ("Content-Length", "5")]))
data += client.send(h11.Data(data=b"hello")) + client.send(h11.EndOfMessage())
server.receive_data(data)
events = []
while True:
    e = server.next_event()
    if e is h11.NEED_DATA:
        break
    events.append(type(e).__name__)
    if isinstance(e, h11.EndOfMessage):
        break
print(events)
out = server.send(h11.Response(status_code=200, headers=[("Content-Length", "2")]))
out += server.send(h11.Data(data=b"ok")) + server.send(h11.EndOfMessage())
client.receive_data(out)
print(client.next_event(), client.next_event(), client.our_state, server.their_state)
