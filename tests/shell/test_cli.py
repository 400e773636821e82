"""The ``itango`` command in a real pseudo-terminal (pexpect), and its non-interactive options."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


def _env(tmp_path: Path, tango_host: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["HOME"] = str(tmp_path / "home")
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    env.pop("TANGO_HOST", None)
    if tango_host:
        env["TANGO_HOST"] = tango_host
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def _itango(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "itango", *args], env=env, capture_output=True,
                          text=True, timeout=60)


class Terminal:
    """``itango`` under a pty; ``text()`` is the output so far without escape sequences."""

    def __init__(self, env: dict[str, str]):
        self.child = pexpect.spawn(sys.executable, ["-m", "itango", "--colors=nocolor"], env=env,
                                   encoding="utf-8", timeout=30, dimensions=(50, 220))
        self.out = ""

    def expect(self, pattern: str, quiet_timeout: float = 60.0) -> str:
        """Wait for ``pattern`` in the escape-free output; returns all output so far.
        Fails after ``quiet_timeout`` seconds without any output (generous: the suite runs on
        a loaded 2-core machine; a hang still fails)."""
        wanted = re.compile(pattern)
        while not wanted.search(ANSI.sub("", self.out)):
            try:
                self.out += self.child.read_nonblocking(65536, timeout=quiet_timeout)
            except (pexpect.TIMEOUT, pexpect.EOF) as exc:
                raise AssertionError(f"{pattern!r} not seen ({type(exc).__name__}); screen:\n"
                                     + ANSI.sub("", self.out)[-3000:]) from None
        return ANSI.sub("", self.out)

    def run(self, line: str, until: str) -> str:
        self.child.send(line + "\r")
        return self.expect(until)

    def tab(self, typed: str, completed: str, *, deadline: float = 60.0) -> str:
        """Type ``typed``, press TAB and wait for ``completed`` (a regex) on screen.

        Completion never waits long for the network (that is the design: a TAB must not
        freeze the prompt), so on a loaded machine the first TAB can come back empty while
        the device's attribute list is still being fetched; a user then presses TAB again,
        and so does this helper (every few seconds, until ``deadline``)."""
        import time

        wanted = re.compile(completed)
        self.child.send(typed + "\t")
        end = time.monotonic() + deadline
        next_tab = time.monotonic() + 3.0
        while not wanted.search(ANSI.sub("", self.out)):
            now = time.monotonic()
            if now > end:
                raise AssertionError(f"{completed!r} not seen after TAB; screen:\n"
                                     + ANSI.sub("", self.out)[-3000:] + self._diagnosis())
            if now > next_tab:
                self.child.send("\t")
                next_tab = now + 3.0
            try:
                self.out += self.child.read_nonblocking(65536, timeout=0.5)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                raise AssertionError(f"{completed!r} not seen (EOF); screen:\n"
                                     + ANSI.sub("", self.out)[-3000:]) from None
        return ANSI.sub("", self.out)

    def _diagnosis(self) -> str:
        """What the shell's caches say (for a failure report): abandon the line, ask."""
        import time

        self.child.sendcontrol("c")
        self.child.send("from itango.session import get_session as _g; _c = _g(get_ipython())"
                        ".catalog; print('DIAG', _c._cache, list(_c._inflight), "
                        "_g(get_ipython()).inventory is not None)\r")
        end = time.monotonic() + 20
        answered = re.compile(r"\nDIAG .*(.|\n)*In \[\d+\]:")
        while not answered.search(ANSI.sub("", self.out).rpartition("print('DIAG'")[2]) and \
                time.monotonic() < end:
            try:
                self.out += self.child.read_nonblocking(65536, timeout=0.5)
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
        return "\n--- diagnosis ---\n" + ANSI.sub("", self.out)[-4000:]

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendline("exit")
            try:
                self.child.expect(pexpect.EOF, timeout=10)
            except pexpect.TIMEOUT:
                self.child.terminate(force=True)


def test_version_and_help_say_our_own_things(tmp_path):
    env = _env(tmp_path, None)
    out = _itango("--version", env=env)
    assert out.returncode == 0
    assert re.fullmatch(r"itango \S+  tango_core \S+  IPython \S+  Python \S+\n", out.stdout)
    out = _itango("--help", env=env)
    assert out.returncode == 0
    assert "itango qtconsole" in out.stdout and "itango kernel install" in out.stdout
    assert "%switchdb" in out.stdout


def test_help_examples_are_typed_as_a_user_would_type_them():
    from itango.cli import HELP

    shell_part = HELP.partition("In the shell:")[2]
    for line in shell_part.splitlines():
        example = line.strip().split("  ")[0]
        if example.count('"') % 2:            # an opened string: TAB completes inside it
            assert example.endswith("<TAB>") and re.search(r'\("[\w/]*<TAB>$', example), line
    assert '("...)' not in HELP and "%mon?" in HELP


def _sample_banners(path: Path) -> list[list[str]]:
    """The banners a doc shows: the lines after ``$ TANGO_HOST=... itango`` up to the first
    prompt or blank line."""
    found, lines = [], path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\$ TANGO_HOST=\S+ itango$", line):
            banner = []
            for after in lines[i + 1:]:
                if not after.strip() or " In [" in after or after.startswith("```"):
                    break
                banner.append(after)
            found.append(banner)
    return found


@pytest.mark.parametrize("doc", ["README.md", "docs/shell.md"])
def test_the_sample_banner_in_the_docs_is_the_real_one(doc):
    """The banner shown in the docs is what ``itango`` prints (IPython's and Python's versions
    may differ from the machine the sample was made on; ours may not)."""
    from itango import cli

    real = cli.banner("127.0.0.1:10000", None).splitlines()
    samples = _sample_banners(REPO / doc)
    assert samples, f"no sample banner in {doc}"

    def general(line: str) -> str:
        return re.sub(r"(IPython|Python) \d+\.\d+\.\d+", r"\1 X", line)

    for sample in samples:
        assert [general(x) for x in sample] == [general(x) for x in real], "\n".join(sample)


def test_kernel_subcommand_is_dispatched(tmp_path):
    out = _itango("kernel", "--help", env=_env(tmp_path, None))
    assert out.returncode == 0, out.stderr
    assert "kernelspec" in out.stdout


def test_terminal_banner_prompt_completion_and_switchdb(tmp_path, tango_host, cpp_tango_host):
    term = Terminal(_env(tmp_path, tango_host))
    try:
        screen = term.expect(rf"{re.escape(tango_host)} In \[1\]:")
        assert re.search(r"ITango \S+ -- interactive Tango shell on tango_core \S+ "
                         r"\(IPython \S+, Python \S+\)", screen)
        assert f"Database: {tango_host}" in screen
        # the first cell waits for the background load: completion is then from the cache
        term.run("1 + 1", rf"Out\[1\]: 2(.|\n)*{re.escape(tango_host)} In \[2\]:")
        term.tab('dev = TangoTest("sys/tg_test/', r'TangoTest\("sys/tg_test/1')
        screen = term.run('")', rf"{re.escape(tango_host)} In \[3\]:")
        screen = term.run("dev.state()", r"Out\[3\]: .*RUNNING")
        term.tab('dev.read_attribute("double_scalar_r', r'read_attribute\("double_scalar_rww')
        screen = term.run('").value', r"Out\[4\]: ")
        screen = term.run(f"%switchdb {cpp_tango_host}", rf"{re.escape(cpp_tango_host)} In \[6\]:")
        assert f"Switched to {cpp_tango_host}" in screen
        screen = term.run("Device('sys/tg_test/1').get_db_port()",
                          r"Out\[6\]: '" + cpp_tango_host.split(":")[1] + "'")
    finally:
        term.close()


def test_terminal_without_a_database_says_so_once_and_works(tmp_path, tango_host):
    from peers import free_port

    dead = f"127.0.0.1:{free_port()}"
    term = Terminal(_env(tmp_path, dead))
    try:
        screen = term.expect(r"In \[1\]:")
        assert f"no database reachable at {dead}" in screen
        screen = term.run(f"Device('tango://{tango_host}/sys/tg_test/1').state()",
                          rf"Out\[1\]: .*RUNNING(.|\n)*{re.escape(dead)} \(offline\) In \[2\]:")
        assert screen.count("no database reachable") == 1
    finally:
        term.close()


def test_no_files_are_written_outside_ipython_own_profile(tmp_path, tango_host):
    env = _env(tmp_path, tango_host)
    env.pop("IPYTHONDIR")
    out = _itango("-c", "print(type(db).__name__, TangoTest.devices())", env=env)
    assert out.returncode == 0, out.stderr
    assert "Database ['sys/tg_test/1']" in out.stdout
    home = tmp_path / "home"
    created = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_dir())
    assert not any("profile_tango" in p or "jupyter" in p or "kernels" in p for p in created), created


def test_the_tango_profile_loads_the_extension(tmp_path, tango_host):
    import shutil

    env = _env(tmp_path, tango_host)
    profile = tmp_path / "profile_tango"  # a copy: IPython writes its history into the profile
    shutil.copytree(REPO / "profiles" / "profile_tango", profile)
    out = subprocess.run([sys.executable, "-m", "IPython", "--profile-dir", str(profile), "-c",
                          "print(DeviceProxy.__module__, TangoTest('sys/tg_test/1').state())"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tango_core" in out.stdout and "RUNNING" in out.stdout


def test_a_hung_database_never_delays_the_prompt(tmp_path):
    """A database that accepts connections but never answers: the prompt comes at once, the
    "no database reachable" line later, from the background load (after the call timeout)."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:  # listens, never accepts or answers
        hung = f"127.0.0.1:{server.getsockname()[1]}"
        term = Terminal(_env(tmp_path, hung))
        try:
            term.expect(rf"{re.escape(hung)} In \[1\]:")
            screen = term.expect(rf"no database reachable at {re.escape(hung)}")
            assert screen.index(f"{hung} In [1]:") < screen.index("no database reachable")
            assert f"Database: {hung}" in screen  # the TCP connect itself succeeded
            screen = term.run("1 + 1", r"Out\[1\]: 2")
        finally:
            term.close()


def test_terminal_tab_completes_a_full_name_across_colons(tmp_path, tango_host):
    """IPython's own token splitter cuts at ':'; in the real prompt the whole TRL completes."""
    term = Terminal(_env(tmp_path, tango_host))
    try:
        term.expect(rf"{re.escape(tango_host)} In \[1\]:")
        term.run("1 + 1", r"Out\[1\]: 2(.|\n)*In \[2\]:")  # the first cell waits for the load
        term.tab(f'Device("tango://{tango_host}/sys/tg_test/',
                 rf'Device\("tango://{re.escape(tango_host)}/sys/tg_test/1')
        screen = term.run('").dev_name()', r"Out\[2\]: 'sys/tg_test/1'")
        assert "Error" not in screen
    finally:
        term.close()


def test_ctrl_c_while_the_first_cell_waits_for_a_hung_database(tmp_path):
    """The first cell waits (bounded) for the device list; Ctrl-C ends that wait with one
    line, not IPython's "Error in callback" traceback, and the cell still runs."""
    import socket
    import termios
    import time

    with socket.create_server(("127.0.0.1", 0)) as server:  # listens, never answers
        hung = f"127.0.0.1:{server.getsockname()[1]}"
        term = Terminal(_env(tmp_path, hung))
        try:
            term.expect(rf"{re.escape(hung)} In \[1\]:")
            term.child.send("6 * 7\r")
            # Ctrl-C must come while the cell runs, i.e. once the prompt left raw mode (here
            # prompt_toolkit first waits up to 1 s for a cursor-position answer pexpect never
            # gives); the tty's own ISIG flag says when
            deadline = time.monotonic() + 20
            while not termios.tcgetattr(term.child.child_fd)[3] & termios.ISIG:
                assert time.monotonic() < deadline, "the cell never started"
                time.sleep(0.02)
            time.sleep(0.3)  # past IPython's few lines between the prompt and the cell's wait
            term.child.sendintr()
            screen = term.expect(r"Out\[1\]: 42")
            assert "not waiting for the device list" in screen, screen
            assert "Error in callback" not in screen and "Traceback" not in screen, screen
        finally:
            term.close()


def test_keep_without_demo_says_what_it_goes_with(tmp_path: Path) -> None:
    """``--keep DIR`` alone: one line saying it goes with --demo, not a shell on no demo."""
    proc = _itango("--keep", str(tmp_path / "kept"), env=_env(tmp_path, None))
    assert proc.returncode == 1, proc
    assert proc.stderr.strip() == "itango: --keep DIR goes with --demo (itango --demo --keep DIR)"
    assert not (tmp_path / "kept").exists() and "ITango" not in proc.stdout
    proc = _itango("--demo", "--keep", env=_env(tmp_path, None))
    assert (proc.returncode, proc.stderr.strip()) == (1, "itango: --keep needs a directory")
