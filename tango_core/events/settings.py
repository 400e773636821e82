"""Tunables of the event consumer (no zmq import here, so they can be set before the first subscription).

The defaults are cppTango's (protocol brief §5.1): a channel is declared dead after 10 s without
heartbeat, the keep-alive round runs every 10 s, subscriptions are confirmed every 200 s; a dead
channel's re-subscription is tried every second (values flow again about a second after the
server answers).
Tests shorten them with :func:`configure`; ``TANGO_EVENT_BUFFER_HWM`` sets the ZMQ receive HWM
as it does for cppTango clients.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["EventConfig", "config", "configure"]


@dataclass
class EventConfig:
    heartbeat_timeout: float = 10.0      # EVENT_HEARTBEAT_PERIOD: channel dead after this silence
    keepalive_period: float = 10.0       # keep-alive round period (stateless retries, confirmations)
    reconnect_period: float = 1.0        # a dead channel's re-subscription is tried this often
    confirm_period: float = 200.0        # EventConfirmSubscription period (EVENT_RESUBSCRIBE_PERIOD / 3)
    receive_hwm: int = int(os.environ.get("TANGO_EVENT_BUFFER_HWM", "0") or 0) or 10000
    dispatch_max_events: int = 100_000   # bound of the dispatcher queue (events)
    dispatch_max_bytes: int = 256 << 20  # bound of the dispatcher queue (payload octets)
    call_timeout: float = 10.0           # how long a caller waits for the receiver thread
    #: run callbacks in the receiving thread while they keep up (dispatcher.py): less CPU and
    #: latency per event than waking the dispatcher thread for each.  False: always the dispatcher
    #: thread (a callback that blocks for long then never delays the reading of heartbeats).
    callbacks_in_receiver: bool = True


config = EventConfig()


def configure(**kwargs: Any) -> EventConfig:
    """Change tunables (e.g. ``keepalive_period=1`` in tests); returns the live config."""
    names = {f.name for f in fields(EventConfig)}
    for k in kwargs:
        if k not in names:
            raise TypeError(f"unknown event option {k!r}; known: {sorted(names)}")
    for k, v in kwargs.items():
        setattr(config, k, v)
    consumer_mod = sys.modules.get("tango_core.events.consumer")
    if consumer_mod is not None and consumer_mod._consumer is not None:
        consumer_mod._consumer.keepalive.wake()
    return config
