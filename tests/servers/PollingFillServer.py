"""A device whose attribute and command polling buffers are filled by device code
(fill_attr_polling_buffer / fill_cmd_polling_buffer), run on PyTango and on tango_core.  Clients
make the polling externally triggered first (period 0, which device code cannot ask for)."""

from tango import AttrQuality, AttrWriteType, TimedAttrData, TimedCmdData, Util
from tango.server import Device, attribute, command

T0 = 1_700_000_000.0


class PollingFill(Device):
    def init_device(self):
        super().init_device()
        try:                                     # refused while the server starts, as cppTango
            self.poll_attribute("spectrum", 0)
            self.at_start = "accepted"
        except Exception as exc:  # noqa: BLE001
            self.at_start = f"{exc.args[0].reason}|{exc.args[0].desc}"

    @command(dtype_out=str)
    def PollAtStart(self):
        return self.at_start

    @command(dtype_in=int, dtype_out=str)
    def PollFromCode(self, period):
        """What poll_attribute(..., period) in device code gives: 'reason|desc' or 'accepted'.
        The client stops an accepted polling: stopping it here, while this command holds the
        device, can deadlock PyTango's server with its polling thread's first read."""
        try:
            self.poll_attribute("spectrum", period)
        except Exception as exc:  # noqa: BLE001
            return f"{exc.args[0].reason}|{exc.args[0].desc}"
        return "accepted"

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE)
    def value(self):
        return 0.0

    @value.write
    def value(self, new):
        pass

    @attribute(dtype=(int,), max_dim_x=4)
    def spectrum(self):
        return [0]

    @attribute(dtype=float, access=AttrWriteType.WRITE)
    def write_only(self):
        return 0.0

    @write_only.write
    def write_only(self, new):
        pass

    @command(dtype_out=int)
    def result(self):
        return -1

    @command
    def Fill(self):
        self.fill_attr_polling_buffer("value", [
            TimedAttrData(1.5, w_value=2.5, time_stamp=T0),
            TimedAttrData(3.5, quality=AttrQuality.ATTR_ALARM, time_stamp=T0 + 1),
            TimedAttrData(error=RuntimeError("no reading"), time_stamp=T0 + 2),
        ])
        Util.instance().fill_attr_polling_buffer(self, "spectrum", TimedAttrData([1, 2, 3], time_stamp=T0 + 3))
        self.fill_cmd_polling_buffer("result", [TimedCmdData(7, time_stamp=T0),
                                                TimedCmdData(error=ValueError("bad"), time_stamp=T0 + 1)])

    @command(dtype_in=str, dtype_out=str)
    def Refused(self, what):
        """The error a refused fill gives: 'reason|desc'."""
        try:
            if what == "not_polled":
                self.fill_attr_polling_buffer("write_only", TimedAttrData(1.0))
            elif what == "too_many":
                self.fill_cmd_polling_buffer("result", [TimedCmdData(1)] * 11)
            elif what == "set_point":
                self.fill_attr_polling_buffer("spectrum", TimedAttrData([1], w_value=[2]))
        except Exception as exc:  # noqa: BLE001
            err = exc.args[0]
            return f"{err.reason}|{err.desc}"
        return "accepted"


if __name__ == "__main__":
    PollingFill.run_server()
