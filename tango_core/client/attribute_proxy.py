"""AttributeProxy: one attribute of one device, as PyTango's (pure-Python) AttributeProxy.

It is a thin layer over a :class:`DeviceProxy`: every call delegates to the device proxy with the
attribute name filled in. Attribute aliases are resolved through the Database
(``DbGetAttributeAlias``) when the proxy is built.
"""

from __future__ import annotations

from typing import Any

from tango_core.client.device_proxy import DeviceProxy, _check_green
from tango_core.client.names import parse_attribute_name
from tango_core.idl.enums import ErrSeverity, ExtractAs
from tango_core.idl.errors import DevError, DevFailed, WrongNameSyntax

__all__ = ["AttributeProxy", "get_attribute_proxy"]


def _device_text(dev) -> str:
    """The string a DeviceProxy accepts for a parsed DeviceName (prefix and #dbase kept)."""
    if dev.host is None:
        return dev.name
    return f"tango://{dev.host}:{dev.port}/{dev.name}" + ("" if dev.dbase else "#dbase=no")


class AttributeProxy:
    """Proxy to ``device/attribute`` (or an attribute alias)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.pop("green_mode", None)
        if len(args) == 2 and isinstance(args[0], DeviceProxy):
            self._dev, self._name = args[0], str(args[1])
            return
        if len(args) != 1 or not isinstance(args[0], str):
            if len(args) == 1 and isinstance(args[0], AttributeProxy):
                self._dev, self._name = args[0]._dev, args[0]._name
                return
            raise TypeError("AttributeProxy(name) or AttributeProxy(device_proxy, attr_name)")
        parsed = parse_attribute_name(args[0])
        if parsed.is_alias:
            from tango_core.client.database import get_database

            try:
                full = get_database(parsed.device.tango_host()).get_attribute_from_alias(parsed.alias)
            except DevFailed as exc:
                raise type(exc)(*exc.args, DevError(
                    "API_AliasNotDefined", f"Can't connect to attribute with alias {parsed.alias}",
                    "AttributeProxy::parse_name()", ErrSeverity.ERR)) from None
            dev_name, _, attr = full.rpartition("/")
            if parsed.device.host is not None:
                dev_name = f"tango://{parsed.device.host}:{parsed.device.port}/{dev_name}"
            self._dev, self._name = DeviceProxy(dev_name), attr
        else:
            self._dev = DeviceProxy(_device_text(parsed.device))
            self._name = parsed.attribute
        self._check_attribute_exists()

    def _check_attribute_exists(self) -> None:
        """As cppTango: an attribute the device does not have is refused at construction
        (a device that cannot be reached now is not: the first call reports that)."""
        try:
            self._dev._attribute_config(self._name)
        except DevFailed as exc:
            if exc.args and exc.args[0].reason == "API_AttrNotFound":
                raise WrongNameSyntax(DevError(
                    "API_UnsupportedAttribute",
                    f"Attribute {self._name} is not supported by device {self._dev.dev_name()}",
                    "AttributeProxy::real_constructor()", ErrSeverity.ERR)) from None

    def __repr__(self) -> str:
        return f"AttributeProxy({self._name})"

    __str__ = __repr__

    def name(self) -> str:
        return self._name

    def get_device_proxy(self) -> DeviceProxy:
        return self._dev

    # -- delegations with the attribute name -------------------------------------------------
    def read(self, extract_as: ExtractAs = ExtractAs.Numpy, **kw):
        return self._dev.read_attribute(self._name, extract_as, **kw)

    def write(self, value: Any, **kw) -> None:
        self._dev.write_attribute(self._name, value, **kw)

    def write_read(self, value: Any, extract_as: ExtractAs = ExtractAs.Numpy, **kw):
        return self._dev.write_read_attribute(self._name, value, extract_as, **kw)

    def get_config(self, **kw):
        return self._dev.get_attribute_config(self._name, **kw)

    def set_config(self, value, **kw) -> None:
        self._dev.set_attribute_config(value, **kw)

    def history(self, depth: int, extract_as: ExtractAs = ExtractAs.Numpy):
        return self._dev.attribute_history(self._name, depth, extract_as)

    def poll(self, period: int) -> None:
        self._dev.poll_attribute(self._name, period)

    def get_poll_period(self) -> int:
        return self._dev.get_attribute_poll_period(self._name)

    def is_polled(self) -> bool:
        return self._dev.is_attribute_polled(self._name)

    def stop_poll(self) -> None:
        self._dev.stop_poll_attribute(self._name)

    def read_asynch(self, cb=None, extract_as: ExtractAs = ExtractAs.Numpy):
        return self._dev.read_attribute_asynch(self._name, cb, extract_as)

    def read_reply(self, idx: int, timeout: int | None = None, extract_as: ExtractAs = ExtractAs.Numpy):
        return self._dev.read_attribute_reply(idx, timeout, extract_as)

    def write_asynch(self, value: Any, cb=None):
        return self._dev.write_attribute_asynch(self._name, value, cb)

    def write_reply(self, idx: int, timeout: int | None = None) -> None:
        self._dev.write_attribute_reply(idx, timeout)

    # -- delegations without the name -----------------------------------------------------------
    def state(self, **kw):
        return self._dev.state(**kw)

    def status(self, **kw) -> str:
        return self._dev.status(**kw)

    def ping(self, **kw) -> int:
        return self._dev.ping(**kw)

    def get_transparency_reconnection(self) -> bool:
        """Whether the device proxy reconnects by itself (PyTango delegates to it too)."""
        return self._dev.get_transparency_reconnection()

    def set_transparency_reconnection(self, yesno: bool) -> None:
        self._dev.set_transparency_reconnection(yesno)

    # -- attribute properties (Database) -------------------------------------------------------
    def get_property(self, propname, value=None, **kw) -> dict:
        if kw:
            _check_green(kw)
        db = self._dev._database_or_raise()
        if isinstance(propname, str):
            names = [propname]
        elif isinstance(propname, dict):
            names = list(propname)
        else:
            names = [getattr(p, "name", p) for p in propname]
        props = db.get_device_attribute_property(self._dev.dev_name(), [self._name]).get(self._name, {})
        lowered = {k.lower(): v for k, v in props.items()}
        return {n: list(lowered.get(n.lower(), [])) for n in names}

    def put_property(self, value: dict, **kw) -> None:
        if kw:
            _check_green(kw)
        db = self._dev._database_or_raise()
        db.put_device_attribute_property(self._dev.dev_name(), {self._name: value})

    def delete_property(self, value, **kw) -> None:
        if kw:
            _check_green(kw)
        db = self._dev._database_or_raise()
        names = [value] if isinstance(value, str) else list(value)
        db.delete_device_attribute_property(self._dev.dev_name(), {self._name: names})

    # -- events ------------------------------------------------------------------------------------
    def subscribe_event(self, *args, **kwargs) -> int:
        from tango_core.client.device_proxy import event_client
        from tango_core.events import api
        return api.subscribe_event(event_client(), self._dev, self._name, *args, **kwargs)

    def unsubscribe_event(self, event_id: int, **kw) -> None:
        self._dev.unsubscribe_event(event_id, **kw)

    def get_events(self, event_id: int, callback=None, extract_as=ExtractAs.Numpy):
        return self._dev.get_events(event_id, callback, extract_as)

    def event_queue_size(self, event_id: int) -> int:
        return self._dev.event_queue_size(event_id)

    def get_last_event_date(self, event_id: int):
        return self._dev.get_last_event_date(event_id)

    def is_event_queue_empty(self, event_id: int) -> bool:
        return self._dev.is_event_queue_empty(event_id)


def get_attribute_proxy(*args, **kwargs) -> AttributeProxy:
    kwargs.pop("wait", None)
    kwargs.pop("timeout", None)
    return AttributeProxy(*args, **kwargs)
