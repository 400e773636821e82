"""``command``: how device code declares a command (PyTango's ``tango.server.command``).

The decorator leaves the method callable as before and tags it with ``__tango_command__ =
(name, [[in_type, doc_in], [out_type, doc_out], options])`` -- the same record as a classic
``cmd_list`` entry, so both APIs end up as one :class:`CommandDef` per command of a class.
Types come from ``dtype_in``/``dtype_out`` (same spellings as attributes; ``(int,)`` is
DevVarLong64Array) or from the method's type hints.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ..idl.enums import AttrDataFormat, CmdArgType, DispLevel
from ..idl.errors import DevError, DevFailed, ErrSeverity
from ..idl.types import DevCmdInfo, DevCmdInfo_2
from ..wire.cdr import CDRWriter
from .dtypes import attribute_type_format, parse_type_hint, scalar_to_array_type

__all__ = ["command", "CommandDef"]


class _DevVoid:
    def __repr__(self) -> str:
        return "DevVoid"


_VOID = _DevVoid()


def _hints(f: Callable) -> tuple[Any, Any]:
    func = f.__func__ if inspect.ismethod(f) else f
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None, None
    params = list(sig.parameters.values())
    first = params[1].annotation if len(params) > 1 and params[1].annotation is not inspect.Parameter.empty \
        else None
    ret = None if sig.return_annotation is inspect.Signature.empty else sig.return_annotation
    return first, ret


def _type_name(t: Any) -> str:
    if isinstance(t, CmdArgType):
        return t.name
    return getattr(t, "__name__", str(t))


def _doc_in(f: Callable, dtype_in: Any) -> str:
    if dtype_in not in (CmdArgType.DevVoid, None):
        bound = getattr(f, "__tango_bound_method__", None)
        params = list(inspect.signature(bound or f).parameters.values())
        first = 0 if bound is not None else 1
        name = params[first].name if len(params) > first else "arg"
        return f":param {name}: (not documented)\n:type {name}: {_type_name(dtype_in)}"
    return "No input parameter (DevVoid)"


def _from_docstring(doc: str, doc_in: str, doc_out: str) -> tuple[str, str]:
    """``doc_in``/``doc_out`` not given to ``@command`` are taken from the method's docstring
    (reST, Google, NumPy or Epydoc) when the optional ``docstring_parser`` package is installed,
    as PyTango does: ``"name (type): description"`` and ``"returns (type): description"``."""
    try:
        from docstring_parser import parse  # optional, as in PyTango
    except ImportError:
        return doc_in, doc_out
    try:
        parsed = parse(doc)
    except Exception:  # noqa: BLE001 - a docstring it cannot read documents nothing
        return doc_in, doc_out
    if doc_in == "" and parsed.params:
        first = parsed.params[0]
        doc_in = f"{first.arg_name} ({first.type_name}): {first.description}"
    if doc_out == "" and parsed.returns is not None:
        doc_out = f"returns ({parsed.returns.type_name}): {parsed.returns.description}"
    return doc_in, doc_out


def _doc_out(dtype_out: Any) -> str:
    if dtype_out not in (CmdArgType.DevVoid, None):
        return f":return: (not documented)\n:rtype: {_type_name(dtype_out)}"
    return "No output parameter (DevVoid)"


def _wire_type(dtype: Any, dformat: AttrDataFormat | None) -> CmdArgType:
    if dtype is None:
        return CmdArgType.DevVoid
    if dformat in (None, AttrDataFormat.SCALAR):
        return CmdArgType(dtype)
    if dformat == AttrDataFormat.IMAGE:
        raise TypeError("Cannot translate IMAGE to tango type")
    return scalar_to_array_type(dtype)


def command(f: Callable | None = None, dtype_in: Any = _VOID, dformat_in: Any = None, doc_in: str = "",
            dtype_out: Any = _VOID, dformat_out: Any = None, doc_out: str = "", display_level: Any = None,
            polling_period: int | None = None, green_mode: Any = True, fisallowed: Any = None,
            cmd_green_mode: Any = None, isallowed_green_mode: Any = None) -> Any:
    """Declares a method as a Tango command (``@command`` or ``@command(dtype_in=float, ...)``)."""
    if f is None:
        return functools.partial(command, dtype_in=dtype_in, dformat_in=dformat_in, doc_in=doc_in,
                                 dtype_out=dtype_out, dformat_out=dformat_out, doc_out=doc_out,
                                 display_level=display_level, polling_period=polling_period,
                                 green_mode=green_mode, fisallowed=fisallowed, cmd_green_mode=cmd_green_mode,
                                 isallowed_green_mode=isallowed_green_mode)
    name = f.__name__
    if inspect.ismethod(f):  # command(f=self.method): keep the bound method, tag a wrapper
        bound = f

        @functools.wraps(bound)
        def f(*args: Any, **kwargs: Any) -> Any:
            return bound(*args, **kwargs)
        f.__tango_bound_method__ = bound
        hint_in, hint_out = _hints(bound)
    else:
        hint_in, hint_out = _hints(f)
    if dtype_out is _VOID:
        dtype_out = None
        if hint_out is not None:
            dtype_out, dformat_out, _x, _y = parse_type_hint(hint_out, caller="command")
    if dtype_in is _VOID:
        dtype_in = None
        if hint_in is not None:
            dtype_in, dformat_in, _x, _y = parse_type_hint(hint_in, caller="command")
    if dtype_in is not None:
        dtype_in, dformat_in, _ = attribute_type_format(dtype_in, dformat_in, None)
    if dtype_out is not None:
        dtype_out, dformat_out, _ = attribute_type_format(dtype_out, dformat_out, None)
    if dtype_in == CmdArgType.DevEnum or dtype_out == CmdArgType.DevEnum:
        raise TypeError(f"command {name}: DevEnum is not a command argument type")
    if (doc_in == "" or doc_out == "") and f.__doc__:
        doc_in, doc_out = _from_docstring(f.__doc__, doc_in, doc_out)
    if doc_in == "":
        doc_in = _doc_in(f, dtype_in)
    if doc_out == "":
        doc_out = _doc_out(dtype_out)
    din = [_wire_type(dtype_in, dformat_in), doc_in]
    dout = [_wire_type(dtype_out, dformat_out), doc_out]
    config: dict[str, Any] = {}
    if display_level is not None:
        config["Display level"] = display_level
    if polling_period is not None:
        config["Polling period"] = polling_period
    if fisallowed is not None:
        config["Is allowed"] = fisallowed
    # PyTango's keys: False runs that plain method of an asyncio device directly, without warning
    config["Is allowed green_mode"] = bool(green_mode if isallowed_green_mode is None else isallowed_green_mode)
    config["Command green_mode"] = bool(green_mode if cmd_green_mode is None else cmd_green_mode)
    f.__tango_command__ = (name, [din, dout, config])
    if f.__doc__ is None:
        f.__doc__ = f"'{name}' TANGO command\n\n{doc_in}\n\n{doc_out}"
    return f


def _wrong(msg: str) -> DevFailed:
    return DevFailed(DevError("PyDs_WrongCommandDefinition", msg, "create_command()", ErrSeverity.ERR))


class CommandDef:
    """One command of a device class (or of one device, for dynamic commands).

    ``execute(device, argin)`` calls the method (no argument for DevVoid); ``is_allowed(device)``
    returns True when no guard method exists.
    """

    def __init__(self, name: str, in_type: CmdArgType, out_type: CmdArgType, in_desc: str = "",
                 out_desc: str = "", display_level: DispLevel = DispLevel.OPERATOR, polling_period: int = -1,
                 method: Callable | str | None = None, is_allowed: Callable | str | None = None,
                 green_mode: bool = True, isallowed_green_mode: bool = True) -> None:
        self.name = name
        #: False: an asyncio device's plain method runs directly, without the sync-method warning
        self.green_mode = green_mode
        self.isallowed_green_mode = isallowed_green_mode
        self.name_lower = name.lower()
        self.in_type = CmdArgType(in_type)
        self.out_type = CmdArgType(out_type)
        self.in_desc = in_desc
        self.out_desc = out_desc
        self.display_level = DispLevel(display_level)
        self.polling_period = -1 if polling_period is None else int(polling_period)
        self.method = method if method is not None else name
        self.is_allowed_method = is_allowed
        self._is_allowed_name = f"is_{name}_allowed"

    @classmethod
    def from_info(cls, name: str, info: Any, *, method: Callable | str | None = None) -> "CommandDef":
        """From ``[[in_type, in_desc], [out_type, out_desc](, {options})]`` (cmd_list / ``__tango_command__``)."""
        if not isinstance(info, (list, tuple)) or len(info) not in (2, 3):
            raise _wrong(f"Wrong data type for value for describing command {name}\nMust be a sequence with 2 or "
                         "3 elements")
        try:
            in_type = CmdArgType(info[0][0])
            out_type = CmdArgType(info[1][0])
        except (ValueError, TypeError, IndexError):
            raise _wrong(f"Wrong data type in command argument for command {name}\nCommand parameter type must "
                         "be a tango.CmdArgType") from None
        in_desc = info[0][1] if len(info[0]) > 1 else ""
        out_desc = info[1][1] if len(info[1]) > 1 else ""
        opts = dict(info[2]) if len(info) == 3 else {}
        level = opts.get("Display level", opts.get("display level", DispLevel.OPERATOR))
        period = opts.get("Polling period", opts.get("polling period", -1))
        allowed = opts.get("Is allowed")
        return cls(name, in_type, out_type, in_desc, out_desc, level, period, method, allowed,
                   bool(opts.get("Command green_mode", True)), bool(opts.get("Is allowed green_mode", True)))

    def resolve_is_allowed(self, device: Any) -> Callable | None:
        guard = self.is_allowed_method
        if guard is None:
            guard = getattr(device, self._is_allowed_name, None)
            return guard if callable(guard) else None
        if isinstance(guard, str):
            found = getattr(device, guard, None)
            return found if callable(found) else None
        if inspect.ismethod(guard) and getattr(guard, "__self__", None) is device:
            return guard
        return functools.partial(guard, device)

    def resolve_method(self, device: Any) -> Callable:
        m = self.method
        if isinstance(m, str):
            found = getattr(device, m, None)
            if not callable(found):
                raise DevFailed(DevError("API_CommandNotFound", f"Command {self.name} not found",
                                         "DeviceClass::command_handler()", ErrSeverity.ERR))
            return found
        if inspect.ismethod(m) and getattr(m, "__self__", None) is device:
            return m
        if getattr(m, "__tango_bound_method__", None) is not None:
            return m
        return functools.partial(m, device)

    def info(self) -> DevCmdInfo:
        return DevCmdInfo(self.name, 0, self.in_type, self.out_type, self.in_desc, self.out_desc)

    def info_2(self) -> DevCmdInfo_2:
        return DevCmdInfo_2(self.name, self.display_level, 0, self.in_type, self.out_type, self.in_desc,
                            self.out_desc)

    def info_octets(self, idl: int, little_endian: bool) -> bytes:
        """``info()`` (idl 1) or ``info_2()`` CDR-encoded from a 4-aligned offset (DevCmdInfo(_2)
        has only strings and longs), cached until a field changes: PyTango clients ask for it
        before every command."""
        key = (self.name, self.display_level, self.in_type, self.out_type, self.in_desc, self.out_desc)
        cache = self.__dict__.setdefault("_info_octets", {})
        hit = cache.get((idl, little_endian))
        if hit is not None and hit[0] == key:
            return hit[1]
        w = CDRWriter(little_endian)
        (self.info_2() if idl >= 2 else self.info()).write(w)
        data = bytes(w.buf)
        cache[(idl, little_endian)] = (key, data)
        return data

    def __repr__(self) -> str:
        return f"CommandDef({self.name}, {self.in_type.name} -> {self.out_type.name})"
