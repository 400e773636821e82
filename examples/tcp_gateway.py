"""A TCP gateway to Tango attributes, on asyncio: one line in, one line out, many clients at once.

    python tcp_gateway.py [--host 127.0.0.1] [--port 8888]        (TANGO_HOST names the database)

    $ nc localhost 8888
    sys/tg_test/1/ampli
    0.0
    sys/tg_test/1/state
    RUNNING
    sys/tg_test/1/nope
    DevFailed: API_AttrNotFound: nope attribute not found

Each line is ``device/attribute``; the answer is the attribute's value (lists for spectra), or
the reason and description of the DevFailed that reading it raised.  Every client is one asyncio
task and every read an awaited call: a thousand clients reading at once are a thousand requests
multiplexed on one TCP connection per device server, in one thread.
"""

from __future__ import annotations

import argparse
import asyncio

import numpy as np

import tango_core.asyncio
from tango_core import DevFailed


class Gateway:
    """The proxies the clients share (one per device, built once, on first use)."""

    def __init__(self) -> None:
        self._devices: dict[str, asyncio.Future] = {}

    async def device(self, name: str):
        key = name.lower()
        building = self._devices.get(key)
        if building is None:
            building = self._devices[key] = asyncio.ensure_future(tango_core.asyncio.DeviceProxy(name))
        try:
            return await asyncio.shield(building)
        except DevFailed:
            self._devices.pop(key, None)  # an unknown device: try again next time
            raise

    async def answer(self, line: str) -> str:
        device, _, attribute = line.strip().rpartition("/")
        if not device or not attribute:
            return "error: expected domain/family/member/attribute"
        try:
            proxy = await self.device(device)
            value = (await proxy.read_attribute(attribute)).value
        except DevFailed as exc:
            error = exc.args[0]
            return f"DevFailed: {error.reason}: {' '.join(error.desc.split())}"
        if isinstance(value, np.ndarray):
            value = value.tolist()
        return str(value)

    async def serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                text = line.decode("utf-8", "replace").strip()
                if text:
                    writer.write((await self.answer(text) + "\n").encode())
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


async def main(host: str, port: int) -> None:
    gateway = Gateway()
    server = await asyncio.start_server(gateway.serve_client, host, port)
    where = server.sockets[0].getsockname()
    print(f"Tango gateway serving on {where[0]}:{where[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888, help="0: any free port (printed at start)")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
