"""tango_core's client vs PyTango's, side by side on the same TangoTest, in one run.

    python benchmarks/client.py [--tango-host HOST:PORT] [--rounds N] [--batch K]

Without ``--tango-host`` it starts PyTango's database + Debian's TangoTest on loopback
(tests/peers.py) and stops them at the end. Each operation is timed in rounds that alternate
between the two clients (ours, theirs, ours, ...), so machine noise hits both alike; each round
times a batch of K calls. The table gives the median per call and the ratio ours/theirs, with the
targets from the brief (scalar read <= 1.5x, image read <= 1.0x, proxy creation <= 1.0x).
"""

from __future__ import annotations

import argparse
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
TARGETS = {"DeviceProxy creation": 1.0, "read double_scalar": 1.5, "read double_image_ro": 1.0}


def _time_batch(fn, batch: int) -> float:
    t0 = time.perf_counter()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - t0) / batch


def compare(label: str, ours, theirs, rounds: int, batch: int) -> tuple[str, float, float]:
    ours(), theirs()  # warm up (caches, connections)
    a, b = [], []
    gc_was = gc.isenabled()
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
    return label, statistics.median(a), statistics.median(b)


def run(tango_host: str, rounds: int, batch: int) -> list[tuple[str, float, float]]:
    os.environ["TANGO_HOST"] = tango_host
    import tango  # the reference client (a test peer)

    import tango_core

    ours, theirs = tango_core.DeviceProxy(DEV), tango.DeviceProxy(DEV)
    ours_db, theirs_db = tango_core.Database(), tango.Database()
    results = [
        compare("DeviceProxy creation", lambda: tango_core.DeviceProxy(DEV), lambda: tango.DeviceProxy(DEV),
                max(rounds // 4, 5), max(batch // 4, 1)),
        compare("state()", ours.state, theirs.state, rounds, batch),
        compare("read double_scalar", lambda: ours.read_attribute("double_scalar"),
                lambda: theirs.read_attribute("double_scalar"), rounds, batch),
        compare("read double_image_ro", lambda: ours.read_attribute("double_image_ro"),
                lambda: theirs.read_attribute("double_image_ro"), rounds, max(batch // 2, 1)),
        compare("write double_scalar", lambda: ours.write_attribute("double_scalar", 1.5),
                lambda: theirs.write_attribute("double_scalar", 1.5), rounds, batch),
        compare("DevDouble command", lambda: ours.command_inout("DevDouble", 1.5),
                lambda: theirs.command_inout("DevDouble", 1.5), rounds, batch),
        compare('Database().get_device_exported("*")', lambda: ours_db.get_device_exported("*"),
                lambda: theirs_db.get_device_exported("*"), rounds, batch),
    ]
    return results


def report(results) -> None:
    print(f"{'operation':40s} {'tango_core':>12s} {'PyTango':>12s} {'ratio':>7s}  target")
    for label, a, b in results:
        target = TARGETS.get(label)
        verdict = "" if target is None else (f"<= {target:.1f}x " + ("ok" if a / b <= target else "MISSED"))
        print(f"{label:40s} {a * 1e6:10.1f}us {b * 1e6:10.1f}us {a / b:6.2f}x  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tango-host", help="use this running database + TangoTest instead of starting them")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    started = []
    tango_host = args.tango_host
    if tango_host is None:
        import peers

        db = peers.start_pytango_database()
        started.append(db)
        started.append(peers.start_tangotest(db.tango_host))
        tango_host = db.tango_host
    try:
        report(run(tango_host, args.rounds, args.batch))
    finally:
        for peer in reversed(started):
            peer.stop()


if __name__ == "__main__":
    main()
