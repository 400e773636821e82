"""``parse_args`` (PyTango's ``tango.pyutil.parse_args``, the device server command line made
ready for Tango's core) gives what PyTango 10.3.1's gives for the same line, on Linux and on
Windows: the same arguments in the same order, or a SystemExit with the same code and message."""

from __future__ import annotations

import contextlib
import io
import sys

import pytest

from tango_core.server.command_line import parse_args

pytango_pyutil = pytest.importorskip("tango.pyutil")  # the reference (PyTango is a test peer)

LINES = [
    # end points: -port/-host, -ORBendPoint, in any order, single or double dash, '=' values
    "MyDs instance --nodb --port 1234",
    "MyDs -port 1234 -host myhost instance",
    "MyDs instance --ORBendPoint giop:tcp::1234",
    "MyDs instance -ORBendPoint=giop:tcp:1.2.3.4:5 -port 7",
    "MyDs instance -host myhost",
    "MyDs instance -port=99 --host=h",
    "MyDs.py instance -nodb -port 1000 -dlist a/b/c;d/e/f",
    "/usr/bin/MyDs.py instance",
    # files
    "MyDs instance -file a/b/c",
    "MyDs instance -file=a/b/c",
    "MyDs instance --file a/b/c",
    # trace levels: counted, explicit, both (the explicit one wins)
    "MyDs instance -vvvv",
    "MyDs instance -v4",
    "MyDs instance -v 4",
    "MyDs instance -v=4",
    "MyDs instance -V2",
    "MyDs instance --verbose --verbose",
    "MyDs instance -vv -v5",
    "MyDs -v 3 instance -v",
    "MyDs instance -v",
    # other ORB options go through with their values
    "MyDs instance -ORBtraceLevel 5",
    "MyDs instance --ORBtraceLevel 5 -ORBendPointPublish giop:tcp:a:1 -port 2",
    # several instance names, abbreviations argparse allows
    "MyDs one two",
    "MyDs instance -nod -por 3",
    "MyDs instance --no -po 3",
    # refused: PyTango's two rules, argparse's errors, Windows-only options elsewhere
    "MyDs instance -nodb",
    "MyDs instance -dlist a/b/c;d/e/f",
    "MyDs instance -dlist a -port 1",
    "MyDs",
    "MyDs instance -port",
    "MyDs instance -unknown",
    "MyDs instance -orbtraceLevel 5",
    "MyDs instance -dbg",
    "MyDs instance --dbg -i -s -u",
    "MyDs instance -i",
    "MyDs instance -h",
]


def _outcome(parse, line: str) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return ("args", parse(line.split()))
    except SystemExit as exc:
        return ("exit", exc.code, err.getvalue().splitlines()[-1:] if exc.code == 2 else None)


@pytest.mark.parametrize("platform", ["linux", "win32"])
@pytest.mark.parametrize("line", LINES)
def test_parse_args_as_pytango(line: str, platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    ours = _outcome(parse_args, line)
    assert ours == _outcome(pytango_pyutil.parse_args, line)


def test_parse_args_results() -> None:
    """What the comparison above covers, said plainly once."""
    assert parse_args("MyDs -port 1234 -host myhost instance -vvv".split()) == [
        "MyDs", "instance", "-v3", "-ORBendPoint", "giop:tcp:myhost:1234"]
    assert parse_args("MyDs.py inst -nodb -port 1 -dlist a/b/c -file=f".split()) == [
        "MyDs", "inst", "-file=f", "-nodb", "-dlist", "a/b/c", "-ORBendPoint", "giop:tcp:0.0.0.0:1"]
    with pytest.raises(SystemExit, match="-nodb option should used with"):
        parse_args(["MyDs", "instance", "-nodb"])
    line = ["MyDs", "instance", "-v", "2"]
    parse_args(line)
    assert line == ["MyDs", "instance", "-v", "2"]  # the caller's list is left alone
