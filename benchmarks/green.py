"""Green modes: tango_core's asyncio and gevent proxies vs PyTango's, on the same TangoTest, in one run.

    python benchmarks/green.py [--tango-host HOST:PORT] [--rounds N] [--batch K]

Without ``--tango-host`` it starts PyTango's database + Debian's TangoTest on loopback
(tests/peers.py) and stops them at the end. Every figure comes from rounds that alternate between
the two sides (ours, theirs, ours, ...), with the garbage collector on as in a user's session;
the table gives medians and ratios.

* gathered batch: K concurrent ``read_attribute("double_scalar")`` (``asyncio.gather`` of K
  awaitables; with gevent, K greenlets joined), reads per second; target >= 3x PyTango's.
  PyTango runs each call in a thread of its executor; tango_core's asyncio proxy multiplexes
  them on one connection, its gevent proxy uses gevent sockets.
* sequential awaits: one ``await dev.read_attribute(...)`` after the other, against our own
  synchronous call (target <= 1.2x) and against PyTango's asyncio proxy; the same for
  ``state()``, a write, a command and the 251x251 image (issue 12's figures through the asyncio
  face), with the client CPU per call.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

DEV = "sys/tg_test/1"


def _alternate(ours, theirs, rounds: int) -> tuple[list, list]:
    """Run ``ours()``/``theirs()`` (each returns a measurement) in alternating rounds."""
    a, b = [], []
    for i in range(rounds):
        if i % 2:
            b.append(theirs())
            a.append(ours())
        else:
            a.append(ours())
            b.append(theirs())
    return a, b


def _timed(fn, n: int) -> tuple[float, float]:
    """(wall, client CPU) per call of ``n`` calls of ``fn()``."""
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - w0) / n, (time.process_time() - c0) / n


def gathered_asyncio(loop, ours, theirs, batch: int, rounds: int):
    async def batch_of(dev):
        t0 = time.perf_counter()
        results = await asyncio.gather(*(dev.read_attribute("double_scalar") for _ in range(batch)))
        assert len(results) == batch and results[-1].name == "double_scalar"
        return batch / (time.perf_counter() - t0)

    return _alternate(lambda: loop.run_until_complete(batch_of(ours)),
                      lambda: loop.run_until_complete(batch_of(theirs)), rounds)


def gathered_gevent(ours, theirs, batch: int, rounds: int):
    import gevent

    def batch_of(dev):
        t0 = time.perf_counter()
        jobs = [gevent.spawn(dev.read_attribute, "double_scalar") for _ in range(batch)]
        gevent.joinall(jobs, raise_error=True)
        assert jobs[-1].value.name == "double_scalar"
        return batch / (time.perf_counter() - t0)

    return _alternate(lambda: batch_of(ours), lambda: batch_of(theirs), rounds)


def sequential(loop, calls: dict, n: int, rounds: int):
    """{label: (ours_async, theirs_async, ours_sync)} -> {label: (a, b, s)} lists of (wall, cpu)."""
    out = {}
    for label, (ours, theirs, sync) in calls.items():
        async def many(fn):
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                await fn()
            return (time.perf_counter() - w0) / n, (time.process_time() - c0) / n

        loop.run_until_complete(ours())
        loop.run_until_complete(theirs())
        sync()
        a, b, s = [], [], []
        for i in range(rounds):
            order = [(a, lambda: loop.run_until_complete(many(ours))),
                     (b, lambda: loop.run_until_complete(many(theirs))),
                     (s, lambda: _timed(sync, n))]
            for target, run in order[i % 3:] + order[:i % 3]:
                target.append(run())
        out[label] = (a, b, s)
    return out


def run(tango_host: str, rounds: int, batch: int, n: int) -> None:
    os.environ["TANGO_HOST"] = tango_host
    import gevent  # noqa: F401 - both libraries' gevent modes need it

    import tango  # the reference client (a test peer)
    import tango.asyncio
    import tango.gevent

    import tango_core
    import tango_core.asyncio
    import tango_core.gevent

    gc.enable()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    async def build(factory):  # inside the running loop: PyTango's executor binds itself to it
        return await factory(DEV)

    ours = loop.run_until_complete(build(tango_core.asyncio.DeviceProxy))
    theirs = loop.run_until_complete(build(tango.asyncio.DeviceProxy))
    sync = tango_core.DeviceProxy(DEV)

    print(f"{'gathered batch of ' + str(batch) + ' read_attribute':44s} {'tango_core':>12s} {'PyTango':>12s} "
          f"{'ratio':>7s}  target")
    a, b = gathered_asyncio(loop, ours, theirs, batch, rounds)
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{'asyncio.gather (reads/s)':44s} {ma:12,.0f} {mb:12,.0f} {ma / mb:6.2f}x  >= 3.0x "
          f"{'ok' if ma / mb >= 3 else 'MISSED'}  (rounds: {', '.join(f'{x / y:.1f}x' for x, y in zip(a, b))})")
    g_ours, g_theirs = tango_core.gevent.DeviceProxy(DEV), tango.gevent.DeviceProxy(DEV)
    a, b = gathered_gevent(g_ours, g_theirs, batch, rounds)
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{'gevent greenlets (reads/s)':44s} {ma:12,.0f} {mb:12,.0f} {ma / mb:6.2f}x")

    calls = {
        "read_attribute(double_scalar)": (lambda: ours.read_attribute("double_scalar"),
                                          lambda: theirs.read_attribute("double_scalar"),
                                          lambda: sync.read_attribute("double_scalar")),
        "state()": (ours.state, theirs.state, sync.state),
        "write_attribute(double_scalar, 1.5)": (lambda: ours.write_attribute("double_scalar", 1.5),
                                                lambda: theirs.write_attribute("double_scalar", 1.5),
                                                lambda: sync.write_attribute("double_scalar", 1.5)),
        "command_inout(DevDouble, 1.5)": (lambda: ours.command_inout("DevDouble", 1.5),
                                          lambda: theirs.command_inout("DevDouble", 1.5),
                                          lambda: sync.command_inout("DevDouble", 1.5)),
        "read_attribute(double_image_ro)": (lambda: ours.read_attribute("double_image_ro"),
                                            lambda: theirs.read_attribute("double_image_ro"),
                                            lambda: sync.read_attribute("double_image_ro")),
    }
    print()
    print(f"{'one await after the other':34s} {'ours await':>12s} {'PyTango await':>14s} {'ours sync':>11s} "
          f"{'vs PyTango':>10s} {'vs sync':>8s}  {'CPU ours/PyTango/sync':>24s}")
    for label, (a, b, s) in sequential(loop, calls, n, rounds).items():
        wa, wb, ws = (statistics.median(w for w, _c in x) for x in (a, b, s))
        ca, cb, cs = (statistics.median(c for _w, c in x) for x in (a, b, s))
        target = ""
        if label.startswith("read_attribute(double_scalar)"):
            target = f"  (target vs sync <= 1.2x: {'ok' if wa / ws <= 1.2 else 'MISSED'})"
        print(f"{label:34s} {wa * 1e6:10.1f}us {wb * 1e6:12.1f}us {ws * 1e6:9.1f}us {wa / wb:9.2f}x "
              f"{wa / ws:7.2f}x  {ca * 1e6:7.1f}/{cb * 1e6:.1f}/{cs * 1e6:.1f} us{target}")
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    import tango.green

    if tango.green._PYTANGOTHREADPOOLEXECUTOR is not None:  # its workers are not daemons
        tango.green._PYTANGOTHREADPOOLEXECUTOR.shutdown(wait=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tango-host", help="use this running database + TangoTest instead of starting them")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200, help="calls per round of the sequential figures")
    args = parser.parse_args()
    import peers

    with peers.pytango_system(args.tango_host) as tango_host:
        run(tango_host, args.rounds, args.batch, args.calls)


if __name__ == "__main__":
    main()
