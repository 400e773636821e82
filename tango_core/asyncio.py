"""asyncio versions of DeviceProxy and AttributeProxy (PyTango's ``tango.asyncio``).

::

    import tango_core.asyncio
    dev = await tango_core.asyncio.DeviceProxy("sys/tg_test/1")
    da = await dev.read_attribute("double_scalar")
    values = await asyncio.gather(*(dev.read_attribute("double_scalar") for _ in range(1000)))

Building the proxy and every I/O method are awaitable (``asyncio.Future``); ``dev.attr`` too.
Unlike PyTango, no call runs in a thread: all the calls of a loop to one server share one TCP
connection, multiplexed by request id (see ``tango_core.client.green``).
"""

from functools import partial

from tango_core.client.attribute_proxy import get_attribute_proxy
from tango_core.client.device_proxy import get_device_proxy
from tango_core.idl.enums import GreenMode

__all__ = ("AttributeProxy", "DeviceProxy")

#: ``DeviceProxy(dev_name, wait=False, timeout=None)``: an awaitable of an asyncio-mode DeviceProxy.
DeviceProxy = partial(get_device_proxy, green_mode=GreenMode.Asyncio)
#: ``AttributeProxy(full_attr_name | (device_proxy, attr_name), wait=False, timeout=None)``.
AttributeProxy = partial(get_attribute_proxy, green_mode=GreenMode.Asyncio)
Device = DeviceProxy
Attribute = AttributeProxy

del GreenMode, get_device_proxy, get_attribute_proxy
