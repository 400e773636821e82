"""Devices: PyTango's ``DeviceImpl``/``DeviceClass`` (classic API) and ``Device`` (high level).

A Tango *class* is a :class:`DeviceClass` instance (its attributes, commands and properties)
and every device is an instance of a :class:`DeviceImpl` subclass.  The high-level API builds
the DeviceClass from the declarations of a :class:`Device` subclass (``attribute``, ``command``,
``device_property``, ``class_property``), through :class:`DeviceMeta`, as PyTango does; the
classic API writes them as dictionaries (``attr_list``, ``cmd_list`` ...).  Both end up in the
same :class:`~.attribute_declaration.AttrData` / :class:`~.command_declaration.CommandDef` lists.

This module holds what a device *does*: the Tango semantics of reading attributes (hooks,
is_allowed, alarms, per-attribute errors), writing them (checks, MultiDevFailed), running
commands (State/Status/Init built in), the state machine (ALARM from attribute alarms), the
attribute configuration, dynamic attributes/commands, events pushed from code, polling
configuration and logging.  It knows nothing of GIOP: :mod:`.servant` decodes requests and calls
the ``read_attributes``/``write_attributes``/``command_inout``... methods below, which take the
device's serialisation lock (one request at a time per device, PyTango's default model).
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Sequence

from ..idl.command_any import check_command_value
from ..release import Release
from ..idl.enums import (
    AttReqType, AttrDataFormat, AttributeDataType, AttrQuality, AttrWriteType, CmdArgType, DevState, DispLevel,
    EventType, LockerLanguage, arm_for_data_type, is_array_type,
)
from ..idl.errors import DevError, DevFailed, ErrSeverity, Except, MultiDevFailed, NamedDevError
from ..idl.struct_format import struct_repr
from ..idl.types import (
    AttributeConfig_5, AttributeDim, AttributeValue_4, AttributeValue_5, AttrValUnion, DevCmdInfo_2, TimeVal,
)
from .attribute_declaration import Attr, AttrData, AttributeAccess, MultiClassAttribute, attribute
from .attributes import Attribute, MultiAttribute, WAttribute, memorized_value_from_string, timeval_now
from .command_declaration import CommandDef
from .device_logging import DeviceLogger, LogStream
from .dtypes import parse_type_hint
from .green import get_worker, set_worker
from .polling import PollingSettings
from .properties import PropertyDef, class_property, device_property, value_to_strings
from .sub_devices import associated_device
from .values import type_error

if TYPE_CHECKING:
    from .runtime import ServerRuntime

__all__ = ["DeviceClass", "DeviceImpl", "Device_2Impl", "Device_3Impl", "Device_4Impl", "Device_5Impl",
           "Device_6Impl", "LatestDeviceImpl", "BaseDevice", "Device", "DeviceMeta", "ClientAddr", "get_worker",
           "set_worker", "STATUS_NOT_SET", "MONITOR_TIMEOUT_S"]

STATUS_NOT_SET = "Not initialised"
_GEVENT, _ASYNCIO = 2, 3  # GreenMode.Gevent, GreenMode.Asyncio
#: how long a request waits for a device busy with another one (cppTango: 3.2 s, then API_CommandTimedOut)
MONITOR_TIMEOUT_S = 3.2
T = CmdArgType
_READABLE = (AttrWriteType.READ, AttrWriteType.READ_WRITE, AttrWriteType.READ_WITH_WRITE)
_WRITABLE = (AttrWriteType.WRITE, AttrWriteType.READ_WRITE)
_WRITE, _READ_WRITE, _READ_WITH_WRITE = AttrWriteType.WRITE, AttrWriteType.READ_WRITE, AttrWriteType.READ_WITH_WRITE


def _df(reason: str, desc: str, origin: str, severity: ErrSeverity = ErrSeverity.ERR) -> DevFailed:
    return DevFailed(DevError(reason, desc, origin, severity))


def wire_text(text: Any) -> str:
    """A text for the 8-bit Tango wire as PyTango's server sends the texts it keeps in C++
    ``std::string`` (errors, status, names): its UTF-8 octets (``"é"`` is c3 a9), so PyTango's
    client, which decodes them as UTF-8, gets the text back.  NULs become ``\\0``."""
    if isinstance(text, bytes):
        return text.decode("latin-1")
    text = str(text)
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("latin-1")
    return text.replace("\x00", "\\0")


def wire_errors(errors: Iterable[Any]) -> list[DevError]:
    """DevErrors whose texts all encode (reason, desc and origin through :func:`wire_text`)."""
    out = []
    for e in errors:
        if not isinstance(e, DevError):
            e = DevError("PyDs_PythonError", wire_text(e), "", ErrSeverity.ERR)
        out.append(DevError(wire_text(e.reason), wire_text(e.desc), wire_text(e.origin), e.severity))
    return out


def python_error(exc: BaseException) -> DevFailed:
    """A Python exception raised by device code, as PyTango reports it (PyDs_PythonError)."""
    if isinstance(exc, DevFailed):
        return exc
    import traceback  # only for an error: not at start-up
    desc = "".join(traceback.format_exception_only(type(exc), exc))
    origin = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return DevFailed(DevError("PyDs_PythonError", wire_text(desc), wire_text(origin), ErrSeverity.ERR))


#: results that are never awaitable (the common case, checked before inspect.isawaitable)
_PLAIN_RESULTS = frozenset({type(None), bool, int, float, str, bytes, tuple, list, dict, DevState})
#: what was already warned about (PyTango warns once per name)
_SYNC_WARNED: set[str] = set()
_STANDARD_METHODS = ("init_device", "delete_device", "dev_state", "dev_status", "read_attr_hardware",
                     "always_executed_hook")


def _warn_once(key: str, message: str) -> None:
    if key not in _SYNC_WARNED:
        _SYNC_WARNED.add(key)
        import warnings
        warnings.warn(message, DeprecationWarning, stacklevel=3)


def _warn_sync_call(name: str) -> None:
    """An asyncio device ran a synchronous method (still served, as PyTango does, with its
    DeprecationWarning, once per method)."""
    _warn_once(name, f"Sync {name} function called: support of sync functions in PyTango's Asyncio mode is "
                     "deprecated. Use 'async def' instead of 'def'.")


def _warn_sync_standard_methods(cls: type) -> None:
    """An asyncio device class's own standard methods written with 'def' (PyTango's warning)."""
    for method in _STANDARD_METHODS:
        own = getattr(cls, method, None)
        own = getattr(own, "__func__", own)
        framework = getattr(own, "__module__", "").startswith("tango_core.")  # DeviceImpl's, Device's
        if own is not None and not framework and not inspect.iscoroutinefunction(own):
            _warn_once(f"standard:{method}", f"{method} is sync: support of sync functions in Asyncio Servers is "
                                             "deprecated. Use 'async def' instead of 'def'.")


class _Ready:
    """What the default hooks return to asyncio devices: ``await super().init_device()`` must work,
    and the same object is ignored by synchronous callers."""

    __slots__ = ("value",)

    def __init__(self, value: Any = None) -> None:
        self.value = value

    def __await__(self):
        if False:  # pragma: no cover - makes this a generator
            yield
        return self.value


class ClientAddr:
    """Who called (PyTango's ``ClientAddr``, from ``get_client_ident()``)."""

    def __init__(self, addr: str = "", *, client_ident: bool = False,
                 client_lang: LockerLanguage = LockerLanguage.CPP, client_pid: int = 0, java_main_class: str = "",
                 java_ident: tuple[int, int] = (0, 0)) -> None:
        """``ClientAddr()`` or ``ClientAddr(addr)`` as in PyTango; the server fills the rest."""
        client_ip = addr
        self.client_ident = client_ident
        self.client_lang = client_lang
        self.client_pid = client_pid
        self.client_ip = client_ip
        self.java_main_class = java_main_class
        self.java_ident = java_ident

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientAddr):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None

    __repr__ = struct_repr

    def get_client_hostname(self) -> str:
        """The caller's host name, from its IP address (ValueError if it cannot be found)."""
        import socket
        ip = self.client_ip.rpartition("giop:tcp:")[2].rsplit(":", 1)[0] if "giop:" in self.client_ip \
            else self.client_ip
        try:
            return socket.gethostbyaddr(ip.strip("[]"))[0]
        except (OSError, UnicodeError):
            raise ValueError(f"Cannot find the host name of client IP {self.client_ip!r}") from None

    def __str__(self) -> str:
        """cppTango's printed form of a client address."""
        if not self.client_ident:
            return "Client identification not available"
        try:
            host = self.get_client_hostname()
        except ValueError:
            host = self.client_ip
        if self.client_lang in (LockerLanguage.CPP, LockerLanguage.CPP_6):
            return f"CPP or Python client with PID {self.client_pid} from host {host}"
        return f"JAVA client class {self.java_main_class} from host {host}"


# ------------------------------------------------------------------------------------------------
# DeviceClass
# ------------------------------------------------------------------------------------------------

class DeviceClass:
    """A Tango class: its name, attributes, commands and properties (PyTango's ``tango.DeviceClass``).

    Classic API subclasses set ``attr_list``, ``cmd_list``, ``device_property_list`` and
    ``class_property_list`` (PyTango's formats); the high-level API generates the subclass.
    """

    attr_list: ClassVar[dict] = {}
    cmd_list: ClassVar[dict] = {}
    device_property_list: ClassVar[dict] = {}
    class_property_list: ClassVar[dict] = {}
    #: PyTango's HL API fills these with declaration objects
    _hl_attributes: ClassVar[list[AttrData]] = []
    _hl_commands: ClassVar[dict[str, CommandDef]] = {}
    _hl_device_properties: ClassVar[dict[str, PropertyDef]] = {}
    _hl_class_properties: ClassVar[dict[str, PropertyDef]] = {}

    def __init__(self, name: str) -> None:
        self.name = name
        self.runtime: ServerRuntime | None = None
        self.device_impl: type | None = None
        self.devices: list[DeviceImpl] = []
        self.class_property_values: dict[str, Any] = {}
        self._type = name
        self._doc_url = "http://www.tango-controls.org"
        self._class_attr = MultiClassAttribute()
        self._bindings: dict[str, AttributeAccess] = {}
        self.command_defs: dict[str, CommandDef] = {}
        self.device_property_defs: dict[str, PropertyDef] = {}
        self.class_property_defs: dict[str, PropertyDef] = {}

    # -- building the definitions -----------------------------------------------------------
    def build(self, device_impl: type) -> None:
        """Collect the attribute/command/property definitions for ``device_impl`` devices.

        Each declared attribute becomes the class's :class:`Attr` (``to_attr()``, as PyTango's
        class factory does): devices make their attributes from those (:meth:`get_class_attr`);
        the methods that read and write them come from the declarations (:meth:`binding`)."""
        self.device_impl = device_impl
        if self._hl_attributes or self._hl_commands or getattr(device_impl, "_api", 0) >= 2:
            declared = list(self._hl_attributes)
            self.command_defs = dict(self._hl_commands)
            self.device_property_defs = dict(self._hl_device_properties)
            self.class_property_defs = dict(self._hl_class_properties)
        else:
            declared = [AttrData(name, self.name, info) for name, info in dict(type(self).attr_list).items()]
            self.command_defs = {}
            for name, info in dict(type(self).cmd_list).items():
                self.command_defs[name.lower()] = CommandDef.from_info(name, info)
            self.device_property_defs = {name: _classic_property(name, info, device_property)
                                         for name, info in dict(type(self).device_property_list).items()}
            self.class_property_defs = {name: _classic_property(name, info, class_property)
                                        for name, info in dict(type(self).class_property_list).items()}
        self._bindings = {a.attr_name.lower(): a.bind(device_impl) for a in declared}
        self._class_attr = MultiClassAttribute([a.to_attr() for a in declared])

    def binding(self, attr_name: str) -> AttributeAccess | None:
        """The read/write/is_allowed methods of a declared attribute (None for a dynamic one)."""
        return self._bindings.get(attr_name.lower())

    def declared_attributes(self) -> list[Attr]:
        """The class's attribute definitions a new device gets, declared ones (dynamic ones are
        each device's own: their methods are that device's)."""
        return [a for a in self._class_attr if a.attr_name.lower() in self._bindings]

    def attribute_added(self, attr: Attr) -> None:
        """A device added ``attr`` (``add_attribute``): the class lists it unless it has one of that name."""
        self._class_attr.add(attr)

    def attribute_removed(self, device: "DeviceImpl", attr_name: str) -> None:
        """``device`` removed an attribute: the class forgets it when no other device has one of that name."""
        if any(attr_name in d.get_device_attr() for d in self.devices if d is not device):
            return
        attr = self._class_attr.find(attr_name)
        if attr is not None:
            self._class_attr.remove_attr(attr.attr_name, attr.get_cl_name())
            self._bindings.pop(attr_name.lower(), None)

    def load_class_properties(self) -> None:
        """Class property values: database value, else the declared default."""
        values: dict[str, Any] = {}
        names = list(self.class_property_defs)
        stored = self.runtime.properties.get_class_properties(self.name, names) if (self.runtime and names) else {}
        for name, prop in self.class_property_defs.items():
            strings = stored.get(name)
            values[name] = prop.convert(strings) if strings else prop.default()
            if not hasattr(type(self), name) and not name.startswith("_"):
                setattr(self, name, values[name])
        self.class_property_values = values

    # -- PyTango's DeviceClass API ------------------------------------------------------------
    def get_name(self) -> str:
        return self.name

    def set_type(self, dev_type: str) -> None:
        self._type = dev_type

    def get_type(self) -> str:
        return self._type

    def get_doc_url(self) -> str:
        return self._doc_url

    def get_device_list(self) -> list["DeviceImpl"]:
        return list(self.devices)

    def get_command_list(self) -> list[CommandDef]:
        return list(self.command_defs.values())

    def get_class_attr(self) -> MultiClassAttribute:
        return self._class_attr

    def dyn_attr(self, dev_list: Sequence["DeviceImpl"]) -> None:
        """Called once the devices exist: the HL API runs ``initialize_dynamic_attributes``."""
        for dev in dev_list:
            init = getattr(dev, "initialize_dynamic_attributes", None)
            if callable(init):
                dev._resolve(init())

    def device_factory(self, names: Sequence[str]) -> list["DeviceImpl"]:
        assert self.device_impl is not None
        created = []
        for name in names:
            with associated_device(name):  # proxies its init_device makes are its sub-devices
                dev = self.device_impl(self, name)
            self.devices.append(dev)
            created.append(dev)
        return created

    def create_device(self, device_name: str, alias: str | None = None, cb: Any = None) -> None:
        """``Util.instance().create_device(<this class>, device_name, alias, cb)``."""
        self._running_server("DeviceClass.create_device").create_device(self.get_name(), device_name, alias, cb)

    def delete_device(self, device_name: str) -> None:
        """``Util.instance().delete_device(<this class>, device_name)``."""
        self._running_server("DeviceClass.delete_device").delete_device(self.get_name(), device_name)

    def device_destroyer(self, device_name: str) -> None:
        """Delete a device of this class from the running server only (the database keeps it)."""
        runtime = self._running_server("DeviceClass::device_destroyer")
        low = device_name.lower()
        dev = next((d for d in self.devices if d.get_name().lower() == low), None)
        if dev is None:
            raise _df("API_DeviceNotFound", f"Device {device_name} not in the device list of class {self.get_name()}",
                      "DeviceClass::device_destroyer")
        runtime.run_device_code(runtime._remove_device, dev)

    def add_wiz_dev_prop(self, name: str, desc: str, default: str | None = None) -> None:
        """One more device property for the admin's QueryWizardDevProperty (configuration
        wizards), after the declared ones; no default: "Not specified", as cppTango."""
        self.__dict__.setdefault("_wiz_extra", {"device": [], "class": []})["device"].append(
            (str(name), str(desc), "Not specified" if default is None else str(default)))

    def add_wiz_class_prop(self, name: str, desc: str, default: str | None = None) -> None:
        """One more class property for the admin's QueryWizardClassProperty (see add_wiz_dev_prop)."""
        self.__dict__.setdefault("_wiz_extra", {"device": [], "class": []})["class"].append(
            (str(name), str(desc), "Not specified" if default is None else str(default)))

    def wizard_extras(self, kind: str) -> list[tuple[str, str, str]]:
        """What add_wiz_dev_prop (``kind`` "device") or add_wiz_class_prop ("class") added."""
        return list(self.__dict__.get("_wiz_extra", {}).get(kind, ()))

    def device_name_factory(self, dev_name_list: list[str]) -> None:
        """Append the names of this class's devices to ``dev_name_list``, for a server started
        without a database and without -dlist; the default names none."""

    def get_cmd_by_name(self, cmd_name: str) -> CommandDef:
        """The command ``cmd_name`` (any case) of this class."""
        for name, cmd in self.command_defs.items():
            if name.lower() == cmd_name.lower():
                return cmd
        raise _df("API_CommandNotFound", f"Command {cmd_name} not found", "DeviceClass::get_cmd_by_name")

    def get_cvs_tag(self) -> str:
        return ""

    def get_cvs_location(self) -> str:
        return ""

    def register_signal(self, signo: int, own_handler: bool = False) -> None:
        """Have this class's ``signal_handler(signo)`` called when the process gets ``signo``."""
        self._running_server("DeviceClass::register_signal").signals.register(self, signo, own_handler)

    def unregister_signal(self, signo: int) -> None:
        self._running_server("DeviceClass::unregister_signal").signals.unregister(self, signo)

    def signal_handler(self, signo: int) -> None:
        """Called for each signal this class registered for; does nothing unless overridden."""

    def _running_server(self, origin: str) -> Any:
        runtime = getattr(self, "runtime", None)
        if runtime is None:
            raise _df("API_DeviceNotFound", f"Class {self.get_name()} is not served by a running server", origin)
        return runtime

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


def _classic_property(name: str, info: Any, kind: type) -> PropertyDef:
    """A ``device_property_list``/``class_property_list`` entry, ``[type, doc[, default]]``.
    Its value without a stored one, as PyTango's: the default, its first element when it is a
    list and the type a scalar one (``[DevDouble, "", [12.0]]`` gives 12.0), ``[]`` when there
    is no default."""
    dtype = CmdArgType(info[0]) if len(info) > 0 and info[0] is not None else None
    doc = info[1] if len(info) > 1 else ""
    default = info[2] if len(info) > 2 else []
    if (dtype is not None and not is_array_type(dtype) and dtype not in _STRUCT_ARRAYS
            and isinstance(default, Sequence) and not isinstance(default, str) and len(default)):
        default = default[0]
    prop = kind.__new__(kind)
    PropertyDef.__init__(prop, None, doc, default)
    prop.dtype = dtype
    prop.name = name
    prop.classic = True
    return prop


_STRUCT_ARRAYS = (CmdArgType.DevVarLongStringArray, CmdArgType.DevVarDoubleStringArray)


def _class_value_applies(prop: PropertyDef, value: Any, runtime: Any) -> bool:
    """Whether a device property without a stored value takes the class property's value of the
    same name: a set one; for a classic declaration (PyTango's PropUtil) a non-empty one, and
    only with a database (without one PyTango merges none)."""
    if not getattr(prop, "classic", False):
        return value is not None
    if runtime is not None and not runtime.use_db:
        return False
    return value is not None and not (isinstance(value, Sequence) and not isinstance(value, str) and not len(value))


# ------------------------------------------------------------------------------------------------
# DeviceImpl
# ------------------------------------------------------------------------------------------------

def python_api_versions() -> dict[str, str]:
    """The entries a PyTango 10 device (``LatestDeviceImpl``) adds to its version info:
    ``PyTango``, the version of the PyTango API the device is written against (here the one
    tango_core implements, ``Release.version_long``, as ``tango.Release`` reports it: PyTango's
    own tests require the key, and it is where a client reads which device API a server speaks),
    and ``NumPy``, the runtime's.  PyTango's
    ``Build.PyTango.*`` (the compiled extension's build) and ``cppTango``/``omniORB``/``zmq``
    entries describe a C++ build tango_core does not have, so they are not reported; the server
    reports ``tango_core`` and ``idl`` instead (ServerRuntime.version_info).  The admin device,
    C++ code in PyTango, has none of these (DServer)."""
    import numpy

    return {"PyTango": Release.version_long, "NumPy": numpy.__version__}


class DeviceImpl:
    """One Tango device (PyTango's ``tango.LatestDeviceImpl`` = ``Device_6Impl``)."""

    _api = 1

    def __init__(self, cl: DeviceClass | Any, name: str, description: str | None = None,
                 state: DevState | None = None, status: str | None = None) -> None:
        if not isinstance(cl, DeviceClass):
            raise TypeError(f"{type(self).__name__}(cl, name): cl must be the DeviceClass, not {type(cl).__name__}")
        self._dev_class = cl
        self._dev_runtime: ServerRuntime | None = cl.runtime
        self._dev_name = name
        self._dev_description = description or "A TANGO device"
        self._dev_state = DevState.UNKNOWN if state is None else DevState(state)
        self._dev_prev_state = self._dev_state
        # when device code last set ALARM and when dev_state() last turned the state to ALARM
        # (whole seconds, 0: never, as cppTango): dev_state() goes back to ON only from an
        # ALARM of its own, so an ALARM set by device code stays until device code changes it
        self._alarm_state_user = 0
        self._alarm_state_kernel = 0
        self._dev_status = STATUS_NOT_SET if status is None else status
        #: the device's own serialisation lock (SerialModel.BY_DEVICE; see _Monitor)
        self._dev_serial = SerialMonitor()
        self._dev_monitor = self._dev_serial.lock
        # the class's green mode, else the server's (run(..., green_mode=...), set_green_mode);
        # asyncio devices run on the server's event loop and interleave at their awaits, gevent
        # devices in the server's hub at theirs (PyTango runs both with SerialModel.NO_SYNC); the
        # others serve one request at a time
        mode = getattr(type(self), "green_mode", None)
        if mode is None and cl.runtime is not None:
            mode = cl.runtime.green_mode
        self._dev_green_mode = mode
        self._dev_no_sync = mode == _ASYNCIO or mode == _GEVENT
        if mode == _ASYNCIO:
            _warn_sync_standard_methods(type(self))
        self._dev_attrs = MultiAttribute()
        self._dev_access: dict[str, AttributeAccess] = {}
        self._dev_commands: dict[str, CommandDef] = {}
        self._dev_logger = DeviceLogger(name)
        self._dev_exported = False
        self._dev_locker: Any = None
        self._dev_version_info: dict[str, str] = python_api_versions()
        self._dev_polling_settings = PollingSettings()
        if not hasattr(self, "_tango_properties"):
            self._tango_properties: dict[str, Any] = {}
        runtime = self._dev_runtime
        if runtime is not None:
            runtime.configure_logger(self._dev_logger)
        self._build_interface()
        self._initial_polling()  # before init_device, as PyTango: init_device may already ask about it

    def _build_interface(self) -> None:
        cl = self._dev_class
        std = _standard_attributes()
        for a in std:
            self._add_runtime_attribute(a, None)
        for data in cl.declared_attributes():
            self._add_runtime_attribute(data.make_attribute(), cl.binding(data.attr_name))
        for name in ("Init", "State", "Status"):
            self._dev_commands[name.lower()] = _STANDARD_COMMANDS[name]
        self._dev_commands.update(cl.command_defs)
        self._restore_attribute_config()

    def _add_runtime_attribute(self, attr: Attribute, access: AttributeAccess | None) -> None:
        attr.device = self
        if attr.name_lower in ("state", "status"):
            self._dev_attrs.add(attr)
            return
        # State and Status stay last, as in cppTango
        tail = [a for a in self._dev_attrs if a.name_lower in ("state", "status")]
        for a in tail:
            self._dev_attrs.remove(a.name)
        self._dev_attrs.add(attr)
        for a in tail:
            self._dev_attrs.add(a)
        if access is not None:
            self._dev_access[attr.name_lower] = access

    def _restore_attribute_config(self) -> None:
        """Apply configuration and memorized values kept in the database (attribute properties)."""
        runtime = self._dev_runtime
        if runtime is None:
            return
        names = [a.name for a in self._dev_attrs if a.name_lower not in ("state", "status")]
        if not names:
            return
        try:
            stored = runtime.properties.get_attribute_properties(self._dev_name, names)
        except DevFailed:
            return
        for attr in self._dev_attrs:
            props = stored.get(attr.name) or stored.get(attr.name_lower) or {}
            for prop, strings in props.items():
                if prop == "__value":
                    continue
                if prop in attr.property_strings():
                    text = ",".join(strings) if prop in ("rel_change", "abs_change", "archive_rel_change",
                                                         "archive_abs_change") else (strings[0] if strings else "")
                    try:
                        attr.set_property_string(prop, text, device_name=self._dev_name)
                    except DevFailed:
                        pass
                elif prop == "enum_labels":
                    attr.enum_labels = list(strings)
            mem = props.get("__value")
            if mem and isinstance(attr, WAttribute) and attr.memorized:
                try:
                    attr._memorized_init = memorized_value_from_string(attr, mem[0])
                except (ValueError, TypeError):
                    pass

    # ---------------------------------------------------------------------------------------
    # PyTango accessors
    # ---------------------------------------------------------------------------------------
    def get_name(self) -> str:
        return self._dev_name

    def get_device_class(self) -> DeviceClass:
        return self._dev_class

    def get_device_attr(self) -> MultiAttribute:
        return self._dev_attrs

    def get_state(self) -> DevState:
        return self._dev_state

    def get_prev_state(self) -> DevState:
        return self._dev_prev_state

    def set_state(self, new_state: DevState) -> None:
        new_state = DevState(new_state)
        if new_state != self._dev_state:
            self._dev_prev_state = self._dev_state
        self._dev_state = new_state
        self._alarm_state_user = int(time.time()) if new_state == DevState.ALARM else 0

    def get_status(self) -> str:
        if self._dev_status == STATUS_NOT_SET:
            return f"The device is in {self._dev_state.name} state."
        return self._dev_status

    def set_status(self, new_status: str) -> None:
        self._dev_status = new_status

    def append_status(self, status: str, new_line: bool = False) -> None:
        base = "" if self._dev_status == STATUS_NOT_SET else self._dev_status
        self._dev_status = base + ("\n" if new_line else "") + status

    def get_description(self) -> str:
        return self._dev_description

    def get_dev_idl_version(self) -> int:
        return 6

    def get_exported_flag(self) -> bool:
        return self._dev_exported

    def get_logger(self) -> DeviceLogger:
        return self._dev_logger

    def get_poll_ring_depth(self) -> int:
        """The ``poll_ring_depth`` device property, 0 when it is not set (the depth used is then
        10), as cppTango."""
        return self._dev_polling_settings.poll_ring_depth

    def get_attr_poll_ring_depth(self, attr_name: str) -> int:
        """The ring depth an attribute gets when polled (``attr_poll_ring_depth`` entries are
        looked up with the name as given, as cppTango)."""
        return self._dev_polling_settings.ring_depth("attribute", attr_name, exact=True)

    def get_cmd_poll_ring_depth(self, cmd_name: str) -> int:
        return self._dev_polling_settings.ring_depth("command", cmd_name, exact=True)

    def get_min_poll_period(self) -> int:
        return self._dev_polling_settings.min_poll_period

    def get_attr_min_poll_period(self) -> list[str]:
        return list(self._dev_polling_settings.attr_min_poll_period)

    def get_cmd_min_poll_period(self) -> list[str]:
        return list(self._dev_polling_settings.cmd_min_poll_period)

    def get_poll_old_factor(self) -> int:
        return self._dev_polling_settings.old_factor

    def get_non_auto_polled_attr(self) -> list[str]:
        return list(self._dev_polling_settings.non_auto_polled_attr)

    def get_non_auto_polled_cmd(self) -> list[str]:
        return list(self._dev_polling_settings.non_auto_polled_cmd)

    def get_polling_settings(self) -> PollingSettings:
        """The polling properties read when the device was made (see PollingSettings)."""
        return self._dev_polling_settings

    def get_version_info(self) -> dict[str, str]:
        """The versions this device reports in ``info().version_info`` (DevInfo_6): the server's
        (``tango_core``, ``idl``, ``Python``, as its admin device reports them), the Python API
        the device is written against (``PyTango``, ``NumPy``: see :func:`python_api_versions`),
        then what device code added with :meth:`add_version_info`."""
        info = dict(self._dev_runtime.version_info() if self._dev_runtime else {})
        info.update(self._dev_version_info)
        return info

    def add_version_info(self, key: str, value: str) -> None:
        self._dev_version_info[str(key)] = str(value)

    def get_client_ident(self) -> ClientAddr | None:
        runtime = self._dev_runtime
        call = runtime.current_call() if runtime else None
        if call is None:
            return None
        return call.client_addr()

    def is_device_locked(self) -> bool:
        return self._dev_locker is not None and self._dev_locker.is_valid()

    def check_command_exists(self, cmd_name: str) -> None:
        if cmd_name.lower() not in self._dev_commands:
            raise _df("API_CommandNotFound", f"Command {cmd_name} not found", "DeviceImpl::check_command_exists")

    def __str__(self) -> str:
        return f"{type(self).__name__}({self._dev_name})"

    __repr__ = __str__

    # -- default hooks (overridden by device code) ---------------------------------------------
    def _done(self, value: Any = None) -> Any:
        """A hook's result: awaitable for asyncio devices (``green_mode = GreenMode.Asyncio``)."""
        if getattr(self, "_dev_green_mode", None) == _ASYNCIO:
            return _Ready(value)
        return value

    def init_device(self) -> Any:
        return self._done()

    def delete_device(self) -> Any:
        return self._done()

    def always_executed_hook(self) -> Any:
        return self._done()

    def read_attr_hardware(self, attr_list: Sequence[int]) -> Any:
        return self._done()

    def write_attr_hardware(self, attr_list: Sequence[int]) -> Any:
        return self._done()

    def server_init_hook(self) -> Any:
        return self._done()

    def dev_state(self) -> DevState:
        """The state, turned to ALARM when an attribute is beyond its alarm/warning thresholds
        (cppTango's default: only while the state is ON or ALARM), and back to ON when none is,
        unless device code itself set ALARM (cppTango's rule)."""
        if self._dev_state in (DevState.ON, DevState.ALARM):
            alarmed_attrs = [a for a in self._dev_attrs if a.is_alarmed() and a.writable != AttrWriteType.WRITE]
            alarm = False
            if alarmed_attrs:
                indices = [self._dev_attrs.get_attr_ind_by_name(a.name) for a in alarmed_attrs]
                try:
                    self._resolve(self.read_attr_hardware(indices))
                except Exception:  # noqa: BLE001 - a failed hardware read leaves the state alone
                    pass
                for a in alarmed_attrs:
                    a.reset_value()
                    access = self._dev_access.get(a.name_lower)
                    if access is None or access.read is None:
                        continue
                    try:
                        self._call_read(a, access)
                    except Exception:  # noqa: BLE001
                        continue
                    if a.value_is_set() and a.check_alarm():
                        alarm = True
            if alarm:
                self._set_alarm_by_kernel()
            else:
                if self._alarm_state_kernel > self._alarm_state_user:
                    self._dev_state = DevState.ON
                if self._dev_state != DevState.ALARM:
                    if self._alarmed_by_quality():
                        self._set_alarm_by_kernel()
                    else:
                        self._dev_state = DevState.ON
        return self._done(self._dev_state)

    def _set_alarm_by_kernel(self) -> None:
        if self._dev_state != DevState.ALARM:
            self._dev_state = DevState.ALARM
            self._alarm_state_kernel = int(time.time())

    def _alarmed_by_quality(self) -> bool:
        return any(a.get_quality() in (AttrQuality.ATTR_ALARM, AttrQuality.ATTR_WARNING)
                   for a in self._dev_attrs if a.value_is_set() and not a.is_alarmed())

    def dev_status(self) -> str:
        """The status: the one set by code, else "The device is in <STATE> state.", plus the
        alarm lines of alarmed attributes while the state is ALARM."""
        if self._dev_status == STATUS_NOT_SET:
            status = f"The device is in {self._dev_state.name} state."
        else:
            status = self._dev_status
        if self._dev_state == DevState.ALARM:
            status = self._dev_attrs.read_alarm(status)
            for a in self._dev_attrs:
                if a.is_alarmed() or not a.value_is_set():
                    continue
                if a.get_quality() == AttrQuality.ATTR_ALARM:
                    status += f"\nAlarm : Quality factor set to ALARM for attribute {a.get_label()}"
                elif a.get_quality() == AttrQuality.ATTR_WARNING:
                    status += f"\nWarning : Quality factor set to WARNING for attribute {a.get_label()}"
        return self._done(status)

    # -- properties ------------------------------------------------------------------------------
    def get_device_properties(self, ds_class: DeviceClass | None = None) -> None:
        """Read the declared device properties (database value, class property, default)."""
        cl = ds_class or self._dev_class
        runtime = self._dev_runtime
        defs = cl.device_property_defs
        stored = {}
        if runtime is not None and defs:
            stored = runtime.properties.get_device_properties(self._dev_name, list(defs))
        hl = self._api >= 2
        for name, value in cl.class_property_values.items():
            if hl:
                self._tango_properties[name] = value
            else:
                setattr(self, name, value)
        for name, prop in defs.items():
            strings = stored.get(name)
            try:
                if strings:
                    value = prop.convert(strings)
                elif name in cl.class_property_values and _class_value_applies(
                        prop, cl.class_property_values[name], runtime):
                    value = cl.class_property_values[name]
                else:
                    value = prop.default()
            except (ValueError, TypeError) as exc:
                raise _df("PyDs_WrongProperty", f"Failed to convert property '{name}' of device '{self._dev_name}' "
                          f"(value={strings!r}) to type {prop.dtype}: {exc}",
                          "DeviceImpl::get_device_properties") from exc
            if hl:
                self._tango_properties[name] = value
                if prop.mandatory and value is None:
                    raise _df("PyDs_WrongProperty", f"Device property {name} is mandatory ",
                              "DeviceImpl::get_device_properties")
            else:
                setattr(self, name, value)

    def _put_property_in_db(self, prop: PropertyDef, value: Any) -> None:
        runtime = self._dev_runtime
        if runtime is not None:
            runtime.properties.put_device_properties(self._dev_name, {prop.name: value_to_strings(value)})

    # -- logging (PyTango's stream API) ----------------------------------------------------------
    def debug_stream(self, msg: str, *args: Any, source: Callable | None = None) -> None:
        self._log(5, msg, args, source)

    def info_stream(self, msg: str, *args: Any, source: Callable | None = None) -> None:
        self._log(4, msg, args, source)

    def warn_stream(self, msg: str, *args: Any, source: Callable | None = None) -> None:
        self._log(3, msg, args, source)

    def error_stream(self, msg: str, *args: Any, source: Callable | None = None) -> None:
        self._log(2, msg, args, source)

    def fatal_stream(self, msg: str, *args: Any, source: Callable | None = None) -> None:
        self._log(1, msg, args, source)

    def _log(self, level: int, msg: str, args: tuple, source: Callable | None) -> None:
        # the line shows where it was logged from: ``source`` or the first caller outside tango_core
        self._dev_logger.log(level, msg, *args, source=source)

    @property
    def log_debug(self) -> LogStream:
        return LogStream(self.debug_stream)

    @property
    def log_info(self) -> LogStream:
        return LogStream(self.info_stream)

    @property
    def log_warn(self) -> LogStream:
        return LogStream(self.warn_stream)

    @property
    def log_error(self) -> LogStream:
        return LogStream(self.error_stream)

    @property
    def log_fatal(self) -> LogStream:
        return LogStream(self.fatal_stream)

    def start_logging(self) -> None:
        self._dev_logger.enabled = True

    def stop_logging(self) -> None:
        self._dev_logger.enabled = False

    # ---------------------------------------------------------------------------------------
    # coroutines (asyncio devices) and the serialisation lock
    # ---------------------------------------------------------------------------------------
    def _resolve(self, result: Any, sync_name: str | None = None) -> Any:
        """Run a coroutine returned by an ``async def`` device method on the server's event loop.
        ``sync_name``: the user method's name, warned about if an asyncio device's is synchronous."""
        kind = type(result)
        if kind is _Ready:
            return result.value
        if kind not in _PLAIN_RESULTS and inspect.isawaitable(result):
            runtime = self._dev_runtime
            if runtime is None:
                import asyncio
                return asyncio.run(_await(result))
            return runtime.run_coroutine(result)
        if sync_name is not None and self._dev_green_mode == _ASYNCIO:
            _warn_sync_call(sync_name)
        return result

    def _monitor(self) -> "_Monitor":
        monitor = self.__dict__.get("_dev_monitor_guard")
        if monitor is None:
            monitor = self._dev_monitor_guard = _Monitor(self)
        return monitor

    # ---------------------------------------------------------------------------------------
    # attribute reading
    # ---------------------------------------------------------------------------------------
    def _call_read(self, attr: Attribute, access: AttributeAccess) -> None:
        ret = self._resolve(access.read(self, attr), f"read {attr.name}" if access.read_green_mode else None)
        if not attr.value_is_set() and ret is not None:
            attr.set_complex_value(ret)

    def _check_allowed(self, attr: Attribute, req: int) -> None:
        access = self._dev_access.get(attr.name_lower)
        if access is None or access.is_allowed is None:
            return
        if not self._resolve(access.is_allowed(self, req),
                             f"is_{attr.name}_allowed" if access.isallowed_green_mode else None):
            if req == AttReqType.READ_REQ:
                raise _df("API_AttrNotAllowed", f"It is currently not allowed to read attribute {attr.name}",
                          "Device_3Impl::read_attributes_no_except()")
            raise _df("API_AttrNotAllowed", f"It is currently not allowed to write attribute {attr.name}. "
                      f"The device state is {self.get_state()}", "Device_3Impl::write_attributes_34()")

    def _read_one(self, attr: Attribute) -> AttributeValue_5:
        """Read one attribute whose hardware read was done (lock held); errors in the result."""
        try:
            name = attr.name_lower
            if name == "state":
                return _state_value(attr.name, self._resolve(self.dev_state()))
            if name == "status":
                return _status_value(attr.name, self._resolve(self.dev_status()))
            access = self._dev_access.get(name)
            if access is not None and access.is_allowed is not None:
                self._check_allowed(attr, AttReqType.READ_REQ)
            attr.reset_value()
            writable = attr.writable
            if writable is _WRITE:
                assert isinstance(attr, WAttribute)
                union, wx, wy = attr.get_set_point()
                return AttributeValue_5(union, AttrQuality.ATTR_VALID, attr.data_format, attr.data_type,
                                        timeval_now(), attr.name, AttributeDim(wx, wy), AttributeDim(wx, wy), [])
            if access is None or access.read is None:
                raise _df("API_AttrNotFound", f"Read method for attribute {attr.name} not found",
                          "Device_3Impl::read_attributes_no_except()")
            ret = access.read(self, attr)
            if ret.__class__ not in _PLAIN_RESULTS:
                ret = self._resolve(ret, attr.name)
            elif self._dev_green_mode == _ASYNCIO and access.read_green_mode:
                _warn_sync_call(f"read {attr.name}")
            if attr._value is None and ret is not None:
                attr.set_complex_value(ret)
            if attr._value is None:
                raise _df("API_AttrValueNotSet", f"Read value for attribute {attr.name} has not been updated",
                          "Device_3Impl::read_attributes_no_except()")
            w_attr = None
            if writable is _READ_WRITE:
                w_attr = attr
            elif writable is _READ_WITH_WRITE:
                assoc = self._dev_attrs.find(attr.writable_attr_name)
                w_attr = assoc if isinstance(assoc, WAttribute) else None
            if attr._alarmed:
                attr.check_alarm()
            value = attr.to_attribute_value_5(w_attr)  # type: ignore[arg-type]
            attr.value_sent()
            return value
        except DevFailed as exc:
            return _error_value(attr.name, exc)
        except BaseException as exc:  # noqa: BLE001 - device code errors become per-attribute errors
            if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
                raise
            return _error_value(attr.name, python_error(exc))

    def read_attributes(self, names: Sequence[str]) -> list[AttributeValue_5]:
        """``read_attributes_5``: one AttributeValue_5 per name, in order; failures (unknown
        name, not allowed, exception in the read method) are reported inside their entry."""
        with self._monitor():
            own_hooks = _OWN_HOOKS.get(self.__class__) or _own_hooks(self.__class__)
            if own_hooks[0] or "always_executed_hook" in self.__dict__:
                hook = self.always_executed_hook()
                if hook.__class__ not in _PLAIN_RESULTS:
                    self._resolve(hook)
            dev_attrs = self._dev_attrs
            find = dev_attrs.find
            if len(names) == 1:
                attrs: list[Attribute | None] = [find(names[0])]
            else:
                attrs = [find(n) for n in names]
            indices = [dev_attrs.index_of(a) for a in attrs
                       if a is not None and a.name_lower not in ("state", "status") and a.writable in _READABLE]
            hw_error: DevFailed | None = None
            if indices and (own_hooks[1] or "read_attr_hardware" in self.__dict__):
                try:
                    done = self.read_attr_hardware(indices)
                    if done.__class__ not in _PLAIN_RESULTS:
                        self._resolve(done)
                except Exception as exc:  # noqa: BLE001
                    hw_error = python_error(exc)
            if len(names) == 1 and hw_error is None:   # the commonest request: one attribute
                attr = attrs[0]
                if attr is not None:
                    return [self._read_one(attr)]
            results: list[AttributeValue_5 | None] = [None] * len(names)
            deferred = []
            for i, (name, attr) in enumerate(zip(names, attrs)):
                if attr is None:
                    results[i] = _error_value(name, _df("API_AttrNotFound", f"{name} attribute not found",
                                                        "MultiAttribute::get_attr_ind_by_name()"))
                elif attr.name_lower in ("state", "status"):
                    deferred.append(i)
                elif hw_error is not None and attr.writable in _READABLE:
                    results[i] = _error_value(attr.name, hw_error)
                else:
                    results[i] = self._read_one(attr)
            for i in deferred:  # State/Status last, so they see this read's alarms
                results[i] = self._read_one(attrs[i])  # type: ignore[arg-type]
            return results  # type: ignore[return-value]

    def read_attribute_value(self, name: str) -> AttributeValue_5:
        """One attribute read as a client would get it (the polling engine's entry point)."""
        return self.read_attributes([name])[0]

    # ---------------------------------------------------------------------------------------
    # attribute writing
    # ---------------------------------------------------------------------------------------
    def write_attributes(self, values: Sequence[AttributeValue_4]) -> None:
        """``write_attributes_4``: raises MultiDevFailed naming every attribute that failed."""
        errors: list[NamedDevError] = []
        with self._monitor():
            self._resolve(self.always_executed_hook())
            written = []
            for index, av in enumerate(values):
                try:
                    attr = self._write_one(av)
                    if attr is not None:
                        written.append(attr)
                except DevFailed as exc:
                    errors.append(NamedDevError(wire_text(av.name), index, wire_errors(exc.args)))
                except BaseException as exc:  # noqa: BLE001
                    if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
                        raise
                    errors.append(NamedDevError(wire_text(av.name), index, wire_errors(python_error(exc).args)))
            if written:
                try:
                    self._resolve(self.write_attr_hardware([self._dev_attrs.index_of(a) for a in written]))
                except Exception as exc:  # noqa: BLE001
                    err = python_error(exc)
                    errors.extend(NamedDevError(a.name, 0, list(err.args)) for a in written)
        if errors:
            raise MultiDevFailed(errors)

    def _write_one(self, av: AttributeValue_4) -> WAttribute | None:
        attr = self._dev_attrs.find(av.name)
        if attr is None:
            raise _df("API_AttrNotFound", f"{av.name} attribute not found", "MultiAttribute::get_attr_ind_by_name()")
        if not isinstance(attr, WAttribute) or attr.writable not in _WRITABLE:
            raise _df("API_AttrNotWritable", f"Attribute {attr.name} is not writable",
                      "Device_3Impl::write_attributes_34()")
        self._check_allowed(attr, AttReqType.WRITE_REQ)
        union = av.value
        _check_write_type(attr, union)
        dim_x, dim_y = av.w_dim.dim_x, av.w_dim.dim_y
        n = _union_len(union)
        if attr.data_format == AttrDataFormat.SCALAR:
            dim_x, dim_y = 1, 0
            if n != 1:
                raise _df("API_AttrIncorrectDataNumber", "Incorrect data number", "WAttribute::check_written_value()")
        elif attr.data_format == AttrDataFormat.SPECTRUM:
            if dim_x <= 0 and n:
                dim_x = n
            dim_y = 0
            if dim_x != n:
                raise _df("API_AttrIncorrectDataNumber", "Incorrect data number", "WAttribute::check_written_value()")
        else:
            if dim_x * dim_y != n:
                raise _df("API_AttrIncorrectDataNumber", "Incorrect data number", "WAttribute::check_written_value()")
        attr.check_written_value(union, dim_x, dim_y)
        previous = (attr._set_point, attr._w_dim, attr._write_value)
        attr.store_written(union, dim_x, dim_y)
        access = self._dev_access.get(attr.name_lower)
        if access is None or access.write is None:
            attr._set_point, attr._w_dim, attr._write_value = previous
            raise _df("API_AttrNotWritable", f"Write method for attribute {attr.name} not found",
                      "Device_3Impl::write_attributes_34()")
        try:
            self._resolve(access.write(self, attr), f"write {attr.name}" if access.write_green_mode else None)
        except BaseException:
            attr._set_point, attr._w_dim, attr._write_value = previous
            raise
        if attr.memorized:
            self._store_memorized(attr)
        return attr

    def _store_memorized(self, attr: WAttribute) -> None:
        text = attr.memorized_string()
        runtime = self._dev_runtime
        if text is None or runtime is None:
            return
        try:
            runtime.properties.put_attribute_properties(self._dev_name, {attr.name: {"__value": [text]}})
        except DevFailed as exc:
            self.error_stream(f"Cannot store memorized value of {attr.name}: {exc.args[0].desc if exc.args else exc}")

    def write_read_attributes(self, values: Sequence[AttributeValue_4],
                              read_names: Sequence[str] | None = None) -> list[AttributeValue_5]:
        """``write_read_attributes_4/5``: write, then read ``read_names`` (default: the written ones)."""
        with self._monitor():
            self.write_attributes(values)
            return self.read_attributes(list(read_names) if read_names is not None else [v.name for v in values])

    def apply_memorized_values(self) -> None:
        """At start-up/Init: give memorized attributes their stored set point (and call the write
        method of hw_memorized ones), as PyTango does."""
        for attr in self._dev_attrs:
            if not isinstance(attr, WAttribute) or not attr.memorized:
                continue
            value = getattr(attr, "_memorized_init", None)
            if value is None:
                continue
            try:
                attr.set_write_value(value)
                if attr.hw_memorized:
                    access = self._dev_access.get(attr.name_lower)
                    if access is not None and access.write is not None:
                        self._resolve(access.write(self, attr),
                                      f"write {attr.name}" if access.write_green_mode else None)
            except Exception as exc:  # noqa: BLE001 - a bad stored value must not stop the server
                self.error_stream(f"Cannot apply memorized value {value!r} to {attr.name}: {exc}")

    # ---------------------------------------------------------------------------------------
    # commands
    # ---------------------------------------------------------------------------------------
    def command_inout(self, name: str, argtype: CmdArgType | None, argin: Any) -> tuple[CmdArgType, Any]:
        """Run command ``name`` with an argument decoded from the wire (``argtype`` its type).

        Returns ``(out_type, value)`` already checked against the out type, so encoding cannot
        fail later.  Raises DevFailed with cppTango's/PyTango's reasons."""
        with self._monitor():
            if (_OWN_HOOKS.get(self.__class__) or _own_hooks(self.__class__))[0] \
                    or "always_executed_hook" in self.__dict__:
                hook = self.always_executed_hook()
                if hook.__class__ not in _PLAIN_RESULTS:
                    self._resolve(hook)
            cmd = self._dev_commands.get(name.lower())
            if cmd is None:
                raise _df("API_CommandNotFound", f"Command {name} not found", "DeviceClass::command_handler()")
            if (argtype is not None and argtype is not cmd.in_type and argtype != cmd.in_type
                    and not _compatible_argin(cmd.in_type, argtype)):
                raise _df("API_IncompatibleCmdArgumentType",
                          f"Incompatible command argument type, expected type is : Tango::{cmd.in_type.name}",
                          "DeviceClass::command_handler()")
            return self._run_command(cmd, argin)

    def run_command(self, name: str, argin: Any = None) -> tuple[CmdArgType, Any]:
        """Run a command from inside the server (polling engine): same checks, same lock."""
        return self.command_inout(name, None, argin)

    def _run_command(self, cmd: CommandDef, argin: Any) -> tuple[CmdArgType, Any]:
        if cmd.name_lower in _BUILTIN_COMMANDS:
            return _BUILTIN_COMMANDS[cmd.name_lower](self)
        guard = cmd.resolve_is_allowed(self)
        if guard is not None and not self._resolve(guard(), f"is_{cmd.name}_allowed" if cmd.isallowed_green_mode
                                                   else None):
            raise _df("API_CommandNotAllowed",
                      f"Command {cmd.name} not allowed when the device is in {self._dev_state.name} state",
                      "DeviceClass::command_handler()")
        method = cmd.resolve_method(self)
        try:
            result = method() if cmd.in_type is T.DevVoid else method(argin)
            if result.__class__ not in _PLAIN_RESULTS:
                result = self._resolve(result, cmd.name)
            elif self._dev_green_mode == _ASYNCIO and cmd.green_mode:
                _warn_sync_call(cmd.name)
            if cmd.out_type is T.DevVoid:
                return T.DevVoid, None
            return cmd.out_type, _check_out(cmd.out_type, result)
        except BaseException as exc:  # noqa: BLE001 - PyTango adds its own entry to whatever the code raised
            if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
                raise
            err = python_error(exc)
            raise DevFailed(*err.args, DevError("PyDs_UnexpectedFailure", "Cannot execute command",
                                                "PyCmd::execute", ErrSeverity.ERR)) from None

    def command_list(self) -> list[CommandDef]:
        return sorted(self._dev_commands.values(), key=lambda c: c.name)  # cppTango: std::string order

    def command_query(self, name: str) -> CommandDef:
        cmd = self._dev_commands.get(name.lower())
        if cmd is None:
            raise _df("API_CommandNotFound", f"Command {name} not found",
                      "Device_2Impl::command_query_2()")
        return cmd

    def get_command_infos(self) -> list[DevCmdInfo_2]:
        return [c.info_2() for c in self.command_list()]

    def init_cmd(self) -> None:
        """The Init command: ``delete_device()`` then ``init_device()``; one INTERFACE_CHANGE event
        afterwards if the commands or attributes differ (none for changes undone during Init)."""
        before = self._interface_signature()
        self._dev_intr_change_enabled = False
        try:
            self._call_delete_device()
            self._resolve(self.init_device())
            self.apply_memorized_values()
        finally:
            self._dev_intr_change_enabled = True
        if self._interface_signature() != before:
            self._interface_changed()

    def _interface_signature(self) -> tuple:
        """What an INTERFACE_CHANGE event reports, in short: commands and attributes with their types."""
        cmds = sorted((c.name_lower, int(c.in_type), int(c.out_type)) for c in self._dev_commands.values())
        attrs = sorted((a.name_lower, int(a.data_type), int(a.data_format), int(a.writable)) for a in self._dev_attrs)
        return tuple(cmds), tuple(attrs)

    def _call_delete_device(self) -> None:
        try:
            self._resolve(self.delete_device())
        except Exception as exc:  # noqa: BLE001 - reported, never fatal (PyTango's behaviour)
            err = python_error(exc)
            sys.stderr.write(f"{self._dev_name}: delete_device() raised a DevFailed exception:\n"
                             f"{err.args[0].desc if err.args else ''}{err.args[0].origin if err.args else ''}\n")

    # ---------------------------------------------------------------------------------------
    # attribute configuration
    # ---------------------------------------------------------------------------------------
    def _config_targets(self, names: Sequence[str]) -> list[Attribute]:
        if len(names) == 1 and names[0] in ("All attributes", "All attributes_3"):
            return list(self._dev_attrs)
        return [self._dev_attrs.get_attr_by_name(n) for n in names]

    def get_attribute_config_5(self, name: str) -> AttributeConfig_5:
        return self._dev_attrs.get_attr_by_name(name).get_config_5()

    def get_attribute_configs(self, names: Sequence[str], idl: int = 5) -> list[Any]:
        """``get_attribute_config(_2/_3/_5)``: ``"All attributes"``/``"All attributes_3"`` means all."""
        return [a.config_struct(idl) for a in self._config_targets(names)]

    def set_attribute_configs(self, confs: Sequence[Any]) -> None:
        """``set_attribute_config(_3/_4/_5)``: change the configuration, persist what differs from the
        defaults in the database (attribute properties), notify the event publisher."""
        with self._monitor():
            changed: list[tuple[Attribute, dict[str, str]]] = []
            touched: list[Attribute] = []      # cppTango sends ATTR_CONF for each, changed or not
            for conf in confs:
                attr = self._dev_attrs.get_attr_by_name(conf.name)
                if attr.name_lower in ("state", "status"):
                    continue
                touched.append(attr)
                updates = attr.config_changes(conf)
                if not updates:
                    continue
                before = attr.property_strings()
                try:
                    for prop in _ordered(updates):
                        attr.set_property_string(prop, updates[prop], device_name=self._dev_name)
                except DevFailed:
                    for prop, text in before.items():  # all or nothing for this attribute
                        attr._props[prop] = text
                    attr._parse_thresholds()
                    raise
                after = attr.property_strings()
                diff = {k: v for k, v in after.items() if before[k] != v}
                if diff:
                    changed.append((attr, diff))
            for attr, diff in changed:
                self._persist_config(attr, diff)
            for attr in touched:
                self._attribute_config_changed(attr)

    def _persist_config(self, attr: Attribute, diff: dict[str, str]) -> None:
        runtime = self._dev_runtime
        if runtime is None:
            return
        defaults = {k: attr._default_of(k) for k in diff}
        put = {k: _prop_strings(k, v) for k, v in diff.items() if v != defaults[k]}
        delete = [k for k, v in diff.items() if v == defaults[k]]
        try:
            if put:
                runtime.properties.put_attribute_properties(self._dev_name, {attr.name: put})
            if delete:
                runtime.properties.delete_attribute_properties(self._dev_name, {attr.name: delete})
        except DevFailed as exc:
            self.error_stream(f"Cannot store the configuration of {attr.name}: "
                              f"{exc.args[0].desc if exc.args else exc}")

    def _attribute_config_changed(self, attr: Attribute) -> None:
        runtime = self._dev_runtime
        if runtime is not None:
            runtime.events.push_attr_conf_event(self, attr)

    # PyTango's device-side config helpers -----------------------------------------------------
    def get_attribute_config(self, attr_names: str | Sequence[str]) -> list[Any]:
        if isinstance(attr_names, str):
            attr_names = [attr_names]
        return [_config_struct(c) for c in self.get_attribute_configs(list(attr_names), idl=1)]

    def get_attribute_config_2(self, attr_names: str | Sequence[str]) -> list[Any]:
        if isinstance(attr_names, str):
            attr_names = [attr_names]
        return [_config_struct(c) for c in self.get_attribute_configs(list(attr_names), idl=2)]

    def get_attribute_config_3(self, attr_names: str | Sequence[str]) -> list[Any]:
        if isinstance(attr_names, str):
            attr_names = [attr_names]
        return [_config_struct(c) for c in self.get_attribute_configs(list(attr_names), idl=3)]

    def set_attribute_config(self, new_conf: Any) -> None:
        confs = new_conf if isinstance(new_conf, (list, tuple)) else [new_conf]
        self.set_attribute_configs([getattr(c, "_struct", c) for c in confs])

    set_attribute_config_3 = set_attribute_config

    # ---------------------------------------------------------------------------------------
    # dynamic attributes and commands
    # ---------------------------------------------------------------------------------------
    def add_attribute(self, attr: Any, r_meth: Callable | None = None, w_meth: Callable | None = None,
                      is_allo_meth: Callable | None = None) -> Any:
        """Add an attribute to this device (an ``attribute(...)`` or a classic ``Attr``); returns the
        Attr it is made from (``to_attr()`` of an ``attribute``), which the class lists too."""
        if not isinstance(attr, AttrData):
            raise TypeError(f"add_attribute() takes an attribute() or Attr, not {type(attr).__name__}")
        if attr.attr_name is None:
            raise _df("PyDs_WrongAttributeDefinition", "A dynamic attribute needs a name", "add_attribute()")
        name = attr.attr_name
        access, type_hint = self._dynamic_access(attr, r_meth, w_meth, is_allo_meth)
        if type_hint is not None and not attr.has_dtype_kword:
            attr.apply_type_hint(type_hint)
        if not isinstance(attr, Attr):
            attr = attr.to_attr()
        runtime_attr = attr.make_attribute()
        with self._dev_monitor:
            if name.lower() in self._dev_attrs:
                self._remove_runtime_attribute(name)
            self._add_runtime_attribute(runtime_attr, access)
            self._dev_class.attribute_added(attr)
        self._restore_one_config(runtime_attr)
        self._interface_changed()
        return attr

    async def async_add_attribute(self, *args: Any, **kwargs: Any) -> Any:
        return self.add_attribute(*args, **kwargs)

    def _restore_one_config(self, attr: Attribute) -> None:
        runtime = self._dev_runtime
        if runtime is None or not self._dev_exported:
            return
        try:
            stored = runtime.properties.get_attribute_properties(self._dev_name, [attr.name])
        except DevFailed:
            return
        for prop, strings in (stored.get(attr.name) or {}).items():
            if prop in attr.property_strings():
                try:
                    attr.set_property_string(prop, ",".join(strings), device_name=self._dev_name)
                except DevFailed:
                    pass

    def _dynamic_access(self, attr: AttrData, r_meth: Callable | None, w_meth: Callable | None,
                        is_allo_meth: Callable | None) -> tuple[AttributeAccess, Any]:
        name = attr.attr_name
        type_hint = None
        if r_meth is None:
            r_meth = getattr(attr, "fget", None)
            if r_meth is None:
                r_meth = getattr(self, attr.read_method_name or f"read_{name}", None)
        if w_meth is None:
            w_meth = getattr(attr, "fset", None)
            if w_meth is None:
                w_meth = getattr(self, attr.write_method_name or f"write_{name}", None)
        if is_allo_meth is None:
            is_allo_meth = getattr(attr, "fisallowed", None)
            if is_allo_meth is None:
                is_allo_meth = getattr(self, attr.is_allowed_name or f"is_{name}_allowed", None)
        read = write = allowed = None
        if attr.attr_write in _READABLE and r_meth is not None:
            type_hint = getattr(r_meth, "__annotations__", {}).get("return")
            read = _bind_dynamic(self, r_meth)
        if attr.attr_write in _WRITABLE and w_meth is not None:
            if type_hint is None:
                hints = {k: v for k, v in getattr(w_meth, "__annotations__", {}).items() if k != "return"}
                if hints:
                    type_hint = list(hints.values())[-1]
            write = _bind_dynamic(self, w_meth)
        if is_allo_meth is not None:
            allowed = _bind_dynamic(self, is_allo_meth)
        if attr.attr_write in _READABLE and read is None:
            raise _df("PyDs_WrongAttributeDefinition", f"No read method for dynamic attribute {name}",
                      "add_attribute()")
        return AttributeAccess(read, write, allowed, attr.green_modes()), type_hint

    def remove_attribute(self, attr_name: str, free_it: bool = False, clean_db: bool = True) -> None:
        with self._dev_monitor:
            if attr_name.lower() in ("state", "status") or attr_name.lower() not in self._dev_attrs:
                raise _df("API_AttrNotFound", f"{attr_name} attribute not found", "DeviceImpl::remove_attribute()")
            self._remove_runtime_attribute(attr_name)
            self._dev_class.attribute_removed(self, attr_name)
        if clean_db and self._dev_runtime is not None:
            try:
                self._dev_runtime.properties.delete_all_attribute_properties(self._dev_name, attr_name)
            except DevFailed:
                pass
        self._interface_changed()

    async def async_remove_attribute(self, *args: Any, **kwargs: Any) -> None:
        self.remove_attribute(*args, **kwargs)

    def _remove_runtime_attribute(self, name: str) -> None:
        attr = self._dev_attrs.remove(name)
        self._dev_access.pop(attr.name_lower, None)

    def add_command(self, cmd: Callable, device_level: bool = True) -> Callable:
        """Add a command (a ``@command``-decorated function or method) to this device."""
        info = getattr(cmd, "__tango_command__", None)
        if info is None:
            raise TypeError("add_command() takes a function decorated with @command")
        name, desc = info
        cdef = CommandDef.from_info(name, desc, method=cmd if not isinstance(cmd, str) else None)
        if inspect.ismethod(cmd) and cmd.__self__ is self:
            cdef.method = cmd
        with self._dev_monitor:
            self._dev_commands[name.lower()] = cdef
        self._interface_changed()
        return cmd

    def remove_command(self, cmd_name: str, free_it: bool = False, clean_db: bool = True) -> None:
        with self._dev_monitor:
            if cmd_name.lower() in ("init", "state", "status") or cmd_name.lower() not in self._dev_commands:
                raise _df("API_CommandNotFound", f"Command {cmd_name} not found", "DeviceImpl::remove_command()")
            del self._dev_commands[cmd_name.lower()]
        self._interface_changed()

    def _interface_changed(self) -> None:
        runtime = self._dev_runtime
        if runtime is not None and self._dev_exported and getattr(self, "_dev_intr_change_enabled", True):
            runtime.events.interface_changed(self)

    # ---------------------------------------------------------------------------------------
    # events pushed by device code (the event publisher does the rest)
    # ---------------------------------------------------------------------------------------
    def _event_attr(self, attr_name: str) -> Attribute:
        return self._dev_attrs.get_attr_by_name(attr_name)

    def _pushed_value(self, attr: Attribute, args: Sequence[Any], kwargs: dict) -> AttributeValue_5 | DevFailed:
        if "dim_x" in kwargs or "dim_y" in kwargs:
            raise TypeError("dim_x and dim_y arguments are no longer supported")
        exc = kwargs.pop("except", None)
        if args and isinstance(args[0], BaseException):
            exc = args[0]
        if exc is not None:
            return python_error(exc) if not isinstance(exc, DevFailed) else exc
        if not args:
            if attr.name_lower == "state":
                return _state_value(attr.name, self.get_state())
            if attr.name_lower == "status":
                return _status_value(attr.name, self.get_status())
            # PyTango's rule (Attribute.fire_change_event is the way to push the value set)
            raise _df("PyDs_InvalidCall", f"Cannot push event for attribute {attr.name} without data. Pushing event "
                      "without data parameter is only allowed for State and Status attributes.",
                      "PyDeviceImpl::generic_push_event")
        if len(args) > 4:
            raise TypeError("Too many arguments. Note, that dim_x and dim_y arguments are no longer supported.")
        attr.reset_value()
        if attr.data_type == T.DevEncoded and len(args) in (2, 4) and isinstance(args[0], str):
            value = (args[0], args[1])
            rest = args[2:]
        else:
            value = args[0]
            rest = args[1:]
        if rest:
            if len(rest) != 2 or not isinstance(rest[1], AttrQuality):
                raise TypeError(f"Last argument, {rest[-1]}, has the incorrect type: {type(rest[-1])}. It must be of "
                                "type AttrQuality. Note, that dim_x and dim_y arguments are no longer supported.")
            attr.set_value_date_quality(value, rest[0], rest[1])
        else:
            attr.set_value(value)
        if attr.name_lower not in ("state", "status") and attr.is_alarmed():
            attr.check_alarm()
        return attr.to_attribute_value_5(attr if attr.writable == AttrWriteType.READ_WRITE else None)

    def _push(self, event_type: EventType, attr_name: str, args: Sequence[Any], kwargs: dict) -> None:
        attr = self._dev_attrs.find(attr_name) or self._event_attr(attr_name)
        if not kwargs and len(args) == 1 and (args[0].__class__ is float or args[0].__class__ is int) \
                and attr._scalar_arm is not None:
            # one number for a numeric scalar, the commonest push: _pushed_value's steps for it
            attr.reset_value()
            attr.set_value(args[0])
            if attr._alarmed:
                attr.check_alarm()
            value = attr.to_attribute_value_5(attr if attr.writable is _READ_WRITE else None)
        else:
            value = self._pushed_value(attr, args, dict(kwargs))
        attr.event_sent()  # a push is a set_value and a fire: the value and its quality are spent
        self._publish_attribute_event(event_type, attr, value)

    def _publish_attribute_event(self, event_type: EventType, attr: Attribute,
                                 value: AttributeValue_5 | DevFailed) -> None:
        runtime = self._dev_runtime
        if runtime is not None:
            runtime.events.push_attribute_event(self, attr, event_type, value)

    def push_change_event(self, attr_name: str, *args: Any, **kwargs: Any) -> None:
        self._push(EventType.CHANGE_EVENT, attr_name, args, kwargs)

    def push_archive_event(self, attr_name: str, *args: Any, **kwargs: Any) -> None:
        self._push(EventType.ARCHIVE_EVENT, attr_name, args, kwargs)

    def push_alarm_event(self, attr_name: str, *args: Any, **kwargs: Any) -> None:
        self._push(EventType.ALARM_EVENT, attr_name, args, kwargs)

    def push_event(self, attr_name: str, filt_names: Any, filt_vals: Any, *args: Any, **kwargs: Any) -> None:
        self._push(EventType.USER_EVENT, attr_name, args, kwargs)

    def push_data_ready_event(self, attr_name: str, counter: int = 0) -> None:
        attr = self._event_attr(attr_name)
        if not attr.data_ready_event_implemented:
            raise _df("API_AttrNotDataReadyEnabled", f"Attribute {attr.name} is not data ready event enabled",
                      "DeviceImpl::push_data_ready_event()")
        runtime = self._dev_runtime
        if runtime is not None:
            runtime.events.push_data_ready_event(self, attr, int(counter))

    def push_att_conf_event(self, attr: Attribute | str) -> None:
        if isinstance(attr, str):
            attr = self._event_attr(attr)
        runtime = self._dev_runtime
        if runtime is not None:
            runtime.events.push_attr_conf_event(self, attr)

    def set_change_event(self, attr_name: str, implemented: bool, detect: bool = True) -> None:
        self._event_attr(attr_name).set_change_event(implemented, detect)

    def set_archive_event(self, attr_name: str, implemented: bool, detect: bool = True) -> None:
        self._event_attr(attr_name).set_archive_event(implemented, detect)

    def set_alarm_event(self, attr_name: str, implemented: bool, detect: bool = True) -> None:
        self._event_attr(attr_name).set_alarm_event(implemented, detect)

    def set_data_ready_event(self, attr_name: str, implemented: bool) -> None:
        self._event_attr(attr_name).set_data_ready_event(implemented)

    def is_there_subscriber(self, att_name: str, event_type: EventType) -> bool:
        runtime = self._dev_runtime
        return bool(runtime and runtime.events.is_there_subscriber(self, att_name, EventType(event_type)))

    # ---------------------------------------------------------------------------------------
    # polling configuration (the polling engine does the polling)
    # ---------------------------------------------------------------------------------------
    def _polling(self) -> Any:
        runtime = self._dev_runtime
        if runtime is None:
            raise _df("API_PolledDeviceNotInPoolConf", "Device not served by a server", "DeviceImpl::poll")
        return runtime.polling

    def poll_attribute(self, attr_name: str, period_ms: int) -> None:
        attr = self._dev_attrs.get_attr_by_name(attr_name)
        self._poll_from_code("attribute", attr.name, period_ms)

    def poll_command(self, cmd_name: str, period_ms: int) -> None:
        cmd = self.command_query(cmd_name)
        self._poll_from_code("command", cmd.name, period_ms)

    def _poll_from_code(self, kind: str, name: str, period_ms: Any) -> None:
        """Start or change a polling from device code.  As cppTango: an object polled
        externally triggered but not listed by the device (see PolledObject.listed) is refused
        as already polled; a listed one gets the new period."""
        period = self._code_poll_period(period_ms)
        polling = self._polling()
        obj = polling.polled_object(self, kind, name)
        if obj is not None and not obj.listed:
            raise _df("API_AlreadyPolled", f"{kind.capitalize()} {name} already polled", "DServer::add_obj_polling")
        polling.check_min_period(self, kind, name, period)
        polling.set_period(self, kind, name, period)

    def _code_poll_period(self, period_ms: Any) -> int:
        """A polling period asked by device code: while the server starts (init_device), cppTango
        refuses below 5 ms, 0 included; afterwards 0 is externally triggered polling, as from a
        client."""
        period = int(period_ms)
        runtime = self._dev_runtime
        if period < 5 and runtime is not None and runtime.is_svr_starting():
            raise _df("API_NotSupported", f"{period} is below the min authorized period (5 mS)",
                      "DeviceImpl::poll_object")
        return period

    def stop_poll_attribute(self, attr_name: str) -> None:
        self._stop_poll_from_code("attribute", attr_name)

    def stop_poll_command(self, cmd_name: str) -> None:
        self._stop_poll_from_code("command", cmd_name)

    def _stop_poll_from_code(self, kind: str, name: str) -> None:
        polling = self._polling()
        polling.check_polled(self, kind, name, "DServer::rem_obj_polling")
        polling.remove(self, kind, name)

    def is_attribute_polled(self, attr_name: str) -> bool:
        """False for an attribute whose polling began externally triggered (period 0), as
        cppTango's device side says (a client's is_attribute_polled says True)."""
        obj = self._polling().polled_object(self, "attribute", attr_name)
        return obj is not None and obj.listed

    def is_command_polled(self, cmd_name: str) -> bool:
        obj = self._polling().polled_object(self, "command", cmd_name)
        return obj is not None and obj.listed

    def get_attribute_poll_period(self, attr_name: str) -> int:
        attr = self._dev_attrs.get_attr_by_name(attr_name)     # an unknown name: API_AttrNotFound
        return self._polling().get_period(self, "attribute", attr.name)

    def get_command_poll_period(self, cmd_name: str) -> int:
        cmd = self.command_query(cmd_name)
        return self._polling().get_period(self, "command", cmd.name)

    def register_signal(self, signo: int, own_handler: bool = False) -> None:
        """Have ``signal_handler(signo)`` called when the server process gets signal ``signo``
        (from a thread of its own, or in the signal handler itself with ``own_handler``)."""
        self._signals("DeviceImpl::register_signal").register(self, signo, own_handler)

    def unregister_signal(self, signo: int) -> None:
        self._signals("DeviceImpl::unregister_signal").unregister(self, signo)

    def signal_handler(self, signo: int) -> None:
        """Called for each signal this device registered for; does nothing unless overridden."""

    def _signals(self, origin: str) -> Any:
        runtime = self._dev_runtime
        if runtime is None:
            raise _df("API_CantInstallSignal", "Device not served by a server", origin)
        return runtime.signals

    def stop_polling(self, with_db_upd: bool = True) -> None:
        """Stop reading this device's polled objects (cppTango calls it before deleting a polled
        device).  They stay listed in its polling status; ``with_db_upd`` is accepted for
        PyTango's signature (the ``polled_attr`` property is left as it is, as cppTango does)."""
        self._polling().stop_device_polling(self)

    def init_logger(self) -> None:
        """Set the device's logger up again from the server's settings (level, targets)."""
        runtime = self._dev_runtime
        if runtime is not None:
            runtime.configure_logger(self._dev_logger)

    def is_polled(self) -> bool:
        return bool(self._polling().polled_objects(self))

    def get_polled_attr(self) -> list[str]:
        return [x for (k, n), p in self._polling().polled_objects(self).items() if k == "attribute"
                for x in (self._polled_object_display_name(k, n), str(p))]

    def get_polled_cmd(self) -> list[str]:
        return [x for (k, n), p in self._polling().polled_objects(self).items() if k == "command"
                for x in (self._polled_object_display_name(k, n), str(p))]

    def _polled_object_display_name(self, kind: str, name: str) -> str:
        if kind == "attribute":
            attr = self._dev_attrs.find(name)
            return attr.name.lower() if attr else name
        cmd = self._dev_commands.get(name.lower())
        return cmd.name.lower() if cmd else name

    def fill_attr_polling_buffer(self, attr_name: str, data: Any) -> None:
        """Put readings made elsewhere into a polled attribute's buffer (PyTango's
        ``fill_attr_polling_buffer``): ``data`` is a :class:`TimedAttrData` or a list of them,
        oldest first; clients see them in the attribute's history and CACHE reads.  A record's
        ``w_value`` becomes the attribute's set point, as with cppTango.  The checks and reasons
        are cppTango's: the device and the attribute must be polled (period 0 is
        "externally triggered": only this fills the buffer), no WRITE-only attribute, a set
        point only for READ_WRITE ones, no more records than the buffer holds."""
        origin = "Util::fill_attr_polling_buffer"
        items = list(data) if isinstance(data, (list, tuple)) else [data]
        obj = self._polled_for_fill("attribute", attr_name, len(items), origin)
        attr = self._dev_attrs.get_attr_by_name(attr_name)
        writable = attr.writable
        if writable == AttrWriteType.WRITE:
            raise _df("API_DeviceNotPolled", f"Attribute {attr_name} of device {self._dev_name} is WRITE only",
                      origin)
        for number, item in enumerate(items, 1):
            if writable != _READ_WRITE and item.error is None and item.w_value is not None:
                raise _df("API_NotSupportedFeature",
                          f"The attribute {attr_name} for device {self._dev_name} is not a READ_WRITE attribute. "
                          f"You can't set the attribute written part.It is defined for record number {number}",
                          origin)
        w_attr = attr if writable is _READ_WRITE else (
            self._dev_attrs.find(attr.writable_attr_name) if writable is _READ_WITH_WRITE else None)
        records = [self._attr_poll_record(attr, w_attr, item) for item in items]
        for record in records:
            obj.insert(record)

    def _attr_poll_record(self, attr: Attribute, w_attr: Any, item: Any) -> Any:
        from .attributes import _concat, to_timeval
        from .polling import PollRecord
        from .values import read_value_to_union

        when = time.time() if item.time_stamp is None else float(item.time_stamp)
        if item.error is not None:
            return PollRecord(when, None, python_error(item.error).args)
        quality = AttrQuality(item.quality)
        date = to_timeval(when)
        if quality == AttrQuality.ATTR_INVALID:
            return PollRecord(when, AttributeValue_5(AttrValUnion.no_data(), quality, attr.data_format, attr.data_type,
                                                     date, attr.name, AttributeDim(0, 0), AttributeDim(0, 0), []))
        if item.value is None:
            raise TypeError("TimedAttrData needs a value (or an error) unless its quality is ATTR_INVALID")
        union, x, y = read_value_to_union(attr.name, attr.data_type, attr.data_format, item.value,
                                          attr.max_dim_x, attr.max_dim_y)
        w_dim = AttributeDim(0, 0)
        if isinstance(w_attr, WAttribute):
            if item.w_value is not None:  # it becomes the set point, for the next records too (cppTango)
                w_attr.set_write_value(item.w_value)
            w_union, wx, wy = w_attr.get_set_point()
            union = _concat(union, w_union)
            w_dim = AttributeDim(wx, wy)
        return PollRecord(when, AttributeValue_5(union, quality, attr.data_format, attr.data_type, date, attr.name,
                                                 AttributeDim(x, y), w_dim, []))

    def fill_cmd_polling_buffer(self, cmd_name: str, data: Any) -> None:
        """Put results obtained elsewhere into a polled command's buffer (PyTango's
        ``fill_cmd_polling_buffer``): ``data`` is a :class:`TimedCmdData` or a list of them,
        oldest first; clients see them in the command's history and CACHE reads."""
        from .polling import PollRecord

        origin = "Util::fill_cmd_polling_buffer"
        items = list(data) if isinstance(data, (list, tuple)) else [data]
        obj = self._polled_for_fill("command", cmd_name, len(items), origin)
        out_type = self.command_query(cmd_name).out_type
        records = []
        for item in items:
            when = time.time() if item.time_stamp is None else float(item.time_stamp)
            if item.error is not None:
                records.append(PollRecord(when, None, python_error(item.error).args))
            else:
                records.append(PollRecord(when, (out_type, None if out_type is T.DevVoid else
                                                 _check_out(out_type, item.value))))
        for record in records:
            obj.insert(record)

    def _polled_for_fill(self, kind: str, name: str, count: int, origin: str) -> Any:
        obj = self._polling().check_polled(self, kind, name, origin)
        if count > obj.ring.depth:
            raise _df("API_DeviceNotPolled", f"The polling buffer depth for {kind} {name} for device "
                      f"{self._dev_name} is only {obj.ring.depth} which is less than {count}!", origin)
        return obj

    def _initial_polling(self) -> None:
        """Polling periods declared in code (``polling_period=``), unless the database has some."""
        runtime = self._dev_runtime
        if runtime is None:
            return
        polling = runtime.polling
        stored_attr, stored_cmd, settings = runtime.properties.get_polling_config(self._dev_name)
        self._dev_polling_settings = PollingSettings(settings)
        for name, period in stored_attr.items():
            if name.lower() in self._dev_attrs:
                polling.set_period(self, "attribute", self._dev_attrs.get_attr_by_name(name).name, period)
        for name, period in stored_cmd.items():
            if name.lower() in self._dev_commands:
                polling.set_period(self, "command", self._dev_commands[name.lower()].name, period)
        for attr in self._dev_attrs:
            if attr.polling_period > 0 and attr.name.lower() not in {n.lower() for n in stored_attr}:
                polling.set_period(self, "attribute", attr.name, attr.polling_period)
        for cmd in self._dev_commands.values():
            if cmd.polling_period > 0 and cmd.name.lower() not in {n.lower() for n in stored_cmd}:
                polling.set_period(self, "command", cmd.name, cmd.polling_period)


# -- helpers for DeviceImpl -----------------------------------------------------------------------

#: device class -> (its always_executed_hook is its own, its read_attr_hardware is its own): the
#: library's own hooks do nothing, and requests skip calling them
_OWN_HOOKS: dict[type, tuple[bool, bool]] = {}


def _own_hooks(cls: type) -> tuple[bool, bool]:
    flags = (getattr(cls, "always_executed_hook") is not DeviceImpl.always_executed_hook,
             getattr(cls, "read_attr_hardware") is not DeviceImpl.read_attr_hardware)
    _OWN_HOOKS[cls] = flags
    return flags


class SerialMonitor:
    """A serialisation lock (a device's, a class's or the process's, as the server's serial
    model says) and the thread holding it."""

    __slots__ = ("lock", "holder")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.holder: int | None = None


_BY_DEVICE, _BY_CLASS, _BY_PROCESS, _NO_SYNC = 0, 1, 2, 3  # SerialModel's values


def _serial_monitor(device: DeviceImpl) -> SerialMonitor | None:
    """The lock a request to ``device`` takes under the server's serial model (None: NO_SYNC)."""
    if device._dev_no_sync:
        return None
    runtime = device._dev_runtime
    model = _BY_DEVICE if runtime is None else runtime.serial_model
    if model == _BY_DEVICE:
        return device._dev_serial
    if model == _NO_SYNC:
        return None
    owner: Any = device._dev_class if model == _BY_CLASS else runtime
    monitor = owner.__dict__.get("_serial")
    if monitor is None:
        with _SHARED_MONITORS_LOCK:
            monitor = owner.__dict__.get("_serial")
            if monitor is None:
                monitor = owner._serial = SerialMonitor()
    return monitor


_SHARED_MONITORS_LOCK = threading.Lock()


class _Monitor:
    """The device's serialisation lock under the server's serial model (the device's own, its
    class's, the process's, or none), with cppTango's time-out and error.

    One exception, as in cppTango: a request sent by the very thread that holds the lock (its
    code calling its own device, or another under the same lock, through a DeviceProxy, e.g. a
    command subscribing to one of its attributes) runs without the lock -- that thread is
    suspended until the reply.  cppTango gets this from omniORB, which runs such a call in the
    calling thread, and its re-entrant monitor; here the call comes back over TCP on a serving
    thread, which asks the transport whether the thread waiting for the request it serves holds
    the lock.  Each thread remembers which lock it took (the model may change meanwhile)."""

    __slots__ = ("device", "taken")

    def __init__(self, device: DeviceImpl) -> None:
        self.device = device
        self.taken = threading.local()

    def __enter__(self) -> None:
        monitor = _serial_monitor(self.device)
        taken = self.taken.__dict__.setdefault("stack", [])
        if monitor is not None:
            lock = monitor.lock
            if not lock.acquire(False) and not self._wait(monitor):
                monitor = None  # borrowed from the thread waiting for this request: not ours to release
            else:
                monitor.holder = threading.get_ident()
        taken.append(monitor)

    @staticmethod
    def _wait(monitor: SerialMonitor) -> bool:
        """Wait for the lock (True once taken), or return False when the thread holding it is
        the one waiting for the request this thread serves (it notes that after sending: so ask
        again while waiting)."""
        from .servant import waiting_caller

        lock = monitor.lock
        deadline = time.monotonic() + MONITOR_TIMEOUT_S
        while True:
            holder = monitor.holder
            if holder is not None and holder == waiting_caller():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                raise _df("API_CommandTimedOut", "Not able to acquire serialization (dev, class or process) monitor",
                          "TangoMonitor::get_monitor")
            if lock.acquire(timeout=min(left, 0.05)):
                return True

    def __exit__(self, *exc: Any) -> None:
        monitor = self.taken.stack.pop()
        if monitor is None:
            return
        lock = monitor.lock
        lock.release()
        if not lock._is_owned():
            monitor.holder = None


async def _await(aw: Any) -> Any:
    return await aw


def _bind_dynamic(device: DeviceImpl, func: Callable) -> Callable:
    """A dynamic attribute method: bound to the device -> f(attr); else f(device, attr)."""
    if inspect.ismethod(func) and func.__self__ is device:
        return lambda dev, arg, f=func: f(arg)
    return lambda dev, arg, f=func: f(dev, arg)  # a function, or a method of another object


def _state_value(name: str, state: Any) -> AttributeValue_5:
    return AttributeValue_5(AttrValUnion(AttributeDataType.DEVICE_STATE, DevState(state)), AttrQuality.ATTR_VALID,
                            AttrDataFormat.SCALAR, T.DevState, timeval_now(), name, AttributeDim(1, 0),
                            AttributeDim(0, 0), [])


def _status_value(name: str, status: str) -> AttributeValue_5:
    return AttributeValue_5(AttrValUnion(AttributeDataType.ATT_STRING, [_wire_status(status)]),
                            AttrQuality.ATTR_VALID, AttrDataFormat.SCALAR, T.DevString, timeval_now(), name,
                            AttributeDim(1, 0), AttributeDim(0, 0), [])


def _wire_status(status: str) -> str:
    """The status as PyTango's server sends it (UTF-8 octets: PyTango's ``status()`` decodes UTF-8)."""
    if isinstance(status, bytes):
        return status.decode("latin-1")
    return status if status.isascii() else status.encode("utf-8").decode("latin-1")


def _error_value(name: str, exc: DevFailed) -> AttributeValue_5:
    tv = TimeVal.__new__(TimeVal)
    tv.tv_sec = tv.tv_usec = tv.tv_nsec = 0
    return AttributeValue_5(AttrValUnion.no_data(), AttrQuality.ATTR_INVALID, AttrDataFormat.FMT_UNKNOWN,
                            T.DevVoid, tv, wire_text(name), AttributeDim(0, 0), AttributeDim(0, 0),
                            wire_errors(exc.args))


def _union_len(union: AttrValUnion) -> int:
    if union.arm is AttributeDataType.DEVICE_STATE:
        return 1
    if union.arm is AttributeDataType.ATT_NO_DATA:
        return 0
    return len(union.value)


_ARRAY_NAME = {
    T.DevBoolean: "DevVarBooleanArray", T.DevShort: "DevVarShortArray", T.DevLong: "DevVarLongArray",
    T.DevLong64: "DevVarLong64Array", T.DevFloat: "DevVarFloatArray", T.DevDouble: "DevVarDoubleArray",
    T.DevUChar: "DevVarCharArray", T.DevUShort: "DevVarUShortArray", T.DevULong: "DevVarULongArray",
    T.DevULong64: "DevVarULong64Array", T.DevString: "DevVarStringArray", T.DevState: "DevVarStateArray",
    T.DevEncoded: "DevVarEncodedArray", T.DevEnum: "DevVarShortArray",
}


def _check_write_type(attr: WAttribute, union: AttrValUnion) -> None:
    expected = arm_for_data_type(attr.data_type)
    arm = union.arm
    if arm == expected or (expected is AttributeDataType.ATT_STATE and arm is AttributeDataType.DEVICE_STATE):
        return
    raise _df("API_IncompatibleAttrDataType", f"Incompatible attribute type, expected type is : "
              f"Tango::{_ARRAY_NAME.get(attr.data_type, attr.data_type.name)} (even for single value)",
              "WAttribute::check_written_value()")


def _compatible_argin(expected: CmdArgType, got: CmdArgType) -> bool:
    # DevEnum and DevShort share a TypeCode; a ConstDevString is a DevString
    pairs = {(T.DevEnum, T.DevShort), (T.ConstDevString, T.DevString), (T.DevString, T.ConstDevString)}
    return (expected, got) in pairs


def _check_out(out_type: CmdArgType, value: Any) -> Any:
    try:
        check_command_value(out_type, value)  # raises TypeError/ValueError for a wrong result
    except TypeError:
        if out_type in _SCALAR_RESULT_TYPES:
            raise type_error(out_type) from None   # PyTango's text, as for attribute values
        raise
    return value


_SCALAR_RESULT_TYPES = frozenset({
    T.DevBoolean, T.DevShort, T.DevLong, T.DevFloat, T.DevDouble, T.DevUShort, T.DevULong, T.DevLong64,
    T.DevULong64})


def _ordered(updates: dict[str, str]) -> list[str]:
    # min/max pairs: set the one that keeps them coherent first
    order = list(updates)
    if "min_value" in updates and "max_value" in updates:
        order.remove("max_value")
        order.insert(0, "max_value")
    return order


def _prop_strings(prop: str, text: str) -> list[str]:
    if prop in ("rel_change", "abs_change", "archive_rel_change", "archive_abs_change") and "," in text:
        return text.split(",")
    return [text]


class _ConfigView:
    """A mutable attribute configuration handed to device code (``get_attribute_config``)."""

    __slots__ = ("_struct",)

    def __init__(self, struct: Any) -> None:
        object.__setattr__(self, "_struct", struct)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._struct, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if not hasattr(self._struct, name):
            raise AttributeError(f"'{type(self._struct).__name__}' object has no attribute '{name}'")
        setattr(self._struct, name, value)

    def __repr__(self) -> str:
        return repr(self._struct)


def _config_struct(struct: Any) -> _ConfigView:
    return _ConfigView(struct)


def _standard_attributes() -> list[Attribute]:
    return [Attribute("State", T.DevState), Attribute("Status", T.DevString)]


def _state_cmd(dev: DeviceImpl) -> tuple[CmdArgType, Any]:
    return T.DevState, DevState(dev._resolve(dev.dev_state()))


def _status_cmd(dev: DeviceImpl) -> tuple[CmdArgType, Any]:
    return T.DevString, _wire_status(dev._resolve(dev.dev_status()))


def _init_cmd(dev: DeviceImpl) -> tuple[CmdArgType, Any]:
    try:
        dev.init_cmd()
    except DevFailed:
        raise
    except Exception as exc:  # noqa: BLE001
        raise python_error(exc) from None
    return T.DevVoid, None


_STANDARD_COMMANDS = {
    "Init": CommandDef("Init", T.DevVoid, T.DevVoid, "Uninitialised", "Uninitialised"),
    "State": CommandDef("State", T.DevVoid, T.DevState, "Uninitialised", "Device state"),
    "Status": CommandDef("Status", T.DevVoid, T.DevString, "Uninitialised", "Device status"),
}
_BUILTIN_COMMANDS: dict[str, Callable[[DeviceImpl], tuple[CmdArgType, Any]]] = {
    "init": _init_cmd, "state": _state_cmd, "status": _status_cmd,
}

Device_2Impl = Device_3Impl = Device_4Impl = Device_5Impl = Device_6Impl = LatestDeviceImpl = DeviceImpl


# ------------------------------------------------------------------------------------------------
# the high-level API: DeviceMeta builds the DeviceClass from the declarations
# ------------------------------------------------------------------------------------------------

def _is_tango_object(obj: Any) -> bool:
    return isinstance(obj, (attribute, PropertyDef)) or hasattr(obj, "__tango_command__")


def _build_device_class(klass: type, attrs: dict) -> type:
    annotations = dict(getattr(klass, "__annotations__", {}) or {})
    hl_attrs: list[AttrData] = []
    hl_cmds: dict[str, CommandDef] = {}
    dev_props: dict[str, PropertyDef] = {}
    cls_props: dict[str, PropertyDef] = {}
    by_name: dict[str, attribute] = {}
    for key, obj in attrs.items():
        if isinstance(obj, attribute):
            if obj.attr_name is None:
                obj._set_name(key)
            if key in annotations:
                obj.apply_type_hint(annotations[key])
            else:
                _hint_from_methods(obj, klass)
            if obj.attr_name in by_name:
                hl_attrs[hl_attrs.index(by_name[obj.attr_name])] = obj
            else:
                hl_attrs.append(obj)
            by_name[obj.attr_name] = obj
        elif isinstance(obj, PropertyDef):
            obj.name = key
            if key in annotations and obj.dtype is None:
                dtype = parse_type_hint(annotations[key], caller="property")[0]
                obj.dtype = type(obj)(dtype=dtype).dtype
            (dev_props if isinstance(obj, device_property) else cls_props)[key] = obj
        elif callable(obj) and hasattr(obj, "__tango_command__"):
            name, info = obj.__tango_command__
            cdef = CommandDef.from_info(name, info, method=key)
            hl_cmds[name.lower()] = cdef
    return type(f"{klass.__name__}Class", (DeviceClass,), {
        "_hl_attributes": hl_attrs, "_hl_commands": hl_cmds, "_hl_device_properties": dev_props,
        "_hl_class_properties": cls_props,
    })


def _hint_from_methods(obj: attribute, klass: type) -> None:
    if obj.has_dtype_kword:
        return
    hint = None
    if obj.attr_write in (AttrWriteType.READ, AttrWriteType.READ_WRITE):
        f = getattr(obj, "fget", None) or getattr(klass, obj.read_method_name or "", None)
        if f is not None:
            hint = getattr(f, "__annotations__", {}).get("return")
    if hint is None and obj.attr_write in (AttrWriteType.WRITE, AttrWriteType.READ_WRITE):
        f = getattr(obj, "fset", None) or getattr(klass, obj.write_method_name or "", None)
        if f is not None:
            hints = {k: v for k, v in getattr(f, "__annotations__", {}).items() if k != "return"}
            if hints:
                hint = list(hints.values())[-1]
    if hint is not None:
        obj.apply_type_hint(hint)


def _inherit_read_write_patch(attrs: dict) -> None:
    """An undecorated READ_WRITE ``attribute()`` picks up ``write_<name>`` defined in the class."""
    for key, obj in attrs.items():
        if isinstance(obj, attribute) and obj.attr_write == AttrWriteType.READ_WRITE \
                and not getattr(obj, "fset", None):
            method = attrs.get(obj.write_method_name or f"write_{key}")
            if method is not None:
                obj.fset = method


class DeviceMeta(type):
    """Metaclass of :class:`Device`: collects declarations (inherited ones too) into a DeviceClass."""

    def __new__(mcs, name: str, bases: tuple, attrs: dict) -> type:
        dct: dict[str, Any] = {}
        for base in reversed(bases):
            for klass in reversed(base.__mro__):
                for key, value in vars(klass).items():
                    if _is_tango_object(value):
                        dct[key] = value
        _inherit_read_write_patch(attrs)
        dct.update({k: v for k, v in attrs.items() if _is_tango_object(v)})
        cls = super().__new__(mcs, name, bases, attrs)
        cls.TangoClassClass = _build_device_class(cls, dct)
        cls.TangoClassName = name
        cls._api = 2
        return cls


class BaseDevice(DeviceImpl):
    """Base of the high-level :class:`Device` (PyTango's ``tango.server.BaseDevice``)."""

    DEVICE_CLASS_DESCRIPTION: ClassVar[str | None] = None
    DEVICE_CLASS_INITIAL_STATUS: ClassVar[str] = STATUS_NOT_SET
    DEVICE_CLASS_INITIAL_STATE: ClassVar[DevState] = DevState.UNKNOWN
    _api = 2

    def __init__(self, cl: DeviceClass, name: str) -> None:
        self._tango_properties = {}
        if self.DEVICE_CLASS_DESCRIPTION is not None:
            desc = self.DEVICE_CLASS_DESCRIPTION
        elif type(self).__doc__:
            desc = type(self).__doc__
        else:
            desc = "A TANGO device"
        super().__init__(cl, name, desc, self.DEVICE_CLASS_INITIAL_STATE, self.DEVICE_CLASS_INITIAL_STATUS)
        self._resolve(self.init_device())

    def init_device(self) -> Any:
        """Device initialisation; the default reads the device properties."""
        self.get_device_properties()
        return self._done()

    def initialize_dynamic_attributes(self) -> Any:
        """Create dynamic attributes; called once after ``init_device``, before the device is exported."""
        return self._done()

    @classmethod
    def run_server(cls, args: Sequence[str] | None = None, **kwargs: Any) -> Any:
        """Run this class as a device server (``<ClassName> <instance> [options]``)."""
        from .runtime import run
        if args is None:
            args = sys.argv[1:]
        return run((cls,), [cls.__name__, *args], **kwargs)


class Device(BaseDevice, metaclass=DeviceMeta):
    """Device class of the high-level API: every device class inherits from it."""


_ = (Iterable, DispLevel, Except)  # re-exported names used by type hints only
