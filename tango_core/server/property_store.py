"""Where a server keeps device/class/attribute properties: the Tango database, or memory.

A server registered in a database reads its configuration from there and writes back what
changes at run time (attribute configuration set by clients, memorized values, polling
periods).  A server without a database (``-nodb``, the test contexts) keeps the same data in a
:class:`MemoryPropertyStore`, filled beforehand by the test context (``properties=...``,
``memorized=...``) and lost at exit.  Both offer the same methods; values are lists of strings.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping

from ..idl.errors import DevFailed

__all__ = ["PropertyStore", "MemoryPropertyStore", "DatabasePropertyStore"]

Props = dict[str, list[str]]


def _strings(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [_one(v) for v in value]
    if hasattr(value, "tolist") and getattr(value, "ndim", 0):
        return [_one(v) for v in value.tolist()]
    return [_one(value)]


def _one(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class PropertyStore:
    """Interface of the two stores (every method raises DevFailed on a database error)."""

    def get_device_properties(self, device: str, names: Iterable[str]) -> Props:
        raise NotImplementedError

    def put_device_properties(self, device: str, props: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def delete_device_properties(self, device: str, names: Iterable[str]) -> None:
        raise NotImplementedError

    def get_class_properties(self, klass: str, names: Iterable[str]) -> Props:
        raise NotImplementedError

    def get_attribute_properties(self, device: str, attrs: Iterable[str]) -> dict[str, Props]:
        raise NotImplementedError

    def put_attribute_properties(self, device: str, props: Mapping[str, Mapping[str, Any]]) -> None:
        raise NotImplementedError

    def delete_attribute_properties(self, device: str, props: Mapping[str, Iterable[str]]) -> None:
        raise NotImplementedError

    def delete_all_attribute_properties(self, device: str, attr: str) -> None:
        props = self.get_attribute_properties(device, [attr]).get(attr, {})
        if props:
            self.delete_attribute_properties(device, {attr: list(props)})

    def get_polling_config(self, device: str) -> tuple[dict[str, int], dict[str, int], dict[str, list[str]]]:
        """``polled_attr`` / ``polled_cmd`` device properties (``{name: period_ms}`` each) and the
        polling settings (ring depths, minimum periods ...: PollingSettings.NAMES), in one read."""
        from .polling import PollingSettings
        props = self.get_device_properties(device, ["polled_attr", "polled_cmd", *PollingSettings.NAMES])
        settings = {name: list(props[name]) for name in PollingSettings.NAMES if props.get(name)}
        return _pairs(props.get("polled_attr", [])), _pairs(props.get("polled_cmd", [])), settings


def _pairs(flat: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(flat) - 1, 2):
        try:
            out[flat[i]] = int(flat[i + 1])
        except ValueError:
            continue
    return out


class MemoryPropertyStore(PropertyStore):
    """Properties in memory (case-insensitive names, as the database's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._device: dict[str, dict[str, tuple[str, list[str]]]] = {}
        self._class: dict[str, dict[str, tuple[str, list[str]]]] = {}
        self._attr: dict[str, dict[str, dict[str, list[str]]]] = {}

    @staticmethod
    def _get(table: dict, owner: str, names: Iterable[str]) -> Props:
        props = table.get(owner.lower(), {})
        out = {}
        for n in names:
            hit = props.get(n.lower())
            if hit is not None:
                out[n] = list(hit[1])
        return out

    @staticmethod
    def _put(table: dict, owner: str, props: Mapping[str, Any]) -> None:
        target = table.setdefault(owner.lower(), {})
        for name, value in props.items():
            target[name.lower()] = (name, _strings(value))

    def get_device_properties(self, device: str, names: Iterable[str]) -> Props:
        with self._lock:
            return self._get(self._device, device, names)

    def put_device_properties(self, device: str, props: Mapping[str, Any]) -> None:
        with self._lock:
            self._put(self._device, device, props)

    def delete_device_properties(self, device: str, names: Iterable[str]) -> None:
        with self._lock:
            for n in names:
                self._device.get(device.lower(), {}).pop(n.lower(), None)

    def get_class_properties(self, klass: str, names: Iterable[str]) -> Props:
        with self._lock:
            return self._get(self._class, klass, names)

    def put_class_properties(self, klass: str, props: Mapping[str, Any]) -> None:
        with self._lock:
            self._put(self._class, klass, props)

    def get_attribute_properties(self, device: str, attrs: Iterable[str]) -> dict[str, Props]:
        with self._lock:
            table = self._attr.get(device.lower(), {})
            return {a: {p: list(v) for p, v in table.get(a.lower(), {}).items()} for a in attrs
                    if a.lower() in table}

    def put_attribute_properties(self, device: str, props: Mapping[str, Mapping[str, Any]]) -> None:
        with self._lock:
            table = self._attr.setdefault(device.lower(), {})
            for attr, values in props.items():
                target = table.setdefault(attr.lower(), {})
                for prop, value in values.items():
                    target[prop] = _strings(value)

    def delete_attribute_properties(self, device: str, props: Mapping[str, Iterable[str]]) -> None:
        with self._lock:
            table = self._attr.get(device.lower(), {})
            for attr, names in props.items():
                for n in names:
                    table.get(attr.lower(), {}).pop(n, None)


class DatabasePropertyStore(PropertyStore):
    """Properties in the Tango database, through tango_core's client ``Database``."""

    def __init__(self, database: Any) -> None:
        self.db = database

    def get_device_properties(self, device: str, names: Iterable[str]) -> Props:
        names = list(names)
        if not names:
            return {}
        got = self.db.get_device_property(device, names)
        return {k: list(v) for k, v in got.items() if v}

    def put_device_properties(self, device: str, props: Mapping[str, Any]) -> None:
        self.db.put_device_property(device, {k: _strings(v) for k, v in props.items()})

    def delete_device_properties(self, device: str, names: Iterable[str]) -> None:
        self.db.delete_device_property(device, list(names))

    def get_class_properties(self, klass: str, names: Iterable[str]) -> Props:
        names = list(names)
        if not names:
            return {}
        got = self.db.get_class_property(klass, names)
        return {k: list(v) for k, v in got.items() if v}

    def get_attribute_properties(self, device: str, attrs: Iterable[str]) -> dict[str, Props]:
        attrs = list(attrs)
        if not attrs:
            return {}
        got = self.db.get_device_attribute_property(device, attrs)
        return {a: {p: list(v) for p, v in props.items()} for a, props in got.items() if props}

    def put_attribute_properties(self, device: str, props: Mapping[str, Mapping[str, Any]]) -> None:
        self.db.put_device_attribute_property(
            device, {a: {p: _strings(v) for p, v in values.items()} for a, values in props.items()})

    def delete_attribute_properties(self, device: str, props: Mapping[str, Iterable[str]]) -> None:
        self.db.delete_device_attribute_property(device, {a: list(v) for a, v in props.items()})


_ = DevFailed
