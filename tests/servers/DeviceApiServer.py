"""A device answering what calls of PyTango's server-side API give in device code:
Eval('<expression>') evaluates it with ``self`` (the device), ``attr`` (its attribute by name),
``Util`` and ``AttrSerialModel`` in scope and answers its repr, or 'Type|reason|desc'.  Run on
PyTango and on tango_core, for tests that compare the two."""

from tango import AttrSerialModel, AttrWriteType, Util
from tango.server import Device, attribute, command


class DeviceApi(Device):
    @attribute(dtype=float)
    def value(self):
        return 1.0

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE)
    def setpoint(self):
        return 1.0

    @setpoint.write
    def setpoint(self, new):
        pass

    @command(dtype_in=str, dtype_out=str)
    def Eval(self, expression):
        scope = {"self": self, "attr": self.get_device_attr().get_attr_by_name, "Util": Util,
                 "AttrSerialModel": AttrSerialModel}
        try:
            return repr(eval(expression, scope))  # noqa: S307 - a test server's own expressions
        except Exception as exc:  # noqa: BLE001
            err = exc.args[0] if exc.args else exc
            return f"{type(exc).__name__}|{getattr(err, 'reason', '')}|{getattr(err, 'desc', err)}"


if __name__ == "__main__":
    DeviceApi.run_server()
