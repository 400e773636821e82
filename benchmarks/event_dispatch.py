"""Where event callbacks run: in the receiving thread, or handed to the dispatcher thread.

    python benchmarks/event_dispatch.py [--rounds N] [--spectra M] [--latency K]

By default tango_core runs a callback in the thread that received its event while callbacks keep
up, and hands events to a second (dispatcher) thread behind a slow one; with
``configure(callbacks_in_receiver=False)`` every event goes to the dispatcher thread
(tango_core/events/dispatcher.py).
This measures what the first way saves, in one process against one PyTango event server
(tests/servers/event_server.py, no database), rounds alternating between the two ways on the
same subscription (its ``inline`` flag), so that machine noise hits both alike:

* spectra: M change events of 10,000 doubles pushed as fast as the server can; events/s received
  and client CPU per event (this process, all threads);
* latency: K scalar events pushed one at a time (``BurstTimed(1)``, 2 ms apart), median of
  reception time - push time, and the client CPU per command + event.

Medians over the rounds.  No PyTango client here: see events.py for the comparison with it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from events import _Sink, start_event_server, wait_for_events  # noqa: E402  (benchmarks/events.py)


def _subscription(eid: int):
    from tango_core.events import consumer
    return consumer._consumer.subs[eid]


def _alternate(dev, attr: str, spectrum: bool, rounds: int, out: dict, one_round) -> None:
    """Subscribe to ``attr``; then ``rounds`` times, for each way in turn, run
    ``one_round(sink, figures)`` with the subscription dispatching that way."""
    from tango_core.idl.enums import EventType

    sink = _Sink(spectrum)
    eid = dev.subscribe_event(attr, EventType.CHANGE_EVENT, sink)
    sink.first.wait(5)
    sub = _subscription(eid)
    for _ in range(rounds):
        for mode in ("here", "queued"):
            sub.inline = mode == "here"
            sink.rx.clear()
            one_round(sink, out[mode])
    dev.unsubscribe_event(eid)


def measure(device: str, rounds: int, n_spec: int, n_lat: int) -> dict:
    from tango_core.client.device_proxy import DeviceProxy
    from tango_core.events import configure

    configure(callbacks_in_receiver=True)  # the default; "queued" rounds turn it off per subscription

    dev = DeviceProxy(device)
    dev.set_timeout_millis(60_000)
    out: dict = {mode: {"rate": [], "cpu_spec": [], "lat": [], "cpu_lat": []} for mode in ("here", "queued")}

    def spectra(sink, figures: dict) -> None:
        cpu0 = time.process_time()
        dev.command_inout("BurstSpectrumTimed", n_spec)
        wait_for_events(sink, n_spec)
        figures["cpu_spec"].append((time.process_time() - cpu0) / max(len(sink.rx), 1) * 1e6)
        figures["rate"].append((len(sink.rx) - 1) / (sink.rx[-1][0] - sink.rx[0][0]))

    def one_at_a_time(sink, figures: dict) -> None:
        cpu0 = time.process_time()
        for _ in range(n_lat):
            dev.command_inout("BurstTimed", 1)
            time.sleep(0.002)
        wait_for_events(sink, n_lat)
        figures["cpu_lat"].append((time.process_time() - cpu0) / n_lat * 1e6)
        figures["lat"].append(statistics.median(rx - tx for rx, tx in sink.rx) * 1e3)

    _alternate(dev, "spectrum", True, rounds, out, spectra)
    _alternate(dev, "value", False, rounds, out, one_at_a_time)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--spectra", type=int, default=300)
    ap.add_argument("--latency", type=int, default=200)
    args = ap.parse_args()

    server = start_event_server()
    try:
        out = measure(server.device, args.rounds, args.spectra, args.latency)
    finally:
        server.stop()
    med = {mode: {k: statistics.median(v) for k, v in figures.items()} for mode, figures in out.items()}
    here, queued = med["here"], med["queued"]
    print(f"medians of {args.rounds} alternating rounds")
    print(f"{'':44}{'receiver':>10}{'dispatcher':>12}{'ratio':>8}")
    for key, label, fmt in (("rate", "10k-double spectra received /s", ",.0f"),
                            ("cpu_spec", "  client CPU per spectrum event (us)", ".1f"),
                            ("lat", "push-to-callback latency, median (ms)", ".3f"),
                            ("cpu_lat", "  client CPU per command + event (us)", ".0f")):
        print(f"{label:44}{here[key]:>10{fmt}}{queued[key]:>12{fmt}}{here[key] / queued[key]:>8.2f}")


if __name__ == "__main__":
    main()
