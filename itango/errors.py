"""How Tango errors look in the shell.

A DevFailed is a stack of DevErrors; users need its innermost cause in one glance, not a
Python traceback through the client library.  The handler is installed with
``set_custom_exc`` for DevFailed (and its subclasses) only: every other exception keeps
IPython's normal traceback.  It builds a structured traceback (a list of lines) and shows
it through ``shell._showtraceback``, the hook a kernel overrides to send an ``error``
message, so Jupyter front ends show it as an error, not as stdout text.  (IPython's
``run_code`` drops the handler's return value, so returning the lines alone would print
nothing; they are still returned, as the ``set_custom_exc`` contract asks.)
"""

from __future__ import annotations

from typing import Any

__all__ = ["short_devfailed_lines", "make_devfailed_handler", "full_devfailed_text"]

HINT = "%tango_error shows the full error stack"


def _errors(exc: BaseException) -> list[Any]:
    return [e for e in getattr(exc, "args", ()) if hasattr(e, "reason")]


def short_devfailed_lines(exc: BaseException) -> list[str]:
    """Two lines: ``Type: reason: desc`` of the innermost error, then its origin and a hint.

    cppTango appends an error each time an exception is re-thrown, so ``args[0]`` is the
    original cause (the innermost one) and ``args[-1]`` what the last layer added.
    """
    errors = _errors(exc)
    name = type(exc).__name__
    if not errors:
        return [f"{name}: Empty DevFailed (no error in its stack)"]
    first = errors[0]
    desc = " ".join(str(first.desc).split())
    lines = [f"{name}: {first.reason}: {desc}"]
    origin = " ".join(str(getattr(first, "origin", "")).split())
    more = f"; {len(errors) - 1} more error{'s' if len(errors) > 2 else ''} in the stack" \
        if len(errors) > 1 else ""
    where = f"origin: {origin}" if origin else "origin unknown"
    lines.append(f"  ({where}{more}; {HINT})")
    return lines


def full_devfailed_text(exc: BaseException) -> str:
    """Every DevError of the stack, innermost first, with all its fields."""
    errors = _errors(exc)
    if not errors:
        return f"{type(exc).__name__}: {exc}"
    out = [f"{type(exc).__name__} with {len(errors)} error{'s' if len(errors) > 1 else ''} "
           f"(innermost first):"]
    for i, err in enumerate(errors):
        out.append(f"  [{i}] reason   = {err.reason}")
        out.append(f"      desc     = {err.desc}")
        out.append(f"      origin   = {getattr(err, 'origin', '')}")
        out.append(f"      severity = {getattr(err, 'severity', '')}")
    return "\n".join(out)


def make_devfailed_handler(remember: Any) -> Any:
    """A ``set_custom_exc`` handler that calls ``remember(exc)`` and returns the short lines."""

    def devfailed_handler(shell: Any, etype: type, value: BaseException, tb: Any,
                          tb_offset: int | None = None) -> list[str]:
        remember(value)
        stb = short_devfailed_lines(value)
        shell._showtraceback(etype, value, stb)
        return stb

    return devfailed_handler
