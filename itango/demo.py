"""``itango --demo``: a Tango control system of its own for the shell, nothing else installed.

:class:`DemoSystem` starts, next to the shell, three Python processes of tango_core on a free
127.0.0.1 port: the database server (``tango_core.databaseds``) on an sqlite file in a
temporary directory, TangoTest ``sys/tg_test/1`` (server ``TangoTest/test``) and a server
``DemoDevices/demo`` with two power supplies and two sensors (the classes of the project's
``examples/``, so that completion by class has something to show).  The shell then talks to it through ``TANGO_HOST``.
When the shell exits, :meth:`DemoSystem.stop` stops the three (SIGTERM: they unexport
themselves) and removes the directory -- or keeps the database in ``--keep DIR``.  Should the
shell die without cleaning up, each child notices its stdin pipe closing and stops too.

Run as ``python -m itango.demo <role> ...`` each child is one of the three (what
:meth:`DemoSystem.start` spawns); the shell process itself imports nothing of tango_core here,
so that the demo costs the first prompt only the wait for the database to listen.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence

__all__ = ["DemoSystem", "DEMO_DEVICES", "examples_directory"]

DB_FILE = "tango.db"
HOST = "127.0.0.1"
#: (server, class, devices) registered in the demo database besides TangoTest/test
DEMO_DEVICES = [
    ("DemoDevices/demo", "PowerSupply", ["demo/power/1", "demo/power/2"]),
    ("DemoDevices/demo", "Sensor", ["demo/sensor/1", "demo/sensor/2"]),
]
#: where each class of DEMO_DEVICES comes from, in examples/
EXAMPLE_FILES = ("power_supply.py", "sensor.py")
READY_TIMEOUT = 15.0   # seconds the shell waits for the demo database to answer
STOP_TIMEOUT = 5.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _answers(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


class DemoSystem:
    """The demo database and device servers (see the module docstring)."""

    def __init__(self, keep: str | Path | None = None) -> None:
        self.keep = Path(keep).expanduser().resolve() if keep else None
        self.directory: Path | None = None
        self.port = 0
        self.tango_host = ""
        self._children: list[subprocess.Popen] = []
        self._logs: list = []

    @property
    def db_file(self) -> Path:
        assert self.directory is not None
        return self.directory / DB_FILE

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> str:
        """Register the demo devices, spawn the three servers, set ``TANGO_HOST``; returns it.
        Does not wait for them (see :meth:`wait_ready`).  RuntimeError if examples/ is missing."""
        if examples_directory() is None:
            raise RuntimeError(f"the example device servers ({', '.join(EXAMPLE_FILES)}) are not installed")
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
            self.directory = self.keep
        else:
            self.directory = Path(tempfile.mkdtemp(prefix="itango-demo-"))
        self.port = _free_port()
        self.tango_host = f"{HOST}:{self.port}"
        env = dict(os.environ, TANGO_HOST=self.tango_host)
        self._spawn("database", [str(self.db_file), str(self.port), "keep" if self.keep else "temporary"], env)
        self._spawn("tangotest", [], env)
        self._spawn("devices", [], env)
        os.environ["TANGO_HOST"] = self.tango_host
        return self.tango_host

    def _spawn(self, role: str, args: list[str], env: dict[str, str]) -> None:
        assert self.directory is not None
        log = open(self.directory / f"{role}.log", "ab")
        self._logs.append(log)
        self._children.append(subprocess.Popen(
            [sys.executable, "-m", "itango.demo", role, *args], env=env, stdin=subprocess.PIPE, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True))

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """True once the demo database accepts connections (within ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while not _answers(self.port):
            if time.monotonic() > deadline or any(c.poll() is not None for c in self._children[:1]):
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        """Stop the servers (device servers first, then the database) and remove the directory
        unless it is kept.  Idempotent."""
        children, self._children = self._children, []
        # the device servers first (together: they unexport themselves), then the database
        for group in (children[1:], children[:1]):
            for child in group:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in group:
                try:
                    child.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                if child.stdin is not None:
                    child.stdin.close()
        for log in self._logs:
            log.close()
        self._logs = []
        if self.directory is not None and self.keep is None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        elif self.directory is not None:
            for log in self.directory.glob("*.log"):
                log.unlink(missing_ok=True)

    def describe(self) -> str:
        """The banner's lines about the demo."""
        where = f"kept in {self.keep}" if self.keep else "a temporary file (--keep DIR keeps it)"
        others = ", ".join(f"{klass} {', '.join(devs)}" for _, klass, devs in DEMO_DEVICES)
        return (f"Demo system (stopped when you leave): tango_core's database on sqlite, {where};\n"
                f"  TangoTest sys/tg_test/1, {others}\n")


# -- the children -------------------------------------------------------------------------------

def _register_devices(db_file: str) -> None:
    """Add the demo devices to the database file (a kept file already has them)."""
    from tango_core.databaseds.commands import DatabaseCommands

    commands = DatabaseCommands(db_file)
    try:
        for server, klass, devices in DEMO_DEVICES:
            known = commands.execute("DbGetDeviceList", [server, klass])
            for name in devices:
                if name not in known:
                    commands.execute("DbAddDevice", [server, name, klass])
        # TangoTest's double_scalar polled, with a change threshold: %mon shows its events at once
        if not commands.execute("DbGetDevicePropertyList", ["sys/tg_test/1", "polled_attr"]):
            commands.execute("DbPutDeviceProperty", ["sys/tg_test/1", "1", "polled_attr", "2", "double_scalar", "1000"])
            commands.execute("DbPutDeviceAttributeProperty2",
                             ["sys/tg_test/1", "1", "double_scalar", "1", "abs_change", "1", "0.1"])
    finally:
        commands.close()


_parent_gone = threading.Event()


def _exit_with_parent() -> None:
    """SIGTERM ourselves when the shell's end of our stdin closes (the shell is gone)."""
    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        _parent_gone.set()
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, name="itango-demo-parent-watch", daemon=True).start()


def _wait_for_database(timeout: float = 30.0) -> None:
    port = int(os.environ["TANGO_HOST"].rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if time.monotonic() > deadline:
            raise SystemExit(f"itango demo: no database on {os.environ['TANGO_HOST']} after {timeout:.0f} s")
        time.sleep(0.05)


def examples_directory() -> Path | None:
    """The project's ``examples/`` (power_supply.py, sensor.py): next to the package in a source
    checkout or an editable install, under ``<prefix>/share/itango/examples`` from a wheel."""
    for directory in (Path(__file__).resolve().parent.parent / "examples",
                      Path(sys.prefix) / "share" / "itango" / "examples"):
        if all((directory / name).is_file() for name in EXAMPLE_FILES):
            return directory
    return None


def _demo_classes() -> tuple[type, ...]:
    """The device classes of examples/ the demo serves (PowerSupply, Sensor)."""
    import importlib.util

    directory = examples_directory()
    if directory is None:
        raise SystemExit(f"itango demo: examples {', '.join(EXAMPLE_FILES)} not found")
    classes = []
    for (_server, klass, _devices), name in zip(DEMO_DEVICES, EXAMPLE_FILES):
        spec = importlib.util.spec_from_file_location(f"itango_demo_{Path(name).stem}", directory / name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        classes.append(getattr(module, klass))
    return tuple(classes)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    role = args[0] if args else ""
    _exit_with_parent()
    if role == "database":
        from tango_core.databaseds.server import main as database
        _register_devices(args[1])
        status = database(["2", "--host", HOST, "--port", args[2], "--db-file", args[1]])
        if _parent_gone.is_set() and args[3:] == ["temporary"]:
            # the shell died without cleaning up: the last one out removes the demo's directory
            time.sleep(1.0)  # the device servers stop (and unexport) meanwhile
            shutil.rmtree(Path(args[1]).parent, ignore_errors=True)
        return status
    _wait_for_database()  # before importing anything: the database and the shell start first
    from tango_core.server import run
    if role == "tangotest":
        from tango_core.tangotest.device import TangoTest
        run((TangoTest,), ["TangoTest", "test"])
        return 0
    if role == "devices":
        run(_demo_classes(), ["DemoDevices", "demo"])
        return 0
    print("usage: python -m itango.demo database FILE PORT keep|temporary | tangotest | devices", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
