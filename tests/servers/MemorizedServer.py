"""MemorizedServer: memorized attributes and code-declared polling, written with PyTango's API.

A TEST PEER run either by PyTango or (through tests/servers/on_tango_core.py) by tango_core, to
check that both keep memorized set points in the database and restore them at start-up
(``hw_memorized`` ones by calling the write method, which ``writes_seen`` counts).
"""

from __future__ import annotations

from tango import AttrWriteType, DevState
from tango.server import Device, attribute, command, run


class MemorizedDevice(Device):
    def init_device(self) -> None:
        super().init_device()
        self._hw = 0.0
        self._soft = 0
        self._writes = 0
        self.set_state(DevState.ON)

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, memorized=True, hw_memorized=True)
    def hw_memorized(self) -> float:
        return self._hw

    @hw_memorized.write
    def hw_memorized(self, value: float) -> None:
        self._hw = value
        self._writes += 1

    @attribute(dtype=int, access=AttrWriteType.READ_WRITE, memorized=True)
    def soft_memorized(self) -> int:
        return self._soft

    @soft_memorized.write
    def soft_memorized(self, value: int) -> None:
        self._soft = value

    @attribute(dtype=int)
    def writes_seen(self) -> int:
        return self._writes

    @attribute(dtype=float, polling_period=500)
    def polled_in_code(self) -> float:
        return 1.0

    @command(dtype_out=str)
    def WhoServesMe(self) -> str:
        return type(self).__mro__[1].__module__


if __name__ == "__main__":
    run((MemorizedDevice,))
