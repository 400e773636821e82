"""The two clients a tango_core device server is tested with, for tests/server/.

PyTango 10.3.1's DeviceProxy is the reference (a test peer); tango_core's own must see the same.
``DEVFAILED`` catches the DevFailed of either.
"""

from __future__ import annotations

from typing import Any

from tango_core import DevFailed

try:
    import tango as _tango
except ImportError:  # pragma: no cover - PyTango is a test dependency
    _tango = None

DEVFAILED: tuple[type[BaseException], ...] = (DevFailed,) if _tango is None else (DevFailed, _tango.DevFailed)


def pytango_proxy(trl: str, timeout_ms: int = 5000) -> Any:
    if _tango is None:
        import pytest
        pytest.skip("PyTango (test peer) not installed")
    proxy = _tango.DeviceProxy(trl)
    proxy.set_timeout_millis(timeout_ms)
    return proxy


def tango_core_proxy(trl: str, timeout_ms: int = 5000) -> Any:
    from tango_core import DeviceProxy
    proxy = DeviceProxy(trl)
    proxy.set_timeout_millis(timeout_ms)
    return proxy
