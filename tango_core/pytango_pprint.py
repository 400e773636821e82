"""The structures and sequences that print as PyTango's do (``tango.pytango_pprint``'s lists).

A structure prints as ``Name(field = value, ...)`` (repr) and as ``Name[`` one field a line ``]``
(str), see :mod:`tango_core.idl.struct_format`; a sequence prints as a list. People who check
their printed output against PyTango's (as PyTango's own tests do) find the two lists here under
PyTango's private names.
"""

from __future__ import annotations

from tango_core.client.db_types import (
    DbData, DbDatum, DbDevExportInfo, DbDevExportInfos, DbDevImportInfo, DbDevImportInfos, DbDevInfo, DbDevInfos,
    DbHistoryList, DbServerInfo,
)
from tango_core.client.device_attribute import DeviceAttribute
from tango_core.client.device_data import DeviceData
from tango_core.client.group import GroupAttrReply, GroupAttrReplyList, GroupCmdReply, GroupCmdReplyList, \
    GroupReply, GroupReplyList
from tango_core.client.history import DeviceAttributeHistory, DeviceDataHistory, DeviceDataHistoryList
from tango_core.client.info import (
    ArchiveEventInfo, AttributeAlarmInfo, AttributeDimension, AttributeEventInfo, AttributeInfo, AttributeInfoEx,
    AttributeInfoList, AttributeInfoListEx, ChangeEventInfo, CommandInfo, CommandInfoList, DevCommandInfo,
    DeviceAttributeConfig, DeviceInfo, LockerInfo, PeriodicEventInfo, StdLongVector, StdStringVector,
)
from tango_core.events.data import AttrConfEventData, DataReadyEventData, EventData
from tango_core.idl.errors import DevError
from tango_core.idl.types import (
    ArchiveEventProp, AttributeAlarm, AttributeConfig, AttributeConfig_2, AttributeConfig_3, AttributeConfig_5,
    ChangeEventProp, EventProperties, PeriodicEventProp,
)

__all__: list[str] = []

_STRUCT_TYPES = (
    LockerInfo, DevCommandInfo, AttributeDimension, CommandInfo, DeviceInfo, DeviceAttributeConfig, AttributeInfo,
    AttributeAlarmInfo, ChangeEventInfo, PeriodicEventInfo, ArchiveEventInfo, AttributeEventInfo, AttributeInfoEx,
    DeviceAttribute, DeviceAttributeHistory, DeviceData, DeviceDataHistory, DbDatum, DbDevInfo, DbDevImportInfo,
    DbDevExportInfo, DbServerInfo, DevError, EventData, AttrConfEventData, DataReadyEventData, AttributeConfig,
    AttributeConfig_2, AttributeConfig_3, AttributeConfig_5, ChangeEventProp, PeriodicEventProp, ArchiveEventProp,
    AttributeAlarm, EventProperties, GroupReply, GroupCmdReply, GroupAttrReply,
)
_SEQUENCE_TYPES = (
    StdStringVector, StdLongVector, CommandInfoList, AttributeInfoList, AttributeInfoListEx, DeviceDataHistoryList,
    GroupReplyList, GroupAttrReplyList, GroupCmdReplyList, DbData, DbDevInfos, DbDevExportInfos, DbDevImportInfos,
    DbHistoryList,
)
