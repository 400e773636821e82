"""%mon (itango.monitor): the bounded event log, the command line, and real subscriptions to
TangoTest (periodic events after configuring polling through tango_core) and to the PyTango
TestServer's self-polled ``ramp`` attribute (change events, no database)."""

from __future__ import annotations

import datetime as dt
import re
import sys
import threading
import time

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from event_channel import wait_until_events_arrive
from terminal_and_html import ANSI, check_html
from itango import monitor as mon
from itango.monitor import EventLog, EventRecord


def _record(log: EventLog, device: str = "sys/tg_test/1", attribute: str = "double_scalar",
            value: str = "1.0") -> EventRecord:
    return log.append(lambda i: EventRecord(i, dt.datetime.now(), f"h:1/{device}/{attribute}",
                                            device, attribute, "change", value, None, None, (),
                                            object()))


# -- the event log (no peer needed) -----------------------------------------------------------

def test_event_ids_stay_stable_when_the_log_rolls_over():
    log = EventLog(capacity=5)
    records = [_record(log, value=str(n)) for n in range(12)]
    assert [r.id for r in records] == list(range(1, 13))
    assert len(log) == 5 and log.first_id == 8 and log.last_id == 12
    assert log.get(10).value_text == "9"           # id 10 is still the 10th event
    with pytest.raises(KeyError, match=r"event 3 has rolled out of the log .*ids 8\.\.12"):
        log.get(3)
    with pytest.raises(KeyError, match=r"no event 13"):
        log.get(13)
    log.clear()
    assert _record(log).id == 13                   # ids are never reused


def test_sparkline_scales_between_min_and_max():
    from itango.display import sparkline

    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5]) == "▄▄"
    assert sparkline([1.0, float("nan"), 2.0]) == "▁ █"


def test_only_the_newest_events_keep_their_full_data():
    log = EventLog(capacity=100, detail_depth=3)
    records = [_record(log) for _ in range(6)]
    assert [r.data is not None for r in records] == [False, False, False, True, True, True]


def test_log_filters_are_case_insensitive_regex_or_glob():
    log = EventLog()
    _record(log, "sys/tg_test/1", "double_scalar")
    _record(log, "sys/tg_test/1", "long_scalar")
    _record(log, "test/nodb/1", "Ramp")
    assert len(log.records("TG_TEST")) == 2
    assert [r.attribute for r in log.records(None, "^d")] == ["double_scalar"]
    assert [r.attribute for r in log.records("*", "ra*")] == ["Ramp"]
    assert [r.attribute for r in log.records("sys/*", "*scalar")] == ["double_scalar", "long_scalar"]
    assert [r.id for r in log.records(last=2)] == [2, 3]


# -- the command line (no peer needed) --------------------------------------------------------

@pytest.fixture
def shell():
    ip = InteractiveShell()
    ip.colors = "nocolor"
    yield ip
    mon.close_monitor(ip)


@pytest.mark.parametrize("line, message", [
    ("-x", r"unknown option '-x'; did you mean"),
    ("--ad sys/tg_test/1/x", r"unknown option '--ad'; did you mean '--add'"),
    ("-a", r"-a: needs an attribute"),
    ("-i", r"-i: needs an event id"),
    ("-i abc", r"'abc' is not an event id"),
    ("-i 7", r"no event 7"),
    ("-a sys/tg_test/1/x -t chnage", r"unknown event type 'chnage'; did you mean 'change'"),
    ("-l a b c", r"too many arguments"),
    ("-t periodic", r"-t: only goes with -a"),
    ("-a -d x/y/z/w", r"choose one of"),
    ("--for 3", r"--for: only goes with -w"),
    ("-w --for soon", r"--for: needs a number of seconds > 0"),
    ("-w --for -1", r"--for: needs a number of seconds > 0"),
    ("-a a/b/attr", r"a device name has three parts"),
    ("-d sys/tg_test/1/double_scalar", r"not monitoring 'sys/tg_test/1/double_scalar' \(nothing is monitored\)"),
])
def test_wrong_usage_raises_usage_error_with_hint(shell, line, message):
    with pytest.raises(UsageError, match=message):
        mon.mon_magic(shell, line)


def test_bare_mon_without_subscriptions_explains_how_to_start(shell):
    with capture_output() as out:
        mon.mon_magic(shell, "")
    assert out.stdout.strip() == "No attribute is monitored. Start with: %mon -a <device>/<attribute>"


# -- real subscriptions -----------------------------------------------------------------------

def _wait_for(predicate, timeout: float = 8.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _run(shell, line: str) -> str:
    with capture_output() as out:
        mon.mon_magic(shell, line)
    return out.stdout


@pytest.fixture(scope="module")
def polled_double_scalar(tango_host):
    """TangoTest/double_scalar polled at 200 ms, configured through tango_core itself."""
    import tango_core

    dev = tango_core.DeviceProxy("sys/tg_test/1")
    was = dev.get_attribute_poll_period("double_scalar")
    dev.poll_attribute("double_scalar", 200)
    yield dev
    if was:
        dev.poll_attribute("double_scalar", was)
    else:
        dev.stop_poll_attribute("double_scalar")


def test_periodic_events_fill_the_log(shell, polled_double_scalar, tango_host):
    out = _run(shell, "-a sys/tg_test/1/double_scalar -t periodic")
    assert out.strip().startswith("Monitoring sys/tg_test/1/double_scalar (periodic events).")
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 3), "fewer than 3 periodic events in 8 s"

    table = _run(shell, "")
    row = re.search(r"^1\s+sys/tg_test/1/double_scalar\s+periodic\s+(\d+)\s+(\S+)\s+ATTR_VALID\s+[\d:.]+\s+([▁▂▃▄▅▆▇█]+)$",
                    table, re.M)
    assert row, table
    assert int(row.group(1)) >= 3
    float(row.group(2))  # the last value is a number
    assert len(row.group(3)) == min(int(row.group(1)), mon.TREND_POINTS)  # one mark per value

    log_text = _run(shell, "-l")
    ids = [int(m) for m in re.findall(r"^(\d+)\s+\d\d:\d\d:\d\d\.\d{3}\s+sys/tg_test/1\s+double_scalar\s+periodic",
                                      log_text, re.M)]
    assert ids[:3] == [1, 2, 3]
    filtered = _run(shell, "-l tg_TEST DOUBLE*")
    assert len(re.findall(r"double_scalar\s+periodic", filtered)) >= len(ids)
    assert "0 event(s) shown" in _run(shell, "-l no_such_device")

    record = monitor.log.get(2)
    detail = _run(shell, "-i 2")
    assert detail.startswith("Event 2\n")
    assert re.search(rf"^\s+value\s+{re.escape(record.value_text)}$", detail, re.M)
    assert re.search(r"^double_scalar  \(DevDouble, SCALAR\)  ATTR_VALID$", detail, re.M)

    # HTML forms of the three views are self-contained and show the quality badge
    sub_html = mon.SubscriptionTable(monitor.subscriptions(), monitor.log)._repr_html_()
    assert ">ATTR_VALID<" in sub_html and "sys/tg_test/1/double_scalar" in check_html(sub_html)
    check_html(mon.EventTable(monitor.log.records(), monitor.log)._repr_html_())
    check_html(mon.EventDetail(record)._repr_html_())


def test_names_are_case_and_trl_insensitive(shell, polled_double_scalar, tango_host):
    port = tango_host.split(":")[1]
    _run(shell, "-a SYS/TG_TEST/1/Double_Scalar -t periodic")
    sub = mon.get_monitor(shell).subscriptions()[0]
    assert sub.name == "sys/tg_test/1/double_scalar"  # the device's own spelling
    for other in ("sys/tg_test/1/DOUBLE_SCALAR", f"tango://127.0.0.1:{port}/sys/tg_test/1/double_scalar",
                  f"tango://localhost:{port}/Sys/Tg_Test/1/double_scalar", f"localhost:{port}/sys/tg_test/1/double_scalar"):
        with pytest.raises(UsageError, match="already monitoring sys/tg_test/1/double_scalar"):
            mon.mon_magic(shell, f"-a {other}")
    out = _run(shell, f"-d tango://LOCALHOST:{port}/SYS/TG_TEST/1/double_SCALAR")
    assert out.startswith("Stopped monitoring sys/tg_test/1/double_scalar")
    assert mon.get_monitor(shell).subscriptions() == []


def test_unsubscribe_stops_the_events(shell, polled_double_scalar):
    _run(shell, "-a sys/tg_test/1/double_scalar -t periodic")
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 1)
    _run(shell, "-r")
    time.sleep(0.3)  # an event already in flight may still land
    count = monitor.log.last_id
    time.sleep(2.5)  # periodic events come every second: none may arrive now
    assert monitor.log.last_id == count
    assert "No attribute is monitored" in _run(shell, "")


def test_unknown_attribute_suggests_close_names(shell, tango_host):
    with pytest.raises(UsageError, match=r"has no attribute 'double_scalr'; did you mean 'double_scalar'"):
        mon.mon_magic(shell, "-a sys/tg_test/1/double_scalr")


def test_unknown_device_raises_devfailed(shell, tango_host):
    import tango_core

    with pytest.raises(tango_core.DevFailed) as info:
        mon.mon_magic(shell, "-a sys/tg_test/99/double_scalar")
    assert info.value.args[0].reason == "DB_DeviceNotDefined"
    assert mon.get_monitor(shell).subscriptions() == []


def test_unpolled_attribute_with_an_explicit_type_says_what_to_do(shell, tango_host):
    """-t asks for server events: when the server sends none, a UsageError says why (Tango's
    reason) and what to do, instead of a bare DevFailed."""
    import tango_core

    dev = tango_core.DeviceProxy("sys/tg_test/1")
    if dev.is_attribute_polled("uchar_scalar"):
        dev.stop_poll_attribute("uchar_scalar")
    with pytest.raises(UsageError) as info:
        mon.mon_magic(shell, "-a sys/tg_test/1/uchar_scalar -t periodic")
    message = str(info.value)
    assert "no periodic events: sys/tg_test/1/uchar_scalar is not polled by its server " \
           "(API_AttributePollingNotStarted)" in message, message
    assert "Leave out -t" in message and "--server-poll SECONDS" in message, message
    assert mon.get_monitor(shell).subscriptions() == []  # nothing half-registered


def test_default_type_falls_back_to_periodic_without_change_criteria(shell, tango_host):
    import tango_core

    dev = tango_core.DeviceProxy("sys/tg_test/1")
    cfg = dev.get_attribute_config("short_scalar_ro")
    assert cfg.events.ch_event.abs_change == "Not specified" and cfg.events.ch_event.rel_change == "Not specified"
    dev.poll_attribute("short_scalar_ro", 500)
    try:
        out = _run(shell, "-a sys/tg_test/1/short_scalar_ro")
        assert "has no change criteria (abs_change/rel_change): monitoring periodic events instead" in out
        assert mon.get_monitor(shell).subscriptions()[0].event_type == "periodic"
        assert _wait_for(lambda: len(mon.get_monitor(shell).log) >= 1)
    finally:
        mon.close_monitor(shell)
        dev.stop_poll_attribute("short_scalar_ro")


def test_change_events_on_a_device_without_database(shell, nodb_server):
    """``ramp`` is polled by the server itself every 100 ms with abs_change 0.5."""
    trl = nodb_server.device                       # tango://127.0.0.1:P/test/nodb/1#dbase=no
    base, _, _ = trl.partition("#")
    out = _run(shell, f"-a {base}/RAMP#dbase=no -t change")
    assert re.match(r"Monitoring tango://[\d.]+:\d+/test/nodb/1/ramp#dbase=no \(change events\)", out), out
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 3)
    assert {r.event_type for r in monitor.log.records()} == {"change"}
    out = _run(shell, f"-d {base}/ramp#DBASE=NO")
    assert out.startswith("Stopped monitoring")


def test_rollover_with_real_events_keeps_ids(nodb_server):
    monitor = mon.Monitor(capacity=5)
    try:
        monitor.subscribe(nodb_server.device.replace("#dbase=no", "/ramp#dbase=no"), "change")
        assert _wait_for(lambda: monitor.log.last_id >= 8)
        last = monitor.log.last_id
        kept = [r.id for r in monitor.log.records()]
        assert len(kept) == 5 and kept == list(range(kept[0], kept[0] + 5))
        assert monitor.log.get(kept[0]).id == kept[0]
        with pytest.raises(KeyError, match="rolled out"):
            monitor.log.get(1)
        assert last >= 8
    finally:
        monitor.close()


def test_live_view_without_terminal_prints_one_snapshot(shell, polled_double_scalar):
    _run(shell, "-a sys/tg_test/1/double_scalar -t periodic")
    assert _wait_for(lambda: len(mon.get_monitor(shell).log) >= 1)
    out = _run(shell, "-w")
    assert out.startswith("%mon live view")
    assert "sys/tg_test/1/double_scalar" in out
    assert "(not a terminal: one snapshot shown instead of the live view)" in out
    assert not ANSI.search(out)


def test_error_events_are_logged_with_their_stack(shell, nodb_server):
    """``failing_read`` raises on every read: polled, each periodic event carries the error."""
    import tango_core

    dev = tango_core.DeviceProxy(nodb_server.device)
    dev.poll_attribute("failing_read", 300)
    try:
        base = nodb_server.device.partition("#")[0]
        _run(shell, f"-a {base}/failing_read#dbase=no -t periodic")
        monitor = mon.get_monitor(shell)
        assert _wait_for(lambda: len(monitor.log) >= 2)
        record = monitor.log.records()[-1]
        assert record.failed
        table = _run(shell, "")
        assert re.search(r"failing_read#dbase=no\s+periodic\s+\d+ \(\d+ err\)\s+ERROR \w+: ", table), table
        log_text = _run(shell, "-l * failing")
        assert re.search(rf"^{record.id}\s+.*failing_read\s+periodic\s+ERROR ", log_text, re.M)
        detail = _run(shell, f"-i {record.id}")
        assert re.search(r"error\(s\), innermost first", detail)
        assert record.errors[0].reason in detail
    finally:
        mon.close_monitor(shell)
        dev.stop_poll_attribute("failing_read")


def test_unloading_the_extension_stops_monitoring(polled_double_scalar):
    """%unload_ext itango ends every subscription of that shell (events stop arriving)."""
    ip = InteractiveShell()
    ip.extension_manager.load_extension("itango")
    try:
        with capture_output():
            ip.run_line_magic("mon", "-a sys/tg_test/1/double_scalar -t periodic")
        monitor = mon.get_monitor(ip)
        assert _wait_for(lambda: len(monitor.log) >= 1)
    finally:
        ip.extension_manager.unload_extension("itango")
    time.sleep(0.3)
    count = monitor.log.last_id
    time.sleep(2.5)
    assert monitor.log.last_id == count
    assert monitor.subscriptions() == []


def test_a_device_alias_names_the_same_subscription(shell, polled_double_scalar, tango_host):
    import tango_core

    db = tango_core.Database()
    db.put_device_alias("sys/tg_test/1", "extras_mon_tg")
    try:
        out = _run(shell, "-a EXTRAS_MON_TG/double_scalar -t periodic")
        assert out.startswith("Monitoring sys/tg_test/1/double_scalar (periodic events).")
        with pytest.raises(UsageError, match="already monitoring sys/tg_test/1/double_scalar"):
            mon.mon_magic(shell, "-a sys/tg_test/1/Double_Scalar")
        assert _run(shell, "-d extras_mon_tg/DOUBLE_SCALAR").startswith("Stopped monitoring sys/tg_test/1/double_scalar")
        # subscribed by name, removed by alias: resolved through the database
        _run(shell, "-a sys/tg_test/1/double_scalar -t periodic")
        assert _run(shell, "-d Extras_Mon_Tg/double_scalar").startswith("Stopped monitoring sys/tg_test/1/double_scalar")
    finally:
        mon.close_monitor(shell)
        db.delete_device_alias("extras_mon_tg")


def test_device_typo_gets_did_you_mean_from_the_shell_session(tango_host):
    """With the extension loaded, an unknown device is a usage error naming the close match."""
    ip = InteractiveShell()
    ip.extension_manager.load_extension("itango")
    try:
        with pytest.raises(UsageError, match=r"no device 'sys/tg_tst/1'.*[Dd]id you mean 'sys/tg_test/1'"):
            mon.mon_magic(ip, "-a sys/tg_tst/1/double_scalar")
        assert mon.get_monitor(ip).subscriptions() == []
    finally:
        ip.extension_manager.unload_extension("itango")


def test_list_shows_the_newest_events_unless_all(shell):
    monitor = mon.get_monitor(shell)
    for n in range(mon.LIST_LIMIT + 50):
        _record(monitor.log, value=str(n))
    out = _run(shell, "-l")
    ids = [int(m) for m in re.findall(r"^(\d+)\s+\d\d:", out, re.M)]
    assert ids == list(range(51, mon.LIST_LIMIT + 51))
    assert f"the last {mon.LIST_LIMIT} of {mon.LIST_LIMIT + 50} (--all shows them all)" in out
    out = _run(shell, "-l --all")
    assert len(re.findall(r"^(\d+)\s+\d\d:", out, re.M)) == mon.LIST_LIMIT + 50
    with pytest.raises(UsageError, match="--all: only goes with -l"):
        mon.mon_magic(shell, "--all")


def test_attribute_alias(shell, polled_double_scalar, tango_host):
    import tango_core

    with pytest.raises(UsageError, match=r"'no_such_alias' is neither <device>/<attribute> nor an attribute alias"):
        mon.mon_magic(shell, "-a no_such_alias")
    db = tango_core.Database()
    db.put_attribute_alias("sys/tg_test/1/double_scalar", "extras_mon_ds")
    try:
        out = _run(shell, "-a extras_mon_ds -t periodic")
        assert out.startswith("Monitoring sys/tg_test/1/double_scalar (periodic events).")
        with pytest.raises(UsageError, match="already monitoring"):
            mon.mon_magic(shell, "-a sys/tg_test/1/double_scalar")
        assert _run(shell, "-d EXTRAS_MON_DS").startswith("Stopped monitoring sys/tg_test/1/double_scalar")
    finally:
        mon.close_monitor(shell)
        db.delete_attribute_alias("extras_mon_ds")


def test_archive_and_user_events_pushed_by_the_server(shell, peer_factory):
    """``-t archive`` and ``-t user`` on a private TestServer that pushes them on command."""
    import tango_core

    server = peer_factory.pytango_server("TestServer", "monpush", nodb=True)
    base = server.device.partition("#")[0]
    dev = tango_core.DeviceProxy(server.device)
    _run(shell, f"-a {base}/counter#dbase=no -t archive")
    _run(shell, f"-a {base}/string_rw#dbase=no -t user")
    monitor = mon.get_monitor(shell)
    first = monitor.log.last_id           # the subscriptions' own first events
    # the monitor's subscriptions reach the publisher asynchronously (ZMQ's slow joiner)
    wait_until_events_arrive(dev, tango_core.EventType, "last_written")
    dev.command_inout("PushCounterEvent")
    dev.command_inout("PushCounterEvent")
    dev.command_inout("PushUserEvent", "hello <mon>")

    def since_first():
        return [r for r in monitor.log.records() if r.id > first]

    def all_arrived():   # what the assertions below look at, not just "3 more events"
        records = since_first()
        return sum(r.attribute == "counter" for r in records) >= 2 and \
            any(r.attribute == "string_rw" for r in records)

    assert _wait_for(all_arrived, timeout=30), \
        f"pushed events missing after 30 s: {[(r.id, r.attribute, r.event_type, r.value_text) for r in since_first()]}"
    pushed = since_first()
    assert [(r.attribute, r.event_type) for r in pushed if r.attribute == "counter"][-2:] == \
        [("counter", "archive"), ("counter", "archive")], [(r.id, r.attribute, r.value_text) for r in pushed]
    assert [r.value_text for r in pushed if r.attribute == "counter"][-2:] == ["1", "2"]
    user = [r for r in pushed if r.attribute == "string_rw"]
    assert user and user[-1].event_type == "user" and user[-1].value_text == "'hello <mon>'"
    html = mon.EventTable(pushed, monitor.log)._repr_html_()
    assert "&#x27;hello &lt;mon&gt;&#x27;" in html
    check_html(html)


# -- attributes whose server sends no events: client polling, --server-poll ------------------

@pytest.fixture
def unpolled(tango_host):
    """TangoTest attributes no other test polls, checked unpolled and without change criteria
    (the session TangoTest is shared); whatever a test leaves configured is put back."""
    import tango_core

    dev = tango_core.DeviceProxy("sys/tg_test/1")
    names = ("float_scalar", "ushort_scalar")
    for name in names:
        assert not dev.is_attribute_polled(name), f"{name} is polled: another test left it so"
        events = dev.get_attribute_config(name).events.ch_event
        assert (events.abs_change, events.rel_change) == ("Not specified", "Not specified")
    yield dev
    for name in names:
        if dev.is_attribute_polled(name):
            dev.stop_poll_attribute(name)
        config = dev.get_attribute_config(name)
        if config.events.ch_event.abs_change != "Not specified":
            config.events.ch_event.abs_change = "Not specified"
            dev.set_attribute_config(config)


def test_an_unpolled_attribute_is_read_by_mon_itself(shell, unpolled):
    out = _run(shell, "-a sys/tg_test/1/float_scalar --period 0.2")
    assert out == ("Monitoring sys/tg_test/1/float_scalar by reading it every 200 ms (client-polled): "
                   "it is not polled by its server (API_AttributePollingNotStarted); %mon -a NAME "
                   "--server-poll SECONDS has its server poll it instead.\n"), out
    monitor = mon.get_monitor(shell)
    started = time.monotonic()
    assert _wait_for(lambda: len(monitor.log) >= 6, timeout=15), "fewer than 6 readings"
    elapsed = time.monotonic() - started
    records = monitor.log.records()
    assert {r.event_type for r in records} == {"client-polled"}
    assert all(r.quality is not None and r.number is not None for r in records)
    # at the period asked for, not faster (6 readings: at least 5 periods after the first)
    first, sixth = records[0].received, records[5].received
    assert (sixth - first).total_seconds() >= 5 * 0.2 * 0.9, [r.received for r in records[:6]]
    assert elapsed < 15

    table = _run(shell, "")
    assert re.search(r"^1\s+sys/tg_test/1/float_scalar\s+client-polled \(200 ms\)\s+\d+\s+\S+\s+"
                     r"ATTR_VALID\s+[\d:.]+\s+[▁▂▃▄▅▆▇█]+$", table, re.M), table
    log_text = _run(shell, "-l")
    assert re.search(r"^1\s+[\d:.]+\s+sys/tg_test/1\s+float_scalar\s+client-polled\s+\S+\s+ATTR_VALID$",
                     log_text, re.M), log_text
    detail = _run(shell, "-i 2")
    assert re.search(r"^\s+event\s+client-polled$", detail, re.M), detail
    assert re.search(r"^float_scalar  \(DevFloat, SCALAR\)  ATTR_VALID$", detail, re.M), detail
    # the views mark the rows in colour and in HTML too
    colored = mon.SubscriptionTable(monitor.subscriptions(), monitor.log).text(color=True)
    assert "\x1b[35mclient-polled (200 ms)" in colored
    html = mon.EventTable(monitor.log.records(), monitor.log)._repr_html_()
    assert "client-polled" in check_html(html)
    check_html(mon.SubscriptionTable(monitor.subscriptions(), monitor.log)._repr_html_())
    # the server was not touched
    assert not unpolled.is_attribute_polled("float_scalar")

    assert _run(shell, "-d sys/tg_test/1/float_scalar").startswith(
        "Stopped monitoring sys/tg_test/1/float_scalar (")
    time.sleep(0.5)   # a reading in progress may still land
    count = monitor.log.last_id
    time.sleep(1.0)
    assert monitor.log.last_id == count, "readings went on after %mon -d"
    assert not [t for t in threading.enumerate() if t.name.startswith("itango-mon-poll") and t.is_alive()]


def test_the_default_period_is_one_second(shell, unpolled):
    _run(shell, "-a sys/tg_test/1/float_scalar")
    sub = mon.get_monitor(shell).subscriptions()[0]
    assert (sub.event_type, sub.period, sub.how) == ("client-polled", 1.0, "client-polled every 1 s")
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 4, timeout=20)
    records = monitor.log.records()[:4]
    gaps = sorted((b.received - a.received).total_seconds() for a, b in zip(records, records[1:]))
    assert 0.8 <= gaps[1] <= 1.6, gaps             # the median of three intervals


def test_client_polled_read_errors_are_logged_with_their_stack(shell, nodb_server):
    """``failing_read`` raises on every read; unpolled, %mon reads it and logs each error."""
    base = nodb_server.device.partition("#")[0]
    out = _run(shell, f"-a {base}/failing_read#dbase=no --period 0.2")
    assert "(client-polled)" in out
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 2)
    record = monitor.log.records()[-1]
    assert record.failed and record.event_type == "client-polled"
    table = _run(shell, "")
    assert re.search(r"failing_read#dbase=no\s+client-polled \(200 ms\)\s+\d+ \(\d+ err\)\s+ERROR \w+: ",
                     table), table
    detail = _run(shell, f"-i {record.id}")
    assert re.search(r"error\(s\), innermost first", detail) and record.errors[0].reason in detail


def test_server_poll_configures_the_server_and_d_puts_it_back(shell, unpolled):
    dev = unpolled
    out = _run(shell, "-a sys/tg_test/1/ushort_scalar --server-poll 0.3")
    assert out.splitlines() == [
        "sys/tg_test/1/ushort_scalar: its server now polls it every 300 ms; abs_change = 1 "
        "(every change of the value is an event).",
        "Monitoring sys/tg_test/1/ushort_scalar (change events). %mon shows the latest values, "
        "%mon -w a live view."], out
    assert dev.get_attribute_poll_period("ushort_scalar") == 300
    assert dev.get_attribute_config("ushort_scalar").events.ch_event.abs_change == "1"
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 1)   # the subscription's first event
    assert {r.event_type for r in monitor.log.records()} == {"change"}

    out = _run(shell, "-d sys/tg_test/1/ushort_scalar")
    assert out.strip().endswith("Put back on its server: abs_change back to 'Not specified'; "
                                "server polling stopped."), out
    assert not dev.is_attribute_polled("ushort_scalar")
    assert dev.get_attribute_config("ushort_scalar").events.ch_event.abs_change == "Not specified"


def test_server_poll_leaves_an_existing_polling_alone(shell, unpolled):
    dev = unpolled
    dev.poll_attribute("ushort_scalar", 700)
    out = _run(shell, "-a sys/tg_test/1/ushort_scalar --server-poll 0.3 -t periodic")
    assert out.startswith("sys/tg_test/1/ushort_scalar: its server already polls it every 700 ms "
                          "(left as it is).\nMonitoring sys/tg_test/1/ushort_scalar (periodic events)."), out
    out = _run(shell, "-r")
    assert out == "Stopped monitoring 1 attribute(s).\n", out        # nothing to put back
    assert dev.get_attribute_poll_period("ushort_scalar") == 700
    assert dev.get_attribute_config("ushort_scalar").events.ch_event.abs_change == "Not specified"


def test_unloading_undoes_server_polling_and_stops_client_polling(unpolled):
    ip = InteractiveShell()
    ip.extension_manager.load_extension("itango")
    try:
        with capture_output():
            ip.run_line_magic("mon", "-a sys/tg_test/1/ushort_scalar --server-poll 0.5")
            ip.run_line_magic("mon", "-a sys/tg_test/1/float_scalar --period 0.2")
        monitor = mon.get_monitor(ip)
        assert _wait_for(lambda: len(monitor.log) >= 3)
        assert unpolled.is_attribute_polled("ushort_scalar")
    finally:
        ip.extension_manager.unload_extension("itango")
    assert not unpolled.is_attribute_polled("ushort_scalar")
    time.sleep(0.5)
    count = monitor.log.last_id
    time.sleep(1.0)
    assert monitor.log.last_id == count


@pytest.mark.parametrize("line, message", [
    ("-a x/y/z/w --period soon", r"--period: needs a period in seconds .* not 'soon'"),
    ("-a x/y/z/w --period 0.001", r"--period: the period must be at least 0.05 s"),
    ("-a x/y/z/w --server-poll", r"--server-poll: needs a period"),
    ("-l --period 1", r"--period: only goes with -a"),
    ("--server-poll 1", r"--server-poll: only goes with -a"),
    ("-a x/y/z/w --period 1 -t change", r"--period: is the interval of %mon's own readings"),
    ("-a x/y/z/w --period 1 --server-poll 1", r"--period: is the interval of %mon's own readings"),
    ("-o", r"-o: needs a variable name"),
    ("-o 2x", r"-o: '2x' is not a Python name"),
    ("--csv", r"--csv: needs a file name"),
    ("-o ev --csv f.csv", r"choose one of -o, --csv"),
])
def test_wrong_polling_and_export_options(shell, line, message):
    with pytest.raises(UsageError, match=message):
        mon.mon_magic(shell, line)


# -- the log as a table: -o NAME, --csv FILE --------------------------------------------------

def _values_logged(shell, monitor):
    run_until = time.monotonic() + 15
    while time.monotonic() < run_until and len(monitor.log) < 4:
        time.sleep(0.1)
    return monitor.log.records()


def test_o_hands_the_log_to_the_namespace_as_a_dataframe(shell, unpolled, nodb_server):
    pandas = pytest.importorskip("pandas")
    _run(shell, "-a sys/tg_test/1/float_scalar --period 0.2")
    base = nodb_server.device.partition("#")[0]
    _run(shell, f"-a {base}/failing_read#dbase=no --period 0.5")
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: any(r.failed for r in monitor.log.records()) and
                     sum(not r.failed for r in monitor.log.records()) >= 3)
    out = _run(shell, "-o events")
    frame = shell.user_ns["events"]
    assert isinstance(frame, pandas.DataFrame)
    assert out == f"events: the {len(frame)} event(s) of the log as a pandas.DataFrame\n"
    assert list(frame.columns) == ["id", "received", "device", "attribute", "event", "value",
                                   "quality", "value_time", "error", "text"]
    assert str(frame["received"].dtype).startswith("datetime64")
    good = frame[frame["attribute"] == "float_scalar"]
    records = {r.id: r for r in monitor.log.records()}
    for row in good.itertuples():
        assert row.value == records[row.id].value and row.quality == "ATTR_VALID"
        assert row.event == "client-polled" and pandas.isna(row.error)
    bad = frame[frame["attribute"] == "failing_read"]
    assert len(bad) and bad["error"].str.contains(": ").all() and bad["value"].isna().all()
    # filters as for -l
    _run(shell, "-o only_float * float")
    assert set(shell.user_ns["only_float"]["attribute"]) == {"float_scalar"}


def test_o_gives_a_list_of_dicts_without_pandas(shell, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)     # as if pandas were not installed
    monitor = mon.get_monitor(shell)
    for n in range(3):
        _record(monitor.log, value=str(n))
    out = _run(shell, "-o rows")
    assert out == "rows: the 3 event(s) of the log as a builtins.list of dicts (pandas is not installed)\n"
    rows = shell.user_ns["rows"]
    assert [r["id"] for r in rows] == [1, 2, 3] and rows[0]["text"] == "0"
    assert set(rows[0]) == {"id", "received", "device", "attribute", "event", "value", "quality",
                            "value_time", "error", "text"}


def test_csv_writes_the_log(shell, unpolled, tmp_path):
    import csv

    _run(shell, "-a sys/tg_test/1/float_scalar --period 0.2")
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 3)
    _run(shell, "-d sys/tg_test/1/float_scalar")
    path = tmp_path / "events.csv"
    out = _run(shell, f"--csv {path}")
    records = monitor.log.records()
    assert out == f"Wrote {len(records)} event(s) to {path}\n"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(records)
    for row, record in zip(rows, records):
        assert int(row["id"]) == record.id and row["event"] == "client-polled"
        assert float(row["value"]) == pytest.approx(record.value)
        assert dt.datetime.fromisoformat(row["received"]) == record.received
        assert row["quality"] == "ATTR_VALID" and row["error"] == ""
    with pytest.raises(UsageError, match=r"--csv: cannot write '/nonexistent/dir/x.csv'"):
        mon.mon_magic(shell, "--csv /nonexistent/dir/x.csv")


# -- %mon -p: monitored values as pictures ----------------------------------------------------

@pytest.fixture
def float_scalar_unit(unpolled):
    """float_scalar with a unit and a label for one test (put back afterwards)."""
    config = unpolled.get_attribute_config("float_scalar")
    before = (config.unit, config.label)
    config.unit, config.label = "mA", "Beam current"
    unpolled.set_attribute_config(config)
    yield
    config = unpolled.get_attribute_config("float_scalar")
    config.unit, config.label = (value or "Not specified" for value in before)
    unpolled.set_attribute_config(config)


def test_p_plots_numbers_over_time_with_units_and_arrays_as_they_are(shell, float_scalar_unit,
                                                                     nodb_server):
    pytest.importorskip("matplotlib", reason="matplotlib (the plot extra) not installed")
    from terminal_and_html import html_images, png_size

    _run(shell, "-a sys/tg_test/1/float_scalar --period 0.2")
    _run(shell, "-a sys/tg_test/1/double_spectrum_ro --period 0.3")
    base = nodb_server.device.partition("#")[0]
    _run(shell, f"-a {base}/failing_read#dbase=no --period 0.3")
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: sum(r.attribute == "float_scalar" for r in monitor.log.records()) >= 4
                     and any(r.attribute == "double_spectrum_ro" for r in monitor.log.records())
                     and any(r.failed for r in monitor.log.records()), timeout=15)

    # a terminal gets words and the table with its trends
    out = _run(shell, "-p")
    assert out.startswith("%mon -p draws its plots in Jupyter (notebook, lab, qtconsole); here: "
                          "the trends of the table\n"), out
    assert "sys/tg_test/1/float_scalar" in out

    view = mon.MonitorPlot(monitor)
    (series,) = view.series()       # the only numeric scalar; errors alone make no panel
    floats = [r for r in monitor.log.records() if r.attribute == "float_scalar"]
    assert series.name == "sys/tg_test/1/float_scalar" and series.values == [r.number for r in floats][:len(series.values)]
    assert series.how == "client-polled every 200 ms"
    assert set(series.qualities) == {"ATTR_VALID"}

    png = view._repr_png_()
    width, height = png_size(png)
    assert width == 720 and height > 200
    # the attribute's label and unit, asked of the device when the plot was drawn
    assert (series.unit, series.label) == ("mA", "Beam current")
    from itango import plots

    (ax,) = plots.history_figure([series]).axes
    assert ax.get_ylabel() == "Beam current\n[mA]" and ax.get_title("right") == "ATTR_VALID"
    history, spectrum = html_images(view._repr_html_())
    assert history == png and png_size(spectrum) == (640, 340)

    # one array event in detail: its plot
    event = next(r for r in reversed(monitor.log.records()) if r.attribute == "double_spectrum_ro")
    detail = mon.EventDetail(event)
    assert png_size(detail._repr_png_()) == (640, 340)
    assert html_images(detail._repr_html_())


def test_p_without_matplotlib_says_so(shell, unpolled, monkeypatch):
    from itango import plots

    monkeypatch.setitem(sys.modules, "matplotlib", None)   # as if not installed
    plots.available.cache_clear()
    try:
        _run(shell, "-a sys/tg_test/1/float_scalar --period 0.2")
        monitor = mon.get_monitor(shell)
        assert _wait_for(lambda: len(monitor.log) >= 2)
        out = _run(shell, "-p")
        assert out.startswith("matplotlib is not installed (pip install 'itango[plot]'): no plot\n"), out
        view = mon.MonitorPlot(monitor)
        assert view._repr_png_() is None
        assert "matplotlib is not installed" in check_html(view._repr_html_())
    finally:
        plots.available.cache_clear()


def test_p_with_nothing_monitored(shell):
    pytest.importorskip("matplotlib", reason="matplotlib (the plot extra) not installed")
    out = _run(shell, "-p")
    assert out.startswith("nothing to plot: no numeric value or array in the log "
                          "(%mon -a <device>/<attribute> first)"), out


def test_client_polling_a_device_that_goes_down_logs_why_at_every_reading(shell, peer_factory):
    """A device read every second whose server dies: one error per second, each saying why the
    device cannot be reached, not every other one "The connection request was delayed" (Tango
    retries a failed connection only after a second, so half the readings asked nothing)."""
    db, tangotest = peer_factory.tango_system()
    name = f"tango://{db.tango_host}/sys/tg_test/1/float_scalar"
    assert "(client-polled)" in _run(shell, f"-a {name}")
    monitor = mon.get_monitor(shell)
    assert _wait_for(lambda: len(monitor.log) >= 2, timeout=15)
    tangotest.kill()
    killed = monitor.log.last_id
    assert _wait_for(lambda: monitor.log.last_id >= killed + 6, timeout=20)
    failed = [r for r in monitor.log.records() if r.id > killed + 1]  # (one in flight at the kill)
    assert failed and all(r.failed for r in failed), [(r.id, r.failed) for r in failed]
    said = [" / ".join(f"{e.reason}: {e.desc}" for e in r.errors) for r in failed]
    assert not [text for text in said if "delayed" in text], said
    gaps = [(b.received - a.received).total_seconds() for a, b in zip(failed, failed[1:])]
    assert max(gaps) < 2.5, gaps  # every second, none skipped
    _run(shell, "-r")
