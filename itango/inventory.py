"""The shell's picture of one Tango database: devices, aliases, classes and servers.

Completion answers every TAB from this object, so it is built once per load (at start-up in
the background, and by ``%refreshdb``) and then only read.  It holds no network state and
imports nothing from tango_core: building and querying it is pure Python.

Why these structures: a TAB at 10,000 devices must stay under 10 ms and ``%refreshdb``
under 0.5 s, so building is little more than sorting, and every query touches only the names
that match: lower-case keys are kept sorted, a prefix is found with ``bisect`` and the scan
stops at the first key that no longer matches (:class:`PrefixIndex`); device names complete
segment by segment (``domain/family/member``) by jumping over whole domains or families
(:class:`DeviceTree`).  Everything is case-insensitive, as Tango names are (RFC-16), while
results keep the spelling stored in the database.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, NamedTuple, TypeVar

__all__ = ["DeviceRecord", "PrefixIndex", "DeviceTree", "Inventory"]

V = TypeVar("V")

#: device classes that are infrastructure, not something a user makes proxies for
HIDDEN_CLASSES = frozenset({"dserver"})


class DeviceRecord(NamedTuple):
    """One row of the database's device table (a tuple: 10,000 of them are made per load)."""

    name: str           # as stored, e.g. "sys/tg_test/1"
    alias: str = ""     # "" when the device has none
    server: str = ""    # "TangoTest/test"
    klass: str = ""     # "TangoTest"
    exported: bool = True
    host: str = ""      # where the server last ran
    key: str = ""       # name.lower(), filled by make()

    @classmethod
    def make(cls, name: str, alias: str = "", server: str = "", klass: str = "",
             exported: bool = True, host: str = "") -> "DeviceRecord":
        return cls(name, alias, server, klass, exported, host, name.lower())


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
    """Device names completed one segment at a time: domain/, family/, member.

    No tree is built: the lower-case names are kept sorted, so every name below a prefix
    is one contiguous run found by ``bisect``, and the run of one domain (or family) is
    skipped in one more ``bisect`` once it has been reported.  Building is a sort; a
    completion costs O(log n) per result.
    """

    __slots__ = ("_keys", "_records")

    def __init__(self, records: Iterable[DeviceRecord]):
        ordered = sorted(records, key=_record_key)
        self._records = ordered
        self._keys = [r.key for r in ordered]

    def __len__(self) -> int:
        return len(self._keys)

    def count(self, fragment: str) -> int:
        """How many device names start with ``fragment`` (any case); O(log n)."""
        frag = fragment.lower()
        lo = bisect.bisect_left(self._keys, frag)
        return bisect.bisect_left(self._keys, frag + "\U0010ffff", lo) - lo

    def complete(self, fragment: str, whole_names_up_to: int = 0
                 ) -> Iterator[tuple[str, str, DeviceRecord | None]]:
        """Complete one segment of a device name.

        Yields ``(text, kind, record)``: ``kind`` is "domain" (``"sys/"``), "family"
        (``"sys/tg_test/"``) or "device" (``"sys/tg_test/1"``, with its record).  When at
        most ``whole_names_up_to`` devices match, their whole names come too, after the
        segments (a small database, or a precise fragment, needs no walk down the levels),
        and a segment holding a single device is left out: its whole name says it all, and
        ``sys/tg<TAB>`` then gives ``sys/tg_test/1`` at once.
        A fragment with more than two slashes yields nothing.
        """
        frag = fragment.lower()
        level = frag.count("/")
        if level > 2:
            return
        whole = level < 2 and whole_names_up_to and self.count(frag) <= whole_names_up_to
        for item in self._scan(frag, level):
            if not (whole and self.count(item[0]) == 1):
                yield item
        if whole:
            yield from self._scan(frag, 2)

    def _scan(self, frag: str, level: int) -> Iterator[tuple[str, str, DeviceRecord | None]]:
        keys, records = self._keys, self._records
        n = len(keys)
        i = bisect.bisect_left(keys, frag)
        while i < n and keys[i].startswith(frag):
            key = keys[i]
            if key.count("/") != 2:  # corrupt row: skip rather than break completion
                i += 1
                continue
            record = records[i]
            if level == 2:
                yield record.name, "device", record
                i += 1
                continue
            cut = _nth_slash(key, level) + 1            # "sys/" or "sys/tg_test/"
            yield record.name[:cut], ("domain" if level == 0 else "family"), None
            # skip the rest of this domain/family: '0' is the character after '/'
            i = bisect.bisect_left(keys, key[:cut - 1] + "0", i)


def _record_key(record: DeviceRecord) -> str:
    return record.key


def _nth_slash(text: str, n: int) -> int:
    """Index of the (n+1)-th '/' in text."""
    i = -1
    for _ in range(n + 1):
        i = text.index("/", i + 1)
    return i


def _group(records: Sequence[DeviceRecord], field: int) -> list[tuple[str, list[DeviceRecord]]]:
    """``(value, records)`` per distinct non-empty value of one field, any case."""
    groups: dict[str, list[DeviceRecord]] = {}
    for r in records:
        value = r[field]
        if value:
            bucket = groups.get(value)
            if bucket is None:
                bucket = groups[value] = []
            bucket.append(r)
    merged: dict[str, tuple[str, list[DeviceRecord]]] = {}
    for value, bucket in groups.items():  # "TangoTest" and "tangotest" are one class
        entry = merged.get(value.lower())
        if entry is None:
            merged[value.lower()] = (value, bucket)
        else:
            entry[1].extend(bucket)
    return list(merged.values())


class Inventory:
    """Every device of one database, indexed for completion and the ``%ls*`` magics.

    ``tango_host`` is the database's ``host:port`` as the user knows it.
    """

    def __init__(self, tango_host: str, records: Iterable[DeviceRecord],
                 attribute_aliases: Iterable[tuple[str, str]] = ()):
        self.tango_host = tango_host
        all_records = sorted({r.key: r for r in records}.values(), key=_record_key)
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
        #: classes and servers of the visible devices (DServer and dserver/* left out)
        self.classes: PrefixIndex[list[DeviceRecord]] = PrefixIndex(_group(visible, 3))
        self.servers: PrefixIndex[list[DeviceRecord]] = PrefixIndex(_group(visible, 2))
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
