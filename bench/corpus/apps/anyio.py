"""anyio: task groups, memory streams, worker threads and a TCP echo over loopback."""
# dists: anyio, sniffio
import anyio


async def producer(send):
    async with send:
        for i in range(5):
            await send.send(i * i)


async def main():
    send, recv = anyio.create_memory_object_stream(10)
    got = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(producer, send)
        async with recv:
            async for item in recv:
                got.append(item)
    print("stream:", got)
    print("thread:", await anyio.to_thread.run_sync(sum, [1, 2, 3]))

    async def echo(client):
        async with client:
            await client.send((await client.receive()).upper())

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, echo)
        async with await anyio.connect_tcp("127.0.0.1", port) as c:
            await c.send(b"ping")
            print("tcp:", await c.receive())
        tg.cancel_scope.cancel()
    with anyio.move_on_after(0.01) as scope:
        await anyio.sleep(1)
    print("cancelled:", scope.cancelled_caught)


anyio.run(main)
