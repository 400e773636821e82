"""Shells for the ITango 0.3.0 conformance tests (tests/shell/test_itango_compat.py).

ITango's tests drive a ``TerminalInteractiveShell`` in-process and read what the user would see
on stdout; these functions do the same for shells of our own (not the global singleton), each
pointed at one database by TANGO_HOST, as a user starting ``itango`` would have it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shells import reset_default_database


def new_terminal_shell() -> Any:
    """A fresh (non-singleton) terminal shell: no history file, no colours, no prompt loop."""
    from IPython.terminal.interactiveshell import TerminalInteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.TerminalInteractiveShell.simple_prompt = True
    shell = TerminalInteractiveShell(config=config)
    shell.colors = "nocolor"
    return shell


@contextmanager
def itango_shell_on(tango_host: str, restore_host: str | None = None) -> Iterator[Any]:
    """A new terminal shell with itango loaded while TANGO_HOST=``tango_host`` (like starting
    ``itango`` with that environment).  Nothing waits for the background load: the extension
    must be usable as soon as ``load_extension`` returns, as ITango's is.  On exit the extension
    is unloaded and the default database goes back to ``restore_host`` (or the old TANGO_HOST)."""
    saved = os.environ.get("TANGO_HOST")
    reset_default_database(tango_host)
    shell = new_terminal_shell()
    shell.extension_manager.load_extension("itango")
    try:
        yield shell
    finally:
        try:
            shell.run_line_magic("mon", "-r")
        except Exception:
            pass
        shell.extension_manager.unload_extension("itango")
        back = restore_host or saved
        if back is None:
            from tango_core.client import names

            names.set_default_tango_host(None)
            os.environ.pop("TANGO_HOST", None)
        else:
            reset_default_database(back)


def run(shell: Any, code: str) -> tuple[Any, str]:
    """Run one cell; return (ExecutionResult, what the user saw: stdout + stderr + displays)."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(code)
    shown = "".join(o.data.get("text/plain", "") + "\n" for o in captured.outputs)
    return result, captured.stdout + captured.stderr + shown


def run_stdout(shell: Any, code: str) -> tuple[Any, str]:
    """Run one cell; return (ExecutionResult, stdout only) -- what ITango's tests look at."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(code)
    return result, captured.stdout


def legacy_matches(shell: Any, line: str) -> list[str]:
    """``shell.complete(None, line)``: the matches list of IPython's classic completion API
    (what ITango's completers fed and what older tests call)."""
    _, matches = shell.complete(None, line, len(line))
    return list(matches)


def completions(shell: Any, text: str) -> list[tuple[str, str]]:
    """IPython's v2 completion API (what front ends use): [(text, type)] at the end of text."""
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        return [(c.text, c.type) for c in shell.Completer.completions(text, len(text))]


def ensure_polled(device: str, attribute: str, period_ms: int = 100,
                  abs_change: str | None = "1") -> None:
    """Poll an attribute of a (private) TangoTest and give it change criteria, with PyTango
    (a test peer) so the shell under test starts from a known server configuration."""
    import peers

    peers.enable_polling_and_change_events(device, attribute, period_ms=period_ms,
                                           abs_change=abs_change)


def fetch_itango_0_3_sdist(directory: Any) -> Any:
    """Download ITango 0.3.0's sdist into ``directory`` with pip and unpack it; returns the
    unpacked ``itango-0.3.0`` directory (raises with pip's own words when that fails)."""
    import subprocess
    import sys
    import tarfile
    from pathlib import Path

    directory = Path(directory)
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                           "--no-binary", ":all:", "--disable-pip-version-check",
                           "itango==0.3.0", "-d", str(directory)],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    archives = sorted(directory.glob("itango-0.3.0.tar.gz"))
    if proc.returncode != 0 or not archives:
        problem = [ln for ln in (proc.stderr + proc.stdout).splitlines() if "is ignored" not in ln]
        raise RuntimeError(f"pip download itango==0.3.0 failed (exit {proc.returncode}): "
                           + " ".join(problem)[-600:])
    with tarfile.open(archives[0]) as archive:
        archive.extractall(directory, filter="data")
    return directory / "itango-0.3.0"
