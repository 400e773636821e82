"""Testing a device without any database: the DeviceTestContext snippet.

    python -m pytest examples/test_power_supply.py
"""

from tango_core import DevState
from tango_core.test_context import DeviceTestContext

from power_supply import PowerSupply


def test_voltage_follows_on_and_off():
    with DeviceTestContext(PowerSupply, properties={"max_voltage": 12.0}) as proxy:
        assert proxy.state() == DevState.OFF
        proxy.On()
        proxy.voltage = 10.0
        assert proxy.voltage == 10.0
        proxy.Off()
        assert proxy.voltage == 0.0
