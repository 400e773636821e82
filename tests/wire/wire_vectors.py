"""Loading the captured wire vectors (tests/wire/data, copied from the project's shared briefs) and
comparing our encodings with them *modulo padding*.

The captures come from real PyTango 10.3.1 / cppTango 10.3.3 / omniORB 4.3.4 peers; omniORB writes
garbage into alignment padding, we write zeros.  To know which octets are padding without trusting
the code under test, :func:`encode_with_padding_mask` runs the encoder twice with writers that fill
padding with 0x00 and with 0xFF: the octets that differ are padding, all others must match the
capture exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tango_core.wire.cdr import CDRWriter

DATA = Path(__file__).parent / "data"


@dataclass
class Line:
    direction: str  # "C2S" or "S2C"
    conn: int
    data: bytes


def giop_lines(name: str) -> list[Line]:
    out = []
    for text in (DATA / name).read_text().splitlines():
        if text.strip():
            d, conn, _t, hx = text.split()
            out.append(Line(d, int(conn), bytes.fromhex(hx)))
    return out


def typecode_lines() -> list[tuple[str, int, bytes]]:
    out = []
    for text in (DATA / "typecodes_clean.txt").read_text().splitlines():
        if text.strip():
            name, n, hx = text.split()
            out.append((name, int(n), bytes.fromhex(hx)))
    return out


def zmq1_messages() -> list[tuple[str, list[bytes]]]:
    out = []
    for text in (DATA / "zmq1.log").read_text().splitlines():
        parts = text.split()
        if parts:
            out.append((parts[0], [bytes.fromhex(p) for p in parts[1:]]))
    return out


class _FillWriter(CDRWriter):
    """A CDRWriter whose alignment padding is ``PAD`` instead of zeros (test instrument only)."""

    __slots__ = ()
    PAD = b"\x00"

    def align(self, n: int) -> None:
        pad = (-(len(self.buf) - self.origin)) % n
        self.buf += self.PAD * pad

    def _put(self, name: str, size: int, value) -> None:
        self.align(size)
        super()._put(name, size, value)


class _FFWriter(_FillWriter):
    __slots__ = ()
    PAD = b"\xff"


def encode_with_padding_mask(encode: Callable[[CDRWriter], None], little_endian: bool = True,
                             origin: int = 0) -> tuple[bytes, list[bool]]:
    """Run ``encode`` on a writer; return (octets with zero padding, per-octet "is padding" mask)."""
    plain = CDRWriter(little_endian, origin)
    encode(plain)
    zero = _FillWriter(little_endian, origin)
    encode(zero)
    ff = _FFWriter(little_endian, origin)
    encode(ff)
    a, b = bytes(zero.buf), bytes(ff.buf)
    assert len(a) == len(b) == len(plain.buf)
    assert bytes(plain.buf) == a, "CDRWriter must write zero padding"
    return a, [x != y for x, y in zip(a, b)]


def assert_equal_modulo_padding(ours: bytes, mask: list[bool], golden: bytes, what: str = "") -> None:
    assert len(ours) == len(golden), f"{what}: {len(ours)} octets encoded, capture has {len(golden)}"
    bad = [i for i, (x, y, pad) in enumerate(zip(ours, golden, mask)) if not pad and x != y]
    assert not bad, (f"{what}: octets differ outside padding at {bad[:10]}: "
                     f"ours {ours.hex()} capture {golden.hex()}")
    assert all(x == 0 for x, pad in zip(ours, mask) if pad), f"{what}: our padding must be zeros"
