"""The ``%mon`` machinery: subscribe to attribute events and keep a bounded, browsable log.

The command line is described in :mod:`itango.mon_usage` (what ``%mon?`` shows).

When the server sends no events for an attribute (most are not polled), ``%mon`` reads it
itself at an interval or, with ``--server-poll``, configures the server: see itango.polling.

Why it is built this way (ITango 0.3.0 defects it avoids):

* event ids are monotonic and never reused, so ``%mon -i 17`` means the same event after the
  bounded log has rolled over (ITango used list indices that shifted);
* names are case-insensitive and TRL-insensitive (RFC-16): ``SYS/TG_TEST/1/Double_Scalar``,
  ``tango://host:port/sys/tg_test/1/double_scalar``, ``<device alias>/double_scalar`` and an
  attribute alias all name the same subscription, compared on the device's canonical name and
  its database's host and port;
* wrong usage raises IPython's ``UsageError`` with a "did you mean" hint;
* event callbacks only append to the log under a lock: nothing is printed from Tango's event
  thread (that would garble the prompt), and the live view redraws in place with prompt_toolkit
  and restores the terminal when it ends.

The extension's ``Magics`` class calls :func:`mon_magic`; :func:`close_monitor` runs on unload.
This module holds the names, the subscriptions and the command line; the log is in
``itango.event_log`` and what is shown in ``itango.monitor_views``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import numbers
import shlex
import socket
import sys
import threading
import weakref
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, Callable, Iterable

from IPython.core.error import UsageError

from . import display as _display
from .event_log import DEFAULT_CAPACITY, DETAIL_DEPTH, EventLog, EventRecord, plain_number
from .mon_usage import USAGE
from .polling import (CLIENT_POLLED, DEFAULT_PERIOD, NO_EVENTS_REASONS, ClientPoller, ServerPolling,
                      configure_server_polling, format_period, parse_period)
from .monitor_views import (EventDetail, EventTable, MonitorPlot, SubscriptionTable, filtered_subscriptions,
                            in_kernel, kernel_live_view, live_text, live_view)

__all__ = [
    "USAGE", "EVENT_TYPES", "EventRecord", "EventLog", "Subscription", "Monitor",
    "SubscriptionTable", "EventTable", "EventDetail", "MonitorPlot", "mon_magic", "get_monitor",
    "close_monitor", "unload", "live_view", "live_text", "DETAIL_DEPTH", "DEFAULT_CAPACITY",
]

#: ``-t`` word -> tango_core EventType member name
EVENT_TYPES: dict[str, str] = {
    "change": "CHANGE_EVENT",
    "periodic": "PERIODIC_EVENT",
    "archive": "ARCHIVE_EVENT",
    "user": "USER_EVENT",
}

#: an attribute without change criteria answers a change subscription with this reason
_NO_CHANGE_CRITERIA = "API_EventPropertiesNotSet"
#: how many events ``%mon -l`` shows unless ``--all`` is given (the newest ones)
LIST_LIMIT = 200
#: how many recent numeric values a subscription keeps for its trend column
TREND_POINTS = 20
#: how long ``%mon -w`` refreshes in a Jupyter kernel (no key can end it there)
KERNEL_WATCH_SECONDS = 10.0


# --------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------

@dataclass
class _ParsedName:
    """``[tango://][host:port/]device/attr[#dbase=no]`` split up; ``device`` may be an alias."""

    authority: str          # "host:port" lower-case, or "" when the default TANGO_HOST applies
    device: str             # as typed (alias or a/b/c)
    attribute: str
    nodb: bool

    def device_trl(self) -> str:
        """The device name to give DeviceProxy (keeps the authority and #dbase=no)."""
        name = f"tango://{self.authority}/{self.device}" if self.authority else self.device
        return name + ("#dbase=no" if self.nodb else "")


def _parse_name(name: str) -> _ParsedName:
    """Split with tango_core's name parser; what %mon cannot use is a UsageError saying why."""
    from tango_core import split_tango_name

    parts = split_tango_name(name.strip())
    if parts.modifier and parts.dbase:
        raise UsageError(f"%mon: unsupported '{parts.modifier}' in {name!r} (only #dbase=no)")
    if parts.scheme.lower() not in ("", "//", "tango://"):
        raise UsageError(f"%mon: {name!r} is not a valid attribute name: expected "
                         "tango://host:port/domain/family/member/attribute")
    device, sep, attribute = parts.name.rpartition("/")
    if not sep or not device or not attribute:
        raise UsageError(f"%mon: {name!r} is not an attribute name: expected <device>/<attribute>, "
                         "e.g. sys/tg_test/1/double_scalar (or <alias>/<attribute>)")
    if device.count("/") not in (0, 2):
        raise UsageError(f"%mon: {name!r}: a device name has three parts (domain/family/member) "
                         "or is an alias")
    return _ParsedName((parts.host_port or "").lower(), device, attribute, not parts.dbase)


@lru_cache(maxsize=64)
def _canonical_host(host: str) -> str:
    """Resolve a host name to an address so that ``localhost`` and ``127.0.0.1`` compare equal."""
    try:
        return socket.gethostbyname(host)
    except OSError:
        return host.lower()


def _authority_key(host: str, port: Any) -> str:
    return f"{_canonical_host(str(host))}:{port}".lower()


def _device_key(proxy: Any) -> tuple[str, str, str]:
    """(canonical device key, device display name, TRL suffix) of a proxy, without asking the
    device: the key is ``host:port/domain/family/member`` of its database (or of the device
    itself for ``#dbase=no``), lower-case, with the host resolved to an address."""
    dev_name = str(proxy.dev_name())
    try:
        uses_db = proxy.is_dbase_used()
    except Exception:
        uses_db = True
    if uses_db:
        authority = _authority_key(proxy.get_db_host(), proxy.get_db_port())
        return f"{authority}/{dev_name}".lower(), dev_name, ""
    authority = _authority_key(proxy.get_dev_host(), proxy.get_dev_port())
    return f"{authority}/{dev_name}".lower(), f"tango://{authority}/{dev_name}", "#dbase=no"


def _spelling(name: str) -> str:
    """A typed name in the form kept for quick matching: lower-case, no ``tango://``."""
    text = name.strip().lower()
    return text[len("tango://"):] if text.startswith("tango://") else text


def _did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.5)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(lowered[c]) for c in close) + "?"


# --------------------------------------------------------------------------------------------
# subscriptions
# --------------------------------------------------------------------------------------------

@dataclass
class Subscription:
    """One monitored attribute."""

    number: int                     # the monitor's own short id (shown in the table)
    key: str                        # canonical "host:port/dev/attr" (lower-case)
    name: str                       # display name: "sys/tg_test/1/double_scalar"
    device: str                     # display device name
    attribute: str                  # the attribute's own spelling
    event_type: str                 # "change", "periodic", ...
    proxy: Any
    event_id: int | None = None
    count: int = 0
    errors: int = 0
    last: EventRecord | None = None
    aliases: set[str] = field(default_factory=set)   # lower-case names that also mean this one
    since: _dt.datetime = field(default_factory=_dt.datetime.now)
    # recent numeric scalar values, oldest first; replaced (never mutated) so readers need no lock
    history: tuple[float, ...] = ()
    facts: tuple[str, str] | None = None   # (label, unit) from its configuration, once asked
    period: float | None = None       # seconds between readings of a client-polled attribute
    poller: ClientPoller | None = None
    server: ServerPolling | None = None   # what --server-poll changed on the server, to undo

    @property
    def how(self) -> str:
        """``change events`` or ``client-polled every 1 s``."""
        if self.event_type == CLIENT_POLLED:
            return f"{CLIENT_POLLED} every {format_period(self.period or DEFAULT_PERIOD)}"
        return f"{self.event_type} events"

    def stop(self) -> list[str]:
        """End the events or the readings and undo what %mon configured on the server; returns
        what was put back.  Errors (a device gone meanwhile) are not raised."""
        if self.poller is not None:
            self.poller.stop()
        if self.event_id is not None:
            try:
                self.proxy.unsubscribe_event(self.event_id)
            except Exception:
                pass
        return self.server.undo() if self.server is not None else []


class Monitor:
    """Subscriptions of one shell plus their shared event log."""

    def __init__(self, proxy_factory: Callable[[str], Any] | None = None,
                 capacity: int = DEFAULT_CAPACITY) -> None:
        self.log = EventLog(capacity)
        self._subs: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        self._numbers = 0
        self._proxy_factory = proxy_factory
        self._proxies: dict[str, Any] = {}

    # -- helpers -----------------------------------------------------------------------------

    def _proxy(self, device_trl: str) -> Any:
        if device_trl.lower() not in self._proxies:
            factory = self._proxy_factory
            if factory is None:
                from tango_core import DeviceProxy, GreenMode

                # %mon's threads block: its proxies are synchronous whatever the shell's green mode
                factory = partial(DeviceProxy, green_mode=GreenMode.Synchronous)
            self._proxies[device_trl.lower()] = factory(device_trl)
        return self._proxies[device_trl.lower()]

    def _resolve_alias(self, name: str) -> str:
        """An attribute alias (no "/" at all) -> the full ``device/attribute`` name it stands for,
        asked of the default database; any other name is returned unchanged."""
        if "/" in name or "#" in name:
            return name
        import tango_core

        try:
            return str(tango_core.Database().get_attribute_from_alias(name.strip()))
        except tango_core.DevFailed as exc:
            raise UsageError(f"%mon: {name!r} is neither <device>/<attribute> nor an attribute alias "
                             f"({_display.short_error(exc)})") from None

    def attribute_facts(self, sub: Subscription) -> tuple[str, str]:
        """(label, unit) of a monitored attribute, asked of its device once (with a short
        timeout: a plot must not wait long for its axis label); ("", "") when unknown."""
        if sub.facts is None:
            try:
                with _display._short_timeout(sub.proxy, _display.RENDER_TIMEOUT_MS):
                    config = sub.proxy.get_attribute_config(sub.attribute)
                unit = str(getattr(config, "unit", "") or "")
                sub.facts = (str(getattr(config, "label", "") or ""),
                             "" if _display._not_specified(unit) else unit)
            except Exception:
                return ("", "")
        return sub.facts

    def facts_for(self, key: str) -> tuple[str, str]:
        """:meth:`attribute_facts` of the subscription with that key, if still monitored."""
        with self._lock:
            sub = self._subs.get(key)
        return self.attribute_facts(sub) if sub is not None else ("", "")

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return sorted(self._subs.values(), key=lambda s: s.number)

    def _find_typed(self, name: str) -> Subscription | None:
        """Match a name against known spellings without any network call."""
        wanted = _spelling(name)
        subs = self.subscriptions()
        for sub in subs:
            if wanted in sub.aliases or wanted == sub.key:
                return sub
        short = [s for s in subs if s.name.lower() == wanted or s.key.split("/", 1)[1] == wanted]
        if len(short) > 1:
            raise UsageError(f"%mon: {name!r} matches several subscriptions on different hosts: "
                             + ", ".join(s.key for s in short) + "; give the full tango:// name")
        return short[0] if short else None

    def find(self, name: str) -> Subscription | None:
        """The subscription a name refers to (case/TRL/alias-insensitive), or None."""
        sub = self._find_typed(name)
        if sub is not None or not self._subs:
            return sub
        parsed = _parse_name(self._resolve_alias(name))
        try:
            proxy = self._proxy(parsed.device_trl())
            dev_key, _, suffix = _device_key(proxy)
        except Exception:
            return None
        with self._lock:
            return self._subs.get(f"{dev_key}/{parsed.attribute.lower()}{suffix}")

    # -- subscribe / unsubscribe -------------------------------------------------------------

    def subscribe(self, name: str, event_type: str | None = None, period: float | None = None,
                  server_poll: float | None = None) -> tuple[Subscription, str]:
        """Subscribe to ``name``; returns the subscription and what to tell the user (may be "").

        With no ``event_type``, change events are asked for, periodic ones when the attribute
        has no change criteria, and when its server sends no events for it at all (not polled,
        an old server) the attribute is read from here every ``period`` seconds (default 1):
        ``client-polled``.  ``server_poll`` (seconds) first has the server poll the attribute
        and sets the change criteria events need (undone by :meth:`unsubscribe`).
        """
        import tango_core

        if event_type is not None and event_type not in EVENT_TYPES:
            raise UsageError(f"%mon -t: unknown event type {event_type!r}"
                             + _did_you_mean(event_type, EVENT_TYPES)
                             + f" (one of: {', '.join(EVENT_TYPES)})")
        typed, name = name, self._resolve_alias(name)
        parsed = _parse_name(name)
        existing = self._find_typed(typed) or self._find_typed(name)
        if existing is not None:
            raise UsageError(f"%mon -a: already monitoring {existing.name} ({existing.how}); "
                             "use %mon -d first to change how")
        proxy = self._proxy(parsed.device_trl())
        dev_key, dev_display, suffix = _device_key(proxy)
        attributes = list(proxy.get_attribute_list())
        spelled = {a.lower(): a for a in attributes}
        attr = spelled.get(parsed.attribute.lower())
        if attr is None:
            raise UsageError(f"%mon -a: device {dev_display} has no attribute {parsed.attribute!r}"
                             + _did_you_mean(parsed.attribute, attributes))
        key = f"{dev_key}/{attr.lower()}{suffix}"
        with self._lock:
            if key in self._subs:
                sub = self._subs[key]
                sub.aliases.add(_spelling(name))
                raise UsageError(f"%mon -a: already monitoring {sub.name} ({sub.how})")
            self._numbers += 1
            sub = Subscription(self._numbers, key, f"{dev_display}/{attr}{suffix}", dev_display, attr,
                               event_type or "change", proxy)
            sub.aliases.update({_spelling(typed), _spelling(name), _spelling(sub.name)})
            self._subs[key] = sub
        notes: list[str] = []
        try:
            if server_poll is not None:
                sub.server = configure_server_polling(proxy, attr, server_poll, event_type or "change")
                notes.append(f"{sub.name}: " + "; ".join(sub.server.done) + ".")
            try:
                sub.event_id = self._subscribe_events(proxy, sub, event_type, tango_core, notes)
            except tango_core.DevFailed as exc:
                reason = next((e.reason for e in exc.args
                               if getattr(e, "reason", "") in NO_EVENTS_REASONS), None)
                if reason is None:
                    raise
                if event_type is not None or server_poll is not None:
                    every = format_period(period or DEFAULT_PERIOD)
                    hint = (f"Leave out -t to have %mon read it every {every} itself, or add "
                            "--server-poll SECONDS to have its server poll it"
                            if server_poll is None else
                            f"Leave out -t and --server-poll to have %mon read it every {every} itself")
                    raise UsageError(f"%mon -a: no {sub.event_type} events: "
                                     f"{_no_events_cause(sub.name, reason, exc)}. {hint}") from None
                sub.event_type = CLIENT_POLLED
                sub.period = period or DEFAULT_PERIOD
                sub.poller = ClientPoller(proxy, attr, sub.period, self._callback(sub),
                                          name=sub.name).start()
                notes = [f"Monitoring {sub.name} by reading it every {format_period(sub.period)} "
                         f"({CLIENT_POLLED}): {_no_events_cause('it', reason, exc)}; "
                         "%mon -a NAME --server-poll SECONDS has its server poll it instead."]
        except BaseException:
            with self._lock:
                self._subs.pop(key, None)
                if self._numbers == sub.number:  # keep the table's numbers without gaps
                    self._numbers -= 1
            undone = sub.stop()
            if undone:
                notes = [f"{sub.name}: " + "; ".join(undone) + "."]
                print(notes[0])
            raise
        return sub, "\n".join(notes)

    def _subscribe_events(self, proxy: Any, sub: Subscription, event_type: str | None,
                          tango_core: Any, notes: list[str]) -> int:
        try:
            return self._subscribe_one(proxy, sub, tango_core)
        except tango_core.DevFailed as exc:
            reasons = {getattr(e, "reason", "") for e in exc.args}
            if event_type is not None or _NO_CHANGE_CRITERIA not in reasons:
                raise
            sub.event_type = "periodic"
            event_id = self._subscribe_one(proxy, sub, tango_core)
            notes.append(f"{sub.name} has no change criteria (abs_change/rel_change): "
                         "monitoring periodic events instead")
            return event_id

    def _subscribe_one(self, proxy: Any, sub: Subscription, tango_core: Any) -> int:
        event_type = getattr(tango_core.EventType, EVENT_TYPES[sub.event_type])
        return proxy.subscribe_event(sub.attribute, event_type, self._callback(sub))

    def _callback(self, sub: Subscription) -> Callable[[Any], None]:
        """The function Tango's event thread calls: record, count, nothing else."""
        def push_event(event: Any) -> None:
            try:
                self._record(sub, event)
            except Exception:  # never let a formatting problem kill the event thread
                pass
        return push_event

    def _record(self, sub: Subscription, event: Any) -> EventRecord:
        errors = tuple(getattr(event, "errors", ()) or ()) if getattr(event, "err", False) else ()
        value_text, quality, source_time, number, scalar = "", None, None, None, None
        attr_value = getattr(event, "attr_value", None)
        if errors:
            value_text = _display.short_error(errors)
        elif attr_value is not None:
            if getattr(attr_value, "has_failed", False):
                errors = tuple(attr_value.get_err_stack())
                value_text = _display.short_error(errors)
            else:
                value = getattr(attr_value, "value", None)
                value_text = _display.format_value(value)
                if _display.enum_name(getattr(attr_value, "data_format", "")) == "SCALAR":
                    scalar = value
                quality = getattr(attr_value, "quality", None)
                number = plain_number(value)
                if number is not None:
                    if not isinstance(value, numbers.Integral):
                        value_text = f"{number:.10g}"   # tables stay narrow; -i shows the full value
                try:
                    source_time = attr_value.time.todatetime()
                except Exception:
                    source_time = None

        def make(new_id: int) -> EventRecord:
            return EventRecord(new_id, _dt.datetime.now(), sub.key, sub.device, sub.attribute,
                               sub.event_type, value_text, quality, source_time, errors, event,
                               scalar)
        record = self.log.append(make)
        with self._lock:
            sub.count += 1
            sub.errors += bool(errors)
            sub.last = record
            if number is not None:
                sub.history = (sub.history + (number,))[-TREND_POINTS:]
        return record

    def unsubscribe(self, name: str) -> tuple[Subscription, list[str]]:
        """Stop monitoring ``name``; returns the subscription and what was put back on its
        server (what ``--server-poll`` had configured)."""
        sub = self.find(name)
        if sub is None:
            known = [s.name for s in self.subscriptions()]
            hint = _did_you_mean(name, known) if known else " (nothing is monitored)"
            raise UsageError(f"%mon -d: not monitoring {name!r}{hint}")
        with self._lock:
            self._subs.pop(sub.key, None)
        return sub, sub.stop()

    def unsubscribe_all(self) -> list[tuple[Subscription, list[str]]]:
        """Unsubscribe everything (and undo what %mon configured); errors from unreachable
        devices do not stop the others."""
        with self._lock:
            subs = list(self._subs.values())
            self._subs.clear()
        return [(sub, sub.stop()) for sub in subs]

    def close(self) -> None:
        self.unsubscribe_all()
        self._proxies.clear()


# --------------------------------------------------------------------------------------------
# the magic
# --------------------------------------------------------------------------------------------

# shell -> its Monitor (weak keys: a new shell never inherits a dead one's subscriptions)
_MONITORS: "weakref.WeakKeyDictionary[Any, Monitor]" = weakref.WeakKeyDictionary()

_OPTIONS = {"-a": "add", "--add": "add", "-d": "delete", "--delete": "delete",
            "-r": "remove-all", "--remove-all": "remove-all", "-l": "list", "--list": "list",
            "-i": "info", "--info": "info", "-w": "watch", "--watch": "watch",
            "-p": "plot", "--plot": "plot", "-o": "output", "--output": "output", "--csv": "csv",
            "-t": "type", "--type": "type", "--for": "for", "--all": "all",
            "--period": "period", "--server-poll": "server-poll", "-h": "help", "--help": "help"}
#: the short form shown in messages for each action
_SHORT = {"add": "-a", "delete": "-d", "remove-all": "-r", "list": "-l", "info": "-i",
          "watch": "-w", "plot": "-p", "output": "-o", "csv": "--csv", "help": "-h"}


def get_monitor(shell: Any) -> Monitor:
    """The shell's monitor, created on first use."""
    monitor = _MONITORS.get(shell)
    if monitor is None:
        monitor = _MONITORS[shell] = Monitor()
    return monitor


def close_monitor(shell: Any) -> None:
    """Unsubscribe everything of this shell (extension unload / shell exit)."""
    monitor = _MONITORS.pop(shell, None)
    if monitor is not None:
        monitor.close()


#: the name the extension's unload hook calls
unload = close_monitor


@dataclass
class _Request:
    action: str = "table"
    event_type: str | None = None
    seconds: float | None = None
    all: bool = False
    period: float | None = None
    server_poll: float | None = None
    target: str | None = None      # the NAME of -o, the FILE of --csv
    args: list[str] = field(default_factory=list)


def _value(words: list[str], i: int, option: str, what: str) -> str:
    if i + 1 >= len(words):
        raise UsageError(f"%mon {option}: needs {what}")
    return words[i + 1]


def _parse(line: str) -> _Request:
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%mon: {exc}\n{USAGE}") from None
    req = _Request()
    actions = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-") and not _looks_like_number(word):
            opt = _OPTIONS.get(word)
            if opt is None:
                raise UsageError(f"%mon: unknown option {word!r}"
                                 + _did_you_mean(word, [o for o in _OPTIONS if o.startswith("-")])
                                 + f"\n{USAGE}")
            if opt == "type":
                req.event_type = _value(words, i, "-t", "an event type: " + ", ".join(EVENT_TYPES)).lower()
            elif opt == "for":
                try:
                    req.seconds = float(_value(words, i, "--for", "a number of seconds"))
                    if not req.seconds > 0:
                        raise ValueError
                except ValueError:
                    raise UsageError("%mon --for: needs a number of seconds > 0 (with -w)") from None
            elif opt in ("period", "server-poll"):
                text = _value(words, i, f"--{opt}", "a period in seconds (e.g. 1, 0.5, 500ms)")
                try:
                    seconds = parse_period(text, f"--{opt}")
                except ValueError as exc:
                    raise UsageError(f"%mon {exc}") from None
                if opt == "period":
                    req.period = seconds
                else:
                    req.server_poll = seconds
            elif opt in ("output", "csv"):
                actions.append(opt)
                req.target = _value(words, i, _SHORT[opt], "a variable name" if opt == "output"
                                    else "a file name")
            elif opt == "all":
                req.all = True
                i += 1
                continue
            else:
                actions.append(opt)
                i += 1
                continue
            i += 2
            continue
        req.args.append(word)
        i += 1
    if len(set(actions)) > 1:
        raise UsageError(f"%mon: choose one of {', '.join(_SHORT[a] for a in dict.fromkeys(actions))}"
                         f"\n{USAGE}")
    if actions:
        req.action = actions[0]
    if req.event_type is not None and req.action != "add":
        raise UsageError("%mon -t: only goes with -a (e.g. %mon -a sys/tg_test/1/double_scalar -t periodic)")
    for given, option in ((req.period, "--period"), (req.server_poll, "--server-poll")):
        if given is not None and req.action != "add":
            raise UsageError(f"%mon {option}: only goes with -a (e.g. %mon -a sys/tg_test/1/"
                             f"double_scalar {option} 0.5)")
    if req.period is not None and (req.server_poll is not None or req.event_type is not None):
        raise UsageError("%mon --period: is the interval of %mon's own readings, used when the "
                         "server sends no events; it does not go with -t or --server-poll")
    if req.all and req.action != "list":
        raise UsageError("%mon --all: only goes with -l (e.g. %mon -l --all)")
    if req.seconds is not None and req.action != "watch":
        raise UsageError("%mon --for: only goes with -w (e.g. %mon -w --for 10)")
    limits = {"table": 0, "add": 1, "delete": 1, "remove-all": 0, "list": 2, "info": 1, "watch": 2,
              "plot": 2, "output": 2, "csv": 2, "help": 0}
    if len(req.args) > limits[req.action]:
        raise UsageError(f"%mon: too many arguments: {' '.join(req.args)}\n{USAGE}")
    if req.action in ("add", "delete", "info") and not req.args:
        what = "an event id" if req.action == "info" else "an attribute (<device>/<attribute>)"
        raise UsageError(f"%mon {_SHORT[req.action]}: needs {what}")
    if req.action == "output" and not req.target.isidentifier():
        raise UsageError(f"%mon -o: {req.target!r} is not a Python name (e.g. %mon -o events)")
    return req


def _looks_like_number(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False


def _shell_wants_color(shell: Any) -> bool:
    return str(getattr(shell, "colors", "nocolor")).lower() != "nocolor"


def _show(shell: Any, view: Any) -> None:
    """Show a view without an ``Out[n]`` entry: in a kernel, published with its HTML form for
    the frontend; in a terminal, printed on stdout (where ITango's pager put it too, so that
    ``capture_output().stdout`` sees it as with ITango)."""
    view.color = _shell_wants_color(shell)
    if in_kernel(shell):
        data, metadata = shell.display_formatter.format(view)
        shell.display_pub.publish(data=data, metadata=metadata)
    else:
        print(view.text(view.color))


def _put_back(undone: list[str]) -> str:
    return (" Put back on its server: " + "; ".join(undone) + ".") if undone else ""


def _no_events_cause(name: str, reason: str, exc: BaseException) -> str:
    """Why the server sends no events, in the user's words, with Tango's reason."""
    if reason == "API_AttributePollingNotStarted":
        words = f"{name} is not polled by its server"
    elif reason == "API_EventPropertiesNotSet":
        words = f"{name} has no event criteria on its server"
    else:
        words = f"{name} gets no events from its server"
    desc = next((" ".join(str(e.desc).split()) for e in exc.args if getattr(e, "reason", "") == reason), "")
    return f"{words} ({reason}{': ' + desc if desc and reason not in ('API_AttributePollingNotStarted', 'API_EventPropertiesNotSet') else ''})"


def _first_reason(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    return getattr(args[0], "reason", "") if args else ""


def _suggest_device(shell: Any, name: str, cause: BaseException) -> None:
    """Turn "no such device" into a UsageError with "did you mean", from the shell session's
    device list (``session.resolve_device``); silent without a session."""
    try:
        from .session import get_session
        session = get_session(shell)
    except Exception:
        return
    if session is None:
        return
    parsed = _parse_name(name)
    device = f"tango://{parsed.authority}/{parsed.device}" if parsed.authority else parsed.device
    try:
        session.resolve_device(device)
    except UsageError as exc:
        raise UsageError(f"%mon -a: {exc}") from cause
    except Exception:
        return


def mon_magic(shell: Any, line: str) -> None:
    """Run ``%mon <line>`` for ``shell`` (the core Magics class delegates here)."""
    display = lambda view: _show(shell, view)  # noqa: E731

    req = _parse(line)
    monitor = get_monitor(shell)
    if req.action == "help":
        print(USAGE)
    elif req.action == "table":
        display(SubscriptionTable(monitor.subscriptions(), monitor.log))
    elif req.action == "add":
        try:
            sub, note = monitor.subscribe(req.args[0], req.event_type, period=req.period,
                                          server_poll=req.server_poll)
        except Exception as exc:
            if _first_reason(exc) == "DB_DeviceNotDefined":
                _suggest_device(shell, req.args[0], exc)
            raise
        if note:
            print(note)
        if sub.event_type != CLIENT_POLLED:   # that note already said how it is monitored
            print(f"Monitoring {sub.name} ({sub.how}). "
                  "%mon shows the latest values, %mon -w a live view.")
    elif req.action == "delete":
        sub, undone = monitor.unsubscribe(req.args[0])
        print(f"Stopped monitoring {sub.name} ({sub.count} event(s) received)."
              + _put_back(undone))
    elif req.action == "remove-all":
        stopped = monitor.unsubscribe_all()
        print(f"Stopped monitoring {len(stopped)} attribute(s).")
        for sub, undone in stopped:
            if undone:
                print(f"  {sub.name}:" + _put_back(undone))
    elif req.action in ("output", "csv"):
        from .event_export import export_csv, records_table

        dev_f = req.args[0] if req.args else None
        attr_f = req.args[1] if len(req.args) > 1 else None
        records = monitor.log.records(dev_f, attr_f)
        if req.action == "output":
            table = records_table(records)
            shell.push({req.target: table}, interactive=True)
            kind = type(table).__module__.split(".")[0] + "." + type(table).__name__
            print(f"{req.target}: the {len(records)} event(s) of the log as a {kind}"
                  + ("" if kind == "pandas.DataFrame" else " of dicts (pandas is not installed)"))
        else:
            try:
                path = export_csv(records, req.target)
            except OSError as exc:
                raise UsageError(f"%mon --csv: cannot write {req.target!r}: {exc.strerror or exc}") from None
            print(f"Wrote {len(records)} event(s) to {path}")
    elif req.action == "list":
        dev_f = req.args[0] if req.args else None
        attr_f = req.args[1] if len(req.args) > 1 else None
        filters = " ".join(f"{k}~{v}" for k, v in (("device", dev_f), ("attribute", attr_f)) if v)
        display(EventTable(monitor.log.records(dev_f, attr_f), monitor.log, filters,
                           limit=None if req.all else LIST_LIMIT))
    elif req.action == "info":
        try:
            event_id = int(req.args[0])
        except ValueError:
            raise UsageError(f"%mon -i: {req.args[0]!r} is not an event id (a number from %mon -l)") from None
        try:
            record = monitor.log.get(event_id)
        except KeyError as exc:
            raise UsageError(f"%mon -i: {exc.args[0]}") from None
        array = _display.enum_name(getattr(getattr(record.data, "attr_value", None), "data_format", ""))
        facts = monitor.facts_for(record.key) if array in ("SPECTRUM", "IMAGE") else ("", "")
        display(EventDetail(record, unit=facts[1], label=facts[0]))
    elif req.action == "plot":
        dev_f = req.args[0] if req.args else None
        attr_f = req.args[1] if len(req.args) > 1 else None
        display(MonitorPlot(monitor, dev_f, attr_f))
    elif req.action == "watch":
        dev_f = req.args[0] if req.args else None
        attr_f = req.args[1] if len(req.args) > 1 else None
        # nothing to watch: say so, rather than a live view of nothing that waits for a key
        # (and takes the first key of the next command)
        if not monitor.subscriptions():
            print(SubscriptionTable([], monitor.log).text())
            return
        if not filtered_subscriptions(monitor, dev_f, attr_f):
            raise UsageError(f"%mon -w: no monitored attribute matches {' '.join(req.args)!r}; "
                             f"%mon lists them")
        if in_kernel(shell):
            kernel_live_view(shell, monitor, dev_f, attr_f, seconds=req.seconds or KERNEL_WATCH_SECONDS)
        elif sys.stdin.isatty() and sys.stdout.isatty():
            live_view(monitor, dev_f, attr_f, color=_shell_wants_color(shell), seconds=req.seconds)
        else:
            print(live_text(monitor, dev_f, attr_f, color=False))
            print("(not a terminal: one snapshot shown instead of the live view)")
