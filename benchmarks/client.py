"""tango_core's client vs PyTango's, side by side on the same TangoTest, in one process.

    python benchmarks/client.py [--tango-host HOST:PORT] [--runs N] [--rounds N] [--batch K]
                                [--cpu-hog] [--no-gc] [--threads-seconds S]

Without ``--tango-host`` it starts PyTango's database + Debian's TangoTest on loopback
(tests/peers.py) and stops them at the end.  Each run is a fresh process; in it every operation
is timed in rounds that alternate between the two clients (ours, theirs, ours, ...), so machine
noise hits both alike; each round times a batch of K calls and the client CPU they cost
(``time.process_time``: this process, all its threads, so PyTango's ORB threads count too).
The garbage collector stays on, as in a user's session (``--no-gc`` turns it off while timing).
A run reports the median per call of each client and their ratio; with ``--runs N`` the table
gives the median over the runs (and the range of the ratio).  ``--cpu-hog`` runs a CPU-bound
process beside the benchmark (a busy machine).  The threads row is a rate: reads per second of
32 threads sharing one proxy plus 8 threads with their own, ``--threads-seconds`` each client.

Targets (issue 12, quiet machine): image read <= 1.0x, scalar read / state() / write <= 1.3x,
command <= 1.0x, proxy creation <= 0.6x, threads >= 1.0x PyTango's rate; with --cpu-hog the
image read <= 1.5x and the scalar read <= 2.0x.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

DEV = "sys/tg_test/1"
#: label -> (target ratio, target ratio with --cpu-hog); for rates "higher is better"
TARGETS = {
    "DeviceProxy() + ping()": (0.6, None),
    "state()": (1.3, None),
    'read_attribute("double_scalar")': (1.3, 2.0),
    'read_attribute("double_image_ro")': (1.0, 1.5),
    'write_attribute("double_scalar", 1.5)': (1.3, None),
    'command_inout("DevDouble", 1.5)': (1.0, None),
    "32+8 threads, reads/s": (1.0, None),
}
RATES = {"32+8 threads, reads/s"}
#: read together by the read_attributes row
SCALARS = ["double_scalar", "long_scalar", "short_scalar", "float_scalar", "boolean_scalar", "ulong_scalar",
           "long64_scalar", "uchar_scalar"]


def _time_batch(fn, batch: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - w0) / batch, (time.process_time() - c0) / batch


def compare(label: str, ours, theirs, rounds: int, batch: int, gc_on: bool) -> dict:
    ours(), theirs()  # warm up (caches, connections)
    a, b = [], []
    gc_was = gc.isenabled()
    if not gc_on:
        gc.disable()
    try:
        for i in range(rounds):
            if i % 2:
                b.append(_time_batch(theirs, batch))
                a.append(_time_batch(ours, batch))
            else:
                a.append(_time_batch(ours, batch))
                b.append(_time_batch(theirs, batch))
    finally:
        if gc_was:
            gc.enable()
    return {"label": label, "ours": statistics.median(x for x, _ in a), "theirs": statistics.median(x for x, _ in b),
            "ours_cpu": statistics.median(c for _, c in a), "theirs_cpu": statistics.median(c for _, c in b)}


def _reads_per_second(make_proxy, seconds: float) -> float:
    """32 threads sharing one proxy + 8 threads with their own, reading double_scalar."""
    shared = make_proxy()
    own = [make_proxy() for _ in range(8)]
    proxies = [shared] * 32 + own
    for p in own + [shared]:
        p.read_attribute("double_scalar")
    counts = [0] * len(proxies)
    errors: list[BaseException] = []
    start = threading.Barrier(len(proxies) + 1)
    stop = threading.Event()

    def work(i: int, proxy) -> None:
        start.wait()
        n = 0
        try:
            while not stop.is_set():
                proxy.read_attribute("double_scalar")
                n += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        counts[i] = n

    threads = [threading.Thread(target=work, args=(i, p), daemon=True) for i, p in enumerate(proxies)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(30)
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def one_run(tango_host: str, rounds: int, batch: int, gc_on: bool, threads_seconds: float) -> list[dict]:
    os.environ["TANGO_HOST"] = tango_host
    import tango  # the reference client (a test peer)

    import tango_core

    ours, theirs = tango_core.DeviceProxy(DEV), tango.DeviceProxy(DEV)
    ours_db, theirs_db = tango_core.Database(), tango.Database()
    numbers = [float(x) for x in range(1000)]  # a list of 1,000 Python floats, as scripts build them

    def new_ours():
        tango_core.DeviceProxy(DEV).ping()

    def new_theirs():
        tango.DeviceProxy(DEV).ping()

    results = [
        compare("DeviceProxy() + ping()", new_ours, new_theirs, max(rounds // 4, 5), max(batch // 4, 1), gc_on),
        compare("state()", ours.state, theirs.state, rounds, batch, gc_on),
        compare('read_attribute("double_scalar")', lambda: ours.read_attribute("double_scalar"),
                lambda: theirs.read_attribute("double_scalar"), rounds, batch, gc_on),
        compare('read_attribute("double_image_ro")', lambda: ours.read_attribute("double_image_ro"),
                lambda: theirs.read_attribute("double_image_ro"), rounds, max(batch // 2, 1), gc_on),
        compare('write_attribute("double_scalar", 1.5)', lambda: ours.write_attribute("double_scalar", 1.5),
                lambda: theirs.write_attribute("double_scalar", 1.5), rounds, batch, gc_on),
        compare('command_inout("DevDouble", 1.5)', lambda: ours.command_inout("DevDouble", 1.5),
                lambda: theirs.command_inout("DevDouble", 1.5), rounds, batch, gc_on),
        compare("read_attributes(8 scalars)", lambda: ours.read_attributes(SCALARS),
                lambda: theirs.read_attributes(SCALARS), rounds, batch, gc_on),
        compare('read_attribute("double_spectrum_ro")', lambda: ours.read_attribute("double_spectrum_ro"),
                lambda: theirs.read_attribute("double_spectrum_ro"), rounds, batch, gc_on),
        compare('command_inout("DevVarDoubleArray", list)', lambda: ours.command_inout("DevVarDoubleArray", numbers),
                lambda: theirs.command_inout("DevVarDoubleArray", numbers), rounds, batch, gc_on),
        compare('Database().get_device_exported("*")', lambda: ours_db.get_device_exported("*"),
                lambda: theirs_db.get_device_exported("*"), rounds, batch, gc_on),
    ]
    if threads_seconds > 0:
        rate_ours = _reads_per_second(lambda: tango_core.DeviceProxy(DEV), threads_seconds)
        rate_theirs = _reads_per_second(lambda: tango.DeviceProxy(DEV), threads_seconds)
        results.append({"label": "32+8 threads, reads/s", "ours": rate_ours, "theirs": rate_theirs,
                        "ours_cpu": None, "theirs_cpu": None})
    return results


def report(runs: list[list[dict]], hog: bool) -> None:
    print(f"{'operation':40s} {'tango_core':>10s} {'cpu':>8s} {'PyTango':>10s} {'cpu':>8s} {'ratio':>6s} "
          f"{'range':>11s}  target")
    for i, first in enumerate(runs[0]):
        label = first["label"]
        rows = [run[i] for run in runs]
        ratios = [r["ours"] / r["theirs"] for r in rows]
        ratio = statistics.median(ratios)
        ours = statistics.median(r["ours"] for r in rows)
        theirs = statistics.median(r["theirs"] for r in rows)
        target = TARGETS.get(label, (None, None))[1 if hog else 0]
        rate = label in RATES
        if target is None:
            verdict = ""
        else:
            met = ratio >= target if rate else ratio <= target
            verdict = f"{'>=' if rate else '<='} {target:.1f}x " + ("met" if met else "MISSED")
        span = f"{min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else ""
        if rate:
            print(f"{label:40s} {ours:10.0f} {'':>8s} {theirs:10.0f} {'':>8s} {ratio:5.2f}x {span:>11s}  {verdict}")
        else:
            cpu_a = statistics.median(r["ours_cpu"] for r in rows)
            cpu_b = statistics.median(r["theirs_cpu"] for r in rows)
            print(f"{label:40s} {ours * 1e6:8.1f}us {cpu_a * 1e6:6.1f}us {theirs * 1e6:8.1f}us {cpu_b * 1e6:6.1f}us "
                  f"{ratio:5.2f}x {span:>11s}  {verdict}")


def _cpu_hog() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tango-host", help="use this running database + TangoTest instead of starting them")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes to run (medians over them)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--threads-seconds", type=float, default=2.0)
    parser.add_argument("--cpu-hog", action="store_true", help="run a CPU-bound process beside the benchmark")
    parser.add_argument("--no-gc", action="store_true", help="garbage collector off while timing")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        print(json.dumps(one_run(args.tango_host, args.rounds, args.batch, not args.no_gc, args.threads_seconds)))
        return
    import peers

    with peers.pytango_system(args.tango_host) as tango_host:
        hog = _cpu_hog() if args.cpu_hog else None
        try:
            runs = []
            for _ in range(args.runs):
                cmd = [sys.executable, __file__, "--one-run", "--tango-host", tango_host, "--rounds", str(args.rounds),
                       "--batch", str(args.batch), "--threads-seconds", str(args.threads_seconds)]
                if args.no_gc:
                    cmd.append("--no-gc")
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
            print(f"{args.runs} run(s), GC {'off' if args.no_gc else 'on'}"
                  f"{', a CPU-bound process beside' if args.cpu_hog else ''}; per call: wall, client CPU")
            report(runs, args.cpu_hog)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()


if __name__ == "__main__":
    main()
