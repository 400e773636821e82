"""The consumer's ZeroMQ receiver (tango_core/events/receiver.py) fed by a real PUB socket.

Real servers on this machine publish in its byte order only, so the other byte order is sent here
with the supplier's encoder (events/frames.py, checked byte for byte against captured PyTango
traffic in test_frames_encoding.py).  What the receiver hands on decodes to the values sent, in
the native byte order, for small frames (copied) and big ones (handed on as views of the ZMQ
message): a decoded value stays valid and unchanged after the message is gone and later ones came.
"""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest
import zmq

from tango_core.client.device_attribute import from_attribute_value
from tango_core.events import frames
from tango_core.events.receiver import ZERO_COPY_MIN, ZmqReceiver
from tango_core.idl import types as T
from tango_core.idl.enums import AttrDataFormat, AttributeDataType as A, AttrQuality, CmdArgType

pytestmark = pytest.mark.timeout(60)

TOPIC = "tango://127.0.0.1:1/test/rx/1/spec.idl5_change"

#: union arm, data type and numpy dtype of each numeric spectrum
NUMERIC = {"boolean": (A.ATT_BOOL, CmdArgType.DevBoolean, np.bool_),
           "uchar": (A.ATT_UCHAR, CmdArgType.DevUChar, np.uint8),
           "short": (A.ATT_SHORT, CmdArgType.DevShort, np.int16),
           "ushort": (A.ATT_USHORT, CmdArgType.DevUShort, np.uint16),
           "long": (A.ATT_LONG, CmdArgType.DevLong, np.int32),
           "ulong": (A.ATT_ULONG, CmdArgType.DevULong, np.uint32),
           "long64": (A.ATT_LONG64, CmdArgType.DevLong64, np.int64),
           "ulong64": (A.ATT_ULONG64, CmdArgType.DevULong64, np.uint64),
           "float": (A.ATT_FLOAT, CmdArgType.DevFloat, np.float32),
           "double": (A.ATT_DOUBLE, CmdArgType.DevDouble, np.float64)}


def _values(kind: str, n: int, first: int) -> np.ndarray:
    values = np.arange(first, first + n)
    return values % 3 == 0 if kind == "boolean" else values.astype(NUMERIC[kind][2])


def _event(kind: str, values: np.ndarray, ctr: int, little_endian: bool) -> list[bytes]:
    arm, data_type, _ = NUMERIC[kind]
    av = T.AttributeValue_5(T.AttrValUnion(arm, values), AttrQuality.ATTR_VALID, AttrDataFormat.SPECTRUM,
                            data_type, T.TimeVal(1, 2, 3), "spec", T.AttributeDim(len(values), 0),
                            T.AttributeDim(0, 0), [])
    return frames.encode_event(TOPIC, ctr, frames.encode_data_frame(av, little_endian), little_endian=little_endian)


class _Publisher:
    """A PUB socket, and a ZmqReceiver subscribed to it collecting the messages it hands on."""

    def __init__(self) -> None:
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.setsockopt(zmq.SNDHWM, 100_000)
        port = self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.got: list[list] = []
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.rx = ZmqReceiver(self.stop, lambda msg: None, self._on_event, lambda: None, lambda: None)
        self.rx.start()
        self.rx.connect("ev", f"tcp://127.0.0.1:{port}")
        self.rx.subscribe("ev", TOPIC)

    def _on_event(self, msg: list) -> None:
        with self.cond:
            self.got.append(msg)
            self.cond.notify_all()

    def wait(self, n: int, timeout: float = 10.0) -> list[list]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.got) < n:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.got)} of {n} messages received"
                self.cond.wait(left)
            return list(self.got)

    def live(self) -> None:
        """Send probes until one arrives (ZMQ's slow joiner), then forget them."""
        deadline = time.monotonic() + 10
        while True:
            self.pub.send_multipart(_event("long", _values("long", 1, 0), 0, True))
            with self.cond:
                if self.cond.wait_for(lambda: self.got, 0.1):
                    break
            assert time.monotonic() < deadline, "the receiver got no message from the publisher"
        time.sleep(0.1)
        with self.cond:
            self.got.clear()

    def close(self) -> None:
        self.stop.set()
        self.rx.wake()
        self.rx.thread.join(5)
        self.pub.close(0)
        self.ctx.term()


@pytest.fixture
def publisher():
    p = _Publisher()
    try:
        p.live()
        yield p
    finally:
        p.close()


def _decode(msg: list) -> np.ndarray:
    kind, av = frames.decode_payload(frames.decode_event(msg))
    assert kind == "value"
    return from_attribute_value(av).value


@pytest.mark.parametrize("little_endian", [True, False], ids=["little-endian", "big-endian"])
def test_numeric_spectra_decode_to_what_was_sent_in_either_byte_order(publisher, little_endian):
    sent = []
    for kind in NUMERIC:
        for i, n in enumerate((5, 20_000)):                 # copied frame, zero-copy frame
            values = _values(kind, n, i + 1)
            sent.append(values)
            publisher.pub.send_multipart(_event(kind, values, len(sent), little_endian))
    msgs = publisher.wait(len(sent))
    assert [len(m) for m in msgs] == [4] * len(sent)
    assert [type(m[3]) is memoryview for m in msgs] == [len(m[3]) >= ZERO_COPY_MIN for m in msgs]
    assert any(type(m[3]) is memoryview for m in msgs) and any(type(m[3]) is bytes for m in msgs)
    got = [_decode(m) for m in msgs]
    del msgs
    publisher.got.clear()
    gc.collect()                               # the messages are gone: the values must not be
    for value, expected in zip(got, sent):
        assert value.dtype == expected.dtype and value.dtype.isnative
        assert value.flags.writeable
        np.testing.assert_array_equal(value, expected)


def test_a_kept_value_is_unchanged_by_later_messages_and_owns_its_octets(publisher):
    kept = []
    for ctr in range(1, 41):
        publisher.pub.send_multipart(_event("double", _values("double", 20_000, ctr), ctr, True))
        if ctr % 10 == 0:                       # decode while later messages are still arriving
            kept += [_decode(m) for m in publisher.wait(ctr)[len(kept):]]
    kept += [_decode(m) for m in publisher.wait(40)[len(kept):]]
    publisher.got.clear()
    gc.collect()
    kept[0][:] = -1.0                           # writing into one value changes no other
    for ctr, value in enumerate(kept[1:], start=2):
        np.testing.assert_array_equal(value, _values("double", 20_000, ctr))
    assert (kept[0] == -1.0).all()
