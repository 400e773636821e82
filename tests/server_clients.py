"""The two clients a tango_core device server is tested with, for tests/server/.

PyTango 10.3.1's DeviceProxy is the reference (a test peer); tango_core's own must see the same.
``DEVFAILED`` catches the DevFailed of either.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

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


def what_client_sees(call: Callable[[], Any]) -> tuple:
    """One call's outcome as a client sees it: ``("ok", value)`` normalised for comparison, or the
    error's (reason, desc) pairs (origins name C++ functions on one side and Python on the other;
    the API_Attribute*/API_CommandFailed wrappers of the C++ client are left out), or a client-side
    exception's type and text."""
    try:
        return ("ok", normalise(call()))
    except DEVFAILED as exc:
        return ("DevFailed", [(e.reason, e.desc) for e in exc.args if not e.reason.startswith("API_Attribute")
                              and e.reason not in ("API_CommandFailed",)])
    except Exception as exc:  # noqa: BLE001 - client-side conversions raise TypeError etc. alike
        return (type(exc).__name__, str(exc))


def normalise(v: Any) -> Any:
    """A client result as plain data: arrays with dtype and shape, DeviceAttribute fields, structs."""
    if isinstance(v, np.ndarray):
        return ("ndarray", str(v.dtype), v.shape, v.tolist())
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [normalise(x) for x in v])
    if hasattr(v, "value") and hasattr(v, "quality") and hasattr(v, "w_value"):  # DeviceAttribute
        return ("DeviceAttribute", v.name, normalise(v.value), normalise(v.w_value), str(v.quality), str(v.type),
                str(v.data_format), v.dim_x, v.dim_y, v.w_dim_x, v.w_dim_y, v.has_failed)
    if type(v).__name__ in ("AttributeInfoEx", "CommandInfo", "DeviceInfo"):
        return struct_fields(v)
    return repr(v) if not isinstance(v, (int, float, str, bool, type(None), bytes)) else v


def struct_fields(v: Any) -> dict[str, Any]:
    """The public fields of a client struct (AttributeInfoEx, CommandInfo ...), nested structs too."""
    out = {}
    for k in sorted(dir(v)):
        if k.startswith("_") or k in ("version_info", "server_id", "server_host"):
            continue
        x = getattr(v, k)
        if callable(x):
            continue
        out[k] = struct_fields(x) if type(x).__module__.startswith(("tango", "tango_core")) and hasattr(x, "__dict__") \
            and not isinstance(x, (int, str)) else (str(x) if not isinstance(x, (list, str, int, float)) else x)
    return out


def assert_same(reference: Any, ours: Any, call: Callable[[Any], Any]) -> None:
    """The same call on a proxy to the reference server and on one to ours: the same outcome."""
    expected = what_client_sees(lambda: call(reference))
    got = what_client_sees(lambda: call(ours))
    assert got == expected, f"\nours:      {got!r}\nreference: {expected!r}"
