"""TAB completion of Tango names, as one IPython Matcher (API v2).

The matcher looks at the text before the cursor, decides whether the cursor is inside a
Tango name, and if so answers from the session's caches:

====================================================  ==========================================
context                                               completes
====================================================  ==========================================
``Device("``, ``DeviceProxy("``, any name bound to     device names and aliases
DeviceProxy, ``db.import_device("``,
``Database().get_device_info("`` ...
``TangoTest("`` (a class constructor)                 that class's devices only
``AttributeProxy("``, ``Attribute("``, ``%mon -a``     ``device/attribute`` (and attribute aliases)
``dev.read_attribute("``, ``dev.write_attribute("``,  attribute names of ``dev``
``dev.subscribe_event("``, ``dev["`` ...
``dev.command_inout("`` ...                           command names of ``dev``
``dev.`` (a DeviceProxy)                              its methods, attributes and commands,
                                                      each once (the device's spelling)
``%lsdev``, ``%lsdevclass``, ``%lsserv``,             devices, classes, servers, databases
``%switchdb``
====================================================  ==========================================

Names complete segment by segment (``sys/`` -> ``sys/tg_test/`` -> ``sys/tg_test/1``),
case-insensitively, across ``tango://host:port/`` prefixes and ``#dbase=`` modifiers (IPython's
own token splitter cuts at ``:`` and ``#``, so the matcher computes its own fragment and
returns it as ``matched_fragment``).  Results are typed (device, alias, attribute, command
...) and devices that are not exported say so.

The matcher never touches the network itself: device names come from the inventory,
attribute and command lists from :class:`~itango.member_catalog.MemberCatalog`, which
waits at most a fraction of a second for a device.
"""

from __future__ import annotations

import re
import types
from collections.abc import Generator, Iterator
from typing import Any

from IPython.core.completer import (CompletionContext, SimpleCompletion, SimpleMatcherResult,
                                    context_matcher)
from tango_core import split_tango_name

from .inventory import DeviceTree
from .session import ShellSession

__all__ = ["make_matcher", "complete_text", "MATCHER_ID", "NO_MATCH", "ATTRIBUTE_METHODS",
           "COMMAND_METHODS", "DATABASE_DEVICE_METHODS"]

MATCHER_ID = "itango.tango_names"
#: longest TABs wait, in all, for the start-up load (only while that load is still running)
FIRST_TAB_WAIT = 0.5
#: most completions one TAB returns (a menu longer than this is not read, and IPython's own
#: processing grows with it); names come in sorted order, so typing one more character
#: brings the rest
MAX_COMPLETIONS = 200
#: ``dev.<TAB>`` lists a DeviceProxy's methods and the device's attributes and commands: more
#: than MAX_COMPLETIONS, all wanted
MAX_MEMBER_COMPLETIONS = 1000
#: when at most this many devices match, TAB offers their whole names as well as the next
#: name segments (segments alone are for big databases: sys/ -> sys/tg_test/ -> sys/tg_test/1)
WHOLE_NAMES_UP_TO = 20
#: the type of the one no-op completion answered when a Tango name has no completion
NO_MATCH = "no match"
#: aliases are offered for an empty fragment only when there are at most this many
MAX_ALIASES_UNFILTERED = 50

#: what ``%mon -t`` takes (itango.monitor)
MON_EVENT_TYPES = ("change", "periodic", "archive", "user")
#: DeviceProxy methods whose first argument is an attribute name
ATTRIBUTE_METHODS = frozenset({
    "read_attribute", "read_attribute_asynch", "write_attribute", "write_attribute_asynch",
    "write_read_attribute", "subscribe_event", "get_attribute_config", "get_attribute_config_ex",
    "set_attribute_config", "poll_attribute", "stop_poll_attribute", "is_attribute_polled",
    "get_attribute_poll_period", "attribute_query", "attribute_history", "get_attribute_property",
    "read_attributes", "write_attributes", "get_attribute_config", "read_attribute_reply",
})
#: DeviceProxy methods whose first argument is a command name
COMMAND_METHODS = frozenset({
    "command_inout", "command_inout_asynch", "command_inout_raw", "command_query",
    "poll_command", "stop_poll_command", "is_command_polled", "get_command_poll_period",
    "command_history", "get_command_config",
})
#: Database methods whose first argument is a device name
DATABASE_DEVICE_METHODS = frozenset({
    "import_device", "get_device_info", "get_class_for_device", "delete_device",
    "get_device_property", "put_device_property", "delete_device_property",
    "get_device_attribute_property", "put_device_attribute_property", "export_device",
    "unexport_device", "get_device_alias", "put_device_alias", "get_device_property_list",
})

#: an opening quote right after ``(`` or ``[`` (optionally ``keyword=``), up to the cursor
_QUOTED = re.compile(r"""(?P<open>[(\[])\s*(?:\w+\s*=\s*)?(?P<q>['"])(?P<frag>[^'"]*)$""")
_FUNC = re.compile(r"(?<![\w.])(?P<func>[A-Za-z_]\w*)\s*$")
_METHOD = re.compile(r"(?<![\w.])(?P<obj>[A-Za-z_]\w*)\s*\.\s*(?P<meth>[A-Za-z_]\w*)\s*$")
_CHAIN = re.compile(r"""(?<![\w.])(?P<func>[A-Za-z_]\w*)\s*\(\s*(?:(?P<q>['"])(?P<arg>[^'"]*)(?P=q))?\s*\)"""
                    r"""\s*\.\s*(?P<meth>[A-Za-z_]\w*)\s*$""")
#: ``name.fragment`` at the cursor (not after another dot, a call or an index)
_MEMBER = re.compile(r"(?<![\w.)\]'\"])(?P<obj>[A-Za-z_]\w*)\s*\.(?P<frag>\w*)$")
_MAGIC = re.compile(r"^\s*(?P<pct>%?)(?P<magic>lsdev|lsdevclass|lsserv|switchdb|mon)"
                    r"(?P<args>\s.*)$")


class _Target:
    """What the cursor is in: ``kind`` plus what is needed to complete it."""

    __slots__ = ("kind", "frag", "klass", "device", "proxy")

    def __init__(self, kind: str, frag: str, *, klass: str | None = None,
                 device: str | None = None, proxy: Any = None):
        # device|attribute|attr_of|cmd_of|member|class|server|database|event_type
        self.kind = kind
        self.frag = frag
        self.klass = klass
        self.device = device
        self.proxy = proxy


def _is_device_proxy_class(session: ShellSession, obj: Any) -> bool:
    core = session.core
    dp = getattr(core, "DeviceProxy", None)
    return isinstance(obj, type) and dp is not None and issubclass(obj, dp)


def _is_instance_of(session: ShellSession, obj: Any, name: str) -> bool:
    cls = getattr(session.core, name, None)
    return isinstance(cls, type) and isinstance(obj, cls)


def _callee_kind(session: ShellSession, obj: Any) -> tuple[str, str | None] | None:
    """What a called name makes: ("device", class or None) / ("attribute", None) / None."""
    if obj is None:
        return None
    klass = session.constructor_class(obj)
    if klass is not None:
        return "device", klass
    if _is_device_proxy_class(session, obj):
        return "device", None
    ap = getattr(session.core, "AttributeProxy", None)
    if isinstance(obj, type) and ap is not None and issubclass(obj, ap):
        return "attribute", None
    # the green-mode factories: tango_core.asyncio.DeviceProxy is functools.partial(get_device_proxy, ...)
    factory = getattr(obj, "func", None)
    if factory is not None and factory is getattr(session.core, "get_device_proxy", None):
        return "device", None
    if factory is not None and factory is getattr(session.core, "get_attribute_proxy", None):
        return "attribute", None
    return None


class _Names:
    """The user namespace as the matcher sees it (see ShellSession.lookup_name)."""

    def __init__(self, session: ShellSession):
        self.session = session

    def get(self, name: str) -> Any:
        return self.session.lookup_name(name)

    def __contains__(self, name: str) -> bool:
        return self.session.lookup_name(name) is not None


def _in_string(text: str) -> bool:
    """Whether ``text`` ends inside a string literal (single-line strings, escapes)."""
    quote = ""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote:
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return True  # a comment: nothing to complete either
    return bool(quote)


def find_target(session: ShellSession, line: str) -> _Target | None:
    """Decide from the text before the cursor whether a Tango name is being typed."""
    ns = _Names(session)
    m = _MAGIC.match(line)
    if m and (m.group("pct") or (session.shell.automagic and m.group("magic") not in ns)):
        magic, args = m.group("magic"), m.group("args")
        words = args.split()
        frag = "" if args[-1:].isspace() else (words[-1] if words else "")
        before = words[:-1] if frag else words
        if magic == "mon":
            if before and before[-1] in ("-a", "-d"):
                return _Target("attribute", frag)
            if before and before[-1] == "-t":
                return _Target("event_type", frag)
            if before and before[-1] in ("-l", "-w", "-p"):  # the device filter comes first
                return _Target("device", frag)
            return None
        if frag.startswith("-"):
            return None
        kind = {"lsdev": "device", "lsdevclass": "class", "lsserv": "server",
                "switchdb": "database"}[magic]
        return _Target(kind, frag)
    q = _QUOTED.search(line)
    if q is None:
        mm = _MEMBER.search(line)
        if mm and not _in_string(line[:mm.start()]):
            obj = ns.get(mm.group("obj"))
            if _is_instance_of(session, obj, "DeviceProxy"):
                return _Target("member", mm.group("frag"), proxy=obj)
        return None
    frag = q.group("frag")
    head = line[:q.start("open")]
    if q.group("open") == "[":
        mm = _FUNC.search(head)
        if mm:
            obj = ns.get(mm.group("func"))
            if _is_instance_of(session, obj, "DeviceProxy"):
                return _Target("attr_of", frag, proxy=obj)
        return None
    mm = _CHAIN.search(head)
    if mm:
        meth = mm.group("meth")
        callee = ns.get(mm.group("func"))
        arg = mm.group("arg")
        kind = _callee_kind(session, callee)
        if kind and kind[0] == "device" and arg:
            if meth in ATTRIBUTE_METHODS:
                return _Target("attr_of", frag, device=arg)
            if meth in COMMAND_METHODS:
                return _Target("cmd_of", frag, device=arg)
        db_cls = getattr(session.core, "Database", None)
        if callee is not None and callee is db_cls and meth in DATABASE_DEVICE_METHODS:
            return _Target("device", frag)
        return None
    mm = _METHOD.search(head)
    if mm:
        obj, meth = ns.get(mm.group("obj")), mm.group("meth")
        if obj is None:
            return None
        if _is_instance_of(session, obj, "DeviceProxy"):
            if meth in ATTRIBUTE_METHODS:
                return _Target("attr_of", frag, proxy=obj)
            if meth in COMMAND_METHODS:
                return _Target("cmd_of", frag, proxy=obj)
            return None
        if meth in DATABASE_DEVICE_METHODS and (obj is session.db or
                                                 _is_instance_of(session, obj, "Database")):
            return _Target("device", frag)
        if (meth == "asyncio" and session.constructor_class(obj)) or isinstance(obj, types.ModuleType):
            # TangoTest.asyncio(", tango_core.asyncio.DeviceProxy("
            kind = _callee_kind(session, getattr(obj, meth, None))
            if kind:
                return _Target(kind[0], frag, klass=kind[1])
        return None
    mm = _FUNC.search(head)
    if mm:
        kind = _callee_kind(session, ns.get(mm.group("func")))
        if kind:
            return _Target(kind[0], frag, klass=kind[1])
    return None


# -- producing candidates ------------------------------------------------------------------

def _device_type(record: Any) -> str:
    return "device" if record is None or record.exported else "device (not exported)"


def _authority_candidates(session: ShellSession, frag: str,
                          bare: bool = False) -> Iterator[tuple[str, str]]:
    """``tango://host:port/`` for the databases the session knows (``bare``: ``host:port/``
    unless a scheme is being typed, as ``%switchdb`` takes)."""
    lower = frag.lower()
    typing_scheme = lower.startswith(("tango:", "//")) or (lower and "tango://".startswith(lower))
    if bare and not typing_scheme:
        scheme = ""
    else:
        scheme = "tango://" if lower.startswith("tango:") or "tango://".startswith(lower) else (
            "//" if lower.startswith("//") else "")
    hosts = []
    if session.tango_host:
        hosts.extend(h.strip() for h in session.tango_host.split(","))
    hosts.extend(session.known_hosts)
    for text in (f"{scheme}{h}/" for h in dict.fromkeys(hosts)):
        if text.lower().startswith(lower):
            yield text, "database"


def _members_of(session: ShellSession, key: str, make_proxy: Any, attributes: bool,
                owned: bool = True) -> tuple[str, ...]:
    members = session.catalog.get(key, make_proxy, owned=owned)
    if members is None or members.error:
        return ()
    return members.attributes if attributes else members.commands


def _proxy_full_name(proxy: Any) -> str | None:
    """``tango://host:port/domain/family/member[#dbase=no]`` of a user's proxy (local calls
    only), or None when it cannot be told."""
    try:
        name = proxy.dev_name()
        if proxy.is_dbase_used():
            return f"tango://{proxy.get_db_host()}:{proxy.get_db_port()}/{name}"
        return f"tango://{proxy.get_dev_host()}:{proxy.get_dev_port()}/{name}#dbase=no"
    except Exception:
        return None


def _device_members(session: ShellSession, device: str, attributes: bool) -> tuple[str, ...]:
    """Attribute/command names of a device given by name (alias, short or full name)."""
    parts = split_tango_name(device)
    prefix, host_port, rest = parts.prefix, parts.host_port, parts.rest
    inventory = session.inventory_for(host_port)
    record = inventory.lookup(rest.partition("#")[0]) if inventory is not None else None
    canonical = prefix + (record.name if record else rest)
    host = host_port or session.tango_host or ""
    key = f"tango://{host}/{record.name if record else rest}"
    core = session.ensure_core()
    return _members_of(session, key, lambda: core.DeviceProxy(canonical), attributes)


def _names_with_prefix(names: tuple[str, ...] | list[str], prefix: str) -> Iterator[str]:
    lower = prefix.lower()
    return (n for n in names if n.lower().startswith(lower))


def _name_start(session: ShellSession,
                frag: str) -> Generator[tuple[str, str], None, tuple[str, str, Any] | None]:
    """What device and attribute names share: yields the databases while a ``host:port`` (or a
    scheme) is being typed, then returns the name's prefix (scheme and host), the rest, and the
    inventory of its database; None when nothing else can complete (a host:port still being
    typed, a database not known).  Use: ``start = yield from _name_start(session, frag)``."""
    parts = split_tango_name(frag)
    prefix, host_port, rest = parts.prefix, parts.host_port, parts.rest
    if not prefix and (":" in frag.partition("/")[0] or frag.lower().startswith(("tan", "//"))):
        yield from _authority_candidates(session, frag)
        if ":" in frag.partition("/")[0]:
            return None
    inventory = session.inventory_for(host_port)
    if inventory is None:
        return None
    return prefix, rest, inventory


def _complete_device(session: ShellSession, frag: str, klass: str | None,
                     limit: int) -> Iterator[tuple[str, str]]:
    start = yield from _name_start(session, frag)
    if start is None:
        return
    prefix, rest, inventory = start
    base, hash_, modifier = rest.partition("#")
    if hash_:
        record = inventory.lookup(base)
        if record is not None or base.count("/") == 2:
            for option in ("dbase=no", "dbase=yes"):
                if option.startswith(modifier.lower()):
                    yield f"{prefix}{base}#{option}", "modifier"
        return
    tree: DeviceTree = inventory.class_tree(klass) if klass else inventory.tree
    n = 0
    for text, kind, record in tree.complete(rest, WHOLE_NAMES_UP_TO):
        yield prefix + text, (_device_type(record) if kind == "device" else kind)
        n += 1
        if n >= limit:
            return
    if "/" not in rest and (rest or len(inventory.aliases) <= MAX_ALIASES_UNFILTERED):
        for alias, record in inventory.aliases.items(rest):
            if klass is None or record.klass.lower() == klass.lower():
                yield prefix + alias, "alias"


def _complete_attribute(session: ShellSession, frag: str, limit: int) -> Iterator[tuple[str, str]]:
    start = yield from _name_start(session, frag)
    if start is None:
        return
    prefix, rest, inventory = start
    parts = rest.split("/")
    if len(parts) < 3:
        for text, kind, record in inventory.tree.complete(rest, WHOLE_NAMES_UP_TO):
            yield prefix + text + ("/" if kind == "device" else ""), (
                _device_type(record) if kind == "device" else kind)
    if len(parts) == 1:
        if rest or len(inventory.aliases) + len(inventory.attribute_aliases) <= MAX_ALIASES_UNFILTERED:
            for alias, _ in inventory.attribute_aliases.items(rest):
                yield prefix + alias, "attribute alias"
            for alias, record in inventory.aliases.items(rest):
                yield prefix + alias + "/", "alias"
    elif len(parts) == 2:
        record = inventory.aliases.get(parts[0])
        if record is not None:
            alias = inventory.aliases.canonical(parts[0])
            for attr in _names_with_prefix(_device_members(
                    session, prefix + record.name, attributes=True), parts[1]):
                yield f"{prefix}{alias}/{attr}", "attribute"
    elif len(parts) == 3:
        n = 0
        for text, kind, record in inventory.tree.complete(rest):
            yield prefix + text + "/", _device_type(record)
            n += 1
            if n >= limit:
                return
    elif len(parts) == 4:
        device = "/".join(parts[:3])
        record = inventory.lookup(device)
        name = record.name if record is not None else device
        for attr in _names_with_prefix(_device_members(
                session, prefix + name, attributes=True), parts[3]):
            yield f"{prefix}{name}/{attr}", "attribute"


def _complete_members(session: ShellSession, target: _Target) -> Iterator[tuple[str, str]]:
    attributes = target.kind == "attr_of"
    if target.proxy is not None:
        proxy = target.proxy
        full_name = _proxy_full_name(proxy)
        if full_name is not None:  # a private proxy: the user's keeps its timeout
            core = session.ensure_core()
            names = _members_of(session, full_name, lambda: core.DeviceProxy(full_name), attributes)
        else:
            names = _members_of(session, f"id:{id(proxy)}", lambda: proxy, attributes, owned=False)
    else:
        names = _device_members(session, target.device, attributes)
    kind = "attribute" if attributes else "command"
    for name in _names_with_prefix(names, target.frag):
        yield name, kind


def _python_members(obj: Any) -> dict[str, str]:
    """Names of an object's Python members with their kind, found without calling anything on
    it (``object.__dir__`` and static class lookups: no device is asked)."""
    import inspect

    found = {}
    for name in object.__dir__(obj):
        try:
            member = inspect.getattr_static(obj, name)
        except AttributeError:
            continue
        if isinstance(member, property):
            kind = "property"
        elif callable(member) or isinstance(member, (staticmethod, classmethod)):
            kind = "method"
        else:
            kind = "instance"
        found[name] = kind
    return found


def _complete_proxy_members(session: ShellSession, target: _Target) -> Iterator[tuple[str, str]]:
    """``dev.<TAB>``: the proxy's Python members, then its attributes and commands.

    DeviceProxy's ``__dir__`` (PyTango's) lists every attribute and command twice, as spelt
    and in lower case, and asks the device for the lists; this offers one spelling, the
    device's own, unless what is typed is lower case (``dev.st`` -> ``state``, ``status``),
    from the member catalog (no TAB waits for a device), and keeps IPython's rule of hiding
    ``_`` names until an ``_`` is typed."""
    frag = target.frag
    show_private = frag.startswith("_")
    for name, kind in sorted(_python_members(target.proxy).items()):
        if name.startswith(frag) and (show_private or not name.startswith("_")):
            yield name, kind
    typed_lower = frag != frag.upper() and frag == frag.lower()
    lower = frag.lower()
    for kind in ("attr_of", "cmd_of"):
        names = _complete_members(session, _Target(kind, "", proxy=target.proxy))
        for name, label in names:
            if name.lower().startswith(lower):
                yield (name.lower() if typed_lower else name), label


def candidates(session: ShellSession, target: _Target, limit: int = 500) -> Iterator[tuple[str, str]]:
    """``(text, type)`` pairs completing ``target.frag``."""
    if target.kind == "device":
        yield from _complete_device(session, target.frag, target.klass, limit)
    elif target.kind == "attribute":
        yield from _complete_attribute(session, target.frag, limit)
    elif target.kind in ("attr_of", "cmd_of"):
        yield from _complete_members(session, target)
    elif target.kind == "member":
        yield from _complete_proxy_members(session, target)
    else:
        inventory = session.inventory
        if target.kind == "database":
            for text, kind in _authority_candidates(session, target.frag, bare=True):
                yield text.rstrip("/"), kind
            return
        if target.kind == "event_type":
            for name in MON_EVENT_TYPES:
                if name.startswith(target.frag.lower()):
                    yield name, "event type"
            return
        if inventory is None:
            return
        index = inventory.classes if target.kind == "class" else inventory.servers
        for name, _ in index.items(target.frag):
            yield name, target.kind


def complete_text(session: ShellSession, line: str, limit: int = MAX_COMPLETIONS) -> tuple[str, list[tuple[str, str]]] | None:
    """Completions for the text before the cursor: ``(fragment, [(text, type), ...])`` or None
    when the cursor is not in a Tango name.  (The matcher and the benchmarks use this.)"""
    # TAB right after start-up: the device list is a few tenths of a second away
    session.wait_first_load_for_tab(FIRST_TAB_WAIT)
    if session.core is None:
        return None  # tango_core not imported yet: no proxies to recognise
    target = find_target(session, line)
    if target is None:
        return None
    if target.kind == "member":
        limit = max(limit, MAX_MEMBER_COMPLETIONS)
    seen: dict[str, str] = {}
    for text, kind in candidates(session, target, limit):
        if text not in seen:
            seen[text] = kind
            if len(seen) >= limit:
                break
    return target.frag, list(seen.items())


def make_matcher(session: ShellSession) -> Any:
    """The v2 matcher bound to ``session`` (append it to ``shell.Completer.custom_matchers``)."""

    @context_matcher(identifier=MATCHER_ID, priority=1.0)
    def tango_names_matcher(context: CompletionContext) -> SimpleMatcherResult:
        try:
            found = complete_text(session, context.text_until_cursor,
                                  min(context.limit or MAX_COMPLETIONS, MAX_COMPLETIONS))
        except Exception:
            # IPython would print the traceback in the middle of the line being typed; a
            # Tango name that cannot be completed must not cost the user their screen
            found = None
        if found is None:
            return {"completions": [], "suppress": False}
        fragment, pairs = found
        if not pairs:
            # Inside a Tango name with nothing to offer (dead device, no match, list still
            # loading): IPython ignores "suppress" for an empty answer and would fill the menu
            # with file names and every magic.  The typed text itself, as the one
            # completion, keeps them out and changes nothing (the terminal drops an empty one).
            pairs = [(fragment, NO_MATCH)]
        return {
            "completions": [SimpleCompletion(text, type=kind) for text, kind in pairs],
            "matched_fragment": fragment,
            "suppress": True,
        }

    return tango_names_matcher
