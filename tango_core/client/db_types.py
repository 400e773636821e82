"""Small records the Database API returns, with PyTango's names, fields and str/repr.

``DbDatum`` (a named list of strings), ``DbData`` (a list of DbDatum), ``DbDevInfo``
(what ``add_device`` takes), ``DbDevImportInfo`` (``import_device``), ``DbDevFullInfo``
(``get_device_info``), ``DbDevExportInfo``, ``DbServerInfo`` and ``DeviceInventoryEntry``
(one row of :meth:`Database.get_device_inventory`).  They print like PyTango's
(``DbDatum(name = '*', value_string = [...])`` and the multi-line ``str``) because
users see them at the shell prompt.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..idl.struct_format import PrintableStruct
from .info import StdDoubleVector, StdStringVector

__all__ = ["DbDatum", "DbData", "DbDevInfo", "DbDevImportInfo", "DbDevFullInfo", "DbDevExportInfo",
           "DbServerInfo", "DbHistory", "DbHistoryList", "DeviceInventoryEntry", "StdStringVector",
           "StdDoubleVector", "to_value_strings"]




def to_value_strings(value: Any) -> list[str]:
    """Property value(s) as the database stores them: a str is one value, other
    iterables give one string per element, anything else is ``str(value)``."""
    if value is None:
        return []
    if isinstance(value, DbDatum):
        return list(value.value_string)
    if isinstance(value, (str, bytes)):
        return [value.decode("latin-1") if isinstance(value, bytes) else value]
    try:
        import numpy as np
        if isinstance(value, np.ndarray):
            return [str(v) for v in value.ravel().tolist()]
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, Iterable) and not isinstance(value, dict):
        return [v if isinstance(v, str) else str(v) for v in value]
    return [str(value)]


class DbDatum(PrintableStruct):
    """A property: ``name`` and ``value_string`` (list of str); behaves like that list."""

    def __init__(self, name: str = "", value_string: Iterable[str] | None = None) -> None:
        self.name = name
        self.value_string = StdStringVector(value_string or [])

    def size(self) -> int:
        return len(self.value_string)

    def is_empty(self) -> bool:
        return not self.value_string

    def __len__(self) -> int:
        return len(self.value_string)

    def __iter__(self):
        return iter(self.value_string)

    def __getitem__(self, index):
        return self.value_string[index]

    def __setitem__(self, index, value) -> None:
        self.value_string[index] = value

    def __contains__(self, item) -> bool:
        return item in self.value_string

    def append(self, value: str) -> None:
        self.value_string.append(value)

    def extend(self, values: Iterable[str]) -> None:
        self.value_string.extend(values)


class DbData(list):
    """A list of :class:`DbDatum` (PyTango's ``DbData``)."""


class DbDevInfo(PrintableStruct):
    """What ``Database.add_device`` takes: ``name``, ``_class`` (alias ``klass``), ``server``."""

    def __init__(self, name: str = "", _class: str = "", server: str = "", klass: str | None = None) -> None:
        self.name = name
        self.klass = klass if klass is not None else _class
        self.server = server

    @property
    def _class(self) -> str:
        return self.klass

    @_class.setter
    def _class(self, value: str) -> None:
        self.klass = value


class DbDevImportInfo(PrintableStruct):
    """Result of ``Database.import_device``: ``name``, ``exported`` (0/1), ``ior``, ``version``."""

    def __init__(self, name: str = "", exported: int = 0, ior: str = "", version: str = "") -> None:
        self.name = name
        self.exported = exported
        self.ior = ior
        self.version = version


class DbDevFullInfo(DbDevImportInfo):
    """Result of ``Database.get_device_info``."""

    def __init__(self, name: str = "", exported: int = 0, ior: str = "", version: str = "",
                 class_name: str = "", ds_full_name: str = "", host: str = "", pid: int = 0,
                 started_date: str = "", stopped_date: str = "") -> None:
        super().__init__(name, exported, ior, version)
        self.class_name = class_name
        self.ds_full_name = ds_full_name
        self.host = host
        self.pid = pid
        self.started_date = started_date
        self.stopped_date = stopped_date


class DbDevExportInfo(PrintableStruct):
    """What ``Database.export_device`` takes."""

    def __init__(self, name: str = "", ior: str = "", host: str = "", version: str = "", pid: int = 0) -> None:
        self.name = name
        self.ior = ior
        self.host = host
        self.version = version
        self.pid = pid


class DbDevInfos(list):
    """A list of :class:`DbDevInfo` (PyTango's ``DbDevInfos``), what ``Database.add_server`` takes."""


class DbDevImportInfos(list):
    """A list of :class:`DbDevImportInfo` (PyTango's ``DbDevImportInfos``)."""


class DbDevExportInfos(list):
    """A list of :class:`DbDevExportInfo` (PyTango's ``DbDevExportInfos``), what ``export_server`` takes."""


class DbServerInfo(PrintableStruct):
    """Result of ``Database.get_server_info``: starter settings of a server."""

    def __init__(self, name: str = "", host: str = "", mode: int = 0, level: int = 0) -> None:
        self.name = name
        self.host = host
        self.mode = mode
        self.level = level


class DbHistory:
    """One change of a property (``Database.get_*_property_history``), PyTango's accessors."""

    def __init__(self, name: str, date: str, values: Iterable[str], attribute_name: str = "") -> None:
        self._name, self._date, self._attr = name, _cpp_date(date), attribute_name
        self._value = DbDatum(name, values)

    def get_name(self) -> str:
        return self._name

    def get_attribute_name(self) -> str:
        return self._attr

    def get_date(self) -> str:
        """``DD/MM/YYYY hh:mm:ss`` as cppTango formats the database's date."""
        return self._date

    def get_value(self) -> DbDatum:
        return self._value

    def is_deleted(self) -> bool:
        return len(self._value) == 0

    def __repr__(self) -> str:
        attr = f"{self._attr}/" if self._attr else ""
        return f"DbHistory({attr}{self._name} at {self._date}: {list(self._value.value_string)!r})"


class DbHistoryList(list):
    """A list of :class:`DbHistory`, oldest first."""


def _cpp_date(date: str) -> str:
    """The database's date as cppTango shows it (``DbHistory::format_mysql_date``): both MySQL forms,
    ``2026-11-24 08:57:10`` and ``20261124085710``, become ``24/11/2026 08:57:10``."""
    if "-" in date:
        day = date.partition(" ")[0].split("-")
        if len(day) == 3 and len(day[0]) == 4:
            return f"{day[2]}/{day[1]}/{day[0]} {date.partition(' ')[2]}"
        return date
    return f"{date[6:8]}/{date[4:6]}/{date[0:4]} {date[8:10]}:{date[10:12]}:{date[12:14]}"


class DeviceInventoryEntry(PrintableStruct):
    """One device of :meth:`Database.get_device_inventory` (the shell's completion cache)."""

    def __init__(self, name: str, alias: str = "", server: str = "", class_name: str = "",
                 exported: bool = False) -> None:
        self.name = name
        self.alias = alias
        self.server = server
        self.class_name = class_name
        self.exported = exported

    def as_tuple(self) -> tuple[str, str, str, str, bool]:
        return (self.name, self.alias, self.server, self.class_name, self.exported)
