"""A device whose polling follows its polling properties (poll_ring_depth, attr_poll_ring_depth,
min_poll_period, ...), run on PyTango and on tango_core: Call('<method> [args]') answers what
that DeviceImpl method returns in device code, or 'reason|desc'."""

from tango.server import Device, attribute, command


class PollingSettings(Device):
    @attribute(dtype=float)
    def value(self):
        return 1.0

    @attribute(dtype=float)
    def other(self):
        return 2.0

    @command(dtype_out=int)
    def Count(self):
        return 1

    @command(dtype_in=str, dtype_out=str)
    def Call(self, what):
        name, *args = what.split()
        args = [int(a) if a.isdigit() else a for a in args]
        try:
            return repr(getattr(self, name)(*args))
        except Exception as exc:  # noqa: BLE001
            return f"{exc.args[0].reason}|{exc.args[0].desc}"


if __name__ == "__main__":
    from tango.server import run
    run((PollingSettings,))             # the server is named after this file, not the class
