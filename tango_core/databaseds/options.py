"""Command-line options of the database server, PyTango's spellings included.

``python -m tango_core.databaseds [instance] [--port N] [--host H] [--db-file PATH] ...``;
options may come before or after the instance (PyTango's ``python -m tango.databaseds.database
2 --port N`` silently ignores a ``--port`` placed after the instance; here it counts).  Also
accepted, for scripts written for the reference servers: ``--logging_level/-l N``,
``--print-host-port``, ``--db_access sqlite3``, and cppTango's ``-ORBendPoint giop:tcp:H:P``.
Defaults: instance ``2``; host and port from ``TANGO_HOST`` (else ``0.0.0.0`` and 10000);
the file from ``--db-file``, else ``$PYTANGO_DATABASE_NAME``, else ``tango_database.db``.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

DEFAULT_PORT = 10000
DEFAULT_FILE = "tango_database.db"


@dataclass(frozen=True)
class Options:
    instance: str
    host: str
    port: int
    db_file: Path
    logging_level: int
    print_host_port: bool


class OptionError(ValueError):
    """A command line the server cannot run with (the message says why)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tango_core.databaseds",
        description="The Tango database server (device sys/database/<instance>) on an sqlite file.")
    p.add_argument("instance", nargs="?", default="2", help="instance name (default 2: sys/database/2)")
    p.add_argument("--port", type=int, help="TCP port (default: TANGO_HOST's, else 10000; 0: any free port)")
    p.add_argument("--host", help="address to listen on (default: TANGO_HOST's host, else 0.0.0.0)")
    p.add_argument("--db-file", "--db_file", dest="db_file", type=Path,
                   help=f"sqlite file (default: $PYTANGO_DATABASE_NAME, else ./{DEFAULT_FILE}); created if missing")
    p.add_argument("--logging_level", "--logging-level", "-l", dest="logging_level", type=int, default=0,
                   help="0 warnings, 1 info, 2 debug")
    p.add_argument("--print-host-port", dest="print_host_port", action="store_true",
                   help="also print 'Database DS listening on: host=H, port=P.' to stderr (PyTango's line)")
    p.add_argument("--db_access", "--db-access", dest="db_access", default="sqlite3",
                   help="storage (only sqlite3, accepted for PyTango's command lines)")
    p.add_argument("-ORBendPoint", dest="endpoint", help="cppTango's spelling: giop:tcp:HOST:PORT")
    return p


def _tango_host() -> tuple[str | None, int | None]:
    value = os.environ.get("TANGO_HOST", "").split(",")[0].strip()
    if ":" not in value:
        return None, None
    host, _, port = value.rpartition(":")
    try:
        return host or None, int(port)
    except ValueError:
        return None, None


def parse(argv: Sequence[str]) -> Options:
    try:
        args = _parser().parse_intermixed_args(list(argv))
    except SystemExit as exc:  # argparse printed the usage/error already
        raise OptionError(f"bad command line (exit {exc.code})") from None
    if args.db_access != "sqlite3":
        raise OptionError(f"--db_access {args.db_access}: only sqlite3 is available")
    host, port = args.host, args.port
    if args.endpoint:
        parts = args.endpoint.split(":")
        if len(parts) != 4 or parts[:2] != ["giop", "tcp"]:
            raise OptionError(f"-ORBendPoint {args.endpoint}: expected giop:tcp:HOST:PORT")
        host = host or parts[2] or "0.0.0.0"
        port = port if port is not None else int(parts[3] or 0)
    env_host, env_port = _tango_host()
    if host is None:
        host = env_host or "0.0.0.0"
    if port is None:
        port = env_port if env_port is not None else DEFAULT_PORT
    if not 0 <= port <= 65535:
        raise OptionError(f"port {port} out of range")
    if not args.instance or "/" in args.instance:
        raise OptionError(f"instance name {args.instance!r}: must be non-empty and without '/'")
    db_file = args.db_file or Path(os.environ.get("PYTANGO_DATABASE_NAME") or DEFAULT_FILE)
    return Options(args.instance, host, port, db_file, args.logging_level, args.print_host_port)
