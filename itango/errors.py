"""How Tango errors look in the shell.

A DevFailed is a stack of DevErrors; users need its innermost cause in one glance, not a
Python traceback through the client library.  The handler is installed with
``set_custom_exc`` for DevFailed (and its subclasses), KeyboardInterrupt (whose
traceback loses the client library's frames when Ctrl-C stopped a slow call), AttributeError
(``dev.attr`` on a device that does not answer is an AttributeError raised from the DevFailed
that says why, as in PyTango: shown short, as that DevFailed) and the bad-value errors
(TypeError, ValueError, OverflowError: when the client library refused a value, the traceback
goes from the user's line straight to the check that refused it, the plumbing between left
out and counted): every other exception keeps IPython's normal traceback.  It builds a structured traceback (a list of lines) and shows
it through ``shell._showtraceback``, the hook a kernel overrides to send an ``error``
message, so Jupyter front ends show it as an error, not as stdout text.  (IPython's
``run_code`` drops the handler's return value, so returning the lines alone would print
nothing; they are still returned, as the ``set_custom_exc`` contract asks.)
"""

from __future__ import annotations

import re
import sys
from types import TracebackType
from typing import Any

__all__ = ["short_devfailed_lines", "caused_by_devfailed_lines", "make_devfailed_handler", "full_devfailed_text", "INTERRUPTED",
           "misspelt_device"]

HINT = "%tango_error shows the full error stack"


def _errors(exc: BaseException) -> list[Any]:
    return [e for e in getattr(exc, "args", ()) if hasattr(e, "reason")]


def short_devfailed_lines(exc: BaseException, suggestion: str = "") -> list[str]:
    """Two lines: ``Type: reason: desc`` of the innermost error (+ ``suggestion``), then its
    origin and a hint.

    cppTango appends an error each time an exception is re-thrown, so ``args[0]`` is the
    original cause (the innermost one) and ``args[-1]`` what the last layer added.
    """
    errors = _errors(exc)
    name = type(exc).__name__
    if not errors:
        return [f"{name}: Empty DevFailed (no error in its stack)"]
    first = errors[0]
    desc = " ".join(str(first.desc).split())
    lines = [f"{name}: {first.reason}: {desc}{suggestion}"]
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


#: the errors a client library's argument checks raise (a value of the wrong type or range)
BAD_VALUE_ERRORS = (TypeError, ValueError, OverflowError)

INTERRUPTED = ("(Ctrl-C abandoned the Tango call in progress; the device may still be "
               "carrying it out)")


def _frames_before(tb: TracebackType | None, library_dirs: tuple[str, ...]
                   ) -> TracebackType | None:
    """A copy of the traceback chain ``tb`` cut before its first frame in ``library_dirs``
    (the original is left alone: ``%tb`` and debuggers still see every frame); None when
    no frame is in them."""
    kept = []
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(library_dirs):
        kept.append(tb)
        tb = tb.tb_next
    if tb is None:
        return None  # nothing to cut
    return _chain(kept)


def _chain(items: list[TracebackType]) -> TracebackType | None:
    """A new traceback chain of these entries, in this order (the originals are left alone)."""
    head = None
    for item in reversed(items):
        head = TracebackType(head, item.tb_frame, item.tb_lasti, item.tb_lineno)
    return head


def _users_frames_and_the_check(tb: TracebackType | None, library_dirs: tuple[str, ...]
                                 ) -> tuple[TracebackType, int] | None:
    """For an error raised inside ``library_dirs`` (its innermost frame is there) on a call made
    from user code: a copy of the chain with the user's frames and that innermost frame only,
    and how many library frames were left out; None for any other error (raised in user code,
    in a callback of the user's that the library called, or with no user frame at all) and
    when there is nothing to leave out but frames IPython hides anyway."""
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    if not frames or not frames[-1].tb_frame.f_code.co_filename.startswith(library_dirs):
        return None
    first = next(i for i, item in enumerate(frames) if item.tb_frame.f_code.co_filename.startswith(library_dirs))
    if first == 0:
        return None
    # frames that hide themselves (``__tracebackhide__``) IPython leaves out anyway: not counted
    left_out = sum(1 for item in frames[first:-1] if not item.tb_frame.f_locals.get("__tracebackhide__"))
    if not left_out:
        return None
    head = _chain(frames[:first] + [frames[-1]])
    assert head is not None
    return head, left_out


def bad_value_hint(left_out: int) -> str:
    """The line after a shortened bad-value traceback."""
    frames = f"{left_out} frame{'s' if left_out != 1 else ''}"
    return f"(the client library refused the value; {frames} of its plumbing left out: %python_error shows them)"


def unknown_member_hint(tb: TracebackType | None) -> str:
    """For an AttributeError raised by a device proxy's ``dev.name`` / ``dev.name = value`` (its
    ``__getattr__`` / ``__setattr__`` is the innermost frame) on a name the device does not have:
    what the device has that looks like it ("Did you mean ...?"), from the names the proxy has
    already fetched (no call to the device); "" otherwise."""
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    if frame.f_code.co_name not in ("__getattr__", "__setattr__"):
        return ""
    proxy, name = frame.f_locals.get("self"), frame.f_locals.get("name")
    if not isinstance(name, str) or name.startswith("_"):
        return ""
    known = getattr(proxy, "__dict__", {})
    attributes, commands = known.get("_attr_names"), known.get("_cmd_names")
    if not isinstance(attributes, dict) or not isinstance(commands, dict) or "_dev_name" not in known:
        return ""  # not a device proxy, or its names were never read
    setting = frame.f_code.co_name == "__setattr__"  # only attributes can be set
    choices = list(attributes.values()) + ([] if setting else list(commands.values()))
    from .suggest import did_you_mean
    suggestion = did_you_mean(name, choices, beginnings=False)
    device = known.get("_dev_name") or "the device"
    what = "attribute" if setting else "attribute or command"
    return f"({device} has no {what} {name!r}.{suggestion})" if suggestion else ""


_NOT_DEFINED = re.compile(r"device (\S+) not defined", re.IGNORECASE)


def misspelt_device(exc: BaseException) -> str | None:
    """The device name of a ``DB_DeviceNotDefined`` error (the database did not know it)."""
    errors = _errors(exc)
    if not errors or errors[0].reason != "DB_DeviceNotDefined":
        return None
    found = _NOT_DEFINED.search(str(errors[0].desc))
    return found.group(1) if found else None


def caused_by_devfailed_lines(exc: BaseException) -> list[str]:
    """An exception raised because of a DevFailed (``dev.attr`` on a device that is down: an
    AttributeError from the DevFailed that kept its names from being read): its own first line,
    then the DevFailed's two short lines."""
    cause = exc.__cause__
    assert cause is not None
    said = str(exc).strip().splitlines()
    short = short_devfailed_lines(cause)
    return [f"{type(exc).__name__}: {said[0] if said else ''}", f"  caused by {short[0]}"] + short[1:]


def make_devfailed_handler(remember: Any, library_dirs: tuple[str, ...] = (),
                           suggest: Any = None, devfailed: type | None = None) -> Any:
    """A ``set_custom_exc`` handler for DevFailed, KeyboardInterrupt, AttributeError and
    the :data:`BAD_VALUE_ERRORS`.

    DevFailed: calls ``remember(exc)`` and shows (and returns) the short lines, with
    ``suggest(exc)`` (" Did you mean ...?" or "") after the description.
    KeyboardInterrupt: Ctrl-C during a slow Tango call lands deep in the client library
    (a select() in the transport), and a traceback through it tells the user nothing; the
    frames inside ``library_dirs`` (tango_core's and itango's directories) are left out
    and one line says what happened to the call.  A Ctrl-C elsewhere gets IPython's usual traceback.
    AttributeError: one raised from a ``devfailed`` (the DevFailed class; ``dev.attr`` on a device
    that does not answer) shows its first line and the DevFailed's short lines, and ``%tango_error``
    shows that DevFailed; any other keeps IPython's usual traceback.
    Bad values (TypeError, ValueError, OverflowError) raised inside ``library_dirs[0]`` on the
    user's call: the traceback keeps the user's frames and the innermost one (the check that
    refused the value, whose message says what it expected), and says how many frames it left
    out (``%python_error`` shows them all); raised anywhere else, IPython's usual traceback.
    """

    def devfailed_handler(shell: Any, etype: type, value: BaseException, tb: Any,
                          tb_offset: int | None = None) -> list[str] | None:
        if issubclass(etype, AttributeError) and not (devfailed is not None and
                                                      isinstance(value.__cause__, devfailed)):
            hint = unknown_member_hint(tb)
            if hint:
                sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
                # the proxy's own frame says nothing the hint does not: the user's frames only
                users = _frames_before(tb, library_dirs[:1]) if library_dirs else None
                stb = list(shell.InteractiveTB.structured_traceback(etype, value, users or tb, tb_offset=tb_offset))
                stb.append(hint)
                shell._showtraceback(etype, value, stb)
                return stb
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return None
        if issubclass(etype, AttributeError):
            sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
            remember(value.__cause__)
            stb = caused_by_devfailed_lines(value)
            shell._showtraceback(etype, value, stb)
            return stb
        if issubclass(etype, BAD_VALUE_ERRORS) and not (devfailed is not None and issubclass(etype, devfailed)):
            # library_dirs[0] is the client library's (tango_core's): an error of the shell's own
            # code keeps its whole traceback
            cut = _users_frames_and_the_check(tb, library_dirs[:1]) if library_dirs else None
            if cut is None:
                shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
                return None
            short, left_out = cut
            sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
            stb = shell.InteractiveTB.structured_traceback(etype, value, short, tb_offset=tb_offset)
            stb = list(stb) + [bad_value_hint(left_out)]
            shell._showtraceback(etype, value, stb)
            return stb
        if issubclass(etype, KeyboardInterrupt):
            short = _frames_before(tb, library_dirs) if library_dirs else None
            if short is None:
                shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
                return None
            sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
            stb = shell.InteractiveTB.structured_traceback(etype, value, short,
                                                           tb_offset=tb_offset)
            stb = list(stb) + [INTERRUPTED]
            shell._showtraceback(etype, value, stb)
            return stb
        remember(value)
        try:
            suggestion = suggest(value) if suggest is not None else ""
        except Exception:  # a hint must never hide the error itself
            suggestion = ""
        stb = short_devfailed_lines(value, suggestion)
        shell._showtraceback(etype, value, stb)
        return stb

    return devfailed_handler
