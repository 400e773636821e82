"""Reading a database's device table into an :class:`~itango.inventory.Inventory`.

tango_core's ``Database.get_device_inventory()`` does the reading (one ``DbMySqlSelect``
round trip where the server has it, standard commands otherwise); this module only turns
its rows into the shell's records.  Runs in a background thread or under an explicit
``%refreshdb``: every call is bounded by the Database object's timeout, so a dead database
fails, it never hangs the shell.
"""

from __future__ import annotations

from typing import Any

from .inventory import DeviceRecord, Inventory

__all__ = ["fetch_inventory", "database_label"]


def database_label(db: Any) -> str:
    """``host:port`` of a Database object, as the user typed it."""
    return f"{db.get_db_host()}:{db.get_db_port()}"


def fetch_inventory(db: Any, tango_host: str | None = None) -> Inventory:
    """Read every device of ``db`` (and its attribute aliases) into an Inventory."""
    records = [DeviceRecord(e.name, e.alias or "", e.server or "", e.class_name or "",
                            bool(e.exported), "", e.name.lower())
               for e in db.get_device_inventory()]
    try:
        attribute_aliases = list(db.get_attribute_alias_inventory().items())
    except Exception:  # optional: completion works without attribute aliases
        attribute_aliases = []
    return Inventory(tango_host or database_label(db), records, attribute_aliases)
