"""An asyncio server started with ``run(..., pre_init_callback=..., post_init_callback=...)``:
plain functions given as ``(function, args, kwargs)`` sequences.  The device reports what the
callbacks saw: their arguments and whether they ran on the server's event loop."""

import asyncio

from tango import GreenMode
from tango.server import Device, attribute, run

SEEN = []


def record(what, *args, **kwargs):
    try:
        asyncio.get_running_loop()
        where = "on the event loop"
    except RuntimeError:
        where = "off the event loop"
    SEEN.append(f"{what} {args} {sorted(kwargs.items())} {where}")


class InitCallbackDevice(Device):
    green_mode = GreenMode.Asyncio

    @attribute(dtype=(str,), max_dim_x=10)
    async def seen(self):
        return SEEN


if __name__ == "__main__":
    run((InitCallbackDevice,), pre_init_callback=(record, ("pre", 1)),
        post_init_callback=[record, ("post",), {"k": 2}])
