"""Polling: ring buffers of readings, the polling threads, histories and DevPollStatus.

A Tango server can poll attributes and commands: a thread reads them every ``period`` ms and
keeps the last ``poll_ring_depth`` results (default 10) in a ring buffer per object.  The ring
serves ``read_attribute_history_5`` / ``command_inout_history_4``, reads with source CACHE or
CACHE_DEV, and the events the polling thread publishes (change, archive, periodic, alarm).

This module holds the device-independent machinery:

* :class:`PollRing` -- the ring of :class:`PollRecord` (date, reading or error, time needed);
* :func:`attribute_history` / :func:`command_history` -- the compressed history structs, laid
  out exactly as cppTango lays them out (dates oldest first, values newest first, run-length
  packed qualities, dimensions and errors whose runs count down from ``start``);
* :class:`PolledObject` -- one polled attribute or command, its ring and its timing statistics;
* :class:`DevicePoller` -- the polling thread of one device: objects are scheduled on a fixed
  grid (``due += period``), so the period holds under load instead of drifting by the time each
  reading takes; a poll that starts a period or more after its due time skips the missed slots
  and is counted as late (DevPollStatus reports it);
* :func:`poll_status` -- the admin DevPollStatus strings, in cppTango's wording, which tools
  (and PyTango's ``polling_status()``) read.

What a poll *does* is given to the poller as a callable; :class:`PollingEngine` (the server's
``runtime.polling``) reads the attribute through the device as a client would, runs the command,
and hands readings to the event system; it also serves CACHE reads and histories.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..idl import types as T
from ..idl.command_any import command_typecode
from ..idl.enums import AttrDataFormat, AttributeDataType, AttrQuality, CmdArgType, DevSource, DevState
from ..idl.errors import DevError, DevFailed
from .hooks import PollingService

__all__ = ["TimedAttrData", "TimedCmdData", "PollRecord", "PollRing", "PolledObject", "DevicePoller", "PollingEngine", "attribute_history",
           "command_history",
           "poll_status", "PollingSettings", "DEFAULT_POLL_RING_DEPTH", "MIN_POLL_PERIOD_MS", "POLL_OLD_FACTOR", "ATTRIBUTE",
           "COMMAND", "array_type_of_arm"]

DEFAULT_POLL_RING_DEPTH = 10
#: cppTango's MIN_POLL_PERIOD (ms); 0 means "externally triggered" (filled by the device code).
MIN_POLL_PERIOD_MS = 5
#: Data older than POLL_OLD_FACTOR * period is "not updated any more" for CACHE reads.
POLL_OLD_FACTOR = 4
ATTRIBUTE = "attribute"
COMMAND = "command"

_A = AttributeDataType
_C = CmdArgType
_ARRAY_OF_ARM = {
    _A.ATT_BOOL: _C.DevVarBooleanArray, _A.ATT_SHORT: _C.DevVarShortArray, _A.ATT_LONG: _C.DevVarLongArray,
    _A.ATT_LONG64: _C.DevVarLong64Array, _A.ATT_FLOAT: _C.DevVarFloatArray, _A.ATT_DOUBLE: _C.DevVarDoubleArray,
    _A.ATT_UCHAR: _C.DevVarCharArray, _A.ATT_USHORT: _C.DevVarUShortArray, _A.ATT_ULONG: _C.DevVarULongArray,
    _A.ATT_ULONG64: _C.DevVarULong64Array, _A.ATT_STRING: _C.DevVarStringArray,
    _A.ATT_STATE: _C.DevVarStateArray, _A.DEVICE_STATE: _C.DevVarStateArray,
    _A.ATT_ENCODED: _C.DevVarEncodedArray,
}
# scalar command types -> the array type their history is packed into
_ARRAY_OF_SCALAR = {
    _C.DevBoolean: _C.DevVarBooleanArray, _C.DevShort: _C.DevVarShortArray, _C.DevLong: _C.DevVarLongArray,
    _C.DevFloat: _C.DevVarFloatArray, _C.DevDouble: _C.DevVarDoubleArray, _C.DevUShort: _C.DevVarUShortArray,
    _C.DevULong: _C.DevVarULongArray, _C.DevString: _C.DevVarStringArray, _C.ConstDevString: _C.DevVarStringArray,
    _C.DevState: _C.DevVarStateArray, _C.DevUChar: _C.DevVarCharArray, _C.DevLong64: _C.DevVarLong64Array,
    _C.DevULong64: _C.DevVarULong64Array, _C.DevEncoded: _C.DevVarEncodedArray, _C.DevEnum: _C.DevVarShortArray,
}
_NUMERIC_ARRAY_DTYPE = {
    _C.DevVarBooleanArray: np.bool_, _C.DevVarShortArray: np.int16, _C.DevVarLongArray: np.int32,
    _C.DevVarFloatArray: np.float32, _C.DevVarDoubleArray: np.float64, _C.DevVarUShortArray: np.uint16,
    _C.DevVarULongArray: np.uint32, _C.DevVarCharArray: np.uint8, _C.DevVarLong64Array: np.int64,
    _C.DevVarULong64Array: np.uint64, _C.DevVarStateArray: np.uint32,
}


def array_type_of_arm(arm: AttributeDataType) -> CmdArgType:
    """The sequence type (and so the ``any`` TypeCode) an attribute history packs values into."""
    return _ARRAY_OF_ARM[arm]


class TimedAttrData:
    """One reading to put in an attribute's polling buffer with ``fill_attr_polling_buffer``
    (PyTango's ``tango.TimedAttrData``): a ``value`` with its ``quality``, the ``w_value`` (set
    point, READ_WRITE attributes only), or an ``error`` (an exception, which wins over the value),
    at ``time_stamp`` (seconds since the epoch; now when not given)."""

    __slots__ = ("value", "quality", "w_value", "error", "time_stamp")

    def __init__(self, value: Any = None, quality: AttrQuality = AttrQuality.ATTR_VALID, w_value: Any = None,
                 error: BaseException | None = None, time_stamp: float | None = None) -> None:
        self.value = value
        self.quality = quality
        self.w_value = w_value
        self.error = error
        self.time_stamp = time_stamp

    def __repr__(self) -> str:
        return (f"TimedAttrData(value={self.value!r}, quality={self.quality!r}, w_value={self.w_value!r}, "
                f"error={self.error!r}, time_stamp={self.time_stamp!r})")


class TimedCmdData:
    """One result to put in a command's polling buffer with ``fill_cmd_polling_buffer``
    (PyTango's ``tango.TimedCmdData``): a ``value`` or an ``error``, at ``time_stamp``."""

    __slots__ = ("value", "error", "time_stamp")

    def __init__(self, value: Any = None, error: BaseException | None = None,
                 time_stamp: float | None = None) -> None:
        self.value = value
        self.error = error
        self.time_stamp = time_stamp

    def __repr__(self) -> str:
        return f"TimedCmdData(value={self.value!r}, error={self.error!r}, time_stamp={self.time_stamp!r})"


class PollRecord:
    """One poll: ``when`` (epoch s, before the reading), ``value`` (AttributeValue_5 for an
    attribute, ``(CmdArgType, value)`` for a command) or ``errors`` (DevError tuple), and the
    time the reading took (ms)."""

    __slots__ = ("when", "value", "errors", "needed_ms")

    def __init__(self, when: float, value: Any = None, errors: Sequence[DevError] | None = None,
                 needed_ms: float = 0.0) -> None:
        self.when = when
        self.value = value
        self.errors = tuple(errors) if errors is not None else None
        self.needed_ms = needed_ms


class PollRing:
    """The last ``depth`` records of one polled object, newest last."""

    def __init__(self, depth: int = DEFAULT_POLL_RING_DEPTH) -> None:
        self._ring: deque[PollRecord] = deque(maxlen=max(1, int(depth)))

    @property
    def depth(self) -> int:
        return self._ring.maxlen or 1

    def resize(self, depth: int) -> None:
        self._ring = deque(self._ring, maxlen=max(1, int(depth)))

    def insert(self, record: PollRecord) -> None:
        self._ring.append(record)

    def __len__(self) -> int:
        return len(self._ring)

    def is_empty(self) -> bool:
        return not self._ring

    def newest(self) -> PollRecord | None:
        return self._ring[-1] if self._ring else None

    def last(self, n: int) -> list[PollRecord]:
        """The newest ``n`` records, newest first."""
        ring = self._ring
        n = max(0, min(int(n), len(ring)))
        return [ring[-1 - i] for i in range(n)]

    def deltas_ms(self, n: int = 4) -> list[int]:
        """Milliseconds between consecutive records, newest pair first (at most ``n``)."""
        recs = self.last(n + 1)
        return [int((a.when - b.when) * 1000) for a, b in zip(recs, recs[1:])]


# ---------------------------------------------------------------------------
# histories, laid out as cppTango's PollRing::get_attr_history / get_cmd_history

class _Runs:
    """Run-length packing of one per-record property, records visited newest first."""

    __slots__ = ("items", "runs", "n")

    def __init__(self, n: int) -> None:
        self.items: list = []
        self.runs: list[T.EltInArray] = []
        self.n = n

    def add(self, i: int, item: Any, same: bool) -> None:
        if self.runs and same:
            self.runs[-1].nb_elt += 1
        else:
            self.items.append(item)
            self.runs.append(T.EltInArray(self.n - (i + 1), 1))


def _timeval(seconds: float) -> T.TimeVal:
    sec = int(seconds)
    return T.TimeVal(sec, int(round((seconds - sec) * 1e6)) % 1000000, 0)


def _errors_key(errors: Sequence[DevError]) -> tuple:
    return tuple((e.reason, e.desc, e.origin, int(e.severity)) for e in errors)


def _concat(array_type: CmdArgType, chunks: list) -> Any:
    """Concatenate per-record values into one sequence value for the history ``any``."""
    if array_type in (_C.DevVarStringArray,):
        return [s for c in chunks for s in c]
    if array_type == _C.DevVarEncodedArray:
        return [(e.encoded_format, e.encoded_data) if isinstance(e, T.DevEncoded) else tuple(e)
                for c in chunks for e in c]
    if array_type == _C.DevVarStateArray:
        flat = [int(s) for c in chunks for s in (c if isinstance(c, (list, tuple, np.ndarray)) else [c])]
        return np.asarray(flat, dtype=np.uint32)
    dtype = _NUMERIC_ARRAY_DTYPE[array_type]
    if not chunks:
        return np.zeros(0, dtype=dtype)
    return np.concatenate([np.asarray(c, dtype=dtype).ravel() for c in chunks])


def attribute_history(ring: PollRing, n: int, name: str, data_format: AttrDataFormat,
                      data_type: CmdArgType | int) -> T.DevAttrHistory_5:
    """``read_attribute_history_5``'s answer from the newest ``n`` records of ``ring``."""
    recs = ring.last(n)
    n = len(recs)
    h = T.DevAttrHistory_5(name=name, data_format=data_format, data_type=data_type)
    h.dates = [T.TimeVal(0, 0, 0)] * n
    quals, r_dims, w_dims, errs = _Runs(n), _Runs(n), _Runs(n), _Runs(n)
    last_q = None
    last_r = last_w = None
    last_err: tuple | None = None
    prev_no_data = True
    chunks: list = []
    arm = None
    for i, rec in enumerate(recs):                       # newest first
        no_data = False
        if rec.errors is None:
            av = rec.value
            h.dates[n - 1 - i] = T.TimeVal(av.time.tv_sec, av.time.tv_usec, 0)
            quals.add(i, av.quality, av.quality == last_q and quals.runs != [])
            last_q = av.quality
            if av.quality == AttrQuality.ATTR_INVALID:
                no_data = True
            rd, wd = (av.r_dim.dim_x, av.r_dim.dim_y), (av.w_dim.dim_x, av.w_dim.dim_y)
            r_dims.add(i, T.AttributeDim(*rd), rd == last_r)
            w_dims.add(i, T.AttributeDim(*wd), wd == last_w)
            last_r, last_w = rd, wd
        else:
            h.dates[n - 1 - i] = _timeval(rec.when)
            key = _errors_key(rec.errors)
            errs.add(i, list(rec.errors), prev_no_data and key == last_err)
            last_err = key
            no_data = True
            quals.add(i, AttrQuality.ATTR_INVALID, last_q == AttrQuality.ATTR_INVALID and quals.runs != [])
            last_q = AttrQuality.ATTR_INVALID
            r_dims.add(i, T.AttributeDim(0, 0), last_r == (0, 0))
            w_dims.add(i, T.AttributeDim(0, 0), last_w == (0, 0))
            last_r = last_w = (0, 0)
        prev_no_data = no_data
        if not no_data:
            u = rec.value.value
            if u.arm is not _A.ATT_NO_DATA:
                arm = u.arm if arm is None else arm
                chunks.append(u.value)
    h.quals, h.quals_array = quals.items, quals.runs
    h.r_dims, h.r_dims_array = r_dims.items, r_dims.runs
    h.w_dims, h.w_dims_array = w_dims.items, w_dims.runs
    h.errors, h.errors_array = errs.items, errs.runs
    if arm is not None:
        array_type = _ARRAY_OF_ARM[arm]
        h.value = T.CorbaAny(command_typecode(array_type), _concat(array_type, chunks))
    return h


def command_history(ring: PollRing, n: int, cmd_type: CmdArgType) -> T.DevCmdHistory_4:
    """``command_inout_history_4``'s answer from the newest ``n`` records of ``ring``.

    Records hold ``(CmdArgType, value)``; scalars are packed into the matching array type with
    dims (1, 0), arrays concatenated with dims (length, 0), DevVarLongStringArray /
    DevVarDoubleStringArray into one struct with dims (strings, numbers), as cppTango does.
    """
    recs = ring.last(n)
    n = len(recs)
    h = T.DevCmdHistory_4(cmd_type=cmd_type)
    h.dates = [_timeval(rec.when) for rec in reversed(recs)]
    dims, errs = _Runs(n), _Runs(n)
    last_dim = None
    last_err: tuple | None = None
    prev_no_data = True
    chunks: list = []
    strings: list = []
    numbers: list = []
    compound = cmd_type in (_C.DevVarLongStringArray, _C.DevVarDoubleStringArray)
    for i, rec in enumerate(recs):
        if rec.errors is not None:
            key = _errors_key(rec.errors)
            errs.add(i, list(rec.errors), prev_no_data and key == last_err)
            last_err = key
            dims.add(i, T.AttributeDim(0, 0), last_dim == (0, 0))
            last_dim = (0, 0)
            prev_no_data = True
            continue
        prev_no_data = False
        value = rec.value[1] if isinstance(rec.value, tuple) and len(rec.value) == 2 and \
            isinstance(rec.value[0], (CmdArgType, int)) else rec.value
        if compound:
            nums, strs = value
            d = (len(strs), len(nums))
            strings.extend(strs)
            numbers.append(np.asarray(nums).ravel())
        elif cmd_type in _ARRAY_OF_SCALAR:
            d = (1, 0)
            chunks.append([value])
        else:
            seq = list(value) if cmd_type in (_C.DevVarStringArray,) else value
            d = (len(seq), 0)
            chunks.append(seq)
        dims.add(i, T.AttributeDim(*d), d == last_dim)
        last_dim = d
    h.dims, h.dims_array = dims.items, dims.runs
    h.errors, h.errors_array = errs.items, errs.runs
    if compound:
        dtype = np.int32 if cmd_type == _C.DevVarLongStringArray else np.float64
        nums = np.concatenate(numbers).astype(dtype) if numbers else np.zeros(0, dtype)
        if len(strings) or len(nums):
            h.value = T.CorbaAny(command_typecode(cmd_type), (nums, strings))
    elif chunks:
        array_type = _ARRAY_OF_SCALAR.get(cmd_type, cmd_type)
        if array_type == _C.DevVarStateArray:
            chunks = [[int(v) for v in c] for c in chunks]
        elif array_type == _C.DevVarEncodedArray:
            chunks = [[_encoded(v) for v in c] for c in chunks]
        h.value = T.CorbaAny(command_typecode(array_type), _concat(array_type, chunks))
    return h


def _encoded(v: Any) -> T.DevEncoded:
    if isinstance(v, T.DevEncoded):
        return v
    fmt, data = v
    return T.DevEncoded(fmt, bytes(data) if not isinstance(data, str) else data.encode())


# ---------------------------------------------------------------------------
# polled objects and the polling thread

_SETTING_NAMES = ("poll_ring_depth", "attr_poll_ring_depth", "cmd_poll_ring_depth", "min_poll_period",
                  "attr_min_poll_period", "cmd_min_poll_period", "poll_old_factor", "non_auto_polled_attr",
                  "non_auto_polled_cmd")


class PollingSettings:
    """A device's polling properties (cppTango's "system" device properties, set in Jive or with
    ``put_device_property``): ring depths, minimum periods, the "not updated any more" factor and
    the objects not to poll automatically.  Per-object lists are name, value pairs; their names
    are kept lower-cased, as cppTango does when it reads them."""

    NAMES = _SETTING_NAMES

    def __init__(self, props: dict[str, list[str]] | None = None) -> None:
        props = props or {}
        self.poll_ring_depth = _int_setting(props.get("poll_ring_depth"), 0)
        self.attr_ring = _pairs_setting(props.get("attr_poll_ring_depth"))
        self.cmd_ring = _pairs_setting(props.get("cmd_poll_ring_depth"))
        self.min_poll_period = _int_setting(props.get("min_poll_period"), 0)
        self.attr_min_poll_period = list(props.get("attr_min_poll_period") or [])
        self.cmd_min_poll_period = list(props.get("cmd_min_poll_period") or [])
        self.attr_min = _pairs_setting(self.attr_min_poll_period)
        self.cmd_min = _pairs_setting(self.cmd_min_poll_period)
        self.old_factor = _int_setting(props.get("poll_old_factor"), POLL_OLD_FACTOR) or POLL_OLD_FACTOR
        self.non_auto_polled_attr = list(props.get("non_auto_polled_attr") or [])
        self.non_auto_polled_cmd = list(props.get("non_auto_polled_cmd") or [])

    def ring_depth(self, kind: str, name: str, *, exact: bool = False) -> int:
        """The ring depth of an object: its own entry, else ``poll_ring_depth``, else 10.  The
        device's getters look the name up as given (``exact``), the polling lower-cased."""
        table = self.attr_ring if kind == ATTRIBUTE else self.cmd_ring
        depth = table.get(name if exact else name.lower())
        return depth if depth else (self.poll_ring_depth or DEFAULT_POLL_RING_DEPTH)

    def min_period(self, kind: str, name: str) -> int:
        table = self.attr_min if kind == ATTRIBUTE else self.cmd_min
        return table.get(name.lower(), self.min_poll_period)


def _int_setting(values: list[str] | None, default: int) -> int:
    try:
        return int(values[0]) if values else default
    except (TypeError, ValueError):
        return default


def _pairs_setting(flat: list[str] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    flat = list(flat or [])
    for i in range(0, len(flat) - 1, 2):
        try:
            out[flat[i].lower()] = int(flat[i + 1])
        except ValueError:
            continue
    return out


class PolledObject:
    """One polled attribute or command of a device.

    ``name`` is the spelling to show (the declared one), ``key`` its lower-case form;
    ``period_ms`` 0 means externally triggered (never polled by the thread).  ``listed``: the
    device itself counts it as polled (``is_attribute_polled`` in device code); as in cppTango,
    an object whose polling began externally triggered is not, until a period is given to it.
    """

    def __init__(self, kind: str, name: str, period_ms: int, depth: int = DEFAULT_POLL_RING_DEPTH,
                 old_factor: int = POLL_OLD_FACTOR) -> None:
        self.kind = kind
        self.old_factor = old_factor
        self.name = name
        self.key = name.lower()
        self.period_ms = int(period_ms)
        self.ring = PollRing(depth)
        self.lock = threading.Lock()
        self.late_polls = 0
        self.last_lateness_ms = 0.0
        self.due: float | None = None        # next monotonic due time, managed by the poller
        self.listed = self.period_ms > 0

    @property
    def needed_ms(self) -> float:
        rec = self.ring.newest()
        return rec.needed_ms if rec is not None else 0.0

    def insert(self, record: PollRecord) -> None:
        with self.lock:
            self.ring.insert(record)

    def is_stale(self, now: float | None = None) -> bool:
        """Data older than ``old_factor`` periods (the device's ``poll_old_factor``, 4 by
        default: cppTango's "not updated any more")."""
        if self.period_ms == 0:
            return False
        rec = self.ring.newest()
        if rec is None:
            return False
        now = time.time() if now is None else now
        return (now - rec.when) * 1000 > self.period_ms * self.old_factor

    def __repr__(self) -> str:
        return f"PolledObject({self.kind} {self.name!r}, {self.period_ms} ms, {len(self.ring)} records)"


class DevicePoller:
    """The polling thread of one device.

    ``poll(obj)`` is called from the thread for every due object; it returns the PollRecord to
    store (or None when the reading could not be made, e.g. the device is being deleted) and
    may publish events.  The thread starts with the first object and stops on :meth:`stop`.
    Scheduling is on a fixed grid: each object becomes due every ``period`` ms from the moment
    it was added, whatever the readings cost; a reading that makes others miss their slot makes
    them *late* -- they run as soon as possible, skip the slots they missed (no burst of
    catch-up readings) and count the lateness.
    """

    def __init__(self, device_name: str, poll: Callable[[PolledObject], PollRecord | None],
                 clock: Callable[[], float] = time.monotonic, running: bool = True) -> None:
        self.device_name = device_name
        self._poll = poll
        self._clock = clock
        self._objects: dict[tuple[str, str], PolledObject] = {}
        self._heap: list[tuple[float, int, PolledObject]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = running   # StartPolling / StopPolling
        self._exit = False

    # -- object list ------------------------------------------------------
    def objects(self) -> list[PolledObject]:
        with self._cond:
            return list(self._objects.values())

    def get(self, kind: str, name: str) -> PolledObject | None:
        return self._objects.get((kind, name.lower()))

    def add(self, obj: PolledObject, first_delay_s: float = 0.0) -> None:
        with self._cond:
            self._objects[(obj.kind, obj.key)] = obj
            if obj.period_ms > 0:
                self._schedule(obj, self._clock() + first_delay_s)
            self._ensure_thread()
            self._cond.notify_all()

    def remove(self, kind: str, name: str) -> PolledObject | None:
        with self._cond:
            obj = self._objects.pop((kind, name.lower()), None)
            if obj is not None:
                obj.due = None          # its heap entry is now stale and will be dropped
                self._cond.notify_all()
            return obj

    def update_period(self, kind: str, name: str, period_ms: int) -> None:
        with self._cond:
            obj = self._objects[(kind, name.lower())]
            obj.period_ms = int(period_ms)
            obj.due = None
            if obj.period_ms > 0:
                self._schedule(obj, self._clock())
            self._cond.notify_all()

    def _schedule(self, obj: PolledObject, due: float) -> None:
        obj.due = due
        heapq.heappush(self._heap, (due, next(self._seq), obj))

    # -- start / stop -------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    def start_polling(self) -> None:
        with self._cond:
            if not self._running:
                self._running = True
                now = self._clock()
                self._heap = []
                for obj in self._objects.values():
                    if obj.period_ms > 0:
                        self._schedule(obj, now)
            self._cond.notify_all()

    def stop_polling(self) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread (device deleted or server shutting down)."""
        with self._cond:
            self._exit = True
            self._cond.notify_all()
            t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._exit:
            self._thread = threading.Thread(target=self._loop, name=f"tango_core polling {self.device_name}",
                                            daemon=True)
            self._thread.start()

    # -- the thread ---------------------------------------------------------
    def _next(self) -> PolledObject | None:
        """Wait until an object is due (None when asked to exit)."""
        with self._cond:
            while True:
                if self._exit:
                    return None
                heap = self._heap
                while heap and (heap[0][2].due != heap[0][0] or
                                self._objects.get((heap[0][2].kind, heap[0][2].key)) is not heap[0][2]):
                    heapq.heappop(heap)          # removed or rescheduled objects
                if not self._running or not heap:
                    self._cond.wait()
                    continue
                due, _, obj = heap[0]
                delay = due - self._clock()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(heap)
                period = obj.period_ms / 1000.0
                now = self._clock()
                lateness = now - due
                next_due = due + period
                if lateness >= period:          # missed at least one slot: skip them, count it
                    obj.late_polls += 1
                    obj.last_lateness_ms = lateness * 1000
                    missed = int(lateness // period)
                    next_due = due + (missed + 1) * period
                self._schedule(obj, next_due)
                return obj

    def _loop(self) -> None:
        while True:
            obj = self._next()
            if obj is None:
                return
            self.poll_now(obj)

    def poll_now(self, obj: PolledObject) -> None:
        """One reading of ``obj`` into its buffer, in the calling thread (the polling thread's,
        or device code's asking for an externally triggered reading)."""
        try:
            record = self._poll(obj)
        except Exception as exc:       # the poll callable reports device errors as records
            record = PollRecord(time.time(), errors=_errors_of(exc))
        if record is not None:
            obj.insert(record)


def _errors_of(exc: BaseException) -> tuple[DevError, ...]:
    if isinstance(exc, DevFailed):
        return tuple(exc.args)
    return (DevError("PyDs_PythonError", f"{type(exc).__name__}: {exc}\n", "PollThread::poll"),)


# ---------------------------------------------------------------------------
# DevPollStatus

def _since(seconds: float) -> str:
    """cppTango's "Data not updated since" wording."""
    if seconds < 1.0:
        return f"{int(seconds * 1000)} mS"
    if seconds < 60.0:
        sec = int(seconds)
        return f"{sec} S and {int((seconds - sec) * 1000)} mS"
    minutes = int(seconds / 60)
    sec = int(seconds - 60 * minutes)
    msec = int((seconds - int(seconds)) * 1000)
    out = f"{minutes} MN"
    if sec:
        out += f" ,{sec} S"
    if msec:
        out += f" and {msec} mS"
    return out


def _status_of(obj: PolledObject, kind_word: str, now: float) -> str:
    lines = [f"Polled {kind_word} name = {obj.name}"]
    lines.append("Polling externally triggered" if obj.period_ms == 0 else f"Polling period (mS) = {obj.period_ms}")
    lines.append(f"Polling ring buffer depth = {obj.ring.depth}")
    with obj.lock:
        newest = obj.ring.newest()
        deltas = obj.ring.deltas_ms(4)
    if newest is None:
        lines.append("No data recorded yet")
    else:
        needed = newest.needed_ms
        if needed == 0.0:
            lines.append("The polling buffer is externally filled in")
        elif obj.period_ms != 0:
            what = "command execution" if obj.kind == COMMAND else "attribute reading"
            lines.append(f"Time needed for the last {what} (mS) = {needed:.3f}")
            lines.append(f"Data not updated since {_since(max(0.0, now - newest.when - needed / 1000))}")
        if deltas:
            lines.append("Delta between last records (in mS) = " + ", ".join(str(d) for d in deltas))
        if obj.late_polls:
            lines.append(f"Polling thread late {obj.late_polls} time(s) for this object "
                         f"(last time by {int(obj.last_lateness_ms)} mS)")
        if newest.errors:
            e = newest.errors[0]
            lines.append("Last command execution FAILED :" if obj.kind == COMMAND else "Last attribute read FAILED :")
            lines.append(f"\tReason = {e.reason}\n\tDesc = {e.desc}\n\tOrigin = {e.origin}")
    return "\n".join(lines)


def poll_status(objects: Iterable[PolledObject], now: float | None = None) -> list[str]:
    """DevPollStatus for one device: commands first, then attributes; State and Status (polled
    as attributes since IDL 3) appear in both parts, the copy saying "command"."""
    now = time.time() if now is None else now
    objects = list(objects)
    cmds, attrs = [], []
    for obj in objects:
        if obj.kind == COMMAND:
            cmds.append(_status_of(obj, "command", now))
    for obj in objects:
        if obj.kind == ATTRIBUTE:
            text = _status_of(obj, "attribute", now)
            attrs.append(text)
            if obj.key in ("state", "status"):
                cmds.append(text.replace("attribute", "command"))
    return cmds + attrs


# ---------------------------------------------------------------------------
# the polling service of a server (runtime.polling)

def _df(reason: str, desc: str, origin: str) -> DevFailed:
    return DevFailed.from_reason(reason, desc, origin)


def _error_value(name: str, reason: str, desc: str, origin: str) -> T.AttributeValue_5:
    """An AttributeValue_5 carrying one error, as read_attributes_5 reports a failed attribute."""
    return T.AttributeValue_5(T.AttrValUnion.no_data(), AttrQuality.ATTR_INVALID, AttrDataFormat.FMT_UNKNOWN,
                              CmdArgType.DevVoid, _timeval(time.time()), name, T.AttributeDim(0, 0),
                              T.AttributeDim(0, 0), [DevError(reason, desc, origin)])


_STATE_STATUS = ("state", "status")


class PollingEngine(PollingService):
    """``runtime.polling``: polls attributes and commands of the server's devices.

    One :class:`DevicePoller` (thread) per polled device, created with its first polled object
    and started once the server is up (:meth:`start`).  Each poll reads the attribute as a
    client would (``device.read_attribute_value``, with the device's lock) or runs the command
    (``device.run_command``), stores the record in the object's ring and hands attribute
    readings to the event system (``runtime.events.attribute_polled``) for change, archive,
    periodic and alarm events.  State and Status are polled as attributes even when asked for
    as commands (IDL >= 3, as cppTango).
    """

    def __init__(self, runtime: Any) -> None:
        super().__init__()
        self.runtime = runtime
        self._pollers: dict[str, DevicePoller] = {}
        self._devices: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._started = False
        self._running = True

    # -- configuration (PollingService) --------------------------------------------------------
    @staticmethod
    def _normalise(device: Any, kind: str, name: str) -> tuple[str, str]:
        kind = kind.lower()
        if kind == COMMAND and name.lower() in _STATE_STATUS:
            return ATTRIBUTE, "State" if name.lower() == "state" else "Status"
        return kind, name

    def _poller(self, device: Any, create: bool = False) -> DevicePoller | None:
        key = device.get_name().lower()
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None and create:
                poller = DevicePoller(device.get_name(), lambda obj, k=key: self._poll(k, obj),
                                      running=self._started and self._running)
                self._pollers[key] = poller
            if create:
                self._devices[key] = device
            return poller

    def set_period(self, device: Any, kind: str, name: str, period_ms: int) -> None:
        kind, name = self._normalise(device, kind, name)
        period_ms = int(period_ms)
        if period_ms != 0 and period_ms < MIN_POLL_PERIOD_MS:
            raise _df("API_NotSupported", f"{period_ms} is below the min authorized period ({MIN_POLL_PERIOD_MS} mS)",
                      "DServer::add_obj_polling")
        if period_ms < 0:
            raise _df("API_NotSupported", f"{period_ms} is not a polling period", "DServer::add_obj_polling")
        if kind == COMMAND:
            cmd = device.command_query(name)
            if cmd.name_lower == "init":
                raise _df("API_NotSupported", "It's not possible to poll the Init command!",
                          "DServer::add_obj_polling")
            if cmd.in_type != CmdArgType.DevVoid:
                raise _df("API_IncompatibleCmdArgumentType",
                          f"Command {cmd.name} cannot be polled because it needs input value",
                          "DeviceImpl::check_command_exists")
        poller = self._poller(device, create=True)
        assert poller is not None
        obj = poller.get(kind, name)
        if obj is None:
            settings = device.get_polling_settings()
            poller.add(PolledObject(kind, name, period_ms, settings.ring_depth(kind, name), settings.old_factor))
        elif obj.period_ms != period_ms:
            poller.update_period(kind, name, period_ms)
            obj.listed = obj.listed or period_ms > 0

    def trigger(self, device: Any, kind: str, name: str) -> None:
        """One reading of an externally triggered (period 0) object, stored in its buffer before
        this returns (``Util.trigger_attr_polling`` / ``trigger_cmd_polling``).  It runs in the
        calling thread: device code calling this from a command already holds the device's
        (re-entrant) lock, where cppTango releases its monitor while its polling thread reads."""
        origin = f"Util::trigger_{'attr' if kind == ATTRIBUTE else 'cmd'}_polling"
        obj = self.check_polled(device, kind, name, origin)
        poller = self._poller(device)
        assert poller is not None
        if obj.period_ms != 0:
            raise _df("API_NotSupported", f"Polling for {kind} {name} (device {device.get_name()})  is not "
                      "externally triggered.", origin)
        poller.poll_now(obj)

    def stop_device_polling(self, device: Any) -> None:
        """No more readings for ``device`` (DeviceImpl.stop_polling): its objects stay listed,
        with what their buffers hold; the admin's StartPolling starts them again."""
        poller = self._poller(device)
        if poller is not None:
            poller.stop_polling()

    def check_min_period(self, device: Any, kind: str, name: str, period_ms: int) -> None:
        """A period below the device's ``min_poll_period`` (or the object's entry in
        ``attr_min_poll_period``/``cmd_min_poll_period``) is refused, as cppTango (0, externally
        triggered, is not a period)."""
        least = device.get_polling_settings().min_period(kind, name)
        if period_ms and period_ms < least:
            raise _df("API_MethodArgument", f"Polling period for {kind} {name.lower()} is below the min authorized "
                      f"({least})", "DServer::check_upd_authorized")

    def check_polled(self, device: Any, kind: str, name: str, origin: str) -> PolledObject:
        """The polled object, or cppTango's two refusals for one that is not polled (to stop,
        change, trigger or fill it): nothing of the device is polled, or something else of it is."""
        if not self.polled_objects(device):
            raise _df("API_DeviceNotPolled", f"Device {device.get_name()} is not polled", origin)
        obj = self.polled_object(device, kind, name)
        if obj is None:
            raise _df("API_PollObjNotFound", f"{name.lower()} not found in list of polled object",
                      "DeviceImpl::get_polled_obj_by_type_name")
        return obj

    def remove(self, device: Any, kind: str, name: str) -> None:
        kind, name = self._normalise(device, kind, name)
        poller = self._poller(device)
        if poller is not None:
            poller.remove(kind, name)

    def get_period(self, device: Any, kind: str, name: str) -> int:
        obj = self.polled_object(device, kind, name)
        return obj.period_ms if obj is not None else 0

    def polled_object(self, device: Any, kind: str, name: str) -> PolledObject | None:
        kind, name = self._normalise(device, kind, name)
        poller = self._poller(device)
        return poller.get(kind, name) if poller is not None else None

    def is_polled(self, device: Any, kind: str, name: str) -> bool:
        return self.polled_object(device, kind, name) is not None

    def polled_objects(self, device: Any) -> dict[tuple[str, str], int]:
        poller = self._poller(device)
        if poller is None:
            return {}
        return {(o.kind, o.key): o.period_ms for o in poller.objects()}

    def polled_devices(self) -> list[str]:
        with self._lock:
            return [name for name, p in self._pollers.items() if p.objects()]

    def status(self, device: Any) -> list[str]:
        poller = self._poller(device)
        if poller is None:
            return []
        objs = poller.objects()
        for obj in objs:          # show the device's spelling of each name
            if obj.kind == ATTRIBUTE and obj.key not in _STATE_STATUS:
                attr = device.get_device_attr().find(obj.key)
                if attr is not None:
                    obj.name = attr.name
        return poll_status(objs)

    def device_removed(self, device: Any) -> None:
        key = device.get_name().lower()
        with self._lock:
            poller = self._pollers.pop(key, None)
            self._devices.pop(key, None)
        if poller is not None:
            poller.stop()

    def start(self) -> None:
        self._started = True
        if self._running:
            for poller in self._snapshot():
                poller.start_polling()

    def start_polling(self) -> None:
        self._running = True
        if self._started:
            for poller in self._snapshot():
                poller.start_polling()

    def stop_polling(self) -> None:
        self._running = False
        for poller in self._snapshot():
            poller.stop_polling()

    def close(self) -> None:
        with self._lock:
            pollers = list(self._pollers.values())
            self._pollers.clear()
            self._devices.clear()
        for poller in pollers:
            poller.stop()

    def _snapshot(self) -> list[DevicePoller]:
        with self._lock:
            return list(self._pollers.values())

    def extra(self) -> dict[str, Any]:
        return {"running": self._running}

    # -- one poll ----------------------------------------------------------------------------------
    def _poll(self, device_key: str, obj: PolledObject) -> PollRecord | None:
        device = self._devices.get(device_key)
        if device is None:
            return None
        # gevent devices are read in the server's hub, as by a client request
        in_device_context = self.runtime.run_device_code
        when = time.time()
        t0 = time.perf_counter()
        if obj.kind == ATTRIBUTE:
            try:
                av = in_device_context(device.read_attribute_value, obj.name)
            except DevFailed as exc:
                av, errors = None, tuple(exc.args)
            else:
                errors = tuple(av.err_list) if av.err_list else None
            needed = (time.perf_counter() - t0) * 1000
            record = PollRecord(when, None if errors else av, errors, max(needed, 1e-3))
            events = self.runtime.events
            notify = getattr(events, "attribute_polled", None)
            if notify is not None:
                try:
                    notify(device, obj.name, record.value, errors, when * 1000)
                except Exception:   # an event failure must not stop the polling
                    import traceback
                    traceback.print_exc()
            return record
        try:
            result = in_device_context(device.run_command, obj.name)
            errors = None
        except DevFailed as exc:
            result, errors = None, tuple(exc.args)
        needed = (time.perf_counter() - t0) * 1000
        return PollRecord(when, result, errors, max(needed, 1e-3))

    # -- reads from the cache (DevSource.CACHE / CACHE_DEV) ------------------------------------------
    def _polls_nothing(self, device: Any) -> bool:
        """True when nothing of ``device`` is polled (a dict lookup, no lock: PyTango clients read
        with CACHE_DEV by default, so this is asked before nearly every read and command)."""
        poller = self._pollers.get(device.get_name().lower())
        return poller is None or not poller._objects

    def read_attributes_from_cache(self, device: Any, names: list[str], source: Any) -> list | None:
        cache_dev = source == DevSource.CACHE_DEV
        if cache_dev and self._polls_nothing(device):
            return None
        out: list[Any] = [None] * len(names)
        from_device: list[int] = []
        origin = "Device_3Impl::read_attributes_from_cache"
        attrs = device.get_device_attr()
        for i, name in enumerate(names):
            attr = attrs.find(name)
            if attr is None:
                from_device.append(i)       # the device reports unknown names itself
                continue
            obj = self.polled_object(device, ATTRIBUTE, name)
            if obj is None:
                if cache_dev:
                    from_device.append(i)
                else:
                    out[i] = _error_value(name, "API_AttrNotPolled", f"Attribute {attr.name} not polled", origin)
                continue
            out[i] = self._cached_value(obj, name, origin)
        if from_device:
            values = device.read_attributes([names[i] for i in from_device])
            for i, v in zip(from_device, values):
                out[i] = v
        return out

    @staticmethod
    def _cached_value(obj: PolledObject, name: str, origin: str) -> T.AttributeValue_5:
        with obj.lock:
            rec = obj.ring.newest()
        if rec is None:
            return _error_value(name, "API_NoDataYet", f"No data available in cache for attribute {name}", origin)
        if obj.is_stale():
            return _error_value(name, "API_NotUpdatedAnyMore",
                                f"Data in cache for attribute {name} not updated any more", origin)
        if rec.errors:
            v = _error_value(name, rec.errors[0].reason, rec.errors[0].desc, rec.errors[0].origin)
            v.err_list = list(rec.errors)
            v.time = _timeval(rec.when)
            return v
        return rec.value

    def read_command_from_cache(self, device: Any, name: str, source: Any) -> tuple | None:
        if source == DevSource.CACHE_DEV and self._polls_nothing(device):
            return None
        obj = self.polled_object(device, COMMAND, name)
        if obj is None:
            if source == DevSource.CACHE_DEV:
                return None
            device.command_query(name)        # API_CommandNotFound for an unknown command
            raise _df("API_CmdNotPolled", f"Command {name} not polled", "Device_2Impl::command_inout")
        with obj.lock:
            rec = obj.ring.newest()
        if rec is None:
            raise _df("API_NoDataYet", f"No data available in cache for command {name}",
                      "Device_2Impl::command_inout")
        if obj.is_stale():
            raise _df("API_NotUpdatedAnyMore", f"Data in cache for command {name} not updated any more",
                      "Device_2Impl::command_inout")
        if rec.errors:
            raise DevFailed(*rec.errors)
        if obj.kind == ATTRIBUTE:        # State / Status polled as attributes
            return _command_result_of(rec.value)
        return rec.value

    # -- histories ---------------------------------------------------------------------------------
    def history(self, device: Any, kind: str, name: str, n: int, idl: int) -> Any:
        if kind == ATTRIBUTE:
            attr = device.get_device_attr().get_attr_by_name(name)     # API_AttrNotFound
            origin = f"Device_{max(idl, 3)}Impl::read_attribute_history_{idl}"
            obj = self.polled_object(device, ATTRIBUTE, name)
            if obj is None:
                raise _df("API_AttrNotPolled", f"Attribute {name.lower()} not polled", origin)
            with obj.lock:
                empty = obj.ring.is_empty()
                h = None if empty else attribute_history(obj.ring, max(0, int(n)), attr.name, attr.data_format,
                                                         attr.data_type)
            if h is None:
                raise _df("API_NoDataYet", f"No data available in cache for attribute {name.lower()}", origin)
            if idl >= 5:
                return h
            if idl == 4:
                return T.DevAttrHistory_4(h.name, h.dates, h.value, h.quals, h.quals_array, h.r_dims,
                                          h.r_dims_array, h.w_dims, h.w_dims_array, h.errors, h.errors_array)
            with obj.lock:
                recs = list(reversed(obj.ring.last(max(0, int(n)))))
            return [_attr_history_record(attr.name, rec, idl) for rec in recs]
        cmd_origin = f"Device_{4 if idl >= 4 else 2}Impl::command_inout_history_{idl}"
        device.command_query(name)                                      # API_CommandNotFound
        obj = self.polled_object(device, COMMAND, name)
        if obj is None:
            raise _df("API_CmdNotPolled", f"Command {name} not polled", cmd_origin)
        with obj.lock:
            recs = obj.ring.last(max(0, int(n)))
        if not recs and obj.ring.is_empty():
            raise _df("API_NoDataYet", f"No data available in cache for command {name}", cmd_origin)
        if obj.kind == ATTRIBUTE:            # State / Status: convert the attribute readings
            recs = [PollRecord(r.when, None if r.errors else _command_result_of(r.value), r.errors, r.needed_ms)
                    for r in recs]
        ring = PollRing(max(1, len(recs)))
        for r in reversed(recs):
            ring.insert(r)
        cmd_type = (CmdArgType.DevState if obj.key == "state" else CmdArgType.DevString) \
            if obj.kind == ATTRIBUTE else device.command_query(name).out_type
        if idl >= 4:
            return command_history(ring, len(recs), cmd_type)
        return [_cmd_history_record(rec, cmd_type) for rec in reversed(recs)]


def _command_result_of(av: T.AttributeValue_5) -> tuple:
    """State/Status command result from their attribute reading."""
    u = av.value
    if u.arm is _A.DEVICE_STATE:
        return CmdArgType.DevState, DevState(u.value)
    return CmdArgType.DevString, u.value[0] if u.value else ""


def _attr_history_record(name: str, rec: PollRecord, idl: int) -> Any:
    """One DevAttrHistory_3 / DevAttrHistory record (read_attribute_history_3 / _2)."""
    from .servant import _to_1, _to_3
    if rec.errors:
        av = _error_value(name, rec.errors[0].reason, rec.errors[0].desc, rec.errors[0].origin)
        av.err_list = list(rec.errors)
        av.time = _timeval(rec.when)
    else:
        av = rec.value
    if idl == 3:
        return T.DevAttrHistory_3(bool(rec.errors), _to_3(av))
    return T.DevAttrHistory(bool(rec.errors), _to_1(av), list(rec.errors or []))


def _cmd_history_record(rec: PollRecord, cmd_type: CmdArgType) -> T.DevCmdHistory:
    """One DevCmdHistory record (command_inout_history_2)."""
    if rec.errors:
        return T.DevCmdHistory(_timeval(rec.when), True, T.CorbaAny(), list(rec.errors))
    out_type, value = rec.value
    if out_type == CmdArgType.DevVoid:
        return T.DevCmdHistory(_timeval(rec.when), False, T.CorbaAny(), [])
    if out_type == CmdArgType.DevState:
        value = int(value)
    return T.DevCmdHistory(_timeval(rec.when), False, T.CorbaAny(command_typecode(out_type), value), [])
