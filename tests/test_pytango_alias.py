"""PyTango code run unedited on tango_core: ``python -m tango_core.pytango_alias COMMAND`` runs
COMMAND with ``import tango`` giving tango_core, in it and in the Python processes it starts.

Every check runs real processes (the command, the scripts it runs), each with a timeout; the
device server check serves a ``tango.server`` device in a ``tango.test_context`` and reads it.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALIAS_DIRECTORY = ROOT / "tango_core" / "pytango_alias"
ALIAS_COMMAND = [sys.executable, "-m", "tango_core.pytango_alias"]


def _env(*first: Path) -> dict[str, str]:
    """This environment with ``first`` then this repository (its tango_core) on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("TANGO_HOST", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = os.pathsep.join([*map(str, first), str(ROOT)])
    return env


def _run(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env or _env(), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _script(tmp_path: Path, text: str, name: str = "script.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_script_run_through_the_command_imports_tango_core_as_tango(tmp_path):
    script = _script(tmp_path, """
        import subprocess, sys
        import tango, tango.server, tango.test_context, tango_core
        print(tango.DeviceProxy is tango_core.DeviceProxy, tango.server.Device is tango_core.server.Device,
              tango.test_context.DeviceTestContext is tango_core.test_context.DeviceTestContext)
        # a Python process the script starts gets the same tango
        child = "import tango, tango_core; print(tango.DevState is tango_core.DevState)"
        print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60).stdout.strip())
        sys.exit(3)
    """)
    proc = _run([*ALIAS_COMMAND, sys.executable, str(script)])
    assert proc.stdout.split() == ["True", "True", "True", "True"], proc.stderr
    assert proc.returncode == 3, "the command's exit status is the script's"


def test_a_tango_server_device_in_a_test_context_answers_through_the_command(tmp_path):
    script = _script(tmp_path, """
        import tango
        from tango import AttrWriteType, DevState
        from tango.server import Device, attribute, command
        from tango.test_context import DeviceTestContext

        class Thermometer(Device):
            def init_device(self):
                super().init_device()
                self._offset = 0.0
                self.set_state(DevState.ON)

            @attribute(dtype=float, unit="degC")
            def temperature(self):
                return 21.5 + self._offset

            @attribute(dtype=float, access=AttrWriteType.READ_WRITE)
            def offset(self):
                return self._offset

            @offset.write
            def offset(self, value):
                self._offset = value

            @command(dtype_in=float, dtype_out=float)
            def in_kelvin(self, celsius):
                return celsius + 273.15

        with DeviceTestContext(Thermometer, timeout=15) as proxy:
            proxy.offset = 1.0
            print(type(proxy) is tango.DeviceProxy, proxy.state(), proxy.temperature, proxy.in_kelvin(0.0),
                  proxy.get_attribute_config("temperature").unit)
    """, "thermometer.py")
    proc = _run([*ALIAS_COMMAND, sys.executable, str(script)], timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["True", "ON", "22.5", "273.15", "degC"], proc.stderr[-3000:]


def test_an_old_script_importing_pytango_runs_through_the_command(tmp_path):
    """``import PyTango`` (the module name before PyTango 9, kept by PyTango 10) is the ``tango``
    module, and ``PyTango.server`` ... its submodules, the same objects: an old server module and
    its test run unedited.  -S: no site-packages, so no real PyTango could answer instead."""
    script = _script(tmp_path, """
        import sys
        import PyTango
        from PyTango import DevState
        from PyTango.server import Device, attribute
        from PyTango.test_context import DeviceTestContext
        import tango, tango.server, tango_core

        class Gauge(Device):
            def init_device(self):
                super().init_device()
                self.set_state(DevState.ON)

            @attribute(dtype=float)
            def pressure(self):
                return 1.5e-7

        same = (PyTango is tango, PyTango.server is tango.server, PyTango.DeviceProxy is tango_core.DeviceProxy,
                PyTango._PyTango is tango._tango, sys.modules["PyTango.server"] is tango.server)
        with DeviceTestContext(Gauge, timeout=15) as proxy:
            print(*same, isinstance(proxy, PyTango.DeviceProxy), proxy.state(), proxy.pressure)
        try:
            import PyTango.no_such_module
        except ModuleNotFoundError as exc:
            print(exc.name)
    """, "old_gauge.py")
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    env = _env(site)  # numpy and pyzmq, with -S below: no real PyTango importable before ours
    proc = _run([sys.executable, "-S", "-m", "tango_core.pytango_alias", sys.executable, "-S", str(script)],
                env=env, timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["True"] * 6 + ["ON", "1.5e-07", "PyTango.no_such_module"], proc.stderr[-3000:]


def test_python_m_tango_test_context_serves_a_device_through_the_command(tmp_path):
    """PyTango's ``python -m tango.test_context module.Class``, started by the command: a Python
    process of its own, which imports tango_core as ``tango`` too; read here with tango_core."""
    import tango_core

    _script(tmp_path, """
        import tango
        import tango_core
        from tango.server import Device, attribute

        class Barometer(Device):
            @attribute(dtype=float, unit="bar")
            def pressure(self):
                return 1.013

            @attribute(dtype=bool)
            def served_by_tango_core(self):
                return tango.server.Device is tango_core.server.Device
    """, "barometer.py")
    log = tmp_path / "server.err"
    with open(log, "w") as err:
        server = subprocess.Popen([*ALIAS_COMMAND, sys.executable, "-m", "tango.test_context", "barometer.Barometer",
                                   "--host", "127.0.0.1", "--port", "0"], env=_env(), cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
    try:
        access = None
        deadline = time.monotonic() + 60
        while access is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if server.poll() is not None and lines.empty():
                    break
                continue
            if line.startswith("Device access: "):
                access = line.split(": ", 1)[1].strip()
        assert access, f"the server did not say where it is (exit status {server.poll()}): {log.read_text()[-3000:]}"
        proxy = tango_core.DeviceProxy(access)
        proxy.set_timeout_millis(10000)
        assert proxy.pressure == 1.013
        assert proxy.served_by_tango_core is True
        assert proxy.info().dev_class == "Barometer"
    finally:
        server.kill()
        server.wait(timeout=30)


def test_no_command_is_a_usage_error():
    proc = _run(ALIAS_COMMAND)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("usage: python -m tango_core.pytango_alias COMMAND [ARG ...]\n"), proc.stderr
    assert "error: no command given" in proc.stderr


def test_a_command_that_does_not_exist_is_reported(tmp_path):
    proc = _run([*ALIAS_COMMAND, str(tmp_path / "no-such-command")])
    assert proc.returncode == 127
    assert f"error: command not found: {tmp_path / 'no-such-command'}" in proc.stderr


def test_another_tango_on_the_path_gets_one_warning_line_and_is_shadowed(tmp_path):
    """A real PyTango stands here as a package named tango found first on this Python's path."""
    other = tmp_path / "site" / "tango"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("WHO = 'the other tango'\n")
    check = "import tango, tango_core; print(tango.DeviceProxy is tango_core.DeviceProxy)"
    proc = _run([*ALIAS_COMMAND, sys.executable, "-c", check], env=_env(tmp_path / "site"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True"]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "warning" in lines[0] and str(other / "__init__.py") in lines[0] and "shadows it" in lines[0]


def test_no_warning_when_no_other_tango_is_importable():
    # -S: without site-packages this Python has no PyTango (nor numpy: the command needs neither)
    proc = _run([sys.executable, "-S", "-m", "tango_core.pytango_alias", sys.executable, "-c", "print('ran')"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ran\n"
    assert proc.stderr == ""


def test_the_alias_is_not_importable_as_tango_without_the_command():
    probe = ("import importlib.util, sys, tango_core, tango_core.pytango_alias\n"
             "spec = importlib.util.find_spec('tango')\n"
             "print(spec.origin if spec else None)\n"
             "print('tango' in sys.modules)\n")
    proc = _run([sys.executable, "-c", probe])
    assert proc.returncode == 0, proc.stderr
    origin, imported = proc.stdout.splitlines()
    assert imported == "False"
    assert origin == "None" or not Path(origin).resolve().is_relative_to(ALIAS_DIRECTORY), origin


def test_install_aliases_tango_in_this_process_and_the_processes_it_starts():
    code = ("import subprocess, sys, tango_core.pytango_alias\n"
            "tango_core.pytango_alias.install()\n"
            "import tango, tango_core\n"
            "print(tango.DeviceProxy is tango_core.DeviceProxy)\n"
            "child = 'import tango, tango_core; print(tango.DevState is tango_core.DevState)'\n"
            "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True, timeout=60).stdout)\n")
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True"]


def test_install_after_another_tango_was_imported_is_an_error(tmp_path):
    other = tmp_path / "site" / "tango"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("")
    code = ("import tango, tango_core.pytango_alias\n"
            "try:\n"
            "    tango_core.pytango_alias.install()\n"
            "except RuntimeError as exc:\n"
            "    print(exc)\n")
    proc = _run([sys.executable, "-c", code], env=_env(tmp_path / "site"))
    assert proc.returncode == 0, proc.stderr
    assert "already imported" in proc.stdout and "before the first `import tango`" in proc.stdout


def test_the_arguments_after_the_command_are_passed_unchanged():
    """Arguments that look like options belong to the command (only a leading ``--`` is the alias's)."""
    proc = _run([*ALIAS_COMMAND, "--", sys.executable, "-c", "import sys; print(sys.argv)", "-h", "--", "x y"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['-c', '-h', '--', 'x y']"
