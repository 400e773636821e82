"""AttributeProxy: one attribute of one device, as PyTango's (pure-Python) AttributeProxy.

It is a thin layer over a :class:`DeviceProxy`: every call delegates to the device proxy with the
attribute name filled in, so an AttributeProxy has its device proxy's green mode (given at
construction: ``AttributeProxy(name, green_mode=...)``, ``tango_core.asyncio.AttributeProxy``).
Attribute aliases are resolved through the Database (``DbGetAttributeAlias``) when the proxy is
built.
"""

from __future__ import annotations

from typing import Any

from tango_core.client.device_proxy import DeviceProxy
from tango_core.client.green import get_green_mode, green_function, green_method
from tango_core.client.names import parse_attribute_name
from tango_core.idl.enums import ErrSeverity, ExtractAs
from tango_core.idl.errors import DevError, DevFailed, WrongNameSyntax
from tango_core.transport.calls import Plan, run_blocking

__all__ = ["AttributeProxy", "get_attribute_proxy"]


def _device_text(dev) -> str:
    """The string a DeviceProxy accepts for a parsed DeviceName (prefix and #dbase kept)."""
    if dev.host is None:
        return dev.name
    return f"tango://{dev.host}:{dev.port}/{dev.name}" + ("" if dev.dbase else "#dbase=no")


class AttributeProxy:
    """Proxy to ``device/attribute`` (or an attribute alias)."""

    def __init__(self, *args, **kwargs) -> None:
        run_blocking(self._init_plan(*args, **kwargs))

    @classmethod
    def _build_plan(cls, *args, **kwargs) -> Plan:
        """A new AttributeProxy, built as a call plan (the green factories run it)."""
        proxy = cls.__new__(cls)
        yield from proxy._init_plan(*args, **kwargs)
        return proxy

    def _init_plan(self, *args, green_mode=None) -> Plan:
        yield from self._connect_plan(*args, green_mode=green_mode)
        self._initialized = True

    def _connect_plan(self, *args, green_mode=None) -> Plan:
        if len(args) == 2 and isinstance(args[0], DeviceProxy):
            self._dev, self._name = args[0], str(args[1])
            return
        if len(args) != 1 or not isinstance(args[0], str):
            if len(args) == 1 and isinstance(args[0], AttributeProxy):
                self._dev, self._name = args[0]._dev, args[0]._name
                return
            raise TypeError("AttributeProxy(name) or AttributeProxy(device_proxy, attr_name)")
        mode = green_mode if green_mode is not None else get_green_mode()  # PyTango fixes it here
        parsed = parse_attribute_name(args[0])
        if parsed.is_alias:
            from tango_core.client.database import get_database

            try:
                full = yield from get_database(parsed.device.tango_host())._attribute_from_alias_plan(parsed.alias)
            except DevFailed as exc:
                raise type(exc)(*exc.args, DevError(
                    "API_AliasNotDefined", f"Can't connect to attribute with alias {parsed.alias}",
                    "AttributeProxy::parse_name()", ErrSeverity.ERR)) from None
            dev_name, _, attr = full.rpartition("/")
            if parsed.device.host is not None:
                dev_name = f"tango://{parsed.device.host}:{parsed.device.port}/{dev_name}"
            self._dev = yield from DeviceProxy._build_plan(dev_name, green_mode=mode)
            self._name = attr
        else:
            self._dev = yield from DeviceProxy._build_plan(_device_text(parsed.device), green_mode=mode)
            self._name = parsed.attribute
        yield from self._check_attribute_exists_plan()

    def _check_attribute_exists_plan(self) -> Plan:
        """As cppTango: an attribute the device does not have is refused at construction
        (a device that cannot be reached now is not: the first call reports that)."""
        try:
            yield from self._dev._attribute_config_plan(self._name)
        except DevFailed as exc:
            if exc.args and exc.args[0].reason == "API_AttrNotFound":
                raise WrongNameSyntax(DevError(
                    "API_UnsupportedAttribute",
                    f"Attribute {self._name} is not supported by device {self._dev.dev_name()}",
                    "AttributeProxy::real_constructor()", ErrSeverity.ERR)) from None

    def __repr__(self) -> str:
        # a proxy whose construction failed is still shown (pytest prints the frames' locals)
        return f"AttributeProxy({self.name()})"

    __str__ = __repr__

    def name(self) -> str:
        if not self.__dict__.get("_initialized"):
            return "<Unknown: object was not fully initialized>"
        return self._name

    def get_device_proxy(self) -> DeviceProxy:
        return self._dev

    # -- delegations with the attribute name -------------------------------------------------
    def read(self, extract_as: ExtractAs = ExtractAs.Numpy, **kw):
        return self._dev.read_attribute(self._name, extract_as, **kw)

    def write(self, value: Any, **kw):
        return self._dev.write_attribute(self._name, value, **kw)

    def write_read(self, value: Any, extract_as: ExtractAs = ExtractAs.Numpy, **kw):
        return self._dev.write_read_attribute(self._name, value, extract_as, **kw)

    def get_config(self, **kw):
        return self._dev.get_attribute_config(self._name, **kw)

    def set_config(self, value, **kw):
        return self._dev.set_attribute_config(value, **kw)

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

    def read_asynch(self, cb=None, extract_as: ExtractAs = ExtractAs.Numpy, **kw):
        return self._dev.read_attribute_asynch(self._name, cb, extract_as, **kw)

    def read_reply(self, idx: int, timeout: int | None = None, extract_as: ExtractAs = ExtractAs.Numpy, **kw):
        return self._dev.read_attribute_reply(idx, timeout, extract_as, **kw)

    def write_asynch(self, value: Any, cb=None, **kw):
        return self._dev.write_attribute_asynch(self._name, value, cb, **kw)

    def write_reply(self, idx: int, timeout: int | None = None, **kw):
        return self._dev.write_attribute_reply(idx, timeout, **kw)

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
    # green as the device proxy's methods: they run in its mode
    @property
    def _green_mode(self):
        return self._dev._green_mode

    def _get_property_plan(self, propname, value=None) -> Plan:
        """Attribute properties from the Database: ``{name: [values...]}``."""
        db = self._dev._database_or_raise()
        if isinstance(propname, str):
            names = [propname]
        elif isinstance(propname, dict):
            names = list(propname)
        else:
            names = [getattr(p, "name", p) for p in propname]
        props = (yield from db._get_device_attribute_property_plan(self._dev.dev_name(), [self._name])).get(
            self._name, {})
        lowered = {k.lower(): v for k, v in props.items()}
        return {n: list(lowered.get(n.lower(), [])) for n in names}

    get_property = green_method(_get_property_plan, name="get_property")

    def _put_property_plan(self, value: dict) -> Plan:
        """Store attribute properties in the Database."""
        db = self._dev._database_or_raise()
        yield from db._put_device_attribute_property_plan(self._dev.dev_name(), {self._name: value})

    put_property = green_method(_put_property_plan, name="put_property")

    def _delete_property_plan(self, value) -> Plan:
        """Delete attribute properties from the Database."""
        db = self._dev._database_or_raise()
        names = [value] if isinstance(value, str) else list(value)
        yield from db._delete_device_attribute_property_plan(self._dev.dev_name(), {self._name: names})

    delete_property = green_method(_delete_property_plan, name="delete_property")

    # -- events ------------------------------------------------------------------------------------
    def subscribe_event(self, *args, **kwargs) -> int:
        return self._dev.subscribe_event(self._name, *args, **kwargs)

    def unsubscribe_event(self, event_id: int, **kw):
        return self._dev.unsubscribe_event(event_id, **kw)

    def get_events(self, event_id: int, callback=None, extract_as=ExtractAs.Numpy):
        return self._dev.get_events(event_id, callback, extract_as)

    def event_queue_size(self, event_id: int) -> int:
        return self._dev.event_queue_size(event_id)

    def get_last_event_date(self, event_id: int):
        return self._dev.get_last_event_date(event_id)

    def is_event_queue_empty(self, event_id: int) -> bool:
        return self._dev.is_event_queue_empty(event_id)


def _get_attribute_proxy_plan(*args, green_mode=None) -> Plan:
    """A new AttributeProxy in ``green_mode``, built as a call plan."""
    return (yield from AttributeProxy._build_plan(*args, green_mode=green_mode))


#: PyTango's factory: ``get_attribute_proxy(name, green_mode=None, wait=True, timeout=None)``; in a
#: green mode building the proxy is itself green (``await tango_core.asyncio.AttributeProxy(name)``).
get_attribute_proxy = green_function(_get_attribute_proxy_plan, name="get_attribute_proxy")
