"""``itango --demo``: the shell on a Tango system of its own (itango/demo.py).

In a real terminal (tmux): the banner says so, TangoTest answers, device names complete, ``%mon``
shows double_scalar's events, and after ``exit`` no process and no file of the demo is left.
:class:`itango.demo.DemoSystem` alone: ``--keep DIR`` keeps the database, and a shell killed
with SIGKILL still takes its demo servers with it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from terminal_and_html import TmuxTerminal

PROMPT = r"\[(\d+)\]: ?$"


def demo_processes(port: str) -> list[str]:
    """Command lines of the running processes of the demo on ``port`` (its supervisor and
    servers all have ``TANGO_HOST=127.0.0.1:<port>`` in their environment)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f"TANGO_HOST=127.0.0.1:{port}\0" in environ and any(
                what in cmdline for what in ("itango.demo", "tango_core.", "power_supply.py", "sensor.py")):
            out.append(f"{pid}: {cmdline}")
    return out


def demo_directory(tango_host: str, timeout: float = 30.0) -> Path:
    """The temporary directory of the running demo on ``tango_host`` (its database's log names
    it), not any other demo's: other shells may run demos meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        for directory in Path(tempfile.gettempdir()).glob("itango-demo-*"):
            try:
                if f"(TANGO_HOST={tango_host})" in (directory / "database.log").read_text(errors="replace"):
                    return directory
            except OSError:
                continue
        assert time.monotonic() < deadline, f"no demo directory for {tango_host}"
        time.sleep(0.1)


def wait_until_the_demo_is_gone(tango_host: str, directory: Path, timeout: float = 30.0) -> None:
    """Waits until no process of the demo on ``tango_host`` runs and its directory is removed;
    fails with what is left after ``timeout`` seconds."""
    port = tango_host.split(":")[1]
    deadline = time.monotonic() + timeout
    while demo_processes(port) or directory.exists():
        assert time.monotonic() < deadline, (demo_processes(port), directory)
        time.sleep(0.2)


def wait_device(name: str, tango_host: str, timeout: float = 30.0):
    import tango_core

    deadline = time.monotonic() + timeout
    while True:
        try:
            dev = tango_core.DeviceProxy(f"tango://{tango_host}/{name}")
            dev.ping()
            return dev
        except tango_core.DevFailed:
            assert time.monotonic() < deadline, f"{name} never answered"
            time.sleep(0.1)


def run_demo_session(term: TmuxTerminal, before_exit=None) -> str:
    """What the terminal test of a fresh install also does, typed as soon as the first prompt
    shows (the device servers are still starting then): read TangoTest, list the devices (all
    running), TAB a device name, %mon an attribute, (``before_exit(term, tango_host)``), exit.  Returns the
    TANGO_HOST the banner gave."""
    term.wait_for(PROMPT, timeout=60)
    screen = term.screen()
    assert "Demo system" in screen and "Traceback" not in screen, screen
    tango_host = re.search(r"Database: (127\.0\.0\.1:\d+)", screen).group(1)
    assert f"another shell on it (in another terminal): TANGO_HOST={tango_host} itango\n" in screen, screen
    about = screen[screen.index("Demo system"):screen.index("Try:")].splitlines()
    assert all(len(line) <= 80 for line in about), about  # an 80-column terminal does not wrap them
    assert "sys/tg_test/1" in " ".join(about) and "demo/sensor/2" in " ".join(about), about
    term.send('TangoTest("sys/tg_test/1").double_scalar', "Enter")
    term.wait_for(r"Out\[1\]: -?\d", timeout=60)
    term.send("%lsdev", "Enter")
    term.wait_for(r"\[3\]: ?$", timeout=30)
    screen = term.screen()
    assert "Traceback" not in screen and "Error" not in screen, screen
    for device in ("sys/tg_test/1", "demo/power/1", "demo/power/2", "demo/sensor/1", "demo/sensor/2"):
        assert re.search(rf"^{device}\s.*\syes\s*$", screen, re.M), screen  # exported: running
    term.send('PowerSupply("demo/po', "Tab")
    term.wait_for(r'PowerSupply\("demo/power/', timeout=30)
    term.send("C-u")
    term.send("%mon -a sys/tg_test/1/double_scalar", "Enter")
    term.wait_for(r"\[4\]: ?$", timeout=30)
    deadline = time.monotonic() + 30
    while True:  # the table of monitored attributes counts events as they come
        term.send("%mon", "Enter")
        time.sleep(1.5)
        if re.search(r"double_scalar\s+\S+\s+[1-9]", term.screen()):
            break
        assert time.monotonic() < deadline, term.screen()
    if before_exit is not None:
        before_exit(term, tango_host)
    term.send("exit", "Enter")
    return tango_host


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    env = {
        "IPYTHONDIR": str(tmp_path / "ipython"), "TERM": "xterm-256color", "LANG": "C.UTF-8",
        "HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _terminal(argv: list[str], env: dict[str, str]) -> TmuxTerminal:
    try:
        return TmuxTerminal(argv, env, width=140, height=45)
    except FileNotFoundError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))


def test_itango_demo_in_a_terminal_leaves_nothing_behind(shell_env: dict[str, str]) -> None:
    directories: list[Path] = []

    def second_shell_as_the_banner_says(term: TmuxTerminal, tango_host: str) -> None:
        """``TANGO_HOST=... itango`` as the banner says, in another terminal, while the demo runs."""
        directories.append(demo_directory(tango_host))
        other = _terminal([sys.executable, "-m", "itango"], dict(shell_env, TANGO_HOST=tango_host))
        try:
            other.wait_for(PROMPT, timeout=60)
            assert f"Database: {tango_host}" in other.screen(), other.screen()
            other.send('Sensor("demo/sensor/1").pressure', "Enter")
            other.wait_for(r"Out\[1\]: 1\.23", timeout=30)  # examples/sensor.py
            other.send("exit", "Enter")
            assert other.exit_status() == 0
        finally:
            other.close()

    term = _terminal([sys.executable, "-m", "itango", "--demo"], shell_env)
    try:
        tango_host = run_demo_session(term, before_exit=second_shell_as_the_banner_says)
        wait_until_the_demo_is_gone(tango_host, directories[0])
    finally:
        term.close()


def test_ctrl_c_while_the_demo_servers_start_runs_the_cell_with_the_class_constructors(
        shell_env: dict[str, str]) -> None:
    """A user who does not want to wait for the demo's device servers presses Ctrl-C: the cell
    runs at once, with ``TangoTest`` defined (the device list is there before the servers are),
    and says at most that the device is not running yet."""
    term = _terminal([sys.executable, "-m", "itango", "--demo"], shell_env)
    try:
        term.wait_for(PROMPT, timeout=60)
        term.send('TangoTest("sys/tg_test/1").state()', "Enter")
        time.sleep(0.2)
        term.send("C-c")
        term.wait_for(r"\[2\]: ?$", timeout=60)
        screen = term.screen()
        assert "NameError" not in screen and "Traceback" not in screen, screen
        if "not waiting for the demo's device servers" in screen:  # Ctrl-C came during the wait
            assert re.search(r"^Out\[1\]: tango_core\.DevState\.RUNNING$|API_DeviceNotExported|"
                             r"API_CantConnectToDevice", screen, re.M), screen
        term.send("exit", "Enter")
        assert term.exit_status(30) == 0
    finally:
        term.close()


def test_keep_keeps_the_database_for_the_next_demo(tmp_path: Path) -> None:
    import tango_core

    from itango.demo import DemoSystem

    keep = tmp_path / "kept"
    tango_host_before = os.environ.get("TANGO_HOST")
    demo = DemoSystem(keep)
    try:
        host = demo.start()
        assert demo.wait_ready()
        tango_core.Database(*host.split(":")).put_device_property("demo/power/1", {"note": ["kept"]})
    finally:
        demo.stop()
    assert (keep / "tango.db").exists() and not list(keep.glob("*.log"))
    demo = DemoSystem(keep)
    try:
        host = demo.start()
        assert demo.wait_ready()
        db = tango_core.Database(*host.split(":"))
        assert list(db.get_device_property("demo/power/1", "note")["note"]) == ["kept"]
        power = wait_device("demo/power/1", host)  # examples/power_supply.py
        power.On()
        power.write_attribute("voltage", 12.0)
        assert power.read_attribute("voltage").value == 12.0
        assert wait_device("demo/sensor/2", host).scale(2.0) == 2.46  # examples/sensor.py
    finally:
        demo.stop()
    assert not demo_processes(host.split(":")[1])
    assert os.environ.get("TANGO_HOST") == tango_host_before  # the process is not left on a dead demo


def test_the_shell_says_which_demo_server_did_not_start(tmp_path: Path, shell_env: dict[str, str]) -> None:
    """A kept database copied while its demo runs: the copy says the demo servers run (exported,
    answering), so the new demo's servers refuse to start.  The user's first cell does not hang
    and the shell says, server by server, what went wrong and where the log is."""
    import sqlite3

    from itango.demo import DemoSystem

    running, copy = tmp_path / "running", tmp_path / "copy"
    first = DemoSystem(running)
    term = None
    try:
        first.start()
        assert first.wait_ready()
        assert first.wait_servers(60) is None  # all serving: the copy lists them exported
        copy.mkdir()
        with sqlite3.connect(running / "tango.db") as source, sqlite3.connect(copy / "tango.db") as target:
            source.backup(target)
        target.close()
        term = _terminal([sys.executable, "-m", "itango", "--demo", "--keep", str(copy)], shell_env)
        term.wait_for(PROMPT, timeout=60)
        term.send("1 + 1", "Enter")
        term.wait_for(r"Out\[1\]: 2", timeout=60)
        screen = term.screen()
        joined = screen.replace("\n", "")  # (long lines wrap on screen)
        for server, log in (("TangoTest/test", "tangotest.log"), ("PowerSupply/demo", "PowerSupply.log"),
                            ("Sensor/demo", "Sensor.log")):
            assert f"itango: the demo server {server} did not start: This server ({server}) is already " \
                   f"running on another process, exiting! (log: {copy / log})" in joined, screen
        assert "Traceback" not in screen, screen
    finally:
        if term is not None:
            term.close()
        first.stop()


def test_a_second_demo_on_a_kept_directory_in_use_is_refused(tmp_path: Path, shell_env: dict[str, str]) -> None:
    """Two demos on one kept directory would share its database and logs: the second ``itango
    --demo --keep DIR`` says how to open another shell on the running one instead, and the first
    one goes on working."""
    from itango.demo import DemoSystem

    first = DemoSystem(tmp_path)
    try:
        host = first.start()
        assert first.wait_ready()
        proc = subprocess.run([sys.executable, "-m", "itango", "--demo", "--keep", str(tmp_path)],
                              env=shell_env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        assert proc.stderr.strip() == (f"itango --demo: the demo kept in {tmp_path} is already running "
                                       f"(database {host}); another shell on it: TANGO_HOST={host} itango")
        assert first.wait_servers(60) is None
        assert wait_device("sys/tg_test/1", host, timeout=5).state() is not None
    finally:
        first.stop()
    assert not (tmp_path / "running").exists()
    second = DemoSystem(tmp_path)  # once stopped, the directory is free again
    try:
        assert second.start() and second.wait_ready() and second.wait_servers(60) is None
    finally:
        second.stop()


def test_a_killed_shell_takes_its_demo_servers_with_it(tmp_path: Path) -> None:
    code = ("import sys, time; sys.path.insert(0, %r); from itango.demo import DemoSystem; d = DemoSystem(); "
            "print(d.start(), flush=True); d.wait_ready(); time.sleep(60)") % str(Path(__file__).resolve().parents[2])
    shell = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        host = shell.stdout.readline().strip()
        wait_device("sys/tg_test/1", host)
        deadline = time.monotonic() + 30
        while len(demo_processes(host.split(":")[1])) < 5:  # supervisor, database, three servers
            assert time.monotonic() < deadline, demo_processes(host.split(":")[1])
            time.sleep(0.1)
        directory = demo_directory(host)
    finally:
        shell.send_signal(signal.SIGKILL)
        shell.wait()
    wait_until_the_demo_is_gone(host, directory)


@pytest.mark.slow
@pytest.mark.timeout(900)  # building the wheel and a venv with pip: minutes on a loaded machine
def test_itango_demo_from_a_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    """The project's wheel, pip-installed alone into a new venv (its four dependencies come with
    it): ``itango --demo`` runs the same session, away from the source tree, and leaves nothing."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    source, wheels, venv, work = (tmp_path / d for d in ("source", "wheels", "venv", "work"))
    work.mkdir()
    # a copy of the working tree: building in place would leave build/ and *.egg-info behind
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / name).exists():
            shutil.copy2(root / name, source / name)
    for name in ("itango", "tango_core", "examples"):
        shutil.copytree(root / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "TANGO_HOST")}

    def run(argv: list[str], timeout: float = 600) -> None:
        proc = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"{' '.join(argv)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"

    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(source)])
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(next(wheels.glob("itango-*.whl")))])

    directories: list[Path] = []

    def installed_copy_is_used(term: TmuxTerminal, tango_host: str) -> None:
        directories.append(demo_directory(tango_host))
        term.send("import tango_core, itango; print('INSTALLED', all(m.__file__.startswith(%r) "
                  "for m in (tango_core, itango)))" % str(venv), "Enter")
        assert term.wait_for(r"INSTALLED (True|False)", timeout=30).group(1) == "True", term.screen()

    shell_env = {
        "IPYTHONDIR": str(tmp_path / "ipython"), "TERM": "xterm-256color", "LANG": "C.UTF-8",
        "HOME": str(tmp_path), "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    }
    # (tmux hands its sessions this process's environment: PYTHONPATH must go explicitly)
    term = _terminal(["env", "-u", "PYTHONPATH", "-u", "VIRTUAL_ENV", "sh", "-c",
                      f"cd {work} && exec {venv / 'bin' / 'itango'} --demo"], shell_env)
    try:
        tango_host = run_demo_session(term, before_exit=installed_copy_is_used)
        wait_until_the_demo_is_gone(tango_host, directories[0])
    finally:
        term.close()


def test_the_demo_runs_the_installed_packages_whatever_the_current_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user starts ``itango --demo`` in a directory that holds ``itango/`` and ``tango_core/``
    packages of their own (a checkout of something else, a project named so): the demo's
    supervisor, database, TangoTest and example servers still import the packages the shell
    runs, and every demo device answers."""
    import tango_core

    from itango.demo import DemoSystem

    work = tmp_path / "work"
    for package in ("itango", "tango_core"):
        (work / package).mkdir(parents=True)
        (work / package / "__init__.py").write_text(
            f"raise ImportError('the bogus {package} of the current directory')\n")
    monkeypatch.chdir(work)
    demo = DemoSystem()
    try:
        host = demo.start()
        assert demo.wait_ready(), (demo.directory / "demo.log").read_text(errors="replace")
        problem = demo.wait_servers(60)
        logs = {p.name: p.read_text(errors="replace")[-500:] for p in demo.directory.glob("*.log")}
        assert problem is None, (problem, logs)
        assert not any("bogus" in text for text in logs.values()), logs
        for device in ("sys/tg_test/1", "demo/power/1", "demo/sensor/2"):
            assert tango_core.DeviceProxy(f"tango://{host}/{device}").state() is not None
    finally:
        demo.stop()
    assert not demo_processes(host.split(":")[1])
