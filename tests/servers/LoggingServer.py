"""A device that logs through PyTango's decorators and streams, for the device-logging tests
(run on PyTango and on tango_core: the records a log consumer device receives must match)."""

from tango import DebugIt, ErrorIt, InfoIt, LogIt
from tango.server import Device, command


class LogSource(Device):
    @command
    @DebugIt()
    def debug_decorated(self):
        pass

    @command(dtype_out=str)
    @InfoIt(show_ret=True)
    def info_decorated(self):
        return "x" * 40

    @LogIt(show_args=True, show_kwargs=True, show_ret=True)
    def arg_method(self, arg, kwarg=None):
        return f"{arg}{kwarg}"

    @command
    def with_arguments(self):
        self.arg_method("a" * 30, kwarg=2)

    @command
    @ErrorIt()
    def raising(self):
        raise RuntimeError("on purpose")

    @command
    def streams(self):
        self.warn_stream("warn %s %d", "text", 3)
        self.error_stream("error")
        self.debug_stream("debug")


if __name__ == "__main__":
    LogSource.run_server()
