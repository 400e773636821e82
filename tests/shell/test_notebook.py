"""``%load_ext itango`` in a real Jupyter kernel executing a notebook (nbclient, no browser), on
the real peers: the outputs a notebook keeps (HTML cards, PNG plots), completion through the
kernel's ``complete_request``, and a DevFailed as a short error output.

The kernel is ipykernel's own ``python3`` (a plain IPython kernel, as JupyterLab starts one),
with this checkout first on its path; the extension is loaded by the notebook's first cell.
Locally these tests skip when nbclient/ipykernel are missing; under CI=true they fail.
"""

from __future__ import annotations

import os
import re

import pytest

from terminal_and_html import ANSI, check_html, html_images, png_size

IN_CI = os.environ.get("CI") == "true"


def _need(module: str) -> None:
    try:
        __import__(module)
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"{module} missing under CI (install the test and plot extras): {exc}",
                        pytrace=False)
        pytest.skip(f"{module} not installed: {exc}")


CELLS = [
    "%load_ext itango\nimport sys\n'matplotlib' in sys.modules, 'pandas' in sys.modules",
    "dev = Device('sys/tg_test/1')\ndev",
    "dev.read_attribute('double_spectrum_ro')",
    "Attribute('sys/tg_test/1/double_image_ro')",
    "import time\n%mon -a sys/tg_test/1/float_scalar --period 0.2\ntime.sleep(1.5)\n%mon -p",
    "%mon -o events\ntype(events).__name__, len(events) >= 3, sorted(set(events['event']))",
    "%mon -r",
    "Device('sys/tg_test/2')",
]


@pytest.fixture(scope="module")
def executed(tango_host, tmp_path_factory):
    """The notebook above, executed by nbclient on a python3 kernel; yields (notebook, a
    blocking client of that kernel, still running for completion requests)."""
    for module in ("nbclient", "nbformat", "ipykernel", "jupyter_client", "matplotlib", "pandas"):
        _need(module)
    import nbformat
    from nbclient import NotebookClient

    home = tmp_path_factory.mktemp("notebook")
    with pytest.MonkeyPatch.context() as env:  # the kernel's environment, put back afterwards
        env.setenv("TANGO_HOST", tango_host)
        env.setenv("IPYTHONDIR", str(home / "ipython"))
        env.setenv("JUPYTER_RUNTIME_DIR", str(home / "runtime"))
        env.setenv("MPLCONFIGDIR", str(home / "mpl"))
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
        client = NotebookClient(nb, kernel_name="python3", timeout=120, startup_timeout=90,
                                allow_errors=True, resources={"metadata": {"path": str(home)}})
        with client.setup_kernel():   # the kernel stays up for the completion tests below
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            from jupyter_client import BlockingKernelClient

            kc = BlockingKernelClient()   # nbclient's own client is asynchronous
            kc.load_connection_info(client.km.get_connection_info())
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=60)
                yield nb, kc
            finally:
                kc.stop_channels()


def _outputs(nb, index: int) -> list[dict]:
    return nb.cells[index].outputs


def _bundle(nb, index: int, kind: str = "execute_result") -> dict:
    found = [o for o in _outputs(nb, index) if o.output_type == kind]
    assert found, f"cell {index} ({CELLS[index]!r}) has no {kind}: {_outputs(nb, index)}"
    return found[-1].data


def _png(data: dict) -> bytes:
    import base64

    return base64.b64decode(data["image/png"])


def test_load_ext_is_quiet_and_error_free(executed):
    nb, _ = executed
    for index, cell in enumerate(nb.cells[:7]):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (CELLS[index], errors)
    assert not [o for o in _outputs(nb, 0) if o.output_type == "stream" and o.name == "stderr"]


def test_device_card_is_html(executed):
    nb, _ = executed
    data = _bundle(nb, 1)
    visible = check_html(data["text/html"])
    assert "TangoTest(sys/tg_test/1)" in visible and "RUNNING" in visible
    assert data["text/plain"].splitlines()[0] == "TangoTest(sys/tg_test/1)"


def test_spectrum_is_a_plot(executed):
    nb, _ = executed
    data = _bundle(nb, 2)
    png = _png(data)
    assert png_size(png) == (640, 340)
    assert html_images(data["text/html"]) == [png]
    assert "double_spectrum_ro" in check_html(data["text/html"])


def test_attribute_proxy_image_is_a_plot_with_a_colour_bar(executed):
    nb, _ = executed
    data = _bundle(nb, 3)
    assert png_size(_png(data)) == (560, 440)
    assert "Attribute sys/tg_test/1/double_image_ro" in check_html(data["text/html"])


def test_mon_p_shows_values_over_time(executed):
    nb, _ = executed
    displays = [o for o in _outputs(nb, 4) if o.output_type == "display_data"]
    assert displays, _outputs(nb, 4)
    data = displays[-1].data
    width, _ = png_size(_png(data))
    assert width == 720
    stream = "".join(o.text for o in _outputs(nb, 4) if o.output_type == "stream")
    assert "(client-polled)" in stream


def test_mon_o_gives_a_dataframe(executed):
    nb, _ = executed
    assert _bundle(nb, 5)["text/plain"] == "('DataFrame', True, ['client-polled'])"


def test_devfailed_is_a_short_error_output(executed):
    nb, _ = executed
    (error,) = [o for o in _outputs(nb, 7) if o.output_type == "error"]
    assert error.ename == "DevFailed"
    lines = [ANSI.sub("", line) for line in "\n".join(error.traceback).splitlines() if line.strip()]
    assert lines[0] == ("DevFailed: DB_DeviceNotDefined: device sys/tg_test/2 not defined in the "
                        "database ! Did you mean 'sys/tg_test/1'?"), lines
    assert len(lines) <= 3, lines                   # no traceback through the client library
    assert not any("tango_core" in line or line.lstrip().startswith("File ") for line in lines), lines


def test_load_ext_imports_neither_matplotlib_nor_pandas(executed):
    """They are imported when a plot or a table is made, not before."""
    nb, _ = executed
    assert _bundle(nb, 0)["text/plain"] == "(False, False)"


def _complete(kc, code: str) -> dict:
    msg_id = kc.complete(code, len(code))
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


def _complete_until(kc, code: str, ready, timeout: float = 30.0) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while True:
        content = _complete(kc, code)
        if ready(content["matches"]) or time.monotonic() > deadline:
            return content
        time.sleep(0.3)


def test_completion_through_complete_request(executed):
    _, kc = executed
    content = _complete_until(kc, "Device('sys/tg", lambda m: "sys/tg_test/1" in m)
    assert content["status"] == "ok"
    assert "sys/tg_test/1" in content["matches"]
    assert content["cursor_start"] == len("Device('")
    types = {c["text"]: c["type"] for c in content["metadata"].get("_jupyter_types_experimental", [])}
    assert types.get("sys/tg_test/1") == "device"
    # a device's members once each, in the device's spelling
    content = _complete_until(kc, "dev.Dev", lambda m: "DevBoolean" in m)
    assert "DevBoolean" in content["matches"]
    assert not [m for m in content["matches"] if m == m.lower()]
    assert len(content["matches"]) == len(set(m.lower() for m in content["matches"]))
    content = _complete_until(kc, "dev.read_attribute('double_sp", bool)
    assert set(content["matches"]) == {"double_spectrum", "double_spectrum_ro"}


def test_kernel_source_is_this_checkout(executed):
    """The kernel ran this checkout's itango (PYTHONPATH), not an installed one."""
    _, kc = executed
    msg_id = kc.execute("import itango; print(itango.__file__)")
    text = ""
    while True:
        msg = kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text += msg["content"]["text"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert re.match(re.escape(root), text.strip()), text
