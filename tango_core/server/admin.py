"""The admin device ``dserver/<exec>/<instance>`` (Tango class ``DServer``).

Every server exposes it; clients reach it through a device's ``adm_name()`` to ask about the
server (QueryClass, QueryDevice), restart devices (DevRestart, RestartServer, Init), stop the
process (Kill), lock devices (LockDevice & co), configure logging and polling, and subscribe to
events.  Commands are kept in a registry (:meth:`DServer.register_command`) so that the event
system adds its own (ZmqEventSubscriptionChange, EventConfirmSubscription ...) without this module
knowing about ZeroMQ.  Names, argument types and descriptions are cppTango 10's; an unknown
command fails with ``API_CommandNotFound`` (clients key fall-backs on that reason).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from ..idl.enums import CmdArgType, DevState, GreenMode
from ..idl.errors import DevError, DevFailed, ErrSeverity
from .command_declaration import CommandDef
from .device import DeviceClass, DeviceImpl
from .servant import after_reply, current_call

if TYPE_CHECKING:
    from .runtime import ServerRuntime

__all__ = ["DServer", "DServerClass", "LockInfo", "DEFAULT_LOCK_VALIDITY", "MIN_LOCK_VALIDITY"]

T = CmdArgType
DEFAULT_LOCK_VALIDITY = 10
MIN_LOCK_VALIDITY = 2
U = "Uninitialised"


def _df(reason: str, desc: str, origin: str) -> DevFailed:
    return DevFailed(DevError(reason, desc, origin, ErrSeverity.ERR))


class LockInfo:
    """A device lock: who holds it (client identity), until when, and how many times."""

    def __init__(self, key: tuple, addr: Any, validity_s: int) -> None:
        self.key = key
        self.addr = addr
        self.validity_s = validity_s
        self.expires = time.monotonic() + validity_s
        self.counter = 1
        self.host = addr.client_ip

    def is_valid(self) -> bool:
        return time.monotonic() < self.expires

    def refresh(self) -> None:
        self.expires = time.monotonic() + self.validity_s


class DServerClass(DeviceClass):
    """The Tango class of admin devices."""

    def __init__(self, runtime: "ServerRuntime") -> None:
        super().__init__("DServer")
        self.runtime = runtime
        self.set_type(U)
        self.device_impl = DServer
        self._bindings = {}


class DServer(DeviceImpl):
    """The admin device of one server process."""

    def __init__(self, cl: DServerClass, name: str) -> None:
        super().__init__(cl, name, "A device server device !!", DevState.ON, STATUS)
        # the admin runs in the thread serving its request, also in asyncio and gevent servers
        # (in PyTango it is cppTango's own code, outside the green-mode executor): Kill works while
        # device greenlets are busy; the device code it calls goes through runtime.run_device_code
        self._dev_green_mode = GreenMode.Synchronous
        # the admin device reports the server's versions only, as cppTango's DServer (PyTango's
        # Python API entries are added by LatestDeviceImpl, which the DServer is not)
        self._dev_version_info.clear()
        self.runtime: ServerRuntime = cl.runtime
        self._dev_commands = {c.name_lower: c for c in _builtin_commands()}
        self._extra_lock = threading.Lock()

    # -- extension point ----------------------------------------------------------------------
    def register_command(self, name: str, in_type: CmdArgType, out_type: CmdArgType,
                         func: Callable[["DServer", Any], Any], in_desc: str = U, out_desc: str = U) -> None:
        """Add (or replace) an admin command: ``func(admin, argin) -> argout`` (argin None for DevVoid)."""
        cdef = CommandDef(name, in_type, out_type, in_desc, out_desc,
                          method=_method(func, in_type))
        with self._extra_lock:
            self._dev_commands[name.lower()] = cdef

    def dev_status(self) -> str:
        return STATUS

    def init_cmd(self) -> None:
        """The admin's Init re-initialises every device of the server."""
        for dev in self.runtime.devices():
            dev.init_cmd()

    # -- the devices this server runs ---------------------------------------------------------
    def _device(self, name: str) -> DeviceImpl:
        dev = self.runtime.find_device(name)
        if dev is None:
            raise _df("API_DeviceNotFound", f"Device {name} not found", "Util::get_device_by_name")
        return dev

    # -- commands --------------------------------------------------------------------------------
    def cmd_kill(self, _argin: Any = None) -> None:
        after_reply(self.runtime.request_shutdown)

    def cmd_restart_server(self, _argin: Any = None) -> None:
        after_reply(self.runtime.restart_all_devices)

    def cmd_dev_restart(self, name: str) -> None:
        dev = self._device(name)
        if dev is self:
            raise _df("API_CantDestroyDevice", "Impossible to restart the admin device (use RestartServer)",
                      "DServer::dev_restart")
        self.runtime.restart_device(dev)

    def cmd_query_class(self, _argin: Any = None) -> list[str]:
        return [c.get_name() for c in self.runtime.device_classes()]

    def cmd_query_device(self, _argin: Any = None) -> list[str]:
        return [f"{d.get_device_class().get_name()}::{d.get_name()}" for d in self.runtime.devices()]

    def cmd_query_sub_device(self, _argin: Any = None) -> list[str]:
        return self.runtime.sub_devices.get_sub_devices()

    def _wizard(self, class_name: str, kind: str) -> list[str]:
        for cl in self.runtime.device_classes():
            if cl.get_name().lower() == class_name.lower():
                defs = cl.class_property_defs if kind == "class" else cl.device_property_defs
                out: list[str] = []
                for name, prop in defs.items():
                    default = prop.default_value
                    out += [name, prop.doc or "", "" if default is None else _default_text(default)]
                for entry in cl.wizard_extras(kind):
                    out += list(entry)
                return out
        raise _df("API_ClassNotFound", f"Class {class_name} not found", "DServer::query_class_prop")

    def cmd_query_wizard_class_property(self, class_name: str) -> list[str]:
        return self._wizard(class_name, "class")

    def cmd_query_wizard_dev_property(self, class_name: str) -> list[str]:
        return self._wizard(class_name, "device")

    def cmd_query_event_system(self, _argin: Any = None) -> str:
        counters = self.runtime.events.query_event_system() if hasattr(self.runtime.events, "query_event_system") \
            else {"version": 1, "server": {"event_counters": {}, "perf": None}, "client": None}
        if isinstance(counters, str):
            return counters
        import json  # this command only: not at start-up
        return json.dumps(counters, separators=(",", ":"))

    def cmd_enable_event_system_perf_mon(self, _enable: bool) -> None:
        return None

    # -- locking ---------------------------------------------------------------------------------
    def _caller(self, what: str) -> Any:
        call = current_call()
        if call is None:
            raise _df("API_CantGetClientIdent", "Cannot retrieve client identification", f"DServer::{what}")
        return call

    def cmd_lock_device(self, argin: Any) -> None:
        lvalue, svalue = argin
        name = svalue[0]
        validity = int(lvalue[0]) if len(lvalue) else DEFAULT_LOCK_VALIDITY
        call = self._caller("lock_device")
        key = call.locker_key()
        if key is None:
            raise _df("API_ClientTooOld", "Your client cannot lock devices. You are using a too old Tango "
                      "release. Please, update to tango V7 or more", "DServer::lock_device")
        if name.lower() == self.get_name().lower():
            raise _df("API_DeviceUnlockable", "Impossible to lock device server administration device",
                      "DServer::lock_device")
        dev = self._device(name)
        if dev.get_device_class().get_name() == "DataBase":
            raise _df("API_DeviceUnlockable", "Impossible to lock database device", "DServer::lock_device")
        validity = max(validity, MIN_LOCK_VALIDITY)
        with dev._dev_monitor:
            locker = dev._dev_locker
            if locker is not None and locker.is_valid():
                if locker.key != key:
                    raise _df("API_DeviceLocked", f"Device {dev.get_name()} is already locked by another client",
                              "DeviceImpl::lock(client_addr*, int)")
                locker.counter += 1
                locker.validity_s = validity
                locker.refresh()
                return
            dev._dev_locker = LockInfo(key, call.client_addr(), validity)

    def cmd_un_lock_device(self, argin: Any) -> int:
        lvalue, svalue = argin
        force = bool(int(lvalue[0])) if len(lvalue) else False
        call = self._caller("un_lock_device")
        key = call.locker_key()
        if key is None and not force:
            raise _df("API_ClientTooOld", "Your client cannot un-lock devices. You are using a too old Tango "
                      "release. Please, update to tango V7 or more", "DServer::un_lock_device")
        ctr = 0
        for i, name in enumerate(svalue):
            dev = self._device(name)
            with dev._dev_monitor:
                locker = dev._dev_locker
                if locker is None or not locker.is_valid():
                    dev._dev_locker = None
                    ctr = 0
                elif force:
                    dev._dev_locker = None
                    ctr = 0
                elif locker.key != key:
                    raise _df("API_DeviceLocked", f"Device {dev.get_name()} is locked by another client, can't "
                              "unlock it", "DeviceImpl::unlock(bool)")
                else:
                    locker.counter -= 1
                    ctr = locker.counter
                    if locker.counter <= 0:
                        dev._dev_locker = None
                        ctr = 0
            if i > 0:
                ctr = 0
        return ctr

    def cmd_re_lock_devices(self, names: list[str]) -> None:
        call = self._caller("re_lock_devices")
        key = call.locker_key()
        if key is None:
            raise _df("API_ClientTooOld", "Your client cannot re_lock devices. You are using a too old Tango "
                      "release. Please, update to tango V7 or more", "DServer::re_lock_devices")
        errors: list[DevError] = []
        for name in names:
            try:
                dev = self._device(name)
                locker = dev._dev_locker
                if locker is None or not locker.is_valid():
                    raise _df("API_DeviceNotLocked", f"{dev.get_name()}: Device is not locked", "DeviceImpl::relock")
                if locker.key != key:
                    raise _df("API_DeviceLocked", f"{dev.get_name()}: Device is locked by another client",
                              "DeviceImpl::relock")
                locker.refresh()
            except DevFailed as exc:
                errors.append(exc.args[0])
        if errors:
            raise DevFailed(*errors)

    def cmd_dev_lock_status(self, name: str) -> tuple:
        dev = self._device(name)
        locker = dev._dev_locker
        if locker is None or not locker.is_valid():
            return ([0, 0, 0, 0, 0, 0], [f"Device {dev.get_name()} is not locked", "Not defined", "Not defined"])
        addr = locker.addr
        if addr.client_lang.name.startswith("CPP"):
            longs = [1, int(addr.client_pid), 0, 0, 0, 0]
            strings = [f"Device {dev.get_name()} is locked by CPP or Python client with PID "
                       f"{addr.client_pid} from host {addr.client_ip}", addr.client_ip, "Not defined"]
        else:
            u0, u1 = addr.java_ident
            longs = [1, 0, u0 & 0xFFFFFFFF, (u0 >> 32) & 0xFFFFFFFF, u1 & 0xFFFFFFFF, (u1 >> 32) & 0xFFFFFFFF]
            strings = [f"Device {dev.get_name()} is locked by Java client class {addr.java_main_class} from host "
                       f"{addr.client_ip}", addr.client_ip, addr.java_main_class]
        return ([int(x) - (1 << 32) if x >= (1 << 31) else int(x) for x in longs], strings)

    # -- logging ---------------------------------------------------------------------------------
    def _logging_targets(self, pattern: str) -> list[DeviceImpl]:
        import fnmatch
        devs = [d for d in self.runtime.all_devices() if fnmatch.fnmatch(d.get_name().lower(), pattern.lower())]
        if not devs:
            raise _df("API_DeviceNotFound", f"Device {pattern} not found", "DServer::get_logging_level")
        return devs

    def cmd_add_logging_target(self, argin: list[str]) -> None:
        if len(argin) % 2:
            raise _df("API_WrongNumberOfArgs", "Incorrect number of inout arguments", "DServer::add_logging_target")
        for i in range(0, len(argin), 2):
            for dev in self._logging_targets(argin[i]):
                dev.get_logger().add_target(argin[i + 1])

    def cmd_remove_logging_target(self, argin: list[str]) -> None:
        if len(argin) % 2:
            raise _df("API_WrongNumberOfArgs", "Incorrect number of inout arguments",
                      "DServer::remove_logging_target")
        for i in range(0, len(argin), 2):
            for dev in self._logging_targets(argin[i]):
                dev.get_logger().remove_target(argin[i + 1])

    def cmd_get_logging_target(self, name: str) -> list[str]:
        return list(self._device(name).get_logger().targets)

    def cmd_get_logging_level(self, names: list[str]) -> tuple:
        levels, out = [], []
        for pattern in names:
            for dev in self._logging_targets(pattern):
                levels.append(dev.get_logger().get_level())
                out.append(dev.get_name())
        return (levels, out)

    def cmd_set_logging_level(self, argin: Any) -> None:
        lvalue, svalue = argin
        if len(lvalue) != len(svalue):
            raise _df("API_IncoherentArgs", "Incoherent input arguments", "DServer::set_logging_level")
        for level, pattern in zip(lvalue, svalue):
            if not 0 <= int(level) <= 5:
                raise _df("API_MethodArgument", "Invalid logging level", "DServer::set_logging_level")
            for dev in self._logging_targets(pattern):
                dev.get_logger().set_level(int(level))

    def cmd_start_logging(self, _argin: Any = None) -> None:
        for dev in self.runtime.all_devices():
            dev.start_logging()

    def cmd_stop_logging(self, _argin: Any = None) -> None:
        for dev in self.runtime.all_devices():
            dev.stop_logging()

    # -- polling (configuration through the polling service) ----------------------------------
    def _poll_target(self, device: str, kind: str, obj: str) -> tuple[DeviceImpl, str, str]:
        dev = self._device(device)
        kind = kind.lower()
        if kind not in ("attribute", "command"):
            raise _df("API_NotSupported", f"Object type {kind} not supported", "DServer::add_obj_polling")
        if kind == "attribute":
            name = dev.get_device_attr().get_attr_by_name(obj).name
        else:
            name = dev.command_query(obj).name
        return dev, kind, name

    def cmd_add_obj_polling(self, argin: Any) -> None:
        lvalue, svalue = argin
        if len(svalue) < 3 or not len(lvalue):
            raise _df("API_WrongNumberOfArgs", "Incorrect number of inout arguments", "DServer::add_obj_polling")
        dev, kind, name = self._poll_target(*svalue[:3])
        polling = self.runtime.polling
        if polling.is_polled(dev, kind, name):     # externally triggered (period 0) included
            raise _df("API_AlreadyPolled", f"{kind.capitalize()} {name} already polled", "DServer::add_obj_polling")
        polling.check_min_period(dev, kind, name, int(lvalue[0]))
        polling.set_period(dev, kind, name, int(lvalue[0]))
        self.runtime.store_polling_config(dev)

    def cmd_upd_obj_polling_period(self, argin: Any) -> None:
        lvalue, svalue = argin
        if len(svalue) < 3 or not len(lvalue):
            raise _df("API_WrongNumberOfArgs", "Incorrect number of inout arguments",
                      "DServer::upd_obj_polling_period")
        dev, kind, name = self._poll_target(*svalue[:3])
        polling = self.runtime.polling
        polling.check_polled(dev, kind, name, "DServer::upd_obj_polling_period")
        polling.check_min_period(dev, kind, name, int(lvalue[0]))
        polling.set_period(dev, kind, name, int(lvalue[0]))
        self.runtime.store_polling_config(dev)

    def cmd_rem_obj_polling(self, svalue: list[str]) -> None:
        if len(svalue) < 3:
            raise _df("API_WrongNumberOfArgs", "Incorrect number of inout arguments", "DServer::rem_obj_polling")
        dev, kind, name = self._poll_target(*svalue[:3])
        polling = self.runtime.polling
        polling.check_polled(dev, kind, name, "DServer::rem_obj_polling")
        polling.remove(dev, kind, name)
        self.runtime.store_polling_config(dev)

    def cmd_start_polling(self, _argin: Any = None) -> None:
        getattr(self.runtime.polling, "start_polling", lambda: None)()

    def cmd_stop_polling(self, _argin: Any = None) -> None:
        getattr(self.runtime.polling, "stop_polling", lambda: None)()

    def cmd_polled_device(self, _argin: Any = None) -> list[str]:
        names = self.runtime.polling.polled_devices()
        out = []
        for dev in self.runtime.devices():
            if dev.get_name().lower() in names:
                out.append(dev.get_name())
        return out

    def cmd_dev_poll_status(self, name: str) -> list[str]:
        return self.runtime.polling.status(self._device(name))


STATUS = "The device is ON\nThe polling is ON"


def _host_of(ip: str) -> str:
    if ip.startswith("giop:tcp:"):
        ip = ip[len("giop:tcp:"):].rsplit(":", 1)[0]
    return ip


def _default_text(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "\n".join(str(x) for x in v)
    return str(v)


def _method(func: Callable, in_type: CmdArgType) -> Callable:
    if in_type == T.DevVoid:
        return lambda admin: func(admin, None)
    return func


def _cmd(name: str, in_type: CmdArgType, out_type: CmdArgType, method: str, in_desc: str = U,
         out_desc: str = U) -> CommandDef:
    def call(admin: DServer, *args: Any) -> Any:
        return getattr(admin, method)(*args)
    return CommandDef(name, in_type, out_type, in_desc, out_desc, method=call)


def _builtin_commands() -> list[CommandDef]:
    V, S, SA, LSA, L, B = T.DevVoid, T.DevString, T.DevVarStringArray, T.DevVarLongStringArray, T.DevLong, \
        T.DevBoolean
    obj = "Lg[0]=Upd period. Str[0]=Device name. Str[1]=Object type. Str[2]=Object name"
    return [
        CommandDef("Init", V, V, U, U),
        CommandDef("State", V, T.DevState, U, "Device state"),
        CommandDef("Status", V, S, U, "Device status"),
        _cmd("Kill", V, V, "cmd_kill"),
        _cmd("RestartServer", V, V, "cmd_restart_server"),
        _cmd("DevRestart", S, V, "cmd_dev_restart", "Device name"),
        _cmd("QueryClass", V, SA, "cmd_query_class", U, "Device server class(es) list"),
        _cmd("QueryDevice", V, SA, "cmd_query_device", U, "Device server device(s) list"),
        _cmd("QuerySubDevice", V, SA, "cmd_query_sub_device", U, "Device server sub device(s) list"),
        _cmd("QueryWizardClassProperty", S, SA, "cmd_query_wizard_class_property", "Class name",
             "Class property list (name - description and default value)"),
        _cmd("QueryWizardDevProperty", S, SA, "cmd_query_wizard_dev_property", "Class name",
             "Device property list (name - description and default value)"),
        _cmd("QueryEventSystem", V, S, "cmd_query_event_system", U,
             "JSON object with information about the event system"),
        _cmd("EnableEventSystemPerfMon", B, V, "cmd_enable_event_system_perf_mon",
             "Enable or disable the collection of performance samples for events"),
        _cmd("LockDevice", LSA, V, "cmd_lock_device", "Str[0] = Device name. Lg[0] = Lock validity"),
        _cmd("UnLockDevice", LSA, L, "cmd_un_lock_device", "Str[x] = Device name(s). Lg[0] = Force flag",
             "Device global lock counter"),
        _cmd("ReLockDevices", SA, V, "cmd_re_lock_devices", "Device(s) name"),
        _cmd("DevLockStatus", S, LSA, "cmd_dev_lock_status", "Device name", "Device locking status"),
        _cmd("AddLoggingTarget", SA, V, "cmd_add_logging_target",
             "Str[i]=Device-name. Str[i+1]=Target-type::Target-name"),
        _cmd("RemoveLoggingTarget", SA, V, "cmd_remove_logging_target",
             "Str[i]=Device-name. Str[i+1]=Target-type::Target-name"),
        _cmd("GetLoggingTarget", S, SA, "cmd_get_logging_target", "Device name", "Logging target list"),
        _cmd("GetLoggingLevel", SA, LSA, "cmd_get_logging_level", "Device list",
             "Lg[i]=Logging Level. Str[i]=Device name."),
        _cmd("SetLoggingLevel", LSA, V, "cmd_set_logging_level", "Lg[i]=Logging Level. Str[i]=Device name."),
        _cmd("StartLogging", V, V, "cmd_start_logging"),
        _cmd("StopLogging", V, V, "cmd_stop_logging"),
        _cmd("AddObjPolling", LSA, V, "cmd_add_obj_polling", obj),
        _cmd("UpdObjPollingPeriod", LSA, V, "cmd_upd_obj_polling_period", obj),
        _cmd("RemObjPolling", SA, V, "cmd_rem_obj_polling", "Str[0]=Device name. Str[1]=Object type. "
             "Str[2]=Object name"),
        _cmd("StartPolling", V, V, "cmd_start_polling"),
        _cmd("StopPolling", V, V, "cmd_stop_polling"),
        _cmd("PolledDevice", V, SA, "cmd_polled_device", U, "Polled device name list"),
        _cmd("DevPollStatus", S, SA, "cmd_dev_poll_status", "Device name", "Device polling status"),
    ]
