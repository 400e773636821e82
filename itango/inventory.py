"""The shell's picture of one Tango database: devices, aliases, classes and servers.

Completion answers every TAB from this object, so it is built once per load (at start-up in
the background, and by ``%refreshdb``) and then only read.  It holds no network state and
imports nothing from tango_core: building and querying it is pure Python.

Why these structures: a TAB at 10,000 devices must stay under 10 ms, so every query walks
only the part of the name tree that matches.  Names are indexed segment by segment
(``domain/family/member``), each level a :class:`PrefixIndex` (lower-case keys kept sorted,
so a prefix is found with ``bisect`` and the scan stops at the first key that no longer
matches).  Everything is case-insensitive, as Tango names are (RFC-16), while results keep
the spelling stored in the database.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DeviceRecord", "PrefixIndex", "DeviceTree", "Inventory"]

V = TypeVar("V")

#: device classes that are infrastructure, not something a user makes proxies for
HIDDEN_CLASSES = frozenset({"dserver"})


@dataclass(frozen=True)
class DeviceRecord:
    """One row of the database's device table."""

    name: str           # as stored, e.g. "sys/tg_test/1"
    alias: str = ""     # "" when the device has none
    server: str = ""    # "TangoTest/test"
    klass: str = ""     # "TangoTest"
    exported: bool = True
    host: str = ""      # where the server last ran

    @property
    def key(self) -> str:
        return self.name.lower()


class PrefixIndex(Generic[V]):
    """Case-insensitive prefix lookup over a fixed set of names.

    ``items(prefix)`` yields ``(name, value)`` for every name starting with ``prefix`` (any
    case) in O(log n + matches).
    """

    __slots__ = ("_keys", "_names", "_values")

    def __init__(self, pairs: Iterable[tuple[str, V]]):
        by_key: dict[str, tuple[str, V]] = {}
        for name, value in pairs:
            by_key.setdefault(name.lower(), (name, value))
        self._keys = sorted(by_key)
        self._names = [by_key[k][0] for k in self._keys]
        self._values = [by_key[k][1] for k in self._keys]

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, name: str) -> V | None:
        key = name.lower()
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return self._values[i]
        return None

    def canonical(self, name: str) -> str | None:
        """The stored spelling of ``name`` (any case), or None."""
        key = name.lower()
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return self._names[i]
        return None

    def items(self, prefix: str = "") -> Iterator[tuple[str, V]]:
        key = prefix.lower()
        keys = self._keys
        i = bisect.bisect_left(keys, key)
        n = len(keys)
        while i < n and keys[i].startswith(key):
            yield self._names[i], self._values[i]
            i += 1

    def names(self) -> list[str]:
        return list(self._names)


class DeviceTree:
    """Device names as a three-level tree: domain -> family -> member -> record."""

    __slots__ = ("domains",)

    def __init__(self, records: Iterable[DeviceRecord]):
        nested: dict[str, tuple[str, dict[str, tuple[str, list[tuple[str, DeviceRecord]]]]]] = {}
        for rec in records:
            parts = rec.name.split("/")
            if len(parts) != 3:
                continue  # corrupt row: skip rather than break completion for everyone
            dom, fam, mem = parts
            d = nested.setdefault(dom.lower(), (dom, {}))[1]
            d.setdefault(fam.lower(), (fam, []))[1].append((mem, rec))
        self.domains: PrefixIndex[PrefixIndex[PrefixIndex[DeviceRecord]]] = PrefixIndex(
            (dom, PrefixIndex((fam, PrefixIndex(members)) for fam, members in fams.values()))
            for dom, fams in nested.values()
        )

    def complete(self, fragment: str) -> Iterator[tuple[str, str, DeviceRecord | None]]:
        """Complete one segment of a device name.

        Yields ``(text, kind, record)``: ``kind`` is "domain" (``"sys/"``), "family"
        (``"sys/tg_test/"``) or "device" (``"sys/tg_test/1"``, with its record).  A
        fragment with more than two slashes yields nothing.
        """
        parts = fragment.split("/")
        if len(parts) == 1:
            for dom, _ in self.domains.items(parts[0]):
                yield f"{dom}/", "domain", None
        elif len(parts) == 2:
            fams = self.domains.get(parts[0])
            if fams is not None:
                dom = self.domains.canonical(parts[0])
                for fam, _ in fams.items(parts[1]):
                    yield f"{dom}/{fam}/", "family", None
        elif len(parts) == 3:
            fams = self.domains.get(parts[0])
            members = fams.get(parts[1]) if fams is not None else None
            if members is not None:
                for _, rec in members.items(parts[2]):
                    yield rec.name, "device", rec


class Inventory:
    """Every device of one database, indexed for completion and the ``%ls*`` magics.

    ``tango_host`` is the database's ``host:port`` as the user knows it.
    """

    def __init__(self, tango_host: str, records: Iterable[DeviceRecord],
                 attribute_aliases: Iterable[tuple[str, str]] = ()):
        self.tango_host = tango_host
        all_records = sorted({r.key: r for r in records}.values(), key=lambda r: r.key)
        #: every device, dserver/* included (``%lsdev`` hides those by default)
        self.all_devices: tuple[DeviceRecord, ...] = tuple(all_records)
        visible = [r for r in all_records if not r.key.startswith("dserver/")]
        #: the devices users address (no dserver/*), sorted by lower-case name
        self.devices: tuple[DeviceRecord, ...] = tuple(visible)
        self._by_name: dict[str, DeviceRecord] = {r.key: r for r in all_records}
        self.aliases: PrefixIndex[DeviceRecord] = PrefixIndex(
            (r.alias, r) for r in visible if r.alias and not r.alias.startswith("_"))
        self.attribute_aliases: PrefixIndex[str] = PrefixIndex(
            (alias, attr) for alias, attr in attribute_aliases if alias)
        self.tree = DeviceTree(visible)
        classes: dict[str, tuple[str, list[DeviceRecord]]] = {}
        servers: dict[str, tuple[str, list[DeviceRecord]]] = {}
        for r in all_records:
            if r.klass:
                classes.setdefault(r.klass.lower(), (r.klass, []))[1].append(r)
            if r.server:
                servers.setdefault(r.server.lower(), (r.server, []))[1].append(r)
        self.classes: PrefixIndex[list[DeviceRecord]] = PrefixIndex(classes.values())
        self.servers: PrefixIndex[list[DeviceRecord]] = PrefixIndex(servers.values())
        self._class_trees: dict[str, DeviceTree] = {}

    def __len__(self) -> int:
        return len(self.devices)

    def __repr__(self) -> str:
        return (f"<Inventory {self.tango_host}: {len(self.devices)} devices, "
                f"{len(self.classes)} classes, {len(self.servers)} servers>")

    # -- look-ups ---------------------------------------------------------------------------

    def lookup(self, name: str) -> DeviceRecord | None:
        """The record for a device name or alias, any case; None if unknown."""
        rec = self._by_name.get(name.lower())
        if rec is None:
            rec = self.aliases.get(name)
        return rec

    def user_classes(self) -> list[str]:
        """Class names a user makes proxies of (infrastructure classes left out)."""
        return [k for k in self.classes.names() if k.lower() not in HIDDEN_CLASSES]

    def class_devices(self, klass: str) -> list[DeviceRecord]:
        return list(self.classes.get(klass) or ())

    def class_tree(self, klass: str) -> DeviceTree:
        """The name tree of one class's devices, built on first use and kept."""
        key = klass.lower()
        tree = self._class_trees.get(key)
        if tree is None:
            tree = self._class_trees[key] = DeviceTree(
                r for r in (self.classes.get(klass) or ()) if not r.key.startswith("dserver/"))
        return tree

    def all_names(self) -> Sequence[str]:
        """Device names and aliases: the vocabulary for "did you mean" suggestions."""
        return [r.name for r in self.devices] + self.aliases.names()
