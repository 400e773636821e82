"""Shared pytest fixtures: real Tango peers (see tests/peers.py) and suite-wide settings.

Peer fixtures (session scope unless noted; each peer is started once, on demand):

* ``tango_host``      "127.0.0.1:PORT" of PyTango's DB server + Debian TangoTest; also sets
                      os.environ["TANGO_HOST"] for the rest of the session.
* ``tango_db``        the PyTango database Peer itself (``.port``, ``.tango_host``, ``.restart()``).
* ``tangotest``       the TangoTest Peer of that system (``.restart()`` works mid-test).
* ``cpp_tango_host``  "127.0.0.1:PORT" of Debian's C++ DataBaseds on MariaDB + its own TangoTest
                      (does NOT touch os.environ); ``cpp_database`` / ``cpp_tangotest`` are the Peers.
* ``nodb_server``     TestServer (tests/servers/TestServer.py, class TestDevice) in no-DB mode;
                      ``.devices == ["tango://127.0.0.1:P/test/nodb/1#dbase=no", ".../test/nodb/2#dbase=no"]``,
                      ``.device`` is the first, ``.admin_device`` its dserver.
* ``core_nodb_server`` the same TestServer file run on tango_core's server (tests/servers/on_tango_core.py),
                      no-DB, same device names; ``.devices`` / ``.admin_device`` as ``nodb_server``.
* ``db_server``       the same class registered in ``tango_host`` as TestServer/test, devices
                      test/dev/1 and test/dev/2 (``.devices`` full names, ``.short_names``).
* ``peer_factory``    (function scope) private peers (``.tango_system()``, ``.pytango_server(...)``,
                      ``.cpp_database()`` ...), SIGKILLed when the test ends.

Tests using any of these get the ``peers`` marker (``-m "not peers"`` starts no process); a
conftest with its own peer-starting fixture registers it in ``peers.PEER_FIXTURES``.

Session servers are shared by all tests: do not rely on the initial value of a writable attribute
(TestDevice's ``Init`` command restores them all), and leave polling/event set-up as you found it
when another test could mind.

After each test, session peers are restored: restarted if the test stopped or killed one, and
moved back to their port if it restarted one elsewhere.  If a peer cannot start, the test is
skipped with the reason, but under CI=true it fails.  When a test fails, what each peer logged
during it is attached to the report.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import peers as _peers
from peers import Peer, PeerStartError, peer_unavailable

# A suite started from a non-interactive shell in the background (`cmd &`, nohup, some CI
# runners) inherits SIGINT ignored, and Python then leaves it ignored: the Ctrl-C tests (in this
# process and in the shells they spawn, which inherit an ignored signal across exec) would test
# nothing.  Give the run what a terminal gives it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

collect_ignore = ["servers"]  # device-server modules, not tests

IN_CI = os.environ.get("CI") == "true"

# Qt front-end tests run headless; a developer's own setting wins.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


try:  # a 2-core CI machine is noisy: no per-example deadlines, keep the rest of Hypothesis strict
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("itango", deadline=None, print_blob=True)
    _hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "itango"))
except ImportError:  # pragma: no cover
    pass


def _start(start: Callable[..., Peer], *args: Any, **kwargs: Any) -> Peer:
    try:
        return start(*args, **kwargs)
    except PeerStartError as exc:
        peer_unavailable(str(exc))
        raise  # unreachable: peer_unavailable always raises


#: session peers with the port they must keep for the whole session
_SESSION_PEERS: list[tuple[Peer, int | None]] = []


def _session_peer(peer: Peer) -> Peer:
    _SESSION_PEERS.append((peer, peer.port))
    return peer


@pytest.fixture(scope="session")
def peer_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every peer of this session writes its log (kept after the run by pytest)."""
    return tmp_path_factory.mktemp("peer-logs")


# ---- PyTango database + TangoTest ------------------------------------------------------------


@pytest.fixture(scope="session")
def tango_db(peer_log_dir: Path) -> Iterator[Peer]:
    db = _session_peer(_start(_peers.start_pytango_database, log_dir=peer_log_dir))
    yield db
    db.stop()


@pytest.fixture(scope="session")
def tangotest(tango_db: Peer, peer_log_dir: Path) -> Iterator[Peer]:
    assert tango_db.tango_host
    peer = _session_peer(_start(_peers.start_tangotest, tango_db.tango_host, log_dir=peer_log_dir))
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def tango_host(tango_db: Peer, tangotest: Peer) -> Iterator[str]:
    host = tango_db.tango_host
    assert host
    saved = os.environ.get("TANGO_HOST")
    os.environ["TANGO_HOST"] = host
    yield host
    if saved is None:
        os.environ.pop("TANGO_HOST", None)
    else:
        os.environ["TANGO_HOST"] = saved


# ---- C++ database on MariaDB + its TangoTest ----------------------------------------------------


@pytest.fixture(scope="session")
def cpp_database(peer_log_dir: Path) -> Iterator[Peer]:
    db = _session_peer(_start(_peers.start_cpp_database, log_dir=peer_log_dir / "cpp"))
    yield db
    db.stop()


@pytest.fixture(scope="session")
def cpp_tangotest(cpp_database: Peer, peer_log_dir: Path) -> Iterator[Peer]:
    assert cpp_database.tango_host
    peer = _session_peer(_start(_peers.start_tangotest, cpp_database.tango_host,
                                log_dir=peer_log_dir / "cpp"))
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def cpp_tango_host(cpp_database: Peer, cpp_tangotest: Peer) -> str:
    assert cpp_database.tango_host
    return cpp_database.tango_host


# ---- PyTango device servers --------------------------------------------------------------------


@pytest.fixture(scope="session")
def nodb_server(peer_log_dir: Path) -> Iterator[Peer]:
    peer = _session_peer(_start(_peers.start_pytango_server, "TestServer", "nodb", nodb=True,
                                device_names=["test/nodb/1", "test/nodb/2"], log_dir=peer_log_dir))
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def core_nodb_server(peer_log_dir: Path) -> Iterator[Peer]:
    """The same TestServer file served by tango_core's server instead of PyTango's (no database)."""
    peer = _session_peer(_start(_peers.start_pytango_server, "TestServer", "corenodb", nodb=True,
                                device_names=["test/nodb/1", "test/nodb/2"], log_dir=peer_log_dir,
                                on_tango_core=True))
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def db_server(tango_host: str, peer_log_dir: Path) -> Iterator[Peer]:
    peer = _session_peer(_start(_peers.start_pytango_server, "TestServer", "test",
                                tango_host=tango_host, device_names=["test/dev/1", "test/dev/2"],
                                log_dir=peer_log_dir))
    yield peer
    peer.stop()


class PeerFactory:
    """Starts private peers for one test (same functions as tests/peers.py, minus ``log_dir``);
    every peer it started is stopped when the test ends."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[Peer] = []

    def _run(self, start: Callable[..., Peer], *args: Any, **kwargs: Any) -> Peer:
        kwargs.setdefault("log_dir", self.log_dir)
        peer = _start(start, *args, **kwargs)
        self.started.append(peer)
        return peer

    def pytango_database(self, port: int | None = None) -> Peer:
        return self._run(_peers.start_pytango_database, port)

    def tangotest(self, tango_host: str, instance: str = "test", **kwargs: Any) -> Peer:
        return self._run(_peers.start_tangotest, tango_host, instance, **kwargs)

    def cpp_database(self, port: int | None = None) -> Peer:
        return self._run(_peers.start_cpp_database, port)

    def pytango_server(self, module_or_path: str | Path, instance: str, **kwargs: Any) -> Peer:
        return self._run(_peers.start_pytango_server, module_or_path, instance, **kwargs)

    def story_on_both(self, module_or_path: str | Path, instance: str, device_class: str,
                      story: Callable[[Peer], Any], **kwargs: Any) -> dict[str, Any]:
        """``story(peer)`` for the same ``tango.server`` file served without a database by PyTango,
        then by tango_core, one at a time (each stopped after its story): ``{"pytango": ...,
        "tango_core": ...}``, for a test that compares them."""
        seen = {}
        for impl in ("pytango", "tango_core"):
            peer = self.pytango_server(module_or_path, instance, nodb=True, device_class=device_class,
                                       on_tango_core=impl == "tango_core", **kwargs)
            seen[impl] = story(peer)
            peer.stop()
        return seen

    def tango_system(self) -> tuple[Peer, Peer]:
        """A private PyTango database with its own TangoTest: (database, tangotest)."""
        db = self.pytango_database()
        assert db.tango_host
        return db, self.tangotest(db.tango_host)

    def stop_all(self) -> None:
        """Stop every peer cleanly (servers unexport themselves), newest first."""
        for peer in reversed(self.started):
            peer.stop()

    def discard_all(self) -> None:
        """SIGKILL every peer and its companions: nobody looks at a private system after its test,
        and a clean TangoTest shutdown alone takes ~2 s."""
        for peer in reversed(self.started):
            peer.kill(companions=True)


@pytest.fixture
def peer_factory(tmp_path: Path) -> Iterator[PeerFactory]:
    factory = PeerFactory(tmp_path / "peer-logs")
    yield factory
    factory.discard_all()


# ---- suite-wide hooks --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _revive_session_peers() -> Iterator[None]:
    """After each test, put session peers back as the session started them: restart any the test
    stopped or crashed, and move back any it restarted on another port (databases first).
    Other tests may hold proxies to them; prefer ``peer_factory`` for peers a test mutates."""
    yield
    for peer, port in _SESSION_PEERS:
        try:
            if peer.port != port:
                peer.restart(port=port)
            elif not peer.is_running():
                peer.restart()
        except PeerStartError as exc:
            pytest.fail(f"could not restore {peer.name} after the test: {exc}", pytrace=False)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say up front which real peers this machine can run (a CI log then explains its skips/fails)."""
    def have(path: Path) -> str:
        return "yes" if path.exists() else "MISSING"

    try:
        from importlib.metadata import version

        pytango = version("pytango")
    except Exception:  # noqa: BLE001 - any failure means "not installed"
        pytango = "MISSING"
    return [f"tango peers: TangoTest {have(_peers.TANGOTEST_BIN)}, DataBaseds {have(_peers.CPP_DATABASEDS_BIN)}, "
            f"mariadbd {have(_peers.MARIADBD_BIN)}, pytango {pytango}; CI={'true' if IN_CI else 'no'} "
            f"(missing peers {'FAIL' if IN_CI else 'skip'} their tests)"]


def _requests_peers_dynamically(path: Path, cache: dict[Path, bool]) -> bool:
    """True if a test module asks for a peer fixture by name (``request.getfixturevalue("tango_host")``),
    which no fixture closure shows at collection time."""
    if path not in cache:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = ""
        cache[path] = "getfixturevalue" in text and any(
            f'"{name}"' in text or f"'{name}'" in text for name in _peers.PEER_FIXTURES)
    return cache[path]


def _pytango_transport_faults() -> list[type[BaseException]]:
    """PyTango's own client exceptions for a call that timed out or could not connect.  On a busy
    2-core machine PyTango's and cppTango's processes (a peer server, PyTango's DeviceTestContext
    child, PyTango's client in this process) sometimes miss a 3-5 s deadline; tango_core's own
    exceptions are other classes and never match."""
    try:
        import tango
    except ImportError:
        return []
    return [tango.CommunicationFailed, tango.ConnectionFailed]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses a peer, so ``-m "not peers"`` starts no process.  Where
    pytest-rerunfailures is installed, a peer test that failed on a PyTango transport fault runs
    once more (the summary counts it as "rerun"); any other failure fails at once."""
    dynamic: dict[Path, bool] = {}
    faults = _pytango_transport_faults() if config.pluginmanager.hasplugin("rerunfailures") else []
    for item in items:
        if (_peers.PEER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
                or _requests_peers_dynamically(Path(item.path), dynamic)):
            item.add_marker(pytest.mark.peers)
            if faults:
                item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=1, only_rerun=faults))


_LOG_OFFSETS_KEY = pytest.StashKey[dict]()
_LOG_EXCERPT_CHARS = 6000


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_LOG_OFFSETS_KEY] = {id(p): _log_size(p) for p in _peers.all_peers()}


def _log_size(peer: Peer) -> int:
    try:
        return peer.log_path.stat().st_size
    except OSError:
        return 0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if report.failed:
        offsets = item.stash.get(_LOG_OFFSETS_KEY, {})
        for peer in _peers.all_peers():
            start = offsets.get(id(peer), 0)
            if _log_size(peer) <= start:
                continue
            with open(peer.log_path, "rb") as f:
                f.seek(start)
                text = f.read().decode(errors="replace")
            if len(text) > _LOG_EXCERPT_CHARS:
                text = "...\n" + text[-_LOG_EXCERPT_CHARS:]
            report.sections.append((f"peer log {peer.name} ({peer.log_path}), during {report.when}", text))
    return report


# ---- a finished run exits at once ---------------------------------------------------------------

_LEAKED_THREAD_GRACE = 5.0
_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Once the summary is written, leave with pytest's exit status without interpreter teardown.

    Teardown is where whole runs used to stall after "N passed": every IPython shell a test
    created runs ``gc.collect()`` from its atexit hook (a minute for the shell tests), and Python
    waits forever for any leaked non-daemon thread (a server blocked in accept()).  Leaked
    threads get a few seconds to end, then are reported with their stacks and fail the run.
    Set ITANGO_TESTS_SLOW_EXIT=1 to keep the normal interpreter teardown.
    """
    import time

    if not _EXIT_STATUS or os.environ.get("ITANGO_TESTS_SLOW_EXIT") == "1":
        return
    status = _EXIT_STATUS[-1]
    deadline = time.monotonic() + _LEAKED_THREAD_GRACE
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    leaked = [t for t in threading.enumerate()
              if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if leaked:
        frames = sys._current_frames()
        lines = [f"\nERROR: {len(leaked)} non-daemon thread(s) still running after the tests; they "
                 "would hang the interpreter at exit (make them daemon threads or stop them):"]
        for thread in leaked:
            lines.append(f"--- thread {thread.name!r} (ident {thread.ident})")
            frame = frames.get(thread.ident or -1)
            if frame is not None:
                lines.extend(line.rstrip() for line in traceback.format_stack(frame))
        sys.stderr.write("\n".join(lines) + "\n")
        status = status or 1
    _peers.stop_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
