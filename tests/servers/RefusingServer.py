"""A device that refuses: reads, writes and commands its is_allowed methods forbid, in state ON."""

from tango import AttrWriteType, DevState
from tango.server import Device, attribute, command


class RefusingDevice(Device):
    def init_device(self):
        super().init_device()
        self.set_state(DevState.ON)

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE)
    def guarded(self):
        return 1.0

    def write_guarded(self, value):
        pass

    def is_guarded_allowed(self, req_type):
        return False

    @command
    def Guarded(self):
        pass

    def is_Guarded_allowed(self):
        return False


if __name__ == "__main__":
    RefusingDevice.run_server()
