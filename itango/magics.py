"""The Tango magics: %lsdev, %lsdevclass, %lsserv, %refreshdb, %switchdb, %tango_error,
%python_error and %mon (whose work is done by itango.monitor).

Listings come from the session's inventory (no network round trip per magic); filters are
case-insensitive regular expressions matched at the start of the name (``%lsdev sys/tg``) or
shell-style globs (``%lsdev *tg*``).  A filter that matches nothing is a UsageError with a
"did you mean" suggestion.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from tango_core import split_tango_name

from .errors import full_devfailed_text
from .inventory import Inventory
from .mon_usage import DOC as MON_DOC
from .session import ShellSession, authority_key
from .suggest import did_you_mean

__all__ = ["TangoMagics", "MAGIC_NAMES"]

MAGIC_NAMES = ("lsdev", "lsdevclass", "lsserv", "refreshdb", "switchdb", "tango_error",
               "python_error", "mon")


def name_filter(pattern: str) -> re.Pattern[str] | None:
    """A case-insensitive filter from a regex (matched at the start) or a glob."""
    pattern = pattern.strip()
    if not pattern:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        pass
    try:
        return re.compile(fnmatch.translate(pattern), re.IGNORECASE)
    except re.error as exc:  # pragma: no cover - fnmatch output always compiles
        raise UsageError(f"bad filter {pattern!r}: {exc}") from None


def _matches(rx: re.Pattern[str] | None, *names: str) -> bool:
    return rx is None or any(n and rx.match(n) for n in names)


def _shown_alias(alias: str) -> str:
    """Aliases starting with "_" are private by convention (ITango hid them too)."""
    return "" if alias.startswith("_") else alias


def format_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a dashed rule under the headers."""
    rows = [list(r) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _parse_host(line: str) -> str:
    """``host:port``, ``host port``, ``host`` (port 10000) or ``tango://host:port/``
    -> ``host:port[,...]``."""
    line = line.strip()
    if line.lower().startswith("tango://"):
        line = line[len("tango://"):]
    line = line.rstrip("/")
    words = line.replace(",", " , ").split()
    if len(words) == 2 and words[1].isdigit():
        return f"{words[0]}:{words[1]}"
    text = "".join(words)
    return ",".join(p if ":" in p else f"{p}:10000" for p in text.split(",") if p)


@magics_class
class TangoMagics(Magics):
    """The magics of the itango extension (one instance per shell)."""

    def __init__(self, shell: Any, session: ShellSession):
        super().__init__(shell)
        self.session = session

    # -- listings ---------------------------------------------------------------------------

    def _inventory(self) -> Inventory:
        return self.session.require_inventory()

    @line_magic
    def lsdev(self, line: str = "") -> None:
        """List the devices of the current database.

        Usage: %lsdev [-a] [FILTER]

        FILTER is a case-insensitive regular expression matched at the start of the device
        name or alias (``%lsdev sys/tg``), or a glob (``%lsdev *tg*``).  -a also lists the
        administration devices (dserver/...).  Columns: device, alias, server, class, and
        whether the device is exported (its server running), asked of the database now: the
        device list is the one last loaded (%refreshdb), but servers stop and start meanwhile."""
        words = line.split()
        show_all = "-a" in words
        words = [w for w in words if w != "-a"]
        if len(words) > 1:
            raise UsageError("%lsdev takes at most one filter, e.g. %lsdev sys/tg")
        inventory = self._inventory()
        if words:
            words[0] = self._same_database(words[0], inventory)
        rx = name_filter(words[0] if words else "")
        records = inventory.all_devices if show_all else inventory.devices
        records = [r for r in records if _matches(rx, r.name, _shown_alias(r.alias))]
        if not records:
            if rx is None:
                print(f"No devices in the database at {inventory.tango_host}.")
                return
            raise UsageError(f"no device matches {words[0]!r} in the database at "
                             f"{inventory.tango_host}." + did_you_mean(words[0], inventory.all_names()))
        exported = self._exported_now(inventory)
        rows = [(r.name, _shown_alias(r.alias), r.server, r.klass,
                 "yes" if (r.key in exported if exported is not None else r.exported) else "no")
                for r in records]
        print(format_table(("Device", "Alias", "Server", "Class", "Exported"), rows))
        if exported is None:
            print(f"(Exported: as when the device list was loaded; the database at "
                  f"{inventory.tango_host} did not answer just now)")

    def _exported_now(self, inventory: Inventory) -> set[str] | None:
        """Lower-case names of the devices exported now (one database call, bounded by the
        Database's timeout), or None when the database of ``inventory`` does not answer."""
        db = self.session.db
        if db is None or self.session.tango_host is None or \
                authority_key(self.session.tango_host) != authority_key(inventory.tango_host):
            return None
        try:
            return {str(name).lower() for name in db.get_device_exported("*")}
        except Exception:  # DevFailed, an UnreachableDatabase: the loaded flags then
            return None

    def _same_database(self, pattern: str, inventory: Inventory) -> str:
        """Strip a ``tango://host:port/`` prefix naming the current database (TRLs are
        accepted wherever a name is); another database is a UsageError."""
        parts = split_tango_name(pattern)
        prefix, host_port, rest = parts.prefix, parts.host_port, parts.rest
        if not prefix:
            return pattern
        if authority_key(host_port) != authority_key(inventory.tango_host):
            raise UsageError(f"{host_port} is not the current database ({inventory.tango_host}); "
                             f"use %switchdb {host_port} first")
        return rest

    @line_magic
    def lsdevclass(self, line: str = "") -> None:
        """List the device classes of the current database, with their number of devices.

        Usage: %lsdevclass [FILTER]   (regular expression or glob, case-insensitive)"""
        inventory = self._inventory()
        rx = name_filter(line)
        rows = [(name, str(len(records))) for name, records in inventory.classes.items()
                if _matches(rx, name)]
        if not rows:
            raise UsageError(f"no device class matches {line.strip()!r}."
                             + did_you_mean(line.strip(), inventory.classes.names()))
        print(format_table(("Class", "Devices"), rows))

    @line_magic
    def lsserv(self, line: str = "") -> None:
        """List the device servers (executable/instance) of the current database.

        Usage: %lsserv [FILTER]   (regular expression or glob, case-insensitive)"""
        inventory = self._inventory()
        rx = name_filter(line)
        rows = [(name, str(len(records))) for name, records in inventory.servers.items()
                if _matches(rx, name)]
        if not rows:
            raise UsageError(f"no device server matches {line.strip()!r}."
                             + did_you_mean(line.strip(), inventory.servers.names()))
        print(format_table(("Server", "Devices"), rows))

    # -- database ---------------------------------------------------------------------------

    @line_magic
    def refreshdb(self, line: str = "") -> None:
        """Reload the device list (and class constructors) from the current database.

        Usage: %refreshdb"""
        if line.strip():
            raise UsageError("%refreshdb takes no argument; to change database use "
                             "%switchdb host:port")
        start = time.perf_counter()
        try:
            inventory = self.session.refresh()
        except Exception:
            raise UsageError(self.session.unreachable_message()) from None
        elapsed = time.perf_counter() - start
        print(f"{inventory.tango_host}: {len(inventory)} devices, {len(inventory.classes)} "
              f"classes, {len(inventory.servers)} servers ({elapsed * 1000:.0f} ms)")

    @line_magic
    def switchdb(self, line: str = "") -> None:
        """Make another database the default: short device names resolve there from now on.

        Usage: %switchdb HOST:PORT     (also "HOST PORT", or HOST for port 10000)

        The device list and class constructors are reloaded; if the new database does not
        answer, the current one stays."""
        if not line.strip():
            raise UsageError(f"%switchdb needs HOST:PORT (current database: "
                             f"{self.session.tango_host or 'none'})")
        target = _parse_host(line)
        old = self.session.tango_host
        try:
            inventory = self.session.switch(target)
        except Exception as exc:
            from .session import _one_line
            others = [h for h in self.session.known_hosts if h != old]
            raise UsageError(f"cannot switch to {target}: {_one_line(exc)}; still on {old}."
                             + did_you_mean(target, others)) from None
        print(f"Switched to {inventory.tango_host}: {len(inventory)} devices, "
              f"{len(inventory.classes)} classes, {len(inventory.servers)} servers")

    # -- errors -----------------------------------------------------------------------------

    @line_magic
    def tango_error(self, line: str = "") -> None:
        """Show the last Tango error (DevFailed) in full: every DevError of its stack, innermost
        (the cause) first, with reason, description, origin and severity.

        Usage: %tango_error

        A DevFailed is shown in two lines when it happens; this is the rest of it."""
        exc = self.session.last_tango_error
        if exc is None:
            print("No Tango error so far.")
            return
        print(full_devfailed_text(exc))

    @line_magic
    def python_error(self, line: str = "") -> None:
        """Show the traceback of the last non-Tango exception (a DevFailed is for %tango_error).

        Usage: %python_error"""
        exc = self.session.last_python_error
        if exc is None:
            print("No Python error so far.")
            return
        tb = self.shell.InteractiveTB
        stb = tb.structured_traceback(type(exc), exc, exc.__traceback__)
        print(tb.stb2text(stb))

    # -- monitor ----------------------------------------------------------------------------

    @line_magic
    def mon(self, line: str = "") -> Any:
        try:
            from .monitor import mon_magic
        except ImportError as exc:
            raise UsageError(f"%mon is not available: {exc}") from None
        self.session.ensure_core()
        self.session.apply_pending()
        return mon_magic(self.shell, line)

    mon.__doc__ = MON_DOC  # what %mon? shows: the real usage (itango.mon_usage)
