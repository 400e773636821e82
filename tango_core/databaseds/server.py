"""Running the database server: ``python -m tango_core.databaseds [instance] --port N ...``.

The DataBase device ``sys/database/<instance>`` is served without a database (it is the
database) under the object key ``database`` -- the key clients put in
``corbaloc:iiop:host:port/database`` -- and under its name; its admin device
``dserver/DataBaseds/<instance>`` as any admin device.  Once listening, the server exports both
into its own file (so that ``DbImportDevice("sys/database/2")`` gives its IOR, as the reference
servers do), prints one line saying where it listens, and serves until SIGINT/SIGTERM, when
it unexports them, closes the file and exits 0.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Sequence, TextIO

from .commands import DatabaseCommands
from .device import database_class
from .options import OptionError, Options, parse
from .starters import StarterNotifier
from .store import StoreError

EXECUTABLE = "DataBaseds"


class DatabaseServer:
    """One database server (the device, its admin device, the file) inside this process."""

    def __init__(self, options: Options) -> None:
        from ..server.command_line import parse_command_line
        from ..server.runtime import ServerRuntime

        self.options = options
        self.commands = DatabaseCommands(options.db_file, instance=options.instance)
        self.device_name = self.commands.device_name
        self.admin_name = f"dserver/{EXECUTABLE}/{options.instance}"
        argv = [EXECUTABLE, options.instance, "-nodb", "-dlist", self.device_name,
                "-ORBendPoint", f"giop:tcp:{options.host}:{options.port}"]
        self.runtime = ServerRuntime([database_class(self.commands)], parse_command_line(argv), msg_stream=None,
                                     fixed_keys={self.device_name: b"database"})
        self.starters: StarterNotifier | None = None

    @property
    def port(self) -> int:
        return self.runtime.port

    @property
    def tango_host(self) -> str:
        host = self.options.host if self.options.host not in ("", "0.0.0.0", "::") else self.runtime.ior_host
        return f"{host}:{self.port}"

    def start(self) -> None:
        """Listen, serve both devices, export them into the database; from then on, tell the
        Starters of the hosts whose servers change (starters.py)."""
        self.runtime.start(post_init=self._export_self)
        self.starters = StarterNotifier(self.tango_host)
        self.commands.notify_starters = self.starters.notify

    def _export_self(self) -> None:
        # the host column is the machine's name, as every server (and both reference database
        # servers) exports it: tools list servers per host with DbGetHostList/DbGetHostServerList
        rt = self.runtime
        host = socket.gethostname()
        for name, key in ((self.admin_name, self.admin_name.lower().encode("latin-1")),
                          (self.device_name, b"database")):
            self.commands.execute("DbExportDevice", [name, rt.ior_for(key), host, str(rt.pid), "6"])

    def serve_forever(self) -> None:
        """Block until SIGINT/SIGTERM (or :meth:`stop` from another thread), then shut down."""
        try:
            self.runtime.serve_forever()
        finally:
            self.close()

    def stop(self) -> None:
        self.runtime.request_shutdown()

    def close(self) -> None:
        self.commands.notify_starters = None
        if self.starters is not None:
            self.starters.close()
        self.runtime.shutdown()
        try:
            self.commands.execute("DbUnExportServer", f"{EXECUTABLE}/{self.options.instance}")
        finally:
            self.commands.close()


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """The command line; returns the exit status (0 after a clean stop)."""
    try:
        options = parse(sys.argv[1:] if argv is None else argv)
    except OptionError as exc:
        print(f"tango_core.databaseds: {exc}", file=sys.stderr)
        return 2
    try:
        server = DatabaseServer(options)
    except StoreError as exc:
        print(f"tango_core.databaseds: {exc}", file=sys.stderr)
        return 1
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - e.g. the port is taken: say so in one line
        print(f"tango_core.databaseds: cannot serve on {options.host}:{options.port}: {exc}", file=sys.stderr)
        server.commands.close()
        return 1
    print(f"tango_core database server {server.device_name} listening on {server.tango_host} "
          f"(TANGO_HOST={server.tango_host}), "
          + ("in memory" if str(options.db_file) == ":memory:" else f"file {os.path.abspath(options.db_file)}"),
          file=out, flush=True)
    if options.print_host_port:
        host, port = server.tango_host.rsplit(":", 1)
        print(f"Database DS listening on: host={host}, port={port}.", file=sys.stderr, flush=True)
    # what every Tango server prints once it serves (PyTango's database server too): scripts
    # that start a database wait for this line
    print("Ready to accept request", file=out, flush=True)
    server.serve_forever()
    return 0
