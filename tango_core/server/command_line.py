"""PyTango's device server command line.

``<exec> <instance> [-v[N]] [-nodb -dlist a/b/c,d/e/f] [-port N] [-host H]
[-ORBendPoint giop:tcp:<host>:<port>] [-ORBendPointPublish giop:tcp:<host>:<port>] [-file=<path>]``

``-vN`` (also ``-v N``, ``-vvv``, ``--verbose``) sets the console logging level (N = 1..5);
``-nodb`` needs a port (``-port`` or ``-ORBendPoint``), as PyTango requires; other ``-ORBxxx``
options are accepted and ignored.  The ``ORBendPoint`` environment variable is honoured too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

__all__ = ["ServerOptions", "parse_command_line", "CommandLineError"]

USAGE = ("usage: {prog} instance_name [-v[trace level]] [-host] [-port] [-file=<file_name> | -nodb [-dlist]] "
         "[-ORBendPoint giop:tcp:<host>:<port>]")


class CommandLineError(SystemExit):
    """A command line a device server cannot run with (the message says why)."""


@dataclass
class ServerOptions:
    exec_name: str
    instance: str
    verbose: int = 0
    nodb: bool = False
    device_list: list[str] = field(default_factory=list)
    endpoint_host: str = ""
    endpoint_port: int = 0
    publish_host: str = ""
    publish_port: int = 0
    file: str | None = None

    @property
    def server_name(self) -> str:
        return f"{self.exec_name}/{self.instance}"


def _endpoint(text: str, prog: str) -> tuple[str, int]:
    m = re.fullmatch(r"giop:tcp:(\[[^\]]*\]|[^:]*):(\d*)", text.strip())
    if not m:
        raise CommandLineError(f"{prog}: bad ORB end point {text!r} (expected giop:tcp:<host>:<port>)")
    host = m.group(1).strip("[]")
    return host, int(m.group(2) or 0)


def parse_command_line(argv: list[str]) -> ServerOptions:
    """``argv[0]`` is the executable (server) name; raises CommandLineError on a bad line."""
    if not argv:
        raise CommandLineError("device server: no server name")
    prog = os.path.splitext(os.path.basename(argv[0]))[0]
    args = list(argv[1:])
    if not args or args[0] in ("-h", "-?", "--help"):
        raise CommandLineError(USAGE.format(prog=prog))
    instance: str | None = None
    opts = ServerOptions(prog, "")
    host, port = "", ""
    endpoint: str | None = os.environ.get("ORBendPoint")
    publish: str | None = None
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        if re.fullmatch(r"-[vV]=?\d+", a):
            opts.verbose = int(re.findall(r"\d+", a)[0])
        elif a in ("-v", "-V") and nxt is not None and nxt.isdigit():
            opts.verbose = int(nxt)
            i += 1
        elif re.fullmatch(r"-v+", a):
            opts.verbose = max(opts.verbose, len(a) - 1)
        elif a == "--verbose":
            opts.verbose += 1
        elif a in ("-nodb", "--nodb"):
            opts.nodb = True
        elif a in ("-dlist", "--dlist"):
            if nxt is None:
                raise CommandLineError(f"{prog}: -dlist needs a device list")
            opts.device_list = [d for d in re.split(r"[,;]", nxt) if d]
            i += 1
        elif a in ("-port", "--port"):
            if nxt is None:
                raise CommandLineError(f"{prog}: -port needs a port number")
            port = nxt
            i += 1
        elif a in ("-host", "--host"):
            if nxt is None:
                raise CommandLineError(f"{prog}: -host needs a host")
            host = nxt
            i += 1
        elif a.startswith("-file=") or a.startswith("--file="):
            opts.file = a.split("=", 1)[1]
        elif a in ("-file", "--file"):
            if nxt is None:
                raise CommandLineError(f"{prog}: -file needs a path")
            opts.file = nxt
            i += 1
        elif a in ("-ORBendPoint", "--ORBendPoint"):
            if nxt is None:
                raise CommandLineError(f"{prog}: -ORBendPoint needs giop:tcp:<host>:<port>")
            endpoint = nxt
            i += 1
        elif a in ("-ORBendPointPublish", "--ORBendPointPublish"):
            if nxt is None:
                raise CommandLineError(f"{prog}: -ORBendPointPublish needs giop:tcp:<host>:<port>")
            publish = nxt
            i += 1
        elif re.match(r"--?ORB\w+", a):
            i += 1  # another ORB option and its value: accepted, ignored
        elif a.startswith("-"):
            raise CommandLineError(f"{prog}: unrecognized argument {a}\n" + USAGE.format(prog=prog))
        elif instance is None:
            instance = a
        else:
            raise CommandLineError(f"{prog}: unexpected argument {a}\n" + USAGE.format(prog=prog))
        i += 1
    if instance is None:
        raise CommandLineError(USAGE.format(prog=prog))
    opts.instance = instance
    if port and endpoint is None:
        if not port.isdigit():
            raise CommandLineError(f"{prog}: bad port {port!r}")
        endpoint = f"giop:tcp:{host or '0.0.0.0'}:{port}"
    elif host and endpoint is None:
        endpoint = f"giop:tcp:{host}:0"
    if endpoint is not None:
        opts.endpoint_host, opts.endpoint_port = _endpoint(endpoint, prog)
    if publish is not None:
        opts.publish_host, opts.publish_port = _endpoint(publish, prog)
    if opts.nodb and endpoint is None:
        raise CommandLineError("-nodb option should used with [-host] -port or -ORBendPoint options")
    if opts.device_list and not opts.nodb:
        raise CommandLineError("-dlist should be used only with -nodb option")
    return opts
