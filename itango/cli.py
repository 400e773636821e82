"""The ``itango`` command (and ``python -m itango``).

    itango [IPython options] [script.py | -c CODE]   the shell
    itango qtconsole [qtconsole options]             Jupyter Qt console on an itango kernel
    itango kernel install [--user] [--name NAME]     install a Jupyter kernelspec
    itango kernel -f CONNECTION_FILE                 run a kernel (what a frontend starts)
    itango --version | --help

Start-up speed matters (it is the first thing a user sees): this module imports only the
standard library until IPython starts; the banner's database line comes from one TCP connect
made in a thread while IPython is imported (so it costs nothing unless the host is slow to
answer, and then at most a quarter of a second); tango_core is imported after the first
prompt is drawn (see itango.startup).
"""

from __future__ import annotations

import gc
import os
import socket
import sys
import time
from collections.abc import Sequence
from importlib.util import find_spec

from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:  # the demo module is imported only with --demo
    from .demo import DemoSystem

__all__ = ["main", "banner", "versions", "HELP"]

PROBE_TIMEOUT = 0.25  # seconds for the banner's "is the database there" check

HELP = f"""\
itango {__version__} -- an interactive IPython shell for Tango Controls (on tango_core)

Usage:
  itango [IPython options] [script.py | -c CODE]   start the shell
  itango --demo [--keep DIR]                       the shell on a Tango system of its own (database,
                                                   TangoTest, a few devices), stopped on exit
  itango qtconsole [qtconsole options]             Jupyter Qt console with the itango kernel
  itango kernel install [--user] [--name NAME]     install the itango Jupyter kernelspec
  itango kernel -f CONNECTION_FILE                 run an itango kernel (frontends do this)
  itango --version                                 versions of itango and what it runs on
  itango --help                                    this text (IPython's options: --help-all)

The database comes from TANGO_HOST (environment, then ~/.tangorc, then /etc/tangorc) and
can be changed inside the shell with %switchdb host:port.

In the shell:
  dev = Device("sys/<TAB>              device names, segment by segment
  dev = TangoTest("<TAB>               devices of one class (a constructor per class)
  AttributeProxy("sys/tg_test/1/<TAB>  attribute names after a device name
  dev.read_attribute("<TAB>            attribute names; dev.command_inout("<TAB> commands
  dev.<TAB>                            attributes, commands and methods of a device
  %lsdev [filter]  %lsdevclass  %lsserv  %refreshdb  %switchdb host:port
  %mon -a dev/attr  %tango_error  %python_error     (%mon? and every magic's ? give usage)
"""


def _file_version(package: str) -> str | None:
    """``__version__`` of a package read from its source, without importing it (importing
    tango_core pulls numpy: ~0.1 s that the first prompt should not wait for)."""
    spec = find_spec(package)
    if spec is None or not spec.origin:
        return None
    try:
        with open(spec.origin, encoding="utf-8") as f:
            for line in f:
                if line.startswith("__version__"):
                    return line.split("=", 1)[1].strip().strip("\"'")
    except OSError:
        return None
    return None


def versions() -> dict[str, str]:
    """Versions shown by ``--version`` and the banner."""
    import IPython
    return {
        "itango": __version__,
        "tango_core": _file_version("tango_core") or __version__,
        "IPython": IPython.__version__,
        "Python": ".".join(map(str, sys.version_info[:3])),
    }


def _tango_host_text() -> str | None:
    value = os.environ.get("TANGO_HOST", "").strip()
    return value or None


def probe_database(tango_host: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None if some replica of ``tango_host`` accepts a TCP connection, else why not."""
    reason = "no address"
    for part in tango_host.split(",")[:3]:
        host, _, port = part.strip().rpartition(":")
        if not host:
            host, port = part.strip(), "10000"
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return None
        except socket.timeout:
            reason = f"no answer within {timeout:g} s"
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
    return reason.lower() if reason else "unreachable"


class DatabaseProbe:
    """:func:`probe_database` in a thread started at once, so that the TCP connect overlaps
    with importing IPython (~0.15 s): the banner then rarely waits for it, and never long."""

    PENDING = "pending"

    def __init__(self, tango_host: str, timeout: float = PROBE_TIMEOUT):
        import threading

        self.tango_host = tango_host
        self._problem: str | None = self.PENDING
        self._shown: str | None = self.PENDING  # what the banner said (once it asked)
        self._deadline = time.monotonic() + timeout + 0.05
        self._thread = threading.Thread(target=self._run, args=(timeout,), daemon=True,
                                        name="itango-probe")
        self._thread.start()

    def _run(self, timeout: float) -> None:
        self._problem = probe_database(self.tango_host, timeout)

    def result(self) -> str | None:
        """None (reachable), why not, or :attr:`PENDING` if still unknown at the deadline."""
        self._thread.join(max(0.0, self._deadline - time.monotonic()))
        self._shown = self._problem
        return self._shown

    def reported_unreachable(self) -> bool:
        """Whether the banner *said* the database is unreachable (a probe that ends after
        the banner was drawn must not silence the background load's own report)."""
        return self._shown not in (None, self.PENDING)


def banner(tango_host: str | None, problem: str | None) -> str:
    """The text above the first prompt."""
    v = versions()
    lines = [f"ITango {v['itango']} -- interactive Tango shell on tango_core {v['tango_core']} "
             f"(IPython {v['IPython']}, Python {v['Python']})"]
    if tango_host is None:
        lines.append("Database: TANGO_HOST is not in the environment; looking in ~/.tangorc "
                     "and /etc/tangorc (itango --demo runs a Tango system of its own)")
    elif problem is None:
        lines.append(f"Database: {tango_host}")
    elif problem == DatabaseProbe.PENDING:
        lines.append(f"Database: {tango_host} (not answering yet: loading in the background)")
    else:
        lines.append(f"no database reachable at {tango_host} ({problem}); full names "
                     f"(tango://host:port/domain/family/member) still work, "
                     f"%switchdb host:port changes database, itango --demo runs a demo system")
    lines.append('Try: dev = Device("<TAB>   %lsdev   %mon?   %tango_error   itango --help')
    return "\n".join(lines) + "\n"


def _kernel_command(function: str, argv: Sequence[str]) -> int:
    try:
        from . import kernel
        command = getattr(kernel, function)
    except (ImportError, AttributeError) as exc:
        print(f"itango: the Jupyter commands are not available ({exc})", file=sys.stderr)
        return 1
    return int(command(list(argv)) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``itango`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    first = args[0] if args else ""
    if first in ("-h", "--help", "help"):
        print(HELP, end="")
        return 0
    if first in ("-V", "--version"):
        print("  ".join(f"{k} {v}" for k, v in versions().items()))
        return 0
    if first == "qtconsole":
        return _kernel_command("run_qtconsole", args[1:])
    if first == "kernel":
        return _kernel_command("main", args[1:])

    demo = _start_demo(args)  # before the imports, so that its servers start meanwhile
    tango_host = _tango_host_text()
    probe = DatabaseProbe(tango_host) if tango_host and not demo else None  # overlaps with the imports
    gc_paused = gc.isenabled()
    gc.disable()  # see itango.startup: resumed at the first prompt or before any code runs

    import IPython

    from .shell_config import make_config
    from .startup import request_fast_start, resume_gc

    if demo is not None:
        ready = demo.wait_ready()
        def show() -> str:
            lines = banner(tango_host, None if ready else "the demo database did not start").splitlines(True)
            return "".join(lines[:2]) + demo.describe() + "".join(lines[2:])
    else:
        show = lambda: banner(tango_host, probe.result() if probe else None)
    request_fast_start(
        banner=show,
        unreachable_announced=probe.reported_unreachable if probe else (lambda: False),
        gc_paused=gc_paused,
        wait_servers=demo.wait_servers if demo is not None else None)
    try:
        IPython.start_ipython(argv=args, config=make_config(terminal=True))
    finally:
        resume_gc()
        if demo is not None:
            demo.stop()
    return 0


def _start_demo(args: list[str]) -> "DemoSystem | None":
    """``--demo [--keep DIR]`` (removed from ``args``): start the demo system (itango.demo)."""
    if "--demo" not in args:
        if "--keep" in args:  # IPython would only warn "Unrecognized alias" and start without it
            raise SystemExit("itango: --keep DIR goes with --demo (itango --demo --keep DIR)")
        return None
    keep = None
    if "--keep" in args:
        i = args.index("--keep")
        if i + 1 >= len(args):
            raise SystemExit("itango: --keep needs a directory")
        keep = args.pop(i + 1)
        args.pop(i)
    from .demo import DemoSystem

    demo = DemoSystem(keep)
    try:
        demo.start()
    except (RuntimeError, OSError) as exc:
        raise SystemExit(f"itango --demo: {exc}") from None
    args.remove("--demo")
    return demo


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
