"""A raw ZMQ subscriber on an EventSupplier's endpoints, as a client connects them: for tests
of the publishing side that look at the frames themselves (decoded with events/frames.py)."""

from __future__ import annotations

import time

import zmq

from tango_core.events import frames
from tango_core.events.supplier import EventSupplier


class Subscriber:
    """Raw SUB sockets on a supplier's endpoints, as a client would connect them."""

    def __init__(self, supplier: EventSupplier, topics_: list[str]) -> None:
        self.ctx = zmq.Context()
        self.hb = self.ctx.socket(zmq.SUB)
        self.ev = self.ctx.socket(zmq.SUB)
        for s in (self.hb, self.ev):
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.RCVTIMEO, 5000)
        self.hb.connect(supplier.heartbeat_endpoint)
        self.ev.connect(supplier.event_endpoint)
        self.hb.setsockopt(zmq.SUBSCRIBE, supplier.channel.encode())
        for t in topics_:
            self.ev.setsockopt(zmq.SUBSCRIBE, t.encode())
        # the flush frame cppTango sends with each heartbeat proves both pipes are up
        self.ev.setsockopt(zmq.SUBSCRIBE, frames.FLUSH_MESSAGE[0])
        deadline = time.monotonic() + 10
        while True:
            supplier.send_heartbeat()
            if self.ev.poll(100):
                msg = self.ev.recv_multipart()
                if msg == list(frames.FLUSH_MESSAGE):
                    break
            assert time.monotonic() < deadline, "the supplier's sockets never answered"
        self.ev.setsockopt(zmq.UNSUBSCRIBE, frames.FLUSH_MESSAGE[0])
        while self.hb.poll(200):
            self.hb.recv_multipart()          # drop the probing heartbeats

    def next_event(self, timeout_ms: int = 5000) -> frames.EventMessage:
        assert self.ev.poll(timeout_ms), "no event arrived"
        return frames.decode_event(self.ev.recv_multipart())

    def nothing_more(self, timeout_ms: int = 300) -> bool:
        return not self.ev.poll(timeout_ms)

    def close(self) -> None:
        self.ctx.destroy(linger=0)
