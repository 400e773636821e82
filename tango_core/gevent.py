"""gevent versions of DeviceProxy and AttributeProxy (PyTango's ``tango.gevent``).

::

    import tango_core.gevent
    dev = tango_core.gevent.DeviceProxy("sys/tg_test/1")
    da = dev.read_attribute("double_scalar")                 # other greenlets run meanwhile
    result = dev.read_attribute("double_scalar", wait=False) # gevent.event.AsyncResult

Calls use gevent's own sockets (monkey-patched or not) and yield to the hub while they wait.
Needs gevent (>= 1.0), as PyTango's does.
"""

from functools import partial

from tango_core.client.attribute_proxy import get_attribute_proxy
from tango_core.client.device_proxy import get_device_proxy
from tango_core.idl.enums import GreenMode


def _check_requirements() -> None:
    try:
        import gevent
    except ImportError:
        raise ImportError("No module named gevent. You need to install gevent module to have access to the "
                          "gevent green mode. Consider using the futures green mode instead") from None
    major = int(gevent.__version__.split(".", 1)[0])
    if major < 1:
        raise ImportError(f"You need gevent >= 1.0. You are using {gevent.__version__}. "
                          "Consider using the futures green mode instead")


_check_requirements()

__all__ = ("AttributeProxy", "DeviceProxy")

DeviceProxy = partial(get_device_proxy, green_mode=GreenMode.Gevent)
AttributeProxy = partial(get_attribute_proxy, green_mode=GreenMode.Gevent)
Device = DeviceProxy
Attribute = AttributeProxy

del GreenMode, get_device_proxy, get_attribute_proxy
