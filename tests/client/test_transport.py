"""Transport and Connection behaviour against real peers and hostile sockets.

What a user sees when the network misbehaves: refused ports fail at once, a silent server
times out within the timeout, 50 threads share one connection, a server that closes idle
connections or restarts is reconnected to silently.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

import pytest

from hostile_peers import (BROKEN_ANSWERS, HangUpInTheMiddleOfAReply, LoopbackServer, ScriptedServer, SilentServer,
                           StalledListener, received_chunks, refused_port)
from thread_runs import run_in_threads
from tango_core.client.connection import Connection
from tango_core.client.database import Database
from tango_core.client.device_proxy import DeviceProxy
from tango_core.client.names import parse_tango_host
from tango_core.idl.errors import CommunicationFailed, ConnectionFailed, DevFailed, NonSupportedFeature
from tango_core.transport.errors import CallTimeout, ConnectFailed, ConnectionLost, SystemExceptionReply
from tango_core.transport.sync import BlockingEndpoint, get_endpoint
from tango_core.wire.cdr import CDRReader


def _read_bool(r: CDRReader) -> bool:
    return r.read_boolean()


def _host_port(tango_host: str) -> tuple[str, int]:
    host, port = tango_host.rsplit(":", 1)
    return host, int(port)


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


# -- transport level ------------------------------------------------------------------------------


def test_refused_port_fails_at_once():
    conn = BlockingEndpoint("127.0.0.1", refused_port(), connect_timeout=5.0)
    t0 = time.monotonic()
    with pytest.raises(ConnectFailed) as ei:
        conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=5.0, version=(1, 0))
    assert time.monotonic() - t0 < 0.5
    assert "refused" in ei.value.reason


def test_silent_server_times_out_within_the_timeout(silent_server):
    conn = BlockingEndpoint("127.0.0.1", silent_server.port)
    t0 = time.monotonic()
    with pytest.raises(CallTimeout):
        conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=0.4, version=(1, 0))
    elapsed = time.monotonic() - t0
    assert 0.35 <= elapsed < 1.0
    # the request really went out, and the connection is still there for the next call
    assert silent_server.received > 0
    assert conn.connected
    with pytest.raises(CallTimeout):
        conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=0.2, version=(1, 0))
    assert conn.connects == 1
    conn.close()


@pytest.mark.parametrize("env, expected_us", [(None, 50), ("0", 0), ("200", 200), ("-5", 0), ("fast", 50)])
def test_reply_poll_window_comes_from_the_environment(monkeypatch, env, expected_us):
    """TANGO_CORE_REPLY_SPIN_US sets how long a lone caller polls before it sleeps in recv
    (0 turns it off; a value that is not a number keeps the default)."""
    if env is None:
        monkeypatch.delenv("TANGO_CORE_REPLY_SPIN_US", raising=False)
    else:
        monkeypatch.setenv("TANGO_CORE_REPLY_SPIN_US", env)
    assert BlockingEndpoint("127.0.0.1", 1).reply_spin == pytest.approx(expected_us * 1e-6)


def test_a_caller_polls_briefly_then_sleeps_until_its_timeout(monkeypatch, silent_server):
    """The poll before sleeping is bounded: a silent server costs the caller no busy wait."""
    monkeypatch.setenv("TANGO_CORE_REPLY_SPIN_US", "10000")  # the longest poll allowed: 10 ms
    conn = BlockingEndpoint("127.0.0.1", silent_server.port)
    cpu0, t0 = time.thread_time(), time.monotonic()
    with pytest.raises(CallTimeout):
        conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=0.3, version=(1, 0))
    elapsed, cpu = time.monotonic() - t0, time.thread_time() - cpu0
    assert 0.25 <= elapsed < 1.0
    # it polled for 10 ms at most, then slept until the deadline (not busy for the whole 0.3 s)
    assert cpu < 0.15
    # a timeout shorter than the poll window still holds
    t0 = time.monotonic()
    with pytest.raises(CallTimeout):
        conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=0.002, version=(1, 0))
    assert time.monotonic() - t0 < 0.5
    conn.close()


def test_polls_in_vain_make_the_next_calls_sleep_at_once(monkeypatch, silent_server):
    """A server whose replies never come within the poll (here: never) costs the caller the poll
    on ever fewer calls: after k polls in vain in a row the next 2**k - 1 calls skip it."""
    monkeypatch.setenv("TANGO_CORE_REPLY_SPIN_US", "5000")
    conn = BlockingEndpoint("127.0.0.1", silent_server.port)
    cpu0 = time.thread_time()
    for _ in range(6):  # polls on calls 1 and 3 only: at most 10 ms of polling, not 30
        with pytest.raises(CallTimeout):
            conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=0.03, version=(1, 0))
    assert time.thread_time() - cpu0 < 0.022
    conn.close()


def test_unknown_object_key_is_a_system_exception(tango_host):
    conn = get_endpoint(*_host_port(tango_host))
    with pytest.raises(SystemExceptionReply) as ei:
        conn.invoke(b"no-such-object", "_non_existent", None, _read_bool, timeout=3.0)
    assert ei.value.name == "OBJECT_NOT_EXIST"


def test_giop_10_and_12_share_one_connection(tango_host):
    conn = BlockingEndpoint(*_host_port(tango_host))
    read_name = CDRReader.read_string
    assert conn.invoke(b"database", "_get_name", None, read_name, 3.0, version=(1, 0)) == "sys/database/2"
    assert conn.invoke(b"database", "_get_name", None, read_name, 3.0, version=(1, 2)) == "sys/database/2"
    assert conn.connects == 1
    conn.close()


def test_fifty_threads_share_one_connection(tango_host):
    db = Database(*_host_port(tango_host))
    conn = get_endpoint(db.get_db_host(), db.get_db_port_num())
    db.get_device_exported("sys/tg_test/*")  # connected now, whichever tests ran before
    before = conn.connects
    results: list[object] = []
    barrier = threading.Barrier(50)

    def work(i: int) -> None:
        barrier.wait()
        for _ in range(5):
            results.append(db.get_device_exported("sys/tg_test/*").value_string)

    errors = run_in_threads(work, 50, timeout=30)
    assert not errors
    assert len(results) == 250
    assert all(r == ["sys/tg_test/1"] for r in results)
    assert conn.connects == before  # all 250 calls went over the one TCP connection


# -- Connection (DevFailed) level ---------------------------------------------------------------------


def test_database_on_refused_port_raises_connection_failed_quickly():
    port = refused_port()
    t0 = time.monotonic()
    with pytest.raises(ConnectionFailed) as ei:
        Database("127.0.0.1", port)
    assert time.monotonic() - t0 < 0.5
    reasons = [e.reason for e in ei.value.args]
    assert reasons == ["API_CorbaException", "API_CantConnectToDatabase"]
    assert "TRANSIENT" in ei.value.args[0].desc
    assert ei.value.args[1].desc == f"Failed to connect to database on host 127.0.0.1 with port {port}"


def test_database_on_silent_server_fails_within_its_timeout(silent_server):
    db = Database._for_tango_host(parse_tango_host(f"127.0.0.1:{silent_server.port}"))
    db.set_timeout_millis(300)
    t0 = time.monotonic()
    with pytest.raises(ConnectionFailed) as ei:
        db.get_info()
    assert time.monotonic() - t0 < 1.0
    assert ei.value.args[0].reason == "API_CorbaException"
    assert "CallTimedout" in ei.value.args[0].desc
    assert any(e.reason == "API_CantConnectToDatabase" for e in ei.value.args)


def test_command_timeout_is_api_device_timed_out_and_connection_recovers(nodb_server):
    dev = Connection(nodb_server.device)
    dev.set_timeout_millis(300)
    t0 = time.monotonic()
    with pytest.raises(CommunicationFailed) as ei:
        dev.command_inout("Sleep", 1.0)
    assert time.monotonic() - t0 < 0.9
    assert [e.reason for e in ei.value.args] == ["API_CorbaException", "API_DeviceTimedOut"]
    assert ei.value.args[1].desc == "Timeout (300 mS) exceeded on device test/nodb/1, command Sleep"
    dev.set_timeout_millis(3000)
    assert dev.command_inout("EchoDouble", 2.5) == 2.5


def test_server_dev_failed_keeps_its_stack(nodb_server):
    dev = Connection(nodb_server.device)
    with pytest.raises(DevFailed) as ei:
        dev.command_inout("Fail")
    reasons = [e.reason for e in ei.value.args]
    assert reasons[0] == "TestDevice_CommandFailed"
    assert reasons[-1] == "API_CommandFailed"
    assert ei.value.args[-1].desc == "Failed to execute command_inout on device test/nodb/1, command Fail"


def test_nodb_device_speaks_idl_from_is_a_probe(nodb_server):
    dev = Connection(nodb_server.device)
    assert dev.get_idl_version() == 6
    assert dev._ref.is_corbaloc and dev._ref.primary.version == (1, 0)
    assert dev.get_db_host() == "Unused"


def test_db_device_uses_giop_12_from_its_ior(tango_host):
    dev = DeviceProxy("sys/tg_test/1")
    assert not dev._ref.is_corbaloc and dev._ref.primary.version == (1, 2)
    assert dev.get_idl_version() == 5  # Debian's TangoTest 9.3.4
    assert dev.command_inout("DevDouble", 1.25) == 1.25


def test_a_plain_connection_does_not_import_database_devices(tango_host):
    """The database lookup lives above the Connection layer (DeviceProxy asks its Database)."""
    with pytest.raises(NonSupportedFeature, match="use DeviceProxy"):
        Connection("sys/tg_test/1")


def test_undefined_device_fails_at_construction(tango_host):
    with pytest.raises(DevFailed) as ei:
        DeviceProxy("sys/tg_test/99")
    assert type(ei.value) is DevFailed  # as PyTango
    assert ei.value.args[0].reason == "DB_DeviceNotDefined"
    assert ei.value.args[-1].reason == "API_DeviceNotDefined"
    assert ei.value.args[-1].desc == "Can't connect to device sys/tg_test/99"
    assert ei.value.args[0].desc == "device sys/tg_test/99 not defined in the database !"


def test_unexported_device_constructs_and_fails_on_first_call(tango_host):
    dev = DeviceProxy("sys/access_control/1")
    with pytest.raises(ConnectionFailed) as ei:
        dev.command_inout("State")
    assert ei.value.args[0].reason == "API_DeviceNotExported"
    assert ei.value.args[0].desc == ("Device sys/access_control/1 is not exported "
                                     "(hint: try starting the device server)")
    assert [e.reason for e in ei.value.args] == ["API_DeviceNotExported", "API_CommandFailed"]
    # cppTango throttles reconnection attempts: one per second
    with pytest.raises(DevFailed) as ei:
        dev.command_inout("State")
    assert type(ei.value) is DevFailed
    assert [e.reason for e in ei.value.args] == ["API_CantConnectToDevice", "API_CommandFailed"]
    assert "The connection request was delayed" in ei.value.args[0].desc
    time.sleep(1.05)
    with pytest.raises(ConnectionFailed) as ei:
        dev.command_inout("State")
    assert ei.value.args[0].reason == "API_DeviceNotExported"


def test_stopped_device_server_gives_cant_connect_quickly(peer_factory):
    db, tt = peer_factory.tango_system()
    dev = DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    assert dev.command_inout("DevLong", 7) == 7
    tt.stop()
    t0 = time.monotonic()
    with pytest.raises(DevFailed) as ei:
        dev.command_inout("DevLong", 7)
    assert time.monotonic() - t0 < 2.0
    assert isinstance(ei.value, (ConnectionFailed, CommunicationFailed))
    # TangoTest unexports itself on a clean stop, so the re-import tells the user exactly that
    assert [e.reason for e in ei.value.args] == ["API_DeviceNotExported", "API_CommandFailed"], ei.value


def test_restarted_server_on_a_new_port_is_reimported(peer_factory):
    db, tt = peer_factory.tango_system()
    dev = DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    assert dev.command_inout("DevLong", 1) == 1
    old = dev._ref.primary
    tt.restart(new_port=True)
    assert dev.command_inout("DevLong", 2) == 2  # first call after the restart succeeds
    new = dev._ref.primary
    assert (new.port, new.object_key) != (old.port, old.object_key)


def test_restarted_server_on_the_same_port_is_reconnected(peer_factory):
    db, tt = peer_factory.tango_system()
    dev = DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    assert dev.command_inout("DevLong", 1) == 1
    tt.restart()
    assert dev.command_inout("DevLong", 3) == 3


def test_peer_close_connection_is_handled_silently(peer_factory):
    """omniORB closes idle connections with CloseConnection (after 180 s by default; 1-2 s here)."""
    db, tt = peer_factory.tango_system()
    tt.env.update(ORBinConScanPeriod="1", ORBscanGranularity="1")
    tt.restart()
    dev = DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    assert dev.command_inout("DevLong", 1) == 1
    target = dev._ref.primary
    conn = get_endpoint(target.host, target.port)
    before = conn.connects
    deadline = time.monotonic() + 10
    while conn.connected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not conn.connected, "the server never closed the idle connection"
    assert conn.last_drop_reason == "peer sent CloseConnection"
    assert dev.command_inout("DevLong", 5) == 5
    assert conn.connects == before + 1


def test_crashed_device_server_gives_cant_connect_at_once(peer_factory):
    db, tt = peer_factory.tango_system()
    dev = DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    assert dev.command_inout("DevLong", 7) == 7
    tt.kill()  # no clean shutdown: the database still holds the old IOR
    t0 = time.monotonic()
    with pytest.raises(ConnectionFailed) as ei:
        dev.command_inout("DevLong", 7)
    assert time.monotonic() - t0 < 1.0
    reasons = [e.reason for e in ei.value.args]
    assert reasons == ["API_CorbaException", "API_CantConnectToDevice", "API_CommandFailed"]
    assert ei.value.args[1].desc == "Failed to connect to device sys/tg_test/1"
    assert "TRANSIENT" in ei.value.args[0].desc


def test_connect_timeout_from_tango_connect_timeout_env(monkeypatch):
    """A listener whose backlog is full never completes the handshake: the connect timeout applies."""
    monkeypatch.setenv("TANGOconnectTimeout", "300")
    listener = StalledListener()
    try:
        conn = BlockingEndpoint("127.0.0.1", listener.port)
        t0 = time.monotonic()
        with pytest.raises(ConnectFailed) as ei:
            conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=5.0)
        assert 0.25 <= time.monotonic() - t0 < 1.0
        assert ei.value.timed_out
    finally:
        listener.close()


@pytest.mark.parametrize("answer, why", BROKEN_ANSWERS)
def test_broken_peer_drops_the_connection_with_a_clear_error(answer, why):
    server = ScriptedServer(answer)
    try:
        conn = BlockingEndpoint("127.0.0.1", server.port)
        t0 = time.monotonic()
        with pytest.raises(ConnectionLost) as ei:
            conn.invoke(b"database", "_non_existent", None, _read_bool, timeout=3.0)
        assert time.monotonic() - t0 < 1.0
        assert why in ei.value.reason
        assert not conn.connected
    finally:
        server.close()


def test_server_killed_during_a_call_is_communication_failed(peer_factory):
    server = peer_factory.pytango_server("TestServer", "killme", nodb=True, device_names=["test/kill/1"])
    dev = Connection(server.device)
    assert dev.command_inout("EchoDouble", 1.5) == 1.5
    threading.Timer(0.3, server.kill).start()
    t0 = time.monotonic()
    with pytest.raises(CommunicationFailed) as ei:
        dev.command_inout("Sleep", 5.0)
    assert time.monotonic() - t0 < 2.0
    assert [e.reason for e in ei.value.args] == ["API_CorbaException", "API_CommunicationFailed"]
    assert ei.value.args[1].desc == "Failed to execute command_inout on device test/kill/1, command Sleep"


def test_stopped_database_gives_clear_error_then_recovers(peer_factory):
    dbpeer = peer_factory.pytango_database()
    db = Database(*_host_port(dbpeer.tango_host))
    assert "sys/tg_test/1" in db.get_device_name("TangoTest/test", "TangoTest")
    dbpeer.stop()
    t0 = time.monotonic()
    with pytest.raises(ConnectionFailed) as ei:
        db.get_info()
    assert time.monotonic() - t0 < 1.0
    assert "API_CantConnectToDatabase" in [e.reason for e in ei.value.args]
    dbpeer.start()
    time.sleep(1.1)  # cppTango's reconnection delay after a failed attempt
    assert db.get_info().startswith("TANGO Database")


def test_replicated_tango_host_fails_over(tango_host):
    host, port = _host_port(tango_host)
    dead = refused_port()
    db = Database(parse_tango_host(f"127.0.0.1:{dead},{host}:{port}"))
    assert db.is_multi_tango_host()
    assert db.dev_name() == "sys/database/2"
    assert [t.version for t in db._ref.targets] == [(1, 2), (1, 2)]
    assert "sys/tg_test/1" in db.get_device_exported("sys/*")


class ForwardingServer(LoopbackServer):
    """A locator in front of a real database: answers every request with LOCATION_FORWARD to it
    (what an implementation repository or a moved object does)."""

    def __init__(self, target_host: str, target_port: int, permanent: bool = False) -> None:
        from tango_core.wire.giop import MessageReader, ReplyStatus, build_reply
        from tango_core.wire.ior import IOR, write_ior
        self._status = ReplyStatus.LOCATION_FORWARD_PERM if permanent else ReplyStatus.LOCATION_FORWARD
        self._ior = IOR.for_iiop("IDL:Tango/Device_5:1.0", target_host, target_port, b"database")
        self._build_reply, self._write_ior, self._reader_cls = build_reply, write_ior, MessageReader
        self.forwarded = 0
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._forward, args=(conn,), daemon=True).start()

    def _forward(self, conn: socket.socket) -> None:
        reader = self._reader_cls()
        with conn:
            for data in received_chunks(conn):
                reader.feed(data)
                msg = reader.next_message()
                while msg is not None:
                    self.forwarded += 1
                    conn.sendall(self._build_reply(msg.request_id, self._status,
                                                   lambda w: self._write_ior(w, self._ior), version=msg.version))
                    msg = reader.next_message()


@pytest.mark.parametrize("permanent", [False, True])
def test_location_forward_is_followed(tango_host, permanent):
    host, port = _host_port(tango_host)
    locator = ForwardingServer(host, port, permanent)
    try:
        db = Database("127.0.0.1", locator.port)
        assert db.dev_name() == "sys/database/2"
        assert "sys/tg_test/1" in db.get_device_exported("sys/*")
        first = locator.forwarded
        assert first >= 1
        db.get_info()
        # the forwarded location is kept for the next calls
        assert locator.forwarded == first
        assert db._ref.primary.port == port
    finally:
        locator.close()


def test_fifty_threads_each_get_their_own_replies(nodb_server):
    """Replies are matched to callers by request id: every thread sees exactly its own values."""
    dev = Connection(nodb_server.device)
    dev.set_timeout_millis(10000)
    target = dev._ref.primary
    before = get_endpoint(target.host, target.port).connects
    barrier = threading.Barrier(50)

    def work(i: int) -> None:
        barrier.wait()
        for k in range(10):
            value = i * 1000.0 + k
            got = dev.command_inout("EchoDouble", value)
            assert got == value, (i, k, got)
            text = f"t{i}-{k}"
            assert dev.command_inout("EchoString", text) == text

    errors = run_in_threads(work, 50, timeout=60)
    assert not errors, errors[:3]
    assert get_endpoint(target.host, target.port).connects == before


def test_a_request_whose_reply_was_cut_is_not_sent_again_the_others_are():
    """The server hangs up after part of one reply: that call fails (the server ran it; sending
    it again would run a command twice), the call without any reply is sent again and answered."""
    server = HangUpInTheMiddleOfAReply()
    conn = BlockingEndpoint("127.0.0.1", server.port)
    outcomes: dict[str, object] = {}

    def call(op: str) -> None:
        try:
            outcomes[op] = bytes(conn.invoke(b"key", op, None, lambda r: r.read_octet_seq(), timeout=5.0))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            outcomes[op] = exc

    threads = [threading.Thread(target=call, args=(op,)) for op in ("op_a", "op_b")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    finally:
        conn.close()
        server.close()
    failed = [op for op, out in outcomes.items() if isinstance(out, ConnectionLost)]
    answered = [op for op, out in outcomes.items() if out == b"again"]
    assert len(failed) == 1 and len(answered) == 1, outcomes
    assert "in the middle of a message" in outcomes[failed[0]].reason
    assert server.operations_again == answered  # the half-answered request was not sent again


def test_small_calls_made_while_a_big_request_is_written_get_their_own_replies(tango_host):
    """While one thread writes a request of several megabytes, the calls other threads make
    meanwhile wait behind it (they are written by that thread when it is done, all at once):
    every message reaches the server whole and every caller gets its own reply."""
    import numpy as np

    dev = DeviceProxy("sys/tg_test/1")
    dev.set_timeout_millis(20000)
    big = np.arange(400_000, dtype=np.float64)  # 3.2 MB: written in slices by the big-request path
    errors: list[BaseException] = []
    stop = threading.Event()
    counts = [0] * 16

    def big_echoes() -> None:
        try:
            for _ in range(5):
                assert np.array_equal(dev.command_inout("DevVarDoubleArray", big), big)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            stop.set()

    def small_echoes(i: int) -> None:
        try:
            k = 0
            while not stop.is_set():
                value = i * 100_000 + k
                assert dev.command_inout("DevLong", value) == value, (i, k)
                k += 1
            counts[i] = k
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=small_echoes, args=(i,)) for i in range(16)]
    threads.append(threading.Thread(target=big_echoes))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    assert all(counts), counts  # every thread got through while the big requests went out


class RecordingRelay(LoopbackServer):
    """A TCP relay in front of a real server that records what the client sends."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.sent = bytearray()
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record:
                    self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def requests(self) -> list:
        from tango_core.wire.giop import MessageReader
        reader = MessageReader()
        reader.feed(bytes(self.sent))
        out = []
        msg = reader.next_message()
        while msg is not None:
            out.append(msg)
            msg = reader.next_message()
        return out


def test_codesets_context_only_on_the_first_giop_12_request(tango_host):
    relay = RecordingRelay(*_host_port(tango_host))
    try:
        conn = BlockingEndpoint("127.0.0.1", relay.port)
        for version in ((1, 0), (1, 2), (1, 2), (1, 0)):
            assert conn.invoke(b"database", "_get_name", None, CDRReader.read_string, 3.0, version) == \
                "sys/database/2"
        conn.close()
        time.sleep(0.1)
        reqs = [m for m in relay.requests() if hasattr(m, "operation")]
        assert [r.version for r in reqs] == [(1, 0), (1, 2), (1, 2), (1, 0)]
        assert [[c.context_id for c in r.service_contexts] for r in reqs] == [[], [1], [], []]
        assert len({r.request_id for r in reqs}) == 4
    finally:
        relay.close()


def test_nodb_device_on_a_dead_port_behaves_like_pytango():
    dev = Connection(f"tango://127.0.0.1:{refused_port()}/a/b/c#dbase=no")  # construction succeeds
    with pytest.raises(DevFailed) as ei:
        dev.command_inout("State", None, )
    assert "delayed" in ei.value.args[0].desc  # the constructor's attempt counts, as in cppTango
    time.sleep(1.05)
    with pytest.raises(ConnectionFailed) as ei:
        dev.command_inout("State")
    assert [e.reason for e in ei.value.args] == ["API_CorbaException", "API_ServerNotRunning", "API_CommandFailed"]


def test_command_errors_read_like_pytango(tango_host):
    dev = DeviceProxy("sys/tg_test/1")
    with pytest.raises(DevFailed) as ei:
        dev.command_inout("NoSuch")
    assert [(e.reason, e.desc) for e in ei.value.args] == [
        ("API_CommandNotFound", "Command NoSuch not found"),
        ("API_CommandFailed", "Failed to execute command_inout on device sys/tg_test/1, command NoSuch")]
    with pytest.raises(TypeError) as ti:
        dev.command_inout("DevDouble", "abc")
    assert str(ti.value) == "Invalid input argument for command DevDouble: 'abc' cannot be converted to type DevDouble"


def test_alternate_iiop_address_is_tried_after_the_profile_address(tango_host):
    from tango_core.client.orb import ObjectRef
    from tango_core.wire.cdr import CDRWriter
    from tango_core.wire.ior import IOR, TAG_ALTERNATE_IIOP_ADDRESS, TaggedComponent

    host, port = _host_port(tango_host)

    def alt(w: CDRWriter) -> None:
        w.write_string(host)
        w.write_ushort(port)

    component = TaggedComponent(TAG_ALTERNATE_IIOP_ADDRESS, CDRWriter.encapsulate(alt))
    ior = IOR.for_iiop("IDL:Tango/Device_5:1.0", "127.0.0.1", refused_port(), b"database", (component,))
    ref = ObjectRef.from_string(ior.to_string())
    assert [(t.port, t.version) for t in ref.targets][1] == (port, (1, 2))
    assert ref.invoke("_get_name", None, CDRReader.read_string, 3.0) == "sys/database/2"
    assert ref.primary.port == port  # the address that answered is remembered


def test_big_fragmented_replies_are_reassembled(tango_host):
    """omniORB fragments big GIOP 1.2 replies (Reply + Fragment messages); 8 MB round trip."""
    import numpy as np
    dev = DeviceProxy("sys/tg_test/1")
    dev.set_timeout_millis(20000)
    data = np.arange(1_000_000, dtype=np.float64) * 0.5
    echoed = dev.command_inout("DevVarDoubleArray", data)
    assert isinstance(echoed, np.ndarray) and echoed.dtype == np.float64
    assert np.array_equal(echoed, data)
    # and the connection is still in step afterwards
    assert dev.command_inout("DevLong", 42) == 42


def test_interrupted_call_leaves_the_connection_usable(tango_host):
    """Ctrl-C (KeyboardInterrupt) while waiting for a reply must not break later calls."""
    import signal
    dev = DeviceProxy("sys/tg_test/1")
    dev.set_timeout_millis(5000)
    assert dev.command_inout("DevLong", 1) == 1

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # SIGUSR1 from a timer thread (SIGALRM belongs to pytest-timeout)
    old = signal.signal(signal.SIGUSR1, interrupt)
    main = threading.main_thread().ident
    try:
        import numpy as np
        # the timer starts INSIDE pytest.raises: Timer.start() waits for the new thread to run,
        # and on a busy machine the signal can come before start() returns
        with pytest.raises(KeyboardInterrupt):
            threading.Timer(0.005, signal.pthread_kill, args=(main, signal.SIGUSR1)).start()
            for _ in range(500):  # big calls, so the interrupt lands inside one of them
                dev.command_inout("DevVarDoubleArray", np.zeros(200_000))
    finally:
        signal.signal(signal.SIGUSR1, old)
    for k in range(5):
        assert dev.command_inout("DevLong", k) == k


def test_forked_child_gets_its_own_connections(tango_host):
    import multiprocessing
    db = Database(*_host_port(tango_host))
    assert "sys/tg_test/1" in db.get_device_exported("sys/*")
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.map(_child_lists_devices, [tango_host] * 4)
    assert all(r == (["sys/tg_test/1"], 1) for r in results)
    assert "sys/tg_test/1" in db.get_device_exported("sys/*")  # the parent's connection is intact


def test_forked_child_reads_with_its_own_client_identity(nodb_server):
    """A read request is encoded once per proxy, with the client identity (the process id that
    cppTango's locking checks): a forked child's reads carry the child's id, not its parent's."""
    relay = RecordingRelay("127.0.0.1", nodb_server.port)
    try:
        name = nodb_server.device.split("/", 3)[3].split("#")[0]
        dev = DeviceProxy(f"tango://127.0.0.1:{relay.port}/{name}#dbase=no")
        dev.read_attribute("double_rw")  # the request is encoded and kept
        pid = os.fork()
        if pid == 0:  # the child: read, then leave without running the parent's cleanup
            code = 0
            try:
                dev.read_attribute("double_rw")
            except BaseException:  # noqa: BLE001 - reported by the exit code
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0
        dev.read_attribute("double_rw")
        time.sleep(0.2)
        reads = [bytes(r.body.data[r.body.pos:]) for r in relay.requests()
                 if getattr(r, "operation", "").startswith("read_attributes")]
        ident = [(struct.pack("<I", p) in body, struct.pack("<I", os.getpid()) in body)
                 for body, p in zip(reads, (os.getpid(), pid, os.getpid()))]
        assert ident == [(True, True), (True, False), (True, True)]
    finally:
        relay.close()


def _child_lists_devices(tango_host: str):
    db = Database(*_host_port(tango_host))
    devices = list(db.get_device_exported("sys/tg_test/*"))
    return devices, get_endpoint(*_host_port(tango_host)).connects


class ClosingFirstRelay(RecordingRelay):
    """Relay whose first connection answers the first request with CloseConnection (what omniORB
    does when its idle scan and our request cross), then closes; later connections are relayed."""

    CLOSE_CONNECTION = bytes.fromhex("47494f50 01020105 00000000")  # GIOP 1.2 LE CloseConnection

    def __init__(self, target_host: str, target_port: int) -> None:
        self.closed_one = False
        super().__init__(target_host, target_port)

    def handle(self, client: socket.socket) -> None:
        if self.closed_one:
            super().handle(client)
            return
        self.closed_one = True
        client.recv(65536)
        client.sendall(self.CLOSE_CONNECTION)
        client.close()


def test_request_crossing_a_close_connection_is_resent(tango_host):
    relay = ClosingFirstRelay(*_host_port(tango_host))
    try:
        conn = BlockingEndpoint("127.0.0.1", relay.port)
        assert conn.invoke(b"database", "_get_name", None, CDRReader.read_string, 3.0) == "sys/database/2"
        assert relay.closed_one and conn.connects == 2
        assert conn.last_drop_reason == "peer sent CloseConnection"
        # the re-sent request opened the new connection, so it carries the CodeSets context again
        reqs = [m for m in relay.requests() if hasattr(m, "operation")]
        assert [[c.context_id for c in r.service_contexts] for r in reqs] == [[1]]
        conn.close()
    finally:
        relay.close()


def test_fifty_threads_through_a_server_restart(peer_factory):
    """Every thread's calls succeed across a restart on a new port (one re-import, no errors)."""
    db, tt = peer_factory.tango_system()
    dev = DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    dev.set_timeout_millis(10000)
    assert dev.command_inout("DevLong", 0) == 0
    tt.restart(new_port=True)
    barrier = threading.Barrier(50)

    def work(i: int) -> None:
        barrier.wait()
        for k in range(3):
            assert dev.command_inout("DevLong", i * 10 + k) == i * 10 + k

    errors = run_in_threads(work, 50, timeout=60)
    assert not errors, errors[:3]


class HalfReplyServer(LoopbackServer):
    """Answers the first request with a reply header announcing 255 MiB and 100 KB of it, then
    holds the connection open without another octet (a hostile or broken peer)."""

    def __init__(self) -> None:
        self.conns: list[socket.socket] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        self.conns.append(conn)
        request = conn.recv(65536)
        rid = struct.unpack_from("<I", request, 12)[0]  # a GIOP 1.2 request's id
        header = b"GIOP\x01\x02\x01\x01" + struct.pack("<III", 255 * 1024 * 1024, rid, 0)
        conn.sendall(header + bytes(100_000))

    def close(self) -> None:
        super().close()
        for c in self.conns:
            c.close()


def test_a_reply_announcing_255_mib_pins_no_memory():
    """The call times out with the reply half received: the connection is closed, so the pooled
    endpoint keeps nothing, and what was allocated followed the octets that arrived."""
    import gc
    import tracemalloc
    server = HalfReplyServer()
    endpoint = BlockingEndpoint("127.0.0.1", server.port)
    tracemalloc.start()
    try:
        with pytest.raises(CallTimeout):
            endpoint.invoke(b"database", "_non_existent", None, _read_bool, timeout=0.5)
        _, peak = tracemalloc.get_traced_memory()
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.close()
    assert peak < 4 * 1024 * 1024, f"{peak} octets allocated for 100 KB received"
    assert held < 256 * 1024, f"{held} octets still held after the call"
    assert not endpoint.connected and endpoint.last_drop_reason == "a call timed out with a reply half received"
