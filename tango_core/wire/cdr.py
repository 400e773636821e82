"""CORBA Common Data Representation (CDR) encoder and decoder.

Sans-IO: these classes turn Python values into bytes and back, nothing more.

Alignment is what makes CDR tricky: every primitive is aligned to its own size
*relative to an origin* -- the first octet of the GIOP message, or the
byte-order octet of an encapsulation.  Both classes therefore carry ``origin``:
the stream position that counts as index 0 for alignment.  A writer that builds
a GIOP body after a 12-octet header is created with ``origin=-12`` (its first
byte is at aligned index 12); a reader over a whole message uses ``origin=0``.

Numeric sequences go to and from numpy arrays in one call (``read_array`` /
``write_array``), never element by element: Tango images are megabytes.

Strings are 8-bit on the Tango wire (CodeSets negotiate ISO-8859-1), so they are
decoded and encoded as latin-1, which is lossless for every byte value.
"""

from __future__ import annotations

import struct
import sys
from typing import Callable, Iterable, Sequence

import numpy as np

from .errors import MarshalError

NATIVE_LITTLE = sys.byteorder == "little"

#: numpy dtype (native order) for every CDR primitive that can form a numeric sequence.
PRIMITIVE_DTYPES: dict[str, np.dtype] = {
    "boolean": np.dtype(np.bool_),
    "octet": np.dtype(np.uint8),
    "char": np.dtype(np.uint8),
    "short": np.dtype(np.int16),
    "ushort": np.dtype(np.uint16),
    "long": np.dtype(np.int32),
    "ulong": np.dtype(np.uint32),
    "longlong": np.dtype(np.int64),
    "ulonglong": np.dtype(np.uint64),
    "float": np.dtype(np.float32),
    "double": np.dtype(np.float64),
}

_FORMATS = {
    "octet": "B", "boolean": "?", "char": "B",
    "short": "h", "ushort": "H", "long": "i", "ulong": "I",
    "longlong": "q", "ulonglong": "Q", "float": "f", "double": "d",
}


def _structs(prefix: str) -> dict[str, struct.Struct]:
    return {name: struct.Struct(prefix + fmt) for name, fmt in _FORMATS.items()}


_LE = _structs("<")
_BE = _structs(">")
_ULONG_LE = _LE["ulong"]
_ULONG_BE = _BE["ulong"]


_NUL_PADS = (b"\x00", b"\x00\x00", b"\x00\x00\x00", b"\x00\x00\x00\x00")  # terminator + padding to 4
_VECTOR_MIN = 64  # string sequences at least this long are laid out with numpy


def joined_strings(values: list, strict: bool = False) -> tuple[bytes, list[int]]:
    """The octets CDR carries for ``values`` (str in Latin-1, or bytes), end to end, and each
    one's length.  ValueError/TypeError as :meth:`CDRWriter.write_string` for a value it cannot
    carry (``strict``: TypeError for anything but str and bytes).  All-str and all-bytes lists
    are checked and joined in C."""
    try:
        joined = "".join(values)
        if "\x00" not in joined:
            return joined.encode("latin-1"), list(map(len, values))  # Latin-1: one octet a character
    except TypeError:
        try:
            blob = b"".join(values)
            if b"\x00" not in blob and all(type(v) is bytes for v in values):
                return blob, list(map(len, values))
        except TypeError:
            pass
    except UnicodeEncodeError:
        pass
    out = []
    for v in values:  # mixed, or a bad value: item by item, as write_string
        if isinstance(v, str):
            data = v.encode("latin-1")
        elif strict and not isinstance(v, bytes):
            raise TypeError(f"expected a str for CDR string, got {type(v).__name__}")
        else:
            data = bytes(v)
        if b"\x00" in data:
            raise ValueError("CDR strings cannot contain NUL characters")
        out.append(data)
    return b"".join(out), list(map(len, out))


def _string_seq_body(blob: bytes, lengths: list[int], little_endian: bool) -> bytes:
    """The strings of a sequence after its (4-aligned) count: each a ulong length (NUL
    included), its octets, NUL, and padding to 4 before the next one -- placed with numpy."""
    n = len(lengths)
    lens = np.fromiter(lengths, dtype=np.int64, count=n)
    with_nul = lens + 1
    offsets = np.zeros(n, np.int64)                          # where each string's length goes
    np.cumsum(((with_nul + 7) & ~3)[:-1], out=offsets[1:])   # sizes: 4 + n, rounded up to 4
    total = int(offsets[-1]) + 4 + int(with_nul[-1])         # no padding after the last one
    out = np.zeros((total + 3) & ~3, np.uint8)
    out.view("<u4" if little_endian else ">u4")[offsets >> 2] = with_nul
    if blob:
        starts = np.zeros(n, np.int64)                       # where each string is in blob
        np.cumsum(lens[:-1], out=starts[1:])
        index = np.int32 if total < 2**31 else np.int64
        dest = np.arange(len(blob), dtype=index)
        dest += np.repeat((offsets + 4 - starts).astype(index), lens)
        out[dest] = np.frombuffer(blob, np.uint8)
    return out[:total].tobytes()


class CDRWriter:
    """Appends CDR-encoded values to a growing buffer.

    ``origin`` is the buffer index that counts as aligned index 0 (negative when
    the buffer continues a stream whose first bytes were written elsewhere, e.g.
    ``origin=-12`` for a GIOP body written after the 12-octet header).
    """

    __slots__ = ("buf", "little_endian", "origin", "_s", "_u4", "_i4")

    def __init__(self, little_endian: bool = True, origin: int = 0) -> None:
        self.buf = bytearray()
        self.little_endian = little_endian
        self.origin = origin
        s = self._s = _LE if little_endian else _BE
        self._u4 = s["ulong"].pack
        self._i4 = s["long"].pack

    # -- plumbing ---------------------------------------------------------
    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def __len__(self) -> int:
        return len(self.buf)

    def align(self, n: int) -> None:
        pad = (-(len(self.buf) - self.origin)) % n
        if pad:
            self.buf += b"\x00" * pad

    def _put(self, name: str, size: int, value) -> None:
        pad = (-(len(self.buf) - self.origin)) % size
        if pad:
            self.buf += b"\x00" * pad
        try:
            self.buf += self._s[name].pack(value)
        except struct.error as exc:
            raise ValueError(f"cannot encode {value!r} as CDR {name}: {exc}") from None

    # -- primitives -------------------------------------------------------
    def write_octet(self, v: int) -> None:
        self._put("octet", 1, v)

    def write_boolean(self, v: bool) -> None:
        self.buf.append(1 if v else 0)

    def write_char(self, v: int | str | bytes) -> None:
        if isinstance(v, str):
            v = v.encode("latin-1")
        if isinstance(v, (bytes, bytearray)):
            v = v[0]
        self._put("char", 1, v)

    def write_short(self, v: int) -> None:
        self._put("short", 2, v)

    def write_ushort(self, v: int) -> None:
        self._put("ushort", 2, v)

    # the 4-octet integers are the commonest fields (counts, enums, lengths): written without
    # _put's table lookup; padding, when needed, still goes through align()
    def write_long(self, v: int) -> None:
        buf = self.buf
        if (len(buf) - self.origin) & 3:
            self.align(4)
        try:
            buf += self._i4(v)
        except struct.error as exc:
            raise ValueError(f"cannot encode {v!r} as CDR long: {exc}") from None

    def write_ulong(self, v: int) -> None:
        buf = self.buf
        if (len(buf) - self.origin) & 3:
            self.align(4)
        try:
            buf += self._u4(v)
        except struct.error as exc:
            raise ValueError(f"cannot encode {v!r} as CDR ulong: {exc}") from None

    def write_longlong(self, v: int) -> None:
        self._put("longlong", 8, v)

    def write_ulonglong(self, v: int) -> None:
        self._put("ulonglong", 8, v)

    def write_float(self, v: float) -> None:
        self._put("float", 4, v)

    def write_double(self, v: float) -> None:
        self._put("double", 8, v)

    def write_enum(self, v: int) -> None:
        self.write_ulong(int(v))

    def write_primitive(self, kind: str, v) -> None:
        """Write one primitive named by its CDR kind (``"double"``, ``"ushort"``...)."""
        getattr(self, "write_" + kind)(v)

    # -- strings and octet runs -------------------------------------------
    def write_string(self, s: str | bytes) -> None:
        data = s.encode("latin-1") if isinstance(s, str) else bytes(s)
        if b"\x00" in data:
            raise ValueError("CDR strings cannot contain NUL characters")
        buf = self.buf
        if (len(buf) - self.origin) & 3:
            self.align(4)
        buf += self._u4(len(data) + 1)
        buf += data
        buf.append(0)

    def write_raw(self, data: bytes | bytearray | memoryview) -> None:
        """Append octets with no count and no alignment."""
        self.buf += data

    def write_octet_seq(self, data: bytes | bytearray | memoryview) -> None:
        self._put("ulong", 4, len(data))
        self.buf += data

    # -- sequences --------------------------------------------------------
    def write_array(self, kind: str, values, with_count: bool = True) -> None:
        """Write a numeric sequence (``with_count``) or array from any array-like, in one copy."""
        dtype = PRIMITIVE_DTYPES[kind]
        arr = values if values.__class__ is np.ndarray else np.asarray(values)
        if arr.dtype != dtype:
            if kind == "boolean":
                arr = arr.astype(np.bool_)
            else:
                src = arr
                arr = arr.astype(dtype)
                if src.size and src.dtype.kind in "iub" and dtype.kind in "iu" and not np.array_equal(arr, src):
                    raise ValueError(f"value out of range for CDR {kind}")
        if arr.ndim != 1:
            arr = arr.ravel()
        n = len(arr)
        if with_count:
            self.write_ulong(n)
        if n:
            size = dtype.itemsize
            if (len(self.buf) - self.origin) % size:
                self.align(size)
            if size > 1 and self.little_endian != NATIVE_LITTLE:
                arr = arr.byteswap()
            if n <= 64:   # small: a copy costs less than checking whether it can be avoided
                self.buf += arr.tobytes()
            else:
                self.buf += arr.data if arr.flags.c_contiguous else arr.tobytes()  # one copy, not two

    def write_string_seq(self, values: Iterable[str | bytes], strict: bool = False) -> None:
        """Count, then each string; every value is checked first, so a bad one writes nothing."""
        blob, lengths = joined_strings(list(values), strict)
        self._put("ulong", 4, len(lengths))
        if not lengths:
            return
        if type(self) is not CDRWriter:  # a writer with its own ways (e.g. of padding): one by one
            at = 0
            for k in lengths:
                self.write_string(blob[at:at + k])
                at += k
            return
        if len(lengths) >= _VECTOR_MIN:
            self.buf += _string_seq_body(blob, lengths, self.little_endian)
            return
        # after the aligned count each string starts aligned: its padding follows from its length
        pack = self._s["ulong"].pack
        parts = []
        at = 0
        for k in lengths:
            n = k + 1
            parts += (pack(n), blob[at:at + k], _NUL_PADS[-n & 3])
            at += k
        parts[-1] = b"\x00"  # no padding after the last string
        self.buf += b"".join(parts)

    def write_seq(self, items: Sequence, write_item: Callable[["CDRWriter", object], None]) -> None:
        """Write a sequence of constructed values: count, then ``write_item(self, item)`` each."""
        self._put("ulong", 4, len(items))
        for item in items:
            write_item(self, item)

    # -- encapsulation ----------------------------------------------------
    def write_encapsulation(self, fill: Callable[["CDRWriter"], None], little_endian: bool | None = None) -> None:
        """Write ``ulong length`` + an encapsulation whose content ``fill`` writes.

        The nested writer's alignment restarts at its byte-order octet.
        """
        le = self.little_endian if little_endian is None else little_endian
        inner = CDRWriter(le)
        inner.write_octet(1 if le else 0)
        fill(inner)
        self.write_octet_seq(inner.buf)

    @staticmethod
    def encapsulate(fill: Callable[["CDRWriter"], None], little_endian: bool = True) -> bytes:
        """Return the octets of an encapsulation (byte-order octet first), without length."""
        inner = CDRWriter(little_endian)
        inner.write_octet(1 if little_endian else 0)
        fill(inner)
        return bytes(inner.buf)


class CDRReader:
    """Reads CDR values from a bytes-like buffer.

    ``pos`` is the current index into ``data``; ``origin`` is the index that
    counts as aligned index 0.  Every read checks bounds and raises
    :class:`MarshalError` instead of reading past ``end``.
    """

    __slots__ = ("data", "pos", "end", "origin", "little_endian", "_s", "_ulong", "_views")

    def __init__(self, data: bytes | bytearray | memoryview, little_endian: bool = True,
                 origin: int = 0, pos: int | None = None, end: int | None = None) -> None:
        # A bytearray or a writable memoryview is kept as is: the transport hands each big reply
        # over in a fresh buffer, and numeric arrays are then views into it (zero copy). bytes
        # (immutable) and read-only views get one copy per array.
        kind = type(data)
        if kind is bytes or kind is bytearray:
            self._views = kind is bytearray
        elif kind is memoryview and data.format == "B" and data.ndim == 1 and data.contiguous:
            self._views = not data.readonly
        else:
            data = bytes(data)
            self._views = False
        self.data = data
        self.origin = origin
        self.pos = origin if pos is None else pos
        self.end = len(self.data) if end is None else end
        if self.end > len(self.data):
            raise MarshalError("reader end beyond buffer")
        self.little_endian = little_endian   # (set_byte_order, inline: one reader per request)
        self._s = _LE if little_endian else _BE
        self._ulong = _ULONG_LE if little_endian else _ULONG_BE

    def set_byte_order(self, little_endian: bool) -> None:
        self.little_endian = little_endian
        self._s = _LE if little_endian else _BE
        self._ulong = _ULONG_LE if little_endian else _ULONG_BE

    # -- plumbing ---------------------------------------------------------
    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def align(self, n: int) -> None:
        pos = self.pos + (-(self.pos - self.origin)) % n
        if pos > self.end:
            raise MarshalError("truncated CDR data (alignment past end)")
        self.pos = pos

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.end:
            raise MarshalError("truncated CDR data")
        self.pos += n

    def _get(self, name: str, size: int):
        pos = self.pos + (-(self.pos - self.origin)) % size
        new = pos + size
        if new > self.end:
            raise MarshalError(f"truncated CDR data reading {name} at offset {self.pos}")
        self.pos = new
        return self._s[name].unpack_from(self.data, pos)[0]

    # -- primitives -------------------------------------------------------
    def read_octet(self) -> int:
        if self.pos >= self.end:
            raise MarshalError("truncated CDR data reading octet")
        v = self.data[self.pos]
        self.pos += 1
        return v

    def read_boolean(self) -> bool:
        return self.read_octet() != 0

    def read_char(self) -> str:
        return chr(self.read_octet())

    def read_short(self) -> int:
        return self._get("short", 2)

    def read_ushort(self) -> int:
        return self._get("ushort", 2)

    def read_long(self) -> int:
        return self._get("long", 4)

    def read_ulong(self) -> int:
        pos = self.pos + (-(self.pos - self.origin)) % 4
        new = pos + 4
        if new > self.end:
            raise MarshalError(f"truncated CDR data reading ulong at offset {self.pos}")
        self.pos = new
        return self._ulong.unpack_from(self.data, pos)[0]

    def read_longlong(self) -> int:
        return self._get("longlong", 8)

    def read_ulonglong(self) -> int:
        return self._get("ulonglong", 8)

    def read_float(self) -> float:
        return self._get("float", 4)

    def read_double(self) -> float:
        return self._get("double", 8)

    read_enum = read_ulong

    def read_primitive(self, kind: str):
        return getattr(self, "read_" + kind)()

    # -- counts, strings, octet runs --------------------------------------
    def read_count(self, min_element_size: int = 1) -> int:
        """Read a sequence length and check that many elements can fit in what is left.

        This is the guard that keeps a hostile count from making us allocate.
        """
        n = self.read_ulong()
        if n * max(min_element_size, 0) > self.end - self.pos:
            raise MarshalError(f"sequence count {n} exceeds the {self.end - self.pos} octets left")
        return n

    def read_raw(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise MarshalError("truncated CDR data reading octets")
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v if type(v) is bytes else bytes(v)

    def read_octet_seq(self) -> bytes:
        return self.read_raw(self.read_count(1))

    def read_string(self) -> str:
        # one of the commonest reads (names in every request): count and octets inline
        pos = self.pos + ((self.origin - self.pos) & 3)
        start = pos + 4
        end = self.end
        if start > end:
            raise MarshalError(f"truncated CDR data reading ulong at offset {self.pos}")
        n = self._ulong.unpack_from(self.data, pos)[0]
        stop = start + n
        if stop > end:
            raise MarshalError(f"sequence count {n} exceeds the {end - start} octets left")
        self.pos = stop
        if n == 0:  # illegal per spec, tolerated
            return ""
        data = self.data
        if data[stop - 1] != 0:
            raise MarshalError("CDR string is not NUL-terminated")
        return str(data[start:stop - 1], "latin-1")

    def read_strings(self, n: int) -> list[str]:
        """``n`` strings one after the other: what ``read_string()`` n times gives, in one loop
        (configurations carry runs of them: 20 and more per attribute)."""
        data, end, origin, unpack = self.data, self.end, self.origin, self._ulong.unpack_from
        pos = self.pos
        out = []
        append = out.append
        for _ in range(n):
            pos += (origin - pos) & 3
            start = pos + 4
            if start > end:
                raise MarshalError(f"truncated CDR data reading ulong at offset {pos}")
            k = unpack(data, pos)[0]
            pos = start + k
            if pos > end:
                raise MarshalError(f"sequence count {k} exceeds the {end - start} octets left")
            if k == 0:  # illegal per spec, tolerated
                append("")
            elif data[pos - 1] != 0:
                raise MarshalError("CDR string is not NUL-terminated")
            else:
                append(str(data[start:pos - 1], "latin-1"))
        self.pos = pos
        return out

    # -- sequences --------------------------------------------------------
    def read_array(self, kind: str, count: int | None = None) -> np.ndarray:
        """Read a numeric sequence (``count`` None: count from the stream) as a writable native numpy array."""
        dtype = PRIMITIVE_DTYPES[kind]
        n = self.read_count(dtype.itemsize) if count is None else count
        if n == 0:
            return np.empty(0, dtype=dtype)
        self.align(dtype.itemsize)
        nbytes = n * dtype.itemsize
        if self.pos + nbytes > self.end:
            raise MarshalError(f"truncated CDR {kind} sequence of {n} elements")
        if kind == "boolean":
            arr = np.frombuffer(self.data, dtype=np.uint8, count=n, offset=self.pos) != 0
        elif self._views and (self.little_endian == NATIVE_LITTLE or dtype.itemsize == 1):
            arr = np.frombuffer(self.data, dtype=dtype, count=n, offset=self.pos)  # writable view, no copy
        else:
            wire = dtype if (self.little_endian == NATIVE_LITTLE or dtype.itemsize == 1) else dtype.newbyteorder()
            arr = np.frombuffer(self.data, dtype=wire, count=n, offset=self.pos).astype(dtype, copy=True)
        self.pos += nbytes
        return arr

    def read_string_seq(self) -> list[str]:
        n = self.read_count(5)
        if n == 1:   # the commonest: one name
            return [self.read_string()]
        return self.read_strings(n)

    def read_seq(self, read_item: Callable[["CDRReader"], object], min_element_size: int = 1) -> list:
        """Read a sequence of constructed values with ``read_item(self)`` each."""
        n = self.read_count(min_element_size)
        return [read_item(self) for _ in range(n)]

    # -- encapsulation ----------------------------------------------------
    def read_encapsulation(self) -> "CDRReader":
        """Read ``sequence<octet>`` holding an encapsulation; return a reader positioned after its byte-order octet."""
        n = self.read_count(1)
        if n < 1:
            raise MarshalError("empty encapsulation")
        start = self.pos
        self.pos += n
        return CDRReader.over_encapsulation(self.data, start, start + n)

    @staticmethod
    def over_encapsulation(data: bytes, start: int = 0, end: int | None = None) -> "CDRReader":
        """A reader over encapsulation octets ``data[start:end]`` (byte-order octet at ``start``)."""
        end = len(data) if end is None else end
        if end <= start:
            raise MarshalError("empty encapsulation")
        flag = data[start]
        if flag > 1:
            raise MarshalError(f"bad encapsulation byte-order octet {flag}")
        return CDRReader(data, little_endian=bool(flag), origin=start, pos=start + 1, end=end)
