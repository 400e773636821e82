"""Pictures of attribute values for Jupyter and qtconsole: spectra, images and ``%mon``'d
scalars over time, as PNG made with matplotlib.

matplotlib is optional (``pip install 'itango[plot]'``): without it every function here answers
None and the views keep their text and HTML cards.  It is imported only when a picture is
actually made (never at start-up, never in a terminal, never for a scalar), and only its
object-oriented API is used (a ``Figure`` on an Agg canvas): nothing touches pyplot's global
state or backend, so a user's own ``%matplotlib`` setting is left alone.

Every picture says what it shows: the attribute's name (and label), its unit on the value axis
or the colour bar, its quality as a badge in Tango's colours, and when the value was read.
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["available", "attribute_figure", "attribute_png", "history_figure", "history_png",
           "png_bytes", "img_html", "Series", "MAX_POINTS"]

#: quality name -> colour (the badge and the history markers), as Jive/Taurus show them
_QUALITY_COLORS = {"ATTR_VALID": "#3ddc3d", "ATTR_ALARM": "#ff4500", "ATTR_WARNING": "#ff8c00",
                   "ATTR_CHANGING": "#80a0ff", "ATTR_INVALID": "#808080"}
#: the most points a spectrum is drawn with (a 1 M-point spectrum is decimated for the picture)
MAX_POINTS = 20_000
_NOT_A_UNIT = ("", "no unit", "not specified", "no standard unit", "no display unit", "none")


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether matplotlib can be imported (found without importing it)."""
    from importlib.util import find_spec

    try:
        return find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


def _matplotlib() -> Any:
    """matplotlib's Figure class, or None when it cannot be imported."""
    if not available():
        return None
    try:
        from matplotlib.figure import Figure
    except Exception:   # ImportError, or a broken installation: no picture, no error
        return None
    return Figure


def _unit(unit: Any) -> str:
    text = str(unit or "").strip()
    return "" if text.lower() in _NOT_A_UNIT else text


def _quality_name(quality: Any) -> str:
    name = getattr(quality, "name", None)
    return name if isinstance(name, str) else str(quality or "")


def _badge(ax: Any, quality: Any) -> None:
    """The quality in its colour, as the right-hand title of the axes (laid out with the rest,
    so it never covers the left-hand title)."""
    name = _quality_name(quality)
    if not name:
        return
    color = _QUALITY_COLORS.get(name, "#808080")
    text_color = "#ffffff" if name in ("ATTR_ALARM", "ATTR_INVALID") else "#000000"
    ax.set_title(name, loc="right", fontsize=9, fontweight="bold", color=text_color,
                 bbox={"boxstyle": "round,pad=0.25", "facecolor": color, "edgecolor": "none"})


def _title(name: str, label: str, when: Any, type_name: str = "") -> str:
    """``label (name)`` over ``date time  type``."""
    shown = name if not label or label == name else f"{label} ({name})"
    second = [f"{when:%Y-%m-%d %H:%M:%S}"] if isinstance(when, _dt.datetime) else []
    second += [type_name] if type_name else []
    return shown + ("\n" + "   ".join(second) if second else "")


def numpy_kind(value: Any) -> str:
    """numpy's dtype kind of ``value`` ("b" for booleans, "f" floats ...), "" if none."""
    import numpy

    try:
        return numpy.asarray(value).dtype.kind
    except Exception:
        return ""


def _numeric(value: Any) -> Any:
    """``value`` as a numpy array of numbers (bools as 0/1), or None when it is not one."""
    import numpy

    try:
        array = numpy.asarray(value)
    except Exception:
        return None
    if array.dtype == bool:
        return array.astype(numpy.uint8)
    if array.dtype.kind not in "iuf":
        return None
    return array


def attribute_figure(value: Any, *, name: str, quality: Any = None, when: Any = None,
                     unit: Any = "", label: str = "", type_name: str = "") -> Any:
    """A Figure of a spectrum (line) or an image (colour map with a colour bar), or None when
    ``value`` is neither (a scalar, strings, an empty array) or matplotlib is missing."""
    Figure = _matplotlib()
    if Figure is None:
        return None
    array = _numeric(value)
    if array is None or array.ndim not in (1, 2) or array.size == 0:
        return None
    unit = _unit(unit)
    if array.ndim == 1:
        fig = Figure(figsize=(6.4, 3.4), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        step = max(1, array.size // MAX_POINTS)
        x = range(0, array.size, step)
        ax.plot(list(x), array[::step], color="#1f5fa8", linewidth=1.2,
                drawstyle="steps-mid" if numpy_kind(value) == "b" else "default",
                marker="o" if array.size <= 64 else None, markersize=3)
        ax.set_xlabel("index" + (f" (every {step}th of {array.size} points)" if step > 1 else ""))
        ax.set_ylabel(f"{label or name}" + (f" [{unit}]" if unit else ""))
        ax.grid(True, alpha=0.3)
    else:
        fig = Figure(figsize=(5.6, 4.4), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        shown = ax.imshow(array, cmap="viridis", interpolation="nearest", aspect="auto",
                          origin="upper")
        bar = fig.colorbar(shown, ax=ax)
        bar.set_label(unit or "value")
        ax.set_xlabel(f"x ({array.shape[1]})")
        ax.set_ylabel(f"y ({array.shape[0]})")
    ax.set_title(_title(name, label, when, type_name), fontsize=9, loc="left")
    _badge(ax, quality)
    return fig


def png_bytes(fig: Any) -> bytes:
    """The Figure as PNG (no pyplot: its own Agg canvas)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def attribute_png(value: Any, **facts: Any) -> bytes | None:
    """:func:`attribute_figure` as PNG, or None."""
    fig = attribute_figure(value, **facts)
    return png_bytes(fig) if fig is not None else None


@dataclass
class Series:
    """One attribute's values over time for :func:`history_figure`."""

    name: str
    times: list = field(default_factory=list)          # datetimes
    values: list = field(default_factory=list)         # floats
    qualities: list = field(default_factory=list)      # quality names, one per value
    error_times: list = field(default_factory=list)    # when a reading or event failed
    unit: str = ""
    label: str = ""
    how: str = ""                                      # "change events", "client-polled every 1 s"
    key: str = ""                                      # the %mon subscription key it comes from


def history_figure(series: Sequence[Series]) -> Any:
    """One panel per attribute, sharing the time axis: the values as a line, each point in its
    quality's colour, failed readings as red crosses on the axis; None without matplotlib or
    without any series."""
    Figure = _matplotlib()
    if Figure is None or not series:
        return None
    fig = Figure(figsize=(7.2, 1.2 + 1.9 * len(series)), dpi=100, layout="constrained")
    axes = fig.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    for ax, s in zip(axes, series):
        unit = _unit(s.unit)
        if s.values:
            ax.plot(s.times, s.values, color="#1f5fa8", linewidth=1.0, zorder=1)
            colors = [_QUALITY_COLORS.get(q, "#808080") for q in s.qualities]
            ax.scatter(s.times, s.values, c=colors, s=14, zorder=2, edgecolors="none")
        if s.error_times:
            low = min(s.values) if s.values else 0.0
            ax.scatter(s.error_times, [low] * len(s.error_times), marker="x", color="#c00000",
                       s=30, zorder=3, label="error")
            ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.set_ylabel((s.label or s.name.rpartition("/")[2]) + (f"\n[{unit}]" if unit else ""),
                      fontsize=9)
        ax.set_title(f"{s.name}   ({s.how}, {len(s.values)} values)" if s.how else s.name,
                     fontsize=9, loc="left")
        ax.grid(True, alpha=0.3)
        if s.qualities:
            _badge(ax, s.qualities[-1])
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes[-1].set_xlabel("time received")
    return fig


def history_png(series: Sequence[Series]) -> bytes | None:
    fig = history_figure(series)
    return png_bytes(fig) if fig is not None else None


def img_html(png: bytes, alt: str) -> str:
    """A PNG inline in HTML (a data: URI: nothing external to fetch)."""
    import html

    data = base64.b64encode(png).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            'style="max-width:100%;display:block;margin:2px 0">')
