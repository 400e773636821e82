"""Monitoring an attribute whose server sends no events: ``%mon``'s two ways round it.

Most attributes of a real control system are not polled by their server and have no change
criteria, so a subscription fails (``API_AttributePollingNotStarted``,
``API_EventPropertiesNotSet``); old servers cannot send ZeroMQ events at all.  ``%mon`` then

* reads the attribute itself at an interval (:class:`ClientPoller`, ``--period``): each reading
  is logged like an event, marked ``client-polled``; nothing is changed on the server;
* or, with ``--server-poll``, asks the server to poll it and sets the change criteria that
  events need (:func:`configure_server_polling`), remembering how to put back exactly what it
  changed (``%mon -d`` does).

A poller runs in a daemon thread of its own and only appends to the log, like Tango's event
thread: nothing is printed over the prompt, and a slow or dead device delays only its own
readings (each bounded by the proxy's timeout).
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["CLIENT_POLLED", "NO_EVENTS_REASONS", "DEFAULT_PERIOD", "ClientReading", "ClientPoller",
           "ServerPolling", "configure_server_polling", "parse_period", "format_period"]

#: the event type shown for attributes %mon reads itself
CLIENT_POLLED = "client-polled"
#: seconds between two readings of a client-polled attribute unless --period says otherwise
DEFAULT_PERIOD = 1.0
#: the shortest interval accepted (a shell is not a data acquisition system)
MIN_PERIOD = 0.05

#: reasons for which a subscription fails because the server sends no events for the
#: attribute (rather than because the device or the name is wrong)
NO_EVENTS_REASONS = frozenset({
    "API_AttributePollingNotStarted",   # not polled by its server
    "API_EventPropertiesNotSet",        # no abs_change/rel_change (archive: no criteria/period)
    "API_NotSupportedFeature",          # an event kind or transport the server cannot offer
    "API_CommandNotFound",              # a server older than ZeroMQ events
})

#: data types whose change events need abs_change or rel_change (cppTango sends changes of
#: strings, booleans, states and enums without criteria)
_INTEGER_TYPES = frozenset({"DevShort", "DevLong", "DevLong64", "DevUChar", "DevUShort", "DevULong",
                            "DevULong64"})
_FLOAT_TYPES = frozenset({"DevFloat", "DevDouble"})
#: the threshold --server-poll sets so that any change of a number is an event: 1 for
#: integers; for floats a tiny one (a threshold of 0 means "not set" to Tango)
ANY_CHANGE = {"integer": "1", "float": "1e-30"}


def parse_period(text: str, option: str) -> float:
    """``1``, ``0.5``, ``2s`` or ``500ms`` -> seconds; a UsageError-worthy ValueError otherwise."""
    word = text.strip().lower()
    scale = 1.0
    if word.endswith("ms"):
        word, scale = word[:-2], 0.001
    elif word.endswith("s"):
        word = word[:-1]
    try:
        seconds = float(word) * scale
    except ValueError:
        raise ValueError(f"{option}: needs a period in seconds (e.g. 1, 0.5, 500ms), not {text!r}") from None
    if not seconds >= MIN_PERIOD:
        raise ValueError(f"{option}: the period must be at least {MIN_PERIOD:g} s (got {text!r})")
    return seconds


def format_period(seconds: float) -> str:
    return f"{seconds:g} s" if seconds >= 1 else f"{seconds * 1000:g} ms"


# --------------------------------------------------------------------------------------------
# reading it ourselves
# --------------------------------------------------------------------------------------------

@dataclass
class ClientReading:
    """One reading made by a :class:`ClientPoller`, shaped like the EventData the log keeps
    (``attr_value``, ``err``, ``errors``), so both kinds of rows are shown the same way."""

    attr_name: str
    attr_value: Any = None          # the DeviceAttribute read, or None when the read failed
    errors: tuple = ()
    reception_date: _dt.datetime = field(default_factory=_dt.datetime.now)
    event: str = CLIENT_POLLED

    @property
    def err(self) -> bool:
        return bool(self.errors)


class ClientPoller:
    """Reads one attribute every ``period`` seconds in a daemon thread and hands each reading
    (or the error) to ``record``; :meth:`stop` ends it (a read in progress finishes on its own,
    bounded by the proxy's timeout, and is not recorded)."""

    def __init__(self, proxy: Any, attribute: str, period: float,
                 record: Callable[[ClientReading], Any], name: str = "") -> None:
        self.proxy = proxy
        self.attribute = attribute
        self.period = period
        self._record = record
        self._stop = threading.Event()
        self._last_errors: tuple = ()  # of the last reading, when it failed
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"itango-mon-poll {name or attribute}")

    def start(self) -> "ClientPoller":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            reading = self._read()
            if self._stop.is_set():
                return
            try:
                self._record(reading)
            except Exception:  # a formatting problem must not end the readings
                pass
            due += self.period
            now = time.monotonic()
            if due < now:          # a read took longer than the period: no burst to catch up
                due = now
            self._stop.wait(due - now)

    def _read(self) -> ClientReading:
        try:
            reading = ClientReading(self.attribute, attr_value=self.proxy.read_attribute(self.attribute))
        except Exception as exc:  # DevFailed (its DevErrors) or anything else, as one error
            errors = tuple(e for e in getattr(exc, "args", ()) if hasattr(e, "reason"))
            if not errors:
                errors = (_PlainError(type(exc).__name__, str(exc)),)
            if _reconnection_delayed(errors) and self._last_errors:
                # Tango tries a failed connection again only a second later, so a device that
                # is down answers every other reading at a 1 s period with "The connection
                # request was delayed": nothing was asked, the last failure still says why
                errors = self._last_errors
            reading = ClientReading(self.attribute, errors=errors)
        self._last_errors = reading.errors
        return reading


def _reconnection_delayed(errors: tuple) -> bool:
    """Whether a read failed without trying: the client waits between two connection attempts
    (cppTango's ``Connection::reconnect()``, "The connection request was delayed")."""
    return any(getattr(e, "reason", "") == "API_CantConnectToDevice" and
               "connection request was delayed" in str(getattr(e, "desc", "")) for e in errors)


@dataclass
class _PlainError:
    """A non-Tango exception of a read, shaped like a DevError for the log's views."""

    reason: str
    desc: str
    origin: str = "itango %mon client polling"
    severity: str = "ERR"


# --------------------------------------------------------------------------------------------
# asking the server to poll it
# --------------------------------------------------------------------------------------------

@dataclass
class ServerPolling:
    """What :func:`configure_server_polling` did: sentences for the user, and how to undo it."""

    done: list[str] = field(default_factory=list)
    _undo: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self._undo)

    def undo(self) -> list[str]:
        """Put back what was changed, newest first; returns what was put back and what could not
        be (a device that is gone cannot be reconfigured: say so, do not raise)."""
        said = []
        while self._undo:
            what, step = self._undo.pop()
            try:
                step()
                said.append(what)
            except Exception as exc:
                said.append(f"could not put back: {what} ({_short(exc)})")
        return said


def _short(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    first = args[0] if args else None
    if first is not None and hasattr(first, "reason"):
        return f"{first.reason}: {' '.join(str(first.desc).split())}"
    return f"{type(exc).__name__}: {exc}"


def _type_name(data_type: Any) -> str:
    name = getattr(data_type, "name", None)
    if isinstance(name, str):
        return name
    try:
        import tango_core

        return tango_core.CmdArgType(int(data_type)).name
    except Exception:
        return str(data_type)


def _not_set(value: Any) -> bool:
    return str(value).strip().lower() in ("", "not specified", "nan", "none", "0")


def configure_server_polling(proxy: Any, attribute: str, period: float,
                             event_type: str) -> ServerPolling:
    """Have the device's server poll ``attribute`` every ``period`` seconds (unless it already
    polls it: then its period is left alone) and, for change and archive events of a number
    without criteria, set a threshold that makes any change an event.  Only what was missing is
    changed; the returned :class:`ServerPolling` undoes exactly that."""
    result = ServerPolling()
    period_ms = max(int(round(period * 1000)), 1)
    current = proxy.get_attribute_poll_period(attribute)
    if current:
        result.done.append(f"its server already polls it every {format_period(current / 1000)} "
                           "(left as it is)")
    else:
        proxy.poll_attribute(attribute, period_ms)
        result.done.append(f"its server now polls it every {format_period(period_ms / 1000)}")
        result._undo.append(("server polling stopped", lambda: proxy.stop_poll_attribute(attribute)))
    if event_type not in ("change", "archive"):
        return result
    config = proxy.get_attribute_config(attribute)
    type_name = _type_name(config.data_type)
    kind = "integer" if type_name in _INTEGER_TYPES else "float" if type_name in _FLOAT_TYPES else None
    if kind is None:
        return result   # strings, booleans, states, enums: changes need no criteria
    if event_type == "change":
        info, keys = config.events.ch_event, ("abs_change", "rel_change")
    else:
        info, keys = config.events.arch_event, ("archive_abs_change", "archive_rel_change",
                                                "archive_period")
    if not all(_not_set(getattr(info, k, "")) for k in keys):
        return result   # the device has criteria of its own: keep them
    key = keys[0]
    before = getattr(info, key)
    setattr(info, key, ANY_CHANGE[kind])
    proxy.set_attribute_config(config)
    result.done.append(f"{key} = {ANY_CHANGE[kind]} (every change of the value is an event)")

    def restore() -> None:
        again = proxy.get_attribute_config(attribute)
        target = again.events.ch_event if event_type == "change" else again.events.arch_event
        setattr(target, key, before)
        proxy.set_attribute_config(again)
    result._undo.append((f"{key} back to {before!r}", restore))
    return result
