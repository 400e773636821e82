"""Client-side info structs (DeviceInfo, CommandInfo, AttributeInfo(Ex) ...) with PyTango's str/repr.

These are what users see when they type ``dev.info()`` or ``dev.attribute_query("x")`` in
the shell, so their printed form follows PyTango 10.3.1 exactly
(:class:`tango_core.idl.struct_format.PrintableStruct`).

The IDL structs (``AttributeConfig_5`` ...) are converted here into these user-facing forms
and back (for ``set_attribute_config``).
"""

from __future__ import annotations

from tango_core.idl.enums import (
    AttrDataFormat,
    AttrMemorizedType,
    AttrWriteType,
    CmdArgType,
    DispLevel,
)
from tango_core.idl.struct_format import PrintableStruct

__all__ = [
    "PrintableStruct", "DeviceInfo", "CommandInfo", "DevCommandInfo", "DeviceAttributeConfig", "AttributeInfo",
    "AttributeInfoEx",
    "AttributeAlarmInfo", "ChangeEventInfo", "PeriodicEventInfo", "ArchiveEventInfo",
    "AttributeEventInfo", "AttributeDimension", "command_info_from_idl", "device_info_from_idl",
    "attribute_info_ex_from_idl", "attribute_info_from_ex", "attribute_config_5_from_info",
    "StdStringVector", "StdLongVector", "StdDoubleVector", "CommandInfoList", "AttributeInfoList", "AttributeInfoListEx", "LockerInfo",
]

NOT_SPECIFIED = "Not specified"


class AttributeDimension(PrintableStruct):
    def __init__(self, dim_x: int = 0, dim_y: int = 0) -> None:
        self.dim_x = dim_x
        self.dim_y = dim_y


class DeviceInfo(PrintableStruct):
    """What ``DeviceProxy.info()`` returns."""

    def __init__(self) -> None:
        self.dev_class = ""
        self.dev_type = ""
        self.doc_url = ""
        self.server_host = ""
        self.server_id = ""
        self.server_version = 0
        self.version_info: dict[str, str] = {}


class DevCommandInfo(PrintableStruct):
    """A command's name, tag and argument types (PyTango's base of :class:`CommandInfo`)."""

    def __init__(self) -> None:
        self.cmd_name = ""
        self.cmd_tag = 0
        self.in_type = CmdArgType.DevVoid
        self.in_type_desc = ""
        self.out_type = CmdArgType.DevVoid
        self.out_type_desc = ""


class CommandInfo(DevCommandInfo):
    """What ``command_query`` returns (``DevCmdInfo_2`` for the user): with the display level."""

    def __init__(self) -> None:
        super().__init__()
        self.disp_level = DispLevel.OPERATOR


class AttributeAlarmInfo(PrintableStruct):
    def __init__(self) -> None:
        self.delta_t = ""
        self.delta_val = ""
        self.extensions: list[str] = []
        self.max_alarm = ""
        self.max_warning = ""
        self.min_alarm = ""
        self.min_warning = ""


class ChangeEventInfo(PrintableStruct):
    def __init__(self) -> None:
        self.abs_change = ""
        self.extensions: list[str] = []
        self.rel_change = ""


class PeriodicEventInfo(PrintableStruct):
    def __init__(self) -> None:
        self.extensions: list[str] = []
        self.period = ""


class ArchiveEventInfo(PrintableStruct):
    def __init__(self) -> None:
        self.archive_abs_change = ""
        self.archive_period = ""
        self.archive_rel_change = ""
        self.extensions: list[str] = []


class AttributeEventInfo(PrintableStruct):
    def __init__(self) -> None:
        self.arch_event = ArchiveEventInfo()
        self.ch_event = ChangeEventInfo()
        self.per_event = PeriodicEventInfo()


class DeviceAttributeConfig(PrintableStruct):
    """The IDL-1 view of an attribute's configuration (PyTango's base of AttributeInfo)."""

    def __init__(self) -> None:
        self.data_format = AttrDataFormat.SCALAR
        self.data_type = CmdArgType.DevVoid
        self.description = ""
        self.display_unit = ""
        self.extensions: list[str] = []
        self.format = ""
        self.label = ""
        self.max_alarm = ""
        self.max_dim_x = 0
        self.max_dim_y = 0
        self.max_value = ""
        self.min_alarm = ""
        self.min_value = ""
        self.name = ""
        self.standard_unit = ""
        self.unit = ""
        self.writable = AttrWriteType.READ
        self.writable_attr_name = ""


class AttributeInfo(DeviceAttributeConfig):
    """The IDL-2 view of an attribute's configuration (``attribute_list_query``)."""

    def __init__(self) -> None:
        super().__init__()
        self.disp_level = DispLevel.OPERATOR


class AttributeInfoEx(AttributeInfo):
    """The full (IDL-5) configuration: alarms, event properties, enum labels, memorization."""

    def __init__(self) -> None:
        super().__init__()
        self.alarms = AttributeAlarmInfo()
        self.enum_labels: list[str] = []
        self.events = AttributeEventInfo()
        self.memorized = AttrMemorizedType.NOT_KNOWN
        self.root_attr_name = ""
        self.sys_extensions: list[str] = []


# --- conversions from/to the IDL structs -------------------------------------------------------

def _enum(enum_cls, value):
    try:
        return enum_cls(value)
    except ValueError:
        return value


def device_info_from_idl(info) -> DeviceInfo:
    """DevInfo / DevInfo_3 / DevInfo_6 -> DeviceInfo (missing fields keep PyTango's defaults)."""
    out = DeviceInfo()
    out.dev_class = info.dev_class
    out.server_id = info.server_id
    out.server_host = info.server_host
    out.server_version = info.server_version
    out.doc_url = info.doc_url
    out.dev_type = getattr(info, "dev_type", "")
    out.version_info = {v.key: v.value for v in getattr(info, "version_info", ())}
    return out


def command_info_from_idl(ci) -> CommandInfo:
    """DevCmdInfo / DevCmdInfo_2 -> CommandInfo."""
    out = CommandInfo()
    out.cmd_name = ci.cmd_name
    out.cmd_tag = ci.cmd_tag
    out.disp_level = _enum(DispLevel, getattr(ci, "level", DispLevel.OPERATOR))
    out.in_type = _enum(CmdArgType, ci.in_type)
    out.in_type_desc = ci.in_type_desc
    out.out_type = _enum(CmdArgType, ci.out_type)
    out.out_type_desc = ci.out_type_desc
    return out


def _memorized(memorized: bool, mem_init: bool) -> AttrMemorizedType:
    if not memorized:
        return AttrMemorizedType.NONE
    return AttrMemorizedType.MEMORIZED_WRITE_INIT if mem_init else AttrMemorizedType.MEMORIZED


def attribute_info_ex_from_idl(cfg) -> AttributeInfoEx:
    """AttributeConfig_5 (or _3) -> AttributeInfoEx."""
    out = AttributeInfoEx()
    out.name = cfg.name
    out.writable = _enum(AttrWriteType, cfg.writable)
    out.data_format = _enum(AttrDataFormat, cfg.data_format)
    out.data_type = _enum(CmdArgType, cfg.data_type)
    out.max_dim_x = cfg.max_dim_x
    out.max_dim_y = cfg.max_dim_y
    out.description = cfg.description
    out.label = cfg.label
    out.unit = cfg.unit
    out.standard_unit = cfg.standard_unit
    out.display_unit = cfg.display_unit
    out.format = cfg.format
    out.min_value = cfg.min_value
    out.max_value = cfg.max_value
    out.writable_attr_name = cfg.writable_attr_name
    out.disp_level = _enum(DispLevel, cfg.level)
    out.extensions = list(cfg.extensions)
    out.sys_extensions = list(cfg.sys_extensions)
    if hasattr(cfg, "memorized"):
        out.memorized = _memorized(cfg.memorized, cfg.mem_init)
        out.root_attr_name = cfg.root_attr_name
        out.enum_labels = list(cfg.enum_labels)
    al = cfg.att_alarm
    alarms = out.alarms
    alarms.min_alarm, alarms.max_alarm = al.min_alarm, al.max_alarm
    alarms.min_warning, alarms.max_warning = al.min_warning, al.max_warning
    alarms.delta_t, alarms.delta_val = al.delta_t, al.delta_val
    alarms.extensions = list(al.extensions)
    out.min_alarm, out.max_alarm = al.min_alarm, al.max_alarm
    ev = cfg.event_prop
    ch, per, arch = out.events.ch_event, out.events.per_event, out.events.arch_event
    ch.rel_change, ch.abs_change, ch.extensions = ev.ch_event.rel_change, ev.ch_event.abs_change, list(
        ev.ch_event.extensions)
    per.period, per.extensions = ev.per_event.period, list(ev.per_event.extensions)
    arch.archive_rel_change = ev.arch_event.rel_change
    arch.archive_abs_change = ev.arch_event.abs_change
    arch.archive_period = ev.arch_event.period
    arch.extensions = list(ev.arch_event.extensions)
    return out


_INFO_FIELDS = ("data_format", "data_type", "description", "disp_level", "display_unit", "extensions",
                "format", "label", "max_alarm", "max_dim_x", "max_dim_y", "max_value", "min_alarm",
                "min_value", "name", "standard_unit", "unit", "writable", "writable_attr_name")


def attribute_info_from_ex(ex: AttributeInfoEx) -> AttributeInfo:
    """The AttributeInfo (IDL-2 subset) view of an AttributeInfoEx."""
    out = AttributeInfo()
    for f in _INFO_FIELDS:
        setattr(out, f, getattr(ex, f))
    out.extensions = list(ex.extensions)
    return out


def _s(v) -> str:
    return v if isinstance(v, str) else str(v)


def attribute_config_5_from_info(info: AttributeInfo):
    """AttributeInfo(Ex) -> idl AttributeConfig_5, for ``set_attribute_config``.

    A plain AttributeInfo carries only the IDL-2 fields; the others are sent as "Not specified"
    which cppTango treats as "leave unchanged" for the alarm/event parts it does not get.
    """
    from tango_core.idl import types as T

    ex = info if isinstance(info, AttributeInfoEx) else None
    alarms = ex.alarms if ex else None
    events = ex.events if ex else None
    mem = ex.memorized if ex else AttrMemorizedType.NONE
    att_alarm = T.AttributeAlarm(
        min_alarm=_s(alarms.min_alarm if alarms else info.min_alarm),
        max_alarm=_s(alarms.max_alarm if alarms else info.max_alarm),
        min_warning=_s(alarms.min_warning) if alarms else NOT_SPECIFIED,
        max_warning=_s(alarms.max_warning) if alarms else NOT_SPECIFIED,
        delta_t=_s(alarms.delta_t) if alarms else NOT_SPECIFIED,
        delta_val=_s(alarms.delta_val) if alarms else NOT_SPECIFIED,
        extensions=[_s(x) for x in (alarms.extensions if alarms else ())],
    )
    if events:
        ch, per, arch = events.ch_event, events.per_event, events.arch_event
        event_prop = T.EventProperties(
            ch_event=T.ChangeEventProp(rel_change=_s(ch.rel_change), abs_change=_s(ch.abs_change),
                                       extensions=[_s(x) for x in ch.extensions]),
            per_event=T.PeriodicEventProp(period=_s(per.period), extensions=[_s(x) for x in per.extensions]),
            arch_event=T.ArchiveEventProp(rel_change=_s(arch.archive_rel_change),
                                          abs_change=_s(arch.archive_abs_change),
                                          period=_s(arch.archive_period),
                                          extensions=[_s(x) for x in arch.extensions]),
        )
    else:
        event_prop = T.EventProperties(
            ch_event=T.ChangeEventProp(rel_change=NOT_SPECIFIED, abs_change=NOT_SPECIFIED, extensions=[]),
            per_event=T.PeriodicEventProp(period=NOT_SPECIFIED, extensions=[]),
            arch_event=T.ArchiveEventProp(rel_change=NOT_SPECIFIED, abs_change=NOT_SPECIFIED,
                                          period=NOT_SPECIFIED, extensions=[]),
        )
    return T.AttributeConfig_5(
        name=info.name,
        writable=int(info.writable),
        data_format=int(info.data_format),
        data_type=int(info.data_type),
        memorized=mem in (AttrMemorizedType.MEMORIZED, AttrMemorizedType.MEMORIZED_WRITE_INIT),
        mem_init=mem == AttrMemorizedType.MEMORIZED_WRITE_INIT,
        max_dim_x=int(info.max_dim_x),
        max_dim_y=int(info.max_dim_y),
        description=_s(info.description),
        label=_s(info.label),
        unit=_s(info.unit),
        standard_unit=_s(info.standard_unit),
        display_unit=_s(info.display_unit),
        format=_s(info.format),
        min_value=_s(info.min_value),
        max_value=_s(info.max_value),
        writable_attr_name=_s(info.writable_attr_name),
        level=int(info.disp_level),
        root_attr_name=_s(ex.root_attr_name) if ex else NOT_SPECIFIED,
        enum_labels=[_s(x) for x in (ex.enum_labels if ex else ())],
        att_alarm=att_alarm,
        event_prop=event_prop,
        extensions=[_s(x) for x in info.extensions],
        sys_extensions=[_s(x) for x in (ex.sys_extensions if ex else ())],
    )


# Constructor aliases for other layers (the events consumer builds these from decoded payloads).
AttributeInfoEx.from_config_5 = staticmethod(attribute_info_ex_from_idl)
CommandInfo.from_dev_cmd_info = staticmethod(command_info_from_idl)
DeviceInfo.from_dev_info = staticmethod(device_info_from_idl)


class LockerInfo(PrintableStruct):
    """Who holds a device lock (filled by ``DeviceProxy.get_locker``)."""

    def __init__(self) -> None:
        from tango_core.idl.enums import LockerLanguage

        self.li = 0
        self.ll = LockerLanguage.CPP
        self.locker_class = ""
        self.locker_host = ""


# PyTango's sequence result types (list-like; plain lists here, so every list operation works).
class StdStringVector(list):
    """Names returned by get_attribute_list(), get_command_list(), black_box()."""


class StdLongVector(list):
    """PyTango's list-of-int sequence type."""


class StdDoubleVector(list):
    """PyTango's list-of-float sequence type."""


class CommandInfoList(list):
    """CommandInfo items returned by command_list_query() / get_command_config()."""


class AttributeInfoList(list):
    """AttributeInfo items returned by attribute_list_query() / get_attribute_config([names])."""


class AttributeInfoListEx(list):
    """AttributeInfoEx items returned by attribute_list_query_ex() / get_attribute_config_ex()."""
