"""The examples/ a user starts from, each run as a user would run it.

* ``examples/sensor.py`` -- the 15-line server of the project's promise, run as a process without
  a database, used with PyTango's client and tango_core's;
* ``examples/power_supply.py`` -- voltage attribute (limits, warning/alarm thresholds) and On/Off;
* ``examples/test_power_supply.py`` -- the DeviceTestContext snippet, run by pytest in its folder;
* ``python -m tango_core.test_context power_supply.PowerSupply`` printing the access names.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import peers
from server_clients import DEVFAILED, pytango_proxy, tango_core_proxy

pytestmark = pytest.mark.peers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(EXAMPLES)])
    env.pop("TANGO_HOST", None)
    return env


def _start(args: list[str], trl: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, *args], env=_env(), cwd=EXAMPLES, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            pytango_proxy(trl).ping()
            return proc
        except DEVFAILED:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"{args} did not start: {proc.stdout.read()}")
            time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out


@pytest.mark.parametrize("make", [pytango_proxy, tango_core_proxy], ids=["pytango", "tango_core"])
def test_sensor_example(make):
    port = peers.free_port()
    trl = f"tango://127.0.0.1:{port}/test/sensor/1#dbase=no"
    proc = _start(["sensor.py", "demo", "-nodb", "-port", str(port), "-dlist", "test/sensor/1"], trl)
    try:
        p = make(trl)
        assert p.pressure == 1.23
        assert p.scale(2.0) == pytest.approx(2.46)
        cfg = p.get_attribute_config_ex("pressure")[0]
        assert cfg.unit == "bar"
        assert cfg.events.ch_event.abs_change == "0.1"
        assert p.info().server_id == "Sensor/demo"
    finally:
        out = _stop(proc)
    assert "Ready to accept request" in out
    assert proc.returncode == 0


def test_power_supply_example():
    port = peers.free_port()
    trl = f"tango://127.0.0.1:{port}/test/ps/1#dbase=no"
    proc = _start(["power_supply.py", "demo", "-nodb", "-port", str(port), "-dlist", "test/ps/1"], trl)
    try:
        p = pytango_proxy(trl)
        assert str(p.state()) == "OFF"
        p.On()
        p.voltage = 12.5
        assert p.voltage == 12.5
        assert str(p.state()) == "ON"
        p.voltage = 25.0
        assert str(p.read_attribute("voltage").quality) == "ATTR_WARNING"
        assert str(p.state()) == "ALARM"
        assert p.status() == "The device is in ALARM state.\nWarning : Value too high for Voltage"
        with pytest.raises(DEVFAILED) as info:
            p.voltage = 31.0
        assert info.value.args[0].reason == "API_WAttrOutsideLimit"
        p.Off()
        assert p.voltage == 0.0
    finally:
        _stop(proc)


def test_device_test_context_snippet_runs_under_pytest():
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_power_supply.py"],
                          cwd=EXAMPLES, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_test_context_command_line_prints_the_access_names():
    port = peers.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tango_core.test_context", "power_supply.PowerSupply",
                             "--host", "127.0.0.1", "--port", str(port)], env=_env(), cwd=EXAMPLES,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while len(lines) < 4:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        assert lines[0] == "Ready to accept request"
        assert lines[1] == f"PowerSupply started on port {port} with properties {{}}"
        assert lines[2] == f"Device access: tango://127.0.0.1:{port}/test/nodb/powersupply#dbase=no"
        assert lines[3] == f"Server access: tango://127.0.0.1:{port}/dserver/PowerSupply/powersupply#dbase=no"
        m = re.match(r"Device access: (\S+)", lines[2])
        assert str(pytango_proxy(m.group(1)).state()) == "OFF"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
