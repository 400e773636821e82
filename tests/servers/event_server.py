"""EventServer: a PyTango device server that pushes events from code (a TEST PEER for tango_core.events).

Device class ``EventDevice``. Every event a test needs is triggered by a command, so tests decide
exactly what is published and when:

* ``PushChange(double)``   sets ``value`` and pushes its change and archive events;
* ``PushSpectrum(long n)`` pushes a change event of ``spectrum`` with n doubles (0.0, 1.0, ...);
* ``Burst(long n)``        pushes n change events of ``counter`` (values 0..n-1) back to back;
* ``BurstSpectrum(long n)``pushes n change events of ``spectrum`` (10,000 doubles, first = index);
* ``BurstTimed(long n)`` / ``BurstSpectrumTimed(long n)`` the same with the push time as value
  (benchmarks: push-to-callback latency), returning the push duration;
* ``PushTypedSpectrum(str)`` with ``"<type> <n> <first>"`` pushes a change event of ``typed_<type>``
  (a spectrum of that numeric type, :data:`NUMERIC_TYPES`): ``first, first+1, ...`` (n of them)
  cast to the type (booleans: whether each of those is a multiple of 3);
* ``PushUser(long)``       pushes a user event of ``counter``;
* ``PushAlarm(double)``    sets ``alarm_value`` and pushes its alarm event (Tango 10);
* ``PushDataReady(long)``  pushes a data-ready event of ``ready`` with that user counter;
* ``PushError(str)``       pushes an exception as the change event of ``value``;
* ``AddDynamic(str)`` / ``RemoveDynamic(str)`` add/remove a double attribute (INTERFACE_CHANGE).

``value`` has abs_change 0.5 and archive_abs_change 0.5, so clients may also get events from
polling; ``polled`` is polled every 100 ms with abs_change 1 (a Python-side counter incremented
at every read) for periodic/change events driven by the polling thread.

Run: ``python event_server.py INSTANCE [-nodb -ORBendPoint giop:tcp:127.0.0.1:PORT -dlist a/b/c]``.
With ``EVENT_SERVER_IMPLEMENTATION=tango_core`` the same class is served by tango_core instead of
PyTango (what event_server_on_tango_core.py does), so tests and benchmarks compare the two servers
on one device class.
"""

from __future__ import annotations

import os
import time

import numpy as np

if os.environ.get("EVENT_SERVER_IMPLEMENTATION") == "tango_core":
    # the same device class served by tango_core (tests/servers/event_server_on_tango_core.py)
    from tango_core import AttrWriteType, DevFailed, Except
    from tango_core.server import Device, attribute, command, run
else:
    from tango import AttrWriteType, DevFailed, Except
    from tango.server import Device, attribute, command, run


#: the numeric spectrum attributes ``typed_<name>`` -> numpy dtype (PushTypedSpectrum)
NUMERIC_TYPES = {"boolean": np.bool_, "uchar": np.uint8, "short": np.int16, "ushort": np.uint16,
                 "long": np.int32, "ulong": np.uint32, "long64": np.int64, "ulong64": np.uint64,
                 "float": np.float32, "double": np.float64}


def typed_spectrum(kind: str, n: int, first: int) -> np.ndarray:
    """What PushTypedSpectrum pushes."""
    values = np.arange(first, first + n)
    return values % 3 == 0 if kind == "boolean" else values.astype(NUMERIC_TYPES[kind])


def _typed_attribute(kind: str):
    def read(self):
        return self._typed.get(kind, typed_spectrum(kind, 1, 0))
    return attribute(name=f"typed_{kind}", dtype=(NUMERIC_TYPES[kind],), max_dim_x=100_000, fget=read)


class EventDevice(Device):
    """Pushes change, archive, user, alarm, data-ready and interface-change events on demand."""

    def init_device(self) -> None:
        super().init_device()
        self._value = 0.0
        self._alarm_value = 0.0
        self._counter = 0
        self._spectrum = np.zeros(3)
        self._polled = 0
        self._dynamic: dict[str, float] = {}
        self._typed: dict[str, np.ndarray] = {}
        for kind in NUMERIC_TYPES:
            self.set_change_event(f"typed_{kind}", True, False)
        self.set_change_event("value", True, False)
        self.set_archive_event("value", True, False)
        self.set_change_event("counter", True, False)
        self.set_change_event("spectrum", True, False)
        self.set_alarm_event("alarm_value", True, False)
        self.set_data_ready_event("ready", True)

    value = attribute(dtype=float, abs_change="0.5", archive_abs_change="0.5")
    counter = attribute(dtype=int)
    spectrum = attribute(dtype=(float,), max_dim_x=100_000)
    alarm_value = attribute(dtype=float)
    ready = attribute(dtype=float)
    polled = attribute(dtype=int, polling_period=100, abs_change="1", access=AttrWriteType.READ)
    for _kind in NUMERIC_TYPES:
        locals()[f"typed_{_kind}"] = _typed_attribute(_kind)
    del _kind

    def read_value(self) -> float:
        return self._value

    def read_counter(self) -> int:
        return self._counter

    def read_spectrum(self):
        return self._spectrum

    def read_alarm_value(self) -> float:
        return self._alarm_value

    def read_ready(self) -> float:
        return 1.0

    def read_polled(self) -> int:
        self._polled += 1
        return self._polled

    @command(dtype_in=float)
    def PushChange(self, v: float) -> None:
        self._value = v
        self.push_change_event("value", v)
        self.push_archive_event("value", v)

    @command(dtype_in=str)
    def PushError(self, desc: str) -> None:
        try:
            Except.throw_exception("Test_PushedError", desc, "EventDevice.PushError")
        except DevFailed as exc:
            self.push_change_event("value", exc)

    @command(dtype_in=int)
    def PushSpectrum(self, n: int) -> None:
        self._spectrum = np.arange(n, dtype=np.float64)
        self.push_change_event("spectrum", self._spectrum)

    @command(dtype_in=int)
    def Burst(self, n: int) -> None:
        for i in range(n):
            self._counter = i
            self.push_change_event("counter", i)

    @command(dtype_in=int)
    def BurstSpectrum(self, n: int) -> None:
        data = np.zeros(10_000)
        for i in range(n):
            data[0] = i
            self.push_change_event("spectrum", data)

    @command(dtype_in=int, dtype_out=float)
    def BurstTimed(self, n: int) -> float:
        """n scalar change events of ``value`` whose values are their push time (time.time());
        returns how long pushing took (s), so a benchmark knows the server's own rate."""
        t0 = time.time()
        for _ in range(n):
            self.push_change_event("value", time.time())
        return time.time() - t0

    @command(dtype_in=int, dtype_out=float)
    def BurstSpectrumTimed(self, n: int) -> float:
        """n change events of a 10,000-double ``spectrum`` (element 0 = push time); returns the push duration."""
        data = np.zeros(10_000)
        t0 = time.time()
        for _ in range(n):
            data[0] = time.time()
            self.push_change_event("spectrum", data)
        return time.time() - t0

    @command(dtype_in=str)
    def PushTypedSpectrum(self, spec: str) -> None:
        kind, n, first = spec.split()
        self._typed[kind] = typed_spectrum(kind, int(n), int(first))
        self.push_change_event(f"typed_{kind}", self._typed[kind])

    @command(dtype_in=int)
    def PushUser(self, v: int) -> None:
        self._counter = v
        self.push_event("counter", [], [], v)

    @command(dtype_in=float)
    def PushAlarm(self, v: float) -> None:
        self._alarm_value = v
        self.push_alarm_event("alarm_value", v)

    @command(dtype_in=int)
    def PushDataReady(self, ctr: int) -> None:
        self.push_data_ready_event("ready", ctr)

    @command(dtype_in=str)
    def AddDynamic(self, name: str) -> None:
        self._dynamic[name] = 0.0
        self.add_attribute(attribute(name=name, dtype=float, fget=self._read_dynamic))

    @command(dtype_in=str)
    def RemoveDynamic(self, name: str) -> None:
        self._dynamic.pop(name, None)
        self.remove_attribute(name)

    def _read_dynamic(self, attr) -> float:
        return self._dynamic.get(attr.get_name(), 0.0)


if __name__ == "__main__":
    run((EventDevice,))
