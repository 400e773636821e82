"""A device that starts, changes, stops and inspects its own polling from device code
(poll_attribute, stop_poll_attribute, is_attribute_polled, get_attribute_poll_period), run on
PyTango and on tango_core: each Do(step) answers what that call gave, or 'reason|desc'."""

from tango.server import Device, attribute, command


class CodePolling(Device):
    @attribute(dtype=float)
    def value(self):
        return 0.0

    @command(dtype_in=str, dtype_out=str)
    def Do(self, step):
        """Steps: 'poll <attr> <period>', 'stop <attr>', 'state <attr>'."""
        verb, name, *period = step.split()
        try:
            if verb == "poll":
                self.poll_attribute(name, int(period[0]))
                return "ok"
            if verb == "stop":
                self.stop_poll_attribute(name)
                return "ok"
            return repr((self.is_attribute_polled(name), self.get_attribute_poll_period(name)))
        except Exception as exc:  # noqa: BLE001
            return f"{exc.args[0].reason}|{exc.args[0].desc}"


if __name__ == "__main__":
    CodePolling.run_server()
