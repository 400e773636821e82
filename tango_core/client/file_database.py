"""A Tango "file database": ``Database("/path/to/file")``, properties kept in a text file.

cppTango (and so PyTango) can run a device server without a database server, reading its
devices and properties from a file (``MyServer inst -file=/path``); ``Database(path)`` then
reads and edits that file directly, without any network.  PyTango's test contexts use one
(``DeviceTestContext(...).db``).  The file holds one entry per line, a ``\\`` at the end of a
line continuing it, ``#`` starting a comment::

    MyServer/inst/DEVICE/MyClass: "my/dev/1",\\
                                  "my/dev/2"
    CLASS/MyClass->a_class_property: 1,\\
                                      2
    CLASS/MyClass/attr->a_class_attribute_property: text
    my/dev/1->a_device_property: "two words"
    my/dev/1/attr->a_device_attribute_property: 3

Values are separated by commas, even between double quotes (so a value cannot hold a comma, as
with cppTango's device servers, which read these files); one with a space or a double quote, or
an empty one, is written between double quotes.  An entry needs at least one value: a property
put as an empty list is written ``name: `` and, as with cppTango, the file no longer loads.  Names are looked up without regard to case, as in a database
server.  Every change is written back to the file at once.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterable

from ..idl.enums import ErrSeverity
from ..idl.errors import DevError, DevFailed
from .database import _attr_prop_names, _names_of, _props_of, _wildcard_match
from .db_types import DbDatum

__all__ = ["FileDatabase", "is_file_database_name"]

Props = dict[str, list[str]]


def is_file_database_name(text: str) -> bool:
    """A ``Database()`` argument that names a file (an existing file, or a path that is no
    ``host:port``) rather than a database server."""
    if os.path.isfile(text):
        return True
    return "://" not in text and ":" not in text.split("/", 1)[0] and ("/" in text or os.sep in text)


def _failed(desc: str) -> DevFailed:
    return DevFailed(DevError("API_DatabaseFileError", desc, "FileDatabase::FileDatabase()", ErrSeverity.ERR))


def _split_values(text: str, where: str) -> list[str]:
    values, i, n = [], 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _failed(f"{where}: a value's closing double quote is missing")
            # (a comma separates values even between quotes, as cppTango's device servers read them)
            values.extend(text[i + 1:end].split(","))
            i = end + 1
            while i < n and text[i] in " \t":
                i += 1
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            values.append(text[i:end].strip())
            i = end
        if i >= n:
            return values
        if text[i] != ",":
            raise _failed(f"{where}: unexpected text after a quoted value")
        i += 1


_NEEDS_QUOTES = re.compile(r'[\s,"]')


def _quoted(value: str) -> str:
    return f'"{value}"' if not value or _NEEDS_QUOTES.search(value) else value


def _get(table: dict[str, Any], name: str) -> Any:
    """``table``'s entry for ``name`` whatever its case (None if missing)."""
    hit = table.get(name)
    if hit is not None:
        return hit
    low = name.lower()
    for key, value in table.items():
        if key.lower() == low:
            return value
    return None


def _key(table: dict[str, Any], name: str) -> str:
    """The spelling ``table`` already uses for ``name`` (or ``name`` itself)."""
    low = name.lower()
    return next((k for k in table if k.lower() == low), name)


class FileDatabase:
    """The properties and devices of a Tango database file, with ``Database``'s methods."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self.servers: dict[str, dict[str, list[str]]] = {}           # "Exec/inst" -> class -> devices
        self.device_props: dict[str, Props] = {}
        self.device_attr_props: dict[str, dict[str, Props]] = {}
        self.class_props: dict[str, Props] = {}
        self.class_attr_props: dict[str, dict[str, Props]] = {}
        self.free_props: dict[str, Props] = {}
        self._load()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    def get_file_name(self) -> str:
        return str(self.path)

    def get_info(self) -> str:
        return f"TANGO Database file {self.path}"

    def reread_filedatabase(self) -> None:
        """Read the file again (changes another process wrote into it)."""
        with self._lock:
            self.servers, self.device_props, self.device_attr_props = {}, {}, {}
            self.class_props, self.class_attr_props, self.free_props = {}, {}, {}
            self._load()

    def write_filedatabase(self) -> None:
        """Write the file now (every change is written as it is made: this writes it again)."""
        with self._lock:
            self._save()

    def is_control_access_checked(self) -> bool:
        return False

    # -- reading and writing the file -------------------------------------------------------------

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="latin-1")
        except FileNotFoundError:
            raise _failed(f"Database file {self.path} not found") from None
        except OSError as exc:
            raise _failed(f"Database file {self.path} cannot be read: {exc.strerror}") from None
        entry, first = "", 0
        for number, line in enumerate(text.splitlines(), 1):
            if not entry:
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                first = number
            if line.rstrip().endswith("\\"):
                entry += line.rstrip()[:-1]
                continue
            entry += line
            self._add(entry, f"{self.path}, line {first}", first)
            entry = ""
        if entry:
            self._add(entry, f"{self.path}, line {first}", first)

    def _add(self, entry: str, where: str, line: int) -> None:
        key, colon, rest = entry.partition(":")
        key = key.strip()
        if not colon or not key:
            raise _failed(f"{where}: expected 'name: value(s)'")
        if not rest.strip():  # cppTango's lexer wants a value after the colon (an empty list cannot be stored)
            raise DevFailed(DevError("API_DatabaseFileError", f"File database: Error in file at line {line} in file "
                                     f"{self.path}.", "FileDatabase::CHECK_LEX", ErrSeverity.ERR))
        values = _split_values(rest, where)
        obj, arrow, prop = key.partition("->")
        parts = obj.split("/")
        if not arrow:
            if len(parts) == 4 and parts[2].upper() == "DEVICE":
                devices = [v for v in values if v]
                self.servers.setdefault(f"{parts[0]}/{parts[1]}", {})[parts[3]] = devices
                return
            raise _failed(f"{where}: {key!r} is neither 'Server/instance/DEVICE/Class' nor 'object->property'")
        if parts[0].upper() == "CLASS" and len(parts) in (2, 3):
            if len(parts) == 2:
                self.class_props.setdefault(parts[1], {})[prop] = values
            else:
                self.class_attr_props.setdefault(parts[1], {}).setdefault(parts[2], {})[prop] = values
        elif parts[0].upper() == "FREE" and len(parts) == 2:
            self.free_props.setdefault(parts[1], {})[prop] = values
        elif len(parts) == 3:
            self.device_props.setdefault(obj, {})[prop] = values
        elif len(parts) == 4:
            self.device_attr_props.setdefault("/".join(parts[:3]), {}).setdefault(parts[3], {})[prop] = values
        else:
            raise _failed(f"{where}: {obj!r} is not a device, a device attribute or a class")

    def _save(self) -> None:
        lines: list[str] = []

        def entry(key: str, values: list[str]) -> None:
            pad = " " * (len(key) + 2)
            lines.append(f"{key}: " + (",\\\n" + pad).join(_quoted(v) for v in values) if values else f"{key}: ")

        for server, classes in self.servers.items():
            for klass, devices in classes.items():
                entry(f"{server}/DEVICE/{klass}", devices)
        for klass, props in self.class_props.items():
            lines += ["", f"# CLASS {klass}"]
            for name, values in props.items():
                entry(f"CLASS/{klass}->{name}", values)
        for klass, attrs in self.class_attr_props.items():
            lines += ["", f"# CLASS {klass} attribute properties"]
            for attr, props in attrs.items():
                for name, values in props.items():
                    entry(f"CLASS/{klass}/{attr}->{name}", values)
        for device, props in self.device_props.items():
            lines += ["", f"# DEVICE {device} properties"]
            for name, values in props.items():
                entry(f"{device}->{name}", values)
        for device, attrs in self.device_attr_props.items():
            lines += ["", f"# DEVICE {device} attribute properties"]
            for attr, props in attrs.items():
                for name, values in props.items():
                    entry(f"{device}/{attr}->{name}", values)
        for obj, props in self.free_props.items():
            lines += ["", f"# FREE OBJECT {obj}"]
            for name, values in props.items():
                entry(f"FREE/{obj}->{name}", values)
        # written whole, then renamed: a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=str(self.path.parent), prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w", encoding="latin-1") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(tmp, self.path)

    # -- properties ---------------------------------------------------------------------------------

    @staticmethod
    def _get_props(table: dict[str, Props], owner: str, value) -> Props:
        props = _get(table, owner) or {}
        out: Props = {}
        for name in _names_of(value):
            if "*" in name:
                out.update({k: list(v) for k, v in props.items() if _wildcard_match(name.lower(), k.lower())})
            else:
                found = _get(props, name)
                out[name] = list(found) if found is not None else []
        return out

    def _put_props(self, table: dict[str, Props], owner: str, value) -> None:
        with self._lock:
            props = table.setdefault(_key(table, owner), {})
            for name, values in _props_of(value).items():
                props.pop(_key(props, name), None)
                props[name] = [str(v) for v in values]
            self._save()

    def _delete_props(self, table: dict[str, Props], owner: str, value) -> None:
        with self._lock:
            props = _get(table, owner)
            if props is not None:
                for name in _names_of(value):
                    props.pop(_key(props, name), None)
            self._save()

    @staticmethod
    def _get_attr_props(table: dict[str, dict[str, Props]], owner: str, value) -> dict[str, Props]:
        attrs = _get(table, owner) or {}
        return {attr: {k: list(v) for k, v in (_get(attrs, attr) or {}).items()} for attr in _names_of(value)}

    def _put_attr_props(self, table: dict[str, dict[str, Props]], owner: str, value) -> None:
        if not isinstance(value, dict):
            raise TypeError("value must be a dict {attr_name: {prop_name: value}}")
        with self._lock:
            attrs = table.setdefault(_key(table, owner), {})
            for attr, props in value.items():
                held = attrs.setdefault(_key(attrs, attr), {})
                for name, values in _props_of(props).items():
                    held.pop(_key(held, name), None)
                    held[name] = [str(v) for v in values]
            self._save()

    def _delete_attr_props(self, table: dict[str, dict[str, Props]], owner: str, value) -> None:
        with self._lock:
            attrs = _get(table, owner) or {}
            for attr, names in _attr_prop_names(value):
                held = _get(attrs, attr)
                if held is not None:
                    for name in names:
                        held.pop(_key(held, name), None)
            self._save()

    def get_device_property(self, dev_name: str, value) -> Props:
        return self._get_props(self.device_props, dev_name, value)

    def put_device_property(self, dev_name: str, value) -> None:
        self._put_props(self.device_props, dev_name, value)

    def delete_device_property(self, dev_name: str, value) -> None:
        self._delete_props(self.device_props, dev_name, value)

    def get_device_property_list(self, dev_name: str, wildcard: str = "*", array=None):
        names = [n for n in (_get(self.device_props, dev_name) or {})
                 if _wildcard_match(wildcard.lower(), n.lower())]
        if array is not None:
            array.extend(names)
            return array
        return DbDatum(dev_name, names)

    def get_device_attribute_property(self, dev_name: str, value) -> dict[str, Props]:
        return self._get_attr_props(self.device_attr_props, dev_name, value)

    def put_device_attribute_property(self, dev_name: str, value) -> None:
        self._put_attr_props(self.device_attr_props, dev_name, value)

    def delete_device_attribute_property(self, dev_name: str, value) -> None:
        self._delete_attr_props(self.device_attr_props, dev_name, value)

    def get_class_property(self, class_name: str, value) -> Props:
        return self._get_props(self.class_props, class_name, value)

    def put_class_property(self, class_name: str, value) -> None:
        self._put_props(self.class_props, class_name, value)

    def delete_class_property(self, class_name: str, value) -> None:
        self._delete_props(self.class_props, class_name, value)

    def get_class_attribute_property(self, class_name: str, value) -> dict[str, Props]:
        return self._get_attr_props(self.class_attr_props, class_name, value)

    def put_class_attribute_property(self, class_name: str, value) -> None:
        self._put_attr_props(self.class_attr_props, class_name, value)

    def delete_class_attribute_property(self, class_name: str, value) -> None:
        self._delete_attr_props(self.class_attr_props, class_name, value)

    def get_property(self, obj_name: str, value) -> Props:
        return self._get_props(self.free_props, obj_name, value)

    def put_property(self, obj_name: str, value) -> None:
        self._put_props(self.free_props, obj_name, value)

    def delete_property(self, obj_name: str, value) -> None:
        self._delete_props(self.free_props, obj_name, value)

    # -- servers and devices ------------------------------------------------------------------------

    def get_server_list(self, wildcard: str = "*") -> DbDatum:
        return DbDatum("server", [s for s in self.servers if _wildcard_match(wildcard.lower(), s.lower())])

    def get_device_class_list(self, server: str) -> DbDatum:
        """``[device, class, device, class, ...]``, as the database server's DbGetDeviceClassList."""
        flat: list[str] = []
        for klass, devices in (_get(self.servers, server) or {}).items():
            for device in devices:
                flat += [device, klass]
        return DbDatum(server, flat)

    def get_device_name(self, server: str, klass: str) -> DbDatum:
        return DbDatum(server, list(_get(_get(self.servers, server) or {}, klass) or []))

    def get_class_list(self, server_wildcard: str = "*") -> DbDatum:
        classes = sorted({k for s, cs in self.servers.items() if _wildcard_match(server_wildcard.lower(), s.lower())
                          for k in cs})
        return DbDatum("class", classes)

    def add_server(self, server: str, dev_info: Any, with_dserver: bool = False) -> None:
        """Declare devices of ``server`` (a DbDevInfo or a list of them) in the file."""
        infos: Iterable[Any] = dev_info if isinstance(dev_info, (list, tuple)) else [dev_info]
        with self._lock:
            classes = self.servers.setdefault(server, {})
            for info in infos:
                devices = classes.setdefault(info._class, [])
                if info.name not in devices:
                    devices.append(info.name)
            self._save()
