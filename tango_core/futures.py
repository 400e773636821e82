"""Futures versions of DeviceProxy and AttributeProxy (PyTango's ``tango.futures``).

::

    import tango_core.futures
    dev = tango_core.futures.DeviceProxy("sys/tg_test/1")        # waits, as PyTango's default
    future = dev.read_attribute("double_scalar", wait=False)     # concurrent.futures.Future
    da = future.result()

``wait=True`` (the default) returns the result; ``wait=False`` a ``concurrent.futures.Future``;
``timeout=`` bounds the wait (``concurrent.futures.TimeoutError``).  The calls run on one shared
background event loop, multiplexed on one connection per server, not on a thread pool.
"""

from functools import partial

from tango_core.client.attribute_proxy import get_attribute_proxy
from tango_core.client.device_proxy import get_device_proxy
from tango_core.idl.enums import GreenMode

__all__ = ("AttributeProxy", "DeviceProxy")

DeviceProxy = partial(get_device_proxy, green_mode=GreenMode.Futures)
AttributeProxy = partial(get_attribute_proxy, green_mode=GreenMode.Futures)
Device = DeviceProxy
Attribute = AttributeProxy

del GreenMode, get_device_proxy, get_attribute_proxy
