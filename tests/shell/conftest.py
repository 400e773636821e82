"""Fixtures for in-process shell tests: an IPython shell with itango loaded on the real peers.

* ``itango_shell``  an ``InteractiveShell`` (no terminal) with the extension loaded against
  ``tango_host`` (PyTango DB + TangoTest), its first database load finished.
* ``run``           ``run(shell, code) -> (result, stdout)``: one cell, output captured.
* ``complete``      ``complete(shell, text) -> [(text, type, start)]`` through IPython's own
  completion API (``Completer.completions``), i.e. what a front end receives, without the
  no-op completion itango answers when a Tango name has nothing to offer (type "no match",
  tested on its own in test_completion.py).
* ``complete_until`` ``complete_until(shell, text, ready) -> [(text, type, start)]``: TAB again
  (as a user would) until ``ready(found)``, for lists fetched from a device in the
  background (a TAB waits for them only a fraction of a second, which a loaded machine can
  exceed); returns the last answer after 30 s, so the test's own assertion then fails.

Each shell gets its own in-memory history, so nothing is written to the user's home.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shells import make_shell, reset_default_database

# IPython creates its profile directory on first use: keep it out of the user's home (and
# remove it when the session ends, see pytest_sessionfinish).
_OUR_IPYTHONDIR = None if "IPYTHONDIR" in os.environ else tempfile.mkdtemp(prefix="itango-tests-ipython-")
if _OUR_IPYTHONDIR is not None:
    os.environ["IPYTHONDIR"] = _OUR_IPYTHONDIR


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _OUR_IPYTHONDIR is not None:
        shutil.rmtree(_OUR_IPYTHONDIR, ignore_errors=True)


@pytest.fixture
def itango_shell(tango_host: str) -> Iterator[Any]:
    shell = make_shell()
    shell.extension_manager.load_extension("itango")
    from itango.session import get_session

    session = get_session(shell)
    assert session is not None and session.wait_ready(30), "first database load did not finish"
    assert session.inventory is not None, f"load failed: {session.load_error!r}"
    yield shell
    shell.extension_manager.unload_extension("itango")
    reset_default_database(tango_host)


def _run(shell: Any, code: str) -> tuple[Any, str]:
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(code)
    return result, captured.stdout + captured.stderr


@pytest.fixture
def run() -> Callable[[Any, str], tuple[Any, str]]:
    return _run


def _complete(shell: Any, text: str) -> list[tuple[str, str, int]]:
    from IPython.core.completer import provisionalcompleter

    from itango.completion import NO_MATCH

    with provisionalcompleter():
        return [(c.text, c.type, c.start) for c in shell.Completer.completions(text, len(text))
                if c.type != NO_MATCH]


@pytest.fixture
def complete() -> Callable[[Any, str], list[tuple[str, str, int]]]:
    return _complete


def _complete_until(shell: Any, text: str, ready: Callable[[list], bool],
                    timeout: float = 30.0) -> list[tuple[str, str, int]]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = _complete(shell, text)
        if ready(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture
def complete_until() -> Callable[..., list[tuple[str, str, int]]]:
    return _complete_until
