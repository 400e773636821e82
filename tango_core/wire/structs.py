"""Plain record classes, as ``@dataclass(slots=True)`` makes them, at a fraction of the import cost.

The codec's structs (GIOP messages, IORs, every Tango IDL struct) are records: fields in
annotation order, defaults or ``field(default_factory=...)``, ``__init__``/``__repr__``/``__eq__``
over the fields, ``__slots__``, unhashable -- or, ``@record(frozen=True)``, immutable and
hashable over the fields (``dataclass(frozen=True)``; changing a field raises
:class:`FrozenInstanceError`, copies and pickles work).  ``dataclasses`` generates the three methods with
three ``exec`` calls per class while the module is imported -- about 1 ms per class, a third of
a device server's own import time for ~60 structs, most of which a given process never builds.

:func:`record` gives the same class behaviour, but the class gets its ``__slots__`` at once and
its methods are generated (one ``exec`` for the three) the first time any of them is used.
Methods the class body defines itself are kept, as with dataclasses.  :func:`fields` lists a
struct's fields (name, type as written, default, default_factory).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

__all__ = ["record", "field", "fields", "Field", "MISSING", "FrozenInstanceError"]

C = TypeVar("C", bound=type)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: no default (a required field)
MISSING: Any = _Missing()


class Field:
    """One field of a struct: ``name``, ``type`` (the annotation as written), ``default`` and
    ``default_factory`` (MISSING when absent)."""

    __slots__ = ("name", "type", "default", "default_factory")

    def __init__(self, name: str, type: Any, default: Any, default_factory: Any) -> None:  # noqa: A002
        self.name = name
        self.type = type
        self.default = default
        self.default_factory = default_factory

    def __repr__(self) -> str:
        return f"Field({self.name!r}, {self.type!r})"


class _FieldSpec:
    __slots__ = ("default", "default_factory")

    def __init__(self, default: Any, default_factory: Any) -> None:
        self.default = default
        self.default_factory = default_factory


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING) -> Any:
    """A field's default given in the class body: ``x: list = field(default_factory=list)``."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _FieldSpec(default, default_factory)


def fields(cls_or_obj: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in order."""
    cls = cls_or_obj if isinstance(cls_or_obj, type) else type(cls_or_obj)
    try:
        return cls.__struct_fields__
    except AttributeError:
        raise TypeError(f"{cls.__name__} is not a record") from None


class FrozenInstanceError(AttributeError):
    """A field of a frozen record was assigned or deleted."""


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _frozen_getstate(self: Any) -> tuple:
    return tuple(getattr(self, f.name) for f in self.__struct_fields__)


def _frozen_setstate(self: Any, state: tuple) -> None:
    for f, value in zip(self.__struct_fields__, state):
        object.__setattr__(self, f.name, value)


_METHODS = ("__init__", "__repr__", "__eq__", "__hash__")


def record(cls: C | None = None, *, frozen: bool = False) -> Any:
    """Class decorator: ``cls`` as a slotted record (see the module docstring);
    ``@record(frozen=True)`` for an immutable, hashable one."""
    if cls is None:
        return lambda c: _record(c, frozen)
    return _record(cls, frozen)


def _record(cls: C, frozen: bool) -> C:
    body = cls.__dict__
    found = []
    seen_default = False
    for name, annotation in body.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = body.get(name, MISSING)
        if isinstance(value, _FieldSpec):
            default, factory = value.default, value.default_factory
        else:
            default, factory = value, MISSING
        if default is MISSING and factory is MISSING:
            if seen_default:
                raise TypeError(f"non-default field {name!r} follows a default field in {cls.__name__}")
        else:
            seen_default = True
        found.append(Field(name, annotation, default, factory))
    names = tuple(f.name for f in found)
    ns = {k: v for k, v in body.items() if k not in names and k not in ("__dict__", "__weakref__")}
    ns["__slots__"] = names
    ns["__struct_fields__"] = tuple(found)
    ns["__struct_frozen__"] = frozen
    ns["__match_args__"] = names
    own = frozenset(m for m in _METHODS if m in body)
    if frozen:
        ns["__setattr__"] = _frozen_setattr
        ns["__delattr__"] = _frozen_delattr
        ns["__getstate__"] = _frozen_getstate
        ns["__setstate__"] = _frozen_setstate
    elif "__eq__" not in body and "__hash__" not in body:
        ns["__hash__"] = None            # mutable records compare by value: unhashable
        own |= {"__hash__"}
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    new.__qualname__ = cls.__qualname__

    stubs: dict[str, Callable] = {}

    def materialize() -> dict[str, Callable]:
        made = _make_methods(new, own)
        for name, fn in made.items():
            if new.__dict__.get(name) is stubs[name]:   # not replaced since (e.g. a printable __repr__)
                setattr(new, name, fn)
        return made

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        materialize()["__init__"](self, *args, **kwargs)

    def __repr__(self) -> str:
        return materialize()["__repr__"](self)

    def __eq__(self, other: object) -> bool:
        return materialize()["__eq__"](self, other)

    def __hash__(self) -> int:
        return materialize()["__hash__"](self)

    for name, stub in (("__init__", __init__), ("__repr__", __repr__), ("__eq__", __eq__), ("__hash__", __hash__)):
        if name == "__hash__" and not frozen:
            continue
        if name not in own:
            stub.__qualname__ = f"{cls.__qualname__}.{name}"
            stubs[name] = stub
            setattr(new, name, stub)
    return new  # type: ignore[return-value]


def _make_methods(cls: type, own: frozenset[str]) -> dict[str, Callable]:
    """The struct's generated methods (those its body did not define), from one ``exec``."""
    fs = cls.__struct_fields__
    frozen = cls.__struct_frozen__
    env: dict[str, Any] = {"MISSING": MISSING, "_set": object.__setattr__}
    params, assigns = [], []
    for i, f in enumerate(fs):
        if f.default_factory is not MISSING:
            env[f"_factory_{i}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            value = f"_factory_{i}() if {f.name} is MISSING else {f.name}"
        elif f.default is not MISSING:
            env[f"_default_{i}"] = f.default
            params.append(f"{f.name}=_default_{i}")
            value = f.name
        else:
            params.append(f.name)
            value = f.name
        assigns.append(f"    _set(self, {f.name!r}, {value})" if frozen else f"    self.{f.name} = {value}")
    mine = tuple(f.name for f in fs)
    own_tuple = "(" + "".join(f"self.{n}," for n in mine) + ")"
    other_tuple = "(" + "".join(f"other.{n}," for n in mine) + ")"
    shown = ", ".join(f"{n}={{self.{n}!r}}" for n in mine)
    src = [f"def __init__(self, {', '.join(params)}):" if params else "def __init__(self):",
           *(assigns or ["    pass"]),
           "def __repr__(self):",
           f"    return f\"{{self.__class__.__qualname__}}({shown})\"",
           "def __eq__(self, other):",
           "    if other.__class__ is self.__class__:",
           f"        return {own_tuple} == {other_tuple}",
           "    return NotImplemented",
           "def __hash__(self):",
           f"    return hash({own_tuple})"]
    exec("\n".join(src), env)  # noqa: S102 - the struct's own field names only
    made = {}
    for name in _METHODS:
        if name not in own and (frozen or name != "__hash__"):
            fn = env[name]
            fn.__qualname__ = f"{cls.__qualname__}.{name}"
            made[name] = fn
    return made
