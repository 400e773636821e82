"""Sans-IO table of the event subscriptions a server holds, with their expiry and counters.

A Tango server publishes an event only while somebody subscribed to it: every
``ZmqEventSubscriptionChange`` and every ``EventConfirmSubscription`` (sent by clients every
200 s) stamps the subscription, and it lapses ``lifetime`` seconds (600, cppTango's
EVENT_RESUBSCRIBE_PERIOD) after the last stamp (brief §5.6, pitfall 16).  Nothing is published
for a lapsed subscription and its counter does not move.

Stamps are kept per *data version*: clients of Tango >= 9 get IDL-5 payloads on ``idl5_``
topics (version 5), Tango 8 clients IDL-4 payloads on bare topics (version 4); both versions of
one event share one counter, incremented once per publication (brief §5.5).  A counter is
created at 1 by the first subscription command and survives lapses and re-subscriptions, as in
cppTango, so a client that comes back sees the numbering continue.

The clock is injectable (``clock=``) so expiry is tested without waiting ten minutes.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterator, NamedTuple

__all__ = ["EventKey", "Entry", "SubscriptionTable", "DEFAULT_LIFETIME", "data_group"]

#: cppTango's EVENT_RESUBSCRIBE_PERIOD (s).
DEFAULT_LIFETIME = 600.0


class EventKey(NamedTuple):
    """One published event: lower-case device and attribute ("" for device events) and the
    wire event name without ``idl5_`` (``change``, ``attr_conf``, ``intr_change`` ...)."""
    device: str
    attribute: str
    event: str


def data_group(data_version: int) -> int:
    """The payload family for a data version: 5 (IDL >= 5, ``idl5_`` topics) or 4 (older)."""
    return 5 if data_version >= 5 else 4


class Entry:
    """One event's subscription state: ``groups`` (the live data groups, newest first) is kept
    current by :meth:`SubscriptionTable.live_groups`, so publishers read it without a lock
    until ``expiry`` (the first moment a stamp may lapse) passes."""

    __slots__ = ("stamps", "counter", "groups", "expiry")

    def __init__(self) -> None:
        self.stamps: dict[int, float] = {}   # data group -> time of the last subscribe/confirm
        self.counter = 1
        self.groups: tuple[int, ...] = ()
        self.expiry = float("inf")


class SubscriptionTable:
    """Thread-safe; cheap to ask when nothing is subscribed (one dict lookup)."""

    def __init__(self, lifetime: float = DEFAULT_LIFETIME, clock: Callable[[], float] = time.monotonic) -> None:
        self._lifetime = float(lifetime)
        self.clock = clock
        self._entries: dict[EventKey, Entry] = {}
        self._lock = threading.Lock()

    @property
    def lifetime(self) -> float:
        return self._lifetime

    @lifetime.setter
    def lifetime(self, seconds: float) -> None:
        with self._lock:
            self._lifetime = float(seconds)
            for entry in self._entries.values():
                self._refresh(entry, self.clock())

    def _refresh(self, entry: Entry, now: float) -> None:
        """Drop lapsed stamps, recompute ``groups`` and ``expiry`` (lock held)."""
        stamps = entry.stamps
        for g in [g for g, t in stamps.items() if now - t >= self._lifetime]:
            del stamps[g]
        entry.groups = tuple(sorted(stamps, reverse=True))
        entry.expiry = min(stamps.values()) + self._lifetime if stamps else float("inf")

    def entry(self, key: EventKey) -> Entry | None:
        """The state of ``key`` once somebody subscribed to it (entries are never removed)."""
        return self._entries.get(key)

    def subscribe(self, key: EventKey, data_version: int) -> None:
        """Record a subscription command (creates the counter at 1 the first time)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = Entry()
            now = self.clock()
            entry.stamps[data_group(data_version)] = now
            self._refresh(entry, now)

    def confirm(self, key: EventKey, data_version: int) -> None:
        """Record an ``EventConfirmSubscription`` triplet (it also revives a lapsed or unknown
        subscription, as cppTango's does)."""
        self.subscribe(key, data_version)

    def live_groups(self, entry: Entry) -> tuple[int, ...]:
        """``entry``'s live data groups now (the publishers' fast path)."""
        if self.clock() >= entry.expiry:
            with self._lock:
                self._refresh(entry, self.clock())
        return entry.groups

    def active_groups(self, key: EventKey) -> tuple[int, ...]:
        """Data groups (5 and/or 4) with a live subscription to ``key``; () when none."""
        entry = self._entries.get(key)
        if entry is None:
            return ()
        return self.live_groups(entry)

    def is_active(self, key: EventKey) -> bool:
        return bool(self.active_groups(key))

    def take_counter(self, key: EventKey) -> int:
        """The counter value for this publication; the stored counter moves on by one (mod 2**32)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = Entry()
            ctr = entry.counter
            entry.counter = (ctr + 1) & 0xFFFFFFFF
            return ctr

    def counters(self) -> dict[EventKey, int]:
        """The next counter value of every event ever subscribed (admin QueryEventSystem)."""
        with self._lock:
            return {k: e.counter for k, e in self._entries.items()}

    def active(self) -> Iterator[EventKey]:
        """Keys with a live subscription now."""
        for key in list(self._entries):
            if self.active_groups(key):
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self.active())
