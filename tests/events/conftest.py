"""Fixtures of the event tests: the EventServer test peer (tests/servers/event_server.py), with and
without a database, and short keep-alive settings so reconnection tests take seconds, not minutes.

The servers are started with the infra helpers of tests/peers.py; a server that cannot start
skips the test locally and fails it under CI=true (``peer_unavailable``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import os

import pytest

import peers as _peers
from peers import Peer, PeerStartError

EVENT_SERVER = Path(__file__).resolve().parents[1] / "servers" / "event_server.py"


def peer_unavailable(reason: str) -> None:
    """Skip locally, fail under CI (same rule as tests/conftest.py)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"peer unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"peer unavailable: {reason}")


def _start_event_server(log_dir: Path, **kwargs) -> Peer:
    try:
        return _peers.start_pytango_server(EVENT_SERVER, kwargs.pop("instance", "ev"), device_class="EventDevice",
                                           log_dir=log_dir, **kwargs)
    except PeerStartError as exc:
        peer_unavailable(str(exc))
        raise


def drop_all_subscriptions() -> None:
    """Unsubscribe whatever the process-wide consumer still serves (through the owning proxies,
    as a user would), so that the consumer and its threads stop."""
    import sys
    mod = sys.modules.get("tango_core.events.consumer")
    consumer = mod._consumer if mod is not None else None
    if consumer is None:
        return
    from tango_core.events import api
    for sub in list(consumer.subs.values()):
        try:
            api.unsubscribe_event(sub.proxy, sub.id)
        except KeyError:                  # its proxy already gave it up
            consumer.remove(sub)
    mod.release_if_idle(consumer)


@pytest.fixture(autouse=True)
def no_subscription_outlives_its_test() -> Iterator[None]:
    """Every event test starts without subscriptions (some assert that the consumer stops) and
    leaves none behind, even when it fails half-way (a failed test must not fail the next ones)."""
    drop_all_subscriptions()
    yield
    drop_all_subscriptions()


@pytest.fixture(scope="module")
def event_nodb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    """EventServer in no-DB mode, device ``test/ev/1``."""
    peer = _start_event_server(tmp_path_factory.mktemp("evlogs"), nodb=True, device_names=["test/ev/1"])
    yield peer
    peer.stop()


def unregister_server(tango_host: str, server: str) -> None:
    """Remove a server and its devices from the session database (it is shared with other tests)."""
    import tango  # test peer tooling, like peers.register_server
    host, port = tango_host.rsplit(":", 1)
    try:
        tango.Database(host, int(port)).delete_server(server)
    except tango.DevFailed:
        pass


@pytest.fixture
def db_cleanup(tango_host: str) -> Iterator[Callable[[str], None]]:
    """``db_cleanup("exec/instance")``: unregister that server when the test ends."""
    servers: list[str] = []
    yield servers.append
    for server in servers:
        unregister_server(tango_host, server)


@pytest.fixture(scope="module")
def event_db(tango_host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    """EventServer registered in the session database as event_server/ev, device ``test/evdb/1``."""
    peer = _start_event_server(tmp_path_factory.mktemp("evlogs"), tango_host=tango_host,
                               device_names=["test/evdb/1"])
    yield peer
    peer.stop()
    unregister_server(tango_host, "event_server/ev")


@pytest.fixture
def fast_keepalive() -> Iterator[None]:
    """Keep-alive checks every 0.5 s (heartbeat timeout stays Tango's 10 s: servers beat every 9 s)."""
    from tango_core.events import configure, settings
    saved = dict(vars(settings.config))
    configure(keepalive_period=0.5)
    yield
    configure(**saved)


class Collector:
    """A push_event callback object that records events and lets tests wait for them."""

    def __init__(self) -> None:
        self.events: list = []
        self.threads: set[str] = set()
        self._cond = threading.Condition()

    def push_event(self, ev) -> None:
        with self._cond:
            self.events.append(ev)
            self.threads.add(threading.current_thread().name)
            self._cond.notify_all()

    def wait_for(self, pred: Callable[[list], bool], timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; got {len(self.events)} events: "
                                         f"{[_brief(e) for e in self.events[-10:]]}")
                self._cond.wait(left)
            return list(self.events)

    def wait_count(self, n: int, timeout: float = 10.0) -> list:
        return self.wait_for(lambda evs: len(evs) >= n, timeout)

    def values(self) -> list:
        return [e.attr_value.value for e in self.events if not e.err and e.attr_value is not None]


def _brief(e) -> str:
    if e.err:
        return f"<{e.event} ERR {e.errors[0].reason}>"
    v = getattr(e, "attr_value", None)
    return f"<{e.event} {e.event_reason!s} {getattr(v, 'value', None)!r}>"


@pytest.fixture
def collector() -> Collector:
    return Collector()
