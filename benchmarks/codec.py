"""Codec throughput, run by hand:  PYTHONPATH=. python benchmarks/codec.py [--repeat N]

Two workloads a Tango client meets all the time:

1. one big GIOP 1.2 Reply to ``read_attributes_5`` carrying an AttributeValue_5 with 1,000,000
   doubles (an 8 MB image or spectrum): parse the message and decode the AttributeValueList_5.
   The doubles go through ``CDRReader.read_array`` (one numpy copy), never a per-element loop;
   reported in MB/s of wire octets, for a whole message in memory and for the same message fed
   to ``giop.MessageReader`` in 64 KiB socket-sized reads.
2. 10,000 small GIOP 1.2 Replies to ``command_inout_4`` each carrying a DevDouble ``any``,
   fed as one byte stream through ``giop.MessageReader`` and decoded with
   ``decode_command_any``; reported in replies/s.

Encoding of the same messages is timed too.  Numbers are best-of-N wall-clock times.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tango_core.idl.command_any import decode_command_any, encode_command_any  # noqa: E402
from tango_core.idl.enums import (  # noqa: E402
    AttrDataFormat, AttributeDataType, AttrQuality, CmdArgType,
)
from tango_core.idl.types import (  # noqa: E402
    AttributeDim, AttributeValue_5, AttrValUnion, TimeVal, write_list,
)
from tango_core.wire import giop  # noqa: E402

N_DOUBLES = 1_000_000
N_SMALL = 10_000


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def big_reply() -> tuple[bytes, np.ndarray]:
    values = np.random.default_rng(1).random(N_DOUBLES)
    av = AttributeValue_5(
        value=AttrValUnion(AttributeDataType.ATT_DOUBLE, values),
        quality=AttrQuality.ATTR_VALID, data_format=AttrDataFormat.SPECTRUM,
        data_type=CmdArgType.DevDouble, time=TimeVal(1_700_000_000, 123456, 0), name="big",
        r_dim=AttributeDim(N_DOUBLES, 0), w_dim=AttributeDim(0, 0), err_list=[])
    return giop.build_reply(7, write_body=lambda w: write_list(w, [av])), values


def decode_big(msg: bytes) -> list[AttributeValue_5]:
    reply = giop.parse_message(msg)
    return AttributeValue_5.read_list(reply.body)


def decode_big_streamed(msg: bytes, chunk: int = 65536) -> list[AttributeValue_5]:
    """As a client sees it: socket-sized chunks through MessageReader, then the decode."""
    reader = giop.MessageReader()
    for i in range(0, len(msg), chunk):
        reader.feed(msg[i:i + chunk])
    reply = reader.next_message()
    return AttributeValue_5.read_list(reply.body)


def small_stream() -> bytes:
    return b"".join(
        giop.build_reply(2 * i, write_body=lambda w, i=i: encode_command_any(w, CmdArgType.DevDouble, i * 0.5))
        for i in range(N_SMALL))


def decode_small(stream: bytes) -> float:
    reader = giop.MessageReader()
    reader.feed(stream)
    total = 0.0
    n = 0
    while (msg := reader.next_message()) is not None:
        _t, v = decode_command_any(msg.body)
        total += v
        n += 1
    assert n == N_SMALL
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (best is reported)")
    args = ap.parse_args()

    print(f"tango_core wire codec benchmark (python {sys.version.split()[0]}, numpy {np.__version__})")
    print()

    msg, values = big_reply()
    mb = len(msg) / 1e6
    (av,) = decode_big(msg)
    assert np.array_equal(av.value.value, values) and av.name == "big"
    t_dec = best_of(args.repeat, lambda: decode_big(msg))
    t_stream = best_of(args.repeat, lambda: decode_big_streamed(msg))
    t_enc = best_of(args.repeat, big_reply)
    print(f"1) read_attributes_5 Reply, AttributeValue_5 with {N_DOUBLES:,} doubles ({mb:.1f} MB on the wire)")
    print(f"   decode: {t_dec * 1e3:8.2f} ms  = {mb / t_dec:8.0f} MB/s")
    print(f"   decode from 64 KiB socket reads (MessageReader): "
          f"{t_stream * 1e3:8.2f} ms  = {mb / t_stream:8.0f} MB/s")
    print(f"   encode: {t_enc * 1e3:8.2f} ms  = {mb / t_enc:8.0f} MB/s  (incl. generating the values)")
    print()

    stream = small_stream()
    expected = sum(i * 0.5 for i in range(N_SMALL))
    assert decode_small(stream) == expected
    t_dec = best_of(args.repeat, lambda: decode_small(stream))
    t_enc = best_of(args.repeat, small_stream)
    print(f"2) {N_SMALL:,} command_inout_4 Replies with a DevDouble any ({len(stream) / N_SMALL:.0f} octets each), "
          f"split by MessageReader")
    print(f"   decode: {t_dec * 1e3:8.2f} ms  = {N_SMALL / t_dec:10,.0f} replies/s")
    print(f"   encode: {t_enc * 1e3:8.2f} ms  = {N_SMALL / t_enc:10,.0f} replies/s")


if __name__ == "__main__":
    main()
