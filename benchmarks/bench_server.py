"""BenchServer: one device class, served by PyTango 10.3.1 or by tango_core (benchmarks/server.py).

Written with PyTango's API only (``tango`` / ``tango.server``); ``tests/servers/on_tango_core.py``
runs the same file on tango_core by mapping ``tango`` to ``tango_core``.

Device class ``BenchDevice``:

* ``double_scalar``   read/write DevDouble (the value written is read back);
* ``double_image_ro`` 251 x 251 DevDouble image, read-only (built once, like TangoTest's);
* ``DevDouble``       command DevDouble -> DevDouble (echo);
* ``value``           DevDouble pushed from code: ``BurstTimed(n)`` pushes n change events whose
  values are their push times and returns how long the pushing took (s).

Run: ``python bench_server.py INSTANCE -nodb -ORBendPoint giop:tcp:127.0.0.1:PORT -dlist a/b/c``.
"""

from __future__ import annotations

import time

import numpy as np
from tango.server import Device, attribute, command, run


class BenchDevice(Device):
    def init_device(self) -> None:
        super().init_device()
        self._scalar = 0.0
        self._image = np.arange(251 * 251, dtype=np.float64).reshape(251, 251)
        self.set_change_event("value", True, False)

    @attribute(dtype=float)
    def double_scalar(self) -> float:
        return self._scalar

    @double_scalar.write
    def double_scalar(self, value: float) -> None:
        self._scalar = value

    @attribute(dtype=((float,),), max_dim_x=251, max_dim_y=251)
    def double_image_ro(self):
        return self._image

    @attribute(dtype=float)
    def value(self) -> float:
        return 0.0

    @command(dtype_in=float, dtype_out=float)
    def DevDouble(self, value: float) -> float:
        return value

    @command(dtype_in=int, dtype_out=float)
    def BurstTimed(self, n: int) -> float:
        t0 = time.time()
        for _ in range(n):
            self.push_change_event("value", time.time())
        return time.time() - t0


if __name__ == "__main__":
    run((BenchDevice,))
