"""Real Tango peers for the tests: databases, TangoTest and PyTango device servers on loopback.

Tests assert behaviour against real software, never mocks of the protocol, so the suite needs
the same processes a user's control system runs.  This module starts them as child processes
and owns their whole life:

* every peer listens on 127.0.0.1 only, on a free port chosen here (so a restart can reuse it);
* readiness is POLLED with PyTango's own client (a test peer, allowed in tests only), with a
  deadline, never with fixed sleeps; a peer that dies or never gets ready raises
  ``PeerStartError`` carrying the tail of its log;
* every process is stopped by its own PID (SIGTERM, then SIGKILL): by ``Peer.stop()``, by the
  fixtures' teardown, by an ``atexit`` hook, and, if pytest itself is killed, by the kernel
  (``setpriv --pdeathsig KILL``);
* each peer's stdout+stderr go to one log file that survives restarts (``Peer.log_text()``).

The functions here are plain Python so benchmarks and scripts can use them too; the pytest
fixtures built on them live in ``tests/conftest.py``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

TANGO_BIN_DIR = Path("/usr/lib/tango")  # Debian's tango-test / tango-db install here, not on PATH
TANGOTEST_BIN = TANGO_BIN_DIR / "TangoTest"
CPP_DATABASEDS_BIN = TANGO_BIN_DIR / "DataBaseds"
STARTER_BIN = TANGO_BIN_DIR / "Starter"
MARIADBD_BIN = Path("/usr/sbin/mariadbd")
TANGO_DB_SCHEMA = Path("/usr/share/dbconfig-common/data/tango-db/install/mysql")
SERVERS_DIR = Path(__file__).resolve().parent / "servers"

LOOPBACK = "127.0.0.1"
START_TIMEOUT = float(os.environ.get("TANGO_PEER_START_TIMEOUT", "60"))
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.1
#: Ready-check proxies get this CORBA timeout (ms) so a half-started peer cannot stall a poll.
PROBE_TIMEOUT_MS = 3000


#: Fixtures that start real peers: tests using them (directly, through other fixtures, or by name
#: via ``request.getfixturevalue``) get the ``peers`` marker.  A conftest defining its own peer
#: fixture adds its name here: ``peers.PEER_FIXTURES.add("event_nodb")``.
PEER_FIXTURES: set[str] = {"tango_host", "tango_db", "tangotest", "cpp_tango_host", "cpp_database",
                           "cpp_tangotest", "nodb_server", "db_server", "peer_factory", "core_nodb_server"}


class PeerStartError(RuntimeError):
    """A peer could not be started: missing binary/package, crash at start-up, or not ready in time."""


def peer_unavailable(reason: str) -> None:
    """Skip the current test locally, fail it under CI=true: a missing peer must never silently
    shrink the CI suite.  Use it when a PeerStartError reaches a fixture or test."""
    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"peer unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"peer unavailable: {reason}")


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    """An ephemeral loopback port that was free a moment ago (the peer binds it right after)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _tango():
    """Import PyTango lazily: only peers need it, and only tests may import it."""
    try:
        import tango
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PeerStartError(f"PyTango (the test peer) is not importable: {exc}") from exc
    return tango


def _require_file(path: Path, package: str) -> None:
    if not (path.exists() and os.access(path, os.X_OK)):
        raise PeerStartError(f"{path} not found (install the Debian package {package!r})")


def _require_program(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin")
    if not found:
        raise PeerStartError(f"{name} not found (install the Debian package {package!r})")
    return found


def _child_env(tango_host: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment with TANGO_HOST set to the peer's own database (or removed)."""
    env = dict(os.environ)
    env.pop("TANGO_HOST", None)
    if tango_host:
        env["TANGO_HOST"] = tango_host
    env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        env.update(extra)
    return env


def _wait_until(check: Callable[[], object], deadline: float, alive: Callable[[], bool],
                what: str) -> object:
    """Poll ``check`` until it returns without raising; stop early if the process died."""
    last: BaseException | None = None
    while True:
        if not alive():
            raise PeerStartError(f"{what} exited during start-up (last check error: {last!r})")
        try:
            return check()
        except Exception as exc:  # the peer is not ready yet: any error means "try again"
            last = exc
        if time.monotonic() > deadline:
            raise PeerStartError(f"{what} not ready after {START_TIMEOUT:.0f} s (last error: {last!r})")
        time.sleep(POLL_INTERVAL)


# ---------------------------------------------------------------------------------------------
# Peer: one child process with a log, a readiness check and a PID-based stop
# ---------------------------------------------------------------------------------------------

_LIVE: dict[int, "Peer"] = {}
_ALL: list["Peer"] = []
_REGISTRY_LOCK = threading.Lock()


class Peer:
    """One real Tango (or MariaDB) process.

    ``argv`` is re-used verbatim by :meth:`restart`, so a restarted server listens on the same
    port (``restart(new_port=True)`` picks a fresh one where that makes sense).  ``companions``
    are peers this one owns (its database, a MariaDB...): :meth:`stop` stops them too, after it.
    """

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str], log_path: Path,
                 ready: Callable[["Peer"], object], cwd: Path | None = None,
                 port: int | None = None, tango_host: str | None = None,
                 argv_for_port: Callable[[int], list[str]] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.log_path = Path(log_path)
        self.cwd = cwd
        self.port = port
        self.tango_host = tango_host
        self.devices: list[str] = []        # full device names served (servers only)
        self.short_names: list[str] = []    # domain/family/member names (servers only)
        self.admin_device: str | None = None
        self.companions: list[Peer] = []
        self._ready = ready
        self._argv_for_port = argv_for_port
        self._proc: subprocess.Popen | None = None
        self._starts = 0
        with _REGISTRY_LOCK:
            _ALL.append(self)

    # -- state --------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """PID of the running process (None before start / after stop)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def device(self) -> str:
        """The first (often only) full device name this server serves."""
        if not self.devices:
            raise AttributeError(f"{self.name} serves no devices")
        return self.devices[0]

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        """Everything this peer wrote, over all its starts (our own ``=== ...`` markers included)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.is_running() else "stopped"
        where = f" port={self.port}" if self.port else ""
        return f"<Peer {self.name} {state}{where}>"

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> "Peer":
        """Spawn the process and poll until it is ready; on failure stop it and raise PeerStartError."""
        if self.is_running():
            return self
        self._starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"=== start #{self._starts} at {time.strftime('%H:%M:%S')}: "
                      f"{' '.join(self.argv)}\n".encode())
            log.flush()
            try:
                self._proc = subprocess.Popen(
                    _with_parent_death_signal(self.argv), env=self.env, cwd=self.cwd,
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                )
            except OSError as exc:
                raise PeerStartError(f"cannot run {self.argv[0]}: {exc}") from exc
        with _REGISTRY_LOCK:
            _LIVE[self._proc.pid] = self
        deadline = time.monotonic() + START_TIMEOUT
        try:
            _wait_until(lambda: self._ready(self), deadline, self.is_running, self.name)
        except PeerStartError as exc:
            self._stop_process()
            raise PeerStartError(f"{exc}\n--- {self.log_path} (tail) ---\n{self.log_tail()}") from None
        return self

    def stop(self) -> None:
        """Stop this process by its PID (SIGTERM, SIGKILL after a grace period), then companions."""
        self._stop_process()
        for companion in reversed(self.companions):
            companion.stop()

    def restart(self, *, new_port: bool = False, port: int | None = None) -> "Peer":
        """Stop and start again with the same arguments: same port, unless ``new_port`` (a fresh
        free port, as after a real server move) or ``port`` (that one) is given."""
        self._stop_process()
        if new_port or port is not None:
            if self._argv_for_port is None:
                raise ValueError(f"{self.name} cannot change its port")
            self.port = port if port is not None else free_port()
            self.argv = self._argv_for_port(self.port)
        return self.start()

    def kill(self, *, companions: bool = False) -> None:
        """SIGKILL, no clean shutdown (a crash as clients see it); companions keep running unless
        ``companions`` (used to discard a whole private system quickly)."""
        if self.is_running():
            assert self._proc is not None
            self._proc.kill()
            self._proc.wait(STOP_TIMEOUT)
        self._forget()
        if companions:
            for companion in reversed(self.companions):
                companion.kill(companions=True)

    def _stop_process(self) -> None:
        if self._proc is None:
            return
        stop_process(self._proc)
        self._forget()

    def _forget(self) -> None:
        if self._proc is not None:
            with _REGISTRY_LOCK:
                _LIVE.pop(self._proc.pid, None)
        self._proc = None


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
    """Sends ``sig`` to a process still running (SIGTERM: stop cleanly) and waits up to ``timeout``
    seconds for it to end; kills it if it has not."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def _with_parent_death_signal(argv: list[str]) -> list[str]:
    """Make the kernel SIGKILL the child if pytest dies without cleaning up.

    KILL, not TERM: a Tango server that gets SIGTERM unexports itself from its database first,
    and when that database died with pytest too, TangoTest retries forever and never exits.
    The signal follows the *thread* that spawned the child, so only children spawned from the
    main thread get it (a peer restarted from a worker thread would otherwise die with it).
    """
    setpriv = shutil.which("setpriv")
    if setpriv and threading.current_thread() is threading.main_thread():
        return [setpriv, "--pdeathsig", "KILL", "--", *argv]
    return list(argv)


def live_peers() -> list[Peer]:
    """Peers whose process is running now."""
    with _REGISTRY_LOCK:
        return list(_LIVE.values())


def all_peers() -> list[Peer]:
    """Every peer created in this process (running or not), oldest first."""
    with _REGISTRY_LOCK:
        return list(_ALL)


def stop_all() -> None:
    """Stop every running peer, newest first (servers before their databases)."""
    for peer in reversed(live_peers()):
        peer.stop()


atexit.register(stop_all)


def _start_with_port_retry(make: Callable[[int], Peer], port: int | None, attempts: int = 3) -> Peer:
    """Start a peer on ``port`` or on a free port; retry with another port if that one was taken."""
    last: PeerStartError | None = None
    for _ in range(1 if port else attempts):
        peer = make(port or free_port())
        try:
            return peer.start()
        except PeerStartError as exc:
            last = exc
            if "in use" not in str(exc).lower():
                raise
    assert last is not None
    raise last


def _log_dir(log_dir: Path | str | None) -> Path:
    if log_dir is None:
        return Path(tempfile.mkdtemp(prefix="tango-peers-"))
    path = Path(log_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------------------------
# readiness checks (PyTango client, full names so TANGO_HOST of the test process is irrelevant)
# ---------------------------------------------------------------------------------------------


def _database_answers(port: int) -> None:
    tango = _tango()
    db = tango.Database(LOOPBACK, port)
    db.get_info()


def _devices_answer(names: Iterable[str]) -> None:
    tango = _tango()
    for name in names:
        proxy = tango.DeviceProxy(name)
        proxy.set_timeout_millis(PROBE_TIMEOUT_MS)
        proxy.ping()


def _tangotest_answers(name: str) -> None:
    tango = _tango()
    proxy = tango.DeviceProxy(name)
    proxy.set_timeout_millis(PROBE_TIMEOUT_MS)
    proxy.state()


# ---------------------------------------------------------------------------------------------
# PyTango's Python database server (sqlite)
# ---------------------------------------------------------------------------------------------


def start_pytango_database(port: int | None = None, *, log_dir: Path | str | None = None) -> Peer:
    """PyTango's DataBaseds (instance 2) on a fresh sqlite file, on 127.0.0.1:``port``.

    The fresh database already holds sys/database/2, sys/tg_test/1 (server TangoTest/test) and
    sys/access_control/1 (never started).  ``peer.tango_host`` is ``"127.0.0.1:PORT"``.
    """
    _tango()
    logs = _log_dir(log_dir)

    def make(p: int) -> Peer:
        sqlite_file = logs / f"pytango-db-{p}.sqlite"
        sqlite_file.unlink(missing_ok=True)
        host = f"{LOOPBACK}:{p}"
        argv = [sys.executable, "-m", "tango.databaseds.database", "--host", LOOPBACK,
                "--port", str(p), "2"]
        return Peer(f"pytango-database@{p}", argv, port=p, tango_host=host,
                    env=_child_env(host, {"PYTANGO_DATABASE_NAME": str(sqlite_file)}),
                    log_path=logs / f"pytango-database-{p}.log", cwd=logs,
                    ready=lambda peer: _database_answers(p))

    return _start_with_port_retry(make, port)


# ---------------------------------------------------------------------------------------------
# our database server (tango_core.databaseds, sqlite)
# ---------------------------------------------------------------------------------------------


def start_our_database(port: int | None = None, *, db_file: Path | str | None = None,
                       log_dir: Path | str | None = None, instance: str = "2") -> Peer:
    """tango_core's database server (``python -m tango_core.databaseds``) on 127.0.0.1:``port``,
    on ``db_file`` (default: a fresh file in the log directory).  Like PyTango's, a fresh file
    holds sys/database/2, sys/tg_test/1 (server TangoTest/test) and sys/access_control/1."""
    logs = _log_dir(log_dir)

    def make(p: int) -> Peer:
        path = Path(db_file) if db_file is not None else logs / f"our-db-{p}.sqlite"
        if db_file is None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        host = f"{LOOPBACK}:{p}"
        argv = [sys.executable, "-m", "tango_core.databaseds", instance, "--host", LOOPBACK, "--port", str(p),
                "--db-file", str(path)]
        peer = Peer(f"our-database@{p}", argv, port=p, tango_host=host, env=_child_env(host),
                    log_path=logs / f"our-database-{p}.log", cwd=logs, ready=lambda peer: _database_answers(p))
        peer.db_file = path
        return peer

    return _start_with_port_retry(make, port)


# ---------------------------------------------------------------------------------------------
# Debian's TangoTest (cppTango 9.3)
# ---------------------------------------------------------------------------------------------


def start_tangotest(tango_host: str, instance: str = "test", *, device: str = "sys/tg_test/1",
                    port: int | None = None, log_dir: Path | str | None = None) -> Peer:
    """TangoTest ``instance`` registered in ``tango_host``; ready when ``device`` answers state().

    ``peer.devices == ["tango://HOST:PORT/sys/tg_test/1"]``.  Its attributes are not polled
    unless a test configures polling (which then persists in that database).
    """
    _require_file(TANGOTEST_BIN, "tango-test")
    logs = _log_dir(log_dir)
    full_name = f"tango://{tango_host}/{device}"

    def argv_for(p: int) -> list[str]:
        return [str(TANGOTEST_BIN), instance, "-ORBendPoint", f"giop:tcp:{LOOPBACK}:{p}"]

    def make(p: int) -> Peer:
        peer = Peer(f"TangoTest/{instance}@{tango_host}", argv_for(p), port=p, tango_host=tango_host,
                    env=_child_env(tango_host), log_path=logs / f"tangotest-{instance}-{p}.log",
                    cwd=logs, ready=lambda peer: _tangotest_answers(full_name),
                    argv_for_port=argv_for)
        peer.devices = [full_name]
        peer.short_names = [device]
        peer.admin_device = f"tango://{tango_host}/dserver/TangoTest/{instance}"
        return peer

    return _start_with_port_retry(make, port)


# ---------------------------------------------------------------------------------------------
# Debian's Starter (cppTango 9.3): starts the device servers of its host
# ---------------------------------------------------------------------------------------------


def start_starter(tango_host: str, host: str, *, port: int | None = None,
                  log_dir: Path | str | None = None) -> Peer:
    """Debian's Starter, instance ``host`` (device ``tango/admin/<host>``), on ``tango_host``.

    The device must be registered first (server ``Starter/<host>``, with its ``StartDsPath``
    property); ready when it answers state().  The servers it starts are its children but run
    on after it stops: a test stops them itself (DevStop, or by their PID).
    """
    _require_file(STARTER_BIN, "tango-starter")
    logs = _log_dir(log_dir)
    full_name = f"tango://{tango_host}/tango/admin/{host}"

    def make(p: int) -> Peer:
        argv = [str(STARTER_BIN), host, "-ORBendPoint", f"giop:tcp:{LOOPBACK}:{p}"]
        peer = Peer(f"Starter/{host}@{tango_host}", argv, port=p, tango_host=tango_host,
                    env=_child_env(tango_host), log_path=logs / f"starter-{host}-{p}.log", cwd=logs,
                    ready=lambda peer: _tangotest_answers(full_name))
        peer.devices, peer.short_names = [full_name], [f"tango/admin/{host}"]
        peer.admin_device = f"tango://{tango_host}/dserver/starter/{host}"
        return peer

    return _start_with_port_retry(make, port)


# ---------------------------------------------------------------------------------------------
# Debian's C++ DataBaseds on a private MariaDB
# ---------------------------------------------------------------------------------------------

_MARIADB_USER = "tango"
_MARIADB_PASSWORD = "tangopw"
_MARIADB_DATABASE = "tango"


def _mariadb_client_argv(socket_path: Path) -> list[str]:
    return [_require_program("mariadb", "mariadb-client"), "--no-defaults",
            f"--socket={socket_path}", "-uroot"]


def _run_checked(argv: list[str], log: Path, *, stdin_path: Path | None = None, timeout: float = 120) -> None:
    with open(log, "ab") as out:
        out.write(f"=== {' '.join(argv)}\n".encode())
        out.flush()
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            result = subprocess.run(argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                                    timeout=timeout, check=False)
        finally:
            if stdin_path:
                stdin.close()
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise PeerStartError(f"{argv[0]} failed with exit code {result.returncode}\n{tail}")


def start_mariadb(*, log_dir: Path | str | None = None) -> Peer:
    """A private MariaDB server (fresh datadir) holding an empty ``tango`` schema from tango-db."""
    _require_file(MARIADBD_BIN, "mariadb-server")
    install_db = _require_program("mariadb-install-db", "mariadb-server")
    admin = _require_program("mariadb-admin", "mariadb-client")
    if not TANGO_DB_SCHEMA.exists():
        raise PeerStartError(f"{TANGO_DB_SCHEMA} not found (install the Debian package 'tango-db')")
    logs = _log_dir(log_dir)
    root = Path(tempfile.mkdtemp(prefix="mariadb-", dir=logs))
    datadir, sock = root / "data", root / "mysqld.sock"
    setup_log = root / "setup.log"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    _run_checked([install_db, "--no-defaults", *as_root, f"--datadir={datadir}",
                  "--auth-root-authentication-method=normal", "--skip-test-db"], setup_log)

    def make(p: int) -> Peer:
        argv = [str(MARIADBD_BIN), "--no-defaults", *as_root, f"--datadir={datadir}",
                f"--socket={sock}", f"--port={p}", f"--bind-address={LOOPBACK}",
                f"--pid-file={root / 'mariadbd.pid'}", "--skip-name-resolve"]
        ping = [admin, "--no-defaults", f"--socket={sock}", "-uroot", "ping"]

        def ready(peer: Peer) -> None:
            subprocess.run(ping, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=True)

        return Peer(f"mariadbd@{p}", argv, port=p, env=_child_env(None), log_path=root / "mariadbd.log",
                    cwd=root, ready=ready)

    peer = _start_with_port_retry(make, None)
    try:
        client = _mariadb_client_argv(sock)
        grants = "".join(
            f"CREATE USER '{_MARIADB_USER}'@'{h}' IDENTIFIED BY '{_MARIADB_PASSWORD}';"
            f"GRANT ALL ON {_MARIADB_DATABASE}.* TO '{_MARIADB_USER}'@'{h}';"
            for h in ("localhost", LOOPBACK))
        _run_checked([*client, "-e", f"CREATE DATABASE {_MARIADB_DATABASE};{grants}FLUSH PRIVILEGES;"],
                     setup_log)
        _run_checked([*client, _MARIADB_DATABASE], setup_log, stdin_path=TANGO_DB_SCHEMA)
    except BaseException:
        peer.stop()
        raise
    return peer


def start_cpp_database(port: int | None = None, *, log_dir: Path | str | None = None) -> Peer:
    """Debian's C++ DataBaseds 9.3 (instance 2) on its own private MariaDB.

    Returns the DataBaseds peer; its MariaDB is a companion (``peer.companions[0]``), stopped
    with it but not restarted by ``peer.restart()``.  The schema pre-registers sys/tg_test/1.
    """
    _require_file(CPP_DATABASEDS_BIN, "tango-db")
    _tango()
    logs = _log_dir(log_dir)
    mariadb = start_mariadb(log_dir=logs)
    mysql_env = {"MYSQL_HOST": f"{LOOPBACK}:{mariadb.port}", "MYSQL_USER": _MARIADB_USER,
                 "MYSQL_PASSWORD": _MARIADB_PASSWORD, "MYSQL_DATABASE": _MARIADB_DATABASE}

    def argv_for(p: int) -> list[str]:
        return [str(CPP_DATABASEDS_BIN), "2", "-ORBendPoint", f"giop:tcp:{LOOPBACK}:{p}"]

    def make(p: int) -> Peer:
        host = f"{LOOPBACK}:{p}"
        return Peer(f"cpp-database@{p}", argv_for(p), port=p, tango_host=host,
                    env=_child_env(host, mysql_env), log_path=logs / f"cpp-database-{p}.log",
                    cwd=logs, ready=lambda peer: _database_answers(p))

    try:
        peer = _start_with_port_retry(make, port)
    except BaseException:
        mariadb.stop()
        raise
    peer.companions.append(mariadb)
    return peer


# ---------------------------------------------------------------------------------------------
# PyTango device servers (tests/servers/*.py)
# ---------------------------------------------------------------------------------------------


def resolve_server_module(module_or_path: str | Path) -> Path:
    """A server file from a path, a bare name in tests/servers/ ("TestServer") or a dotted module."""
    candidate = Path(module_or_path)
    if candidate.suffix == ".py" and candidate.exists():
        return candidate.resolve()
    in_servers = SERVERS_DIR / f"{module_or_path}.py"
    if in_servers.exists():
        return in_servers
    import importlib.util

    spec = importlib.util.find_spec(str(module_or_path))
    if spec is None or spec.origin is None:
        raise PeerStartError(f"device server module {module_or_path!r} not found")
    return Path(spec.origin)


def register_server(tango_host: str, server: str, device_class: str, device_names: Sequence[str]) -> None:
    """Declare ``server`` (exec/instance) with its devices of ``device_class`` in a database."""
    tango = _tango()
    host, port = tango_host.rsplit(":", 1)
    db = tango.Database(host, int(port))
    infos = []
    for name in device_names:
        info = tango.DbDevInfo()
        info.name, info._class, info.server = name, device_class, server
        infos.append(info)
    db.add_server(server, infos, with_dserver=True)


def start_pytango_server(module_or_path: str | Path, instance: str, *, tango_host: str | None = None,
                         nodb: bool = False, port: int | None = None,
                         device_names: Sequence[str] | None = None, device_class: str = "TestDevice",
                         server_name: str | None = None, register: bool = True,
                         log_dir: Path | str | None = None, on_tango_core: bool = False) -> Peer:
    """A ``tango.server`` device server, with a database (registered first) or without one.

    * DB mode (``tango_host`` given, ``nodb=False``): the server ``<server_name>/<instance>`` and
      its devices (class ``device_class``) are added to that database unless ``register=False``.
      ``peer.devices`` are ``tango://HOST:DBPORT/<name>``.
    * no-DB mode (``nodb=True``): ``-nodb -dlist ...`` on a fixed port;
      ``peer.devices`` are ``tango://127.0.0.1:PORT/<name>#dbase=no``.

    ``server_name`` (the executable name Tango sees) defaults to the file's stem.  Ready when
    every device answers ping().  ``on_tango_core``: run the same file on tango_core's server
    instead of PyTango's (``tests/servers/on_tango_core.py`` maps ``tango`` to ``tango_core``).
    """
    path = resolve_server_module(module_or_path)
    _tango()
    server_name = server_name or path.stem
    if nodb == (tango_host is not None):
        raise ValueError("give exactly one of tango_host=... or nodb=True")
    if device_names is None:
        device_names = ["test/nodb/1"] if nodb else [f"test/{instance.lower()}/1"]
    device_names = [n.lower() for n in device_names]
    logs = _log_dir(log_dir)
    if not nodb and register:
        assert tango_host is not None
        register_server(tango_host, f"{server_name}/{instance}", device_class, device_names)

    # Tango names the server after argv[0]; run the file under ``server_name`` whatever its path.
    launcher = ("import runpy, sys; path = sys.argv.pop(1); sys.argv[0] = sys.argv.pop(1); "
                "runpy.run_path(path, run_name='__main__')")

    def argv_for(p: int) -> list[str]:
        start = [str(SERVERS_DIR / "on_tango_core.py")] if on_tango_core else ["-c", launcher]
        argv = [sys.executable, *start, str(path), server_name, instance,
                "-ORBendPoint", f"giop:tcp:{LOOPBACK}:{p}"]
        if nodb:
            argv += ["-nodb", "-dlist", ",".join(device_names)]
        return argv

    def make(p: int) -> Peer:
        if nodb:
            full = [f"tango://{LOOPBACK}:{p}/{n}#dbase=no" for n in device_names]
            admin = f"tango://{LOOPBACK}:{p}/dserver/{server_name}/{instance}#dbase=no".lower()
        else:
            full = [f"tango://{tango_host}/{n}" for n in device_names]
            admin = f"tango://{tango_host}/dserver/{server_name}/{instance}".lower()
        env = _child_env(tango_host)
        if on_tango_core:  # the child must import this checkout's tango_core
            root = str(Path(__file__).resolve().parents[1])
            env["PYTHONPATH"] = os.pathsep.join(x for x in (root, env.get("PYTHONPATH", "")) if x)
        peer = Peer(f"{server_name}/{instance}" + ("(nodb)" if nodb else f"@{tango_host}")
                    + (" on tango_core" if on_tango_core else ""),
                    argv_for(p), port=p, tango_host=tango_host, env=env,
                    log_path=logs / f"{server_name}-{instance}-{p}.log", cwd=logs,
                    ready=lambda peer: _devices_answer(full),
                    argv_for_port=None if nodb else argv_for)
        peer.devices, peer.short_names, peer.admin_device = full, list(device_names), admin
        return peer

    return _start_with_port_retry(make, port)


def classic_script_env(on_tango_core: bool, tango_host: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process running a PyTango script: under tango_core, its ``import tango``
    gives tango_core (tango_core/pytango_alias first on the path), else PyTango's; TANGO_HOST only
    when given."""
    env = {k: v for k, v in os.environ.items() if k not in ("TANGO_HOST", "PYTHONPATH", "PYTHONSTARTUP")}
    if on_tango_core:
        root = Path(__file__).resolve().parents[1]
        env["PYTHONPATH"] = os.pathsep.join([str(root / "tango_core" / "pytango_alias"), str(root)])
    if tango_host:
        env["TANGO_HOST"] = tango_host
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def start_classic_script(script: Path, instance: str, devices: Sequence[str], *, on_tango_core: bool,
                         log_dir: Path | str | None = None, tango_host: str | None = None, dlist: bool = True,
                         **extra_env: str) -> Peer:
    """A server script written for PyTango's classic API (``Util(sys.argv)``, ``add_class``,
    ``server_init()``, ``server_run()``) run as ``python script instance ...`` under PyTango or
    under tango_core (:func:`classic_script_env`): without a database (``-nodb``, and ``-dlist
    devices`` unless ``dlist`` is False, when the script's DeviceClass names them) or with
    ``tango_host``'s (its devices registered beforehand).  Ready when ``devices`` answer;
    ``.devices`` are their TRLs, ``.admin_device`` the admin's (the server is named after the file)."""
    port = free_port()
    server = Path(script).stem
    argv = [sys.executable, str(script), instance, "-ORBendPoint", f"giop:tcp:{LOOPBACK}:{port}"]
    if tango_host is None:
        argv += ["-nodb", "-dlist", ",".join(devices)] if dlist else ["-nodb"]
        trls = [f"tango://{LOOPBACK}:{port}/{d}#dbase=no" for d in devices]
        admin = f"tango://{LOOPBACK}:{port}/dserver/{server}/{instance}#dbase=no"
    else:
        trls = [f"tango://{tango_host}/{d}" for d in devices]
        admin = f"tango://{tango_host}/dserver/{server}/{instance}"
    impl = "tango_core" if on_tango_core else "pytango"
    logs = _log_dir(log_dir)
    peer = Peer(f"{server}/{instance} on {impl}", argv, env=classic_script_env(on_tango_core, tango_host, **extra_env),
                log_path=logs / f"{impl}-{instance}-{port}.log", cwd=logs, port=port, tango_host=tango_host,
                ready=lambda _: _devices_answer(trls))
    peer.devices, peer.admin_device = trls, admin
    try:
        return peer.start()
    except PeerStartError:
        peer.stop()
        raise


@contextmanager
def pytango_system(tango_host: str | None = None, *, log_dir: Path | str | None = None) -> Iterator[str]:
    """The TANGO_HOST of a PyTango database serving TangoTest (sys/tg_test/1): ``tango_host``
    itself when given (a system already running), else a private one started here and stopped
    afterwards."""
    if tango_host is not None:
        yield tango_host
        return
    started: list[Peer] = []
    try:
        started.append(start_pytango_database(log_dir=log_dir))
        assert started[0].tango_host
        started.append(start_tangotest(started[0].tango_host, log_dir=log_dir))
        yield started[0].tango_host
    finally:
        for peer in reversed(started):
            peer.stop()


@contextmanager
def served_by_both(module_or_path: str | Path, instances: tuple[str, str], *, log_dir: Path | str | None = None,
                   **kwargs) -> Iterator[tuple[Peer, Peer]]:
    """The same ``tango.server`` file served without a database by PyTango (``instances[0]``) and
    by tango_core (``instances[1]``): ``(PyTango's, tango_core's)``, both stopped afterwards.  A
    server that cannot start makes the test unavailable (:func:`peer_unavailable`)."""
    started: list[Peer] = []
    try:
        for instance, on_core in ((instances[0], False), (instances[1], True)):
            try:
                started.append(start_pytango_server(module_or_path, instance, nodb=True, log_dir=log_dir,
                                                    on_tango_core=on_core, **kwargs))
            except PeerStartError as exc:
                peer_unavailable(str(exc))
        yield started[0], started[1]
    finally:
        for peer in started:
            peer.stop()


# ---------------------------------------------------------------------------------------------
# peer configuration helpers (done with PyTango, so a test of our client starts from a known state)
# ---------------------------------------------------------------------------------------------


@contextmanager
def served_by_pytango_and_tango_core(module_or_path: str | Path, device_name: str, device_class: str,
                                     log_dir_factory: Callable[[], Path]) -> Iterator[dict[str, str]]:
    """One device of the same ``tango.server`` file served without a database by PyTango and by
    tango_core (instances ``py`` and ``core``, see :func:`served_by_both`): its TRL on each, by server."""
    with served_by_both(module_or_path, ("py", "core"), device_names=[device_name], device_class=device_class,
                        log_dir=log_dir_factory()) as (py, core):
        yield {"pytango": py.device, "tango_core": core.device}


def enable_polling_and_change_events(device: str, attribute: str, *, period_ms: int = 100,
                                     abs_change: str | None = "1") -> None:
    """Poll ``attribute`` of ``device`` (full name) every ``period_ms`` and set its change threshold.

    Debian's TangoTest polls nothing by default, and change events also need an ``abs_change``
    (else API_EventPropertiesNotSet).  Both are stored in that device's database, so they
    persist across TangoTest restarts for the rest of the session.
    """
    tango = _tango()
    proxy = tango.DeviceProxy(device)
    proxy.set_timeout_millis(PROBE_TIMEOUT_MS)
    if abs_change is not None:
        config = proxy.get_attribute_config_ex(attribute)[0]
        config.events.ch_event.abs_change = abs_change
        proxy.set_attribute_config(config)
    if not proxy.is_attribute_polled(attribute) or proxy.get_attribute_poll_period(attribute) != period_ms:
        proxy.poll_attribute(attribute, period_ms)


# ---------------------------------------------------------------------------------------------
# command line: a supervisor for scripts (scripts/demo.sh) -- same code as the fixtures
# ---------------------------------------------------------------------------------------------


def _serve_system(ready_file: Path | None, log_dir: Path | None) -> int:
    """Start PyTango's DB + TangoTest, announce TANGO_HOST, then hold them until SIGTERM/SIGINT/SIGHUP.

    The announcement (``TANGO_HOST=127.0.0.1:PORT`` or ``FAILED: reason``) goes to stdout and, if
    given, to ``ready_file`` (written atomically, so a shell script may poll for it).
    """
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())

    def announce(text: str) -> None:
        print(text, flush=True)
        if ready_file is not None:
            tmp = ready_file.with_name(ready_file.name + ".tmp")
            tmp.write_text(text + "\n")
            tmp.replace(ready_file)

    try:
        db = start_pytango_database(log_dir=log_dir)
        assert db.tango_host
        start_tangotest(db.tango_host, log_dir=log_dir)
    except PeerStartError as exc:
        stop_all()
        announce("FAILED: " + str(exc).replace("\n", "\n  "))
        return 1
    announce(f"TANGO_HOST={db.tango_host}")
    try:
        while not stop.wait(1.0):  # a timeout keeps the main thread responsive to signals
            pass
    finally:
        stop_all()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python tests/peers.py",
        description="Run real Tango peers on loopback (PyTango's DB on a fresh sqlite + Debian's "
                    "TangoTest) until SIGTERM/SIGINT. Needs PyTango (a test peer) and tango-test.")
    sub = parser.add_subparsers(dest="command", required=True)
    system = sub.add_parser("system", help="database + TangoTest (sys/tg_test/1)")
    system.add_argument("--ready-file", type=Path, help="also write TANGO_HOST=... (or FAILED: ...) here")
    system.add_argument("--log-dir", type=Path, help="peer logs (default: a new temporary directory)")
    args = parser.parse_args(argv)
    return _serve_system(args.ready_file, args.log_dir)


if __name__ == "__main__":
    sys.exit(main())
