"""Jupyter side (itango.kernel): the kernelspec, an itango kernel that answers a real Jupyter
client, and ``itango qtconsole`` started headless (QT_QPA_PLATFORM=offscreen).

What is checked, and how:

* ``itango kernel install --prefix DIR`` writes a kernelspec that jupyter_client finds;
* a kernel started from that kernelspec by jupyter_client's KernelManager has the itango
  extension loaded: ``Device``/``%mon`` exist and a DeviceProxy comes back with itango's HTML card
  (the MIME bundle qtconsole renders);
* ``itango qtconsole`` (the real command, in a subprocess) starts its Qt window offscreen and its
  kernel answers: the test finds the kernel's connection file in a private JUPYTER_RUNTIME_DIR
  and talks to it with a BlockingKernelClient;
* the Qt widget itself (RichJupyterWidget, as qtconsole uses it) renders the HTML card.

Locally these tests skip when the ``qt`` extra is not installed; under CI=true they fail.
"""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"


def _need(module: str) -> None:
    try:
        __import__(module)
    except Exception as exc:  # ImportError, or qtpy's "no Qt bindings"
        if IN_CI:
            pytest.fail(f"{module} missing under CI (install the qt extra): {exc}", pytrace=False)
        pytest.skip(f"{module} not installed (pip install itango[qt]): {exc}")


@pytest.fixture
def jupyter_dirs(tmp_path, monkeypatch):
    """Private Jupyter data/runtime dirs so nothing touches the user's home."""
    for var in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
        path = tmp_path / var.lower()
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    return tmp_path


def _install(prefix: Path, *extra: str) -> dict:
    from itango import kernel

    assert kernel.kernel_main(["install", "--prefix", str(prefix), *extra]) == 0
    spec_file = prefix / "share" / "jupyter" / "kernels" / "itango" / "kernel.json"
    return json.loads(spec_file.read_text())


def test_kernelspec_install(jupyter_dirs, capsys):
    _need("jupyter_client")
    _need("ipykernel")
    spec = _install(jupyter_dirs / "prefix", "--tango-host", "127.0.0.1:10000")
    assert spec["argv"] == [sys.executable, "-m", "itango", "kernel", "-f", "{connection_file}"]
    assert spec["display_name"] == "ITango" and spec["language"] == "python"
    assert spec["env"] == {"TANGO_HOST": "127.0.0.1:10000"}
    assert "Installed kernelspec itango in " in capsys.readouterr().out

    from jupyter_client.kernelspec import KernelSpecManager

    os.environ["JUPYTER_PATH"] = str(jupyter_dirs / "prefix" / "share" / "jupyter")
    try:
        found = KernelSpecManager().get_kernel_spec("itango")
    finally:
        del os.environ["JUPYTER_PATH"]
    assert found.display_name == "ITango"


def test_itango_kernel_install_command(jupyter_dirs):
    """The command a user types, through the itango command line."""
    _need("jupyter_client")
    _need("ipykernel")
    prefix = jupyter_dirs / "cli-prefix"
    out = subprocess.run([sys.executable, "-m", "itango", "kernel", "install", "--prefix", str(prefix),
                          "--name", "itango-lab", "--display-name", "ITango (lab)"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    spec = json.loads((prefix / "share" / "jupyter" / "kernels" / "itango-lab" / "kernel.json").read_text())
    assert spec["display_name"] == "ITango (lab)"
    assert "env" not in spec


def test_missing_qt_extra_gives_a_clear_error(tmp_path):
    """Without qtconsole installed, ``itango qtconsole`` says what to install; no traceback.
    (qtconsole is hidden from the child interpreter by a module that fails to import, as an
    uninstalled package does.)"""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "qtconsole.py").write_text("raise ImportError(\"No module named 'qtconsole'\")\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hide), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-m", "itango", "qtconsole"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "itango qtconsole needs the Python package 'qtconsole'" in out.stderr
    assert "pip install 'itango[qt]'" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def _collect(kc, msg_id: str, timeout: float = 30.0) -> tuple[dict, list[dict]]:
    """Shell reply and the iopub messages of one execute request."""
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    outputs = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        outputs.append(msg)
    return reply, outputs


def _execute(kc, code: str) -> tuple[dict, list[dict]]:
    return _collect(kc, kc.execute(code))


def _bundles(outputs: list[dict]) -> list[dict]:
    return [m["content"]["data"] for m in outputs if m["msg_type"] in ("execute_result", "display_data")]


@pytest.fixture
def itango_kernel(jupyter_dirs, tango_host):
    """An itango kernel started by jupyter_client from the installed kernelspec."""
    _need("jupyter_client")
    _need("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    _install(jupyter_dirs / "prefix")
    ksm = KernelSpecManager(kernel_dirs=[str(jupyter_dirs / "prefix" / "share" / "jupyter" / "kernels")])
    km = KernelManager(kernel_name="itango", kernel_spec_manager=ksm)
    km.start_kernel(env={**os.environ, "TANGO_HOST": tango_host})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_kernel_has_itango_loaded_and_renders_html(itango_kernel):
    kc = itango_kernel
    reply, outputs = _execute(kc, "dev = Device('sys/tg_test/1'); dev")
    assert reply["content"]["status"] == "ok", reply["content"]
    (bundle,) = _bundles(outputs)
    assert "TangoTest(sys/tg_test/1)" in bundle["text/html"]
    assert ">RUNNING<" in bundle["text/html"]
    assert bundle["text/plain"].splitlines()[0] == "TangoTest(sys/tg_test/1)"

    reply = kc.kernel_info(reply=True, timeout=30)
    assert reply["content"]["banner"].startswith("ITango ")

    reply, outputs = _execute(kc, "dev.read_attribute('double_scalar')")
    (bundle,) = _bundles(outputs)
    assert ">ATTR_VALID<" in bundle["text/html"]

    reply, outputs = _execute(kc, "%mon")
    assert reply["content"]["status"] == "ok", reply["content"]
    (bundle,) = _bundles(outputs)
    assert "No attribute is monitored" in bundle["text/html"]


def test_kernel_live_view_updates_one_display(itango_kernel, tango_host):
    """In a kernel there are no keys to press: ``%mon -w --for N`` updates one display in place
    (display_data, then update_display_data with the same display_id) for N seconds."""
    import tango_core

    dev = tango_core.DeviceProxy("sys/tg_test/1")
    was = dev.get_attribute_poll_period("double_scalar")
    dev.poll_attribute("double_scalar", 200)
    try:
        reply, _ = _execute(itango_kernel, "%mon -a sys/tg_test/1/double_scalar -t periodic")
        assert reply["content"]["status"] == "ok", reply["content"]
        reply, outputs = _execute(itango_kernel, "%mon -w --for 2.5")
        assert reply["content"]["status"] == "ok", reply["content"]
        shown = [m for m in outputs if m["msg_type"] == "display_data"]
        updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
        assert len(shown) == 1 and len(updates) >= 3
        display_id = shown[0]["content"]["transient"]["display_id"]
        assert {u["content"]["transient"]["display_id"] for u in updates} == {display_id}
        counts = [int(re.search(r"periodic</td><td[^>]*>(\d+)<", u["content"]["data"]["text/html"]).group(1))
                  for u in updates]
        assert counts[-1] > counts[0]            # the table followed the events
    finally:
        _execute(itango_kernel, "%mon -r")
        if was:
            dev.poll_attribute("double_scalar", was)
        else:
            dev.stop_poll_attribute("double_scalar")


def test_kernel_reports_devfailed_as_an_error(itango_kernel):
    reply, outputs = _execute(itango_kernel, "Device('sys/tg_test/2')")
    assert reply["content"]["status"] == "error"
    import tango_core

    assert issubclass(getattr(tango_core, reply["content"]["ename"]), tango_core.DevFailed)
    shown = "\n".join(reply["content"]["traceback"])
    assert "DB_DeviceNotDefined" in shown


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_itango_qtconsole_starts_offscreen_and_its_kernel_answers(jupyter_dirs, tango_host):
    _need("qtconsole")
    _need("qtpy")
    _need("jupyter_client")
    from jupyter_client import BlockingKernelClient

    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TANGO_HOST": tango_host}
    log = open(jupyter_dirs / "qtconsole.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "itango", "qtconsole"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    kernel_pid = None
    try:
        deadline = time.monotonic() + 60
        files: list[str] = []
        while time.monotonic() < deadline and not files:
            assert proc.poll() is None, (jupyter_dirs / "qtconsole.log").read_text()
            files = glob.glob(str(runtime / "kernel-*.json"))
            time.sleep(0.2)
        assert files, "qtconsole started no kernel within 60 s"
        kc = BlockingKernelClient(connection_file=files[0])
        kc.load_connection_file()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            reply, outputs = _execute(kc, "import os; print(os.getpid()); Device('sys/tg_test/1').state()")
            assert reply["content"]["status"] == "ok", reply["content"]
            printed = [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"]
            kernel_pid = int("".join(printed).split()[0])
            (bundle,) = _bundles(outputs)
            assert "RUNNING" in bundle["text/plain"]
            assert proc.poll() is None  # the Qt window is still up
        finally:
            kc.stop_channels()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        if kernel_pid is not None:
            deadline = time.monotonic() + 10
            while _pid_alive(kernel_pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _pid_alive(kernel_pid):  # the console died without shutting its kernel down
                os.kill(kernel_pid, signal.SIGKILL)


def test_qt_widget_renders_the_device_card(jupyter_dirs, tango_host):
    """Drive qtconsole's own widget (what the window shows) against an itango kernel."""
    _need("qtconsole")
    _need("qtpy")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    script = Path(__file__).with_name("qtconsole_probe.py")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TANGO_HOST": tango_host}
    out = subprocess.run([sys.executable, str(script), "dev = Device('sys/tg_test/1'); dev",
                          str(jupyter_dirs / "widget.png")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    rendered = out.stdout
    assert "TangoTest(sys/tg_test/1)" in rendered
    assert "RUNNING" in rendered
    assert (jupyter_dirs / "widget.png").stat().st_size > 5000


def test_qt_widget_shows_plots_of_arrays_and_of_mon(jupyter_dirs, tango_host):
    """qtconsole shows an output's PNG when it has one: a spectrum read and ``%mon -p`` come
    out as pictures in the widget (the plot extra installed)."""
    _need("qtconsole")
    _need("qtpy")
    _need("matplotlib")
    script = Path(__file__).with_name("qtconsole_probe.py")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TANGO_HOST": tango_host,
           "MPLCONFIGDIR": str(jupyter_dirs / "mpl")}
    cells = ["dev = Device('sys/tg_test/1'); dev.read_attribute('double_spectrum_ro')",
             "%mon -a sys/tg_test/1/float_scalar --period 0.2",
             "import time; time.sleep(1.5)", "%mon -p", "%mon -r"]
    out = subprocess.run([sys.executable, str(script), *cells, str(jupyter_dirs / "plots.png")],
                         env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    images = out.stdout.rstrip().splitlines()[-1]
    assert images.startswith("images: "), out.stdout
    sizes = images.split()[1:]
    assert sizes[0] == "640x340", sizes           # the spectrum
    assert len(sizes) == 2 and sizes[1].startswith("720x"), sizes   # %mon -p
