"""Device code calling its own device through a DeviceProxy while it runs: a command reading one
of its attributes, one subscribing to its change events (the subscription's first value is a
read), each timed; the device's own address comes as the argument (no database)."""

import time

from tango import DeviceProxy, EventType
from tango.server import Device, attribute, command


class SelfCallDevice(Device):
    @attribute(dtype=int, change_event_implemented=True, change_event_detect=False)
    def counter(self):
        return 7

    @command(dtype_in=str, dtype_out=str)
    def ReadOwn(self, own_address):
        started = time.monotonic()
        value = DeviceProxy(own_address).read_attribute("counter").value
        return f"read {value} in under a second: {time.monotonic() - started < 1.0}"

    @command(dtype_in=str, dtype_out=str)
    def SubscribeOwn(self, own_address):
        started = time.monotonic()
        seen = []
        proxy = DeviceProxy(own_address)
        eid = proxy.subscribe_event("counter", EventType.CHANGE_EVENT, seen.append)
        proxy.unsubscribe_event(eid)
        first = seen[0]
        what = first.errors[0].reason if first.err else first.attr_value.value
        return f"first event {what} in under a second: {time.monotonic() - started < 1.0}"


if __name__ == "__main__":
    SelfCallDevice.run_server()
