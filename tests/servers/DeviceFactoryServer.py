"""A server whose Factory device creates and deletes devices of its Made class while it runs
(Util.create_device / delete_device), run on PyTango and on tango_core.  Create([class, name,
alias?]) and Delete([class, name]) answer 'ok' or 'reason|desc'; Devices() lists the server's."""

from tango import DevState, Util
from tango.server import Device, attribute, command, device_property


class Made(Device):
    scale = device_property(dtype=float, default_value=1.0)

    def init_device(self):
        super().init_device()
        self.set_state(DevState.ON)

    @attribute(dtype=float)
    def value(self):
        return 1.5 * self.scale


class Factory(Device):
    @command(dtype_in=[str], dtype_out=str)
    def Create(self, args):
        klass, name, *alias = args

        def put_properties(new_name):          # between the database entry and init_device
            Util.instance().get_database().put_device_property(new_name, {"scale": ["2"]})

        try:
            Util.instance().create_device(klass, name, alias[0] if alias else None, cb=put_properties)
        except Exception as exc:  # noqa: BLE001
            return f"{exc.args[0].reason}|{exc.args[0].desc}"
        return "ok"

    @command(dtype_in=[str], dtype_out=str)
    def Delete(self, args):
        try:
            Util.instance().delete_device(*args)
        except Exception as exc:  # noqa: BLE001
            return f"{exc.args[0].reason}|{exc.args[0].desc}"
        return "ok"

    @command(dtype_out=[str])
    def Devices(self):
        return [d.get_name() for d in Util.instance().get_device_list("*")]


if __name__ == "__main__":
    from tango.server import run
    run([Factory, Made])
