"""A device told about signals sent to its server process (register_signal / signal_handler), run
on PyTango and on tango_core: it registers SIGUSR1 in init_device, ``received`` lists the signals
its handler got, Register(signo) answers 'ok' or 'reason|desc', Unregister(signo)."""

import signal

from tango.server import Device, attribute, command


class SignalListener(Device):
    def init_device(self):
        super().init_device()
        self.got = []
        self.register_signal(signal.SIGUSR1)

    def signal_handler(self, signo):
        self.got.append(int(signo))

    @attribute(dtype=(int,), max_dim_x=20)
    def received(self):
        return self.got

    @command(dtype_in=int, dtype_out=str)
    def Register(self, signo):
        try:
            self.register_signal(signo)
        except Exception as exc:  # noqa: BLE001
            return f"{exc.args[0].reason}|{exc.args[0].desc}"
        return "ok"

    @command(dtype_in=int)
    def Unregister(self, signo):
        self.unregister_signal(signo)


if __name__ == "__main__":
    SignalListener.run_server()
