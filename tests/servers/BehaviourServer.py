"""BehaviourServer: what a device server does beyond moving values, in one device class.

A ``tango.server`` file (a TEST PEER) run on PyTango 10.3.1 and, unchanged, on tango_core, so
tests compare the two: attribute options (unit, format, limits, alarm and warning thresholds,
change/archive criteria, display level), the quality a read gets from the thresholds and the
state and status that follow, reads returning ``(value, time, quality)``, ``fisallowed`` on
writes only, device and class properties of every type with defaults and a mandatory one,
commands' documentation and display level, errors raised by device code in every PyTango way.

``python BehaviourServer.py INSTANCE [-nodb -ORBendPoint giop:tcp:127.0.0.1:PORT -dlist a/b/c]``
"""

from __future__ import annotations

import time

import numpy as np
from tango import AttReqType, AttrQuality, AttrWriteType, DevFailed, DevState, DispLevel, Except
from tango.server import Device, attribute, class_property, command, device_property

#: a fixed date for reads returning (value, time, quality)
FIXED_TIME = 1_700_000_000.25


class BehaviourDevice(Device):
    """Attribute options, alarms, state and status, properties, errors."""

    p_str = device_property(dtype=str, default_value="default text")
    p_int = device_property(dtype=int, default_value=3)
    p_float = device_property(dtype=float)
    p_bool = device_property(dtype=bool, default_value=True)
    p_long64 = device_property(dtype="DevLong64")
    p_ushort = device_property(dtype="DevUShort", default_value=7)
    p_ints = device_property(dtype=(int,), default_value=[1, 2])
    p_floats = device_property(dtype=(float,))
    p_strs = device_property(dtype=(str,), default_value=["a", "b"])
    p_bools = device_property(dtype=(bool,))
    p_mandatory = device_property(dtype=str, mandatory=True)
    c_str = class_property(dtype=str, default_value="class default")
    c_floats = class_property(dtype=(float,))
    c_int = class_property(dtype=int)

    def init_device(self):
        super().init_device()
        self._gauge = 0.0
        self._counts = 0
        self._limited = np.zeros(3)
        self._guarded = 1.0
        self._quality = AttrQuality.ATTR_VALID
        self.set_state(DevState.ON)

    # -- attribute options and the qualities thresholds give -------------------------------------
    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="bar", standard_unit="100000",
               display_unit="1", format="%5.2f", label="Gauge", description="a gauge with every threshold",
               min_value=-10, max_value=10, min_alarm=-8, max_alarm=8, min_warning=-5, max_warning=5,
               delta_t=2, delta_val=0.5, abs_change=0.1, rel_change=2, archive_abs_change=0.2,
               archive_rel_change=3, archive_period=2000, event_period=1500, display_level=DispLevel.EXPERT)
    def gauge(self):
        return self._gauge

    @gauge.write
    def gauge(self, value):
        self._gauge = value

    @attribute(dtype="DevLong", max_alarm=100, min_warning=-1)
    def counts(self):
        return self._counts

    @attribute(dtype=(float,), max_dim_x=4, access=AttrWriteType.READ_WRITE, min_value=0, max_value=10,
               max_alarm=9)
    def limited(self):
        return self._limited

    @limited.write
    def limited(self, value):
        self._limited = value

    @attribute(dtype=float)
    def timed(self):
        return 2.5, FIXED_TIME, self._quality

    @attribute(dtype=(float,), max_dim_x=3)
    def timed_spectrum(self):
        return [1.0, 2.0], FIXED_TIME, AttrQuality.ATTR_CHANGING

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, fisallowed="is_guarded_allowed_by_name")
    def guarded(self):
        return self._guarded

    @guarded.write
    def guarded(self, value):
        self._guarded = value

    def is_guarded_allowed_by_name(self, req_type):
        # reads always allowed; writes only in state ON
        return req_type == AttReqType.READ_REQ or self.get_state() == DevState.ON

    # -- commands that set what the attributes return ---------------------------------------------
    @command(dtype_in=float, doc_in="the gauge's new value (no limit applies)")
    def SetGauge(self, value):
        self._gauge = value

    @command(dtype_in="DevLong")
    def SetCounts(self, value):
        self._counts = value

    @command(dtype_in=(float,))
    def SetLimited(self, value):
        self._limited = np.asarray(value)

    @command(dtype_in="DevShort", doc_in="AttrQuality of the timed attribute")
    def SetTimedQuality(self, value):
        self._quality = AttrQuality(value)

    @command(dtype_in="DevState", doc_in="the state to set")
    def ChangeState(self, value):
        self.set_state(DevState(value))

    @command(dtype_in=str)
    def ChangeStatus(self, value):
        self.set_status(value)

    # -- properties -------------------------------------------------------------------------------
    @command(dtype_out=(str,), doc_out="name=type:repr of every property")
    def Properties(self):
        names = ["p_str", "p_int", "p_float", "p_bool", "p_long64", "p_ushort", "p_ints", "p_floats", "p_strs",
                 "p_bools", "p_mandatory", "c_str", "c_floats", "c_int"]
        return [f"{n}={type(getattr(self, n)).__name__}:{getattr(self, n)!r}" for n in names]

    # -- command descriptions ---------------------------------------------------------------------
    @command(dtype_in=(int,), doc_in="numbers to add", dtype_out="DevLong64", doc_out="their sum",
             display_level=DispLevel.EXPERT)
    def Sum(self, values):
        return int(sum(values))

    @command(polling_period=0)
    def Plain(self):
        pass

    # -- errors from device code ------------------------------------------------------------------
    @command
    def Throw(self):
        Except.throw_exception("Behaviour_Reason", "thrown by device code", "BehaviourDevice.Throw")

    @command
    def ReThrow(self):
        try:
            Except.throw_exception("Inner_Reason", "inner description", "BehaviourDevice.inner")
        except DevFailed as exc:
            Except.re_throw_exception(exc, "Outer_Reason", "outer description", "BehaviourDevice.ReThrow")

    @command
    def RaiseDevFailed(self):
        raise DevFailed(*[_error("First_Reason", "first"), _error("Second_Reason", "second")])

    @command
    def RaisePython(self):
        raise KeyError("no such key")

    @command(dtype_out=float)
    def WrongResult(self):
        return "not a number"

    @attribute(dtype=float)
    def wrong_value(self):
        return "not a number"

    @attribute(dtype=float)
    def read_throws(self):
        Except.throw_exception("Read_Reason", "read failed", "BehaviourDevice.read_throws")

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE)
    def write_throws(self):
        return 0.0

    @write_throws.write
    def write_throws(self, value):
        raise ValueError(f"cannot write {value}")

    @command(dtype_out=float)
    def Slow(self):
        time.sleep(0.01)
        return 1.0


def _error(reason: str, desc: str):
    from tango import DevError

    err = DevError()
    err.reason, err.desc, err.origin = reason, desc, "BehaviourDevice.RaiseDevFailed"
    return err


if __name__ == "__main__":
    BehaviourDevice.run_server()
