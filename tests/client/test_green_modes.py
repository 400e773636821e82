"""Green modes against real peers: asyncio, futures, gevent and synchronous proxies.

Every mode reads, writes, runs commands and subscribes, and gives what the synchronous call gives;
asyncio calls are many futures on one connection, never block the loop, time out on the loop's
clock, can be cancelled without harming the connection, and survive a server restart in the
middle of a gathered batch; gevent calls let other greenlets run (with monkey-patching too, in a
subprocess); all the modes mix in one process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tango_core
import tango_core.asyncio
import tango_core.futures
from tango_core import DevFailed, DevState, GreenMode
from tango_core.transport.asyncio import get_endpoint

from event_channel import wait_until_events_arrive

TANGOTEST = "sys/tg_test/1"
ROOT = Path(__file__).resolve().parents[2]


def _live(name: str) -> None:
    """Wait until the subscriptions made so far reach the TestServer's publisher
    (tests/event_channel.py), through a blocking proxy (the probe waits for its callback, which
    must not need the caller's loop or hub): PushCounterEvent right after subscribe_event is
    otherwise dropped under load (ZMQ's slow joiner)."""
    wait_until_events_arrive(tango_core.DeviceProxy(name), tango_core.EventType, "last_written")


def _value(x):
    return x.tolist() if isinstance(x, np.ndarray) else x


# -- asyncio ------------------------------------------------------------------------------------------


def test_asyncio_proxy_reads_writes_runs_commands_like_the_synchronous_one(tango_host):
    sync = tango_core.DeviceProxy(TANGOTEST)

    async def main():
        dev = await tango_core.asyncio.DeviceProxy(TANGOTEST)
        assert dev.get_green_mode() is GreenMode.Asyncio
        pending = dev.state()
        assert isinstance(pending, asyncio.Future)  # as PyTango's (its executor's future)
        out = {"state": await pending, "status": await dev.status(), "ping": await dev.ping()}
        await dev.write_attribute("double_scalar", 12.5)
        out["read"] = await dev.read_attribute("double_scalar")
        out["reads"] = await dev.read_attributes(["double_scalar", "long_spectrum_ro"])
        out["dynamic"] = await dev.double_scalar
        out["command"] = await dev.command_inout("DevVarDoubleArray", [1.5, 2.5])
        out["dynamic_command"] = await dev.DevLong(7)
        out["write_read"] = await dev.write_read_attribute("long_scalar_w", 3)
        out["config"] = await dev.get_attribute_config("double_scalar")
        out["command_config"] = await dev.get_command_config("DevLong")
        await dev.put_property({"green_test": ["1", "2"]})
        out["property"] = await dev.get_property("green_test")
        await dev.delete_property("green_test")
        out["property_gone"] = await dev.get_property("green_test")
        with pytest.raises(DevFailed) as ei:
            await dev.read_attribute("no_such_attribute")
        out["error"] = [e.reason for e in ei.value.args]
        return out

    out = asyncio.run(main())
    assert out["state"] == sync.state() == DevState.RUNNING
    assert out["status"] == sync.status()
    assert isinstance(out["ping"], int) and out["ping"] > 0
    assert out["read"].name == "double_scalar" and out["read"].w_value == 12.5
    assert type(out["read"]) is type(sync.read_attribute("double_scalar"))
    assert [da.name for da in out["reads"]] == ["double_scalar", "long_spectrum_ro"]
    assert isinstance(out["dynamic"], float)
    assert _value(out["command"]) == [1.5, 2.5] and out["dynamic_command"] == 7
    assert out["write_read"].name == "long_scalar_w"
    assert str(out["config"]) == str(sync.get_attribute_config("double_scalar"))
    assert str(out["command_config"]) == str(sync.get_command_config("DevLong"))
    assert out["property"] == {"green_test": ["1", "2"]} and out["property_gone"] == {"green_test": []}
    with pytest.raises(DevFailed) as ei:
        sync.read_attribute("no_such_attribute")
    assert out["error"] == [e.reason for e in ei.value.args]


def test_a_thousand_gathered_reads_are_futures_on_one_connection(tango_host):
    async def main():
        dev = await tango_core.asyncio.DeviceProxy(TANGOTEST)
        values = await asyncio.gather(*(dev.command_inout("DevLong", i) for i in range(1000)))
        target = dev._ref.primary
        return values, get_endpoint(target.host, target.port).connects, threading.active_count()

    before = threading.active_count()
    values, connects, threads = asyncio.run(main())
    assert values == list(range(1000))
    assert connects == 1
    assert threads <= before + 1  # no thread per call (at most a worker started elsewhere)


def test_an_awaited_call_does_not_block_the_loop(db_server):
    async def main():
        dev = await tango_core.asyncio.DeviceProxy("test/dev/1")
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        t0 = time.monotonic()
        await dev.command_inout("Sleep", 0.5)
        elapsed = time.monotonic() - t0
        ticker.cancel()
        return ticks, elapsed

    ticks, elapsed = asyncio.run(main())
    assert elapsed >= 0.5
    assert ticks >= 20  # the loop ran meanwhile (50 ticks at most)


def test_device_timeout_on_the_loop_clock_and_cancellation_keep_the_connection(db_server):
    async def main():
        dev = await tango_core.asyncio.DeviceProxy("test/dev/1")
        dev.set_timeout_millis(300)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(tango_core.CommunicationFailed) as ei:
            await dev.command_inout("Sleep", 1.0)
        timed_out_after = loop.time() - t0
        reasons = [e.reason for e in ei.value.args]
        dev.set_timeout_millis(3000)
        task = asyncio.ensure_future(dev.command_inout("Sleep", 1.0))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        target = dev._ref.primary
        ep = get_endpoint(target.host, target.port)
        echoed = await dev.command_inout("EchoDouble", 2.5)  # answered after the sleeps, same connection
        return timed_out_after, reasons, echoed, ep.connects

    timed_out_after, reasons, echoed, connects = asyncio.run(main())
    assert 0.29 <= timed_out_after < 0.8
    assert reasons == ["API_CorbaException", "API_DeviceTimedOut"]
    assert echoed == 2.5 and connects == 1


def test_wait_and_timeout_keywords_as_pytango(tango_host):
    async def inside_a_loop():
        dev = await tango_core.asyncio.DeviceProxy(TANGOTEST)
        with pytest.raises(RuntimeError, match="Loop is already running"):
            dev.state(wait=True)
        return await dev.state(wait=False, timeout=0.000001)  # timeout ignored without wait, as PyTango

    assert asyncio.run(inside_a_loop()) == DevState.RUNNING
    # asyncio.run() may be called again: each call uses the loop that runs (PyTango's executor
    # keeps the first loop and fails with "Event loop is closed")
    assert asyncio.run(inside_a_loop()) == DevState.RUNNING


def test_asyncio_proxy_without_a_running_loop(tango_host):
    """No running loop: the thread that uses asyncio mode gets a loop of its own to wait on
    (wait=True) or to run the returned future on; another thread's calls run synchronously
    (PyTango's rule for calls from threads other than its executor's)."""
    dev = tango_core.DeviceProxy(TANGOTEST, green_mode=GreenMode.Asyncio)
    asyncio.run(asyncio.sleep(0))  # this (main) thread is the one that uses asyncio mode
    try:
        assert dev.state(wait=True) == DevState.RUNNING
        future = dev.read_attribute("double_scalar")
        assert isinstance(future, asyncio.Future)
        loop = asyncio.get_event_loop()
        assert loop.run_until_complete(future).name == "double_scalar"
    finally:
        asyncio.get_event_loop().close()
        asyncio.set_event_loop(None)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(dev.state).result(30) == DevState.RUNNING
        assert pool.submit(dev.read_attribute, "double_scalar").result(30).name == "double_scalar"


def test_server_restart_in_the_middle_of_a_gathered_batch(peer_factory):
    db, tt = peer_factory.tango_system()
    name = f"tango://{db.tango_host}/sys/tg_test/1"

    async def main():
        dev = await tango_core.asyncio.DeviceProxy(name)
        loop = asyncio.get_running_loop()
        batch = [dev.command_inout("DevLong", i) for i in range(300)]
        batch += [asyncio.sleep(0.05)]
        restart = loop.run_in_executor(None, tt.restart)
        outcomes = await asyncio.gather(*batch, return_exceptions=True)
        await restart
        after = await asyncio.gather(*(dev.command_inout("DevLong", i) for i in range(100)))
        return outcomes[:-1], after

    outcomes, after = asyncio.run(main())
    ok = [o for o in outcomes if not isinstance(o, BaseException)]
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(o == i for i, o in enumerate(outcomes) if not isinstance(o, BaseException))
    assert all(isinstance(f, DevFailed) for f in failed), failed[:3]
    assert len(ok) + len(failed) == 300
    assert after == list(range(100))  # reconnected by itself


def test_asyncio_events_run_coroutine_callbacks_on_the_subscriber_loop(db_server):
    async def main():
        dev = await tango_core.asyncio.DeviceProxy("test/dev/1")
        loop_thread = threading.get_ident()
        seen = []
        got_two = asyncio.Event()

        async def on_event(event):
            seen.append((threading.get_ident() == loop_thread, event.err, event.attr_value.value))
            await asyncio.sleep(0)  # a real coroutine, awaited on the loop
            if len(seen) >= 2:
                got_two.set()

        eid = await dev.subscribe_event("counter", tango_core.EventType.CHANGE_EVENT, on_event)
        await asyncio.get_running_loop().run_in_executor(None, _live, "test/dev/1")
        await dev.command_inout("PushCounterEvent")
        await asyncio.wait_for(got_two.wait(), 10)
        await dev.unsubscribe_event(eid)
        return seen

    seen = asyncio.run(main())
    assert all(on_loop for on_loop, _err, _value in seen)
    assert not any(err for _on_loop, err, _value in seen)


def test_asyncio_attribute_proxy(tango_host):
    async def main():
        attr = await tango_core.asyncio.AttributeProxy(f"{TANGOTEST}/double_scalar")
        await attr.write(3.25)
        return (await attr.read()).w_value, await attr.state()

    assert asyncio.run(main()) == (3.25, DevState.RUNNING)


# -- futures ------------------------------------------------------------------------------------------


def test_futures_mode_with_pytango_defaults(tango_host):
    dev = tango_core.futures.DeviceProxy(TANGOTEST)  # wait=True by default: the proxy itself
    assert dev.get_green_mode() is GreenMode.Futures
    assert dev.state() == DevState.RUNNING
    future = dev.read_attribute("double_scalar", wait=False)
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(10).name == "double_scalar"
    futures = [dev.command_inout("DevLong", i, wait=False) for i in range(200)]
    assert [f.result(10) for f in futures] == list(range(200))
    building = tango_core.futures.DeviceProxy(TANGOTEST, wait=False)
    assert isinstance(building, concurrent.futures.Future)
    assert building.result(10).state() == DevState.RUNNING
    with pytest.raises(concurrent.futures.TimeoutError):
        dev.command_inout("DevVarDoubleArray", np.zeros(2_000_000), timeout=0.001)


def test_futures_mode_subscribes(db_server):
    dev = tango_core.futures.DeviceProxy("test/dev/1")
    seen = []
    eid = dev.subscribe_event("counter", tango_core.EventType.CHANGE_EVENT, seen.append)
    _live("test/dev/1")
    dev.command_inout("PushCounterEvent")
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    dev.unsubscribe_event(eid)
    assert len(seen) >= 2 and not any(e.err for e in seen)


# -- synchronous and mixed ----------------------------------------------------------------------------


def test_synchronous_mode_refuses_wait_false_and_timeouts(tango_host):
    dev = tango_core.DeviceProxy(TANGOTEST)
    assert dev.state(wait=True) == DevState.RUNNING
    with pytest.raises(ValueError, match="Not supported in synchronous mode"):
        dev.state(wait=False)
    with pytest.raises(ValueError, match="Not supported in synchronous mode"):
        dev.read_attribute("double_scalar", timeout=1)


def test_global_green_mode_and_per_call_mode(tango_host):
    assert tango_core.get_green_mode() is GreenMode.Synchronous
    with pytest.raises(TypeError, match="Not a valid green mode"):
        tango_core.set_green_mode("asyncio")
    tango_core.set_green_mode(GreenMode.Futures)
    try:
        dev = tango_core.DeviceProxy(TANGOTEST)
        assert dev.get_green_mode() is GreenMode.Futures
        assert isinstance(dev.state(wait=False), concurrent.futures.Future)
    finally:
        tango_core.set_green_mode(GreenMode.Synchronous)
    assert dev.get_green_mode() is GreenMode.Synchronous  # it had no mode of its own

    async def per_call():
        return await dev.state(green_mode=GreenMode.Asyncio)

    assert asyncio.run(per_call()) == DevState.RUNNING


def test_all_modes_in_one_process(tango_host):
    import gevent

    import tango_core.gevent

    sync = tango_core.DeviceProxy(TANGOTEST)
    fut = tango_core.futures.DeviceProxy(TANGOTEST)
    green = tango_core.gevent.DeviceProxy(TANGOTEST)

    async def main():
        dev = await tango_core.asyncio.DeviceProxy(TANGOTEST)
        pending = [dev.command_inout("DevLong", i) for i in range(50)]
        others = [sync.command_inout("DevLong", 1), fut.command_inout("DevLong", 2, wait=False).result(10),
                  green.command_inout("DevLong", 3)]
        return await asyncio.gather(*pending), others

    values, others = asyncio.run(main())
    assert values == list(range(50)) and others == [1, 2, 3]
    jobs = [gevent.spawn(green.command_inout, "DevLong", i) for i in range(20)]
    gevent.joinall(jobs, timeout=10)
    assert [j.value for j in jobs] == list(range(20))


# -- gevent ---------------------------------------------------------------------------------------------


def test_gevent_call_lets_other_greenlets_run(db_server):
    import gevent
    import gevent.event

    import tango_core.gevent

    dev = tango_core.gevent.DeviceProxy("test/dev/1")
    assert dev.get_green_mode() is GreenMode.Gevent
    ticks = []

    def tick():
        while True:
            gevent.sleep(0.01)
            ticks.append(1)

    ticker = gevent.spawn(tick)
    t0 = time.monotonic()
    dev.command_inout("Sleep", 0.5)
    elapsed = time.monotonic() - t0
    ticker.kill()
    assert elapsed >= 0.5 and len(ticks) >= 20
    result = dev.read_attribute("long_rw", wait=False)
    assert isinstance(result, gevent.event.AsyncResult)
    assert result.get(timeout=10).name == "long_rw"
    with pytest.raises(gevent.Timeout):
        dev.command_inout("Sleep", 0.5, timeout=0.05)


def test_gevent_with_monkey_patching_in_a_subprocess(db_server, tango_host):
    """Reads, writes, commands and events with gevent's monkey-patching on, other greenlets running."""
    script = textwrap.dedent("""
        from gevent import monkey
        monkey.patch_all()
        import json, time
        import gevent
        import tango_core, tango_core.gevent
        from event_channel import wait_until_events_arrive

        ticks = []
        def tick():
            while True:
                gevent.sleep(0.01)
                ticks.append(time.monotonic())
        gevent.spawn(tick)
        dev = tango_core.gevent.DeviceProxy("test/dev/1")
        out = {}
        dev.write_attribute("long_rw", 41)
        out["read"] = int(dev.read_attribute("long_rw").value)
        out["command"] = dev.command_inout("EchoDouble", 2.5)
        jobs = [gevent.spawn(dev.command_inout, "EchoDouble", float(i)) for i in range(50)]
        gevent.joinall(jobs, timeout=20)
        out["concurrent"] = [j.value for j in jobs]
        t0 = time.monotonic()
        n0 = len(ticks)
        dev.command_inout("Sleep", 0.5)
        out["ticks_during_sleep"] = len(ticks) - n0
        seen = []
        eid = dev.subscribe_event("counter", tango_core.EventType.CHANGE_EVENT, seen.append)
        wait_until_events_arrive(tango_core.DeviceProxy("test/dev/1"), tango_core.EventType, "last_written")
        dev.command_inout("PushCounterEvent")
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            gevent.sleep(0.05)
        dev.unsubscribe_event(eid)
        out["events"] = [bool(e.err) for e in seen]
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        out["longest_tick_gap"] = max(gaps)
        print(json.dumps(out))
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]), TANGO_HOST=tango_host)
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["read"] == 41 and out["command"] == 2.5
    assert out["concurrent"] == [float(i) for i in range(50)]
    assert out["ticks_during_sleep"] >= 20
    assert len(out["events"]) >= 2 and not any(out["events"])
    assert out["longest_tick_gap"] < 0.5, out  # no call blocked the hub for long


# -- every mode against our own server ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["Synchronous", "Futures", "Gevent", "Asyncio"])
def test_every_mode_against_tango_cores_own_server(core_nodb_server, mode):
    """The TestServer class served by tango_core: read, write, command and events in each mode."""
    name = core_nodb_server.devices[0]

    def plain(dev):  # Synchronous, Futures (wait=True) and Gevent (in the calling greenlet)
        dev.write_attribute("long_rw", 23)
        seen = []
        eid = dev.subscribe_event("counter", tango_core.EventType.CHANGE_EVENT, seen.append)
        _live(name)
        dev.command_inout("PushCounterEvent")
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            if mode == "Gevent":
                import gevent
                gevent.sleep(0.02)
            else:
                time.sleep(0.02)
        dev.unsubscribe_event(eid)
        return dev.read_attribute("long_rw").value, dev.command_inout("EchoDouble", 4.5), dev.long_rw, seen

    if mode == "Asyncio":
        async def main():
            dev = await tango_core.asyncio.DeviceProxy(name)
            await dev.write_attribute("long_rw", 23)
            seen = []
            two = asyncio.Event()

            async def on_event(event):
                seen.append(event)
                if len(seen) >= 2:
                    two.set()

            eid = await dev.subscribe_event("counter", tango_core.EventType.CHANGE_EVENT, on_event)
            await asyncio.get_running_loop().run_in_executor(None, _live, name)
            await dev.command_inout("PushCounterEvent")
            await asyncio.wait_for(two.wait(), 10)
            await dev.unsubscribe_event(eid)
            return ((await dev.read_attribute("long_rw")).value, await dev.command_inout("EchoDouble", 4.5),
                    await dev.long_rw, seen)

        value, echoed, dynamic, seen = asyncio.run(main())
    elif mode == "Gevent":
        from tango_core import gevent as gevent_face

        value, echoed, dynamic, seen = plain(gevent_face.DeviceProxy(name))
    elif mode == "Futures":
        value, echoed, dynamic, seen = plain(tango_core.futures.DeviceProxy(name))
    else:
        value, echoed, dynamic, seen = plain(tango_core.DeviceProxy(name))
    assert (value, echoed, dynamic) == (23, 4.5, 23)
    assert len(seen) >= 2 and not any(e.err for e in seen)


def test_pytango_green_mode_environment_variable():
    """``PYTANGO_GREEN_MODE`` sets the process-wide mode at import, as in PyTango."""
    code = ("import tango_core\n"
            "print(repr(tango_core.get_green_mode()))\n"
            "tango_core.set_green_mode(None)\n"
            "print(repr(tango_core.get_green_mode()))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTANGO_GREEN_MODE="futures")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["<GreenMode.Futures:", "1>", "None"]



_SYNC_CALLBACK_WARNINGS = textwrap.dedent("""
    import json, sys, warnings
    module = __import__(sys.argv[1])
    warned_keys = __import__(sys.argv[1] + "._warnings", fromlist=["x"])._already_warned_keys

    def plain_callback(event):
        pass

    dev = module.DeviceProxy(sys.argv[2], green_mode=module.GreenMode.Asyncio)
    warned_keys.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ids = [dev.subscribe_event("double_scalar", module.EventType.ATTR_CONF_EVENT, plain_callback, wait=True)
               for _ in range(2)]
        for eid in ids:
            dev.unsubscribe_event(eid, wait=True)
    print(json.dumps([f"{w.category.__name__}: {w.message}" for w in caught]))
    sys.stdout.flush()
    import os
    os._exit(0)  # PyTango's executor threads are not daemons
""")


def _sync_callback_warnings(module: str, name: str) -> list[str]:
    """The warnings of two asyncio-mode subscriptions with one plain (not async) callback, in a
    process of their own (PyTango's asyncio executor leaves threads behind)."""
    out = subprocess.run([sys.executable, "-c", _SYNC_CALLBACK_WARNINGS, module, name], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_asyncio_mode_warns_once_about_a_plain_event_callback_as_pytango(tango_host):
    """PyTango's asyncio executor gives a DeprecationWarning the first time it calls a plain
    function as an event callback; ours gives the same, once."""
    pytest.importorskip("tango")  # the reference client
    name = f"tango://{tango_host}/{TANGOTEST}"
    ours = _sync_callback_warnings("tango_core", name)
    theirs = _sync_callback_warnings("tango", name)
    assert [w.split(" function called")[0] for w in ours] == [w.split(" function called")[0] for w in theirs]
    assert len(ours) == 1 and ours[0].startswith("DeprecationWarning: Sync ")
    assert "support of sync functions in PyTango's Asyncio mode is deprecated" in ours[0]
