"""``python -m tango_core.pytango_alias COMMAND [ARG ...]`` (or ``tango-core-as-pytango COMMAND ...``):
run COMMAND with ``import tango`` meaning tango_core, in it and in every Python process it starts.

    python -m tango_core.pytango_alias pytest tests/
    python -m tango_core.pytango_alias python my_script.py
    tango-core-as-pytango python my_device_server.py instance

COMMAND runs with the directory of tango_core's ``tango`` package first on PYTHONPATH (the rest of
PYTHONPATH after it) and replaces this process (its exit status is the command's).  The Python
that COMMAND runs must have tango_core installed.  When this Python can import a real PyTango too,
one line on stderr says that the alias shadows it for this command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tango_core.pytango_alias import environment, other_tango

USAGE = "usage: {prog} COMMAND [ARG ...]\n  e.g. {prog} python my_script.py\n       {prog} pytest tests/"


def _prog() -> str:
    name = Path(sys.argv[0]).name
    return "python -m tango_core.pytango_alias" if name in ("__main__.py", "") else name


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` (default: this process's arguments) with the alias on PYTHONPATH;
    returns an exit status only when the command could not be started (or on Windows, where the
    command runs as a child process)."""
    args = list(sys.argv[1:] if argv is None else argv)
    prog = _prog()
    if args[:1] == ["--"]:
        args = args[1:]
    elif args[:1] and args[0] in ("-h", "--help"):
        print(USAGE.format(prog=prog))
        print("\nRuns COMMAND with `import tango` giving tango_core (PyTango's API in pure Python), in it and in\n"
              "the Python processes it starts: PyTango scripts, device servers and test suites, unedited.")
        return 0
    if not args:
        print(USAGE.format(prog=prog), file=sys.stderr)
        print(f"{prog}: error: no command given: name the command to run with `import tango` meaning tango_core",
              file=sys.stderr)
        return 2
    shadowed = other_tango()
    if shadowed is not None:
        print(f"{prog}: warning: PyTango is importable too ({shadowed}); the alias shadows it for this command: "
              "`import tango` gives tango_core", file=sys.stderr)
    env = environment()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if os.name == "nt":  # exec there starts a new process and returns at once: wait for a child instead
            return subprocess.call(args, env=env)
        os.execvpe(args[0], args, env)  # does not return
    except FileNotFoundError:
        print(f"{prog}: error: command not found: {args[0]}", file=sys.stderr)
        return 127
    except PermissionError as exc:
        print(f"{prog}: error: cannot run {args[0]}: {exc.strerror}", file=sys.stderr)
        return 126
    except KeyboardInterrupt:  # Windows: the child had the Ctrl-C too
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
