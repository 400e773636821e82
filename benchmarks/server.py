"""tango_core's device server vs PyTango's, serving the same device class, driven by PyTango clients.

    python benchmarks/server.py [--rounds N] [--batch K] [--concurrent-s S] [--events E] [--starts M] [--repeat R]

``benchmarks/bench_server.py`` (class ``BenchDevice``, PyTango's API only) is started twice in
no-database mode on loopback: once by PyTango 10.3.1, once by tango_core (through
``tests/servers/on_tango_core.py``, which maps ``tango`` to ``tango_core``). The clients are
always PyTango 10.3.1, so only the server differs. Measured, in rounds that alternate between
the two servers so that machine noise hits both alike:

* latency per call (a PyTango ``DeviceProxy`` in this process, GC off while timing; each round a
  batch of K calls, median over N rounds): ``read_attribute("double_scalar")``,
  ``read_attribute("double_image_ro")`` (251 x 251 doubles), ``write_attribute("double_scalar",
  1.5)``, ``command_inout("DevDouble", 1.5)``;
* requests/s with 8 concurrent clients: 8 client processes (one PyTango ``DeviceProxy`` each)
  reading ``double_scalar`` in a loop for S seconds from a common start time;
* change events: the device pushes E change events of a scalar double back to back
  (``BurstTimed``); pushed/s is the server's own rate, received/s what a subscribed PyTango
  client got (received / (last - first reception));
* start-up: process start to the "Ready to accept request" line on stdout, M starts of each
  (alternating), median.  Both start from compiled bytecode: PyTango is installed with its
  ``.pyc`` files, and tango_core (run from this checkout) is compiled first into a cache outside
  it (``PYTHONPYCACHEPREFIX``), as an installed package would be.

The whole set is repeated R times (default 3) and every figure is the median of the R runs.
Targets (issue 9): every latency <= 1.0x, requests/s and events/s >= 1.0x, start-up <= 0.5x.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SERVER_FILE = Path(__file__).resolve().parent / "bench_server.py"
LAUNCHER = ROOT / "tests" / "servers" / "on_tango_core.py"
DEVICE = "test/bench/1"
IMPLS = ("tango_core", "PyTango")

# label -> (kind, target): kind "time" (lower is better, ratio <= target) or "rate" (>= target)
TARGETS = {
    "read double_scalar": ("time", 1.0),
    "read double_image_ro (251x251)": ("time", 1.0),
    "write double_scalar": ("time", 1.0),
    "command DevDouble": ("time", 1.0),
    "requests/s, 8 concurrent clients": ("rate", 1.0),
    "change events pushed/s": ("rate", 1.0),
    "change events received/s": ("rate", 1.0),
    "start-up to 'Ready to accept request'": ("time", 0.5),
}


#: bytecode cache for the server processes: PyTango comes installed with its .pyc files, so
#: tango_core gets one too (outside the checkout) instead of compiling its sources at every start
#: (PYTHONDONTWRITEBYTECODE may be set in the environment)
PYCACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "tango_core-bench-pycache"


def _env(impl: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TANGO_HOST", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if impl == "tango_core":
        env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH", "")) if x)
    return env


def _argv(impl: str, instance: str, port: int) -> list[str]:
    start = [str(LAUNCHER)] if impl == "tango_core" else [
        "-c", "import runpy, sys; path = sys.argv.pop(1); sys.argv[0] = sys.argv.pop(1); "
              "runpy.run_path(path, run_name='__main__')"]
    return [sys.executable, *start, str(SERVER_FILE), "BenchServer", instance,
            "-ORBendPoint", f"giop:tcp:127.0.0.1:{port}", "-nodb", "-dlist", DEVICE]


# -- start-up ------------------------------------------------------------------------------------

def time_start(impl: str) -> float:
    """Seconds from spawning the server process to its "Ready to accept request" line."""
    import peers

    port = peers.free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(_argv(impl, "start", port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=_env(impl), text=True)
    try:
        out = []
        for line in proc.stdout:
            out.append(line)
            if "Ready to accept request" in line:
                return time.perf_counter() - t0
        raise RuntimeError(f"{impl} server exited before it was ready:\n{''.join(out)}")
    finally:
        peers.stop_process(proc)
        proc.stdout.close()


# -- latency -------------------------------------------------------------------------------------

def _time_batch(fn, batch: int) -> float:
    t0 = time.perf_counter()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - t0) / batch


def latencies(proxies: dict, rounds: int, batch: int) -> dict[str, dict[str, float]]:
    ops = {
        "read double_scalar": (lambda p: lambda: p.read_attribute("double_scalar"), batch),
        "read double_image_ro (251x251)": (lambda p: lambda: p.read_attribute("double_image_ro"),
                                           max(batch // 2, 1)),
        "write double_scalar": (lambda p: lambda: p.write_attribute("double_scalar", 1.5), batch),
        "command DevDouble": (lambda p: lambda: p.command_inout("DevDouble", 1.5), batch),
    }
    out: dict[str, dict[str, float]] = {}
    for label, (make, k) in ops.items():
        fns = {impl: make(p) for impl, p in proxies.items()}
        for fn in fns.values():   # warm up
            for _ in range(5):
                fn()
        per = {impl: [] for impl in fns}
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for i in range(rounds):
                for impl in (IMPLS if i % 2 == 0 else IMPLS[::-1]):
                    per[impl].append(_time_batch(fns[impl], k))
        finally:
            if gc_was:
                gc.enable()
        out[label] = {impl: statistics.median(v) for impl, v in per.items()}
    return out


# -- requests/s with concurrent clients -----------------------------------------------------------

CLIENT = textwrap.dedent("""
    import sys, time
    import tango
    trl, seconds = sys.argv[1], float(sys.argv[2])
    p = tango.DeviceProxy(trl)
    p.set_timeout_millis(30000)
    for attempt in range(10):       # a loaded machine may miss the first connection's time-out
        try:
            p.read_attribute("double_scalar")
            break
        except tango.DevFailed:
            if attempt == 9:
                raise
            time.sleep(1.1)
    print("ready", flush=True)
    start = float(sys.stdin.readline())       # the same start time for every client
    while time.time() < start:
        time.sleep(0.0005)
    n, end = 0, start + seconds
    while time.time() < end:
        p.read_attribute("double_scalar")
        n += 1
    print(n, flush=True)
""")


def concurrent_rate(trl: str, clients: int, seconds: float) -> float:
    """Requests/s served to ``clients`` processes calling at once for ``seconds``."""
    procs = [subprocess.Popen([sys.executable, "-c", CLIENT, trl, repr(seconds)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=_env("PyTango"))
             for _ in range(clients)]
    try:
        for p in procs:   # every client imported PyTango and connected
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"client failed to start: {line!r}")
        start = time.time() + 0.2
        for p in procs:
            p.stdin.write(f"{start!r}\n")
            p.stdin.flush()
        total = 0
        for p in procs:
            out, _ = p.communicate(timeout=60 + seconds)
            if p.returncode != 0:
                raise RuntimeError(f"client failed ({p.returncode}): {out}")
            total += int(out.strip().splitlines()[-1])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return total / seconds


# -- events --------------------------------------------------------------------------------------

def event_rates(proxy, n: int) -> tuple[float, float, int]:
    """(pushed/s by the server, received/s by the PyTango client in this process, received)."""
    import tango

    times: list[float] = []
    first = threading.Event()

    def cb(ev) -> None:
        if not ev.err:
            times.append(time.perf_counter())
            first.set()

    eid = proxy.subscribe_event("value", tango.EventType.CHANGE_EVENT, cb)
    try:
        first.wait(5)
        time.sleep(0.2)
        times.clear()
        push_s = proxy.command_inout("BurstTimed", n)
        last_n, last_change, limit = -1, time.monotonic(), time.monotonic() + 120
        while len(times) < n and time.monotonic() < limit:   # until all arrived or 2 s quiet
            if len(times) != last_n:
                last_n, last_change = len(times), time.monotonic()
            elif time.monotonic() - last_change > 2.0:
                break
            time.sleep(0.02)
    finally:
        proxy.unsubscribe_event(eid)
    got = len(times)
    span = times[-1] - times[0] if got > 1 else float("nan")
    return n / push_s, (got - 1) / span if got > 1 else float("nan"), got


# -- one run ---------------------------------------------------------------------------------------

def one_run(servers: dict, args) -> dict[str, dict[str, float]]:
    import tango

    proxies = {impl: tango.DeviceProxy(s.device) for impl, s in servers.items()}
    for p in proxies.values():
        p.set_timeout_millis(120_000)
    res = latencies(proxies, args.rounds, args.batch)
    label = "requests/s, 8 concurrent clients"
    res[label] = {}
    for impl in IMPLS:
        res[label][impl] = concurrent_rate(servers[impl].device, 8, args.concurrent_s)
    pushed, received = "change events pushed/s", "change events received/s"
    res[pushed], res[received], res["change events received (of pushed)"] = {}, {}, {}
    for impl in IMPLS:
        a, b, got = event_rates(proxies[impl], args.events)
        res[pushed][impl], res[received][impl] = a, b
        res["change events received (of pushed)"][impl] = got
    label = "start-up to 'Ready to accept request'"
    starts = {impl: [] for impl in IMPLS}
    for i in range(args.starts):
        for impl in (IMPLS if i % 2 == 0 else IMPLS[::-1]):
            starts[impl].append(time_start(impl))
    res[label] = {impl: statistics.median(v) for impl, v in starts.items()}
    return res


def _fmt(label: str, v: float) -> str:
    if label.startswith("start-up"):
        return f"{v * 1e3:,.0f} ms"
    if label.startswith(("read", "write", "command")):
        return f"{v * 1e6:,.1f} us"
    return f"{v:,.0f}"


def report(runs: list[dict]) -> dict:
    print(f"median of {len(runs)} run(s); ratio = tango_core / PyTango, per run in brackets")
    print(f"{'':42}{'tango_core':>14}{'PyTango':>14}{'ratio':>8}  target")
    summary = {}
    for label in runs[0]:
        ours = statistics.median(r[label]["tango_core"] for r in runs)
        theirs = statistics.median(r[label]["PyTango"] for r in runs)
        ratios = [r[label]["tango_core"] / r[label]["PyTango"] if r[label]["PyTango"] else float("nan")
                  for r in runs]
        ratio = statistics.median(ratios)
        kind, target = TARGETS.get(label, (None, None))
        verdict = ""
        if kind is not None:
            ok = ratio <= target if kind == "time" else ratio >= target
            verdict = f"{'<=' if kind == 'time' else '>='} {target:.1f}x {'met' if ok else 'MISSED'}"
        each = ", ".join(f"{x:.2f}" for x in ratios)
        print(f"{label:42}{_fmt(label, ours):>14}{_fmt(label, theirs):>14}{ratio:>7.2f}x  {verdict}  [{each}]")
        summary[label] = {"tango_core": ours, "PyTango": theirs, "ratio": ratio, "ratios": ratios}
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20, help="latency rounds per run (alternating)")
    ap.add_argument("--batch", type=int, default=100, help="calls per latency round")
    ap.add_argument("--concurrent-s", type=float, default=3.0, help="seconds of the 8-client load")
    ap.add_argument("--events", type=int, default=20_000, help="change events pushed per run")
    ap.add_argument("--starts", type=int, default=5, help="process starts of each server per run")
    ap.add_argument("--repeat", type=int, default=3, help="runs; figures are medians over them")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import peers

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tango_core"), str(SERVER_FILE),
                    str(LAUNCHER)], env=_env("tango_core"), check=True)
    servers = {}
    try:
        for impl in IMPLS:
            servers[impl] = peers.start_pytango_server(SERVER_FILE, "bench", nodb=True, device_names=[DEVICE],
                                                       device_class="BenchDevice", server_name="BenchServer",
                                                       on_tango_core=(impl == "tango_core"))
        runs = []
        for i in range(args.repeat):
            print(f"run {i + 1}/{args.repeat} (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
            runs.append(one_run(servers, args))
    finally:
        for s in servers.values():
            s.stop()
    summary = report(runs)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
