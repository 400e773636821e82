"""ITango 0.3.0's helper functions over the device cache, for scripts that call them.

``get_device_map()``, ``get_server_map()``, ``get_class_map()``, ``get_alias_map()``,
``get_device_list()`` and ``get_alias_list()`` are bound in the shell namespace with the
shapes ITango gave them (device -> [alias, server, class], server -> [devices], class ->
[devices], alias -> device; the two lists compare case-insensitively).  They read the
session's inventory: no network round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["CaselessList", "make_cache_functions"]


class CaselessList(list):
    """A list of names whose ``in`` ignores case, as Tango names do."""

    def __init__(self, items: Iterable[str] = ()):
        super().__init__(items)
        self._lower = {str(x).lower() for x in self}

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item.lower() in self._lower


def make_cache_functions(inventory: Callable[[], Any]) -> dict[str, Callable[[], Any]]:
    """The six functions, reading ``inventory()`` (None when no database answered)."""

    def current() -> Any:
        inv = inventory()
        if inv is None:
            print("You are not connected to any Tango Database.")
        return inv

    def get_device_map() -> dict[str, list[str]] | None:
        """Device name -> [alias, server, class] (alias "" when none)."""
        inv = current()
        return None if inv is None else {r.name: [r.alias, r.server, r.klass] for r in inv.devices}

    def get_server_map() -> dict[str, list[str]] | None:
        """Server (Exec/instance) -> names of its devices."""
        inv = current()
        return None if inv is None else {s: [r.name for r in recs] for s, recs in inv.servers.items()}

    def get_class_map() -> dict[str, list[str]] | None:
        """Tango class -> names of its devices."""
        inv = current()
        return None if inv is None else {c: [r.name for r in recs] for c, recs in inv.classes.items()}

    def get_alias_map() -> dict[str, str] | None:
        """Device alias -> device name."""
        inv = current()
        return None if inv is None else {a: r.name for a, r in inv.aliases.items()}

    def get_device_list() -> CaselessList | None:
        """Device names (``in`` ignores case)."""
        inv = current()
        return None if inv is None else CaselessList(r.name for r in inv.devices)

    def get_alias_list() -> CaselessList | None:
        """Device aliases (``in`` ignores case)."""
        inv = current()
        return None if inv is None else CaselessList(inv.aliases.names())

    return {f.__name__: f for f in (get_device_map, get_server_map, get_class_map, get_alias_map,
                                    get_device_list, get_alias_list)}
