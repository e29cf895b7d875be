"""websockets: an asyncio server and client exchanging messages over loopback."""
# dists: websockets
import asyncio

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve


async def echo(ws):
    async for msg in ws:
        await ws.send(msg[::-1] if isinstance(msg, str) else msg.upper())


async def main():
    async with serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}") as ws:
            for m in ("hello", b"bytes", "abc"):
                await ws.send(m)
                print(repr(await ws.recv()))


asyncio.run(main())
