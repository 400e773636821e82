"""Change events published by a tango_core server vs a PyTango 10.3.1 server, one device class.

    python benchmarks/server_events.py [--scalars N] [--spectra M] [--latency K] [--rounds R] [--json FILE]

tests/servers/event_server.py's EventDevice is served twice, without a database: by PyTango
(cppTango 10.3.3 underneath) and by tango_core (event_server_on_tango_core.py, same code on
``tango_core.server``).  PyTango's client in this process subscribes to change events and asks
each server to push as fast as it can (``BurstTimed(n)``: n scalar doubles whose value is the push
time; ``BurstSpectrumTimed(m)``: m spectra of 10,000 doubles).  Rounds alternate between the two
servers so that machine noise hits both alike; medians of R rounds, ratios ours/PyTango:

* pushed/s   = n / the server's own push duration (what ``push_change_event`` costs);
* received/s = events received / (last reception - first reception) at PyTango's client;
* received   = how many of the n arrived (PUB high-water mark 1000 on both sides: a client that
               cannot follow loses events, reported by PyTango as API_MissedEvents);
* latency    = median push-to-callback time over K events pushed one at a time.

Target (issue 9): events/s >= 1.0x PyTango's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from events import wait_for_events  # benchmarks/events.py, next to this file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SERVERS = {
    "PyTango": ROOT / "tests" / "servers" / "event_server.py",
    "tango_core": ROOT / "tests" / "servers" / "event_server_on_tango_core.py",
}


class _Sink:
    """Callback recording (reception time, pushed value) and counting error events."""

    def __init__(self, spectrum: bool) -> None:
        self.rx: list[tuple[float, float]] = []
        self.spectrum = spectrum
        self.errors: dict[str, int] = {}
        self.first = threading.Event()

    def __call__(self, ev) -> None:
        now = time.time()
        if ev.err:
            reason = ev.errors[0].reason
            self.errors[reason] = self.errors.get(reason, 0) + 1
            return
        v = ev.attr_value.value
        self.rx.append((now, float(v[0]) if self.spectrum else float(v)))
        self.first.set()


def _burst(dev, tango, attr: str, cmd: str, n: int, spectrum: bool) -> dict:
    sink = _Sink(spectrum)
    eid = dev.subscribe_event(attr, tango.EventType.CHANGE_EVENT, sink)
    try:
        sink.first.wait(5)
        time.sleep(0.3)
        sink.rx.clear()
        sink.errors.clear()
        push_s = dev.command_inout(cmd, n)
        wait_for_events(sink, n)
    finally:
        dev.unsubscribe_event(eid)
    rx = sink.rx
    span = rx[-1][0] - rx[0][0] if len(rx) > 1 else float("nan")
    return {"pushed_per_s": n / push_s if push_s > 0 else float("nan"),
            "received_per_s": (len(rx) - 1) / span if len(rx) > 1 and span > 0 else float("nan"),
            "received": len(rx), "expected": n, "missed_reports": sink.errors.get("API_MissedEvents", 0),
            "other_errors": {k: v for k, v in sink.errors.items() if k != "API_MissedEvents"}}


def _latency(dev, tango, k: int) -> dict:
    sink = _Sink(False)
    eid = dev.subscribe_event("value", tango.EventType.CHANGE_EVENT, sink)
    try:
        sink.first.wait(5)
        time.sleep(0.3)
        sink.rx.clear()
        for _ in range(k):
            dev.command_inout("BurstTimed", 1)
            time.sleep(0.002)
        wait_for_events(sink, k)
    finally:
        dev.unsubscribe_event(eid)
    lat = sorted((r - p) * 1e3 for r, p in sink.rx)
    return {"median_ms": statistics.median(lat) if lat else float("nan"),
            "p90_ms": lat[int(0.9 * (len(lat) - 1))] if lat else float("nan")}


def one_round(device: str, n_scalar: int, n_spec: int, n_lat: int) -> dict:
    import tango
    dev = tango.DeviceProxy(device)
    dev.set_timeout_millis(120_000)
    return {"scalar": _burst(dev, tango, "value", "BurstTimed", n_scalar, False),
            "spectrum": _burst(dev, tango, "spectrum", "BurstSpectrumTimed", n_spec, True),
            "latency": _latency(dev, tango, n_lat)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scalars", type=int, default=20000)
    ap.add_argument("--spectra", type=int, default=300)
    ap.add_argument("--latency", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="also write every round's figures to this file")
    args = ap.parse_args()

    import peers

    servers = {}
    runs: dict[str, list[dict]] = {name: [] for name in SERVERS}
    try:
        for name, path in SERVERS.items():
            servers[name] = peers.start_pytango_server(path, "bench", nodb=True,
                                                       device_names=[f"test/bench{name.lower()}/1"],
                                                       device_class="EventDevice")
        order = list(SERVERS)
        for i in range(args.rounds):          # alternate who goes first
            for name in (order if i % 2 == 0 else order[::-1]):
                runs[name].append(one_round(servers[name].device, args.scalars, args.spectra, args.latency))
    finally:
        for peer in servers.values():
            peer.stop()

    def med(name: str, *keys: str) -> float:
        vals = []
        for r in runs[name]:
            v = r
            for k in keys:
                v = v[k]
            vals.append(v)
        return statistics.median(vals)

    ours, theirs = "tango_core", "PyTango"
    print(f"median of {args.rounds} alternating rounds, PyTango 10.3.1 client; both servers without a database")
    print(f"{'':38}{'tango_core':>13}{'PyTango':>13}{'ratio':>8}")
    for label, n in (("scalar", args.scalars), ("spectrum", args.spectra)):
        for key, text in (("pushed_per_s", "events/s pushed"), ("received_per_s", "events/s received")):
            o, t = med(ours, label, key), med(theirs, label, key)
            print(f"{label + ' ' + text:38}{o:>13,.0f}{t:>13,.0f}{o / t:>8.2f}")
        o, t = med(ours, label, "received"), med(theirs, label, "received")
        print(f"{'  received of ' + str(n):38}{o:>13,.0f}{t:>13,.0f}")
        o, t = med(ours, label, "missed_reports"), med(theirs, label, "missed_reports")
        print(f"{'  API_MissedEvents reports':38}{o:>13,.0f}{t:>13,.0f}")
    for q in ("median_ms", "p90_ms"):
        o, t = med(ours, "latency", q), med(theirs, "latency", q)
        print(f"{'push-to-callback latency ' + q[:-3] + ' ms':38}{o:>13.3f}{t:>13.3f}{o / t:>8.2f}")
    others = {name: [r[label]["other_errors"] for r in runs[name] for label in ("scalar", "spectrum")
                     if r[label]["other_errors"]] for name in runs}
    if any(others.values()):
        print(f"other error events: {others}")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
