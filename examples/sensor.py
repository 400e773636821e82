"""A Tango device server in 15 lines: ``python sensor.py <instance> [-nodb -port N -dlist a/b/c]``.

Registered in a database (``tango_admin --add-server Sensor/<instance> Sensor <device>``), or
without one: ``python sensor.py demo -nodb -port 10123 -dlist test/sensor/1`` and then
``DeviceProxy("tango://localhost:10123/test/sensor/1#dbase=no").pressure``.
"""

from tango_core.server import Device, attribute, command


class Sensor(Device):
    @attribute(dtype=float, unit="bar", abs_change=0.1)
    def pressure(self):
        return 1.23

    @command(dtype_in=float, dtype_out=float)
    def scale(self, factor):
        return 1.23 * factor


if __name__ == "__main__":
    Sensor.run_server()
