"""Counter handling of the consumer, driven with captured frames (tests/data/zmq1.log):
duplicates (the server publishes the first event after a connection twice) are dropped, gaps
become an ``API_MissedEvents`` error event before the next value, a restarted counter is
accepted, and messages for topics nobody subscribed (or non-4-frame flush messages) are ignored.

No server is needed: the frames are fed to the running consumer's receive path exactly as the
receiver thread would after ``recv_multipart``.
"""

from __future__ import annotations

import struct

import pytest

from captures import zmq_messages
from tango_core.client.device_proxy import event_client
from tango_core.events import consumer as C
from tango_core.events.subscription_protocol import fix_endpoint
from tango_core.idl.enums import EventSubMode, EventType, ExtractAs

TOPIC = "tango://127.0.0.1:11000/test/demo/2/dscalar.idl5_change"


def _change_frames() -> list[list[bytes]]:
    return [fr for tag, fr in zmq_messages("zmq1.log") if tag == "EV" and len(fr) == 4 and fr[0].decode() == TOPIC]


def _with_ctr(fr: list[bytes], ctr: int) -> list[bytes]:
    info = bytearray(fr[2])
    struct.pack_into("<I", info, 4, ctr)
    return [fr[0], fr[1], bytes(info), fr[3]]


@pytest.fixture
def wired():
    """A consumer with one subscription registered on TOPIC, and the events it delivers."""
    c = C.get_consumer()
    got: list = []
    sub = C.Subscription(C.next_id(), None, "dscalar", EventType.CHANGE_EVENT, got.append, None,
                         EventSubMode.SyncRead, ExtractAs.Numpy, event_client())
    sub.full_name = TOPIC.rsplit(".", 1)[0]
    sub.holding = False
    c.add(sub)
    st = C.TopicState()
    st.subs = (sub,)
    c.topics[TOPIC] = st
    yield c, got
    c.topics.pop(TOPIC, None)
    c.remove(sub)
    C.release_if_idle(c)


def test_duplicates_dropped_and_gaps_reported(wired):
    c, got = wired
    ev3, ev4 = _change_frames()              # ctr 3 (9.5), ctr 4 (10.5)
    before = c.stats["duplicates"]
    c._on_event(ev3)
    c._on_event(ev3)                         # the server's double publication: dropped
    c._on_event(ev4)
    c._on_event(_with_ctr(ev4, 7))           # 5 and 6 lost
    assert c.flush()
    assert c.stats["duplicates"] == before + 1
    assert [(e.err, None if e.err else e.attr_value.value) for e in got] == \
        [(False, 9.5), (False, 10.5), (True, None), (False, 10.5)]
    miss = got[2]
    assert miss.errors[0].reason == "API_MissedEvents"
    assert miss.attr_name == "tango://127.0.0.1:11000/test/demo/2/dscalar" and miss.event == "change"


def test_counter_wraps_without_a_false_gap(wired):
    c, got = wired
    ev3, _ = _change_frames()
    c._on_event(_with_ctr(ev3, 0xFFFFFFFF))
    c._on_event(_with_ctr(ev3, 0))
    assert c.flush()
    assert [e.err for e in got] == [False, False]


def test_other_topics_and_flush_frames_are_ignored(wired):
    c, got = wired
    ev3, _ = _change_frames()
    c._on_event([b"I like beer"])
    other = [TOPIC.replace("dscalar", "dscalar2").encode(), *ev3[1:]]
    c._on_event(other)
    assert c.flush()
    assert got == []


def test_garbage_payload_becomes_an_error_event(wired):
    c, got = wired
    ev3, _ = _change_frames()
    c._on_event([ev3[0], ev3[1], ev3[2], ev3[3][:10]])      # truncated AttributeValue_5
    assert c.flush()
    assert len(got) == 1 and got[0].err
    assert got[0].errors[0].reason == "API_ZmqFailed"


def test_wildcard_endpoints_get_the_device_host_and_multicast_is_refused():
    from tango_core.idl.errors import EventSystemFailed
    assert fix_endpoint("tcp://0.0.0.0:45963", "127.0.0.1") == "tcp://127.0.0.1:45963"
    assert fix_endpoint("tcp://10.1.2.3:45963", "127.0.0.1") == "tcp://10.1.2.3:45963"
    with pytest.raises(EventSystemFailed, match="Multicast"):
        fix_endpoint("epgm://eth0;239.192.1.1:5556", "127.0.0.1")
