"""Access to the captured Tango traffic in tests/idl/data (copied from shared/briefs/vectors).

The logs were recorded between real PyTango 10.3.1 / cppTango 10.3.3 peers (see
shared/briefs/vectors/README.md); they are the golden bytes of the IDL tests.

Comparing our re-encoding with a capture needs care: omniORB leaves the
alignment padding octets uninitialised, so the captured bytes hold garbage
where ours hold zeros.  :func:`assert_same_encoding` therefore encodes the
value twice -- once normally and once with a writer that fills padding with
0xFF -- and treats the octets that differ between the two as padding, which
it masks out before comparing with the capture.  Every other octet must match.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from tango_core.wire.cdr import CDRWriter
from tango_core.wire.giop import Reply, Request, parse_message

DATA = Path(__file__).parent / "data"


@dataclass
class Captured:
    direction: str  # "C2S" or "S2C"
    conn: int
    raw: bytes
    message: object


@lru_cache(maxsize=None)
def giop_log(name: str) -> tuple[Captured, ...]:
    out = []
    for line in (DATA / f"{name}.log").read_text().splitlines():
        direction, conn, _time, hexdata = line.split()
        raw = bytes.fromhex(hexdata)
        out.append(Captured(direction, int(conn), raw, parse_message(raw)))
    return tuple(out)


def exchanges(name: str, operation: str) -> list[tuple[Captured, Captured]]:
    """(request, reply) pairs of ``operation`` in the log, matched by connection and request id."""
    pending: dict[tuple[int, int], Captured] = {}
    pairs = []
    for c in giop_log(name):
        m = c.message
        if isinstance(m, Request):
            pending[(c.conn, m.request_id)] = c
        elif isinstance(m, Reply):
            req = pending.pop((c.conn, m.request_id), None)
            if req is not None and req.message.operation == operation:
                pairs.append((req, c))
    return pairs


def replies(name: str, operation: str) -> list[Reply]:
    """Fresh Reply objects (their body readers unread) for every reply to ``operation``."""
    return [parse_message(rep.raw) for _req, rep in exchanges(name, operation)]


def requests(name: str, operation: str) -> list[tuple[bytes, Request]]:
    """(raw message, fresh Request) for every request of ``operation``."""
    return [(c.raw, parse_message(c.raw)) for c in giop_log(name)
            if isinstance(c.message, Request) and c.message.operation == operation]


def zmq_log(name: str) -> list[tuple[str, list[bytes]]]:
    """(socket tag, frames) per ZMQ message; zmq2.log lines have no tag (all "EV")."""
    out = []
    for line in (DATA / f"{name}.log").read_text().splitlines():
        parts = line.split()
        if parts[0] in ("HB", "EV"):
            tag, frames = parts[0], parts[1:]
        else:
            tag, frames = "EV", parts
        out.append((tag, [bytes.fromhex(f) for f in frames]))
    return out


class _PadMarkingWriter(CDRWriter):
    """A CDRWriter whose padding octets are 0xFF instead of 0x00 (to locate padding)."""

    def align(self, n: int) -> None:
        pad = (-(len(self.buf) - self.origin)) % n
        self.buf += b"\xff" * pad

    def _put(self, name: str, size: int, value) -> None:
        self.align(size)
        super()._put(name, size, value)


def encode_at(write: Callable[[CDRWriter], None], start: int, little_endian: bool = True,
              writer_class: type[CDRWriter] = CDRWriter) -> bytes:
    """Encode as if the first octet were at aligned position ``start`` of the stream."""
    w = writer_class(little_endian, origin=-start)
    write(w)
    return w.getvalue()


def assert_same_encoding(write: Callable[[CDRWriter], None], captured: bytes, start: int,
                         little_endian: bool = True) -> None:
    """Our encoding equals ``captured`` (which began at aligned ``start``) except in padding octets."""
    ours = encode_at(write, start, little_endian)
    marked = encode_at(write, start, little_endian, _PadMarkingWriter)
    assert len(ours) == len(marked) == len(captured), (len(ours), len(marked), len(captured))
    pads = [i for i in range(len(ours)) if ours[i] != marked[i]]
    assert all(ours[i] == 0 for i in pads)
    masked_capture = bytearray(captured)
    for i in pads:
        masked_capture[i] = 0
    assert bytes(masked_capture) == ours
