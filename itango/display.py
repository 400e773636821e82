"""Rich representations of Tango objects in the shell (terminal text and HTML).

Why this module exists: tango_core's objects keep PyTango's exact ``str``/``repr`` (scripts and
doctests rely on them), so the shell's nicer views are *not* added to tango_core.  Instead they
are registered with IPython's display formatters when the extension loads and removed when it
unloads::

    ip.display_formatter.formatters["text/plain"].for_type(DeviceProxy, pretty_printer)
    ip.display_formatter.formatters["text/html"].for_type(DeviceProxy, html_function)

The terminal uses ``text/plain`` (with ANSI colours unless ``%colors nocolor``), qtconsole and
Jupyter use ``text/html``.  ``print(obj)`` is untouched and still shows PyTango's format.

Rules every renderer here follows:

* never slow: a device is asked with a short timeout, and after its first communication
  failure nothing more is asked of it (the card shows what was learnt and the error);
* never fail: a renderer that cannot get a field shows ``?`` instead of raising (a broken repr
  would hide the very object the user wants to look at);
* HTML is self-contained (inline CSS, no scripts, no file paths or external resources) and every
  piece of text that comes from a device is escaped.

Quality and state colours follow the Tango tools users know (Jive, Taurus): VALID green,
ALARM red-orange, WARNING orange, CHANGING blue, INVALID grey.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

__all__ = [
    "register", "unregister", "registered_types",
    "QUALITY_COLORS", "STATE_COLORS",
    "format_value", "sparkline", "short_error", "devfailed_text", "devfailed_html",
    "device_summary", "DeviceSummary", "device_text", "device_html",
    "database_text", "database_html", "device_attribute_text", "device_attribute_html",
    "device_attribute_png", "attribute_summary", "AttributeSummary", "attribute_proxy_text",
    "attribute_proxy_html", "attribute_proxy_png",
    "command_info_text", "command_info_html", "attribute_info_text", "attribute_info_html",
    "event_data_text", "event_data_html", "table_text", "table_html", "quality_badge_html",
    "enum_name", "escape", "card_html", "quality_colors", "ansi",
]

# --------------------------------------------------------------------------------------------
# colours
# --------------------------------------------------------------------------------------------

#: quality name -> (HTML background, HTML foreground, ANSI SGR for text, ANSI SGR for a badge).
#: Badges use 256-colour backgrounds (orange has no 16-colour code); qtconsole renders them too.
QUALITY_COLORS: dict[str, tuple[str, str, str, str]] = {
    "ATTR_VALID": ("#3ddc3d", "#000000", "32", "42;30"),
    "ATTR_ALARM": ("#ff4500", "#ffffff", "1;31", "48;5;202;97;1"),
    "ATTR_WARNING": ("#ff8c00", "#000000", "33", "48;5;208;30"),
    "ATTR_CHANGING": ("#80a0ff", "#000000", "34", "48;5;111;30"),
    "ATTR_INVALID": ("#808080", "#ffffff", "90", "100;97"),
}
_UNKNOWN_COLOR = ("#808080", "#000000", "90", "100;97")

#: DevState name -> (HTML background, HTML foreground, ANSI text SGR, ANSI badge SGR), Jive's palette.
STATE_COLORS: dict[str, tuple[str, str, str, str]] = {
    "ON": ("#00ff00", "#000000", "32", "42;30"),
    "OFF": ("#ffffff", "#000000", "37", "47;30"),
    "CLOSE": ("#ffffff", "#000000", "37", "47;30"),
    "OPEN": ("#00ff00", "#000000", "32", "42;30"),
    "INSERT": ("#ffffff", "#000000", "37", "47;30"),
    "EXTRACT": ("#00ff00", "#000000", "32", "42;30"),
    "MOVING": ("#80a0ff", "#000000", "34", "48;5;111;30"),
    "STANDBY": ("#ffff00", "#000000", "33", "43;30"),
    "FAULT": ("#ff0000", "#ffffff", "1;31", "41;97;1"),
    "INIT": ("#cccc7a", "#000000", "33", "48;5;186;30"),
    "RUNNING": ("#00b000", "#ffffff", "32", "48;5;28;97"),
    "ALARM": ("#ff8c00", "#000000", "1;33", "48;5;208;30"),
    "DISABLE": ("#ff00ff", "#000000", "35", "45;30"),
    "UNKNOWN": ("#808080", "#ffffff", "90", "100;97"),
}

#: how long a renderer may wait for one answer from a device (ms); see ``_short_timeout``.
RENDER_TIMEOUT_MS = 800

_CSS_TABLE = "border-collapse:collapse;font-family:monospace;font-size:0.95em;margin:2px 0"
_CSS_TH = "text-align:left;padding:2px 8px;background:#e8e8e8;color:#000;border:1px solid #ccc"
_CSS_TD = "text-align:left;padding:2px 8px;border:1px solid #ddd;vertical-align:top"
_CSS_KEY = _CSS_TD + ";font-weight:bold;background:#f6f6f6;color:#333;white-space:nowrap"
_CSS_TITLE = "font-family:sans-serif;font-weight:bold;padding:3px 8px;background:#34495e;color:#fff"


def _name(value: Any) -> str:
    """Enum member name (PyTango enums print as bare names), else ``str``."""
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else str(value)


def _quality_colors(quality: Any) -> tuple[str, str, str, str]:
    return QUALITY_COLORS.get(_name(quality), _UNKNOWN_COLOR)


def _state_colors(state: Any) -> tuple[str, str, str, str]:
    return STATE_COLORS.get(_name(state), _UNKNOWN_COLOR)


def _ansi(text: str, sgr: str, color: bool) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if color and sgr else text


def _esc(value: Any) -> str:
    return _html.escape(str(value), quote=True)


def _badge_ansi(text: str, colors: tuple[str, str, str, str], color: bool) -> str:
    """A label on a coloured background in the terminal (like Jive's state/quality fields)."""
    return _ansi(f" {text} ", colors[3], color) if color else text


def _badge_html(text: str, colors: tuple[str, ...]) -> str:
    bg, fg = colors[0], colors[1]
    return (f'<span style="background:{bg};color:{fg};padding:0 6px;border-radius:3px;'
            f'font-family:monospace;font-weight:bold">{_esc(text)}</span>')


def quality_badge_html(quality: Any) -> str:
    """An inline coloured label for an attribute quality (used in tables and cards)."""
    return _badge_html(_name(quality), _quality_colors(quality))


def _state_badge_html(state: Any) -> str:
    return _badge_html(_name(state), _state_colors(state))


# --------------------------------------------------------------------------------------------
# small building blocks: values, times, errors, tables
# --------------------------------------------------------------------------------------------

_MAX_ITEMS = 8
_MAX_STR = 200


def _clip(text: str, limit: int = _MAX_STR) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_value(value: Any, max_items: int = _MAX_ITEMS) -> str:
    """One-line summary of an attribute/command value.

    Arrays longer than ``max_items`` are summarised (dtype, shape, first items and, for numbers,
    min/max) so that reading a 1 M-point spectrum never floods the terminal.
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a runtime dependency
        np = None  # type: ignore[assignment]
    if value is None:
        return "None"
    if np is not None and isinstance(value, np.ndarray):
        return _format_array(value, max_items, np)
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes> {_clip(repr(bytes(value[:32])), 80)}"
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) \
            and isinstance(value[1], (bytes, bytearray)):  # DevEncoded
        return f"DevEncoded(format={value[0]!r}, {len(value[1])} bytes)"
    if isinstance(value, (list, tuple)):
        items = [format_value(v, max_items) if isinstance(v, (list, tuple)) else _scalar(v)
                 for v in value[:max_items]]
        more = f", … ({len(value)} items)" if len(value) > max_items else ""
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
        return _clip(open_ + ", ".join(items) + more + close, 400)
    return _clip(_scalar(value))


def _scalar(value: Any) -> str:
    if hasattr(value, "name") and isinstance(getattr(value, "name"), str) and isinstance(value, int):
        return value.name  # DevState / enum members
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _format_array(arr: Any, max_items: int, np: Any) -> str:
    shape = "×".join(str(n) for n in arr.shape)
    head = f"{arr.dtype}[{shape}]"
    if arr.size == 0:
        return f"{head} (empty)"
    flat = arr.reshape(-1)
    if arr.size <= max_items:
        return _clip(f"{head} {arr.tolist()}", 400)
    first = ", ".join(_scalar(v.item()) for v in flat[: min(max_items, flat.size)])
    stats = ""
    if np.issubdtype(arr.dtype, np.number) and not np.issubdtype(arr.dtype, np.complexfloating):
        try:
            stats = f"  min={flat.min().item():.6g} max={flat.max().item():.6g}"
        except (TypeError, ValueError):
            stats = ""
    return f"{head} [{first}, …]{stats}"


_SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    """Values as a row of block characters scaled between their min and max (a trend at a
    glance in a terminal table); non-finite values are blanks."""
    import math

    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return " " * len(values)
    lo, hi = min(finite), max(finite)
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append(" ")
        elif hi == lo:
            out.append(_SPARK[3])
        else:
            out.append(_SPARK[min(int((v - lo) / (hi - lo) * len(_SPARK)), len(_SPARK) - 1)])
    return "".join(out)


def _format_time(tv: Any) -> str:
    """A TimeVal (or datetime) as local ``YYYY-mm-dd HH:MM:SS.ffffff``; ``?`` if unusable."""
    try:
        when = tv.todatetime() if hasattr(tv, "todatetime") else tv
        if isinstance(when, _dt.datetime):
            return when.strftime("%Y-%m-%d %H:%M:%S.%f")
    except Exception:
        pass
    return "?"


def _error_stack(exc_or_errors: Any) -> list[Any]:
    """The DevError list of a DevFailed (``args``) or of a plain sequence of DevErrors."""
    if isinstance(exc_or_errors, BaseException):
        return [e for e in exc_or_errors.args if hasattr(e, "reason")]
    try:
        return [e for e in exc_or_errors if hasattr(e, "reason")]
    except TypeError:
        return []


def short_error(exc_or_errors: Any) -> str:
    """``reason: desc`` of the first (innermost) DevError, as ITango users know it.

    Falls back to ``Type: message`` for anything that is not a Tango error stack.
    """
    errors = _error_stack(exc_or_errors)
    if errors:
        first = errors[0]
        return f"{first.reason}: {str(first.desc).strip()}"
    if isinstance(exc_or_errors, BaseException):
        return f"{type(exc_or_errors).__name__}: {exc_or_errors}"
    return str(exc_or_errors)


#: narrowest a column shrunk to fit a terminal becomes
FIT_MIN_WIDTH = 20


def table_text(headers: Sequence[str], rows: Iterable[Sequence[str]],
               colors: Sequence[Sequence[str]] | None = None, color: bool = False,
               max_width: int = 60, width: int | None = None, fit: int | None = None) -> str:
    """A plain column-aligned table (cells clipped to ``max_width``).

    ``colors`` is an optional per-cell ANSI SGR code matrix, applied after padding so that
    alignment counts only visible characters.  ``width`` (a terminal's columns) and ``fit``
    (a column's index): when the rows are wider than ``width``, that column's cells are clipped
    (down to :data:`FIT_MIN_WIDTH`) so that a row stays one line (a wrapped table is not read).
    """
    rows = [[_clip(str(c).replace("\n", " "), max_width) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    excess = sum(widths) + 2 * (len(widths) - 1) - (width or 0)
    if width is not None and fit is not None and excess > 0:
        widths[fit] = max(widths[fit] - excess, min(widths[fit], max(FIT_MIN_WIDTH, len(headers[fit]))))
        rows = [[_clip(c, widths[fit]) if i == fit else c for i, c in enumerate(row)] for row in rows]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for r, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            padded = cell.ljust(widths[i]) if i < len(row) - 1 else cell
            sgr = colors[r][i] if colors is not None else ""
            cells.append(_ansi(padded, sgr, color) if sgr else padded)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def table_html(headers: Sequence[str], rows: Iterable[Sequence[str]], *, escape: bool = True,
               title: str | None = None) -> str:
    """An HTML table; cells are escaped unless the caller built safe HTML itself."""
    out = [f'<table style="{_CSS_TABLE}">']
    if title:
        out.append(f'<tr><td colspan="{len(headers)}" style="{_CSS_TITLE}">{_esc(title)}</td></tr>')
    out.append("<tr>" + "".join(f'<th style="{_CSS_TH}">{_esc(h)}</th>' for h in headers) + "</tr>")
    for row in rows:
        cells = (_esc(c) if escape else str(c) for c in row)
        out.append("<tr>" + "".join(f'<td style="{_CSS_TD}">{c}</td>' for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _card_html(title: str, rows: Sequence[tuple[str, str]], badge: str = "") -> str:
    """A two-column key/value card; ``rows`` values are already-safe HTML."""
    out = [f'<table style="{_CSS_TABLE}">',
           f'<tr><td colspan="2" style="{_CSS_TITLE}">{_esc(title)} {badge}</td></tr>']
    for key, value in rows:
        out.append(f'<tr><td style="{_CSS_KEY}">{_esc(key)}</td><td style="{_CSS_TD}">{value}</td></tr>')
    out.append("</table>")
    return "".join(out)


def _card_text(title: str, rows: Sequence[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    lines = [title]
    for key, value in rows:
        value_lines = str(value).split("\n")
        lines.append(f"  {key.ljust(width)}  {value_lines[0]}")
        lines.extend(f"  {' ' * width}  {more}" for more in value_lines[1:])
    return "\n".join(lines)


def _pre(text: str) -> str:
    return f'<pre style="margin:0;white-space:pre-wrap;font-family:monospace">{_esc(text)}</pre>'


# --------------------------------------------------------------------------------------------
# DevFailed
# --------------------------------------------------------------------------------------------

def devfailed_text(exc: Any, color: bool = False) -> str:
    """The whole error stack, innermost error (the cause) first, one block per error.

    Blocks rather than a table: descriptions and origins are often long or multi-line and must
    be readable in full in an 80-column terminal.
    """
    errors = _error_stack(exc)
    name = type(exc).__name__ if isinstance(exc, BaseException) else "DevFailed"
    if not errors:
        return f"{name} (empty error stack)"
    lines = [_ansi(f"{name}: {len(errors)} error(s), innermost first", "1;31", color)]
    for i, err in enumerate(errors):
        sev = _name(err.severity)
        sgr = "1;31" if sev == "PANIC" else "31" if sev == "ERR" else "33"
        lines.append(f"{i:>2} {_ansi(sev.ljust(5), sgr, color)} {_ansi(err.reason, '1', color)}")
        for text in str(err.desc).strip().splitlines() or [""]:
            lines.append(f"         {text}")
        origin = str(err.origin).strip().splitlines()
        if origin:
            lines.append("         " + _ansi("origin: " + origin[0], "90", color))
            lines.extend("         " + _ansi("        " + more, "90", color) for more in origin[1:])
    return "\n".join(lines)


def devfailed_html(exc: Any) -> str:
    errors = _error_stack(exc)
    rows = []
    for i, err in enumerate(errors):
        sev = _name(err.severity)
        sev_colors = ("#c00000", "#ffffff") if sev in ("ERR", "PANIC") else ("#ff8c00", "#000")
        rows.append([str(i), _badge_html(sev, sev_colors), f"<b>{_esc(err.reason)}</b>",
                     _pre(str(err.desc).strip()), _pre(str(err.origin).strip())])
    name = type(exc).__name__ if isinstance(exc, BaseException) else "DevFailed"
    return table_html(["#", "Severity", "Reason", "Description", "Origin"], rows, escape=False,
                      title=f"{name}: {len(errors)} error(s), innermost first")


# --------------------------------------------------------------------------------------------
# DeviceProxy
# --------------------------------------------------------------------------------------------

@dataclass
class DeviceSummary:
    """What a device card shows; gathered once, rendered as text or HTML."""

    name: str = "?"
    dev_class: str = "?"
    alias: str = ""
    server: str = "?"
    host: str = "?"
    database: str = "?"
    state: Any = None
    status: str = ""
    attributes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    error: str = ""          # first communication error: the device was not asked further

    @property
    def reachable(self) -> bool:
        return not self.error


@contextmanager
def _short_timeout(proxy: Any, millis: int) -> Iterator[None]:
    """Lower the proxy's client timeout for the duration of a render, then restore it; an
    asyncio (or other green-mode) proxy answers synchronously meanwhile (a card shows values,
    not futures)."""
    old = mode = None
    try:
        old = proxy.get_timeout_millis()
        if old is not None and old > millis:
            proxy.set_timeout_millis(millis)
        else:
            old = None
    except Exception:
        old = None
    try:
        from tango_core import GreenMode

        mode = proxy.get_green_mode()
        if mode is None or mode == GreenMode.Synchronous:
            mode = None
        else:
            proxy.set_green_mode(GreenMode.Synchronous)
    except Exception:
        mode = None
    try:
        yield
    finally:
        if old is not None:
            try:
                proxy.set_timeout_millis(old)
            except Exception:
                pass
        if mode is not None:
            try:
                proxy.set_green_mode(mode)
            except Exception:
                pass


def _try(fn: Callable[[], Any], default: Any = None) -> Any:
    try:
        return fn()
    except Exception:
        return default


def device_summary(proxy: Any, timeout_ms: int = RENDER_TIMEOUT_MS) -> DeviceSummary:
    """Ask a device (quickly) for what its card shows.

    Order matters: DB-side facts first (they work for a device that is down), then ``state()``;
    if that fails the device is not asked anything else.
    """
    s = DeviceSummary()
    s.name = _try(proxy.dev_name, "?")
    with _short_timeout(proxy, timeout_ms):
        uses_db = _try(proxy.is_dbase_used, True)
        if uses_db:
            host, port = _try(proxy.get_db_host), _try(proxy.get_db_port)
            s.database = f"{host}:{port}" if host else "?"
            s.alias = _try(proxy.alias, "") or ""
        else:
            s.database = "none (#dbase=no)"
        try:
            info = proxy.info()
            s.dev_class, s.server, s.host = info.dev_class, info.server_id, info.server_host
        except Exception as exc:
            s.error = short_error(exc)
            db = _try(proxy.get_device_db)
            if db is not None:
                s.dev_class = _try(lambda: db.get_class_for_device(s.name), "?") or "?"
            return s
        try:
            s.state = proxy.state()
        except Exception as exc:
            s.error = short_error(exc)
            return s
        s.status = str(_try(proxy.status, "") or "")
        s.attributes = list(_try(proxy.get_attribute_list, []) or [])
        s.commands = list(_try(proxy.get_command_list, []) or [])
    return s


# A kernel asks for text/plain, text/html and image/png of the same object one right after the
# other: the device is asked (and a plot drawn) once for all of them.  Entries are kept for one
# cell (IPython's execution count) and at most _RECENT_TTL seconds after they were made, so the
# next evaluation of the same object asks again.
_RECENT: dict[int, tuple[float, Any, Any, Any]] = {}
_RECENT_TTL = 0.5


def _cell() -> Any:
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:
        return None
    return getattr(ip, "execution_count", None)


def _touch(obj: Any) -> None:
    """Count ``obj``'s cached entry as made now (after a long render that used it)."""
    import time

    hit = _RECENT.get(id(obj))
    if hit is not None and hit[1] is obj:
        _RECENT[id(obj)] = (time.monotonic(), *hit[1:])


def _recent(obj: Any, compute: Callable[[Any], Any]) -> Any:
    import time

    now, cell = time.monotonic(), _cell()
    for key in [k for k, (t, _, _, c) in _RECENT.items() if now - t > _RECENT_TTL or c != cell]:
        _RECENT.pop(key, None)
    hit = _RECENT.get(id(obj))
    if hit is not None and hit[1] is obj:
        return hit[2]
    value = compute(obj)
    _RECENT[id(obj)] = (time.monotonic(), obj, value, cell)
    return value


def _status_preview(status: str, lines: int = 3) -> str:
    """The first lines of a device status (some devices write pages there)."""
    kept = [_clip(line.rstrip(), 100) for line in status.strip().splitlines()[:lines]]
    more = len(status.strip().splitlines()) - lines
    return "\n".join(kept) + (f"\n… (+{more} lines)" if more > 0 else "")


def _names_preview(names: Sequence[str], limit: int = 12, width: int | None = None) -> str:
    """The first ``limit`` names, fewer when they would not fit in ``width`` characters (a
    terminal card: a row that wraps is read as two rows), at least one; ``… (+N)`` says how
    many more there are."""
    shown: list[str] = []
    for name in names[:limit]:
        rest = len(names) - len(shown) - 1
        line = ", ".join(shown + [name]) + (f", … (+{rest})" if rest else "")
        if shown and width is not None and len(line) > width:
            break
        shown.append(name)
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f", … (+{rest})" if rest else "")


def terminal_columns() -> int | None:
    """Columns of the terminal stdout is, None when it is not one (a kernel, a captured output:
    the text is not laid out for a screen there)."""
    import sys

    try:
        if not sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return _terminal_columns()


def _terminal_columns() -> int:
    """Columns of the terminal the text goes to (``COLUMNS``, else the terminal's, else 80):
    one ioctl, nothing that can block."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def _device_rows(s: DeviceSummary) -> list[tuple[str, str]]:
    rows = [("class", s.dev_class)]
    if s.alias:
        rows.append(("alias", s.alias))
    rows += [("server", s.server), ("host", s.host), ("database", s.database)]
    return rows


def device_text(proxy: Any, color: bool = False, summary: DeviceSummary | None = None) -> str:
    s = summary or _recent(proxy, device_summary)
    rows = _device_rows(s)
    if s.reachable:
        rows.insert(0, ("state", _badge_ansi(_name(s.state), _state_colors(s.state), color)))
        if s.status:
            rows.insert(1, ("status", _status_preview(s.status)))
        keys = (f"attributes ({len(s.attributes)})", f"commands ({len(s.commands)})")
        # what is left of a terminal line after the card's indent and key column
        width = _terminal_columns() - 5 - max(len(k) for k in [k for k, _ in rows] + list(keys))
        rows.append((keys[0], _names_preview(s.attributes, width=width)))
        rows.append((keys[1], _names_preview(s.commands, width=width)))
    else:
        rows.insert(0, ("state", _ansi("unreachable", "90", color)))
        rows.append(("error", _ansi(s.error, "31", color)))
    return _card_text(f"{s.dev_class}({s.name})", rows)


def device_html(proxy: Any, summary: DeviceSummary | None = None) -> str:
    s = summary or _recent(proxy, device_summary)
    rows = [(k, _esc(v)) for k, v in _device_rows(s)]
    if s.reachable:
        badge = _state_badge_html(s.state)
        if s.status:
            rows.insert(0, ("status", _esc(_status_preview(s.status))))
        rows.append((f"attributes ({len(s.attributes)})", _esc(_names_preview(s.attributes))))
        rows.append((f"commands ({len(s.commands)})", _esc(_names_preview(s.commands))))
    else:
        badge = _badge_html("unreachable", _UNKNOWN_COLOR)
        rows.append(("error", f'<span style="color:#c00000">{_esc(s.error)}</span>'))
    return _card_html(f"{s.dev_class}({s.name})", rows, badge)


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------

def _database_facts(db: Any) -> tuple[str, list[tuple[str, str]]]:
    host, port = _try(db.get_db_host, "?"), _try(db.get_db_port, "?")
    with _short_timeout(db, RENDER_TIMEOUT_MS):
        try:
            info = db.get_info()
        except Exception as exc:
            return f"{host}:{port}", [("error", short_error(exc))]
    return f"{host}:{port}", _database_info_rows(str(info))


def _database_info_rows(info: str) -> list[tuple[str, str]]:
    """``Database.get_info()`` text as card rows, one row per key.

    Both database servers answer the same shape: ``TANGO Database <device or file>``,
    ``Running since ...<date>``, then ``key = value`` lines (blank lines between groups).  A
    line of any other shape is added to a ``Note`` row rather than making a second row with
    the same label."""
    rows: list[tuple[str, str]] = []
    notes: list[str] = []
    for line in info.splitlines():
        text = line.strip()
        key, sep, value = text.partition("=")
        if not text:
            continue
        if sep and key.strip():
            rows.append((" ".join(key.split()), value.strip()))
        elif text.lower().startswith("tango database"):
            rows.append(("Served by", text[len("tango database"):].strip()))
        elif text.lower().startswith("running since"):
            rows.append(("Running since", text[len("running since"):].strip(" .")))
        else:
            notes.append(text)
    if notes:
        rows.append(("Note", "\n".join(notes)))
    return rows


def database_text(db: Any, color: bool = False) -> str:
    where, rows = _recent(db, _database_facts)
    return _card_text(f"Database({where})", rows)


def database_html(db: Any) -> str:
    where, rows = _recent(db, _database_facts)
    return _card_html(f"Database {where}", [(k, _esc(v)) for k, v in rows])


# --------------------------------------------------------------------------------------------
# DeviceAttribute
# --------------------------------------------------------------------------------------------

def _dims(dim: Any) -> str:
    try:
        x, y = dim.dim_x, dim.dim_y
    except AttributeError:
        return ""
    return f"{x}" if not y else f"{y}×{x}"


def _attribute_facts(da: Any) -> tuple[str, list[tuple[str, str]], Any]:
    """(title, rows of plain text, quality) of a DeviceAttribute; failed reads list the errors."""
    name = getattr(da, "name", "?")
    dtype, fmt = _name(getattr(da, "type", "?")), _name(getattr(da, "data_format", "?"))
    title = f"{name}  ({dtype}, {fmt})"
    if getattr(da, "has_failed", False):
        return title, [("error", short_error(_try(da.get_err_stack, [])))], None
    rows = [("time", _format_time(getattr(da, "time", None)))]
    is_scalar = fmt == "SCALAR"
    r_dims = "" if is_scalar else f" [{_dims(getattr(da, 'r_dimension', None))}]"
    rows.append((f"value{r_dims}", format_value(getattr(da, "value", None))))
    w_value = getattr(da, "w_value", None)
    w_dim = getattr(da, "w_dimension", None)
    has_w_dim = bool(getattr(w_dim, "dim_x", 0) or getattr(w_dim, "dim_y", 0))
    empty_w = w_value is None or (not isinstance(w_value, (str, bytes)) and _try(lambda: len(w_value) == 0, False))
    if has_w_dim or not empty_w:  # read-only attributes carry an empty set point: not shown
        w_dims = "" if is_scalar else f" [{_dims(w_dim)}]"
        rows.append((f"w_value{w_dims}", format_value(w_value)))
    return title, rows, getattr(da, "quality", None)


def device_attribute_text(da: Any, color: bool = False) -> str:
    title, rows, quality = _attribute_facts(da)
    if quality is None and getattr(da, "has_failed", False):
        stack = _try(da.get_err_stack, [])
        return _ansi(title + "  read FAILED", "1;31", color) + "\n" + devfailed_text(stack, color)
    label = _badge_ansi(_name(quality), _quality_colors(quality), color)
    return _card_text(f"{title}  {label}", rows)


def device_attribute_line(da: Any) -> str:
    """One line for a DeviceAttribute inside a list (``read_attributes``): its name, value
    (summarised as in the card), quality and time of day; a failed read its first error.  The
    PyTango repr of each element would be 20 fields on one line, the value lost among them."""
    name = getattr(da, "name", "?")
    if getattr(da, "has_failed", False):
        return f"<{name}: read failed: {_clip(short_error(_try(da.get_err_stack, [])), 160)}>"
    when = _format_time(getattr(da, "time", None)).rpartition(" ")[2][:12]  # HH:MM:SS.mmm
    return f"<{name} = {_clip(format_value(getattr(da, 'value', None)), 160)}  {_name(getattr(da, 'quality', '?'))} {when}>"


def device_attribute_html(da: Any, unit: str = "", label: str = "", *, png: bytes | None = None) -> str:
    """The card, with a plot of a spectrum or an image under it when matplotlib is installed
    (``unit``/``label``: from the attribute's configuration, when the caller knows them;
    ``png``: a plot the caller already drew)."""
    title, rows, quality = _attribute_facts(da)
    if quality is None and getattr(da, "has_failed", False):
        stack = _try(da.get_err_stack, [])
        return _card_html(title, [("error", devfailed_html(stack))],
                          _badge_html("FAILED", ("#c00000", "#ffffff")))
    cells = [(k, _esc(v)) for k, v in rows]
    if png is None:
        png = device_attribute_png(da, unit, label)
    if png is not None:
        from .plots import img_html
        cells.append(("plot", img_html(png, f"plot of {getattr(da, 'name', 'the value')}")))
    return _card_html(title, cells, quality_badge_html(quality))


def device_attribute_png(da: Any, unit: str = "", label: str = "") -> bytes | None:
    """A spectrum or an image as a PNG plot (its name, quality, time, and ``unit`` when known);
    None for scalars, failed reads, or without matplotlib (imported only here, when needed)."""
    fmt = _name(getattr(da, "data_format", ""))
    if fmt not in ("SPECTRUM", "IMAGE") or getattr(da, "has_failed", False):
        return None
    from . import plots

    if not plots.available():
        return None

    def draw(_: Any) -> bytes | None:
        when = _try(lambda: da.time.todatetime())
        return plots.attribute_png(getattr(da, "value", None), name=str(getattr(da, "name", "?")),
                                   quality=getattr(da, "quality", None), when=when, unit=unit,
                                   label=label, type_name=_name(getattr(da, "type", "")))
    return _recent(da, draw)   # a kernel asks for the HTML and the PNG one after the other


# --------------------------------------------------------------------------------------------
# AttributeProxy: the attribute's configuration and current value (units known here)
# --------------------------------------------------------------------------------------------

@dataclass
class AttributeSummary:
    """What an AttributeProxy card shows; gathered once, rendered as text, HTML or PNG."""

    name: str = "?"
    reading: Any = None     # the DeviceAttribute read
    config: Any = None      # its AttributeInfoEx
    error: str = ""
    png: bytes | None = None   # its plot, drawn with the rest when the frontend shows images

    @property
    def unit(self) -> str:
        unit = getattr(self.config, "unit", "")
        return "" if _not_specified(unit) else str(unit)

    @property
    def label(self) -> str:
        return str(getattr(self.config, "label", "") or "")


def attribute_summary(proxy: Any, timeout_ms: int = RENDER_TIMEOUT_MS) -> AttributeSummary:
    s = AttributeSummary(name=str(_try(proxy.name, "?")))
    device = _try(proxy.get_device_proxy)
    if device is not None:
        s.name = f"{_try(device.dev_name, '?')}/{s.name}"
    with _short_timeout(device, timeout_ms) if device is not None else _no_change():
        try:
            s.config = proxy.get_config()
            s.reading = proxy.read()
        except Exception as exc:
            s.error = short_error(exc)
    return s


def _summary_png(s: AttributeSummary) -> bytes | None:
    """The plot of a summary's reading, drawn once (HTML and PNG show the same picture)."""
    if s.png is None and s.reading is not None:
        s.png = device_attribute_png(s.reading, s.unit, s.label)
    return s.png


@contextmanager
def _no_change() -> Iterator[None]:
    yield


def _attribute_proxy_rows(s: AttributeSummary) -> list[tuple[str, str]]:
    rows = []
    if s.config is not None:
        if s.label and s.label != s.name.rpartition("/")[2]:
            rows.append(("label", s.label))
        if s.unit:
            rows.append(("unit", s.unit))
        rows.append(("type", f"{_type_name(s.config.data_type)}, {_name(s.config.data_format)}, "
                             f"{_name(s.config.writable)}"))
    return rows


def attribute_proxy_text(proxy: Any, color: bool = False) -> str:
    s = _recent(proxy, attribute_summary)
    head = _card_text(f"Attribute({s.name})", _attribute_proxy_rows(s) +
                      ([("error", _ansi(s.error, "31", color))] if s.error else []))
    if s.reading is None:
        return head
    return head + "\n" + device_attribute_text(s.reading, color)


def attribute_proxy_html(proxy: Any) -> str:
    s = _recent(proxy, attribute_summary)
    rows = [(k, _esc(v)) for k, v in _attribute_proxy_rows(s)]
    if s.error:
        rows.append(("error", f'<span style="color:#c00000">{_esc(s.error)}</span>'))
    if s.reading is not None:
        rows.append(("value", device_attribute_html(s.reading, png=_summary_png(s))))
    _touch(proxy)   # drawing may take a while: the PNG asked next must find this summary
    return _card_html(f"Attribute {s.name}", rows)


def attribute_proxy_png(proxy: Any) -> bytes | None:
    return _summary_png(_recent(proxy, attribute_summary))


# --------------------------------------------------------------------------------------------
# CommandInfo / AttributeInfoEx
# --------------------------------------------------------------------------------------------

def _command_facts(ci: Any) -> tuple[str, list[tuple[str, str]]]:
    title = f"{ci.cmd_name}({_name(ci.in_type)}) -> {_name(ci.out_type)}"
    rows = [("in", f"{_name(ci.in_type)}: {ci.in_type_desc}"),
            ("out", f"{_name(ci.out_type)}: {ci.out_type_desc}"),
            ("level", _name(getattr(ci, "disp_level", "?")))]
    return title, rows


def command_info_text(ci: Any, color: bool = False) -> str:
    title, rows = _command_facts(ci)
    return _card_text(_ansi(title, "1", color), rows)


def command_info_html(ci: Any) -> str:
    title, rows = _command_facts(ci)
    return _card_html(title, [(k, _esc(v)) for k, v in rows])


def _type_name(data_type: Any) -> str:
    """``AttributeInfoEx.data_type`` is a plain int in PyTango; show the CmdArgType name."""
    if isinstance(data_type, int) and not hasattr(data_type, "name"):
        try:
            import tango_core
            return tango_core.CmdArgType(data_type).name
        except Exception:
            return str(data_type)
    return _name(data_type)


def _not_specified(value: Any) -> bool:
    return value in (None, "", "Not specified", "No unit", "No standard unit", "No display unit")


def _attribute_info_facts(ai: Any) -> tuple[str, list[tuple[str, str]]]:
    fmt = _name(getattr(ai, "data_format", "?"))
    dims = {"SCALAR": "", "SPECTRUM": f" [{ai.max_dim_x}]", "IMAGE": f" [{ai.max_dim_y}×{ai.max_dim_x}]"}
    title = f"{ai.name}  ({_type_name(ai.data_type)}, {fmt}{dims.get(fmt, '')}, {_name(ai.writable)})"
    rows = [("label", ai.label), ("description", ai.description)]
    if not _not_specified(ai.unit):
        rows.append(("unit", ai.unit))
    rows.append(("format", ai.format))
    limits = [("min_value", ai.min_value), ("max_value", ai.max_value)]
    alarms = getattr(ai, "alarms", None)
    if alarms is not None:
        limits += [(k, getattr(alarms, k, None)) for k in ("min_alarm", "max_alarm", "min_warning", "max_warning")]
    shown = [f"{k}={v}" for k, v in limits if not _not_specified(v)]
    rows.append(("limits", ", ".join(shown) if shown else "none"))
    events = getattr(ai, "events", None)
    if events is not None:
        ch, per, arch = (getattr(events, n, None) for n in ("ch_event", "per_event", "arch_event"))
        parts = []
        for label, obj, keys in (("change", ch, ("abs_change", "rel_change")),
                                 ("periodic", per, ("period",)),
                                 ("archive", arch, ("archive_abs_change", "archive_rel_change", "archive_period"))):
            vals = [f"{k}={getattr(obj, k)}" for k in keys if obj is not None and not _not_specified(getattr(obj, k, None))]
            if vals:
                parts.append(f"{label}: {', '.join(vals)}")
        rows.append(("events", "; ".join(parts) if parts else "none configured"))
    enum_labels = list(getattr(ai, "enum_labels", []) or [])
    if enum_labels:
        rows.append(("enum labels", ", ".join(map(str, enum_labels))))
    rows.append(("level", _name(getattr(ai, "disp_level", "?"))))
    return title, rows


def attribute_info_text(ai: Any, color: bool = False) -> str:
    title, rows = _attribute_info_facts(ai)
    return _card_text(_ansi(title, "1", color), [(k, str(v)) for k, v in rows])


def attribute_info_html(ai: Any) -> str:
    title, rows = _attribute_info_facts(ai)
    return _card_html(title, [(k, _esc(v)) for k, v in rows])


# --------------------------------------------------------------------------------------------
# EventData (what %mon -i shows)
# --------------------------------------------------------------------------------------------

def _event_facts(ev: Any) -> tuple[str, list[tuple[str, str]]]:
    title = f"{getattr(ev, 'event', '?')} event  {getattr(ev, 'attr_name', '?')}"
    rows = [("received", _format_time(getattr(ev, "reception_date", None)))]
    reason = getattr(ev, "event_reason", None)
    if reason is not None:
        rows.append(("reason", _name(reason)))
    return title, rows


def event_data_text(ev: Any, color: bool = False) -> str:
    title, rows = _event_facts(ev)
    head = _card_text(_ansi(title, "1", color), rows)
    if getattr(ev, "err", False):
        return head + "\n" + devfailed_text(list(getattr(ev, "errors", ())), color)
    value = getattr(ev, "attr_value", None)
    return head + ("\n" + device_attribute_text(value, color) if value is not None else "")


def event_data_html(ev: Any) -> str:
    title, rows = _event_facts(ev)
    rows = [(k, _esc(v)) for k, v in rows]
    if getattr(ev, "err", False):
        rows.append(("errors", devfailed_html(list(getattr(ev, "errors", ())))))
    elif getattr(ev, "attr_value", None) is not None:
        rows.append(("value", device_attribute_html(ev.attr_value)))
    return _card_html(title, rows)


# --------------------------------------------------------------------------------------------
# building blocks other itango views (the %mon tables) are made of
# --------------------------------------------------------------------------------------------

enum_name = _name            # enum member name (PyTango enums print as bare names)
escape = _esc                # HTML-escape any value's str()
card_html = _card_html       # a titled key/value HTML card (values already safe HTML)
quality_colors = _quality_colors  # quality -> (HTML bg, HTML fg, ANSI text SGR, ANSI badge SGR)
ansi = _ansi                 # text wrapped in an ANSI SGR code (unchanged when color is False)


# --------------------------------------------------------------------------------------------
# registration with IPython
# --------------------------------------------------------------------------------------------

# (tango_core public name, text renderer, html renderer)
_RENDERERS: list[tuple[str, Callable[..., str], Callable[[Any], str]]] = [
    ("DeviceProxy", device_text, device_html),
    ("AttributeProxy", attribute_proxy_text, attribute_proxy_html),
    ("Database", database_text, database_html),
    ("DeviceAttribute", device_attribute_text, device_attribute_html),
    ("DevFailed", devfailed_text, devfailed_html),
    ("CommandInfo", command_info_text, command_info_html),
    ("AttributeInfoEx", attribute_info_text, attribute_info_html),
    ("EventData", event_data_text, event_data_html),
]

# (tango_core public name -> its one line inside a list, tuple or dict): read values only, whose
# line needs no device call
_IN_CONTAINERS: dict[str, Callable[[Any], str]] = {"DeviceAttribute": device_attribute_line}

# shell -> list of (formatter, type, previous printer or None) to undo on unregister.  Weak keys:
# a shell that is gone must not make a new shell (maybe at the same address) look registered.
_INSTALLED: "weakref.WeakKeyDictionary[Any, list[tuple[Any, type, Any]]]" = weakref.WeakKeyDictionary()


def _wants_color(ip: Any) -> bool:
    return str(getattr(ip, "colors", "nocolor")).lower() != "nocolor"


def _pretty_printer(ip: Any, render: Callable[..., str],
                    line: Callable[[Any], str] | None = None) -> Callable[[Any, Any, bool], None]:
    def _one_line(obj: Any) -> str:
        try:
            return line(obj)  # type: ignore[misc]
        except Exception:  # never hide the object behind a renderer bug
            return repr(obj)

    def printer(obj: Any, p: Any, cycle: bool) -> None:
        # A card only for the object itself: inside a list/dict/tuple each element keeps its
        # one-line repr (a list of 50 proxies must not become 50 cards and 200 device calls),
        # or the one line of ``_IN_CONTAINERS`` for values that hold what they show (no calls).
        # IPython's printer stacks the ids of the objects being printed: 1 means top level.
        if cycle or len(getattr(p, "stack", ())) > 1:
            p.text(_one_line(obj) if line is not None else repr(obj))
            return
        try:
            p.text(render(obj, color=_wants_color(ip)))
        except Exception:  # never hide the object behind a renderer bug
            p.text(repr(obj))
    return printer


def _html_function(render: Callable[[Any], str]) -> Callable[[Any], str | None]:
    def to_html(obj: Any) -> str | None:
        try:
            return render(obj)
        except Exception:
            return None  # IPython then falls back to text/plain
    return to_html


# (tango_core public name, PNG renderer): plots for the frontends that show images (qtconsole
# shows the PNG of an output when it has one; JupyterLab the HTML, which embeds the same PNG)
_PICTURES: list[tuple[str, Callable[[Any], bytes | None]]] = [
    ("DeviceAttribute", device_attribute_png),
    ("AttributeProxy", attribute_proxy_png),
]


def _png_function(render: Callable[[Any], bytes | None]) -> Callable[[Any], bytes | None]:
    def to_png(obj: Any) -> bytes | None:
        try:
            return render(obj)
        except Exception:
            return None  # no picture: the cards still show
    return to_png


def registered_types() -> dict[str, type]:
    """The tango_core classes that have a representation here (missing names are skipped)."""
    import tango_core
    found = {}
    for name, _, _ in _RENDERERS:
        cls = getattr(tango_core, name, None)
        if isinstance(cls, type):
            found[name] = cls
    return found


def register(ip: Any) -> None:
    """Install the text/plain and text/html representations on shell ``ip`` (idempotent)."""
    if ip in _INSTALLED:
        return
    formatters = ip.display_formatter.formatters
    plain, html = formatters["text/plain"], formatters["text/html"]
    types = registered_types()
    undo = []
    for name, text_render, html_render in _RENDERERS:
        cls = types.get(name)
        if cls is None:
            continue
        undo.append((plain, cls, plain.for_type(cls, _pretty_printer(ip, text_render, _IN_CONTAINERS.get(name)))))
        undo.append((html, cls, html.for_type(cls, _html_function(html_render))))
    png = formatters.get("image/png")
    if png is not None:
        for name, png_render in _PICTURES:
            cls = types.get(name)
            if cls is not None:
                undo.append((png, cls, png.for_type(cls, _png_function(png_render))))
    _INSTALLED[ip] = undo


def unregister(ip: Any) -> None:
    """Remove what :func:`register` installed, restoring any printer that was there before."""
    for formatter, cls, previous in reversed(_INSTALLED.pop(ip, [])):
        if previous is None:
            try:
                formatter.pop(cls)
            except KeyError:
                pass
        else:
            formatter.for_type(cls, previous)
