"""PyTango's device server command line.

``<exec> <instance> [-v[N]] [-nodb -dlist a/b/c,d/e/f] [-port N] [-host H]
[-ORBendPoint giop:tcp:<host>:<port>] [-ORBendPointPublish giop:tcp:<host>:<port>] [-file=<path>]``

``-vN`` (also ``-v N``, ``-vvv``, ``--verbose``) sets the console logging level (N = 1..5);
``-nodb`` needs a port (``-port`` or ``-ORBendPoint``), as PyTango requires; other ``-ORBxxx``
options are accepted and ignored.  The ``ORBendPoint`` environment variable is honoured too.

``parse_args`` is PyTango's ``tango.pyutil.parse_args``: the same line rewritten for Tango's core
(argparse's rules, as PyTango's).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from ..wire.structs import field, record

if TYPE_CHECKING:
    import argparse  # imported by parse_args when called: a server does not need it to start

__all__ = ["ServerOptions", "parse_command_line", "parse_args", "CommandLineError"]

USAGE = ("usage: {prog} instance_name [-v[trace level]] [-host] [-port] [-file=<file_name> | -nodb [-dlist]] "
         "[-ORBendPoint giop:tcp:<host>:<port>]")


class CommandLineError(SystemExit):
    """A command line a device server cannot run with (the message says why)."""


@record
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


def _value_after(option: str, value: str | None, what: str, prog: str) -> str:
    """The value given after ``option`` on the command line, or a clear error when the line ends there."""
    if value is None:
        raise CommandLineError(f"{prog}: {option} needs {what}")
    return value


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
            devices = _value_after("-dlist", nxt, "a device list", prog)
            opts.device_list = [d for d in re.split(r"[,;]", devices) if d]
            i += 1
        elif a in ("-port", "--port"):
            port = _value_after("-port", nxt, "a port number", prog)
            i += 1
        elif a in ("-host", "--host"):
            host = _value_after("-host", nxt, "a host", prog)
            i += 1
        elif a.startswith("-file=") or a.startswith("--file="):
            opts.file = a.split("=", 1)[1]
        elif a in ("-file", "--file"):
            opts.file = _value_after("-file", nxt, "a path", prog)
            i += 1
        elif a in ("-ORBendPoint", "--ORBendPoint"):
            endpoint = _value_after("-ORBendPoint", nxt, "giop:tcp:<host>:<port>", prog)
            i += 1
        elif a in ("-ORBendPointPublish", "--ORBendPointPublish"):
            publish = _value_after("-ORBendPointPublish", nxt, "giop:tcp:<host>:<port>", prog)
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


def _args_parser(prog: str, orb_options: list[str]) -> "argparse.ArgumentParser":
    """The options PyTango's ``parse_args`` knows, with argparse's rules (abbreviations,
    ``-x=value``, its error messages and exit status 2); the Windows service options only on
    Windows; ``orb_options``: the other ``-ORBxxx`` names the line uses, each taking a value."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog=prog, add_help=False,
        usage="%(prog)s instance_name [-v[trace level]] [-host] [-port] [-file=<file_name> | -nodb [-dlist]]")
    parser.add_argument("instance_name", nargs="+", help="device server instance name")
    parser.add_argument("-h", "-?", "--help", action="help", help="show this help message and exit")
    parser.add_argument("-v", "--verbose", dest="verbose", action="count",
                        help="trace level, counted: -vv or --verbose --verbose")
    parser.add_argument("-vLEVEL", dest="vn", metavar=" ", help="trace level LEVEL (-v4, -v 4)")
    parser.add_argument("-file", "--file", dest="file", metavar="FILE_PATH",
                        help="devices and properties from this file instead of the database")
    parser.add_argument("-host", "--host", dest="host", default="0.0.0.0", help="host to listen on")
    parser.add_argument("-port", "--port", dest="port", default="", help="port to listen on")
    if sys.platform.startswith("win"):
        for flags, text in ((("-dbg", "--dbg"), "debug"), (("-i",), "install the service"),
                            (("-s",), "install the service, started automatically"),
                            (("-u",), "uninstall the service")):
            parser.add_argument(*flags, dest=flags[0][1:], action="store_true", help=text)
    no_db = parser.add_argument_group("without a database")
    no_db.add_argument("-nodb", "--nodb", dest="nodb", action="store_true", help="run without a database")
    no_db.add_argument("-dlist", "--dlist", dest="dlist", metavar="DEV1,DEV2,etc",
                       help="the devices to serve (only with -nodb)")
    orb = parser.add_argument_group("ORB options (-ORBxxx), passed on")
    orb.add_argument("-ORBendPoint", "--ORBendPoint", dest="ORBendPoint", metavar="giop:tcp:<host>:<port>",
                     help="where the server listens")
    for name in orb_options:
        orb.add_argument("-" + name, "--" + name, dest=name)
    return parser


def _pop_trace_level(args: list[str]) -> int | None:
    """Remove the first ``-vN``/``-v=N``/``-v N`` from ``args``; its level (argparse cannot
    take both ``-vvv`` and ``-v3``)."""
    for i, arg in enumerate(args):
        if re.match(r"-[vV]=?\d+", arg):
            del args[i]
            return int(re.findall(r"\d+", arg)[0])
        if len(arg) == 2 and re.match(r"-[vV]", arg) and i + 1 < len(args) and re.match(r"\d+", args[i + 1]):
            level = int(args[i + 1])
            del args[i:i + 2]
            return level
    return None


def parse_args(args: list[str]) -> list[str]:
    """PyTango's ``tango.pyutil.parse_args``: a device server's command line as Tango's core
    reads it, ``[exec, instance..., -vN, -file=F, -nodb, -dlist L, -ORBendPoint E, -ORBxxx V...]``.
    ``-port``/``-host`` become ``-ORBendPoint giop:tcp:<host>:<port>`` (host 0.0.0.0 unless
    given), ``-vvv``/``--verbose`` a ``-vN`` (an explicit ``-vN`` wins), double dashes single.
    A line a server cannot run with ends in SystemExit: argparse's errors, and PyTango's two
    rules (``-nodb`` needs an end point, ``-dlist`` needs ``-nodb``).  ``args`` is left as it is."""
    args = list(args)
    orb_options: list[str] = []
    for arg in args:
        m = re.match(r"(-ORB|--ORB)(\w+)", arg)
        if m and m.group(2) != "endPoint":
            name = arg.lstrip("-")
            if name not in orb_options:
                orb_options.append(name)
    level = _pop_trace_level(args)
    parser = _args_parser(os.path.splitext(args[0])[0], orb_options)
    parsed = vars(parser.parse_args(args[1:]))
    endpoint = parsed["ORBendPoint"]
    if parsed["port"] and endpoint is None:
        endpoint = parsed["ORBendPoint"] = f"giop:tcp:{parsed['host']}:{parsed['port']}"
    if parsed["nodb"] and endpoint is None:
        raise SystemExit("-nodb option should used with [-host] -port or -ORBendPoint options")
    if parsed["dlist"] is not None and not parsed["nodb"]:
        raise SystemExit("-dlist should be used only with -nodb option")
    out = [parser.prog, *parsed.pop("instance_name")]
    count = parsed.pop("verbose")
    if level is not None or count is not None:
        out.append(f"-v{level if level is not None else count}")
    for key in ("host", "port"):
        del parsed[key]
    for key, value in parsed.items():  # in the parser's order: file, (Windows flags), nodb, dlist, ORB
        if value is True:
            out.append(f"-{key}")
        elif key == "file" and value is not None:
            out.append(f"-file={value}")
        elif value is not None and value is not False:
            out += [f"-{key}", value]
    return out
