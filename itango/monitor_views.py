"""What ``%mon`` shows: the subscription table, the event log table, one event in detail, and the
live view (prompt_toolkit in a terminal, an updated display in a Jupyter kernel).

Each view renders as terminal text (``text(color)``, also ``_repr_pretty_``) and as
self-contained HTML (``_repr_html_``) built from itango.display's pieces.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from typing import TYPE_CHECKING, Any, Sequence

from . import display as _display
from .event_log import EventLog, EventRecord, filter_regex
from .polling import CLIENT_POLLED, DEFAULT_PERIOD, format_period

if TYPE_CHECKING:  # only for annotations: monitor imports this module
    from .monitor import Monitor, Subscription

__all__ = ["SubscriptionTable", "EventTable", "EventDetail", "MonitorPlot", "live_text", "live_view",
           "kernel_live_view", "in_kernel", "filtered_subscriptions"]


# --------------------------------------------------------------------------------------------
# what the magic shows (text for the terminal, HTML for qtconsole/Jupyter)
# --------------------------------------------------------------------------------------------

def _shell_color() -> bool:
    try:
        from IPython import get_ipython
        ip = get_ipython()
    except Exception:
        ip = None
    if ip is None:
        return False
    return str(getattr(ip, "colors", "nocolor")).lower() != "nocolor"


def _hms(when: _dt.datetime | None) -> str:
    return when.strftime("%H:%M:%S.%f")[:-3] if when else "-"


class SubscriptionTable:
    """Bare ``%mon``: one row per monitored attribute with its latest event."""

    HEADERS = ("#", "Attribute", "Event", "Count", "Last value", "Quality", "Last event", "Trend")

    color: bool | None = None   # None: follow the current shell's %colors

    def __init__(self, subs: Sequence[Subscription], log: EventLog) -> None:
        self.subs = list(subs)
        self.total = log.last_id

    def rows(self) -> list[list[str]]:
        out = []
        for s in self.subs:
            last = s.last
            if last is None:
                value, quality, when = "(no event yet)", "-", "-"
            elif last.failed:
                value, quality, when = "ERROR " + last.value_text, "-", _hms(last.received)
            else:
                value, quality, when = last.value_text, _display.enum_name(last.quality), _hms(last.received)
            count = str(s.count) + (f" ({s.errors} err)" if s.errors else "")
            out.append([str(s.number), s.name, _event_label(s), count, value, quality, when,
                        _display.sparkline(s.history)])
        return out

    def text(self, color: bool = False, width: int | None = None) -> str:
        """``width``: the terminal's columns (by default, when stdout is one): the Last value
        column is cut so that each row stays on one line."""
        if not self.subs:
            return "No attribute is monitored. Start with: %mon -a <device>/<attribute>"
        rows = self.rows()
        colors = [["", "1", _event_sgr(s.event_type), "", "31" if s.last and s.last.failed else "",
                   _quality_sgr(s.last), "", "36"] for s in self.subs]
        width = width or _display.terminal_columns()
        return _display.table_text(self.HEADERS, rows, colors, color, width=width and width - 1,
                                   fit=self.HEADERS.index("Last value")) + \
            f"\n{len(self.subs)} monitored, {self.total} event(s) received. %mon -l shows the log."

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text(_shell_color() if self.color is None else self.color))

    def _repr_html_(self) -> str:
        if not self.subs:
            return "<p>No attribute is monitored. Start with <code>%mon -a &lt;device&gt;/&lt;attribute&gt;</code></p>"
        rows = []
        for s, row in zip(self.subs, self.rows()):
            cells = [_display.escape(c) for c in row]
            cells[2] = _event_html(s.event_type, cells[2])
            if s.last is not None and not s.last.failed:
                cells[5] = _display.quality_badge_html(s.last.quality)
            elif s.last is not None:
                cells[4] = f'<span style="color:#c00000">{cells[4]}</span>'
            rows.append(cells)
        return _display.table_html(self.HEADERS, rows, escape=False,
                                   title=f"%mon: {len(self.subs)} monitored, {self.total} event(s)")


def _event_label(sub: Subscription) -> str:
    """The Event column of the subscription table: the event type, or how often %mon reads a
    client-polled attribute."""
    if sub.event_type == CLIENT_POLLED:
        return f"{CLIENT_POLLED} ({format_period(sub.period or DEFAULT_PERIOD)})"
    return sub.event_type


def _event_sgr(event_type: str) -> str:
    """Client-polled rows stand out (magenta): those values come from %mon's own readings."""
    return "35" if event_type == CLIENT_POLLED else ""


def _event_html(event_type: str, cell: str) -> str:
    if event_type != CLIENT_POLLED:
        return cell
    return (f'<span style="color:#8e44ad" title="read by %mon at this interval: the server sends '
            f'no events for this attribute">{cell}</span>')


def _quality_sgr(record: EventRecord | None) -> str:
    if record is None or record.failed:
        return ""
    return _display.quality_colors(record.quality)[2]


class EventTable:
    """``%mon -l``: the event log, oldest first."""

    HEADERS = ("ID", "Received", "Device", "Attribute", "Event", "Value", "Quality")

    color: bool | None = None

    def __init__(self, records: Sequence[EventRecord], log: EventLog, filters: str = "",
                 limit: int | None = None) -> None:
        records = list(records)
        self.matching = len(records)
        self.records = records[-limit:] if limit and len(records) > limit else records
        self.kept, self.first, self.last = len(log), log.first_id, log.last_id
        self.filters = filters

    def rows(self) -> list[list[str]]:
        return [[str(r.id), _hms(r.received), r.device, r.attribute, r.event_type,
                 ("ERROR " if r.failed else "") + r.value_text,
                 "-" if r.failed else _display.enum_name(r.quality)] for r in self.records]

    def footer(self) -> str:
        shown = f"{len(self.records)} event(s) shown" + (f" ({self.filters})" if self.filters else "")
        if self.matching > len(self.records):
            shown += f": the last {len(self.records)} of {self.matching} (--all shows them all)"
        if not self.kept:
            return shown + "; the log is empty"
        return f"{shown}; the log keeps ids {self.first}..{self.last}. %mon -i ID for details."

    def text(self, color: bool = False, width: int | None = None) -> str:
        """``width``: as :meth:`SubscriptionTable.text` (the Value column is cut)."""
        if not self.records:
            return self.footer()
        colors = [["1", "", "", "", _event_sgr(r.event_type), "31" if r.failed else "", _quality_sgr(r)]
                  for r in self.records]
        width = width or _display.terminal_columns()
        return _display.table_text(self.HEADERS, self.rows(), colors, color, width=width and width - 1,
                                   fit=self.HEADERS.index("Value")) + "\n" + self.footer()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text(_shell_color() if self.color is None else self.color))

    def _repr_html_(self) -> str:
        rows = []
        for r, row in zip(self.records, self.rows()):
            cells = [_display.escape(c) for c in row]
            cells[4] = _event_html(r.event_type, cells[4])
            cells[6] = "-" if r.failed else _display.quality_badge_html(r.quality)
            if r.failed:
                cells[5] = f'<span style="color:#c00000">{cells[5]}</span>'
            rows.append(cells)
        return _display.table_html(self.HEADERS, rows, escape=False, title="%mon event log") + \
            f"<p>{_display.escape(self.footer())}</p>"


class EventDetail:
    """``%mon -i ID``: one event with its value card or its error stack."""

    color: bool | None = None

    def __init__(self, record: EventRecord, unit: str = "", label: str = "") -> None:
        self.record = record
        self.unit, self.label = unit, label     # from the attribute's configuration, if known

    def _facts(self) -> list[tuple[str, str]]:
        r = self.record
        rows = [("attribute", f"{r.device}/{r.attribute}"), ("event", r.event_type),
                ("received", r.received.strftime("%Y-%m-%d %H:%M:%S.%f"))]
        if r.source_time is not None:
            rows.append(("value time", r.source_time.strftime("%Y-%m-%d %H:%M:%S.%f")))
        if not r.failed:
            rows += [("quality", _display.enum_name(r.quality)), ("value", r.value_text)]
        return rows

    def text(self, color: bool = False) -> str:
        r = self.record
        lines = [f"Event {r.id}"] + [f"  {k:<11} {v}" for k, v in self._facts()]
        if r.failed:
            lines.append(_display.devfailed_text(list(r.errors), color))
        elif r.data is not None and getattr(r.data, "attr_value", None) is not None:
            lines.append(_display.device_attribute_text(r.data.attr_value, color))
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text(_shell_color() if self.color is None else self.color))

    def _repr_html_(self) -> str:
        r = self.record
        rows = [(k, _display.escape(v)) for k, v in self._facts()]
        if not r.failed:
            rows[-2] = ("quality", _display.quality_badge_html(r.quality))
        html = _display.card_html(f"Event {r.id}", rows)
        if r.failed:
            html += _display.devfailed_html(list(r.errors))
        elif r.data is not None and getattr(r.data, "attr_value", None) is not None:
            html += _display.device_attribute_html(r.data.attr_value, self.unit, self.label)
        return html

    def _repr_png_(self) -> bytes | None:
        """The plot of a spectrum or image event (what qtconsole shows when there is one)."""
        r = self.record
        attr_value = getattr(r.data, "attr_value", None)
        if r.failed or attr_value is None:
            return None
        return _display.device_attribute_png(attr_value, self.unit, self.label)


class MonitorPlot:
    """``%mon -p``: the numeric scalars of the log over time, one panel per attribute with its
    unit, points in their quality's colour and failed readings marked; the latest value of
    monitored spectra and images as their own plots (HTML).  Without matplotlib, or in a
    terminal, its text says so and shows the table with its trends."""

    color: bool | None = None

    def __init__(self, monitor: Monitor, device_filter: str | None = None,
                 attr_filter: str | None = None) -> None:
        self.monitor = monitor
        self.subs = filtered_subscriptions(monitor, device_filter, attr_filter)
        self.log = monitor.log
        self.records = monitor.log.records(device_filter, attr_filter)
        self._series_cache: list | None = None
        self._facts: dict[str, tuple[str, str]] = {}

    def facts(self, key: str) -> tuple[str, str]:
        """(label, unit) of a monitored attribute, asked of its device only when a plot is
        drawn (a terminal's text never waits for it)."""
        if key not in self._facts:
            self._facts[key] = self.monitor.facts_for(key)
        return self._facts[key]

    def series(self) -> list:
        """One :class:`itango.plots.Series` per attribute with numeric values in the log."""
        if self._series_cache is not None:
            return self._series_cache
        from .plots import Series

        hows = {s.key: s.how for s in self.subs}
        by_key: dict[str, Series] = {}
        for r in self.records:
            number = r.number
            if number is None and not r.failed:
                continue
            series = by_key.get(r.key)
            if series is None:
                series = by_key[r.key] = Series(f"{r.device}/{r.attribute}", how=hows.get(r.key, ""))
                series.key = r.key
            if r.failed:
                series.error_times.append(r.received)
            else:
                series.times.append(r.received)
                series.values.append(number)
                series.qualities.append(_display.enum_name(r.quality))
        self._series_cache = [s for s in by_key.values() if s.values]
        return self._series_cache

    def arrays(self) -> list[tuple[Subscription, Any]]:
        """(subscription, its latest spectrum/image reading) for monitored arrays."""
        found = []
        for s in self.subs:
            last = s.last
            attr_value = getattr(getattr(last, "data", None), "attr_value", None)
            if last is not None and not last.failed and attr_value is not None and \
                    _display.enum_name(getattr(attr_value, "data_format", "")) in ("SPECTRUM", "IMAGE"):
                found.append((s, attr_value))
        return found

    def why_no_plot(self) -> str:
        if not _plots().available():
            return "matplotlib is not installed (pip install 'itango[plot]'): no plot"
        if not self.series() and not self.arrays():
            return "nothing to plot: no numeric value or array in the log" + \
                ("" if self.subs else " (%mon -a <device>/<attribute> first)")
        return ""

    def text(self, color: bool = False) -> str:
        why = self.why_no_plot() or ("%mon -p draws its plots in Jupyter (notebook, lab, "
                                     "qtconsole); here: the trends of the table")
        return why + "\n" + SubscriptionTable(self.subs, self.log).text(color)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text(_shell_color() if self.color is None else self.color))

    def _history_png(self) -> bytes | None:
        """The plot over time, drawn once for both the HTML and the PNG of this view."""
        if not hasattr(self, "_history"):
            series = self.series()
            for s in series:
                s.label, s.unit = self.facts(s.key)
            self._history = _plots().history_png(series) if series else None
        return self._history

    def _repr_png_(self) -> bytes | None:
        if self.series():
            return self._history_png()
        arrays = self.arrays()
        if arrays:
            sub, attr_value = arrays[0]
            label, unit = self.facts(sub.key)
            return _display.device_attribute_png(attr_value, unit, label)
        return None

    def _repr_html_(self) -> str:
        why = self.why_no_plot()
        if why:
            return f"<p>{_display.escape(why)}</p>" + SubscriptionTable(self.subs, self.log)._repr_html_()
        parts = []
        plots = _plots()
        if self.series():
            png = self._history_png()
            if png is not None:
                parts.append(plots.img_html(png, "monitored values over time"))
        for sub, attr_value in self.arrays():
            label, unit = self.facts(sub.key)
            png = _display.device_attribute_png(attr_value, unit, label)
            if png is not None:
                parts.append(plots.img_html(png, f"latest value of {sub.name}"))
        return "".join(parts)


def _plots() -> Any:
    from . import plots

    return plots


# --------------------------------------------------------------------------------------------
# live view
# --------------------------------------------------------------------------------------------

def filtered_subscriptions(monitor: Monitor, device_filter: str | None,
                            attr_filter: str | None) -> list[Subscription]:
    dev_re, attr_re = filter_regex(device_filter), filter_regex(attr_filter)
    return [s for s in monitor.subscriptions()
            if (dev_re is None or dev_re.search(s.device)) and (attr_re is None or attr_re.search(s.attribute))]


def live_text(monitor: Monitor, device_filter: str | None = None, attr_filter: str | None = None,
              color: bool = True, rows: int = 24, columns: int | None = None) -> str:
    """One frame of the live view: the subscription table then the newest events (rows that
    fit in ``columns``, when given)."""
    subs = filtered_subscriptions(monitor, device_filter, attr_filter)
    head = (f"%mon live view  {_dt.datetime.now():%H:%M:%S}  "
            f"{len(subs)} attribute(s), {monitor.log.last_id} event(s) — press any key to leave")
    table = SubscriptionTable(subs, monitor.log).text(color, width=columns).splitlines()
    room = max(rows - len(table) - 4, 0)
    recent = monitor.log.records(device_filter, attr_filter, last=room) if room else []
    parts = [_display.ansi(head, "1;7", color), *table]
    if recent:
        parts.append("")
        parts.extend(EventTable(recent, monitor.log).text(color, width=columns).splitlines()[:-1])
    return "\n".join(parts)


def live_view(monitor: Monitor, device_filter: str | None = None, attr_filter: str | None = None,
              refresh: float = 0.5, color: bool = True, seconds: float | None = None) -> None:
    """Redraw :func:`live_text` in place until a key is pressed (needs a terminal).

    prompt_toolkit draws it (non-full-screen, below the prompt) and restores the terminal
    however the view ends; running the application in its own thread keeps it independent of
    whatever asyncio loop IPython may have.
    """
    from prompt_toolkit.application import Application
    from prompt_toolkit.formatted_text import ANSI
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import Layout
    from prompt_toolkit.layout.containers import Window
    from prompt_toolkit.layout.controls import FormattedTextControl

    leave = threading.Event()   # "end the view": a key, Ctrl-C before raw mode, or --for

    bindings = KeyBindings()

    @bindings.add("<any>")
    def _leave(event: Any) -> None:
        leave.set()
        _exit_quietly()

    def _exit_quietly() -> None:
        future = getattr(app, "future", None)
        if app.is_running and future is not None and not future.done():
            app.exit()

    def request_exit() -> None:  # from any thread
        leave.set()
        loop = getattr(app, "loop", None)
        if loop is not None and app.is_running:
            loop.call_soon_threadsafe(_exit_quietly)

    def frame() -> Any:
        try:
            size = app.output.get_size()
            rows, columns = size.rows, size.columns
        except Exception:
            rows, columns = 24, None
        return ANSI(live_text(monitor, device_filter, attr_filter, color, rows=rows - 1, columns=columns))

    app: Application = Application(
        layout=Layout(Window(FormattedTextControl(frame, show_cursor=False), wrap_lines=False)),
        key_bindings=bindings, full_screen=False, refresh_interval=refresh,
        erase_when_done=False, mouse_support=False)

    # The application runs in its own thread (as prompt_toolkit's run(in_thread=True) does), but
    # the main thread waits in a loop of its own: a Ctrl-C that arrives as SIGINT (before the view
    # has put the terminal in raw mode, where Ctrl-C is just a key) ends the view quietly instead
    # of leaving a KeyboardInterrupt traceback and a view still running in the background.
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            app.run(pre_run=lambda: leave.is_set() and _exit_quietly())
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)
        finally:
            done.set()

    timer = threading.Timer(seconds, request_exit) if seconds is not None else None
    thread = threading.Thread(target=run, name="itango-mon-live-view", daemon=True)
    thread.start()
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        while not done.is_set():
            try:
                done.wait(0.1)
                if leave.is_set():
                    request_exit()
            except KeyboardInterrupt:
                request_exit()
    finally:
        if timer is not None:
            timer.cancel()
    thread.join(5)
    if failure and not isinstance(failure[0], (KeyboardInterrupt, EOFError)):
        raise failure[0]


def in_kernel(shell: Any) -> bool:
    return getattr(shell, "kernel", None) is not None


def kernel_live_view(shell: Any, monitor: Monitor, device_filter: str | None,
                     attr_filter: str | None, seconds: float) -> None:
    """qtconsole/Jupyter: no keyboard to poll, so update one display for ``seconds``
    (interrupt the kernel to stop earlier)."""
    from IPython.display import display

    def view() -> SubscriptionTable:
        return SubscriptionTable(filtered_subscriptions(monitor, device_filter, attr_filter), monitor.log)

    handle = display(view(), display_id=True)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            time.sleep(min(0.5, max(deadline - time.monotonic(), 0.0)))
            handle.update(view())
    except KeyboardInterrupt:
        pass

