"""Reading a database's device table into an :class:`~itango.inventory.Inventory`.

Uses only PyTango-named calls of ``tango_core.Database``.  The fast path is one
``DbMySqlSelect`` query (served by cppTango's DataBaseds and by PyTango's sqlite
DataBaseds alike), one round trip whatever the number of devices.  A database without that
command falls back to the standard calls (one per server), slower but complete.

Runs in a background thread or under an explicit ``%refreshdb``: every call is bounded by
the Database object's timeout, so a dead database fails, it never hangs the shell.
"""

from __future__ import annotations

from typing import Any

from .inventory import DeviceRecord, Inventory

__all__ = ["DEVICE_QUERY", "ATTRIBUTE_ALIAS_QUERY", "fetch_inventory", "database_label"]

DEVICE_QUERY = "SELECT name, alias, exported, host, server, class FROM device"
ATTRIBUTE_ALIAS_QUERY = "SELECT alias, name FROM attribute_alias"


def database_label(db: Any) -> str:
    """``host:port`` of a Database object, as the user typed it."""
    return f"{db.get_db_host()}:{db.get_db_port()}"


def _strings(value: Any) -> list[str]:
    """A DbDatum (``value_string``) or a plain sequence, as a list of str."""
    seq = getattr(value, "value_string", value)
    return [str(s) for s in seq]


def _select(db: Any, query: str, columns: int) -> list[list[str]]:
    """Run ``DbMySqlSelect`` and cut the flat answer into rows of ``columns`` strings."""
    ints, strings = db.command_inout("DbMySqlSelect", query)
    strings = list(strings)
    ncols = int(ints[-1]) if len(ints) >= 2 else columns
    if ncols != columns or len(strings) % columns:
        raise ValueError(f"DbMySqlSelect answered {ncols} columns for {query!r}")
    return [strings[i:i + columns] for i in range(0, len(strings), columns)]


def _records_fast(db: Any) -> list[DeviceRecord]:
    return [DeviceRecord(name=name, alias=alias or "", server=server or "", klass=klass or "",
                         exported=(exported or "0").strip() not in ("0", ""), host=host or "")
            for name, alias, exported, host, server, klass in _select(db, DEVICE_QUERY, 6)]


def _records_standard(db: Any) -> list[DeviceRecord]:
    """The same table through the standard API: one call per server plus three list calls."""
    exported = {n.lower() for n in _strings(db.get_device_exported("*"))}
    aliases: dict[str, str] = {}
    for alias in _strings(db.get_device_alias_list("*")):
        try:
            aliases[str(db.get_device_from_alias(alias)).lower()] = alias
        except Exception:  # an alias whose device vanished: leave it out
            continue
    records = []
    for server in _strings(db.get_server_list("*")):
        flat = _strings(db.get_device_class_list(server))
        for name, klass in zip(flat[0::2], flat[1::2]):
            records.append(DeviceRecord(name=name, alias=aliases.get(name.lower(), ""),
                                        server=server, klass=klass,
                                        exported=name.lower() in exported))
    return records


def fetch_inventory(db: Any, tango_host: str | None = None) -> Inventory:
    """Read every device of ``db`` (and its attribute aliases) into an Inventory."""
    try:
        records = _records_fast(db)
        fast = True
    except Exception as fast_error:
        try:
            records = _records_standard(db)
        except Exception as standard_error:
            raise standard_error from fast_error
        fast = False
    attribute_aliases: list[tuple[str, str]] = []
    if fast:
        try:
            attribute_aliases = [(a, n) for a, n in _select(db, ATTRIBUTE_ALIAS_QUERY, 2)]
        except Exception:  # optional table: completion works without it
            attribute_aliases = []
    return Inventory(tango_host or database_label(db), records, attribute_aliases)
