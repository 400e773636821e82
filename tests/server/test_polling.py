"""The polling machinery on its own (tango_core/server/polling.py): ring buffers, the history
structs laid out as cppTango's, the polling thread's schedule under load, DevPollStatus text.

Servers that poll are tested end to end with PyTango's client in tests/server/test_polling_interop.py.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from tango_core.idl import types as T
from tango_core.idl.enums import AttrDataFormat, AttrQuality, AttributeDataType, CmdArgType, DevState
from tango_core.idl.errors import DevError, DevFailed
from tango_core.server.polling import (ATTRIBUTE, COMMAND, DevicePoller, PolledObject, PollRecord, PollRing,
                                       attribute_history, command_history, poll_status)
from tango_core.wire.cdr import CDRReader, CDRWriter

A = AttributeDataType


def _av(x, t, quality=AttrQuality.ATTR_VALID, arm=A.ATT_DOUBLE, w=None):
    vals = [x] if w is None else [x, w]
    return T.AttributeValue_5(T.AttrValUnion(arm, np.array(vals, dtype=np.float64)), quality,
                              AttrDataFormat.SCALAR, CmdArgType.DevDouble, T.TimeVal(t), "x",
                              T.AttributeDim(1, 0), T.AttributeDim(0 if w is None else 1, 0), [])


ERR = (DevError("PyDs_PythonError", "ValueError: boom\n", "read_x"),)


def _ring(records):
    ring = PollRing(10)
    for r in records:
        ring.insert(r)
    return ring


def _wire(h):
    """Encode and decode again, as the client sees it."""
    w = CDRWriter()
    h.write(w)
    return type(h).read(CDRReader(w.getvalue()))


def test_ring_keeps_the_newest_depth_records():
    ring = PollRing(3)
    for i in range(5):
        ring.insert(PollRecord(100.0 + i, value=i))
    assert len(ring) == 3 and [r.value for r in ring.last(10)] == [4, 3, 2]
    assert ring.deltas_ms() == [1000, 1000]
    ring.resize(2)
    assert [r.value for r in ring.last(10)] == [4, 3]


def test_attribute_history_layout_is_cpptangos():
    ring = _ring([PollRecord(100.0, _av(1.0, 100.0)), PollRecord(101.0, _av(2.0, 101.0)),
                  PollRecord(102.0, _av(3.0, 102.0))])
    h = _wire(attribute_history(ring, 5, "x", AttrDataFormat.SCALAR, CmdArgType.DevDouble))
    assert [d.tv_sec for d in h.dates] == [100, 101, 102]               # oldest first
    assert h.value.to_union().value.tolist() == [3.0, 2.0, 1.0]         # newest first
    assert h.quals == [AttrQuality.ATTR_VALID] and h.quals_array == [T.EltInArray(2, 3)]
    assert h.r_dims == [T.AttributeDim(1, 0)] and h.r_dims_array == [T.EltInArray(2, 3)]
    assert h.w_dims == [T.AttributeDim(0, 0)] and h.errors == [] and h.errors_array == []


def test_attribute_history_with_errors_and_quality_runs():
    ring = _ring([PollRecord(100.0, _av(1.0, 100.0)),
                  PollRecord(101.0, errors=ERR), PollRecord(102.0, errors=ERR),
                  PollRecord(103.0, _av(4.0, 103.0, AttrQuality.ATTR_ALARM))])
    h = _wire(attribute_history(ring, 10, "x", AttrDataFormat.SCALAR, CmdArgType.DevDouble))
    # newest (index 3) is ALARM, 2-1 errors (INVALID, no data), 0 VALID
    assert h.quals == [AttrQuality.ATTR_ALARM, AttrQuality.ATTR_INVALID, AttrQuality.ATTR_VALID]
    assert h.quals_array == [T.EltInArray(3, 1), T.EltInArray(2, 2), T.EltInArray(0, 1)]
    assert [e[0].reason for e in h.errors] == ["PyDs_PythonError"] and h.errors_array == [T.EltInArray(2, 2)]
    assert h.r_dims == [T.AttributeDim(1, 0), T.AttributeDim(0, 0), T.AttributeDim(1, 0)]
    assert h.value.to_union().value.tolist() == [4.0, 1.0]
    assert [d.tv_sec for d in h.dates] == [100, 101, 102, 103]


def test_history_runs_expand_to_one_entry_per_record():
    ring = _ring([PollRecord(100.0 + i, _av(float(i), 100.0 + i, w=10.0)) for i in range(4)])
    h = _wire(attribute_history(ring, 3, "x", AttrDataFormat.SCALAR, CmdArgType.DevDouble))
    assert len(h.dates) == 3
    assert T.expand_runs(h.w_dims, h.w_dims_array, 3, None) == [T.AttributeDim(1, 0)] * 3
    assert T.expand_runs(h.quals, h.quals_array, 3, None) == [AttrQuality.ATTR_VALID] * 3
    # read value and set point of each record, newest record first
    assert h.value.to_union().value.tolist() == [3.0, 10.0, 2.0, 10.0, 1.0, 10.0]


def test_state_attribute_history_packs_states():
    def st(s, t):
        return T.AttributeValue_5(T.AttrValUnion(A.DEVICE_STATE, s), AttrQuality.ATTR_VALID, AttrDataFormat.SCALAR,
                                  CmdArgType.DevState, T.TimeVal(t), "State", T.AttributeDim(1, 0),
                                  T.AttributeDim(0, 0), [])
    ring = _ring([PollRecord(1.0, st(DevState.ON, 1.0)), PollRecord(2.0, st(DevState.ALARM, 2.0))])
    h = _wire(attribute_history(ring, 2, "State", AttrDataFormat.SCALAR, CmdArgType.DevState))
    assert h.value.to_union().value == [DevState.ALARM, DevState.ON]


@pytest.mark.parametrize("cmd_type, results, expected, dims", [
    (CmdArgType.DevDouble, [1.5, 2.5], [2.5, 1.5], [(1, 0)]),
    (CmdArgType.DevString, ["a", "b"], ["b", "a"], [(1, 0)]),
    (CmdArgType.DevState, [DevState.ON, DevState.OFF], [DevState.OFF, DevState.ON], [(1, 0)]),
    (CmdArgType.DevVarLongArray, [[1, 2], [3]], [3, 1, 2], [(1, 0), (2, 0)]),
])
def test_command_history(cmd_type, results, expected, dims):
    ring = _ring([PollRecord(10.0 + i, (cmd_type, v)) for i, v in enumerate(results)])
    h = _wire(command_history(ring, 5, cmd_type))
    assert h.cmd_type == cmd_type and [d.tv_sec for d in h.dates] == [10, 11]
    got = h.value.to_union().value          # the newest result first, as cppTango packs them
    assert (got.tolist() if isinstance(got, np.ndarray) else list(got)) == expected
    assert [(d.dim_x, d.dim_y) for d in h.dims] == dims


def test_command_history_long_string_array_and_errors():
    t = CmdArgType.DevVarLongStringArray
    ring = _ring([PollRecord(1.0, (t, ([1, 2], ["a"]))), PollRecord(2.0, errors=ERR),
                  PollRecord(3.0, (t, ([3], ["b", "c"])))])
    h = _wire(command_history(ring, 3, t))
    nums, strs = h.value.value
    assert nums.tolist() == [3, 1, 2] and strs == ["b", "c", "a"]
    assert [(d.dim_x, d.dim_y) for d in h.dims] == [(2, 1), (0, 0), (1, 2)]
    assert h.errors_array == [T.EltInArray(1, 1)]


# ---------------------------------------------------------------------------
# the polling thread

def _collecting_poller(read_cost_s=0.0):
    stamps: dict[str, list[float]] = {}

    def poll(obj):
        t0 = time.time()
        stamps.setdefault(obj.key, []).append(time.monotonic())
        if read_cost_s:
            time.sleep(read_cost_s)
        return PollRecord(t0, _av(1.0, t0), needed_ms=(time.time() - t0) * 1000 + 0.001)
    return DevicePoller("a/b/c", poll), stamps


def test_objects_are_polled_at_their_period_on_a_fixed_grid():
    poller, stamps = _collecting_poller(read_cost_s=0.02)
    try:
        poller.add(PolledObject(ATTRIBUTE, "x", 100))
        time.sleep(1.05)
    finally:
        poller.stop()
    s = stamps["x"]
    assert 9 <= len(s) <= 12
    # a 20 ms reading does not stretch the period: the mean spacing stays 100 ms
    assert abs(np.mean(np.diff(s)) - 0.100) < 0.010


def test_a_slow_reading_makes_the_others_late_and_it_is_counted():
    poller, stamps = _collecting_poller()
    slow_calls = []

    def poll(obj):
        if obj.key == "slow":
            slow_calls.append(1)
            time.sleep(0.35)
        return PollRecord(time.time(), _av(1.0, time.time()), needed_ms=1.0)
    poller._poll = poll
    try:
        fast = PolledObject(ATTRIBUTE, "fast", 100)
        poller.add(fast)
        poller.add(PolledObject(ATTRIBUTE, "slow", 1000), first_delay_s=0.25)
        time.sleep(1.0)
    finally:
        poller.stop()
    assert slow_calls and fast.late_polls >= 1 and fast.last_lateness_ms >= 100
    text = poll_status([fast])[0]
    assert f"Polling thread late {fast.late_polls} time(s)" in text


def test_stop_polling_pauses_and_start_polling_resumes():
    poller, stamps = _collecting_poller()
    try:
        poller.add(PolledObject(ATTRIBUTE, "x", 50))
        time.sleep(0.3)
        poller.stop_polling()
        time.sleep(0.1)
        n = len(stamps["x"])
        time.sleep(0.3)
        assert len(stamps["x"]) == n
        poller.start_polling()
        time.sleep(0.3)
        assert len(stamps["x"]) > n + 2
    finally:
        poller.stop()


def test_remove_and_update_period():
    poller, stamps = _collecting_poller()
    try:
        poller.add(PolledObject(ATTRIBUTE, "x", 50))
        poller.add(PolledObject(ATTRIBUTE, "y", 1000))
        time.sleep(0.2)
        poller.update_period(ATTRIBUTE, "Y", 50)
        poller.remove(ATTRIBUTE, "X")
        n_x = len(stamps["x"])
        time.sleep(0.4)
        assert len(stamps["x"]) == n_x
        assert len(stamps["y"]) >= 5
        assert [o.key for o in poller.objects()] == ["y"]
    finally:
        poller.stop()


def test_a_raising_poll_callable_stores_an_error_record_and_keeps_polling():
    def poll(obj):
        raise DevFailed(DevError("API_Boom", "boom", "here"))
    poller = DevicePoller("a/b/c", poll)
    obj = PolledObject(ATTRIBUTE, "x", 50)
    try:
        poller.add(obj)
        time.sleep(0.3)
    finally:
        poller.stop()
    assert len(obj.ring) >= 3 and obj.ring.newest().errors[0].reason == "API_Boom"


def test_stop_ends_the_thread():
    poller, _ = _collecting_poller()
    poller.add(PolledObject(ATTRIBUTE, "x", 50))
    t = poller._thread
    poller.stop()
    assert not t.is_alive()


# ---------------------------------------------------------------------------
# DevPollStatus

def test_poll_status_text_matches_cpptangos_wording():
    obj = PolledObject(ATTRIBUTE, "wattr", 1000)
    now = 1000.0
    for i in range(5):
        obj.insert(PollRecord(now - 4.18 + i, _av(1.0, now - 4.18 + i), needed_ms=0.155))
    text = poll_status([obj], now=now)[0]
    lines = text.split("\n")
    assert lines[:4] == ["Polled attribute name = wattr", "Polling period (mS) = 1000",
                         "Polling ring buffer depth = 10",
                         "Time needed for the last attribute reading (mS) = 0.155"]
    assert lines[4].startswith("Data not updated since 1") and lines[4].endswith(" mS")
    assert lines[5] == "Delta between last records (in mS) = 1000, 1000, 1000, 1000"


def test_poll_status_no_data_external_and_failed():
    empty = PolledObject(COMMAND, "Ping", 200)
    ext = PolledObject(ATTRIBUTE, "ext", 0)
    failed = PolledObject(ATTRIBUTE, "bad", 100)
    failed.insert(PollRecord(time.time(), errors=ERR, needed_ms=0.5))
    state = PolledObject(ATTRIBUTE, "State", 500)
    out = poll_status([failed, empty, ext, state])
    # commands first (Ping, then the State copy), then attributes
    assert out[0] == "Polled command name = Ping\nPolling period (mS) = 200\nPolling ring buffer depth = 10\n" \
                     "No data recorded yet"
    assert out[1].startswith("Polled command name = State\nPolling period (mS) = 500")
    assert out[2].endswith("Last attribute read FAILED :\n\tReason = PyDs_PythonError\n\t"
                           "Desc = ValueError: boom\n\n\tOrigin = read_x")
    assert out[3].split("\n")[1] == "Polling externally triggered"
    assert out[4].startswith("Polled attribute name = State")
