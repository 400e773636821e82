"""Commands whose results change in size from one call to the next, for polling-history tests."""

from tango.server import Device, command


class HistoryDevice(Device):
    def init_device(self):
        super().init_device()
        self._calls = 0

    @command(dtype_out=(float,))
    def Growing(self):
        """0, 1, 2 then 3 values, again and again."""
        self._calls += 1
        return [float(self._calls + i) for i in range(self._calls % 4)]

    @command(dtype_out=int)
    def Counter(self):
        self._calls += 1
        return self._calls


if __name__ == "__main__":
    HistoryDevice.run_server()
