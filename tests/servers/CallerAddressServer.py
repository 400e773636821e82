"""A device that tells each caller how it reached the server: the address of the client's end of
the connection, as the server saw it (``get_client_ident().client_ip``: ``giop:tcp:...`` or
``giop:unix:<the server's socket file>``)."""

from tango.server import Device, command


class CallerAddressDevice(Device):
    @command(dtype_out=str)
    def CallerAddress(self):
        return self.get_client_ident().client_ip


if __name__ == "__main__":
    CallerAddressDevice.run_server()
