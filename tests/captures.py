"""The captured Tango traffic (tests/data) and the one way tests read and compare against it.

The files are golden bytes recorded between real peers:

* ``giop1.log``, ``giopat.log``, ``giopdb.log``, ``giopdev.log``, ``zmq1.log``, ``zmq2.log``,
  ``typecodes_clean.txt``: PyTango 10.3.1 / cppTango 10.3.3 / omniORB 4.3.4 peers, copied from the
  project's shared briefs (their README describes every file and line format);
* ``anys_pytango_server.txt``: command ``any`` octets of a PyTango 10.3.1 server for the types the
  shared captures lack (DevVarStateArray, DevEnum);
* ``tangotest93.log``: a PyTango 10.3.1 client and Debian's cppTango 9.3 TangoTest (omniORB 4.2,
  which fragments big replies), recorded by tests/capture/test_tangotest_capture.py.

Comparing an encoding of ours with a capture needs care: omniORB leaves alignment padding
uninitialised, so captured padding holds garbage where ours holds zeros.
:func:`encode_with_padding_mask` finds the padding without trusting the code under test (it runs
the encoder with writers that pad with 0x00 and with 0xFF: the octets that differ are padding);
:func:`assert_same_encoding` then requires every other octet to equal the capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from tango_core.wire import giop
from tango_core.wire.cdr import CDRWriter

DATA = Path(__file__).parent / "data"

GIOP_LOGS = ("giop1.log", "giopat.log", "giopdb.log", "giopdev.log")


def path(name: str) -> Path:
    """Where capture ``name`` (a file name in tests/data) lives."""
    return DATA / name


# -- GIOP ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GiopLine:
    """One line of a ``giop*.log``: what the relay saw in one direction of one connection."""
    direction: str  # "C2S" or "S2C"
    conn: int
    time: float
    data: bytes


@lru_cache(maxsize=None)
def giop_lines(name: str) -> tuple[GiopLine, ...]:
    return parse_giop_lines(path(name).read_text().splitlines())


def parse_giop_lines(lines: Iterable[str]) -> tuple[GiopLine, ...]:
    """``<dir> <conn> <time> <hex>`` lines (a capture file's, or a recording's in the making)."""
    out = []
    for text in lines:
        if text.strip():
            direction, conn, t, hx = text.split()
            out.append(GiopLine(direction, int(conn), float(t), bytes.fromhex(hx)))
    return tuple(out)


@dataclass
class Captured:
    """One whole GIOP message of a capture: ``raw`` octets (fragments reassembled) and ``message``
    parsed once (shared: use :func:`fresh` for a message whose body reader is unread)."""
    direction: str
    conn: int
    raw: bytes
    message: object


@lru_cache(maxsize=None)
def giop_messages(name: str) -> tuple[Captured, ...]:
    """Every message of a capture, in order (see :func:`messages_of`)."""
    return messages_of(giop_lines(name))


def messages_of(lines: Iterable[GiopLine]) -> tuple[Captured, ...]:
    """The whole messages of captured lines, in order; fragmented ones reassembled per
    connection and direction with ``giop.MessageReader``, as a peer would."""
    readers: dict[tuple[str, int], giop.MessageReader] = {}
    out = []
    for line in lines:
        reader = readers.setdefault((line.direction, line.conn), giop.MessageReader())
        reader.feed(line.data)
        while (msg := reader.next_message()) is not None:
            body = getattr(msg, "body", None)
            raw = bytes(body.data) if body is not None else line.data
            out.append(Captured(line.direction, line.conn, raw, msg))
    return tuple(out)


def fresh(captured: Captured):
    """The message parsed anew (its body reader at the start of the body)."""
    return giop.parse_message(captured.raw)


def exchanges(name: str, operation: str | None = None) -> list[tuple[Captured, Captured]]:
    """(request, reply) pairs of ``operation`` (every operation if None), matched by connection
    and request id."""
    pending: dict[tuple[int, int], Captured] = {}
    pairs = []
    for c in giop_messages(name):
        m = c.message
        if isinstance(m, giop.Request):
            pending[(c.conn, m.request_id)] = c
        elif isinstance(m, giop.Reply):
            req = pending.pop((c.conn, m.request_id), None)
            if req is not None and (operation is None or req.message.operation == operation):
                pairs.append((req, c))
    return pairs


def replies(name: str, operation: str) -> list:
    """Fresh Reply objects (their body readers unread) for every reply to ``operation``."""
    return [fresh(rep) for _req, rep in exchanges(name, operation)]


def requests(name: str, operation: str | None = None) -> list[tuple[bytes, object]]:
    """(raw message, fresh Request) for every request of ``operation`` (every one if None)."""
    return [(c.raw, fresh(c)) for c in giop_messages(name)
            if isinstance(c.message, giop.Request) and (operation is None or c.message.operation == operation)]


# -- ZMQ, TypeCodes, anys ------------------------------------------------------------------------

def zmq_messages(name: str) -> list[tuple[str, list[bytes]]]:
    """(socket tag "HB"/"EV", frames) per ZMQ message; zmq2.log lines have no tag (all "EV")."""
    out = []
    for line in path(name).read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] in ("HB", "EV"):
            tag, frames = parts[0], parts[1:]
        else:
            tag, frames = "EV", parts
        out.append((tag, [bytes.fromhex(f) for f in frames]))
    return out


def typecode_lines() -> list[tuple[str, int, bytes]]:
    """(CmdArgType name, length, TypeCode octets) of typecodes_clean.txt."""
    out = []
    for text in path("typecodes_clean.txt").read_text().splitlines():
        if text.strip():
            name, n, hx = text.split()
            out.append((name, int(n), bytes.fromhex(hx)))
    return out


def pytango_server_anys() -> dict[str, tuple[str, bytes]]:
    """{command: (CmdArgType name, any octets)} of anys_pytango_server.txt."""
    out = {}
    for line in path("anys_pytango_server.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            cmd, tname, hx = line.split()
            out[cmd] = (tname, bytes.fromhex(hx))
    return out


# -- comparing our encodings with captured octets --------------------------------------------------

class _FillWriter(CDRWriter):
    """A CDRWriter whose alignment padding is ``PAD`` (test instrument only)."""

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
    """Run ``encode`` on a writer; return (octets with zero padding, per-octet "is padding" mask).

    ``origin`` is the writer's alignment origin: ``-start`` encodes as if the first octet sat at
    (aligned) offset ``start`` of the message."""
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


def assert_same_encoding(encode: Callable[[CDRWriter], None], captured: bytes, start: int = 0,
                         little_endian: bool = True, what: str = "") -> None:
    """Our encoding equals ``captured`` (which began at aligned offset ``start`` of its message)
    except in padding octets."""
    ours, mask = encode_with_padding_mask(encode, little_endian, origin=-start)
    assert_equal_modulo_padding(ours, mask, captured, what)
