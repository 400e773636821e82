"""Green modes of device servers: asyncio and gevent devices, and how a server's mode is chosen.

The mode comes from the class (``green_mode = GreenMode.Asyncio``), else from ``run(...,
green_mode=...)`` / ``DeviceTestContext(green_mode=...)``, else from the process-wide mode, as in
PyTango; requests to asyncio and gevent devices are served concurrently (no per-device lock);
gevent devices run in one hub, whose greenlets keep running between requests.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import peers
import tango_core
from tango_core import DevState, GreenMode
from tango_core.server import Device, attribute, command
from tango_core.server.green import server_green_mode
from tango_core.test_context import DeviceTestContext
from thread_runs import run_in_threads


@contextmanager
def serving_script(script: Path, *args: str, device: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """The server ``script`` run with ``args``, then ``-nodb`` on a free port serving ``device``
    (this checkout on its PYTHONPATH): yields the process, once it is ready, and the device's
    full name; kills the process afterwards if it still runs."""
    port = peers.free_port()
    env = dict(os.environ, PYTHONPATH=str(peers.SERVERS_DIR.parents[1]))
    proc = subprocess.Popen([sys.executable, str(script), *args, "-nodb", "-port", str(port), "-dlist", device],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "Ready to accept request"
        yield proc, f"tango://127.0.0.1:{port}/{device}#dbase=no"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


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

    def read(i: int) -> None:
        barrier.wait()
        proxy.read_attribute(name)

    t0 = time.monotonic()
    errors = run_in_threads(read, n, timeout=30)
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
    with serving_script(script, "green", device="test/plain/1") as (_, name):
        dev = tango_core.DeviceProxy(name)
        assert dev.state() == DevState.ON
        assert dev.started == "by an async post_init callback"


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


def _assert_greenlets_run_between_and_during_requests(proxy) -> None:
    """The device's own greenlet ticks while no request is served, and four 0.4 s naps sent at
    once overlap (gevent.sleep yields to the others)."""
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


def test_gevent_device_runs_in_one_hub_whose_greenlets_go_on_between_requests():
    with DeviceTestContext(Greenlets) as proxy:
        _assert_greenlets_run_between_and_during_requests(proxy)
        assert proxy.Threads() == 1          # every call ran in the hub's thread


def test_gevent_server_with_monkey_patching(tmp_path):
    """A gevent server whose script monkey-patches the standard library (PyTango's users do)."""
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
    with serving_script(script, "g", device="test/gev/1") as (_, name):
        _assert_greenlets_run_between_and_during_requests(tango_core.DeviceProxy(name))


HUB_SERVER = '''
import sys
import gevent
import gevent.monkey
from tango_core import DevState, GreenMode
from tango_core.server import Device, attribute, command

HUB = []  # the thread of the server's hub: where the first init_device runs (devices are built there)
thread_id = gevent.monkey.get_original("threading", "get_ident")  # the OS thread, also when patched

class Hub(Device):
    green_mode = GreenMode.Gevent

    def _where(self, what):
        if thread_id() != HUB[0]:
            self._elsewhere.append(what)

    def init_device(self):
        super().init_device()
        if not HUB:
            HUB.append(thread_id())
        self._elsewhere = []
        self._where("init_device")
        self._count = 0
        self.set_state(DevState.ON)

    def server_init_hook(self):
        self._where("server_init_hook")

    def delete_device(self):
        where = "in" if thread_id() == HUB[0] else "outside"
        print(f"delete_device {where} the hub", flush=True)

    @attribute(dtype=int, polling_period=100)
    def polled(self):
        self._where("polled attribute")
        gevent.sleep(0)
        self._count += 1
        return self._count

    @command(dtype_out=int, polling_period=100)
    def PolledCommand(self):
        self._where("polled command")
        gevent.sleep(0)
        return self._count

    @command(dtype_out=[str])
    def Elsewhere(self):
        self._where("Elsewhere")
        return self._elsewhere or ["none"]

Hub.run_server()
'''


@pytest.mark.parametrize("patched", [False, True], ids=["plain", "monkey-patched"])
def test_gevent_server_polls_restarts_and_stops_with_its_device_code_in_the_hub(tmp_path, patched):
    """With or without monkey-patching, the code of a gevent device runs in the server's hub also when the
    server calls it outside a client request (polling, server_init_hook, RestartServer, and
    delete_device at shutdown), and the admin's Kill stops the process (the admin runs in the
    thread serving it, as cppTango's admin under PyTango, so its reply-then-exit works)."""
    script = tmp_path / "hub_server.py"
    script.write_text(("from gevent import monkey\nmonkey.patch_all()\n" if patched else "") + HUB_SERVER)
    with serving_script(script, "h", device="test/hub/1") as (proc, name):
        dev = tango_core.DeviceProxy(name)
        admin = tango_core.DeviceProxy(dev.adm_name())

        def polled_a_few_times() -> None:
            deadline = time.monotonic() + 20
            while len(dev.attribute_history("polled", 3)) < 3 or len(dev.command_history("PolledCommand", 3)) < 3:
                assert time.monotonic() < deadline, "the polling thread never read the device"
                time.sleep(0.1)

        polled_a_few_times()
        assert list(dev.Elsewhere()) == ["none"]
        admin.command_inout("RestartServer")
        deadline = time.monotonic() + 20
        while True:  # the restarted device's first polled value
            try:
                if dev.read_attribute("polled").value < 3:
                    break
            except tango_core.DevFailed:
                pass
            assert time.monotonic() < deadline, "the device was not restarted"
            time.sleep(0.1)
        polled_a_few_times()
        assert list(dev.Elsewhere()) == ["none"]
        admin.command_inout("Kill")
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert out.count("delete_device in the hub") == 2 and "outside" not in out, out  # restart + Kill


EVENT_LOOP_SERVER = '''
import asyncio, sys, threading, time
from tango_core import DevState, GreenMode
from tango_core.server import Device, Util, attribute, command, run

MODE_NAME, _, SET_BY = sys.argv.pop(1).partition("+")
MODE = GreenMode[MODE_NAME]
STATE = {"calls": 0, "stop": False, "where": set(), "device": None}


def where():
    """Where the code calling this runs: an event loop, a gevent hub's thread, the main thread."""
    try:
        asyncio.get_running_loop()
        return "an event loop"
    except RuntimeError:
        pass
    if MODE == GreenMode.Gevent:
        import gevent.monkey
        return "thread %d" % gevent.monkey.get_original("threading", "get_ident")()
    return "the main thread" if threading.current_thread() is threading.main_thread() else "another thread"


class Looping(Device):
    def init_device(self):
        super().init_device()
        STATE["device"] = where()
        self.set_state(DevState.ON)

    @attribute(dtype=int)
    def calls(self):
        return STATE["calls"]

    @attribute(dtype=(str,), max_dim_x=10)
    def places(self):
        return sorted(STATE["where"]) + ["device: " + STATE["device"]]

    @command
    def StopLoop(self):
        STATE["stop"] = True


def step():
    STATE["calls"] += 1
    STATE["where"].add(where())
    if MODE == GreenMode.Gevent:
        import gevent
        gevent.sleep(0.02)
    else:
        time.sleep(0.02)
    return STATE["stop"]


async def async_step():
    STATE["calls"] += 1
    STATE["where"].add(where())
    await asyncio.sleep(0.02)
    return STATE["stop"]


if SET_BY == "Util":  # PyTango's Util.server_set_event_loop, from a callback before serving
    run((Looping,), green_mode=MODE, post_init_callback=lambda: Util.instance().server_set_event_loop(step))
else:
    run((Looping,), green_mode=MODE, event_loop=async_step if MODE == GreenMode.Asyncio else step)
print("after run", flush=True)
'''


@pytest.mark.parametrize("mode, expected", [
    ("Synchronous", "the main thread"),
    ("Synchronous+Util", "the main thread"),
    ("Asyncio", "an event loop"),   # an ``async def`` event loop runs on the server's loop
    ("Gevent", "device"),            # in the hub: the thread where the devices were built
])
def test_run_with_an_event_loop_calls_it_until_it_says_stop(tmp_path, mode, expected):
    """``run(classes, event_loop=fn)`` (PyTango's, from cppTango's Util::server_set_event_loop):
    once the server serves, ``fn()`` is called over and over where device code runs, and the
    server stops cleanly when it returns true."""
    script = tmp_path / "looping_server.py"
    script.write_text(EVENT_LOOP_SERVER)
    with serving_script(script, mode, "loop", device="test/loop/1") as (proc, name):
        dev = tango_core.DeviceProxy(name)
        first = dev.calls
        deadline = time.monotonic() + 20
        while dev.calls < first + 5:
            assert time.monotonic() < deadline, "the event loop function is not called over and over"
            time.sleep(0.05)
        *places, device = dev.places
        if expected == "device":
            assert places == [device.removeprefix("device: ")] and places[0].startswith("thread "), (places, device)
        else:
            assert places == [expected], (places, device)
        dev.StopLoop()
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "after run" in out, out
        assert "Exiting" not in out, out


def test_sync_methods_of_an_asyncio_device_are_served_with_pytangos_deprecation_warning():
    """An asyncio device's 'def' methods still run, with PyTango's DeprecationWarning (once per
    method); its 'async def' ones give none."""
    import warnings

    from tango_core import GreenMode
    from tango_core.server import Device, attribute, command
    from tango_core.test_context import DeviceTestContext

    class Mixed(Device):
        green_mode = GreenMode.Asyncio

        def always_executed_hook(self):  # a standard method written with 'def'
            pass

        @attribute(dtype=int)
        async def awaited(self):
            return 1

        @command(dtype_out=int)
        def plain_command(self):
            return 2

    from tango_core.server import device as device_module
    device_module._SYNC_WARNED.discard("standard:always_executed_hook")  # (once per process, as PyTango)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with DeviceTestContext(Mixed) as proxy:
            assert (proxy.awaited, proxy.plain_command(), proxy.plain_command()) == (1, 2, 2)
    texts = [str(w.message) for w in seen if issubclass(w.category, DeprecationWarning)]
    assert sum("always_executed_hook is sync" in t for t in texts) == 1
    assert sum("Sync plain_command function called" in t for t in texts) == 1
    assert not any("awaited" in t for t in texts)


def test_init_callbacks_given_as_sequences_run_on_the_loop_of_an_asyncio_server(tmp_path_factory):
    """``run(..., pre_init_callback=(fn, args), post_init_callback=[fn, args, kwargs])``: the same
    calls on PyTango's server and on tango_core's; plain functions run on the server's event loop."""
    import tango  # test peer only: the reference server and client

    with peers.served_by_pytango_and_tango_core("InitCallbackServer", "test/initcallback/1", "InitCallbackDevice",
                                                lambda: tmp_path_factory.mktemp("callback-logs")) as devices:
        seen = {server: list(tango.DeviceProxy(trl).seen) for server, trl in devices.items()}
    assert seen["tango_core"] == seen["pytango"] == [
        "pre (1,) [] on the event loop", "post () [('k', 2)] on the event loop"]


def test_to_callback_refuses_what_is_no_callback():
    from tango_core.server.runtime import to_callback

    for wrong in ({}, [], ["not callable"], [print, (), {}, 4], "print"):
        with pytest.raises(TypeError, match="post_init_callback must be a callable or sequence"):
            to_callback(wrong, "post_init_callback")
    assert to_callback(None, "pre_init_callback")() is None


class LoopAware(Device):
    """Where each method runs, as the client executor of asyncio mode sees it."""

    green_mode = GreenMode.Asyncio

    async def init_device(self):
        await super().init_device()
        self.executor = tango_core.client.green.get_executor(GreenMode.Asyncio)

    @attribute(dtype=bool)
    async def on_the_loop(self):
        return self.executor.in_executor_context()

    @attribute(dtype=bool, read_green_mode=False)
    def off_the_loop(self):  # a plain method that asked to run outside the green mode: no warning
        return self.executor.in_executor_context()

    @attribute(dtype=bool, green_mode=False, access=tango_core.AttrWriteType.READ_WRITE,
               fisallowed="allowed")
    def plain_rw(self):
        return self.executor.in_executor_context()

    def write_plain_rw(self, value):
        assert not self.executor.in_executor_context()

    def allowed(self, request):
        return not self.executor.in_executor_context()


def test_green_mode_false_runs_plain_methods_of_an_asyncio_device_off_the_loop(recwarn):
    """``read_green_mode=False`` / ``green_mode=False`` (PyTango's keywords): the plain method is
    called directly in the thread serving the request, without the deprecation warning for sync
    methods of asyncio devices; ``in_executor_context()`` tells the loop from other threads."""
    import warnings

    warnings.simplefilter("error", DeprecationWarning)
    with DeviceTestContext(LoopAware) as proxy:
        assert proxy.on_the_loop is True
        assert proxy.off_the_loop is False
        proxy.plain_rw = True
        assert proxy.plain_rw is False
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


def test_get_worker_is_the_executor_of_the_last_server():
    from tango_core.client.green import AsyncioExecutor, SynchronousExecutor
    from tango_core.server.device import get_worker

    with DeviceTestContext(LoopAware) as proxy:
        worker = get_worker()
        assert type(worker) is AsyncioExecutor and not worker.in_executor_context()

        async def where():
            await asyncio.sleep(0)
            return worker.in_executor_context(), threading.current_thread().name

        on_loop, thread = worker.execute(where)       # from this thread: run on the server's loop, waited for
        assert on_loop and thread != threading.current_thread().name
        assert worker.execute(lambda x: x + 1, 41) == 42
        assert proxy.on_the_loop is True
    assert get_worker() is worker                       # stays after the server stopped, as PyTango's
    with DeviceTestContext(_SyncDevice):
        assert type(get_worker()) is SynchronousExecutor
        assert get_worker().execute(max, 2, 3) == 3


class _SyncDevice(Device):
    green_mode = GreenMode.Synchronous


class PlainCommands(Device):
    """An asyncio device with plain command methods that asked to run outside the green mode."""

    green_mode = GreenMode.Asyncio

    @command(dtype_out=bool, cmd_green_mode=False, isallowed_green_mode=False, fisallowed="off_loop")
    def Where(self):
        return tango_core.client.green.get_executor(GreenMode.Asyncio).in_executor_context()

    def off_loop(self):
        return not tango_core.client.green.get_executor(GreenMode.Asyncio).in_executor_context()

    @command(dtype_out=str, green_mode=False)
    def Thread(self):
        return threading.current_thread().name


def test_command_green_mode_false_runs_plain_methods_off_the_loop(recwarn):
    import warnings

    warnings.simplefilter("error", DeprecationWarning)
    with DeviceTestContext(PlainCommands) as proxy:
        assert proxy.Where() is False
        assert "asyncio" not in proxy.Thread()
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]
