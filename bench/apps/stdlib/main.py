"""stdlib: imports and lightly uses a broad slice of the standard library, including
extension modules that need shared libraries (_ssl, _sqlite3, _ctypes, _decimal). The work
is small on purpose: what is measured is the cost of getting these modules loaded.

It prints the same lines however it is run, so the benchmark can check every frozen build
against `python main.py`. With PFBENCH_IDLE=1 in its environment it then prints `ready` and
waits for its stdin to close: the memory row starts many instances and measures them idle.
"""
import argparse
import asyncio
import ctypes
import decimal
import email.message
import hashlib
import http.client
import io
import json
import os
import sqlite3
import ssl
import sys
import unicodedata


async def add_later(a, b):
    await asyncio.sleep(0)
    return a + b


def main():
    parser = argparse.ArgumentParser(description="stdlib benchmark app")
    parser.add_argument("--name", default="world")
    args = parser.parse_args()

    data = json.loads(json.dumps({"name": args.name, "numbers": [1, 2, 3]}))

    message = email.message.EmailMessage()
    message["Subject"] = "Hello " + data["name"]
    message["From"] = "bench@example.org"
    message.set_content("sum: {}".format(sum(data["numbers"])))
    raw = message.as_bytes()

    headers = http.client.parse_headers(io.BytesIO(b"Content-Type: text/plain\r\n\r\n"))
    total = asyncio.run(add_later(2, 3))
    amount = decimal.Decimal("1.10") + decimal.Decimal("2.20")

    db = sqlite3.connect(":memory:")
    db.execute("create table t (x integer)")
    db.executemany("insert into t values (?)", [(i,) for i in range(10)])
    rows = db.execute("select sum(x) from t").fetchone()[0]
    db.close()

    # No certificates loaded: reading the system's CA store would be most of the run.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    buffer = ctypes.create_string_buffer(b"frozen")

    print("json:", data["name"], data["numbers"])
    print("email:", message["Subject"], len(raw), "bytes")
    print("http.client:", http.client.responses[http.client.OK], headers["Content-Type"])
    print("asyncio:", total)
    print("decimal:", amount)
    print("sqlite3:", rows)
    print("ssl: verifies certificates:", context.verify_mode == ssl.CERT_REQUIRED)
    print("ctypes:", buffer.value.decode(), ctypes.sizeof(buffer))
    print("hashlib:", hashlib.sha256(raw).hexdigest()[:16])
    print("unicodedata:", unicodedata.name("\u00e9"))

    if os.environ.get("PFBENCH_IDLE") == "1":
        print("ready", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
