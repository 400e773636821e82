"""The ``itango`` console in a real terminal (tmux), as a user sees it: start-up banner and prompt,
TAB completion of device names, a DevFailed shown short, the ``%mon`` live view redrawn in place
(and the terminal usable afterwards), and a clean exit.

The console is started as ``python -m itango`` (the same entry point as the ``itango`` script)
with a private IPYTHONDIR, against the PyTango DB + Debian TangoTest of ``tango_host``.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pytest

from terminal_and_html import TmuxTerminal

PROMPT = r"\[(\d+)\]: ?$"   # "In [n]: " or itango's own prompt word before "[n]: "


@pytest.fixture
def console(tango_host, tmp_path):
    env = {
        "TANGO_HOST": tango_host,
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    try:
        term = TmuxTerminal([sys.executable, "-m", "itango"], env, width=120, height=40)
    except FileNotFoundError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    try:
        term.wait_for(PROMPT, timeout=40)
        yield term
    finally:
        term.close()


def _last_prompt_number(term: TmuxTerminal) -> int:
    numbers = re.findall(r"\[(\d+)\]:", term.screen())
    return int(numbers[-1]) if numbers else 0


def _run(term: TmuxTerminal, line: str, timeout: float = 20.0) -> str:
    """Type a line, check it is on a prompt line, press Enter, wait for the next prompt, and
    return the screen."""
    term.send(line)
    # no "$": prompt_toolkit may show a greyed history suggestion after what was typed
    term.wait_for(rf"\[(\d+)\]: {re.escape(line)}", timeout=timeout)
    n = int(re.findall(rf"\[(\d+)\]: {re.escape(line)}", term.screen())[-1])
    term.send("Enter")
    term.wait_for(rf"\[{n + 1}\]: ?$", timeout=timeout)
    return term.screen()


def test_banner_and_prompt(console, tango_host):
    screen = console.screen()
    assert re.search(r"itango", screen, re.I), screen
    assert tango_host in screen, "the banner should say which database the shell uses"
    assert "Traceback" not in screen


def _input_line(term: TmuxTerminal) -> str:
    """The line being edited (the last prompt line on the screen)."""
    lines = [ln for ln in term.screen().splitlines() if re.search(r"\[\d+\]:", ln)]
    return lines[-1] if lines else ""   # "" while prompt_toolkit is redrawing


def _tab_until(term: TmuxTerminal, pattern: str, where=None, tries: int = 20) -> None:
    """Press TAB (then wait a little) until ``pattern`` shows, on the screen or in ``where(term)``.

    Names load in the background at start-up, so a very early TAB may find none; a user would
    press TAB again.  Each TAB after the menu is shown moves its selection, as in any terminal.
    """
    look = where or (lambda t: t.screen())
    for _ in range(tries):
        term.send("Tab")
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            if re.search(pattern, look(term), re.M):
                return
            time.sleep(0.1)
    raise AssertionError(f"{pattern!r} never showed after {tries} TABs:\n{term.screen()}")


def test_tab_completes_device_names(console):
    # several candidates: a completion menu under the line
    console.send('Device("sys/')
    _tab_until(console, r"sys/database/")
    menu = console.screen().split('Device("sys/', 1)[1]
    assert "sys/tg_test/" in menu and "sys/access_control/" in menu
    console.send("Escape", "C-u")
    # a class name completes only devices of that class
    console.send('dev = TangoTest("sys/')
    _tab_until(console, r'dev = TangoTest\("sys/tg_test/1', where=_input_line)
    assert "sys/database" not in console.screen()
    if not _input_line(console).rstrip().endswith('"'):
        console.send('"')
    console.send(")", "Enter")
    console.wait_for(r"\[2\]: ?$")
    screen = _run(console, "dev.state()")
    assert "RUNNING" in screen


def test_devfailed_is_shown_short(console):
    screen = _run(console, 'Device("sys/tg_test/2")')
    assert "DB_DeviceNotDefined: device sys/tg_test/2 not defined in the database" in screen
    assert "Traceback" not in screen


def test_mon_question_mark_shows_its_usage(console):
    screen = _run(console, "%mon?")
    assert "Usage:" in screen, screen
    for line in ("%mon -a <dev>/<attr>", "%mon -d <dev>/<attr>", "%mon -w [dev filter]"):
        assert line in screen, screen
    assert "delegates" not in screen


def test_device_members_complete_once_each(console):
    _run(console, 'dev = Device("sys/tg_test/1")')
    console.send("dev.DevBo")
    _tab_until(console, r"dev\.DevBoolean", where=_input_line)
    console.send("C-u")
    console.send("dev.")
    _tab_until(console, r"DevBoolean")             # the menu is open
    menu = console.screen().rpartition("]: dev.")[2]
    assert "DevBoolean" in menu and menu.lower().count("devboolean") == 1, menu
    # one Ctrl-C closes the menu and abandons the line
    console.send("C-c")
    deadline = time.monotonic() + 10
    while "DevBoolean" in console.screen() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "DevBoolean" not in console.screen(), console.screen()
    assert re.search(r"\[\d+\]: ?$", _input_line(console)), _input_line(console)
    screen = _run(console, "6*7")
    assert re.search(r"\[\d+\]: 42$", screen, re.M), screen


@pytest.fixture
def polled_double_scalar(tango_host):
    import tango_core

    dev = tango_core.DeviceProxy("sys/tg_test/1")
    was = dev.get_attribute_poll_period("double_scalar")
    dev.poll_attribute("double_scalar", 200)
    yield
    if was:
        dev.poll_attribute("double_scalar", was)
    else:
        dev.stop_poll_attribute("double_scalar")


def test_mon_live_view_redraws_in_place_then_gives_the_prompt_back(console, polled_double_scalar):
    screen = _run(console, "%mon -a sys/tg_test/1/double_scalar -t periodic")
    assert "Monitoring sys/tg_test/1/double_scalar (periodic events)." in screen, screen
    console.send("%mon -w", "Enter")
    first = console.wait_for(r"^1\s+sys/tg_test/1/double_scalar\s+periodic\s+(\d+)\s", timeout=20)
    count = int(first.group(1))
    later = console.wait_for(rf"^1\s+sys/tg_test/1/double_scalar\s+periodic\s+(?!{count}\s)(\d+)\s", timeout=20)
    assert int(later.group(1)) > count
    # redrawn in place: one header on screen, not one per refresh
    assert console.screen().count("%mon live view") == 1
    n = _last_prompt_number(console)
    console.send("q")
    console.wait_for(rf"\[{n + 1}\]: ?$", timeout=20)
    # the terminal works normally again: the key that ended the view was not typed into the line
    screen = _run(console, "6*7")
    assert re.search(r"\[\d+\]: 42$", screen, re.M), screen
    assert "q6*7" not in screen
    # Ctrl-C leaves the view too, without a KeyboardInterrupt traceback
    console.send("C-l")                          # clear the screen: no frame of the last view
    # prompt_toolkit blanks the screen, then redraws the prompt: read its number only once the
    # prompt is back (a blank screen in between would give no number at all)
    deadline = time.monotonic() + 20
    while True:
        screen = console.screen()
        if "%mon live view" not in screen and re.search(PROMPT, screen, re.M):
            break
        assert time.monotonic() < deadline, f"Ctrl-L did not leave a clean prompt:\n{screen}"
        time.sleep(0.1)
    n = _last_prompt_number(console)
    console.send("%mon -w", "Enter")
    console.wait_for(r"^%mon live view", timeout=20)
    console.send("C-c")
    console.wait_for(rf"\[{n + 1}\]: ?$", timeout=20)
    assert "KeyboardInterrupt" not in console.screen()
    # with --for the view ends by itself
    n = _last_prompt_number(console)
    console.send("%mon -w --for 1.5", "Enter")
    console.wait_for(rf"\[{n + 1}\]: ?$", timeout=20)
    _run(console, "%mon -r")


def test_mon_live_view_of_nothing_says_so_and_keeps_the_next_command_whole(console):
    """``%mon -w`` before any ``%mon -a``: one line and the prompt back at once, not a live view
    of nothing that waited for a key and took the first one of the next command."""
    n = _last_prompt_number(console)
    console.send("%mon -w", "Enter")
    console.wait_for(rf"\[{n + 1}\]: ?$", timeout=20)
    screen = console.screen()
    assert "No attribute is monitored. Start with: %mon -a <device>/<attribute>" in screen, screen
    assert "%mon live view" not in screen, screen
    screen = _run(console, "6*7")
    assert re.search(r"\[\d+\]: 42$", screen, re.M), screen
    screen = _run(console, "%mon -a sys/tg_test/1/float_scalar")
    assert "client-polled" in screen, screen
    screen = _run(console, "%mon -w no_such_device")  # a filter that matches nothing: a usage error
    assert "UsageError: %mon -w: no monitored attribute matches 'no_such_device'; %mon lists them" in screen
    assert "%mon live view" not in screen, screen
    _run(console, "%mon -r")


def test_mon_tables_with_an_error_keep_each_row_on_one_line(console, db_server):
    """An error event's text is long (reason and description): %mon and %mon -l cut the value
    column so that every row fits the terminal (120 columns here) instead of wrapping."""
    device = re.sub(r"^tango://[^/]+/", "", db_server.devices[0])  # in the shell's database
    name = f"{device}/failing_read"
    screen = _run(console, f"%mon -a {name} --period 0.3")
    assert "client-polled" in screen, screen
    time.sleep(1.5)
    console.send("C-l")
    time.sleep(0.5)
    screen = _run(console, "%mon")
    row = re.search(rf"^1\s+{re.escape(name)}\s+client-polled \(300 ms\)\s+\d+ \(\d+ err\)\s+"
                    rf"ERROR \S.*…\s+-\s+\d\d:\d\d:\d\d\.\d{{3}}", screen, re.M)
    assert row and len(row.group(0)) < 120, screen
    screen = _run(console, "%mon -l")
    rows = re.findall(rf"^\d+\s+[\d:.]+\s+{re.escape(device)}\s+failing_read\s+client-polled\s+"
                      rf"ERROR \S.*…\s+-$", screen, re.M)
    assert len(rows) >= 2 and all(len(r) < 120 for r in rows), screen
    _run(console, "%mon -r")


def test_mon_reads_an_unpolled_attribute_itself(console, tango_host):
    """The README's first %mon on an attribute its server does not poll: one line says so,
    and the live view shows the rows %mon reads itself, marked client-polled."""
    import tango_core

    dev = tango_core.DeviceProxy("sys/tg_test/1")
    assert not dev.is_attribute_polled("float_scalar")
    screen = _run(console, "%mon -a sys/tg_test/1/float_scalar --period 0.3")
    # what was printed between the command and the next prompt, as one line (tmux wraps it)
    said = "".join(screen.split("--period 0.3\n", 1)[1].split("\n\n", 1)[0].splitlines())
    assert said.startswith("Monitoring sys/tg_test/1/float_scalar by reading it every "
                                    "300 ms (client-polled): it is not polled by its server "
                                    "(API_AttributePollingNotStarted)"), screen
    assert "Traceback" not in screen and "DevFailed" not in screen
    n = _last_prompt_number(console)
    console.send("%mon -w", "Enter")
    row = r"^1\s+sys/tg_test/1/float_scalar\s+client-polled \(300 ms\)\s+"
    first = console.wait_for(row + r"(\d+)\s", timeout=20)
    count = int(first.group(1))
    later = console.wait_for(row + rf"(?!{count}\s)(\d+)\s", timeout=20)
    assert int(later.group(1)) > count
    console.send("q")
    console.wait_for(rf"\[{n + 1}\]: ?$", timeout=20)
    screen = _run(console, "%mon -d sys/tg_test/1/float_scalar")
    assert "Stopped monitoring sys/tg_test/1/float_scalar" in screen
    assert not dev.is_attribute_polled("float_scalar")   # the server was never asked to poll


def test_exit_ends_the_console(console):
    console.send("exit", "Enter")
    deadline = time.monotonic() + 15
    while not console.dead() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert console.dead(), console.screen()
    status = console.exit_status()
    assert status == 0, f"exit status {status!r}, process {console.process_state()}:\n{console.screen()}"
