"""itango.display: the terminal (text/plain) and qtconsole/Jupyter (text/html) views of Tango
objects, rendered from real tango_core objects talking to real peers (PyTango DB + Debian
TangoTest, and the PyTango TestServer without database)."""

from __future__ import annotations

import re
import sys
import time

import pytest
from IPython.core.interactiveshell import InteractiveShell

from terminal_and_html import ANSI, check_html, html_images, png_size
from itango import display


@pytest.fixture
def shell():
    """A fresh IPython shell with only itango's representations registered."""
    ip = InteractiveShell()
    ip.colors = "nocolor"
    display.register(ip)
    yield ip
    display.unregister(ip)


def formats(ip, obj) -> tuple[str, str | None]:
    data, _ = ip.display_formatter.format(obj)
    return data["text/plain"], data.get("text/html")


@pytest.fixture(scope="module")
def tg(tango_host):
    import tango_core

    return tango_core.DeviceProxy("sys/tg_test/1")


# -- DeviceProxy ------------------------------------------------------------------------------

def test_device_card_shows_class_server_state_and_interface(shell, tg, tango_host):
    text, page = formats(shell, tg)
    lines = text.splitlines()
    assert lines[0] == "TangoTest(sys/tg_test/1)"
    assert re.search(r"^\s+state\s+RUNNING$", text, re.M)
    assert re.search(rf"^\s+status\s+{re.escape(tg.status().splitlines()[0])}$", text, re.M)
    assert re.search(r"^\s+server\s+TangoTest/test$", text, re.M)
    assert re.search(rf"^\s+database\s+{re.escape(tango_host)}$", text, re.M)
    n_attrs = len(tg.get_attribute_list())
    assert re.search(rf"^\s+attributes \({n_attrs}\)\s+ampli, ", text, re.M)
    assert "commands (" in text and "CrashFromDevelopperThread" in text
    assert not ANSI.search(text)
    visible = check_html(page)
    assert "DevString" in visible  # the page shows 12 names of each
    assert "TangoTest(sys/tg_test/1)" in visible and "RUNNING" in visible
    # RUNNING's colour (Jive palette) on the state label
    assert re.search(r"background:#00b000[^>]*>RUNNING<", page)


@pytest.mark.parametrize("columns", [80, 140])
def test_device_card_rows_fit_the_terminal(shell, tg, monkeypatch, columns):
    """TangoTest's 60-odd attribute names: as many as fit on one terminal line, and how many
    more; a row that wrapped read as two rows (a name cut in two at the margin)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    text, _ = formats(shell, tg)
    assert all(len(line) < columns for line in text.splitlines()), text
    for kind, names in (("attributes", tg.get_attribute_list()), ("commands", tg.get_command_list())):
        row = re.search(rf"^  {kind} \({len(names)}\)\s+(.*)$", text, re.M).group(1)
        shown, more = re.fullmatch(r"(.*), … \(\+(\d+)\)", row).groups()
        assert shown.split(", ") == list(names)[:len(shown.split(", "))], row
        assert len(shown.split(", ")) + int(more) == len(names)
    assert len(re.search(r"^  attributes.*$", text, re.M).group(0)) > columns - 25  # the line is used


def test_device_is_asked_once_for_both_text_and_html(shell, tango_host):
    """A kernel formats text/plain and text/html of one result: the device sees one state()
    (counted in TangoTest's own black box, newest entry first)."""
    import itertools

    import tango_core

    observer = tango_core.DeviceProxy("sys/tg_test/1")
    fresh = tango_core.DeviceProxy("sys/tg_test/1")
    fresh.ping()
    observer.black_box(1)                       # marker: "Operation blackbox requested"
    text, page = formats(shell, fresh)
    assert "RUNNING" in text and "RUNNING" in page
    since = list(itertools.takewhile(lambda e: "Operation blackbox" not in e, observer.black_box(50)))
    assert sum("Attribute state requested" in e for e in since) == 1, since


def test_device_card_colours_state_in_terminal(shell, tg):
    shell.colors = "linux"
    text, _ = formats(shell, tg)
    assert "\x1b[48;5;28;97m RUNNING \x1b[0m" in text  # dark-green badge


def test_unreachable_device_card_is_quick_and_says_why(shell, tango_host):
    import tango_core

    dead = tango_core.DeviceProxy("sys/access_control/1")  # defined, never started
    start = time.monotonic()
    text, page = formats(shell, dead)
    assert time.monotonic() - start < 3.0
    assert re.search(r"^\s+state\s+unreachable$", text, re.M)
    assert re.search(r"^\s+class\s+TangoAccessControl$", text, re.M)
    assert re.search(r"^\s+error\s+API_\w+: ", text, re.M)
    assert "unreachable" in check_html(page)


def test_nodb_device_card(shell, nodb_server):
    import tango_core

    dev = tango_core.DeviceProxy(nodb_server.device)
    text, page = formats(shell, dev)
    assert text.splitlines()[0] == "TestDevice(test/nodb/1)"
    assert re.search(r"^\s+database\s+none \(#dbase=no\)$", text, re.M)
    check_html(page)


# -- Database ---------------------------------------------------------------------------------

def test_database_card_shows_host_port_and_counts(shell, tango_host):
    import tango_core

    db = tango_core.Database()
    text, page = formats(shell, db)
    assert text.splitlines()[0] == f"Database({tango_host})"
    assert re.search(r"^\s+Devices defined\s+\d+$", text, re.M)
    assert re.search(r"^\s+Device servers exported\s+\d+$", text, re.M)
    assert "Devices defined" in check_html(page)


@pytest.mark.parametrize("which", ["pytango", "cpp"])
def test_database_card_has_one_row_per_label(shell, tango_host, cpp_tango_host, which):
    """Both database servers begin get_info() with two lines that are not "key = value"
    (the server and since when it runs): each gets its own label, no two rows share one."""
    import tango_core

    host, port = (tango_host if which == "pytango" else cpp_tango_host).split(":")
    db = tango_core.Database(host, int(port))
    info = db.get_info()
    text, page = formats(shell, db)
    labels = [line[2:].split("  ")[0] for line in text.splitlines()[1:] if line.startswith("  ")
              and line[2:3] != " "]
    assert len(labels) == len(set(labels)), text
    assert "info" not in labels
    served = re.search(r"TANGO Database (\S+)", info).group(1)
    assert re.search(rf"^  Served by\s+{re.escape(served)}$", text, re.M), text
    since = re.search(r"Running since \.*(.+)", info).group(1).strip()
    assert re.search(rf"^  Running since\s+{re.escape(since)}$", text, re.M), text
    html_labels = re.findall(r"<td style=\"[^\"]*font-weight:bold[^\"]*\">([^<]*)</td>", page)
    assert len(html_labels) == len(set(html_labels)) and "Served by" in html_labels, page


# -- DeviceAttribute --------------------------------------------------------------------------

def test_scalar_attribute_valid_quality(shell, tg):
    da = tg.read_attribute("double_scalar")
    text, page = formats(shell, da)
    assert text.splitlines()[0] == "double_scalar  (DevDouble, SCALAR)  ATTR_VALID"
    assert re.search(rf"^\s+value\s+{re.escape(str(da.value))}$", text, re.M)
    assert re.search(r"^\s+w_value\s+", text, re.M)  # writable: set point shown
    assert re.search(r"background:#3ddc3d[^>]*>ATTR_VALID<", page)
    check_html(page)
    shell.colors = "linux"
    assert "\x1b[42;30m ATTR_VALID \x1b[0m" in formats(shell, da)[0]  # green badge


def test_invalid_quality_is_grey(shell, nodb_server):
    import tango_core

    da = tango_core.DeviceProxy(nodb_server.device).read_attribute("invalid_quality")
    text, page = formats(shell, da)
    assert text.splitlines()[0].endswith("ATTR_INVALID")
    assert re.search(r"background:#808080[^>]*>ATTR_INVALID<", page)
    shell.colors = "linux"
    assert "\x1b[100;97m ATTR_INVALID \x1b[0m" in formats(shell, da)[0]  # grey badge


def test_large_image_is_summarised(shell, tg):
    da = tg.read_attribute("double_image_ro")
    text, page = formats(shell, da)
    assert re.search(r"^\s+value \[251×251\]\s+float64\[251×251\] \[.*, …\]  min=\S+ max=\S+$", text, re.M)
    assert len(text) < 600
    # the card stays short; a plot (when matplotlib is installed) is a picture of bounded size,
    # whatever the size of the image
    assert len(re.sub(r'<img src="data:[^"]*"', "<img", page)) < 3000
    assert all(len(png) < 200_000 for png in html_images(page))
    check_html(page)


def test_read_only_spectrum_has_no_set_point_row(shell, tg):
    text, _ = formats(shell, tg.read_attribute("double_spectrum_ro"))
    assert re.search(r"^\s+value \[256\]\s+float64\[256\] ", text, re.M)
    assert "w_value" not in text


def test_string_spectrum_summarised(shell, tg):
    text, _ = formats(shell, tg.read_attribute("string_spectrum_ro"))
    assert "… (256 items))" in text


def test_failed_attribute_read_shows_error_stack(shell, nodb_server):
    import tango_core

    (da,) = tango_core.DeviceProxy(nodb_server.device).read_attributes(["failing_read"])
    assert da.has_failed
    text, page = formats(shell, da)
    assert "read FAILED" in text.splitlines()[0]
    first_reason = da.get_err_stack()[0].reason
    assert first_reason in text and first_reason in check_html(page)


# -- DevFailed, CommandInfo, AttributeInfoEx --------------------------------------------------

def test_devfailed_stack_table_innermost_first(shell, tango_host):
    import tango_core

    with pytest.raises(tango_core.DevFailed) as info:
        tango_core.DeviceProxy("sys/tg_test/2")
    exc = info.value
    text, page = formats(shell, exc)
    reasons = [e.reason for e in exc.args]
    assert reasons[0] == "DB_DeviceNotDefined"
    positions = [text.index(r) for r in reasons]
    assert positions == sorted(positions)
    assert f"{len(reasons)} error(s), innermost first" in text.splitlines()[0]
    visible = check_html(page)
    for err in exc.args:
        assert err.reason in visible
    assert display.short_error(exc) == "DB_DeviceNotDefined: device sys/tg_test/2 not defined in the database !"


def test_devfailed_html_escapes_device_text(shell):
    import tango_core

    err = tango_core.DevError()
    err.reason, err.desc, err.origin = "R<1>", "a <b>bold</b> & 'q'", "<script>alert(1)</script>"
    exc = tango_core.DevFailed(err)
    _, page = formats(shell, exc)
    assert "<script>" not in page and "<b>bold" not in page
    visible = check_html(page)
    assert "a <b>bold</b> & 'q'" in visible and "<script>alert(1)</script>" in visible


def test_command_info(shell, tg):
    text, page = formats(shell, tg.command_query("DevString"))
    assert text.splitlines()[0] == "DevString(DevString) -> DevString"
    assert re.search(r"^\s+level\s+OPERATOR$", text, re.M)
    assert "DevString(DevString) -&gt; DevString" in page
    check_html(page)


def test_attribute_info(shell, tg):
    text, page = formats(shell, tg.attribute_query("double_scalar"))
    assert text.splitlines()[0] == "double_scalar  (DevDouble, SCALAR, READ_WRITE)"
    assert re.search(r"^\s+format\s+%6.2f$", text, re.M)
    assert re.search(r"^\s+events\s+", text, re.M)
    check_html(page)


# -- registration lifecycle -------------------------------------------------------------------

def test_unregister_restores_plain_repr(tg):
    ip = InteractiveShell()
    display.register(ip)
    display.register(ip)  # idempotent
    assert "state" in formats(ip, tg)[0]
    display.unregister(ip)
    text, page = formats(ip, tg)
    assert text == repr(tg)
    assert page is None


def test_busy_device_card_is_bounded_by_the_render_timeout(shell, peer_factory):
    """A device stuck in a long command (its own TestServer, so no other test waits) must not
    freeze the shell: the card gives up after the short render timeout and says why."""
    import threading

    import tango_core

    server = peer_factory.pytango_server("TestServer", "busy", nodb=True)
    busy = tango_core.DeviceProxy(server.device)
    busy.ping()
    sleeper = tango_core.DeviceProxy(server.device)
    sleeper.set_timeout_millis(10_000)
    worker = threading.Thread(target=lambda: sleeper.command_inout("Sleep", 4.0), daemon=True)
    worker.start()
    time.sleep(0.3)                              # the server is now inside Sleep
    start = time.monotonic()
    text, _ = formats(shell, busy)
    elapsed = time.monotonic() - start
    worker.join(10)
    assert elapsed < 2.5, f"the card took {elapsed:.1f} s"
    assert re.search(r"^\s+state\s+unreachable$", text, re.M), text
    assert re.search(r"^\s+error\s+API_\w+", text, re.M), text
    assert busy.get_timeout_millis() == 3000     # the proxy's own timeout is put back


def test_warning_and_alarm_qualities_have_their_colours(shell, peer_factory):
    """Real WARNING/ALARM values: alarm limits set through tango_core on a private TestServer."""
    import tango_core

    server = peer_factory.pytango_server("TestServer", "alarms", nodb=True)
    dev = tango_core.DeviceProxy(server.device)
    cfg = dev.get_attribute_config("double_rw")
    cfg.alarms.max_warning, cfg.alarms.max_alarm = "5", "10"
    dev.set_attribute_config(cfg)
    shell.colors = "linux"
    expected = {7.0: ("ATTR_WARNING", "#ff8c00", "48;5;208;30"), 20.0: ("ATTR_ALARM", "#ff4500", "48;5;202;97;1")}
    for value, (quality, html_bg, sgr) in expected.items():
        dev.write_attribute("double_rw", value)
        da = dev.read_attribute("double_rw")
        assert str(da.quality) == quality
        text, page = formats(shell, da)
        assert f"\x1b[{sgr}m {quality} \x1b[0m" in text
        assert re.search(rf"background:{html_bg}[^>]*>{quality}<", page)
        check_html(page)


def test_event_data_card(shell, nodb_server):
    """An EventData as a callback receives it (the self-polled ``ramp`` sends change events)."""
    import threading

    import tango_core

    dev = tango_core.DeviceProxy(nodb_server.device)
    got: list = []
    arrived = threading.Event()

    def callback(event):
        if not event.err:
            got.append(event)
            arrived.set()

    event_id = dev.subscribe_event("ramp", tango_core.EventType.CHANGE_EVENT, callback)
    try:
        assert arrived.wait(10), "no change event from ramp within 10 s"
    finally:
        dev.unsubscribe_event(event_id)
    text, page = formats(shell, got[-1])
    first = text.splitlines()[0]
    assert first.startswith("change event  ") and first.lower().endswith("/test/nodb/1/ramp#dbase=no")
    assert re.search(r"^ramp  \(DevDouble, SCALAR\)  ATTR_VALID$", text, re.M)
    assert "ramp" in check_html(page)


def test_value_summaries():
    import numpy as np

    assert display.format_value(np.arange(6.0).reshape(2, 3)) == "float64[2×3] [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]"
    assert display.format_value(np.arange(1000)) == "int64[1000] [0, 1, 2, 3, 4, 5, 6, 7, …]  min=0 max=999"
    assert display.format_value(np.array([], dtype=np.float32)) == "float32[0] (empty)"
    assert display.format_value(("json", b"{}")) == "DevEncoded(format='json', 2 bytes)"
    assert display.format_value(["a"] * 20).endswith(", … (20 items)]")
    assert len(display.format_value("x" * 10_000)) <= 200


def test_proxies_inside_containers_keep_their_repr(shell, tg):
    text, _ = formats(shell, [tg, tg])
    assert text.replace(",\n ", ", ") == f"[{tg!r}, {tg!r}]"   # IPython breaks long lists
    assert formats(shell, {"dev": tg})[0] == f"{{'dev': {tg!r}}}"


def test_read_attributes_shows_one_line_per_value(shell, tg, nodb_server):
    """A list of read values (read_attributes) gives one line each: name, value, quality and time
    of day; a failed read its first error; an image its summary, never the whole array."""
    import tango_core

    das = tg.read_attributes(["double_scalar", "string_scalar", "double_image_ro", "State"])
    text, _ = formats(shell, das)
    lines = text.splitlines()
    assert len(lines) == 4, text
    assert re.fullmatch(rf"\[<double_scalar = {re.escape(repr(das[0].value))}  ATTR_VALID \d\d:\d\d:\d\d\.\d{{3}}>,", lines[0])
    assert lines[1].startswith(" <string_scalar = " + repr(das[1].value) + "  ATTR_VALID ")
    assert re.match(r" <double_image_ro = float64\[251×251\] \[.*, …\]  min=\S+ max=\S+  ATTR_VALID ", lines[2])
    assert len(lines[2]) < 250
    assert re.match(rf" <State = {das[3].value.name}  ATTR_VALID ", lines[3]) and lines[3].endswith(">]")
    (failed,) = tango_core.DeviceProxy(nodb_server.device).read_attributes(["failing_read"])
    text, _ = formats(shell, (failed,))
    reason = failed.get_err_stack()[0].reason
    assert text.startswith(f"(<failing_read: read failed: {reason}: ") and text.endswith(">,)")
    assert formats(shell, {"v": das[0]})[0].startswith("{'v': <double_scalar = ")


# -- pictures: spectra and images as PNG plots (matplotlib, an optional extra) ----------------

@pytest.fixture
def no_matplotlib(monkeypatch):
    """As if matplotlib were not installed: importing it fails."""
    from itango import plots

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    plots.available.cache_clear()
    yield
    plots.available.cache_clear()


@pytest.fixture
def unit_on(tg):
    """Give a TangoTest attribute a unit and a label for one test, then put them back."""
    changed = []

    def set_unit(attribute: str, unit: str, label: str = "") -> None:
        config = tg.get_attribute_config(attribute)
        changed.append((attribute, config.unit, config.label))
        config.unit = unit
        if label:
            config.label = label
        tg.set_attribute_config(config)

    yield set_unit
    for attribute, unit, label in reversed(changed):
        config = tg.get_attribute_config(attribute)
        config.unit, config.label = unit or "Not specified", label or "Not specified"
        tg.set_attribute_config(config)


def _mpl():
    return pytest.importorskip("matplotlib", reason="matplotlib (the plot extra) not installed")


def test_spectrum_is_plotted_in_png_and_in_the_html_card(shell, tg):
    _mpl()
    da = tg.read_attribute("double_spectrum_ro")
    data, _ = shell.display_formatter.format(da)
    png = data["image/png"]
    assert png_size(png) == (640, 340)
    (inline,) = html_images(data["text/html"])
    assert inline == png                    # the HTML card embeds the same picture
    assert "double_spectrum_ro" in check_html(data["text/html"])
    assert data["text/plain"].splitlines()[0] == "double_spectrum_ro  (DevDouble, SPECTRUM)  ATTR_VALID"


def test_image_is_plotted_with_a_colour_bar_labelled_with_its_unit(shell, tg):
    _mpl()
    from itango import plots

    da = tg.read_attribute("double_image_ro")
    png = shell.display_formatter.format(da)[0]["image/png"]
    assert png_size(png) == (560, 440)
    fig = plots.attribute_figure(da.value, name="double_image_ro", quality=da.quality,
                                 when=da.time.todatetime(), unit="counts")
    image_axes, bar_axes = fig.axes
    assert bar_axes.get_ylabel() == "counts"
    assert image_axes.get_images()[0].get_array().shape == da.value.shape
    titles = {loc: image_axes.get_title(loc) for loc in ("left", "right")}
    assert titles["left"].startswith("double_image_ro\n") and titles["right"] == "ATTR_VALID"


def test_spectrum_axis_says_its_unit_and_label(tg):
    _mpl()
    from itango import plots

    da = tg.read_attribute("double_spectrum_ro")
    fig = plots.attribute_figure(da.value, name="double_spectrum_ro", quality=da.quality,
                                 unit="mm", label="Position")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "Position [mm]"
    assert ax.get_title("left").startswith("Position (double_spectrum_ro)")
    assert list(ax.get_lines()[0].get_ydata()) == list(da.value)
    # "No unit" and the like are not units
    fig = plots.attribute_figure(da.value, name="double_spectrum_ro", unit="No unit")
    assert fig.axes[0].get_ylabel() == "double_spectrum_ro"


def test_scalars_and_strings_get_no_picture(shell, tg):
    _mpl()
    for name in ("double_scalar", "string_spectrum_ro"):
        data, _ = shell.display_formatter.format(tg.read_attribute(name))
        assert "image/png" not in data, name
        assert not html_images(data["text/html"]), name


def test_without_matplotlib_the_cards_stay(shell, tg, no_matplotlib):
    da = tg.read_attribute("double_spectrum_ro")
    data, _ = shell.display_formatter.format(da)
    assert "image/png" not in data
    assert not html_images(data["text/html"])
    assert data["text/plain"].splitlines()[0] == "double_spectrum_ro  (DevDouble, SPECTRUM)  ATTR_VALID"
    assert "matplotlib" not in sys.modules or sys.modules["matplotlib"] is None


def test_attribute_proxy_card_has_unit_value_and_plot(shell, tg, unit_on):
    _mpl()
    import tango_core

    unit_on("float_spectrum_ro", "mm", "Beam position")
    proxy = tango_core.AttributeProxy("sys/tg_test/1/float_spectrum_ro")
    data, _ = shell.display_formatter.format(proxy)
    text = data["text/plain"]
    assert text.splitlines()[0] == "Attribute(sys/tg_test/1/float_spectrum_ro)"
    assert re.search(r"^\s+unit\s+mm$", text, re.M) and re.search(r"^\s+label\s+Beam position$", text, re.M)
    assert re.search(r"^float_spectrum_ro  \(DevFloat, SPECTRUM\)  ATTR_VALID$", text, re.M)
    visible = check_html(data["text/html"])
    assert "Beam position" in visible and "mm" in visible
    (inline,) = html_images(data["text/html"])
    assert inline == data["image/png"]
    summary = display.attribute_summary(proxy)
    assert (summary.unit, summary.label) == ("mm", "Beam position")


def test_attribute_proxy_is_read_once_for_text_html_and_png(shell, tango_host):
    """One read and one configuration query for the three formats (TangoTest's black box)."""
    _mpl()
    import itertools

    import tango_core

    observer = tango_core.DeviceProxy("sys/tg_test/1")
    proxy = tango_core.AttributeProxy("sys/tg_test/1/double_spectrum_ro")
    proxy.get_device_proxy().ping()
    observer.black_box(1)
    data, _ = shell.display_formatter.format(proxy)
    assert {"text/plain", "text/html", "image/png"} <= set(data)
    since = list(itertools.takewhile(lambda e: "Operation blackbox" not in e, observer.black_box(50)))
    assert sum("read_attributes" in e for e in since) == 1, since


def test_attribute_proxy_of_a_dead_device_says_why_quickly(shell, peer_factory):
    import tango_core

    db, _ = peer_factory.tango_system()
    proxy = tango_core.AttributeProxy(f"tango://{db.tango_host}/sys/tg_test/1/double_scalar")
    proxy.get_device_proxy().ping()
    peer_factory.stop_all()
    started = time.monotonic()
    text = shell.display_formatter.format(proxy)[0]["text/plain"]
    assert time.monotonic() - started < 10
    assert text.splitlines()[0].startswith("Attribute(")
    assert re.search(r"^\s+error\s+\w+", text, re.M), text
