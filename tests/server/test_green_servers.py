"""Green modes of device servers: asyncio and gevent devices, and how a server's mode is chosen.

The mode comes from the class (``green_mode = GreenMode.Asyncio``), else from ``run(...,
green_mode=...)`` / ``DeviceTestContext(green_mode=...)``, else from the process-wide mode, as in
PyTango; requests to asyncio and gevent devices are served concurrently (no per-device lock);
gevent devices run in one hub, whose greenlets keep running between requests.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import tango_core
from tango_core import DevState, GreenMode
from tango_core.server import Device, attribute, command
from tango_core.server.green import server_green_mode
from tango_core.test_context import DeviceTestContext


class Plain(Device):
    """No green mode of its own: the server's decides."""

    async def init_device(self):
        await super().init_device()
        self.set_state(DevState.ON)
        self._loop_thread = threading.get_ident()

    @attribute(dtype=float)
    async def slow(self):
        await asyncio.sleep(0.3)
        return 1.5

    @command(dtype_out=bool)
    async def OnTheLoop(self):
        return threading.get_ident() == self._loop_thread


def _concurrent_reads(proxy, name: str, n: int) -> float:
    """Seconds for ``n`` reads of ``name`` made at once from ``n`` threads."""
    barrier = threading.Barrier(n)
    errors: list = []

    def read() -> None:
        try:
            barrier.wait()
            proxy.read_attribute(name)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return time.monotonic() - t0


def test_device_test_context_green_mode_makes_an_asyncio_server():
    with DeviceTestContext(Plain, green_mode=GreenMode.Asyncio) as proxy:
        assert proxy.state() == DevState.ON              # await super().init_device() worked
        assert proxy.OnTheLoop() is True
        assert proxy.slow == 1.5
        # NO_SYNC: four 0.3 s reads at once overlap on the loop
        assert _concurrent_reads(proxy, "slow", 4) < 1.0


def test_run_green_mode_and_async_init_callbacks(tmp_path):
    """``run(classes, green_mode=GreenMode.Asyncio, post_init_callback=<coroutine function>)``."""
    import subprocess
    import sys

    import peers

    script = tmp_path / "plain_server.py"
    script.write_text(
        "import asyncio, sys\n"
        "from tango_core import DevState, GreenMode\n"
        "from tango_core.server import Device, attribute, run\n"
        "class Plain(Device):\n"
        "    async def init_device(self):\n"
        "        await super().init_device()\n"
        "        self.set_state(DevState.ON)\n"
        "    @attribute(dtype=str)\n"
        "    async def started(self):\n"
        "        return STARTED\n"
        "STARTED = 'no'\n"
        "async def post_init():\n"
        "    global STARTED\n"
        "    await asyncio.sleep(0.01)\n"
        "    STARTED = 'by an async post_init callback'\n"
        "run((Plain,), green_mode=GreenMode.Asyncio, post_init_callback=post_init)\n")
    port = peers.free_port()
    proc = subprocess.Popen([sys.executable, str(script), "green", "-nodb", "-port", str(port), "-dlist",
                             "test/plain/1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**__import__("os").environ, "PYTHONPATH": str(peers.SERVERS_DIR.parents[1])})
    try:
        assert proc.stdout.readline().strip() == "Ready to accept request"
        dev = tango_core.DeviceProxy(f"tango://127.0.0.1:{port}/test/plain/1#dbase=no")
        assert dev.state() == DevState.ON
        assert dev.started == "by an async post_init callback"
    finally:
        proc.kill()
        proc.wait(10)


def test_the_server_mode_follows_pytangos_rule():
    class Asyncio(Device):
        green_mode = GreenMode.Asyncio

    class Sync(Device):
        green_mode = GreenMode.Synchronous

    def specs(*classes):
        return [(k, None, k.__name__) for k in classes]

    assert server_green_mode(specs(Plain)) is GreenMode.Synchronous
    assert server_green_mode(specs(Plain), GreenMode.Asyncio) is GreenMode.Asyncio
    assert server_green_mode(specs(Asyncio, Plain), GreenMode.Asyncio) is GreenMode.Asyncio
    assert server_green_mode(specs(Sync), GreenMode.Asyncio) is GreenMode.Synchronous  # the class's own wins
    with pytest.raises(ValueError, match="mixed green modes"):
        server_green_mode(specs(Asyncio, Plain))
    tango_core.set_green_mode(GreenMode.Asyncio)
    try:
        assert server_green_mode(specs(Plain)) is GreenMode.Asyncio  # the process-wide mode
    finally:
        tango_core.set_green_mode(GreenMode.Synchronous)


class Greenlets(Device):
    """A gevent device: a greenlet of its own counts, commands sleep cooperatively."""

    green_mode = GreenMode.Gevent

    def init_device(self):
        import gevent

        super().init_device()
        self._ticks = 0
        self._threads = {threading.get_ident()}
        self._ticker = gevent.spawn(self._tick)
        self.set_state(DevState.ON)

    def _tick(self):
        import gevent

        while True:
            gevent.sleep(0.02)
            self._ticks += 1

    @attribute(dtype=int)
    def ticks(self):
        self._threads.add(threading.get_ident())
        return self._ticks

    @command(dtype_in=float)
    def Nap(self, seconds):
        import gevent

        self._threads.add(threading.get_ident())
        gevent.sleep(seconds)

    @command(dtype_out=int)
    def Threads(self):
        return len(self._threads)


def test_gevent_device_runs_in_one_hub_whose_greenlets_go_on_between_requests():
    with DeviceTestContext(Greenlets) as proxy:
        first = proxy.ticks
        time.sleep(0.3)
        assert proxy.ticks >= first + 5  # the device's own greenlet ran while no request was served
        barrier = threading.Barrier(4)

        def nap() -> None:
            barrier.wait()
            proxy.Nap(0.4)

        threads = [threading.Thread(target=nap) for _ in range(4)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert time.monotonic() - t0 < 1.2  # four 0.4 s naps overlapped (gevent.sleep yields to the others)
        assert proxy.Threads() == 1          # every call ran in the hub's thread


def test_gevent_server_with_monkey_patching(tmp_path):
    """A gevent server whose script monkey-patches the standard library (PyTango's users do)."""
    import os
    import subprocess
    import sys

    import peers

    script = tmp_path / "gevent_server.py"
    script.write_text(
        "from gevent import monkey\n"
        "monkey.patch_all()\n"
        "import gevent\n"
        "from tango_core import DevState, GreenMode\n"
        "from tango_core.server import Device, attribute, command\n"
        "class Greenlets(Device):\n"
        "    green_mode = GreenMode.Gevent\n"
        "    def init_device(self):\n"
        "        super().init_device()\n"
        "        self._ticks = 0\n"
        "        gevent.spawn(self._tick)\n"
        "        self.set_state(DevState.ON)\n"
        "    def _tick(self):\n"
        "        while True:\n"
        "            gevent.sleep(0.02)\n"
        "            self._ticks += 1\n"
        "    @attribute(dtype=int)\n"
        "    def ticks(self):\n"
        "        return self._ticks\n"
        "    @command(dtype_in=float)\n"
        "    def Nap(self, seconds):\n"
        "        gevent.sleep(seconds)\n"
        "Greenlets.run_server()\n")
    port = peers.free_port()
    env = dict(os.environ, PYTHONPATH=str(peers.SERVERS_DIR.parents[1]))
    proc = subprocess.Popen([sys.executable, str(script), "g", "-nodb", "-port", str(port), "-dlist", "test/gev/1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "Ready to accept request"
        proxy = tango_core.DeviceProxy(f"tango://127.0.0.1:{port}/test/gev/1#dbase=no")
        first = proxy.ticks
        time.sleep(0.3)
        assert proxy.ticks >= first + 5
        barrier = threading.Barrier(4)

        def nap() -> None:
            barrier.wait()
            proxy.Nap(0.4)

        threads = [threading.Thread(target=nap) for _ in range(4)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert time.monotonic() - t0 < 1.2
    finally:
        proc.kill()
        proc.wait(10)
