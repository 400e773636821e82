"""CORBA TypeCodes and the ``any`` type, sans-IO.

A Tango ``command_inout`` carries its argument and result as CORBA ``any``: a
TypeCode that describes the value, then the value itself.  This module models
TypeCodes as small Python objects, reads and writes them in CDR, and reads and
writes ``any`` values generically from the model.  It knows nothing about
Tango; :mod:`tango_core.idl.command_any` maps Tango's command types onto it.

TypeCode objects
    One class per parameter shape (:class:`PrimitiveTC`, :class:`StringTC`,
    :class:`SequenceTC`, :class:`ArrayTC`, :class:`AliasTC`, :class:`StructTC`
    (also ``tk_except``), :class:`UnionTC`, :class:`EnumTC`, :class:`ObjrefTC`
    (also the other "repository id + name" kinds), :class:`FixedTC`).  ``==`` is
    strict structural equality (names and repository ids included);
    :meth:`TypeCode.equivalent` ignores names and repository ids and unwraps
    aliases, which is what a receiver should use.  Decoded TypeCodes may be
    recursive (``DevPipeDataElt`` contains a sequence of itself): comparison
    and encoding handle cycles.

Reading (:func:`read_typecode`)
    Supports every kind Tango uses plus the other "simple" kinds, complex
    parameters in encapsulations of either byte order, and *indirection*
    (``0xFFFFFFFF`` + a negative offset to an earlier TCKind of the same
    top-level TypeCode).  An indirection may only point at the start of a
    TypeCode already seen; a recursive reference must pass through a sequence
    (otherwise the type would be infinitely large); nesting depth is bounded.
    Every violation raises :class:`MarshalError`.

Hostile counts
    Before a sequence or array is read, its count times the smallest possible
    element size (at least one octet, see :func:`min_encoded_size`) must fit in
    the octets left, so a forged count can neither allocate nor loop.  As a
    consequence a sequence of zero-octet values (``tk_null``, empty structs) is
    accepted only if that many octets follow -- Tango never sends one.

Writing (:func:`write_typecode`)
    omniORB's canonical layout: complex parameters in an encapsulation in the
    writer's byte order, zero padding.  Indirection is emitted only for a
    recursive reference.

``any`` values (:func:`read_any`, :func:`write_any`, :func:`read_value`, :func:`write_value`)
    ========================  ==================================================
    TypeCode                  Python value
    ========================  ==================================================
    tk_null, tk_void          ``None``
    integer kinds, octet      ``int``
    float, double             ``float``
    boolean                   ``bool``
    char                      1-character ``str``
    string                    ``str`` (latin-1, as the CDR layer does)
    sequence/array of a       ``numpy.ndarray`` (native byte order, writable);
    numeric primitive         writing accepts any array-like, and ``bytes`` for octets
    other sequence/array      ``list``
    alias                     the value of the aliased type
    struct / except           ``tuple`` in member order (writing also accepts any
                              sequence, or a mapping keyed by member name)
    union                     ``(discriminator, value)``
    enum                      ``int`` (the ordinal)
    objref                    :class:`tango_core.wire.ior.IOR`
    any                       ``(TypeCode, value)``
    TypeCode                  :class:`TypeCode`
    ========================  ==================================================

    Structs decode to tuples, not dicts, because member names are optional in
    TypeCodes (and may repeat in a hostile one), so position is the only
    unambiguous key.  Exceptions inside an ``any`` carry their repository id
    first, as in a GIOP reply; it is checked against the TypeCode's when both
    are non-empty.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Iterable

import numpy as np

from .cdr import CDRReader, CDRWriter
from .errors import MarshalError

__all__ = [
    "TCKind", "TC_INDIRECTION", "MAX_TYPECODE_DEPTH", "MAX_VALUE_DEPTH",
    "TypeCode", "PrimitiveTC", "StringTC", "SequenceTC", "ArrayTC", "AliasTC", "StructTC",
    "UnionTC", "EnumTC", "ObjrefTC", "FixedTC",
    "TC_NULL", "TC_VOID", "TC_SHORT", "TC_LONG", "TC_USHORT", "TC_ULONG", "TC_FLOAT", "TC_DOUBLE",
    "TC_BOOLEAN", "TC_CHAR", "TC_OCTET", "TC_ANY", "TC_TYPECODE", "TC_LONGLONG", "TC_ULONGLONG",
    "TC_STRING", "primitive_tc", "cdr_kind", "min_encoded_size",
    "read_typecode", "write_typecode", "read_any", "write_any", "read_value", "write_value",
]

#: Marker that replaces a TCKind when the TypeCode is an indirection.
TC_INDIRECTION = 0xFFFFFFFF
#: Deepest TypeCode nesting accepted on input (Tango's deepest type nests about 8 levels).
MAX_TYPECODE_DEPTH = 64
#: Deepest value nesting accepted on input (recursive types such as DevPipeDataElt).
MAX_VALUE_DEPTH = 100


class TCKind(enum.IntEnum):
    """CORBA ``TCKind``: the first ulong of every encoded TypeCode."""
    tk_null = 0
    tk_void = 1
    tk_short = 2
    tk_long = 3
    tk_ushort = 4
    tk_ulong = 5
    tk_float = 6
    tk_double = 7
    tk_boolean = 8
    tk_char = 9
    tk_octet = 10
    tk_any = 11
    tk_TypeCode = 12
    tk_Principal = 13
    tk_objref = 14
    tk_struct = 15
    tk_union = 16
    tk_enum = 17
    tk_string = 18
    tk_sequence = 19
    tk_array = 20
    tk_alias = 21
    tk_except = 22
    tk_longlong = 23
    tk_ulonglong = 24
    tk_longdouble = 25
    tk_wchar = 26
    tk_wstring = 27
    tk_fixed = 28
    tk_value = 29
    tk_value_box = 30
    tk_native = 31
    tk_abstract_interface = 32
    tk_local_interface = 33
    tk_component = 34
    tk_home = 35
    tk_event = 36


K = TCKind

#: CDR primitive kind name (as used by CDRReader/CDRWriter) for each primitive TCKind.
_CDR_KIND: dict[TCKind, str] = {
    K.tk_short: "short", K.tk_long: "long", K.tk_ushort: "ushort", K.tk_ulong: "ulong",
    K.tk_float: "float", K.tk_double: "double", K.tk_boolean: "boolean", K.tk_char: "char",
    K.tk_octet: "octet", K.tk_longlong: "longlong", K.tk_ulonglong: "ulonglong",
}
_SIZE = {"short": 2, "ushort": 2, "long": 4, "ulong": 4, "float": 4, "double": 8, "boolean": 1,
         "char": 1, "octet": 1, "longlong": 8, "ulonglong": 8}
#: Kinds with no parameters (the primitive kinds plus null/void/any/TypeCode/Principal...).
_EMPTY_KINDS = frozenset(_CDR_KIND) | {K.tk_null, K.tk_void, K.tk_any, K.tk_TypeCode, K.tk_Principal,
                                       K.tk_longdouble, K.tk_wchar}
#: Kinds whose only (encapsulated) parameters are ``string repo_id; string name``.
_REPO_NAME_KINDS = frozenset({K.tk_objref, K.tk_native, K.tk_abstract_interface, K.tk_local_interface,
                              K.tk_component, K.tk_home})
#: Discriminator kinds legal in a union.
_DISCRIMINATOR_KINDS = frozenset({K.tk_short, K.tk_long, K.tk_ushort, K.tk_ulong, K.tk_longlong,
                                  K.tk_ulonglong, K.tk_boolean, K.tk_char, K.tk_enum})


def cdr_kind(tc: "TypeCode") -> str | None:
    """The CDR primitive kind name (``"double"``...) of a primitive TypeCode, else None."""
    return _CDR_KIND.get(tc.kind)


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------

class TypeCode:
    """Base of all TypeCode classes.  ``kind`` is a :class:`TCKind`."""

    __slots__ = ("kind",)

    # Subclasses list the fields that take part in equality: (strict, loose).
    def __init__(self, kind: TCKind) -> None:
        self.kind = TCKind(kind)

    # -- comparison -------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TypeCode):
            return NotImplemented
        return _compare(self, other, strict=True, assumed=set())

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        # Shallow on purpose: TypeCodes may be recursive.
        return hash((self.kind, getattr(self, "repo_id", None)))

    def equivalent(self, other: "TypeCode") -> bool:
        """True if both describe the same wire layout: aliases unwrapped, names and repository ids ignored."""
        return _compare(self, other, strict=False, assumed=set())

    def unalias(self) -> "TypeCode":
        """This TypeCode with every outer ``tk_alias`` layer removed."""
        tc: TypeCode = self
        seen = 0
        while tc.kind == TCKind.tk_alias:  # not tk_value_box: a boxed value is encoded differently
            tc = tc.content_type
            seen += 1
            if seen > MAX_TYPECODE_DEPTH:
                raise MarshalError("alias chain too long (looping TypeCode?)")
        return tc

    def _fields(self, strict: bool) -> tuple:
        return ()

    def _children(self) -> tuple["TypeCode", ...]:
        return ()

    def __repr__(self) -> str:
        return _repr(self, set())


class PrimitiveTC(TypeCode):
    """A kind without parameters: the numeric primitives, null, void, any, TypeCode, Principal..."""

    __slots__ = ()

    def __init__(self, kind: TCKind) -> None:
        super().__init__(kind)
        if self.kind not in _EMPTY_KINDS:
            raise ValueError(f"{self.kind.name} is not a parameterless TypeCode kind")


class StringTC(TypeCode):
    """``tk_string`` / ``tk_wstring`` with a bound (0 = unbounded)."""

    __slots__ = ("bound",)

    def __init__(self, bound: int = 0, kind: TCKind = TCKind.tk_string) -> None:
        super().__init__(kind)
        self.bound = bound

    def _fields(self, strict: bool) -> tuple:
        return (self.bound,)


class SequenceTC(TypeCode):
    """``tk_sequence``: element type and bound (0 = unbounded)."""

    __slots__ = ("content_type", "bound")

    def __init__(self, content_type: TypeCode | None, bound: int = 0) -> None:
        super().__init__(TCKind.tk_sequence)
        self.content_type = content_type
        self.bound = bound

    def _fields(self, strict: bool) -> tuple:
        return (self.bound,)

    def _children(self) -> tuple[TypeCode, ...]:
        return (self.content_type,)


class ArrayTC(TypeCode):
    """``tk_array``: element type and fixed length."""

    __slots__ = ("content_type", "length")

    def __init__(self, content_type: TypeCode | None, length: int) -> None:
        super().__init__(TCKind.tk_array)
        self.content_type = content_type
        self.length = length

    def _fields(self, strict: bool) -> tuple:
        return (self.length,)

    def _children(self) -> tuple[TypeCode, ...]:
        return (self.content_type,)


class AliasTC(TypeCode):
    """``tk_alias`` (IDL typedef), or ``tk_value_box`` when ``kind`` says so."""

    __slots__ = ("repo_id", "name", "content_type")

    def __init__(self, repo_id: str, name: str, content_type: TypeCode | None,
                 kind: TCKind = TCKind.tk_alias) -> None:
        super().__init__(kind)
        self.repo_id = repo_id
        self.name = name
        self.content_type = content_type

    def _fields(self, strict: bool) -> tuple:
        return (self.repo_id, self.name) if strict else ()

    def _children(self) -> tuple[TypeCode, ...]:
        return (self.content_type,)


class StructTC(TypeCode):
    """``tk_struct`` or ``tk_except``: ``members`` is a tuple of ``(name, TypeCode)``."""

    __slots__ = ("repo_id", "name", "members")

    def __init__(self, repo_id: str, name: str, members: Iterable[tuple[str, TypeCode]] = (),
                 kind: TCKind = TCKind.tk_struct) -> None:
        super().__init__(kind)
        if self.kind not in (K.tk_struct, K.tk_except):
            raise ValueError("StructTC kind must be tk_struct or tk_except")
        self.repo_id = repo_id
        self.name = name
        self.members = tuple(members)

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(m[0] for m in self.members)

    def _fields(self, strict: bool) -> tuple:
        if strict:
            return (self.repo_id, self.name, len(self.members), self.member_names)
        return (len(self.members),)

    def _children(self) -> tuple[TypeCode, ...]:
        return tuple(m[1] for m in self.members)


class UnionTC(TypeCode):
    """``tk_union``: ``members`` is a tuple of ``(label, name, TypeCode)``.

    ``default_index`` is the index of the default member or -1; the default
    member's label is ignored (it is encoded as an octet 0).
    """

    __slots__ = ("repo_id", "name", "discriminator_type", "default_index", "members")

    def __init__(self, repo_id: str, name: str, discriminator_type: TypeCode | None,
                 members: Iterable[tuple[Any, str, TypeCode]] = (), default_index: int = -1) -> None:
        super().__init__(TCKind.tk_union)
        self.repo_id = repo_id
        self.name = name
        self.discriminator_type = discriminator_type
        self.members = tuple(members)
        self.default_index = default_index

    def _labels(self) -> tuple:
        return tuple(None if i == self.default_index else m[0] for i, m in enumerate(self.members))

    def _fields(self, strict: bool) -> tuple:
        base = (self.default_index, len(self.members), self._labels())
        if strict:
            return base + (self.repo_id, self.name, tuple(m[1] for m in self.members))
        return base

    def _children(self) -> tuple[TypeCode, ...]:
        return (self.discriminator_type,) + tuple(m[2] for m in self.members)

    def member_for(self, discriminator) -> int:
        """Index of the member selected by ``discriminator``, or -1 when none is."""
        for i, (label, _name, _tc) in enumerate(self.members):
            if i != self.default_index and label == discriminator:
                return i
        return self.default_index


class EnumTC(TypeCode):
    """``tk_enum``: ``members`` is the tuple of enumerator names (value = index)."""

    __slots__ = ("repo_id", "name", "members")

    def __init__(self, repo_id: str, name: str, members: Iterable[str] = ()) -> None:
        super().__init__(TCKind.tk_enum)
        self.repo_id = repo_id
        self.name = name
        self.members = tuple(members)

    def _fields(self, strict: bool) -> tuple:
        return (self.repo_id, self.name, self.members) if strict else (len(self.members),)


class ObjrefTC(TypeCode):
    """``tk_objref`` and the other kinds described only by ``repo_id`` and ``name``."""

    __slots__ = ("repo_id", "name")

    def __init__(self, repo_id: str, name: str, kind: TCKind = TCKind.tk_objref) -> None:
        super().__init__(kind)
        if self.kind not in _REPO_NAME_KINDS:
            raise ValueError(f"{self.kind.name} is not a repo_id/name TypeCode kind")
        self.repo_id = repo_id
        self.name = name

    def _fields(self, strict: bool) -> tuple:
        return (self.repo_id, self.name) if strict else ()


class FixedTC(TypeCode):
    """``tk_fixed``: digits and scale (modelled for completeness; values are not supported)."""

    __slots__ = ("digits", "scale")

    def __init__(self, digits: int, scale: int) -> None:
        super().__init__(TCKind.tk_fixed)
        self.digits = digits
        self.scale = scale

    def _fields(self, strict: bool) -> tuple:
        return (self.digits, self.scale)


def _compare(a: TypeCode, b: TypeCode, strict: bool, assumed: set) -> bool:
    """Structural comparison that terminates on cyclic TypeCodes (pairs under comparison are assumed equal)."""
    if not strict:
        a, b = a.unalias(), b.unalias()
    if a is b:
        return True
    key = (id(a), id(b))
    if key in assumed:
        return True
    if type(a) is not type(b) or a.kind != b.kind or a._fields(strict) != b._fields(strict):
        return False
    ca, cb = a._children(), b._children()
    if len(ca) != len(cb):
        return False
    assumed.add(key)
    for x, y in zip(ca, cb):
        if x is None or y is None:
            if x is not y:
                return False
        elif not _compare(x, y, strict, assumed):
            return False
    return True


def _repr(tc: TypeCode, active: set) -> str:
    if id(tc) in active:
        return f"<recursive {getattr(tc, 'name', tc.kind.name)}>"
    if isinstance(tc, PrimitiveTC):
        return f"TC_{tc.kind.name[3:].upper()}"
    active = active | {id(tc)}
    if isinstance(tc, StringTC):
        return f"StringTC({tc.bound})" if tc.kind == K.tk_string else f"StringTC({tc.bound}, wstring)"
    if isinstance(tc, SequenceTC):
        return f"SequenceTC({_repr(tc.content_type, active)}, {tc.bound})"
    if isinstance(tc, ArrayTC):
        return f"ArrayTC({_repr(tc.content_type, active)}, {tc.length})"
    if isinstance(tc, AliasTC):
        return f"AliasTC({tc.repo_id!r}, {tc.name!r}, {_repr(tc.content_type, active)})"
    if isinstance(tc, StructTC):
        ms = ", ".join(f"({n!r}, {_repr(t, active)})" for n, t in tc.members)
        kind = "" if tc.kind == K.tk_struct else ", kind=TCKind.tk_except"
        return f"StructTC({tc.repo_id!r}, {tc.name!r}, [{ms}]{kind})"
    if isinstance(tc, UnionTC):
        ms = ", ".join(f"({lb!r}, {n!r}, {_repr(t, active)})" for lb, n, t in tc.members)
        return (f"UnionTC({tc.repo_id!r}, {tc.name!r}, {_repr(tc.discriminator_type, active)}, [{ms}], "
                f"default_index={tc.default_index})")
    if isinstance(tc, EnumTC):
        return f"EnumTC({tc.repo_id!r}, {tc.name!r}, {list(tc.members)!r})"
    if isinstance(tc, ObjrefTC):
        return f"ObjrefTC({tc.repo_id!r}, {tc.name!r}, kind=TCKind.{tc.kind.name})"
    if isinstance(tc, FixedTC):
        return f"FixedTC({tc.digits}, {tc.scale})"
    return f"TypeCode({tc.kind.name})"


_PRIMITIVES: dict[TCKind, PrimitiveTC] = {k: PrimitiveTC(k) for k in sorted(_EMPTY_KINDS)}


def primitive_tc(kind: TCKind) -> PrimitiveTC:
    """The shared TypeCode object for a parameterless kind."""
    return _PRIMITIVES[TCKind(kind)]


TC_NULL = _PRIMITIVES[K.tk_null]
TC_VOID = _PRIMITIVES[K.tk_void]
TC_SHORT = _PRIMITIVES[K.tk_short]
TC_LONG = _PRIMITIVES[K.tk_long]
TC_USHORT = _PRIMITIVES[K.tk_ushort]
TC_ULONG = _PRIMITIVES[K.tk_ulong]
TC_FLOAT = _PRIMITIVES[K.tk_float]
TC_DOUBLE = _PRIMITIVES[K.tk_double]
TC_BOOLEAN = _PRIMITIVES[K.tk_boolean]
TC_CHAR = _PRIMITIVES[K.tk_char]
TC_OCTET = _PRIMITIVES[K.tk_octet]
TC_ANY = _PRIMITIVES[K.tk_any]
TC_TYPECODE = _PRIMITIVES[K.tk_TypeCode]
TC_LONGLONG = _PRIMITIVES[K.tk_longlong]
TC_ULONGLONG = _PRIMITIVES[K.tk_ulonglong]
TC_STRING = StringTC(0)


# ---------------------------------------------------------------------------
# reading TypeCodes
# ---------------------------------------------------------------------------

class _TypeCodeDecoder:
    """State of one top-level TypeCode decode: where each TypeCode started, what is still being built."""

    __slots__ = ("starts", "stack")

    def __init__(self) -> None:
        self.starts: dict[int, TypeCode] = {}   # absolute buffer index of a TCKind -> its TypeCode
        self.stack: list[TypeCode] = []         # complex TypeCodes whose parameters are being read

    def read(self, r: CDRReader) -> TypeCode:
        if len(self.stack) >= MAX_TYPECODE_DEPTH:
            raise MarshalError(f"TypeCode nested deeper than {MAX_TYPECODE_DEPTH} levels")
        r.align(4)
        start = r.pos
        raw = r.read_ulong()
        if raw == TC_INDIRECTION:
            return self._indirection(r)
        try:
            kind = TCKind(raw)
        except ValueError:
            raise MarshalError(f"unknown TCKind {raw}") from None
        if kind in _EMPTY_KINDS:
            tc: TypeCode = _PRIMITIVES[kind]
        elif kind in (K.tk_string, K.tk_wstring):
            tc = StringTC(r.read_ulong(), kind)
        elif kind == K.tk_fixed:
            tc = FixedTC(r.read_ushort(), r.read_short())
        else:
            tc = self._complex(r, kind, start)
        self.starts[start] = tc
        return tc

    def _indirection(self, r: CDRReader) -> TypeCode:
        at = r.pos
        offset = r.read_long()
        if offset >= -4:
            raise MarshalError(f"TypeCode indirection offset {offset} does not point backwards")
        target = self.starts.get(at + offset)
        if target is None:
            raise MarshalError(f"TypeCode indirection offset {offset} does not point at an earlier TypeCode")
        if any(t is target for t in self.stack):
            # Recursive reference: legal only through a sequence, or the type would be infinite.
            idx = max(i for i, t in enumerate(self.stack) if t is target)
            if not any(t.kind == K.tk_sequence for t in self.stack[idx:]):
                raise MarshalError("recursive TypeCode that does not pass through a sequence")
        return target

    def _complex(self, r: CDRReader, kind: TCKind, start: int) -> TypeCode:
        e = r.read_encapsulation()
        if kind == K.tk_sequence or kind == K.tk_array:
            tc: TypeCode = SequenceTC(None) if kind == K.tk_sequence else ArrayTC(None, 0)
            self._enter(tc, start)
            tc.content_type = self.read(e)
            if kind == K.tk_sequence:
                tc.bound = e.read_ulong()
            else:
                tc.length = e.read_ulong()
        elif kind in _REPO_NAME_KINDS:
            tc = ObjrefTC(e.read_string(), e.read_string(), kind)
        elif kind in (K.tk_alias, K.tk_value_box):
            tc = AliasTC(e.read_string(), e.read_string(), None, kind)
            self._enter(tc, start)
            tc.content_type = self.read(e)
        elif kind in (K.tk_struct, K.tk_except):
            tc = StructTC(e.read_string(), e.read_string(), (), kind)
            self._enter(tc, start)
            n = e.read_count(8)
            tc.members = tuple((e.read_string(), self.read(e)) for _ in range(n))
        elif kind == K.tk_union:
            tc = self._union(e, start)
        elif kind == K.tk_enum:
            tc = EnumTC(e.read_string(), e.read_string())
            n = e.read_count(5)
            tc.members = tuple(e.read_string() for _ in range(n))
        else:
            raise MarshalError(f"TypeCode kind {kind.name} is not supported")
        if self.stack and self.stack[-1] is tc:
            self.stack.pop()
        return tc

    def _enter(self, tc: TypeCode, start: int) -> None:
        # Registered before its parameters are read, so a recursive indirection can find it.
        self.starts[start] = tc
        self.stack.append(tc)

    def _union(self, e: CDRReader, start: int) -> UnionTC:
        tc = UnionTC(e.read_string(), e.read_string(), None)
        self._enter(tc, start)
        disc = self.read(e)
        tc.discriminator_type = disc
        plain = disc.unalias()
        if plain.kind not in _DISCRIMINATOR_KINDS:
            raise MarshalError(f"union discriminator of kind {plain.kind.name} is not allowed")
        default = e.read_long()
        n = e.read_count(9)
        if not -1 <= default < max(n, 0) or (default != -1 and n == 0):
            raise MarshalError(f"union default index {default} out of range for {n} members")
        members = []
        for i in range(n):
            if i == default:
                e.read_octet()
                label = None
            else:
                label = _read_discriminator(e, plain)
            members.append((label, e.read_string(), self.read(e)))
        tc.members = tuple(members)
        tc.default_index = default
        return tc


def _read_discriminator(r: CDRReader, plain: TypeCode):
    if plain.kind == K.tk_enum:
        v = r.read_ulong()
        if v >= len(plain.members):
            raise MarshalError(f"enum value {v} out of range for {plain.name or 'enum'} ({len(plain.members)} members)")
        return v
    return r.read_primitive(_CDR_KIND[plain.kind])


#: Decoded complex top-level TypeCodes by (kind, encapsulation octets).  A peer sends the same few
#: TypeCodes over and over (a DevVarLongStringArray's is 292 octets and costs ~30 us to decode), and
#: indirection offsets are relative, so equal octets always decode to an equal TypeCode.
_CACHE: dict[tuple[int, bytes], TypeCode] = {}
_CACHE_ENTRIES = 256
_CACHE_MAX_OCTETS = 8192
_COMPLEX_KINDS = frozenset(int(k) for k in TCKind) - {int(k) for k in _EMPTY_KINDS} - {
    int(K.tk_string), int(K.tk_wstring), int(K.tk_fixed)}


def read_typecode(reader: CDRReader) -> TypeCode:
    """Read one top-level TypeCode (indirections resolve within it).

    The result may be shared with other decodes (see ``_CACHE``): treat TypeCodes as immutable.
    """
    reader.align(4)
    start = reader.pos
    if reader.end - start >= 8:
        kind = reader.read_ulong()
        if kind in _COMPLEX_KINDS:
            n = reader.read_ulong()
            if 0 < n <= _CACHE_MAX_OCTETS and n <= reader.end - reader.pos:
                key = (kind, bytes(reader.data[reader.pos:reader.pos + n]))
                tc = _CACHE.get(key)
                if tc is not None:
                    reader.pos += n
                    return tc
                reader.pos = start
                tc = _TypeCodeDecoder().read(reader)
                if len(_CACHE) >= _CACHE_ENTRIES:
                    try:
                        del _CACHE[next(iter(_CACHE))]
                    except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                        pass
                _CACHE[key] = tc
                return tc
        reader.pos = start
    return _TypeCodeDecoder().read(reader)


# ---------------------------------------------------------------------------
# writing TypeCodes
# ---------------------------------------------------------------------------

class _TypeCodeEncoder:
    """Writes TypeCodes; encapsulations are built in place so indirection offsets are absolute."""

    __slots__ = ("w", "active")

    def __init__(self, w: CDRWriter) -> None:
        self.w = w
        self.active: dict[int, int] = {}   # id(TypeCode) being written -> buffer index of its TCKind

    def write(self, tc: TypeCode) -> None:
        w = self.w
        if tc is None:
            raise ValueError("incomplete TypeCode (missing content type)")
        w.align(4)
        at = self.active.get(id(tc))
        if at is not None:  # recursive reference
            w.write_ulong(TC_INDIRECTION)
            w.write_long(at - len(w.buf))
            return
        start = len(w.buf)
        kind = tc.kind
        w.write_ulong(int(kind))
        if isinstance(tc, PrimitiveTC):
            return
        if isinstance(tc, StringTC):
            w.write_ulong(tc.bound)
            return
        if isinstance(tc, FixedTC):
            w.write_ushort(tc.digits)
            w.write_short(tc.scale)
            return
        self.active[id(tc)] = start
        try:
            self._encapsulated(tc)
        finally:
            del self.active[id(tc)]

    def _encapsulated(self, tc: TypeCode) -> None:
        w = self.w
        w.write_ulong(0)                 # length, patched below
        length_at = len(w.buf) - 4
        saved_origin = w.origin
        w.origin = len(w.buf)            # alignment restarts at the byte-order octet
        try:
            w.write_octet(1 if w.little_endian else 0)
            self._params(tc)
        finally:
            w.origin = saved_origin
        n = len(w.buf) - length_at - 4
        w.buf[length_at:length_at + 4] = n.to_bytes(4, "little" if w.little_endian else "big")

    def _params(self, tc: TypeCode) -> None:
        w = self.w
        if isinstance(tc, SequenceTC):
            self.write(tc.content_type)
            w.write_ulong(tc.bound)
        elif isinstance(tc, ArrayTC):
            self.write(tc.content_type)
            w.write_ulong(tc.length)
        elif isinstance(tc, ObjrefTC):
            w.write_string(tc.repo_id)
            w.write_string(tc.name)
        elif isinstance(tc, AliasTC):
            w.write_string(tc.repo_id)
            w.write_string(tc.name)
            self.write(tc.content_type)
        elif isinstance(tc, StructTC):
            w.write_string(tc.repo_id)
            w.write_string(tc.name)
            w.write_ulong(len(tc.members))
            for name, mtc in tc.members:
                w.write_string(name)
                self.write(mtc)
        elif isinstance(tc, UnionTC):
            w.write_string(tc.repo_id)
            w.write_string(tc.name)
            self.write(tc.discriminator_type)
            w.write_long(tc.default_index)
            w.write_ulong(len(tc.members))
            plain = tc.discriminator_type.unalias()
            for i, (label, name, mtc) in enumerate(tc.members):
                if i == tc.default_index:
                    w.write_octet(0)
                else:
                    _write_discriminator(w, plain, label)
                w.write_string(name)
                self.write(mtc)
        elif isinstance(tc, EnumTC):
            w.write_string(tc.repo_id)
            w.write_string(tc.name)
            w.write_string_seq(tc.members)
        else:
            raise ValueError(f"cannot encode TypeCode {tc!r}")


def _write_discriminator(w: CDRWriter, plain: TypeCode, value) -> None:
    if plain.kind == K.tk_enum:
        v = _as_int(value, "enum")
        if not 0 <= v < len(plain.members):
            raise ValueError(f"{value!r} is not a valid ordinal of enum {plain.name or '?'}")
        w.write_ulong(v)
        return
    kind = _CDR_KIND.get(plain.kind)
    if kind is None or plain.kind not in _DISCRIMINATOR_KINDS:
        raise ValueError(f"union discriminator of kind {plain.kind.name} is not allowed")
    _write_primitive(w, kind, value)


def write_typecode(writer: CDRWriter, tc: TypeCode) -> None:
    """Write ``tc`` in omniORB's canonical layout (encapsulated params in the writer's byte order, zero padding)."""
    _TypeCodeEncoder(writer).write(tc)


_TC_OCTETS: dict[int, tuple[TypeCode, bytes, bytes]] = {}  # id(tc) -> (tc kept alive, LE, BE octets)


def _typecode_octets(tc: TypeCode, little_endian: bool) -> bytes:
    """``tc`` encoded from a 4-aligned offset (cached per TypeCode object, both byte orders)."""
    entry = _TC_OCTETS.get(id(tc))
    if entry is None or entry[0] is not tc:
        octets = []
        for le in (True, False):
            w = CDRWriter(le)
            write_typecode(w, tc)
            octets.append(bytes(w.buf))
        if len(_TC_OCTETS) >= 1024:
            _TC_OCTETS.clear()
        entry = _TC_OCTETS[id(tc)] = (tc, octets[0], octets[1])
    return entry[1] if little_endian else entry[2]


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------

def min_encoded_size(tc: TypeCode, _active: frozenset = frozenset()) -> int:
    """A lower bound of the octets one value of ``tc`` occupies (ignoring alignment).

    Used to refuse hostile sequence counts before allocating anything.
    """
    tc = tc.unalias()
    kind = tc.kind
    if kind in _CDR_KIND:
        return _SIZE[_CDR_KIND[kind]]
    if kind in (K.tk_null, K.tk_void):
        return 0
    if kind in (K.tk_string, K.tk_wstring, K.tk_sequence, K.tk_enum, K.tk_any, K.tk_TypeCode,
                K.tk_Principal):
        return 4
    if id(tc) in _active:
        return 0
    active = _active | {id(tc)}
    if kind == K.tk_array:
        return tc.length * min_encoded_size(tc.content_type, active)
    if kind == K.tk_struct:
        return sum(min_encoded_size(m, active) for _n, m in tc.members)
    if kind == K.tk_except:
        return 4 + sum(min_encoded_size(m, active) for _n, m in tc.members)
    if kind == K.tk_union:
        arms = [min_encoded_size(m, active) for _l, _n, m in tc.members]
        return min_encoded_size(tc.discriminator_type, active) + (min(arms) if arms else 0)
    if kind == K.tk_objref:
        return 8
    return 0


def _as_int(value, what: str) -> int:
    if isinstance(value, (int, np.integer)):
        return int(value)
    raise TypeError(f"expected an int for CDR {what}, got {type(value).__name__} {value!r}")


def _write_primitive(w: CDRWriter, kind: str, value) -> None:
    """Write one primitive with a type check (CDRWriter itself checks only the range)."""
    if kind in ("float", "double"):
        if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
            raise TypeError(f"expected a number for CDR {kind}, got {type(value).__name__} {value!r}")
        w.write_primitive(kind, float(value))
    elif kind == "boolean":
        if not isinstance(value, (bool, np.bool_, int, np.integer)):
            raise TypeError(f"expected a bool for CDR boolean, got {type(value).__name__} {value!r}")
        w.write_boolean(bool(value))
    elif kind == "char":
        if isinstance(value, str):
            if len(value) != 1 or ord(value) > 255:
                raise ValueError(f"CDR char needs one latin-1 character, got {value!r}")
            w.write_char(value)
        else:
            w.write_char(_as_int(value, kind))
    else:
        w.write_primitive(kind, _as_int(value, kind))


def read_value(reader: CDRReader, tc: TypeCode, _depth: int = 0) -> Any:
    """Read one value of type ``tc`` (see the module docstring for the Python representation)."""
    if _depth > MAX_VALUE_DEPTH:
        raise MarshalError(f"value nested deeper than {MAX_VALUE_DEPTH} levels")
    tc = tc.unalias()
    kind = tc.kind
    ckind = _CDR_KIND.get(kind)
    if ckind is not None:
        return reader.read_primitive(ckind)
    if kind == K.tk_string:
        s = reader.read_string()
        if tc.bound and len(s) > tc.bound:
            raise MarshalError(f"string of {len(s)} characters exceeds its bound {tc.bound}")
        return s
    if kind in (K.tk_null, K.tk_void):
        return None
    if kind == K.tk_sequence or kind == K.tk_array:
        return _read_sequence(reader, tc, _depth)
    if kind in (K.tk_struct, K.tk_except):
        if kind == K.tk_except:
            rid = reader.read_string()
            if rid and tc.repo_id and rid != tc.repo_id:
                raise MarshalError(f"exception {rid!r} in an any typed as {tc.repo_id!r}")
        return tuple(read_value(reader, m, _depth + 1) for _n, m in tc.members)
    if kind == K.tk_union:
        plain = tc.discriminator_type.unalias()
        disc = _read_discriminator(reader, plain)
        i = tc.member_for(disc)
        if i < 0:
            raise MarshalError(f"union {tc.name or '?'}: no member for discriminator {disc!r}")
        return (disc, read_value(reader, tc.members[i][2], _depth + 1))
    if kind == K.tk_enum:
        v = reader.read_ulong()
        if v >= len(tc.members):
            raise MarshalError(f"enum value {v} out of range for {tc.name or 'enum'} ({len(tc.members)} members)")
        return v
    if kind == K.tk_any:
        return read_any(reader, _depth + 1)
    if kind == K.tk_TypeCode:
        return read_typecode(reader)
    if kind == K.tk_Principal:
        return reader.read_octet_seq()
    if kind == K.tk_objref:
        from .ior import read_ior
        return read_ior(reader)
    raise MarshalError(f"values of TypeCode kind {kind.name} are not supported")


def _read_sequence(reader: CDRReader, tc: TypeCode, depth: int):
    elem = tc.content_type.unalias()
    ekind = _CDR_KIND.get(elem.kind)
    if tc.kind == K.tk_array:
        count = tc.length
        # at least one octet per element, so an array of empty values cannot make us loop 2**32 times
        need = count * max(min_encoded_size(elem), 1)
        if need > reader.remaining():
            raise MarshalError(f"array of {count} elements exceeds the {reader.remaining()} octets left")
    else:
        count = reader.read_count(max(min_encoded_size(elem), 1))
        if tc.bound and count > tc.bound:
            raise MarshalError(f"sequence of {count} elements exceeds its bound {tc.bound}")
    if ekind is not None:
        return reader.read_array(ekind, count)
    if elem.kind == K.tk_string and not elem.bound:  # DevVarStringArray: the common case, kept tight
        read_string = reader.read_string
        return [read_string() for _ in range(count)]
    return [read_value(reader, elem, depth + 1) for _ in range(count)]


def write_value(writer: CDRWriter, tc: TypeCode, value: Any) -> None:
    """Write ``value`` as type ``tc``; raises TypeError/ValueError for a value that does not fit."""
    _write_value(writer, tc, value, 0)


def _write_value(w: CDRWriter, tc: TypeCode, value: Any, depth: int) -> None:
    if depth > MAX_VALUE_DEPTH:
        raise ValueError(f"value nested deeper than {MAX_VALUE_DEPTH} levels")
    tc = tc.unalias()
    kind = tc.kind
    ckind = _CDR_KIND.get(kind)
    if ckind is not None:
        _write_primitive(w, ckind, value)
    elif kind == K.tk_string:
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"expected a str for CDR string, got {type(value).__name__} {value!r}")
        if tc.bound and len(value) > tc.bound:
            raise ValueError(f"string of {len(value)} characters exceeds its bound {tc.bound}")
        try:
            w.write_string(value)
        except UnicodeEncodeError:
            raise ValueError(f"string {value!r} is not latin-1 encodable") from None
    elif kind in (K.tk_null, K.tk_void):
        if value is not None:
            raise TypeError(f"a {kind.name} value must be None, got {type(value).__name__}")
    elif kind == K.tk_sequence or kind == K.tk_array:
        _write_sequence(w, tc, value, depth)
    elif kind in (K.tk_struct, K.tk_except):
        if isinstance(value, Mapping):
            try:
                items = [value[n] for n, _m in tc.members]
            except KeyError as exc:
                raise ValueError(f"struct {tc.name or '?'} value lacks member {exc}") from None
        elif isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise TypeError(f"expected a tuple or dict for struct {tc.name or '?'}, got {type(value).__name__}")
        else:
            items = list(value)
        if len(items) != len(tc.members):
            raise ValueError(f"struct {tc.name or '?'} has {len(tc.members)} members, value has {len(items)}")
        if kind == K.tk_except:
            w.write_string(tc.repo_id)
        for (_n, mtc), item in zip(tc.members, items):
            _write_value(w, mtc, item, depth + 1)
    elif kind == K.tk_union:
        try:
            disc, arm = value
        except (TypeError, ValueError):
            raise TypeError(f"expected (discriminator, value) for union {tc.name or '?'}, got {value!r}") from None
        i = tc.member_for(disc)
        if i < 0:
            raise ValueError(f"union {tc.name or '?'}: no member for discriminator {disc!r}")
        _write_discriminator(w, tc.discriminator_type.unalias(), disc)
        _write_value(w, tc.members[i][2], arm, depth + 1)
    elif kind == K.tk_enum:
        v = _as_int(value, "enum")
        if not 0 <= v < len(tc.members):
            raise ValueError(f"{value!r} is not a valid ordinal of enum {tc.name or '?'} ({len(tc.members)} members)")
        w.write_ulong(v)
    elif kind == K.tk_any:
        try:
            inner_tc, inner = value
        except (TypeError, ValueError):
            raise TypeError(f"expected (TypeCode, value) for an any, got {value!r}") from None
        write_any(w, inner_tc, inner)
    elif kind == K.tk_TypeCode:
        if not isinstance(value, TypeCode):
            raise TypeError(f"expected a TypeCode, got {type(value).__name__}")
        write_typecode(w, value)
    elif kind == K.tk_Principal:
        w.write_octet_seq(bytes(value))
    elif kind == K.tk_objref:
        from .ior import write_ior
        write_ior(w, value)
    else:
        raise ValueError(f"values of TypeCode kind {kind.name} are not supported")


def _write_sequence(w: CDRWriter, tc: TypeCode, value: Any, depth: int) -> None:
    elem = tc.content_type.unalias()
    ekind = _CDR_KIND.get(elem.kind)
    is_array = tc.kind == K.tk_array
    if isinstance(value, str) or value is None:
        raise TypeError(f"expected a sequence for {tc.kind.name}, got {type(value).__name__}")
    if ekind in ("octet", "char") and isinstance(value, (bytes, bytearray, memoryview)):
        n = len(value)
        _check_count(tc, n)
        if not is_array:
            w.write_ulong(n)
        w.write_raw(value)
        return
    if ekind is not None:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf" and arr.size:
            raise TypeError(f"expected numbers for a sequence of {ekind}, got {arr.dtype} values")
        if ekind not in ("float", "double") and arr.dtype.kind == "f" and arr.size:
            raise TypeError(f"expected integers for a sequence of {ekind}, got floating-point values")
        _check_count(tc, arr.size)
        w.write_array(ekind, arr, with_count=not is_array)
        return
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"expected a sequence for {tc.kind.name}, got {type(value).__name__}") from None
    _check_count(tc, len(items))
    if elem.kind == K.tk_string and not elem.bound and not is_array:
        try:
            w.write_string_seq(items, strict=True)  # checks every item before writing any
            return
        except (TypeError, ValueError):
            pass  # the item-by-item path below names the culprit
    if not is_array:
        w.write_ulong(len(items))
    for item in items:
        _write_value(w, elem, item, depth + 1)


def _check_count(tc: TypeCode, n: int) -> None:
    if tc.kind == K.tk_array:
        if n != tc.length:
            raise ValueError(f"array needs exactly {tc.length} elements, got {n}")
    elif tc.bound and n > tc.bound:
        raise ValueError(f"sequence of {n} elements exceeds its bound {tc.bound}")


def read_any(reader: CDRReader, _depth: int = 0) -> tuple[TypeCode, Any]:
    """Read an ``any``: its TypeCode, then the value aligned in the enclosing stream."""
    tc = read_typecode(reader)
    return tc, read_value(reader, tc, _depth)


def write_any(writer: CDRWriter, tc: TypeCode, value: Any) -> None:
    """Write an ``any`` holding ``value`` of type ``tc``.

    A bad value leaves ``writer`` untouched: what was written is taken back.  The TypeCode's
    octets are encoded once per TypeCode (they do not depend on where a 4-aligned TypeCode
    starts); writers of a subclass (test instruments) get the field-by-field encoding.
    """
    if type(writer) is CDRWriter:
        buf = writer.buf
        mark = len(buf)
        try:
            writer.align(4)
            buf += _typecode_octets(tc, writer.little_endian)
            write_value(writer, tc, value)
        except BaseException:
            del buf[mark:]
            raise
        return
    scratch = type(writer)(writer.little_endian, origin=writer.origin - len(writer.buf))
    write_typecode(scratch, tc)
    write_value(scratch, tc, value)
    writer.write_raw(scratch.buf)
