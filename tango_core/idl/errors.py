"""Tango errors: ``DevError``, the ``DevFailed`` exception family and their CDR forms.

These mirror PyTango 10.3.1 so that user code and ITango can treat them alike:

* ``DevError`` is a mutable record (reason, desc, origin, severity) whose
  ``str()``/``repr()`` are PyTango's pretty-print formats;
* ``DevFailed`` is an ``Exception`` whose ``args`` is the tuple of DevErrors,
  innermost (first raised) error first.  Its eleven subclasses exist so that
  callers can catch e.g. ``ConnectionFailed``; their ``str``/``repr`` still
  say ``DevFailed`` exactly as PyTango's do;
* ``Except`` offers PyTango's static helpers (``throw_exception`` ...).

On the wire, a failed call answers with a GIOP user exception whose body is the
repository id then the exception members: ``IDL:Tango/DevFailed:1.0`` carries a
``DevErrorList``; ``IDL:Tango/MultiDevFailed:1.0`` (``write_attributes*``)
carries a ``NamedDevErrorList``.  :func:`decode_user_exception` turns either
body into an exception object; the client layer decides what to raise.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Iterable, Sequence

from ..wire.errors import MarshalError
from .enums import ErrSeverity

if TYPE_CHECKING:  # not at run time: keeps numpy (via wire.cdr) out of a bare ``import`` of the errors
    from ..wire.cdr import CDRReader, CDRWriter

__all__ = [
    "DevError", "DevFailed", "ConnectionFailed", "CommunicationFailed", "WrongNameSyntax",
    "NonDbDevice", "WrongData", "NonSupportedFeature", "AsynCall", "AsynReplyNotArrived",
    "EventSystemFailed", "DeviceUnlocked", "NotAllowed", "MultiDevFailed",
    "NamedDevError", "NamedDevFailed", "NamedDevFailedList", "Except",
    "DEV_FAILED_ID", "MULTI_DEV_FAILED_ID",
    "read_dev_error_list", "write_dev_error_list", "decode_user_exception", "write_user_exception",
    "dev_error",
]

DEV_FAILED_ID = "IDL:Tango/DevFailed:1.0"
MULTI_DEV_FAILED_ID = "IDL:Tango/MultiDevFailed:1.0"

_INDENT = "    "
# Smallest possible encoded DevError (three 1-char strings and an enum): guards hostile counts.
_MIN_DEV_ERROR_SIZE = 19


def _indent_block(text: str) -> str:
    """Strip, then indent every non-blank line by one level (PyTango's pprint rule)."""
    import textwrap  # when printing only: not at import
    return textwrap.indent(text.strip(), _INDENT)


def _indent_value(text: str) -> str:
    """A possibly multi-line value: continuation lines one level deeper than the first."""
    return _indent_block(text).strip()


def _severity(value: int) -> ErrSeverity | int:
    try:
        return ErrSeverity(value)
    except ValueError:
        return int(value)  # unknown on the wire: keep the number rather than fail the whole reply


class DevError:
    """One entry of a Tango error stack (IDL ``Tango::DevError``).

    Wire order is reason, severity, desc, origin; the keyword order of the
    constructor follows PyTango's ``Except.throw_exception(reason, desc, origin, severity)``.
    ``DevError()`` has PyTango's defaults: empty strings and ``ErrSeverity.WARN``.
    """

    __slots__ = ("reason", "desc", "origin", "_severity")

    def __init__(self, reason: str = "", desc: str = "", origin: str = "",
                 severity: ErrSeverity | int = ErrSeverity.WARN) -> None:
        self.reason = reason
        self.desc = desc
        self.origin = origin
        self.severity = severity

    @property
    def severity(self) -> ErrSeverity:
        return self._severity

    @severity.setter
    def severity(self, value: ErrSeverity | int) -> None:
        self._severity = _severity(value)

    # -- CDR --------------------------------------------------------------
    @classmethod
    def read(cls, r: CDRReader) -> "DevError":
        reason = r.read_string()
        severity = r.read_enum()
        desc = r.read_string()
        origin = r.read_string()
        return cls(reason, desc, origin, severity)

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.reason)
        w.write_enum(self.severity)
        w.write_string(self.desc)
        w.write_string(self.origin)

    # -- Python protocol --------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DevError):
            return NotImplemented
        return (self.reason, self.desc, self.origin, int(self.severity)) == \
            (other.reason, other.desc, other.origin, int(other.severity))

    __hash__ = None  # mutable

    def __reduce__(self):
        return (DevError, (self.reason, self.desc, self.origin, self.severity))

    def __repr__(self) -> str:
        return (f"DevError(desc = {self.desc!r}, origin = {self.origin!r}, "
                f"reason = {self.reason!r}, severity = {self.severity!r})")

    def __str__(self) -> str:
        details = (f"desc = {_indent_value(self.desc)}\n"
                   f"origin = {_indent_value(self.origin)}\n"
                   f"reason = {self.reason}\n"
                   f"severity = {self.severity}\n")
        return f"DevError[\n{_indent_block(details)}\n]"


def dev_error(reason: str, desc: str, origin: str) -> DevError:
    """A DevError of severity ERR: what cppTango and PyTango put in the stacks they raise
    (``DevError()`` itself defaults to WARN, as PyTango's does)."""
    return DevError(reason, desc, origin, ErrSeverity.ERR)


def read_dev_error_list(r: CDRReader) -> list[DevError]:
    """Read an IDL ``DevErrorList``."""
    return r.read_seq(DevError.read, _MIN_DEV_ERROR_SIZE)


def write_dev_error_list(w: CDRWriter, errors: Sequence[DevError]) -> None:
    """Write an IDL ``DevErrorList``."""
    w.write_seq(errors, lambda w_, e: e.write(w_))


class DevFailed(Exception):
    """The Tango exception: ``args`` is a tuple of :class:`DevError`, first raised first.

    ``DevFailed()`` has empty args; ``DevFailed(err1, err2)`` keeps them as given.
    """

    @classmethod
    def from_reason(cls, reason: str, desc: str, origin: str,
                    severity: ErrSeverity | int = ErrSeverity.ERR) -> "DevFailed":
        """Build (not raise) an exception holding one DevError."""
        return cls(DevError(reason, desc, origin, severity))

    def __str__(self) -> str:
        body = _indent_block(",\n".join(str(e).strip() for e in self.args))
        return f"DevFailed[\n{body}\n]"

    def __repr__(self) -> str:
        return f"DevFailed(args = {self.args!r})"


class ConnectionFailed(DevFailed):
    """The device (or database) could not be reached."""


class CommunicationFailed(DevFailed):
    """The connection broke, or a call timed out, after the request was sent."""


class WrongNameSyntax(DevFailed):
    """A device/attribute/property name is malformed."""


class NonDbDevice(DevFailed):
    """A database operation was asked of a device that does not use the database."""


class WrongData(DevFailed):
    """Data of the wrong type or shape was given or received."""


class NonSupportedFeature(DevFailed):
    """The peer's IDL version does not support the requested call."""


class AsynCall(DevFailed):
    """Misuse of the asynchronous call API."""


class AsynReplyNotArrived(DevFailed):
    """An asynchronous reply was asked for before it arrived."""


class EventSystemFailed(DevFailed):
    """Event subscription or delivery failed."""


class DeviceUnlocked(DevFailed):
    """The device lock held by this client was lost."""


class NotAllowed(DevFailed):
    """The operation is not allowed (e.g. while the device is locked)."""


class NamedDevError:
    """IDL ``NamedDevError``: the errors of one item of a multi-item call."""

    __slots__ = ("name", "index_in_call", "err_list")

    def __init__(self, name: str = "", index_in_call: int = 0,
                 err_list: Iterable[DevError] = ()) -> None:
        self.name = name
        self.index_in_call = index_in_call
        self.err_list = list(err_list)

    @classmethod
    def read(cls, r: CDRReader) -> "NamedDevError":
        name = r.read_string()
        index = r.read_long()
        return cls(name, index, read_dev_error_list(r))

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_long(self.index_in_call)
        write_dev_error_list(w, self.err_list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NamedDevError):
            return NotImplemented
        return (self.name, self.index_in_call, self.err_list) == \
            (other.name, other.index_in_call, other.err_list)

    __hash__ = None

    def __repr__(self) -> str:
        return (f"NamedDevError(name = {self.name!r}, index_in_call = {self.index_in_call!r}, "
                f"err_list = {self.err_list!r})")


class MultiDevFailed(DevFailed):
    """IDL ``MultiDevFailed`` (from ``write_attributes*``).

    ``errors`` keeps the per-item :class:`NamedDevError` list; ``args`` is every
    DevError of every item, in order, so it still reads like a DevFailed.
    PyTango never raises this type (it reports a plain DevFailed), so the
    client layer converts it before it reaches users.
    """

    def __init__(self, errors: Iterable[NamedDevError] = ()) -> None:
        self.errors = list(errors)
        super().__init__(*[e for item in self.errors for e in item.err_list])

    def __reduce__(self):
        return (MultiDevFailed, (self.errors,))


class NamedDevFailed:
    """PyTango's per-item failure record (``name``, ``idx_in_call``, ``err_stack``)."""

    __slots__ = ("name", "idx_in_call", "err_stack")

    def __init__(self, name: str = "", idx_in_call: int = 0, err_stack: Iterable[DevError] = ()) -> None:
        self.name = name
        self.idx_in_call = idx_in_call
        self.err_stack = list(err_stack)

    @classmethod
    def from_named_dev_error(cls, e: NamedDevError) -> "NamedDevFailed":
        return cls(e.name, e.index_in_call, e.err_list)

    def __repr__(self) -> str:
        return (f"NamedDevFailed(err_stack = {self.err_stack!r}, idx_in_call = {self.idx_in_call!r}, "
                f"name = {self.name!r})")


class NamedDevFailedList:
    """PyTango's list of per-item failures of a multi-item call (a plain class, as in PyTango)."""

    __slots__ = ("err_list", "_call_failed")

    def __init__(self, err_list: Iterable[NamedDevFailed] = (), call_failed: bool | None = None) -> None:
        self.err_list = list(err_list)
        # a call can fail as a whole with no per-item failure (a time-out of an asynchronous write)
        self._call_failed = bool(self.err_list) if call_failed is None else call_failed

    def call_failed(self) -> bool:
        return self._call_failed

    def get_faulty_attr_nb(self) -> int:
        return len(self.err_list)


def decode_user_exception(repo_id: str, r: CDRReader) -> DevFailed:
    """Decode a Tango user-exception body (``r`` positioned after the repository id).

    Returns a :class:`DevFailed` for ``IDL:Tango/DevFailed:1.0`` and a
    :class:`MultiDevFailed` for ``IDL:Tango/MultiDevFailed:1.0``; raises
    :class:`MarshalError` for any other id or a malformed body.
    """
    if repo_id == DEV_FAILED_ID:
        return DevFailed(*read_dev_error_list(r))
    if repo_id == MULTI_DEV_FAILED_ID:
        return MultiDevFailed(r.read_seq(NamedDevError.read, 13))
    raise MarshalError(f"unknown user exception {repo_id!r}")


def write_user_exception(w: CDRWriter, exc: DevFailed) -> None:
    """Write a user-exception reply body: repository id, then the members."""
    if isinstance(exc, MultiDevFailed):
        w.write_string(MULTI_DEV_FAILED_ID)
        w.write_seq(exc.errors, lambda w_, e: e.write(w_))
    else:
        w.write_string(DEV_FAILED_ID)
        write_dev_error_list(w, [e for e in exc.args if isinstance(e, DevError)])


class Except:
    """PyTango's ``tango.Except`` static helpers."""

    @staticmethod
    def throw_exception(reason: str, desc: str, origin: str,
                        severity: ErrSeverity | int = ErrSeverity.ERR) -> None:
        """Raise a DevFailed holding one DevError."""
        raise DevFailed(DevError(reason, desc, origin, severity))

    @staticmethod
    def re_throw_exception(exception: DevFailed, reason: str, desc: str, origin: str,
                           severity: ErrSeverity | int = ErrSeverity.ERR) -> None:
        """Raise a DevFailed with the errors of ``exception`` plus a new outermost one."""
        raise DevFailed(*exception.args, DevError(reason, desc, origin, severity)) from exception

    @staticmethod
    def to_dev_failed(exc_type=None, exc_value=None, traceback=None) -> DevFailed:
        """Convert a Python exception (default: the one being handled) into a DevFailed.

        A DevFailed is returned as is; anything else becomes one
        ``PyDs_PythonError`` entry (desc = ``"Type: message\\n"``, origin = the traceback).
        """
        if exc_type is None and exc_value is None:
            exc_type, exc_value, traceback = sys.exc_info()
        if isinstance(exc_value, DevFailed):
            return exc_value
        if exc_value is None and exc_type is not None:
            exc_value = exc_type()
        exc_type = type(exc_value) if exc_type is None else exc_type
        import traceback as _traceback  # for an error only: not at import
        desc = "".join(_traceback.format_exception_only(exc_type, exc_value))
        origin = "".join(_traceback.format_exception(exc_type, exc_value, traceback))
        return DevFailed(DevError("PyDs_PythonError", desc, origin, ErrSeverity.ERR))

    @staticmethod
    def throw_python_exception(exc_type=None, exc_value=None, traceback=None) -> None:
        """Raise :meth:`to_dev_failed` of the given (default: current) Python exception."""
        raise Except.to_dev_failed(exc_type, exc_value, traceback)

    @staticmethod
    def compare_exception(ex1: DevFailed, ex2: DevFailed) -> bool:
        """True when both error stacks hold equal DevErrors."""
        return tuple(ex1.args) == tuple(ex2.args)

    @staticmethod
    def print_error_stack(error_stack: Sequence[DevError]) -> None:
        """Print every DevError of a stack to stderr, in cppTango's layout."""
        for e in error_stack:
            print(f"Tango error stack\nSeverity = {_SEVERITY_WORDS.get(int(e.severity), e.severity)}\n"
                  f"Error reason = {e.reason}\nDesc : {e.desc}\nOrigin : {e.origin}\n", file=sys.stderr)


_SEVERITY_WORDS = {0: "WARNING", 1: "ERROR", 2: "PANIC"}
