"""A device server written for PyTango's classic API, started the classic way: ``Util(sys.argv)``,
``add_class``, ``server_init()``, ``server_run()`` (run by PyTango and, through
tango_core.pytango_alias, by tango_core).

    python ClassicPowerSupply.py <instance> -nodb -dlist a/b/c[,d/e/f] -ORBendPoint giop:tcp:127.0.0.1:<port>

Environment: ``CLASSIC_ADD`` -- how the class is added: ``add_class`` (3 arguments, the default),
``add_class2`` (2 arguments: the name comes from the device class), ``add_TgClass``;
``CLASSIC_SERIAL_MODEL`` -- a SerialModel name given to ``Util.set_serial_model`` before
``server_init``.  Each start-up step prints a line (the tests read them).
"""

import os
import sys
import time

import tango


class PowerSupply(tango.LatestDeviceImpl):
    def __init__(self, cl, name):
        tango.LatestDeviceImpl.__init__(self, cl, name)
        PowerSupply.init_device(self)

    def delete_device(self):
        print("delete_device", self.get_name(), flush=True)

    def init_device(self):
        self.get_device_properties(self.get_device_class())
        self.set_state(tango.DevState.ON)
        self.set_status("Power supply ready")
        self._current = 0.0

    def read_Voltage(self, attr):
        attr.set_value(self.Voltage0 + 0.5)

    def read_Current(self, attr):
        attr.set_value(self._current)

    def write_Current(self, attr):
        self._current = attr.get_write_value()

    def is_Current_allowed(self, req_type):
        return self.get_state() == tango.DevState.ON

    def TurnOff(self):
        self.set_state(tango.DevState.OFF)
        self.set_status("Power supply off")

    def TurnOn(self):
        self.set_state(tango.DevState.ON)

    def Ramp(self, target):
        self._current = target
        return True

    def is_Ramp_allowed(self):
        return self.get_state() == tango.DevState.ON

    def Hold(self, seconds):
        time.sleep(seconds)

    def ServerInfo(self):
        u = tango.Util.instance()
        return [u.get_ds_name(), u.get_ds_exec_name(), u.get_ds_inst_name(),
                ",".join(d.get_name() for d in u.get_device_list("*")),
                ",".join(d.get_name() for d in u.get_device_list("*/ps*/*")),
                ",".join(c.get_name() for c in u.get_class_list()),
                u.get_dserver_device().get_name(), str(u.is_svr_starting()), str(u.get_serial_model()),
                str(u.get_polling_threads_pool_size()), u.get_server_version(), str(u.get_trace_level()),
                u.get_device_by_name(self.get_name()).get_name(), str(u.get_database() is None)]


class PowerSupplyClass(tango.DeviceClass):
    class_property_list = {}
    device_property_list = {
        "Voltage0": [tango.DevDouble, "voltage at rest", [12.0]],
    }
    cmd_list = {
        "TurnOff": [[tango.DevVoid, ""], [tango.DevVoid, ""]],
        "TurnOn": [[tango.DevVoid, ""], [tango.DevVoid, ""]],
        "Ramp": [[tango.DevDouble, "target current"], [tango.DevBoolean, "ramping"]],
        "Hold": [[tango.DevDouble, "seconds"], [tango.DevVoid, ""]],
        "ServerInfo": [[tango.DevVoid, ""], [tango.DevVarStringArray, "what Util says"]],
    }
    attr_list = {
        "Voltage": [[tango.DevDouble, tango.SCALAR, tango.READ], {"unit": "V"}],
        "Current": [[tango.DevDouble, tango.SCALAR, tango.READ_WRITE], {"unit": "A", "label": "Output current"}],
    }


def main():
    try:
        py = tango.Util(sys.argv)
        how = os.environ.get("CLASSIC_ADD", "add_class")
        if how == "add_class2":
            py.add_class(PowerSupplyClass, PowerSupply)
        elif how == "add_TgClass":
            py.add_TgClass(PowerSupplyClass, PowerSupply, "PowerSupply")
        else:
            py.add_class(PowerSupplyClass, PowerSupply, "PowerSupply")
        U = tango.Util.instance()
        print("instance is the Util made:", U is py, flush=True)
        model = os.environ.get("CLASSIC_SERIAL_MODEL")
        if model:
            U.set_serial_model(getattr(tango.SerialModel, model))
        U.server_init()
        print("server_init returned; starting:", U.is_svr_starting(), flush=True)
        U.server_run()
        print("server_run returned", flush=True)
    except tango.DevFailed as e:
        print("-------> Received a DevFailed exception:", e)
    except Exception as e:
        print("-------> An unforeseen exception occured....", e)


if __name__ == "__main__":
    main()
