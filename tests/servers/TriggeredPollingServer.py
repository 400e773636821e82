"""A device whose code triggers the readings of its externally triggered polling
(Util.trigger_attr_polling / trigger_cmd_polling), run on PyTango and on tango_core:
Trigger('attr <name>') or Trigger('cmd <name>') answers 'ok' or 'reason|desc'."""

from tango import Util
from tango.server import Device, attribute, command


class TriggeredPolling(Device):
    def init_device(self):
        super().init_device()
        self.reads = 0
        self.runs = 0

    @attribute(dtype=int)
    def counter(self):
        self.reads += 1
        return self.reads

    @attribute(dtype=int)
    def other(self):
        return 0

    @command(dtype_out=int)
    def Count(self):
        self.runs += 1
        return self.runs

    @command(dtype_in=str, dtype_out=str)
    def Trigger(self, what):
        kind, name = what.split()
        try:
            if kind == "attr":
                Util.instance().trigger_attr_polling(self, name)
            else:
                Util.instance().trigger_cmd_polling(self, name)
        except Exception as exc:  # noqa: BLE001
            return f"{exc.args[0].reason}|{exc.args[0].desc}"
        return "ok"


if __name__ == "__main__":
    TriggeredPolling.run_server()
