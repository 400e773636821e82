"""Tango device servers in pure Python, with PyTango's high-level API.

    from tango_core.server import Device, attribute, command

    class Sensor(Device):
        @attribute(dtype=float, unit="bar")
        def pressure(self):
            return 1.23

    if __name__ == "__main__":
        Sensor.run_server()

Names as in ``tango.server`` (PyTango 10.3.1): ``Device``, ``DeviceMeta``, ``attribute``,
``command``, ``device_property``, ``class_property``, ``run``, ``server_run``; the classic API's
``DeviceClass``, ``LatestDeviceImpl`` (``Device_6Impl`` ...), ``Attr``/``SpectrumAttr``/``ImageAttr``,
``AttrData``, ``Util``.  The layers behind: :mod:`.device` (what a device does),
:mod:`.attributes` (values, configuration, alarms), :mod:`.servant` (GIOP operations),
:mod:`.admin` (the admin device), :mod:`.runtime` (the process).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Device": ".device", "DeviceMeta": ".device", "BaseDevice": ".device", "DeviceClass": ".device",
    "DeviceImpl": ".device", "Device_2Impl": ".device", "Device_3Impl": ".device", "Device_4Impl": ".device",
    "Device_5Impl": ".device", "Device_6Impl": ".device", "LatestDeviceImpl": ".device", "ClientAddr": ".device",
    "attribute": ".attribute_declaration", "AttrData": ".attribute_declaration", "Attr": ".attribute_declaration",
    "SpectrumAttr": ".attribute_declaration", "ImageAttr": ".attribute_declaration",
    "UserDefaultAttrProp": ".attribute_declaration", "MultiClassAttribute": ".attribute_declaration",
    "command": ".command_declaration",
    "device_property": ".properties", "class_property": ".properties",
    "run": ".runtime", "server_run": ".runtime", "Util": ".runtime", "Interceptors": ".runtime", "__to_callback": ".runtime",
    "Attribute": ".attributes", "WAttribute": ".attributes", "MultiAttribute": ".attributes",
    "MultiAttrProp": ".attributes",
    "AttReqType": "..idl.enums",
}
_RENAMED: dict[str, str] = {"__to_callback": "to_callback"}  # PyTango's (private) name for it

__all__ = ["Device", "DeviceMeta", "attribute", "command", "device_property", "class_property", "run",
           "server_run", "LatestDeviceImpl", "DeviceClass", "Util"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
