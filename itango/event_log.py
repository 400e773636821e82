"""The ``%mon`` event log: a bounded, thread-safe record of received events.

Why its own module: ids are *monotonic* (1, 2, 3 ... never reused), so ``%mon -i 17`` names the
same event after the log has rolled over (ITango 0.3.0 used list indices that shifted), and only
the newest events keep their full EventData, so that a log of images stays small in memory.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import re
import threading
from collections import deque
from typing import Any, Callable

__all__ = ["EventRecord", "EventLog", "filter_regex", "plain_number", "DETAIL_DEPTH", "DEFAULT_CAPACITY"]

#: how many of the newest events keep their full EventData (values, w_value ...) for ``-i``;
#: older ones keep only a one-line value summary, so a log of images stays small in memory
DETAIL_DEPTH = 256
DEFAULT_CAPACITY = 10_000


# --------------------------------------------------------------------------------------------
# the event log
# --------------------------------------------------------------------------------------------

class EventRecord:
    """One received event, as the log keeps it."""

    __slots__ = ("id", "received", "key", "device", "attribute", "event_type", "value_text",
                 "quality", "source_time", "errors", "data", "value")

    def __init__(self, id: int, received: _dt.datetime, key: str, device: str, attribute: str,
                 event_type: str, value_text: str, quality: Any, source_time: _dt.datetime | None,
                 errors: tuple, data: Any, value: Any = None) -> None:
        self.id = id
        self.received = received
        self.key = key
        self.device = device
        self.attribute = attribute
        self.event_type = event_type
        self.value_text = value_text
        self.quality = quality
        self.source_time = source_time
        self.errors = errors
        self.data = data
        #: the value of a scalar (kept for the whole life of the record: tables and plots over
        #: time use it); None for arrays, whose values live in ``data`` while it is kept
        self.value = value

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def number(self) -> float | None:
        """The value as a float when it is a plain number (see :func:`plain_number`)."""
        return plain_number(self.value)

    def full_value(self) -> Any:
        """The value: the scalar, or the array while the record still keeps its data."""
        if self.value is not None or self.failed:
            return self.value
        attr_value = getattr(self.data, "attr_value", None)
        return getattr(attr_value, "value", None) if attr_value is not None else None

    def __repr__(self) -> str:
        return (f"EventRecord(id={self.id}, {self.device}/{self.attribute}, {self.event_type}, "
                f"{'error' if self.failed else self.value_text})")


class EventLog:
    """A bounded, thread-safe log of events with monotonic ids (1, 2, 3 ... never reused)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, detail_depth: int = DETAIL_DEPTH) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.detail_depth = detail_depth
        self._records: deque[EventRecord] = deque(maxlen=capacity)
        self._next_id = 1
        self._lock = threading.Lock()

    def append(self, make: Callable[[int], EventRecord]) -> EventRecord:
        """Add the record built by ``make(new_id)``; drops the oldest when full."""
        with self._lock:
            record = make(self._next_id)
            self._next_id += 1
            self._records.append(record)
            if len(self._records) > self.detail_depth:
                self._records[-self.detail_depth - 1].data = None
            return record

    @property
    def last_id(self) -> int:
        """Id of the newest event ever logged (0 if none)."""
        return self._next_id - 1

    @property
    def first_id(self) -> int:
        """Id of the oldest event still kept (``last_id + 1`` when empty)."""
        with self._lock:
            return self._records[0].id if self._records else self._next_id

    def __len__(self) -> int:
        return len(self._records)

    def get(self, event_id: int) -> EventRecord:
        """The event with that id; ``KeyError`` with an explanation if there is none."""
        with self._lock:
            if self._records and self._records[0].id <= event_id <= self._records[-1].id:
                # ids are consecutive inside the deque: direct index
                return self._records[event_id - self._records[0].id]
            first = self._records[0].id if self._records else self._next_id
        if event_id < 1 or event_id >= self._next_id:
            raise KeyError(f"no event {event_id} (ids so far: 1..{self._next_id - 1})"
                           if self._next_id > 1 else f"no event {event_id}: the log is empty")
        raise KeyError(f"event {event_id} has rolled out of the log "
                       f"(it keeps the last {self.capacity}: ids {first}..{self._next_id - 1})")

    def records(self, device_filter: str | None = None, attr_filter: str | None = None,
                last: int | None = None) -> list[EventRecord]:
        """Kept records, oldest first, optionally filtered and limited to the ``last`` ones."""
        dev_re, attr_re = filter_regex(device_filter), filter_regex(attr_filter)
        with self._lock:
            snapshot = list(self._records)
        out = [r for r in snapshot
               if (dev_re is None or dev_re.search(r.device))
               and (attr_re is None or attr_re.search(r.attribute))]
        return out[-last:] if last else out

    def clear(self) -> None:
        """Forget every record (ids keep counting up)."""
        with self._lock:
            self._records.clear()


def plain_number(value: Any) -> float | None:
    """``value`` as a float when it is a number a trend or a plot can show: not a bool, not a
    DevState or enum member (ints underneath, but not quantities)."""
    import enum
    import numbers

    import numpy

    if isinstance(value, (bool, numpy.bool_, enum.Enum)) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def filter_regex(pattern: str | None) -> re.Pattern | None:
    """Case-insensitive regex; a glob such as ``*`` or ``double*`` also works."""
    if pattern in (None, "", "*", ".*"):
        return None
    if any(c in pattern for c in "*?") and not re.search(r"[.\\\[\]()|+^$]", pattern):
        return re.compile(fnmatch.translate(pattern), re.IGNORECASE)  # plain glob
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return re.compile(fnmatch.translate(pattern), re.IGNORECASE)

