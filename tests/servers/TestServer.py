"""TestServer: a PyTango device server used as a TEST PEER (never part of the product).

One general-purpose device class, ``TestDevice``, exposing the data types and behaviours a
client must handle that Debian's TangoTest does not cover well: DevEncoded, DevEnum,
write-only attributes, attributes whose read fails, INVALID/ALARM quality, string images,
commands with struct-like argument types, commands that fail or are not allowed, slow
commands (for client timeouts), events pushed on demand (change, archive, user, data ready) and
one attribute (``ramp``) polled by the server itself, so events flow without any configuration.

Run it as ``python TestServer.py INSTANCE [-nodb -ORBendPoint giop:tcp:127.0.0.1:PORT -dlist a/b/c]``;
tests start it through ``tests/peers.py``, which also registers it in a database when needed.
Values are deterministic so tests can assert exact results.
"""

from __future__ import annotations

import enum
import time

import numpy as np
from tango import AttrQuality, AttrWriteType, DevState, DispLevel, Except
from tango.server import Device, attribute, command, device_property, run


class Mode(enum.IntEnum):
    """Labels of the ``mode`` DevEnum attribute (index order matters to clients)."""

    OFF = 0
    STANDBY = 1
    ON = 2


DOUBLE_IMAGE = np.arange(12, dtype=np.float64).reshape(3, 4) / 2.0  # 3 rows x 4 columns
STRING_IMAGE = [["a", "b", "c"], ["d", "e", "f"]]  # 2 rows x 3 columns


class TestDevice(Device):
    """A device with one attribute or command per interesting client-side case."""

    greeting = device_property(dtype=str, default_value="hello", doc="returned by the greeting attribute")

    def init_device(self) -> None:
        super().init_device()
        self._double = 1.5
        self._long = 42
        self._long64 = -(2**40)
        self._ulong64 = 2**63 + 1
        self._short = -7
        self._ushort = 7
        self._uchar = 255
        self._float = 0.25
        self._bool = True
        self._string = "initial"
        self._mode = Mode.STANDBY
        self._encoded = ("json", b'{"answer": 42}')
        self._double_spectrum = np.array([1.0, 2.0, 3.0])
        self._string_spectrum = ["alpha", "beta"]
        self._ushort_image = np.array([[1, 2], [3, 4]], dtype=np.uint16)
        self._write_only = 0.0
        self._last_written = ""
        self._counter = 0
        self._ramp = 0.0
        self.set_change_event("counter", True, False)
        self.set_archive_event("counter", True, False)
        self.set_data_ready_event("counter", True)
        self.set_state(DevState.ON)
        self.set_status("TestDevice is ready")

    # ---- scalar read-write attributes, one per numeric/text type ----
    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="mm", format="%6.3f",
               min_value=-1000.0, max_value=1000.0, min_alarm=-100.0, max_alarm=100.0,
               label="Double RW", description="double with limits; |value|>100 gives ATTR_ALARM")
    def double_rw(self) -> float:
        return self._double

    @double_rw.write
    def double_rw(self, value: float) -> None:
        self._double = value

    @attribute(dtype="DevLong", access=AttrWriteType.READ_WRITE)
    def long_rw(self) -> int:
        return self._long

    @long_rw.write
    def long_rw(self, value: int) -> None:
        self._long = value

    @attribute(dtype="DevLong64", access=AttrWriteType.READ_WRITE)
    def long64_rw(self) -> int:
        return self._long64

    @long64_rw.write
    def long64_rw(self, value: int) -> None:
        self._long64 = value

    @attribute(dtype="DevULong64", access=AttrWriteType.READ_WRITE)
    def ulong64_rw(self) -> int:
        return self._ulong64

    @ulong64_rw.write
    def ulong64_rw(self, value: int) -> None:
        self._ulong64 = value

    @attribute(dtype="DevShort", access=AttrWriteType.READ_WRITE)
    def short_rw(self) -> int:
        return self._short

    @short_rw.write
    def short_rw(self, value: int) -> None:
        self._short = value

    @attribute(dtype="DevUShort", access=AttrWriteType.READ_WRITE)
    def ushort_rw(self) -> int:
        return self._ushort

    @ushort_rw.write
    def ushort_rw(self, value: int) -> None:
        self._ushort = value

    @attribute(dtype="DevUChar", access=AttrWriteType.READ_WRITE)
    def uchar_rw(self) -> int:
        return self._uchar

    @uchar_rw.write
    def uchar_rw(self, value: int) -> None:
        self._uchar = value

    @attribute(dtype="DevFloat", access=AttrWriteType.READ_WRITE)
    def float_rw(self) -> float:
        return self._float

    @float_rw.write
    def float_rw(self, value: float) -> None:
        self._float = value

    @attribute(dtype=bool, access=AttrWriteType.READ_WRITE)
    def bool_rw(self) -> bool:
        return self._bool

    @bool_rw.write
    def bool_rw(self, value: bool) -> None:
        self._bool = value

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE)
    def string_rw(self) -> str:
        return self._string

    @string_rw.write
    def string_rw(self, value: str) -> None:
        self._string = value

    @attribute(dtype=Mode, access=AttrWriteType.READ_WRITE, doc="DevEnum with labels OFF, STANDBY, ON")
    def mode(self) -> Mode:
        return self._mode

    @mode.write
    def mode(self, value: int) -> None:
        self._mode = Mode(value)

    @attribute(dtype="DevEncoded", access=AttrWriteType.READ_WRITE)
    def encoded_rw(self) -> tuple[str, bytes]:
        return self._encoded

    @encoded_rw.write
    def encoded_rw(self, value: tuple[str, bytes]) -> None:
        self._encoded = (value[0], bytes(value[1]))

    @attribute(dtype="DevState")
    def state_attr(self) -> DevState:
        return self.get_state()

    @attribute(dtype=str)
    def greeting_attr(self) -> str:
        return self.greeting

    # ---- spectra and images ----
    @attribute(dtype=(float,), max_dim_x=100, access=AttrWriteType.READ_WRITE)
    def double_spectrum_rw(self) -> np.ndarray:
        return self._double_spectrum

    @double_spectrum_rw.write
    def double_spectrum_rw(self, value: np.ndarray) -> None:
        self._double_spectrum = np.asarray(value, dtype=np.float64)

    @attribute(dtype=("DevLong",), max_dim_x=10)
    def long_spectrum_ro(self) -> np.ndarray:
        return np.array([1, -2, 3, -4], dtype=np.int32)

    @attribute(dtype=(bool,), max_dim_x=10)
    def bool_spectrum_ro(self) -> list[bool]:
        return [True, False, True]

    @attribute(dtype=(str,), max_dim_x=20, access=AttrWriteType.READ_WRITE)
    def string_spectrum_rw(self) -> list[str]:
        return self._string_spectrum

    @string_spectrum_rw.write
    def string_spectrum_rw(self, value: list[str]) -> None:
        self._string_spectrum = list(value)

    @attribute(dtype=((float,),), max_dim_x=10, max_dim_y=10)
    def double_image_ro(self) -> np.ndarray:
        return DOUBLE_IMAGE

    @attribute(dtype=(("DevUShort",),), max_dim_x=256, max_dim_y=256, access=AttrWriteType.READ_WRITE)
    def ushort_image_rw(self) -> np.ndarray:
        return self._ushort_image

    @ushort_image_rw.write
    def ushort_image_rw(self, value: np.ndarray) -> None:
        self._ushort_image = np.asarray(value, dtype=np.uint16)

    @attribute(dtype=((str,),), max_dim_x=5, max_dim_y=5)
    def string_image_ro(self) -> list[list[str]]:
        return STRING_IMAGE

    # ---- access modes and qualities ----
    @attribute(dtype=float, access=AttrWriteType.WRITE, doc="write-only; last value shown by last_written")
    def write_only_double(self) -> float:
        return self._write_only

    @write_only_double.write
    def write_only_double(self, value: float) -> None:
        self._write_only = value
        self._last_written = repr(value)

    @attribute(dtype=str)
    def last_written(self) -> str:
        return self._last_written

    @attribute(dtype=float)
    def failing_read(self) -> float:
        Except.throw_exception("TestDevice_ReadFailed", "This attribute always fails to read",
                               "TestDevice.failing_read")

    @attribute(dtype=float)
    def invalid_quality(self) -> tuple[float, float, AttrQuality]:
        return 0.0, time.time(), AttrQuality.ATTR_INVALID

    @attribute(dtype=float, display_level=DispLevel.EXPERT, doc="expert-level attribute")
    def expert_double(self) -> float:
        return 3.0

    @attribute(dtype=float, polling_period=100, abs_change="0.5", rel_change="10", archive_abs_change="0.5",
               period="500", doc="polled every 100 ms; +1.0 per read: change events without any set-up")
    def ramp(self) -> float:
        self._ramp += 1.0
        return self._ramp

    @attribute(dtype="DevLong", doc="incremented by PushCounterEvent; pushes change/archive/data-ready events")
    def counter(self) -> int:
        return self._counter

    # ---- commands ----
    @command(dtype_in=float, dtype_out=float)
    def EchoDouble(self, value: float) -> float:
        return value

    @command(dtype_in=str, dtype_out=str)
    def EchoString(self, value: str) -> str:
        return value

    @command(dtype_in=bool, dtype_out=bool)
    def EchoBoolean(self, value: bool) -> bool:
        return value

    @command(dtype_in="DevLong64", dtype_out="DevLong64")
    def EchoLong64(self, value: int) -> int:
        return value

    @command(dtype_in="DevULong64", dtype_out="DevULong64")
    def EchoULong64(self, value: int) -> int:
        return value

    @command(dtype_in=(str,), dtype_out=(str,))
    def EchoStringArray(self, value: list[str]) -> list[str]:
        return value

    @command(dtype_in=(float,), dtype_out=(float,))
    def EchoDoubleArray(self, value: np.ndarray) -> np.ndarray:
        return value

    @command(dtype_in="DevVarLongStringArray", dtype_out="DevVarLongStringArray")
    def EchoLongString(self, value):
        return value

    @command(dtype_in="DevVarDoubleStringArray", dtype_out="DevVarDoubleStringArray")
    def EchoDoubleString(self, value):
        return value

    @command(dtype_in="DevEncoded", dtype_out="DevEncoded")
    def EchoEncoded(self, value):
        return value[0], bytes(value[1])

    @command(dtype_in="DevState", dtype_out="DevState")
    def EchoState(self, value: DevState) -> DevState:
        return value

    @command(dtype_in="DevState", doc_in="new state of the device")
    def ChangeState(self, value: DevState) -> None:
        self.set_state(DevState(value))

    @command(doc_in="always raises DevFailed(reason=TestDevice_CommandFailed)")
    def Fail(self) -> None:
        Except.throw_exception("TestDevice_CommandFailed", "This command always fails",
                               "TestDevice.Fail")

    @command(dtype_in=float, doc_in="seconds to block (for client timeout tests)")
    def Sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    @command
    def On(self) -> None:
        self.set_state(DevState.ON)

    @command
    def Off(self) -> None:
        self.set_state(DevState.OFF)

    def is_Off_allowed(self) -> bool:
        """Off is refused when already OFF: clients see API_CommandNotAllowed."""
        return self.get_state() != DevState.OFF

    @command(dtype_out="DevLong", doc_out="new counter value")
    def PushCounterEvent(self) -> int:
        self._counter += 1
        self.push_change_event("counter", self._counter)
        self.push_archive_event("counter", self._counter)
        self.push_data_ready_event("counter", self._counter)
        return self._counter

    @command(dtype_in=str, doc_in="pushes a user event on string_rw with this value")
    def PushUserEvent(self, value: str) -> None:
        self._string = value
        self.push_event("string_rw", [], [], value)


def main() -> None:
    run((TestDevice,))


if __name__ == "__main__":
    main()
