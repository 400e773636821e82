"""A tango_core server under hostile and heavy traffic.

* 10^5 random and mutated GIOP requests (unknown operations and object keys, flipped and
  truncated bodies, hostile sequence counts, wrong byte orders, broken headers, sizes that lie):
  every well-framed request gets a Reply (system exception, user exception or result) with its
  id, in its GIOP version and byte order; a broken frame gets MessageError and the connection
  closed; the process never dies, its memory stays bounded, and a well-behaved PyTango client
  is served throughout;
* 200 client connections at once, each served;
* a client that stops reading its replies blocks nobody else;
* a slow device does not block another device, even over one shared client connection, while
  one device still serves one request at a time.
"""

from __future__ import annotations

import os
import random
import socket
import struct
import threading
import time

import numpy as np
import pytest

from server_clients import pytango_proxy, tango_core_proxy
from thread_runs import run_in_threads
from tango_core.idl.enums import CmdArgType, DevSource
from tango_core.idl.operations import OPERATIONS
from tango_core.idl.types import ClntIdent
from tango_core.wire import giop
from tango_core.wire.cdr import CDRWriter

pytestmark = [pytest.mark.peers]

KEY = b"test/nodb/1"
ADMIN_KEY = b"dserver/testserver/robust"


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _body(op: str, *args) -> bytes:
    return OPERATIONS[op].encode_args(*args)


def _valid_calls() -> list[tuple[bytes, str, bytes]]:
    ident = ClntIdent.cpp_6(os.getpid())
    return [
        (KEY, "ping", b""),
        (KEY, "_non_existent", b""),
        (KEY, "_is_a", _body("_is_a", "IDL:Tango/Device_5:1.0")),
        (KEY, "info", b""),
        (KEY, "_get_state", b""),
        (KEY, "read_attributes_5", _body("read_attributes_5", ["double_rw", "long_spectrum_ro", "nope"],
                                         DevSource.DEV, ident)),
        (KEY, "command_inout_4", _body("command_inout_4", "EchoDouble", (CmdArgType.DevDouble, 2.5),
                                       DevSource.DEV, ident)),
        (KEY, "command_inout", _body("command_inout", "EchoStringArray", (CmdArgType.DevVarStringArray, ["a"]))),
        (KEY, "get_attribute_config_5", _body("get_attribute_config_5", ["double_rw"])),
        (KEY, "command_list_query_2", b""),
        (ADMIN_KEY, "command_inout_4", _body("command_inout_4", "QueryDevice", (CmdArgType.DevVoid, None),
                                             DevSource.DEV, ident)),
    ]


def _in_byte_order(op: str, body: bytes, little: bool) -> bytes:
    """The arguments (encoded little-endian) re-encoded in the chosen byte order."""
    if little or not body:
        return body
    from tango_core.wire.cdr import CDRReader
    operation = OPERATIONS[op]
    w = CDRWriter(False)
    operation.write_args(w, *operation.read_args(CDRReader(body, True)))
    return w.getvalue()


def _frame(rid: int, key: bytes, op: str, body: bytes, version: tuple[int, int], little: bool,
           expected: bool = True) -> bytes:
    return giop.build_request(rid, key, op, (lambda w: w.write_raw(body)) if body else None, version=version,
                              response_expected=expected, little_endian=little)


class _Client:
    """A raw GIOP client socket with a tiny reply parser."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = giop.MessageReader()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def next_message(self, timeout: float = 10.0):
        self.sock.settimeout(timeout)
        while True:
            msg = self.reader.next_message()
            if msg is not None:
                return msg
            data = self.sock.recv(65536)
            if not data:
                return None
            self.reader.feed(data)

    def close(self) -> None:
        self.sock.close()


def _mutate_body(body: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if not body:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    b = bytearray(body)
    if kind == 0:       # flip bytes
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:     # truncate (the header size is built to match: a short but well-framed body)
        del b[rng.randrange(len(b)):]
    elif kind == 2:     # a hostile count at the start
        b[0:4] = struct.pack("<I", rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x10000000]))
    else:               # garbage appended
        b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    return bytes(b)


def _fuzz(port: int, n: int, seed: int, counts: dict) -> None:
    rng = random.Random(seed)
    calls = _valid_calls()
    client = _Client(port)
    rid = 0
    try:
        for _ in range(n):
            rid += 1
            key, op, body = rng.choice(calls)
            version = rng.choice([(1, 0), (1, 1), (1, 2)])
            little = rng.random() < 0.8
            body = _in_byte_order(op, body, little)
            roll = rng.random()
            if roll < 0.93:                       # well framed: a reply with this id must come back
                if roll < 0.2:
                    op = rng.choice(["nope", "_interface", "read_attributes_9", "", "command_inout_4x"])
                elif roll < 0.35:
                    key = rng.choice([b"", b"TEST/NODB/1", b"test/nodb/9", b"database", bytes(range(40))])
                elif roll < 0.75:
                    body = _mutate_body(body, rng)
                expected = rng.random() > 0.05
                client.send(_frame(rid, key, op, body, version, little, expected))
                if not expected:
                    counts["oneway"] += 1
                    continue
                reply = client.next_message()
                assert isinstance(reply, giop.Reply), reply
                assert reply.request_id == rid
                assert reply.version == version
                assert reply.little_endian == little
                counts[reply.status.name] += 1
                continue
            # broken framing: the connection ends (MessageError for garbage), then a fresh one
            frame = bytearray(_frame(rid, key, op, body, version, little))
            what = rng.randrange(5)
            if what == 0:
                frame[0:4] = b"GIOQ"
            elif what == 1:
                frame[5] = 7                       # GIOP 1.7
            elif what == 2:
                frame[7] = 9                       # unknown message type
            elif what == 3:
                frame[8:12] = struct.pack("<I" if little else ">I", 0xFFFFFFF0)  # over the size limit
            else:
                frame = frame[: rng.randrange(1, len(frame))]     # truncated, then we hang up
            client.send(bytes(frame))
            if what == 4:
                client.close()
                counts["truncated"] += 1
            else:
                msg = client.next_message()
                assert isinstance(msg, giop.MessageError) or msg is None, msg
                counts["MessageError" if msg is not None else "closed"] += 1
                client.close()
            client = _Client(port)
    finally:
        client.close()


@pytest.fixture
def robust_server(peer_factory):
    return peer_factory.pytango_server("TestServer", "robust", nodb=True, device_names=["test/nodb/1",
                                                                                        "test/nodb/2"],
                                       on_tango_core=True)


@pytest.mark.slow
def test_hostile_and_mutated_requests(robust_server):
    from collections import Counter
    port = robust_server.port
    pid = robust_server.pid
    good = pytango_proxy(robust_server.devices[0])
    good.read_attribute("double_rw")
    _fuzz(port, 2000, 0, Counter())         # warm-up: imports, caches, thread pool
    rss_before = _rss_kib(pid)
    stop = threading.Event()
    served: list[float] = []
    failures: list[BaseException] = []

    def well_behaved() -> None:
        p = pytango_proxy(robust_server.devices[1])
        while not stop.is_set():
            try:
                assert p.EchoDouble(1.5) == 1.5
                served.append(time.monotonic())
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)
            stop.wait(0.05)

    counts: Counter = Counter()
    watcher = threading.Thread(target=well_behaved, daemon=True)
    watcher.start()
    errors = run_in_threads(lambda i: _fuzz(port, 25_000, i + 1, counts), 4, timeout=600)  # seeds 1 to 4
    stop.set()
    watcher.join(10)
    assert not errors, errors[0]
    assert robust_server.is_running()
    assert sum(counts.values()) == 100_000, counts
    assert counts["NO_EXCEPTION"] and counts["SYSTEM_EXCEPTION"] and counts["USER_EXCEPTION"], counts
    assert counts["MessageError"] > 0, counts
    assert not failures, failures[0]
    assert len(served) > 20
    growth = _rss_kib(pid) - rss_before
    print(f"\nfuzz outcomes {dict(counts)}; server RSS {rss_before} KiB -> +{growth} KiB; "
          f"{len(served)} well-behaved calls served meanwhile")
    assert growth < 64 * 1024, f"server memory grew by {growth} KiB over 10^5 hostile requests"
    assert good.read_attribute("double_rw").value == 1.5


def test_two_hundred_connections_at_once(robust_server):
    port = robust_server.port
    calls = _valid_calls()
    barrier = threading.Barrier(200)
    results: list[int] = []

    def one(i: int) -> None:
        c = _Client(port)
        barrier.wait(30)
        ok = 0
        for rid in range(1, 11):
            key, op, body = calls[(i + rid) % len(calls)]
            c.send(_frame(rid, key, op, body, (1, 2), True))
            reply = c.next_message(30)
            assert reply is not None and reply.request_id == rid
            ok += 1
        c.close()
        results.append(ok)

    errors = run_in_threads(one, 200, timeout=120)
    assert not errors, errors[0]
    assert results == [10] * 200


def test_a_client_that_stops_reading_blocks_nobody(robust_server):
    port = robust_server.port
    ident = ClntIdent.cpp_6(os.getpid())
    stuck = socket.create_connection(("127.0.0.1", port))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    body = _body("read_attributes_5", ["double_image_ro"] * 200, DevSource.DEV, ident)
    for rid in range(1, 200):   # a lot of replies nobody reads
        stuck.sendall(_frame(rid, KEY, "read_attributes_5", body, (1, 2), True))
    other = pytango_proxy(robust_server.devices[0])
    t0 = time.monotonic()
    for _ in range(50):
        assert other.EchoDouble(3.0) == 3.0
        assert other.read_attribute("double_image_ro").value.shape == (3, 4)
    assert time.monotonic() - t0 < 10
    stuck.close()


def test_a_slow_device_does_not_block_another(robust_server):
    slow = pytango_proxy(robust_server.devices[0], timeout_ms=10000)
    fast = pytango_proxy(robust_server.devices[1])
    started = threading.Event()

    def sleeper() -> None:
        started.set()
        slow.Sleep(2.0)

    t = threading.Thread(target=sleeper)
    t.start()
    started.wait()
    time.sleep(0.2)
    t0 = time.monotonic()
    assert fast.EchoDouble(1.0) == 1.0
    assert time.monotonic() - t0 < 0.5
    t.join()


def test_one_shared_connection_several_devices(robust_server):
    """tango_core's client multiplexes calls on one connection: the server must not serialise them."""
    slow = tango_core_proxy(robust_server.devices[0], timeout_ms=10000)
    fast = tango_core_proxy(robust_server.devices[1])
    fast.ping()
    t = threading.Thread(target=slow.Sleep, args=(2.0,))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    for _ in range(10):
        assert fast.EchoDouble(2.0) == 2.0
    assert time.monotonic() - t0 < 1.0
    t.join()


def test_one_device_serves_one_request_at_a_time(robust_server):
    p1 = tango_core_proxy(robust_server.devices[0], timeout_ms=10000)
    p2 = pytango_proxy(robust_server.devices[0], timeout_ms=10000)
    p1.ping()
    t = threading.Thread(target=p1.Sleep, args=(1.0,))
    t0 = time.monotonic()
    t.start()
    time.sleep(0.2)
    assert p2.EchoDouble(1.0) == 1.0      # waits for the Sleep to end
    assert time.monotonic() - t0 >= 0.95
    t.join()


_ = np
