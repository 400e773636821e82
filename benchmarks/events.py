"""Event throughput and latency: tango_core's consumer vs PyTango's, on the same PyTango server, in one run.

    python benchmarks/events.py [--scalars N] [--spectra M] [--latency K] [--decode R] [--rounds X]

A PyTango 10.3.1 server (tests/servers/event_server.py, no-DB, started with tests/peers.py)
pushes change events as fast as it can: N scalar doubles, then M spectra of 10,000 doubles.
Each event's value is its push time, so the callback also measures push-to-callback latency.
The two clients are run one after the other against the same server (PyTango's in a child
process, so its threads do not compete with ours for the GIL):

* events/s  = events received / (last reception - first reception), with how many arrived;
              both clients keep up with the server, so this is mostly the server's push rate,
              which follows the load the client and the rest of the machine put on 2 cores;
* client CPU per event = the client process's CPU time (all its threads, ZMQ's included) from
              the burst's command to its last event, over the events received: what receiving
              costs the client, much less blurred by the machine's load;
* latency   = median (p90) of reception time - push time, over K events pushed one at a time;
* decode    = tango_core's decode path alone on one core (frames -> EventData), over frames
              captured from the same server with a raw SUB socket, in the form the receiver
              hands them on.

Targets (brief): at least PyTango's rate, and >= 20,000 scalar events/s decoded on one core.
"""

from __future__ import annotations

import argparse
import json
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

SERVER = ROOT / "tests" / "servers" / "event_server.py"


class _Sink:
    """Callback recording (reception time, push time) without doing anything else."""

    def __init__(self, spectrum: bool) -> None:
        self.rx: list[tuple[float, float]] = []
        self.spectrum = spectrum
        self.errors = 0
        self.first = threading.Event()

    def __call__(self, ev) -> None:
        now = time.time()
        if ev.err:
            self.errors += 1
            return
        v = ev.attr_value.value
        self.rx.append((now, float(v[0]) if self.spectrum else float(v)))
        self.first.set()


def wait_for_events(sink, expected: int, idle: float = 2.0, limit: float = 120.0) -> None:
    """Returns once ``sink`` received ``expected`` events, or none for ``idle`` seconds (the
    others are lost), or after ``limit`` seconds."""
    t_end = time.monotonic() + limit
    last_n, last_change = -1, time.monotonic()
    while time.monotonic() < t_end:
        n = len(sink.rx)
        if n >= expected:
            return
        if n != last_n:
            last_n, last_change = n, time.monotonic()
        elif time.monotonic() - last_change > idle:
            return
        time.sleep(0.02)


def _summarise(rx: list[tuple[float, float]], expected: int, push_s: float, cpu_s: float) -> dict:
    n = len(rx)
    span = rx[-1][0] - rx[0][0] if n > 1 else float("nan")
    return {"received": n, "expected": expected, "rate": (n - 1) / span if n > 1 and span > 0 else float("nan"),
            "server_push_rate": expected / push_s if push_s > 0 else float("nan"),
            "client_cpu_us": cpu_s / n * 1e6 if n else float("nan")}


def _latency(rx: list[tuple[float, float]]) -> dict:
    lat = sorted((r - p) * 1e3 for r, p in rx)
    if not lat:
        return {"median_ms": float("nan"), "p90_ms": float("nan")}
    return {"median_ms": statistics.median(lat), "p90_ms": lat[int(0.9 * (len(lat) - 1))]}


def measure_events(dev, change_event, n_scalar: int, n_spec: int, n_lat: int) -> dict:
    """The scalar and spectrum bursts, then the latency, received by ``dev``: a tango_core or a
    PyTango DeviceProxy (``change_event``: that library's EventType.CHANGE_EVENT), so that both
    clients are measured by the same code."""
    dev.set_timeout_millis(120_000)
    out = {}
    for label, attr, cmd, n, spectrum in (("scalar", "value", "BurstTimed", n_scalar, False),
                                          ("spectrum", "spectrum", "BurstSpectrumTimed", n_spec, True)):
        sink = _Sink(spectrum)
        eid = dev.subscribe_event(attr, change_event, sink)
        sink.first.wait(5)
        sink.rx.clear()
        cpu0 = time.process_time()
        push_s = dev.command_inout(cmd, n)
        wait_for_events(sink, n)
        out[label] = _summarise(sink.rx, n, push_s, time.process_time() - cpu0)
        dev.unsubscribe_event(eid)
    sink = _Sink(False)
    eid = dev.subscribe_event("value", change_event, sink)
    sink.first.wait(5)
    sink.rx.clear()
    for _ in range(n_lat):
        dev.command_inout("BurstTimed", 1)
        time.sleep(0.002)
    wait_for_events(sink, n_lat)
    out["latency"] = _latency(sink.rx)
    dev.unsubscribe_event(eid)
    return out


def run_ours(device: str, n_scalar: int, n_spec: int, n_lat: int) -> dict:
    from tango_core.client.device_proxy import DeviceProxy
    from tango_core.idl.enums import EventType

    return measure_events(DeviceProxy(device), EventType.CHANGE_EVENT, n_scalar, n_spec, n_lat)


PYTANGO_CLIENT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import tango
    from events import measure_events
    device, n_scalar, n_spec, n_lat = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    out = measure_events(tango.DeviceProxy(device), tango.EventType.CHANGE_EVENT, n_scalar, n_spec, n_lat)
    print("RESULT " + json.dumps(out))
""")


def run_pytango(device: str, n_scalar: int, n_spec: int, n_lat: int) -> dict:
    res = subprocess.run([sys.executable, "-c", PYTANGO_CLIENT, str(Path(__file__).parent), device,
                          str(n_scalar), str(n_spec), str(n_lat)], capture_output=True, text=True, timeout=600)
    for line in res.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"PyTango client failed:\n{res.stdout}\n{res.stderr}")


def capture_frames(device: str) -> dict[str, list[bytes]]:
    """One real scalar and one real 10k-spectrum event message, caught with a raw SUB socket and
    received as the consumer's receiver does (a big data frame is a view of the ZMQ message)."""
    import zmq

    from tango_core.client.device_proxy import DeviceProxy
    from tango_core.events.receiver import ZmqReceiver

    dev = DeviceProxy(device)
    admin = DeviceProxy(dev.adm_name())
    ctx = zmq.Context()
    frames = {}
    try:
        for label, attr, cmd in (("scalar", "value", "BurstTimed"), ("spectrum", "spectrum", "BurstSpectrumTimed")):
            lv, sv = admin.command_inout("ZmqEventSubscriptionChange",
                                         [dev.dev_name(), attr, "subscribe", "change", "6"])
            s = ctx.socket(zmq.SUB)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.SUBSCRIBE, sv[-2].encode())
            s.connect(sv[1].replace("0.0.0.0", "127.0.0.1"))
            time.sleep(0.3)
            dev.command_inout(cmd, 3)
            if not s.poll(5000):
                raise RuntimeError(f"no {label} event captured")
            got: list = []
            ZmqReceiver._drain(s, got.append, 1)   # in the form the consumer's receiver hands on
            frames[label] = got[0]
            s.close()
    finally:
        ctx.term()
    return frames


def bench_decode(frames: list[bytes], rounds: int) -> float:
    """Events/s through tango_core's whole decode path on this thread: envelope, payload,
    DeviceAttribute, EventData (what the receiver + dispatcher do per event, minus the callback)."""
    from tango_core.events import frames as F
    from tango_core.client.device_proxy import event_client
    from tango_core.events.client_subscription import Subscription
    from tango_core.events.dispatcher import build_event
    from tango_core.idl.enums import EventSubMode, EventType, ExtractAs

    sub = Subscription(0, None, "value", EventType.CHANGE_EVENT, None, None, EventSubMode.SyncRead, ExtractAs.Numpy,
                       event_client())
    sub.full_name = "bench"
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(rounds):
            ev = F.decode_event(frames)
            kind, value = F.decode_payload(ev)
            build_event(sub, kind, value, sub.full_name, {})
        best = max(best, rounds / (time.perf_counter() - t0))
    return best


def start_event_server():
    """The no-database PyTango event server the event benchmarks push from (tests/peers.py)."""
    import peers
    return peers.start_pytango_server(SERVER, "bench", nodb=True, device_names=["test/bench/1"],
                                      device_class="EventDevice")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scalars", type=int, default=20000)
    ap.add_argument("--spectra", type=int, default=500)
    ap.add_argument("--latency", type=int, default=300)
    ap.add_argument("--decode", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    server = start_event_server()
    ours_runs, theirs_runs = [], []
    try:
        device = server.device
        for i in range(args.rounds):     # alternate, so machine noise hits both clients alike
            if i % 2:
                theirs_runs.append(run_pytango(device, args.scalars, args.spectra, args.latency))
                ours_runs.append(run_ours(device, args.scalars, args.spectra, args.latency))
            else:
                ours_runs.append(run_ours(device, args.scalars, args.spectra, args.latency))
                theirs_runs.append(run_pytango(device, args.scalars, args.spectra, args.latency))
        frames = capture_frames(device)
        dec_scalar = bench_decode(frames["scalar"], args.decode)
        dec_spec = bench_decode(frames["spectrum"], max(args.decode // 20, 50))
    finally:
        server.stop()

    def med(runs, *keys):
        vals = []
        for r in runs:
            v = r
            for k in keys:
                v = v[k]
            vals.append(v)
        return statistics.median(vals)

    print(f"median of {args.rounds} alternating rounds; machine noise is large on a shared 2-core box")
    print(f"{'':34}{'tango_core':>14}{'PyTango':>14}{'ratio':>8}")
    for label in ("scalar", "spectrum"):
        o, t = med(ours_runs, label, "rate"), med(theirs_runs, label, "rate")
        print(f"{label + ' events/s received':34}{o:>14,.0f}{t:>14,.0f}{o / t:>8.2f}")
        orc, trc = med(ours_runs, label, "received"), med(theirs_runs, label, "received")
        exp = ours_runs[0][label]["expected"]
        print(f"{'  received of ' + str(exp) + ' pushed':34}{orc:>14,.0f}{trc:>14,.0f}")
        op, tp = med(ours_runs, label, "server_push_rate"), med(theirs_runs, label, "server_push_rate")
        print(f"{'  server push rate (events/s)':34}{op:>14,.0f}{tp:>14,.0f}")
        oc, tc = med(ours_runs, label, "client_cpu_us"), med(theirs_runs, label, "client_cpu_us")
        print(f"{'  client CPU per event (us)':34}{oc:>14,.1f}{tc:>14,.1f}{oc / tc:>8.2f}")
        rounds = " ".join(f"{o[label]['rate'] / t[label]['rate']:.2f}" for o, t in zip(ours_runs, theirs_runs))
        print(f"{'  ratio of each round':34}{rounds:>36}")
    for q in ("median_ms", "p90_ms"):
        o, t = med(ours_runs, "latency", q), med(theirs_runs, "latency", q)
        print(f"{'push-to-callback latency ' + q[:-3] + ' ms':34}{o:>14.3f}{t:>14.3f}")
    print(f"{'decode only, scalar events/s':34}{dec_scalar:>14,.0f}{'(target 20,000)':>22}")
    print(f"{'decode only, 10k-spectrum events/s':34}{dec_spec:>14,.0f}")


if __name__ == "__main__":
    main()
