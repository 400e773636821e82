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


class CDRWriter:
    """Appends CDR-encoded values to a growing buffer.

    ``origin`` is the buffer index that counts as aligned index 0 (negative when
    the buffer continues a stream whose first bytes were written elsewhere, e.g.
    ``origin=-12`` for a GIOP body written after the 12-octet header).
    """

    __slots__ = ("buf", "little_endian", "origin", "_s")

    def __init__(self, little_endian: bool = True, origin: int = 0) -> None:
        self.buf = bytearray()
        self.little_endian = little_endian
        self.origin = origin
        self._s = _LE if little_endian else _BE

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

    def write_long(self, v: int) -> None:
        self._put("long", 4, v)

    def write_ulong(self, v: int) -> None:
        self._put("ulong", 4, v)

    def write_longlong(self, v: int) -> None:
        self._put("longlong", 8, v)

    def write_ulonglong(self, v: int) -> None:
        self._put("ulonglong", 8, v)

    def write_float(self, v: float) -> None:
        self._put("float", 4, v)

    def write_double(self, v: float) -> None:
        self._put("double", 8, v)

    def write_enum(self, v: int) -> None:
        self._put("ulong", 4, int(v))

    def write_primitive(self, kind: str, v) -> None:
        """Write one primitive named by its CDR kind (``"double"``, ``"ushort"``...)."""
        getattr(self, "write_" + kind)(v)

    # -- strings and octet runs -------------------------------------------
    def write_string(self, s: str | bytes) -> None:
        data = s.encode("latin-1") if isinstance(s, str) else bytes(s)
        if b"\x00" in data:
            raise ValueError("CDR strings cannot contain NUL characters")
        self._put("ulong", 4, len(data) + 1)
        self.buf += data
        self.buf.append(0)

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
        arr = np.asarray(values)
        if arr.dtype != dtype:
            if kind == "boolean":
                arr = arr.astype(np.bool_)
            else:
                src = arr
                arr = arr.astype(dtype)
                if src.size and src.dtype.kind in "iub" and dtype.kind in "iu" and not np.array_equal(arr, src):
                    raise ValueError(f"value out of range for CDR {kind}")
        arr = arr.ravel()
        if with_count:
            self._put("ulong", 4, arr.size)
        if arr.size:
            self.align(dtype.itemsize)
            if dtype.itemsize > 1 and self.little_endian != NATIVE_LITTLE:
                arr = arr.byteswap()
            self.buf += arr.data if arr.flags.c_contiguous else arr.tobytes()  # one copy, not two

    def write_string_seq(self, values: Iterable[str | bytes]) -> None:
        values = list(values)
        self._put("ulong", 4, len(values))
        for v in values:
            self.write_string(v)

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

    __slots__ = ("data", "pos", "end", "origin", "little_endian", "_s", "_ulong")

    def __init__(self, data: bytes | bytearray | memoryview, little_endian: bool = True,
                 origin: int = 0, pos: int | None = None, end: int | None = None) -> None:
        # A bytearray is kept as is: the transport hands each big reply over in a fresh one, and
        # numeric arrays are then views into it (zero copy). bytes (immutable) get one copy per array.
        self.data = data if isinstance(data, (bytes, bytearray)) else bytes(data)
        self.origin = origin
        self.pos = origin if pos is None else pos
        self.end = len(self.data) if end is None else end
        if self.end > len(self.data):
            raise MarshalError("reader end beyond buffer")
        self.set_byte_order(little_endian)

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
        n = self.read_count(1)
        if n == 0:  # illegal per spec, tolerated
            return ""
        raw = self.read_raw(n)
        if raw[-1] != 0:
            raise MarshalError("CDR string is not NUL-terminated")
        return raw[:-1].decode("latin-1")

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
        elif type(self.data) is bytearray and (self.little_endian == NATIVE_LITTLE or dtype.itemsize == 1):
            arr = np.frombuffer(self.data, dtype=dtype, count=n, offset=self.pos)  # writable view, no copy
        else:
            wire = dtype if (self.little_endian == NATIVE_LITTLE or dtype.itemsize == 1) else dtype.newbyteorder()
            arr = np.frombuffer(self.data, dtype=wire, count=n, offset=self.pos).astype(dtype, copy=True)
        self.pos += nbytes
        return arr

    def read_string_seq(self) -> list[str]:
        n = self.read_count(5)
        return [self.read_string() for _ in range(n)]

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
