"""``itango --demo``: a Tango control system of its own for the shell, nothing else installed.

:class:`DemoSystem` starts, next to the shell, one small supervisor process (``python -m
itango.demo DIR PORT keep|temporary``) which runs, on a free 127.0.0.1 port, tango_core's
database server (``python -m tango_core.databaseds``) on an sqlite file in DIR, registers the
demo devices in it (through tango_core's public ``Database`` API), then starts TangoTest
``sys/tg_test/1`` (``python -m tango_core.tangotest test``) and the device servers of the
project's ``examples/`` (``power_supply.py`` and ``sensor.py``, instance ``demo``: two power
supplies and two sensors, so that completion by class has something to show).  The shell talks
to them through ``TANGO_HOST``.  Each process runs through :func:`python_command`, which
imports the itango and tango_core the shell runs, never an ``itango/`` or ``tango_core/``
directory in the user's current directory (where ``python -m`` would look first).

The shell draws its first prompt as soon as the database serves (the device servers need a
second or two more): the supervisor writes the file ``ready`` in DIR once every demo server
answers (or says which one did not start), and :meth:`DemoSystem.wait_servers` is what the
shell's first cell and device list wait for, so that the first thing a user types finds the
devices running and ``%lsdev`` shows them exported.

A kept DIR holds the file ``running`` while its demo runs: a second demo on it (one database
file, one set of logs) is refused, with the ``TANGO_HOST`` that opens another shell on the first.

When the shell exits, :meth:`DemoSystem.stop` sends the supervisor SIGTERM: it stops the device
servers (SIGTERM: they unexport themselves), then the database, and removes DIR unless it is
kept (``--keep DIR``).  Should the shell die without cleaning up, the supervisor sees its stdin
pipe close and does the same; should the supervisor die, the kernel kills its children
(``setpriv --pdeathsig``).  The shell process imports nothing of tango_core here, so the demo
costs the first prompt only the wait for the database to listen.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence

__all__ = ["DemoSystem", "DEMO_DEVICES", "examples_directory", "python_command"]

DB_FILE = "tango.db"
HOST = "127.0.0.1"
#: (server, class, devices) registered in the demo database besides TangoTest/test
DEMO_DEVICES = [
    ("PowerSupply/demo", "PowerSupply", ["demo/power/1", "demo/power/2"]),
    ("Sensor/demo", "Sensor", ["demo/sensor/1", "demo/sensor/2"]),
]
#: the example each class of DEMO_DEVICES is served by
EXAMPLE_FILES = {"PowerSupply": "power_supply.py", "Sensor": "sensor.py"}
READY_FILE = "ready"   # written by the supervisor once the device servers serve (or failed to)
RUNNING_FILE = "running"  # "<supervisor pid> <port>" while a demo runs on a kept DIR
READY_TIMEOUT = 15.0   # seconds the shell waits for the demo database to answer
SERVERS_TIMEOUT = 60.0  # seconds the supervisor gives the device servers to start serving
STOP_TIMEOUT = 5.0     # seconds a server has to stop after SIGTERM


def examples_directory() -> Path | None:
    """The project's ``examples/`` (power_supply.py, sensor.py): next to the package in a source
    checkout or an editable install, under ``<prefix>/share/itango/examples`` from a wheel."""
    for directory in (Path(__file__).resolve().parent.parent / "examples",
                      Path(sys.prefix) / "share" / "itango" / "examples"):
        if all((directory / name).is_file() for name in EXAMPLE_FILES.values()):
            return directory
    return None


#: what each demo process runs instead of ``python -m MODULE`` / ``python SCRIPT``: ``-m`` and
#: ``-c`` put the current directory first on sys.path, so an ``itango/`` or ``tango_core/``
#: directory where the user started the shell would be imported instead of the installed
#: packages.  This drops that entry ('' for ``-c``; nothing to drop under ``-P``/PYTHONSAFEPATH)
#: and puts in its place the directories the shell found the packages in, when the child's own
#: path lacks them; then runs MODULE as ``-m`` does (SCRIPT as ``python SCRIPT``, its directory
#: first).  argv: LAUNCHER ROOTS(os.pathsep-separated) MODULE|SCRIPT ARGS...
_LAUNCHER = """\
import os, runpy, sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
known = {os.path.realpath(p) for p in sys.path if p}
sys.path[:0] = [r for r in sys.argv[1].split(os.pathsep) if r and os.path.realpath(r) not in known]
target, args = sys.argv[2], sys.argv[3:]
if target.endswith(".py"):
    sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    sys.argv = [target, *args]
    runpy.run_path(target, run_name="__main__")
else:
    sys.argv = [target, *args]
    runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


def _package_roots() -> list[str]:
    """The directories this process imports itango and tango_core from (tango_core located, not
    imported: the shell imports nothing of it for the demo)."""
    import importlib.util

    roots = [str(Path(__file__).resolve().parent.parent)]
    spec = importlib.util.find_spec("tango_core")
    if spec is not None and spec.origin:
        roots.append(str(Path(spec.origin).resolve().parent.parent))
    return list(dict.fromkeys(roots))


def python_command(target: str, *args: str) -> list[str]:
    """The command line running ``target`` (a module name, as ``python -m``, or a ``.py`` file)
    with this Python and the itango and tango_core this process runs, whatever directory it is
    started in (see _LAUNCHER)."""
    return [sys.executable, "-c", _LAUNCHER, os.pathsep.join(_package_roots()), target, *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _database_serves(port: int, timeout: float = 2.0) -> bool:
    """Whether the database server on ``port`` serves its object (a GIOP 1.2 LocateRequest for
    the key ``database`` answered OBJECT_HERE): ready for requests, not only listening.  Bytes
    made here, so that the shell imports no tango_core before its first prompt."""
    key = b"database"
    body = struct.pack("<IhxxI", 1, 0, len(key)) + key  # request id, KeyAddr, the key
    request = b"GIOP\x01\x02\x01\x03" + struct.pack("<I", len(body)) + body
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(request)
            reply = b""
            while len(reply) < 20:
                chunk = sock.recv(64)
                if not chunk:
                    return False
                reply += chunk
    except OSError:
        return False
    if reply[:4] != b"GIOP" or reply[7] != 4:  # LocateReply
        return False
    status = struct.unpack_from("<I" if reply[6] & 1 else ">I", reply, 16)[0]
    return status == 1  # OBJECT_HERE


class DemoSystem:
    """The demo database and device servers, in the shell (see the module docstring)."""

    def __init__(self, keep: str | Path | None = None) -> None:
        self.keep = Path(keep).expanduser().resolve() if keep else None
        self.directory: Path | None = None
        self.port = 0
        self.tango_host = ""
        self._supervisor: subprocess.Popen | None = None
        self._previous_tango_host: str | None = None

    @property
    def db_file(self) -> Path:
        assert self.directory is not None
        return self.directory / DB_FILE

    def start(self) -> str:
        """Start the supervisor (which starts the servers), set ``TANGO_HOST``; returns it.
        Does not wait (see :meth:`wait_ready`).  RuntimeError if examples/ is missing."""
        if examples_directory() is None:
            raise RuntimeError(f"the example device servers ({', '.join(EXAMPLE_FILES.values())}) "
                               f"are not installed")
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
            running = _running_demo(self.keep)
            if running is not None:  # two demos on one database and one set of logs: refused
                raise RuntimeError(f"the demo kept in {self.keep} is already running (database {running}); "
                                   f"another shell on it: TANGO_HOST={running} itango")
            self.directory = self.keep
            (self.directory / READY_FILE).unlink(missing_ok=True)  # a previous demo's
        else:
            self.directory = Path(tempfile.mkdtemp(prefix="itango-demo-"))
        self.port = _free_port()
        self.tango_host = f"{HOST}:{self.port}"
        with open(self.directory / "demo.log", "ab") as log:
            self._supervisor = subprocess.Popen(
                python_command("itango.demo", str(self.directory), str(self.port),
                               "keep" if self.keep else "temporary"),
                env=dict(os.environ, TANGO_HOST=self.tango_host), stdin=subprocess.PIPE, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)  # Ctrl-C in the shell is not for it
        if self.keep is not None:
            (self.directory / RUNNING_FILE).write_text(f"{self._supervisor.pid} {self.port}\n")
        self._previous_tango_host = os.environ.get("TANGO_HOST")
        os.environ["TANGO_HOST"] = self.tango_host
        return self.tango_host

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """True once the demo database serves requests (within ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while not _database_serves(self.port):
            if time.monotonic() > deadline or self._supervisor is None or self._supervisor.poll() is not None:
                return False
            time.sleep(0.02)
        return True

    def wait_servers(self, timeout: float) -> str | None:
        """Wait (at most ``timeout`` seconds) until the demo's device servers serve: None once
        they all do, else what went wrong, in one line for the shell to print."""
        deadline = time.monotonic() + timeout
        while True:
            directory, supervisor = self.directory, self._supervisor
            if directory is None or supervisor is None:
                return "the demo system was stopped"
            try:
                problems = (directory / READY_FILE).read_text().strip()
            except OSError:
                problems = None
            if problems is not None:
                return problems or None
            if supervisor.poll() is not None:
                return f"the demo system stopped (see {directory / 'demo.log'})"
            if time.monotonic() > deadline:
                return f"the demo's device servers are not serving after {timeout:g} s (logs in {directory})"
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the servers and remove the directory unless it is kept.  Idempotent."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            # TANGO_HOST back to what it was, so that whatever runs on in this process (the
            # rest of a test session, an embedding program) does not talk to a dead demo.
            if os.environ.get("TANGO_HOST") == self.tango_host:
                if self._previous_tango_host is None:
                    os.environ.pop("TANGO_HOST", None)
                else:
                    os.environ["TANGO_HOST"] = self._previous_tango_host
            if supervisor.poll() is None:
                supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(3 * STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                supervisor.kill()  # its children get SIGKILL from the kernel (pdeathsig)
                supervisor.wait()
            if supervisor.stdin is not None:
                supervisor.stdin.close()
        if self.directory is not None and self.keep is None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        elif self.directory is not None:
            for log in self.directory.glob("*.log"):
                log.unlink(missing_ok=True)
            (self.directory / READY_FILE).unlink(missing_ok=True)
            (self.directory / RUNNING_FILE).unlink(missing_ok=True)

    def describe(self) -> str:
        """The banner's lines about the demo."""
        import textwrap

        where = f"kept in {self.keep}" if self.keep else "a temporary file: --keep DIR keeps it"
        others = ", ".join(f"{klass} {' '.join(devs)}" for _, klass, devs in DEMO_DEVICES)
        about = (f"Demo system, stopped when you leave: tango_core's database on sqlite ({where}), "
                 f"TangoTest sys/tg_test/1, {others}")
        # lines that fit an 80-column terminal: a wrapped line is hard to read
        return (textwrap.fill(about, width=80, subsequent_indent="  ", break_on_hyphens=False,
                              break_long_words=False) +
                f"\n  another shell on it (in another terminal): TANGO_HOST={self.tango_host} itango\n")


def _running_demo(directory: Path) -> str | None:
    """The database (host:port) of the demo whose supervisor runs on ``directory``, if one does
    (a demo killed with SIGKILL leaves its file behind: its process is gone, or another one)."""
    try:
        pid, port = (directory / RUNNING_FILE).read_text().split()
        cmdline = Path(f"/proc/{int(pid)}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    if b"itango.demo" in cmdline and str(directory).encode() in cmdline:
        return f"{HOST}:{port}"
    return None


# -- the supervisor ---------------------------------------------------------------------------------

def _register_devices(port: int) -> None:
    """Add the demo devices to the database (a kept one already has them), through the public API."""
    import tango_core

    db = tango_core.Database(HOST, port)
    for server, klass, devices in DEMO_DEVICES:
        known = set(db.get_device_name(server, klass))
        for name in devices:
            if name not in known:
                db.add_device(tango_core.DbDevInfo(name, klass, server))
    # TangoTest's double_scalar polled, with a change threshold: %mon shows its events at once
    if not db.get_device_property("sys/tg_test/1", "polled_attr")["polled_attr"]:
        db.put_device_property("sys/tg_test/1", {"polled_attr": ["double_scalar", "1000"]})
        db.put_device_attribute_property("sys/tg_test/1", {"double_scalar": {"abs_change": ["0.1"]}})


class _Supervisor:
    def __init__(self, directory: Path, port: int, temporary: bool) -> None:
        self.directory = directory
        self.port = port
        self.temporary = temporary
        self.stopping = threading.Event()
        self.database: subprocess.Popen | None = None
        self.servers: list[subprocess.Popen] = []
        self.env = dict(os.environ, TANGO_HOST=f"{HOST}:{port}")

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        setpriv = shutil.which("setpriv")  # the kernel kills it should this process die
        prefix = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []
        with open(self.directory / f"{name}.log", "ab") as log:
            return subprocess.Popen(prefix + argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        threading.Thread(target=self._watch_stdin, name="itango-demo-shell-watch", daemon=True).start()
        try:
            self.database = self._spawn("database", python_command(
                "tango_core.databaseds", "2", "--host", HOST, "--port", str(self.port),
                "--db-file", str(self.directory / DB_FILE)))
            while not _database_serves(self.port):
                if self.stopping.wait(0.02) or self.database.poll() is not None:
                    return 1
            _register_devices(self.port)
            examples = examples_directory()
            assert examples is not None  # checked by DemoSystem.start
            self.servers.append(self._spawn("tangotest", python_command("tango_core.tangotest", "test")))
            for _server, klass, _devices in DEMO_DEVICES:
                self.servers.append(self._spawn(klass, python_command(str(examples / EXAMPLE_FILES[klass]), "demo")))
            problems = self._wait_servers()
            if not self.stopping.is_set():
                ready = self.directory / READY_FILE
                (self.directory / f"{READY_FILE}.new").write_text("\n".join(problems))
                os.replace(self.directory / f"{READY_FILE}.new", ready)  # whole, or not there
            while not self.stopping.wait(0.5):
                pass
            return 0
        finally:
            self._stop_all()

    def _wait_servers(self) -> list[str]:
        """Wait until the admin device of every demo server answers (exported last, once the
        server serves); returns what went wrong (nothing when all serve)."""
        import tango_core

        db = tango_core.Database(HOST, self.port)
        names = ["TangoTest/test"] + [server for server, _klass, _devices in DEMO_DEVICES]
        processes = dict(zip(names, self.servers))
        waiting = set(names)
        problems = []
        deadline = time.monotonic() + SERVERS_TIMEOUT
        while waiting and not self.stopping.is_set():
            for server in list(waiting):
                status = processes[server].poll()
                if status is not None:
                    waiting.discard(server)
                    problems.append(f"the demo server {server} did not start: "
                                    f"{_why_it_stopped(self._log_of(server))}")
                    continue
                try:  # exported by the process started here (not a previous demo's), and answering
                    info = db.get_device_info(f"dserver/{server}")
                    if info.exported and info.pid == processes[server].pid:
                        admin = tango_core.DeviceProxy(f"tango://{HOST}:{self.port}/dserver/{server}")
                        admin.set_timeout_millis(1000)
                        admin.ping()
                        waiting.discard(server)
                except tango_core.DevFailed:
                    pass
            if waiting and time.monotonic() > deadline:
                problems.extend(f"the demo server {server} does not answer after {SERVERS_TIMEOUT:g} s "
                                f"(see {self._log_of(server)})" for server in waiting)
                break
            if waiting:
                self.stopping.wait(0.1)
        return problems

    def _log_of(self, server: str) -> Path:
        klass = server.split("/")[0]
        return self.directory / f"{'tangotest' if klass == 'TangoTest' else klass}.log"

    def _watch_stdin(self) -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        self.stopping.set()  # the shell is gone

    def _stop_all(self) -> None:
        # the device servers first (together: they unexport themselves), then the database
        groups = [self.servers] + ([[self.database]] if self.database is not None else [])
        for group in groups:
            for child in group:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in group:
                try:
                    child.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if self.temporary:
            shutil.rmtree(self.directory, ignore_errors=True)


def _why_it_stopped(log: Path) -> str:
    """What a server that stopped said: the description of the DevFailed it printed, else the
    last line of its log; and where the log is."""
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    said = next((line.split("=", 1)[1].strip() for line in lines if line.startswith("desc =")), None)
    if said is None:
        said = next((line for line in reversed(lines) if line != "Exited"), "it said nothing")
    return f"{said} (log: {log})"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[2] not in ("keep", "temporary") or not args[1].isdigit():
        print("usage: python -m itango.demo DIR PORT keep|temporary  (what itango --demo runs)", file=sys.stderr)
        return 2
    return _Supervisor(Path(args[0]), int(args[1]), args[2] == "temporary").run()


if __name__ == "__main__":
    sys.exit(main())
