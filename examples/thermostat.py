"""An asyncio device server: a thermostat that polls a (simulated) instrument with ``async def`` code.

Run it like any Tango server: ``python thermostat.py <instance>`` (registered in a database) or
``python thermostat.py demo -nodb -port 10125 -dlist lab/thermostat/1``, then::

    dev = await tango_core.asyncio.DeviceProxy("tango://localhost:10125/lab/thermostat/1#dbase=no")
    await dev.temperature                  # the last polled reading (change events pushed too)
    await dev.write_attribute("setpoint", 40.0)

``green_mode = GreenMode.Asyncio``: every method below is a coroutine run on the server's event
loop, the instrument is polled by a task of that loop, and requests are served concurrently --
while one waits for the instrument, the others go on (no per-device lock, as PyTango's asyncio
servers).
"""

import asyncio

from tango_core import AttrWriteType, DevState, GreenMode
from tango_core.server import Device, attribute, command, device_property


class SimulatedInstrument:
    """Stands for a temperature controller on a serial line: every query takes a few ms."""

    LATENCY = 0.005   # seconds per query
    RATE = 0.5        # how fast the temperature follows the set point (fraction per second)

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        self._start, self._setpoint = 20.0, 20.0
        self.queries = 0

    async def query(self, what: str) -> float:
        await asyncio.sleep(self.LATENCY)
        self.queries += 1
        if what == "SETP?":
            return self._setpoint
        elapsed = asyncio.get_running_loop().time() - self._t0
        reached = min(1.0, elapsed * self.RATE)
        return self._start + (self._setpoint - self._start) * reached

    async def set_point(self, value: float) -> None:
        current = await self.query("TEMP?")
        await asyncio.sleep(self.LATENCY)
        self._start, self._setpoint, self._t0 = current, value, asyncio.get_running_loop().time()


class Thermostat(Device):
    """A thermostat: ``temperature`` (polled, change events), ``setpoint`` (read from the instrument)."""

    green_mode = GreenMode.Asyncio

    poll_period = device_property(dtype=float, default_value=0.1, doc="seconds between instrument polls")

    async def init_device(self):
        await super().init_device()
        self._instrument = SimulatedInstrument()
        self._temperature = await self._instrument.query("TEMP?")
        self.set_change_event("temperature", True, False)
        self._poller = asyncio.get_running_loop().create_task(self._poll())
        self.set_state(DevState.ON)

    async def delete_device(self):
        self._poller.cancel()
        await super().delete_device()

    async def _poll(self):
        while True:
            temperature = await self._instrument.query("TEMP?")
            if round(temperature, 3) != round(self._temperature, 3):
                self._temperature = temperature
                self.push_change_event("temperature", temperature)
            await asyncio.sleep(self.poll_period)

    @attribute(dtype=float, unit="degC", format="%6.2f")
    async def temperature(self):
        return self._temperature

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="degC", min_value=-50.0, max_value=150.0)
    async def setpoint(self):
        return await self._instrument.query("SETP?")

    @setpoint.write
    async def setpoint(self, value):
        await self._instrument.set_point(value)

    @command(dtype_out=int)
    async def Queries(self):
        """How many queries the instrument has answered."""
        return self._instrument.queries


if __name__ == "__main__":
    Thermostat.run_server()
