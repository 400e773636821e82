"""Make a client's event subscriptions live before a test pushes an event it must receive.

ZeroMQ has no subscription acknowledgement.  When ``subscribe_event`` returns, the client's SUB
socket may still be connecting to the server's publisher (PyTango's client does not wait for the
connection; tango_core's waits for the handshake, then 20 ms), and a new topic's filter travels
to the PUB socket on ZMQ's I/O threads, which libzmq applies on a later send.  An event the
server pushes before both got there is dropped (ZMQ's "slow joiner"); on a busy machine that
takes longer than a command round trip, so "subscribe, then push" loses the first event(s).

:func:`wait_until_events_arrive` proves that the subscriptions made so far have reached the
publisher: it subscribes to the ATTR_CONF events of a probe attribute of the same device, AFTER
the test's own subscriptions (one SUB socket and one connection per server, so the filters reach
the publisher in order), and sets the probe's configuration (unchanged) until an ATTR_CONF event
comes back, within a bounded time.  The test's own assertions stay as they were.
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["wait_until_events_arrive"]


def wait_until_events_arrive(dev: Any, event_type: Any, probe_attr: str, timeout: float = 10.0) -> None:
    """Return once an ATTR_CONF event of ``dev``'s ``probe_attr`` went through the event channel.

    ``dev`` is a blocking DeviceProxy (tango_core's or PyTango's), ``event_type`` its module's
    EventType.  Call it after the test's subscriptions and before the push; the probe's own
    subscription is dropped on return (the test's subscriptions keep the connection).  Raises
    AssertionError if no event comes through in ``timeout`` s.  Setting an attribute's
    configuration pushes an ATTR_CONF event and no INTERFACE_CHANGE event."""
    seen: list[Any] = []
    changed = threading.Condition()

    def on_probe(ev: Any) -> None:
        with changed:
            seen.append(ev)
            changed.notify_all()

    def wait(n: int, until: float) -> bool:
        with changed:
            while len(seen) < n and time.monotonic() < until:
                changed.wait(max(0.0, min(0.2, until - time.monotonic())))
            return len(seen) >= n

    deadline = time.monotonic() + timeout
    eid = dev.subscribe_event(probe_attr, event_type.ATTR_CONF_EVENT, on_probe)
    try:
        assert wait(1, deadline), f"no first ATTR_CONF event of {probe_attr} in {timeout} s"
        while True:
            dev.set_attribute_config(dev.get_attribute_config(probe_attr))
            if wait(2, min(deadline, time.monotonic() + 0.2)):
                return
            assert time.monotonic() < deadline, \
                f"no ATTR_CONF event of {probe_attr} came through the event channel in {timeout} s"
    finally:
        dev.unsubscribe_event(eid)
