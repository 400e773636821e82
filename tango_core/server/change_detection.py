"""When a new attribute reading deserves a change, archive, periodic or alarm event.

Pure functions and small state holders, no I/O: the polling thread and the ``push_*_event``
methods of the device feed them readings (an ``AttributeValue_5`` or an error stack) and publish
what they say.  The rules are cppTango's ``EventSupplier::detect_change`` and
``detect_and_push_{change,archive,periodic}_event`` (protocol brief §5.6):

* the first reading after a (re)start is always sent;
* an error is sent unless the previous event carried the same error stack; the first good
  reading after an error is sent;
* a move to or from ATTR_INVALID is sent, INVALID after INVALID is not; any other quality change
  is sent;
* values: a different element count, a different DevState, string, boolean or encoded format is
  a change; numbers change when, for some element, ``delta <= -abs`` or ``delta >= +abs``
  (floats with cppTango's 1e-10 rounding slack) or the relative change in percent crosses the
  ``rel_change`` pair (a zero old value counts as 100 %); a NaN appearing or disappearing is a
  change; with neither ``abs_change`` nor ``rel_change`` set, values never fire by themselves;
* archive events use ``archive_abs_change``/``archive_rel_change`` and, in addition, fire every
  ``archive_period`` ms; periodic events fire every ``event_period`` ms (default 1000).  Periods
  have cppTango's tolerance: 2 % below 5 s, 100 ms above.
* alarm events (Tango 10) fire on the first reading, errors as above, and quality changes only.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..idl.enums import AttrQuality, AttributeDataType

__all__ = ["Thresholds", "parse_thresholds", "LastEvent", "value_changed", "ChangeDetector",
           "AlarmDetector", "PeriodicTimer", "period_with_tolerance", "DEFAULT_EVENT_PERIOD_MS",
           "NOT_SPECIFIED"]

DEFAULT_EVENT_PERIOD_MS = 1000
NOT_SPECIFIED = ("", "not specified", "none", "nan")
_INVALID = AttrQuality.ATTR_INVALID
_A = AttributeDataType
_FLOAT_ARMS = frozenset({_A.ATT_FLOAT, _A.ATT_DOUBLE})
_NUMERIC_ARMS = frozenset({_A.ATT_SHORT, _A.ATT_LONG, _A.ATT_LONG64, _A.ATT_FLOAT, _A.ATT_DOUBLE, _A.ATT_UCHAR,
                           _A.ATT_USHORT, _A.ATT_ULONG, _A.ATT_ULONG64})

Thresholds = tuple[float, float]      # (negative bound, positive bound), as cppTango stores them


def parse_thresholds(text: Any) -> Thresholds | None:
    """An ``abs_change``/``rel_change`` property value -> ``(-a, +b)``, or None when not set.

    ``"0.1"`` -> (-0.1, 0.1); ``"-0.1,0.2"`` -> (-0.1, 0.2) (each side taken by magnitude, as
    cppTango reads them); numbers and 1-2 item sequences are accepted too.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        parts = [float(text)]
    elif isinstance(text, (list, tuple)):
        parts = [float(x) for x in text]
    else:
        s = str(text).strip()
        if s.lower() in NOT_SPECIFIED:
            return None
        try:
            parts = [float(p) for p in s.split(",") if p.strip()]
        except ValueError:
            return None
    parts = [p for p in parts if not math.isnan(p)]
    if not parts or all(p == 0 for p in parts):
        return None
    if len(parts) == 1:
        return (-abs(parts[0]), abs(parts[0]))
    return (-abs(parts[0]), abs(parts[1]))


def period_with_tolerance(period_ms: float) -> float:
    """cppTango's test period: 2 % shorter below 5 s, 100 ms shorter from 5 s on."""
    if period_ms >= 5000:
        return period_ms - 100
    return round(period_ms * 0.98)


class LastEvent:
    """What the previous event of one kind carried (cppTango's ``prev_change_event`` & co)."""

    __slots__ = ("inited", "arm", "value", "quality", "errors")

    def __init__(self) -> None:
        self.inited = False
        self.arm = None
        self.value: Any = None
        self.quality = AttrQuality.ATTR_VALID
        self.errors: tuple | None = None

    def store(self, reading: Any, errors: Sequence | None) -> None:
        self.inited = True
        if errors is not None:
            self.errors = tuple((e.reason, e.desc, e.origin, int(e.severity)) for e in errors)
            return
        self.errors = None
        self.quality = reading.quality
        self.arm = reading.value.arm
        v = reading.value.value
        self.value = v.copy() if isinstance(v, np.ndarray) else (list(v) if isinstance(v, list) else v)


def _same_errors(prev: tuple | None, errors: Sequence) -> bool:
    if prev is None:
        return False
    return prev == tuple((e.reason, e.desc, e.origin, int(e.severity)) for e in errors)


def value_changed(arm: Any, old: Any, new: Any, abs_change: Thresholds | None,
                  rel_change: Thresholds | None) -> bool:
    """cppTango's value comparison for one AttrValUnion arm (see the module docstring)."""
    if arm is _A.DEVICE_STATE:
        return old != new
    if arm is _A.ATT_ENCODED:
        if len(old) != len(new):
            return True
        for o, n in zip(old, new):
            if o.encoded_format != n.encoded_format or len(o.encoded_data) != len(n.encoded_data):
                return True
            if abs_change is None and rel_change is None:
                continue
            if _numbers_changed(np.frombuffer(bytes(o.encoded_data), np.uint8).astype(np.int64),
                                np.frombuffer(bytes(n.encoded_data), np.uint8).astype(np.int64),
                                abs_change, rel_change, False):
                return True
        return False
    if arm in _NUMERIC_ARMS:
        old_a, new_a = np.asarray(old), np.asarray(new)
        if old_a.shape != new_a.shape:
            return True
        if abs_change is None and rel_change is None:
            return False
        return _numbers_changed(old_a, new_a, abs_change, rel_change, arm in _FLOAT_ARMS)
    # strings, booleans, DevState spectra: any difference
    if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
        old_a, new_a = np.asarray(old), np.asarray(new)
        return old_a.shape != new_a.shape or bool(np.any(old_a != new_a))
    return list(old) != list(new)


def _numbers_changed(old: np.ndarray, new: np.ndarray, abs_change: Thresholds | None,
                     rel_change: Thresholds | None, floats: bool) -> bool:
    if old.size == 0:
        return False
    if floats:
        old_nan, new_nan = np.isnan(old), np.isnan(new)
        if np.any(old_nan != new_nan):
            return True
        ok = ~(old_nan | new_nan)
        old, new = old[ok], new[ok]
        if old.size == 0:
            return False
    old_f = old.astype(np.float64)
    new_f = new.astype(np.float64)
    delta = new_f - old_f
    if rel_change is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(old_f != 0, delta * 100.0 / np.where(old_f != 0, old_f, 1.0),
                           np.where(delta == 0, 0.0, 100.0))
        if np.any((rel <= rel_change[0]) | (rel >= rel_change[1])):
            return True
    if abs_change is not None:
        if floats:   # cppTango's slack against rounding errors (0.3 - 0.2 >= 0.1)
            low = delta + abs_change[0] * 1e-10
            high = delta + abs_change[1] * 1e-10
        else:
            low = high = delta
        if np.any((low <= abs_change[0]) | (high >= abs_change[1])):
            return True
    return False


class ChangeDetector:
    """Change (or archive) detection for one attribute: ``check(reading, errors)`` says whether to
    send, and remembers what was sent.  ``abs_change``/``rel_change`` are :data:`Thresholds`."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = LastEvent()

    def reset(self) -> None:
        self.last = LastEvent()

    def check(self, reading: Any, errors: Sequence | None, abs_change: Thresholds | None,
              rel_change: Thresholds | None) -> bool:
        last = self.last
        send = self._decide(last, reading, errors, abs_change, rel_change)
        if send:
            last.store(reading, errors)
        return send

    @staticmethod
    def _decide(last: LastEvent, reading: Any, errors: Sequence | None, abs_change, rel_change) -> bool:
        if not last.inited:
            return True
        if errors is not None:
            return not _same_errors(last.errors, errors)
        if last.errors is not None:
            return True
        quality = reading.quality
        if quality != last.quality:
            return True
        if quality is _INVALID:
            return False
        arm = reading.value.arm
        if arm is not last.arm:
            return True
        return value_changed(arm, last.value, reading.value.value, abs_change, rel_change)


class AlarmDetector:
    """Alarm events (Tango 10): the first reading, error changes and quality changes."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = LastEvent()

    def reset(self) -> None:
        self.last = LastEvent()

    def check(self, reading: Any, errors: Sequence | None) -> bool:
        last = self.last
        if not last.inited:
            send = True
        elif errors is not None:
            send = not _same_errors(last.errors, errors)
        elif last.errors is not None:
            send = True
        else:
            send = reading.quality != last.quality
        if send:
            last.store(reading, errors)
        return send


class PeriodicTimer:
    """"Is a periodic (or archive-period) event due?" on a caller-given clock in ms.

    ``due(now_ms, period_ms)`` is True for the first call and then whenever more than the
    tolerated period elapsed since the last time it said True.
    """

    __slots__ = ("last_ms",)

    def __init__(self) -> None:
        self.last_ms: float | None = None

    def reset(self) -> None:
        self.last_ms = None

    def due(self, now_ms: float, period_ms: float) -> bool:
        if self.last_ms is not None and now_ms - self.last_ms <= period_with_tolerance(period_ms):
            return False
        self.last_ms = now_ms
        return True
