"""A power supply: a writable ``voltage`` attribute with limits and alarms, ``On``/``Off`` commands.

Run it like any Tango server: ``python power_supply.py <instance>`` (registered in a database)
or ``python power_supply.py demo -nodb -port 10124 -dlist test/ps/1``.
"""

from tango_core import AttrWriteType, DevState
from tango_core.server import Device, attribute, command, device_property


class PowerSupply(Device):
    """A (simulated) power supply."""

    max_voltage = device_property(dtype=float, default_value=30.0, doc="hardware limit (V)")

    def init_device(self):
        super().init_device()
        self._voltage = 0.0
        self.set_state(DevState.OFF)

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="V", format="%5.2f",
               min_value=0.0, max_value=30.0, max_warning=24.0, max_alarm=28.0, label="Voltage")
    def voltage(self):
        return self._voltage if self.get_state() != DevState.OFF else 0.0

    @voltage.write
    def voltage(self, value):
        if value > self.max_voltage:
            raise ValueError(f"{value} V is above this supply's {self.max_voltage} V")
        self._voltage = value

    @command
    def On(self):
        self.set_state(DevState.ON)

    @command
    def Off(self):
        self.set_state(DevState.OFF)

    def is_voltage_allowed(self, request_type):
        return self.get_state() != DevState.FAULT


if __name__ == "__main__":
    PowerSupply.run_server()
