"""tango_core: a pure-Python Tango Controls client with PyTango's public names and semantics.

``from tango_core import DeviceProxy`` works like ``from tango import DeviceProxy``.

Names are resolved lazily (PEP 562 module ``__getattr__``): ``import tango_core`` itself costs
next to nothing, the client modules (and numpy) load on first use of a name, and the ZeroMQ event
machinery only when an event is subscribed. The shell's start-up time depends on this.
"""

from __future__ import annotations

import importlib

__version__ = "0.4.0"

_ENUMS = "tango_core.idl.enums"
_ERRORS = "tango_core.idl.errors"
_TYPES = "tango_core.idl.types"
_INFO = "tango_core.client.info"
_DB = "tango_core.client.database"
_EVENTS = "tango_core.events.data"

#: public name -> (module, attribute in that module)
_EXPORTS: dict[str, tuple[str, str]] = {}


def _export(module: str, *names: str) -> None:
    for name in names:
        _EXPORTS[name] = (module, name)


_export("tango_core.client.device_proxy", "DeviceProxy", "get_device_proxy")
_export("tango_core.client.green", "get_green_mode", "set_green_mode")
_export("tango_core.client.attribute_proxy", "AttributeProxy", "get_attribute_proxy")
_export("tango_core.client.device_attribute", "DeviceAttribute")
_export("tango_core.client.device_data", "DeviceData")
_export("tango_core.client.connection", "Connection")
_export("tango_core.client.asynch", "CmdDoneEvent", "AttrReadEvent", "AttrWrittenEvent")
_export("tango_core.client.history", "DeviceAttributeHistory", "DeviceDataHistory")
_export("tango_core.client.group", "Group", "GroupReply", "GroupCmdReply", "GroupAttrReply", "GroupReplyList",
        "GroupCmdReplyList", "GroupAttrReplyList", "DeviceDataList")
_export(_DB, "Database")
_export("tango_core.client.db_types", "DbDatum", "DbDevInfo", "DbDevImportInfo", "DbDevExportInfo", "DbDevFullInfo",
        "DbServerInfo", "DbData", "DbDevInfos", "DbDevImportInfos", "DbDevExportInfos", "DbHistory", "DbHistoryList")
_export(_INFO, "DeviceInfo", "CommandInfo", "DevCommandInfo", "DeviceAttributeConfig", "AttributeInfo",
        "AttributeInfoEx", "AttributeAlarmInfo", "ChangeEventInfo", "PeriodicEventInfo", "ArchiveEventInfo", "AttributeEventInfo",
        "AttributeDimension", "LockerInfo")
_export(_ERRORS, "DevError", "DevFailed", "ConnectionFailed", "CommunicationFailed", "WrongNameSyntax",
        "NonDbDevice", "WrongData", "NonSupportedFeature", "AsynCall", "AsynReplyNotArrived",
        "EventSystemFailed", "DeviceUnlocked", "NotAllowed", "NamedDevFailed", "NamedDevFailedList",
        "MultiDevFailed", "Except")
_export(_ENUMS, "DevState", "AttrQuality", "AttrWriteType", "AttrDataFormat", "CmdArgType", "ArgType",
        "DispLevel", "ErrSeverity", "EventType", "EventSubMode", "EventReason", "ExtractAs", "GreenMode",
        "SerialModel", "AttrMemorizedType", "DevSource", "LockerLanguage", "PipeWriteType", "cb_sub_model",
        "asyn_req_type")
_export(_TYPES, "TimeVal", "DevEncoded", "AttributeAlarm", "AttributeConfig", "AttributeConfig_2",
        "AttributeConfig_3", "AttributeConfig_5", "ChangeEventProp", "PeriodicEventProp", "ArchiveEventProp",
        "EventProperties")
_export(_EVENTS, "EventData", "AttrConfEventData", "DataReadyEventData", "DevIntrChangeEventData")
_export(_INFO, "StdStringVector", "StdLongVector", "StdDoubleVector", "CommandInfoList", "AttributeInfoList", "AttributeInfoListEx")
_export("tango_core.client.history", "DeviceDataHistoryList")
_export("tango_core.client.constants", "LogLevel", "LogTarget", "PollObjType", "PollCmdCode", "AccessControlType",
        "AttReqType", "AttrSerialModel", "KeepAliveCmdCode", "LockCmdCode", "MessBoxType", "PyTangoUserWarning",
        "EnsureOmniThread", "is_omni_thread")
_export("tango_core.client.names", "split_tango_name", "TangoNameParts", "parse_device_name", "parse_attribute_name",
        "DeviceName", "AttributeName", "TangoHost", "parse_tango_host", "get_default_tango_host",
        "set_default_tango_host")
_export("tango_core.client.api_util", "ApiUtil")
_export("tango_core.release", "Release")
_export("tango_core.utils", "is_str_type", "is_int_type", "is_float_type", "is_bool_type", "is_numerical_type",
        "is_scalar_type", "is_array_type", "obj_2_str", "str_2_obj", "seqStr_2_obj", "requires_pytango",
        "requires_tango")
# the classic server API (PyTango exports it at top level too); loaded only when used
_export("tango_core.server.device", "DeviceClass", "DeviceImpl", "Device_2Impl", "Device_3Impl", "Device_4Impl",
        "Device_5Impl", "Device_6Impl", "LatestDeviceImpl", "ClientAddr")
_export("tango_core.server.attribute_declaration", "AttrData", "Attr", "SpectrumAttr", "ImageAttr",
        "UserDefaultAttrProp", "MultiClassAttribute")
_export("tango_core.client.encoded_attribute", "EncodedAttribute")
_export("tango_core.server.attributes", "Attribute", "WAttribute", "MultiAttribute", "MultiAttrProp")
_export("tango_core.server.runtime", "Util", "Interceptors")
_export("tango_core.server.sub_devices", "SubDevDiag")
_export("tango_core.server.polling", "TimedAttrData", "TimedCmdData")
_export("tango_core.server.device_logging", "LogIt", "DebugIt", "InfoIt", "WarnIt", "ErrorIt", "FatalIt",
        "TangoStream")
_MODULES = {"utils": "tango_core.utils", "constants": "tango_core.constants"}

# PyTango also exports the CmdArgType members (tango.DevDouble ...), the data formats
# (tango.SCALAR ...) and the write types (tango.READ ...) at top level.
_CMD_ARG_TYPE_MEMBERS = (
    "DevVoid", "DevBoolean", "DevShort", "DevLong", "DevFloat", "DevDouble", "DevUShort", "DevULong",
    "DevString", "DevVarCharArray", "DevVarShortArray", "DevVarLongArray", "DevVarFloatArray",
    "DevVarDoubleArray", "DevVarUShortArray", "DevVarULongArray", "DevVarStringArray",
    "DevVarLongStringArray", "DevVarDoubleStringArray", "ConstDevString", "DevVarBooleanArray", "DevUChar",
    "DevLong64", "DevULong64", "DevVarLong64Array", "DevVarULong64Array", "DevEnum",
)
_MEMBERS: dict[str, tuple[str, str]] = {n: ("CmdArgType", n) for n in _CMD_ARG_TYPE_MEMBERS}
_MEMBERS.update({n: ("AttrDataFormat", n) for n in ("SCALAR", "SPECTRUM", "IMAGE", "FMT_UNKNOWN")})
_MEMBERS.update({n: ("AttrWriteType", n) for n in ("READ", "READ_WITH_WRITE", "WRITE", "READ_WRITE")})

_ALIASES = {"Device": "DeviceProxy"}  # (tango.Attribute is the server's attribute class, as in PyTango)

__all__ = sorted([*_EXPORTS, *_MEMBERS, *_ALIASES, *_MODULES])


def __getattr__(name: str):
    target = _ALIASES.get(name, name)
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif target in _EXPORTS:
        module, attr = _EXPORTS[target]
        value = getattr(importlib.import_module(module), attr)
    elif name in _MEMBERS:
        enum_name, member = _MEMBERS[name]
        value = getattr(getattr(importlib.import_module(_ENUMS), enum_name), member)
    else:
        raise AttributeError(f"module 'tango_core' has no attribute {name!r}")
    globals()[name] = value  # later look-ups are plain module attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
