"""The keep-alive's verdict on a channel's heartbeats, without sockets: a channel silent for longer
than the heartbeat timeout is declared dead, except while the receiving thread runs a long event
callback (the heartbeats may be waiting, unread, in its ZMQ queue)."""

from __future__ import annotations

import collections
import threading
import time
from types import SimpleNamespace

from tango_core.events.client_subscription import Channel
from tango_core.events.settings import config
from tango_core.events.subscription_protocol import KeepAlive


class _Consumer:
    """What the keep-alive asks of its consumer: channels, counters and the dispatcher's clock."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.stats: collections.Counter = collections.Counter()
        self.dispatcher = SimpleNamespace(inline_since=None)

    def snapshot(self):
        return [self.channel], []


def _silent_channel() -> Channel:
    ch = Channel("tango://host:10000/dserver/x/1", "dserver/x/1")
    ch.last_heartbeat = time.monotonic() - config.heartbeat_timeout - 5
    return ch


def test_a_silent_channel_is_declared_dead():
    consumer = _Consumer(_silent_channel())
    KeepAlive(consumer, threading.Event()).run_once()
    assert not consumer.channel.alive
    assert consumer.stats["timeouts"] == 1


def test_no_verdict_while_the_receiver_runs_a_long_callback_then_the_verdict_comes():
    consumer = _Consumer(_silent_channel())
    keepalive = KeepAlive(consumer, threading.Event())
    consumer.dispatcher.inline_since = time.monotonic() - 3   # a callback running for 3 s
    keepalive.run_once()
    assert consumer.channel.alive and consumer.stats["timeouts"] == 0
    assert keepalive._next_wait() <= 1.0      # looks again soon, not a whole keep-alive period later
    consumer.dispatcher.inline_since = None   # the callback returned, no heartbeat came meanwhile
    keepalive.run_once()
    assert not consumer.channel.alive and consumer.stats["timeouts"] == 1


def test_a_short_callback_does_not_hold_the_verdict_back():
    consumer = _Consumer(_silent_channel())
    consumer.dispatcher.inline_since = time.monotonic()       # a callback that just began
    KeepAlive(consumer, threading.Event()).run_once()
    assert not consumer.channel.alive
