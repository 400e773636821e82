"""Names of device classes as constructors: ``TangoTest("sys/tg_test/1")`` -> DeviceProxy.

ITango users expect one name per device class of the database.  Here each is a small
callable object rather than an alias of ``DeviceProxy``, so that completion knows which
class's devices to offer inside ``TangoTest("<TAB>`` and ``TangoTest?`` says what it is.
``await TangoTest.asyncio("sys/tg_test/1")`` is the asyncio form (IPython's autoawait): an
asyncio-mode proxy, built without blocking, whose calls are awaited.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Callable
from typing import Any

__all__ = ["DeviceClassConstructor", "usable_class_name"]


def usable_class_name(name: str) -> bool:
    """Whether ``name`` can be bound in the user namespace: an identifier that is neither a
    keyword nor a builtin (a Tango class called ``Exception`` must not hide Python's)."""
    return name.isidentifier() and not keyword.iskeyword(name) and not hasattr(builtins, name)


class DeviceClassConstructor:
    """Make a DeviceProxy to a device of one Tango class."""

    def __init__(self, klass: str, proxy_factory: Callable[..., Any],
                 devices: Callable[[], list[str]]):
        self.klass = klass
        self._proxy_factory = proxy_factory
        self._devices = devices
        self.__name__ = self.__qualname__ = klass
        self.__doc__ = (f"{klass}(name, ...) -> DeviceProxy\n\n"
                        f"A DeviceProxy to a device of Tango class {klass!r} (by name, full name or "
                        f"alias).\nTAB inside {klass}(\" completes this class's devices; "
                        f"{klass}.devices() lists them; await {klass}.asyncio(name) gives an "
                        f"asyncio proxy.")

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._proxy_factory(name, *args, **kwargs)

    def asyncio(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """``await TangoTest.asyncio(name)``: an asyncio-mode DeviceProxy (its I/O methods, and
        ``dev.attr``, return awaitables); building it does not block the event loop."""
        import tango_core

        # what tango_core.asyncio.DeviceProxy is (the shell uses only tango_core's top-level names)
        return tango_core.get_device_proxy(name, *args, green_mode=tango_core.GreenMode.Asyncio, **kwargs)

    def devices(self) -> list[str]:
        """The names of this class's devices in the current database."""
        return self._devices()

    def __repr__(self) -> str:
        return f"<Tango class {self.klass}: DeviceProxy constructor>"
