"""The asyncio driver (tango_core/transport/asyncio.py) against real peers and hostile sockets.

What it promises: many calls multiplexed on one TCP connection per endpoint and loop, replies
matched by request id, timeouts on the loop's clock, a timed-out or cancelled call leaves the
connection usable (its late reply is dropped), broken peers and killed servers give clear
transport errors at once, and call plans run on it exactly as on the blocking driver.
"""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import Future

import pytest

from hostile_peers import (BROKEN_ANSWERS, HangUpInTheMiddleOfAReply, LoopbackServer, ScriptedServer, SilentServer,
                           StalledListener, refused_port)
from tango_core.client.device_proxy import DeviceProxy
from tango_core.idl.enums import CmdArgType, DevSource, DevState
from tango_core.idl.operations import OPERATIONS
from tango_core.transport.asyncio import AsyncEndpoint, get_endpoint, start_plan
from tango_core.transport.calls import Invoke, Target, Wait, run_blocking
from tango_core.transport.errors import CallTimeout, ConnectFailed, ConnectionLost, SystemExceptionReply
from tango_core.wire.connection import NEED_DATA, GIOPConnection, Role

CMD2 = OPERATIONS["command_inout_2"]
STATE = OPERATIONS["_get_state"]
NON_EXISTENT = OPERATIONS["_non_existent"]


def _target(name: str):
    """Where a device lives (found with the blocking client)."""
    dev = DeviceProxy(name)
    dev._connect_if_needed()
    return dev._ref.primary


def _command(ep: AsyncEndpoint, target, name: str, argtype: CmdArgType, value, timeout: float = 3.0):
    return ep.invoke(target.object_key, CMD2.name, CMD2.args_writer(name, (argtype, value), DevSource.DEV),
                     CMD2.read_result, timeout, target.version)


def test_a_thousand_concurrent_calls_share_one_connection_and_get_their_own_replies(tango_host):
    target = _target("sys/tg_test/1")

    async def main():
        ep = get_endpoint(target.host, target.port)
        results = await asyncio.gather(*(_command(ep, target, "DevLong", CmdArgType.DevLong, i)
                                         for i in range(1000)))
        return ep.connects, results

    connects, results = asyncio.run(main())
    assert connects == 1
    assert [value for _type, value in results] == list(range(1000))  # matched by request id


def test_unknown_object_key_is_a_system_exception(tango_host):
    host, port = tango_host.split(":")

    async def main():
        ep = get_endpoint(host, int(port))
        with pytest.raises(SystemExceptionReply) as ei:
            await ep.invoke(b"no-such-object", NON_EXISTENT.name, None, NON_EXISTENT.read_result, 3.0)
        assert ei.value.name == "OBJECT_NOT_EXIST"
        # GIOP 1.0 (corbaloc, as the Database is reached) and 1.2 on the same connection
        assert await ep.invoke(b"database", "_get_name", None, OPERATIONS["_get_name"].read_result, 3.0,
                               (1, 0)) == "sys/database/2"
        assert await ep.invoke(b"database", "_get_name", None, OPERATIONS["_get_name"].read_result, 3.0,
                               (1, 2)) == "sys/database/2"
        assert ep.connects == 1

    asyncio.run(main())


def test_refused_port_fails_at_once():
    async def main():
        ep = AsyncEndpoint("127.0.0.1", refused_port(), connect_timeout=5.0)
        t0 = time.monotonic()
        with pytest.raises(ConnectFailed) as ei:
            await ep.invoke(b"database", NON_EXISTENT.name, None, NON_EXISTENT.read_result, 5.0, (1, 0))
        assert time.monotonic() - t0 < 0.5
        assert "refused" in ei.value.reason

    asyncio.run(main())


def test_silent_server_times_out_on_the_loop_clock_and_the_connection_stays():
    server = SilentServer()

    async def main():
        ep = AsyncEndpoint("127.0.0.1", server.port)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(CallTimeout):
            await ep.invoke(b"database", NON_EXISTENT.name, None, NON_EXISTENT.read_result, 0.4, (1, 0))
        assert 0.39 <= loop.time() - t0 < 1.0
        assert server.received > 0 and ep.connected
        with pytest.raises(CallTimeout):
            await ep.invoke(b"database", NON_EXISTENT.name, None, NON_EXISTENT.read_result, 0.2, (1, 0))
        assert ep.connects == 1
        ep.close()

    try:
        asyncio.run(main())
    finally:
        server.close()


@pytest.mark.parametrize("how", ["timeout", "cancel"])
def test_a_call_given_up_leaves_the_connection_usable_and_its_late_reply_is_dropped(nodb_server, how):
    target = _target(nodb_server.device)

    async def main():
        ep = AsyncEndpoint(target.host, target.port)
        assert (await _command(ep, target, "EchoDouble", CmdArgType.DevDouble, 1.5))[1] == 1.5
        t0 = time.monotonic()
        if how == "timeout":
            with pytest.raises(CallTimeout):
                await _command(ep, target, "Sleep", CmdArgType.DevDouble, 0.6, timeout=0.2)
        else:
            task = asyncio.ensure_future(_command(ep, target, "Sleep", CmdArgType.DevDouble, 0.6))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert time.monotonic() - t0 < 0.5
        # the server still sleeps; this call is answered after it, on the same connection
        assert (await _command(ep, target, "EchoDouble", CmdArgType.DevDouble, 2.5))[1] == 2.5
        # the given-up call's reply comes and is dropped: usually before the echo's, but the
        # server's threads may run the echo first when the Sleep request waits for a thread
        deadline = time.monotonic() + 5.0
        while ep.dropped_replies < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert ep.connects == 1 and ep.dropped_replies == 1
        ep.close()

    asyncio.run(main())


@pytest.mark.parametrize("answer, why", BROKEN_ANSWERS)
def test_broken_peer_fails_the_call_with_a_clear_error(answer, why):
    server = ScriptedServer(answer)

    async def main():
        ep = AsyncEndpoint("127.0.0.1", server.port)
        t0 = time.monotonic()
        with pytest.raises(ConnectionLost) as ei:
            await ep.invoke(b"database", NON_EXISTENT.name, None, NON_EXISTENT.read_result, 3.0)
        assert time.monotonic() - t0 < 1.0
        assert why in ei.value.reason
        assert not ep.connected

    try:
        asyncio.run(main())
    finally:
        server.close()


def test_connect_timeout_from_tango_connect_timeout_env(monkeypatch):
    monkeypatch.setenv("TANGOconnectTimeout", "300")
    listener = StalledListener()

    async def main():
        ep = AsyncEndpoint("127.0.0.1", listener.port)
        t0 = time.monotonic()
        with pytest.raises(ConnectFailed) as ei:
            await ep.invoke(b"database", NON_EXISTENT.name, None, NON_EXISTENT.read_result, 5.0)
        assert 0.25 <= time.monotonic() - t0 < 1.0
        assert ei.value.timed_out

    try:
        asyncio.run(main())
    finally:
        listener.close()


def test_server_killed_in_the_middle_of_a_gathered_batch(peer_factory):
    server = peer_factory.pytango_server("TestServer", "asynckill", nodb=True, device_names=["test/akill/1"])
    target = _target(server.device)

    async def main():
        ep = AsyncEndpoint(target.host, target.port)
        assert (await _command(ep, target, "EchoDouble", CmdArgType.DevDouble, 1.0))[1] == 1.0
        batch = [_command(ep, target, "Sleep", CmdArgType.DevDouble, 0.05) for _ in range(20)]
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, server.kill)
        t0 = time.monotonic()
        outcomes = await asyncio.gather(*batch, return_exceptions=True)
        elapsed = time.monotonic() - t0
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        assert failed, "the server was killed before the batch ended"
        assert all(isinstance(o, (ConnectionLost, ConnectFailed)) for o in failed), failed
        assert elapsed < 2.0  # the failures came with the kill, not with the 3 s timeouts
        await loop.run_in_executor(None, server.restart)
        assert (await _command(ep, target, "EchoDouble", CmdArgType.DevDouble, 3.0))[1] == 3.0
        assert ep.connected  # reconnected by itself (after one refused attempt to re-send the batch)

    asyncio.run(main())


# -- call plans ---------------------------------------------------------------------------------------


def _plan_two_calls_and_a_wait(target, shared: Future, log: list):
    try:
        first = yield Invoke(target, STATE.name, None, STATE.read_result, 3.0)
        log.append(first)
        extra = yield Wait(shared, 2.0)
        second = yield Invoke(target, CMD2.name,
                              CMD2.args_writer("DevLong", (CmdArgType.DevLong, extra), DevSource.DEV),
                              CMD2.read_result, 3.0)
        return first, second[1]
    finally:
        log.append("closed")


def test_one_plan_gives_the_same_answer_on_both_drivers(tango_host):
    target = _target("sys/tg_test/1")
    shared: Future = Future()
    shared.set_result(41)
    log_sync: list = []
    sync_result = run_blocking(_plan_two_calls_and_a_wait(target, shared, log_sync))

    async def main():
        log: list = []
        return await start_plan(_plan_two_calls_and_a_wait(target, shared, log)), log

    async_result, log_async = asyncio.run(main())
    assert sync_result == async_result == (DevState.RUNNING, 41)
    assert log_sync == log_async == [DevState.RUNNING, "closed"]


def test_plan_errors_are_raised_where_the_plan_waits(tango_host):
    host, port = tango_host.split(":")

    def plan():
        try:
            yield Invoke(Target(host, int(port), b"no-such-object"), NON_EXISTENT.name, None,
                         NON_EXISTENT.read_result, 3.0)
        except SystemExceptionReply as exc:
            return f"caught {exc.name}"

    async def main():
        return await start_plan(plan())

    assert run_blocking(plan()) == asyncio.run(main()) == "caught OBJECT_NOT_EXIST"


def test_a_cancelled_plan_is_closed_when_its_reply_comes_and_the_connection_stays(nodb_server):
    target = _target(nodb_server.device)
    log: list = []

    def plan():
        try:
            yield Invoke(target, CMD2.name, CMD2.args_writer("Sleep", (CmdArgType.DevDouble, 0.5), DevSource.DEV),
                         CMD2.read_result, 3.0)
            log.append("resumed")
        finally:
            log.append("closed")

    async def main():
        future = start_plan(plan())
        await asyncio.sleep(0.1)
        future.cancel()
        await asyncio.sleep(0.7)  # the late reply arrives: the plan is closed, not resumed
        ep = get_endpoint(target.host, target.port)
        echoed = await ep.invoke(target.object_key, CMD2.name,
                                 CMD2.args_writer("EchoDouble", (CmdArgType.DevDouble, 4.5), DevSource.DEV),
                                 CMD2.read_result, 3.0, target.version)
        return echoed[1], ep.connects, future.cancelled()

    echoed, connects, cancelled = asyncio.run(main())
    assert log == ["closed"]
    assert (echoed, connects, cancelled) == (4.5, 1, True)


def test_a_wait_step_times_out(tango_host):
    def plan():
        try:
            yield Wait(Future(), 0.2)
        except TimeoutError:
            return "timed out"

    async def main():
        return await start_plan(plan())

    assert run_blocking(plan()) == asyncio.run(main()) == "timed out"


def test_peer_close_connection_is_noticed_at_once_and_the_next_call_reconnects(peer_factory):
    """omniORB closes idle connections with CloseConnection (after 180 s by default; 1-2 s here)."""
    db, tt = peer_factory.tango_system()
    tt.env.update(ORBinConScanPeriod="1", ORBscanGranularity="1")
    tt.restart()
    target = _target(f"tango://{db.tango_host}/sys/tg_test/1")

    async def main():
        ep = AsyncEndpoint(target.host, target.port)
        assert (await _command(ep, target, "DevLong", CmdArgType.DevLong, 1))[1] == 1
        deadline = time.monotonic() + 10
        while ep.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not ep.connected, "the server never closed the idle connection"
        assert ep.last_drop_reason == "peer sent CloseConnection"
        assert (await _command(ep, target, "DevLong", CmdArgType.DevLong, 5))[1] == 5
        assert ep.connects == 2

    asyncio.run(main())


class _SlicedReplyServer(LoopbackServer):
    """Answers the first two requests of a connection: the first with a big octet sequence
    written in slices with pauses between them (as a server whose socket buffer fills), the
    second right behind it in the same write; or hangs up in the middle of the big reply."""

    def __init__(self, big: bytes, hang_up_after: int | None = None) -> None:
        self.big, self.hang_up_after = big, hang_up_after
        super().__init__(backlog=1)

    def handle(self, conn: socket.socket) -> None:
        self.sock.close()  # one connection: a re-sent request finds nobody
        with conn:
            giop = GIOPConnection(Role.SERVER)
            requests = []
            while len(requests) < 2:
                giop.receive_data(conn.recv(65536))
                while (event := giop.next_event()) is not NEED_DATA:
                    requests.append(event)
            big = giop.send_reply(requests[0], write_body=lambda w: w.write_octet_seq(self.big))
            small = giop.send_reply(requests[1], write_body=lambda w: w.write_octet_seq(b"small"))
            end = len(big) if self.hang_up_after is None else self.hang_up_after
            for start in range(0, end, 200_000):
                conn.sendall(big[start:min(start + 200_000, end)])
                time.sleep(0.005)
            if self.hang_up_after is None:
                conn.sendall(small)
                time.sleep(0.5)


def _octets(ep: AsyncEndpoint):
    return ep.invoke(b"key", "big", None, lambda r: r.read_octet_seq(), 5.0)


def test_a_big_reply_arriving_in_slices_and_the_reply_behind_it_are_both_whole():
    """A big reply (an image) is received in the slices the server's socket lets through; the
    driver reads them as they come and the next reply, arriving right behind, stays separate."""
    big = bytes(range(256)) * 12_000  # ~3 MB, a pattern in which a lost or doubled slice shows
    server = _SlicedReplyServer(big)

    async def main():
        ep = AsyncEndpoint("127.0.0.1", server.port)
        return await asyncio.gather(_octets(ep), _octets(ep))

    try:
        first, second = asyncio.run(main())
    finally:
        server.close()
    assert bytes(first) == big
    assert bytes(second) == b"small"


def test_a_server_hanging_up_in_the_middle_of_a_big_reply_fails_both_calls_at_once():
    """The end of the stream in the middle of a big reply is seen as such, not waited out."""
    server = _SlicedReplyServer(bytes(3_000_000), hang_up_after=1_000_000)

    async def main():
        ep = AsyncEndpoint("127.0.0.1", server.port)
        t0 = time.monotonic()
        outcomes = await asyncio.gather(_octets(ep), _octets(ep), return_exceptions=True)
        return outcomes, time.monotonic() - t0, ep.last_drop_reason

    try:
        outcomes, took, drop_reason = asyncio.run(main())
    finally:
        server.close()
    assert took < 3.0
    for outcome in outcomes:  # (the half-answered one at once; the other re-sent, to nobody)
        assert isinstance(outcome, ConnectionLost), outcome
    assert "in the middle of a message" in drop_reason


def test_a_request_whose_reply_was_cut_is_not_sent_again_the_others_are():
    """As on the blocking driver: the half-answered call fails, the other one is sent again."""
    server = HangUpInTheMiddleOfAReply()

    async def main():
        ep = AsyncEndpoint("127.0.0.1", server.port)
        calls = [ep.invoke(b"key", op, None, lambda r: r.read_octet_seq(), 5.0) for op in ("op_a", "op_b")]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        ep.close()
        return dict(zip(("op_a", "op_b"), outcomes))

    try:
        outcomes = asyncio.run(main())
    finally:
        server.close()
    failed = [op for op, out in outcomes.items() if isinstance(out, ConnectionLost)]
    answered = [op for op, out in outcomes.items() if not isinstance(out, BaseException) and bytes(out) == b"again"]
    assert len(failed) == 1 and len(answered) == 1, outcomes
    assert server.operations_again == answered
