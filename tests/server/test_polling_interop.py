"""Polling on a tango_core device server, as PyTango 10.3.1's client (and tango_core's) sees it:
periods from code and from the admin commands, histories, reads from the cache, DevPollStatus
(which cppTango's client parses for ``is_attribute_polled`` / ``get_attribute_poll_period``),
StartPolling/StopPolling, late polls, and the ``polled_attr`` property across a restart.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from server_clients import DEVFAILED, pytango_proxy, tango_core_proxy
from tango_core import DevState
from tango_core.server import Device, attribute, command
from tango_core.test_context import DeviceTestContext

tango = pytest.importorskip("tango")

OUR_EVENT_SERVER = Path(__file__).resolve().parents[1] / "servers" / "event_server_on_tango_core.py"


class Polled(Device):
    """Attributes and commands polled by the server itself or through the admin device."""

    def init_device(self):
        super().init_device()
        self._ramp = 0.0
        self._pings = 0
        self.set_state(DevState.ON)

    @attribute(dtype=float, polling_period=100)
    def ramp(self):
        self._ramp += 1.0
        return self._ramp

    @attribute(dtype=float)
    def failing(self):
        raise ValueError("attr failure")

    @attribute(dtype=float)
    def slow(self):
        time.sleep(0.25)
        return 1.0

    @attribute(dtype=(float,), max_dim_x=10)
    def spectrum(self):
        return np.arange(3.0) + self._ramp

    @attribute(dtype=float)
    def plain(self):
        return 42.0

    @command(dtype_out=int, polling_period=200)
    def Ping(self):
        self._pings += 1
        return self._pings

    @command(dtype_out=(float,))
    def Arr(self):
        return [1.0, 2.0]

    @command(dtype_in=float)
    def Takes(self, v):
        pass


@pytest.fixture(scope="module")
def polled() -> Iterator[str]:
    """The Polled device in its own process (a loaded test process must not skew its timing)."""
    ctx = DeviceTestContext(Polled, process=True)
    ctx.start()
    try:
        yield ctx.get_device_access()
    finally:
        ctx.stop()


@pytest.fixture(params=["pytango", "tango_core"])
def proxy(request: pytest.FixtureRequest, polled: str) -> Any:
    return (pytango_proxy if request.param == "pytango" else tango_core_proxy)(polled)


def _admin(trl: str) -> Any:
    return pytango_proxy(pytango_proxy(trl).adm_name())


def _history(read, minimum: int, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        try:
            h = read()
            if len(h) >= minimum:
                return h
        except DEVFAILED:
            pass
        assert time.monotonic() < deadline, f"fewer than {minimum} history records after {timeout} s"
        time.sleep(0.1)


def _reasons(exc: BaseException) -> list[str]:
    return [e.reason for e in exc.args]


def test_periods_declared_in_code_are_polled_and_reported(proxy):
    _history(lambda: proxy.attribute_history("ramp", 5), 5)      # a few records: every status line
    assert proxy.is_attribute_polled("ramp")
    assert proxy.get_attribute_poll_period("ramp") == 100
    assert proxy.is_command_polled("Ping")
    assert proxy.get_command_poll_period("Ping") == 200
    assert not proxy.is_attribute_polled("plain")
    status = proxy.polling_status()
    ramp = next(s for s in status if s.startswith("Polled attribute name = ramp"))
    lines = ramp.split("\n")
    assert lines[1:3] == ["Polling period (mS) = 100", "Polling ring buffer depth = 10"]
    assert lines[3].startswith("Time needed for the last attribute reading (mS) = ")
    assert lines[4].startswith("Data not updated since ")
    assert lines[5].startswith("Delta between last records (in mS) = ")
    assert status[0].startswith("Polled command name = Ping\nPolling period (mS) = 200")


def test_attribute_history_keeps_the_period(proxy):
    h = _history(lambda: proxy.attribute_history("ramp", 10), 10)
    assert len(h) == 10 and not any(r.has_failed for r in h)
    times = [r.time.totime() for r in h]
    assert times == sorted(times)
    # the grid schedule: 100 ms between polls, whatever each reading costs (median: a poll made
    # late by a loaded machine skips its missed slot instead of bunching the next ones)
    assert 0.090 <= float(np.median(np.diff(times))) <= 0.110, np.diff(times)
    # each date goes with its own value: the ramp goes up by one per poll, so oldest first
    # means increasing values (the server packs values newest first, dates oldest first)
    values = [r.value for r in h]
    assert np.all(np.diff(values) > 0), values
    assert abs(abs(values[-1] - values[0]) - 9) < 1e-9


def test_history_of_a_failing_attribute_and_of_unpolled_ones(proxy, polled):
    adm = _admin(polled)
    dev = polled.split("/", 3)[-1].split("#")[0]
    adm.command_inout("AddObjPolling", [[100], [dev, "attribute", "failing"]])
    try:
        h = _history(lambda: proxy.attribute_history("failing", 3), 3)
        assert all(r.has_failed for r in h)
        assert h[-1].get_err_stack()[0].reason == "PyDs_PythonError"
        assert "attr failure" in h[-1].get_err_stack()[0].desc
        status = next(s for s in proxy.polling_status() if s.startswith("Polled attribute name = failing"))
        assert "\nLast attribute read FAILED :\n\tReason = PyDs_PythonError" in status
    finally:
        adm.command_inout("RemObjPolling", [dev, "attribute", "failing"])
    with pytest.raises(DEVFAILED) as info:
        proxy.attribute_history("plain", 3)
    assert "API_AttrNotPolled" in _reasons(info.value)
    with pytest.raises(DEVFAILED) as info:
        proxy.command_history("Arr", 3)
    assert "API_CmdNotPolled" in _reasons(info.value)


def test_command_history(proxy):
    h = _history(lambda: proxy.command_history("Ping", 4), 4)
    vals = [r.extract() for r in h]
    assert all(isinstance(v, int) for v in vals)
    assert np.all(np.diff(vals) > 0), vals  # oldest first, each date with its own result
    assert not any(r.has_failed() for r in h)


def test_state_polled_as_a_command_serves_command_history(proxy, polled):
    proxy.poll_command("State", 100)
    try:
        assert proxy.is_command_polled("State") and proxy.is_attribute_polled("State")
        h = _history(lambda: proxy.command_history("State", 3), 3)
        assert [int(r.extract()) for r in h] == [int(DevState.ON)] * 3
    finally:
        proxy.stop_poll_command("State")
    assert not proxy.is_command_polled("State")


def test_reads_from_the_cache(proxy):
    source = tango.DevSource if isinstance(proxy, tango.DeviceProxy) else __import__("tango_core").DevSource
    proxy.set_source(source.CACHE)
    try:
        v = proxy.read_attribute("ramp").value
        newest = proxy.attribute_history("ramp", 10)
        assert v in [r.value for r in newest]
        with pytest.raises(DEVFAILED) as info:
            proxy.read_attribute("plain")
        assert "API_AttrNotPolled" in _reasons(info.value)
        assert isinstance(proxy.command_inout("Ping"), int)
        with pytest.raises(DEVFAILED) as info:
            proxy.command_inout("Arr")
        assert "API_CmdNotPolled" in _reasons(info.value)
        proxy.set_source(source.CACHE_DEV)
        assert proxy.read_attribute("plain").value == 42.0       # not polled: read from the device
        assert proxy.read_attribute("ramp").value in [r.value for r in proxy.attribute_history("ramp", 10)]
        assert list(proxy.command_inout("Arr")) == [1.0, 2.0]
    finally:
        proxy.set_source(source.CACHE_DEV)


def test_polling_added_updated_and_removed_by_a_client(proxy):
    proxy.poll_attribute("spectrum", 150)
    try:
        assert proxy.get_attribute_poll_period("spectrum") == 150
        h = _history(lambda: proxy.attribute_history("spectrum", 2), 2)
        assert len(h[0].value) == 3
        proxy.poll_attribute("spectrum", 300)             # UpdObjPollingPeriod
        assert proxy.get_attribute_poll_period("spectrum") == 300
    finally:
        proxy.stop_poll_attribute("spectrum")
    assert not proxy.is_attribute_polled("spectrum")
    with pytest.raises(DEVFAILED) as info:
        proxy.attribute_history("spectrum", 2)
    assert "API_AttrNotPolled" in _reasons(info.value)


@pytest.mark.parametrize("argin, reason", [
    ([[2], ["attribute", "plain"]], "API_NotSupported"),            # below the 5 ms minimum
    ([[100], ["command", "Init"]], "API_NotSupported"),
    ([[100], ["command", "Takes"]], "API_IncompatibleCmdArgumentType"),
    ([[100], ["attribute", "ramp"]], "API_AlreadyPolled"),
    ([[100], ["attribute", "nope"]], "API_AttrNotFound"),
])
def test_admin_refuses_bad_polling_requests(polled, argin, reason):
    dev = polled.split("/", 3)[-1].split("#")[0]
    with pytest.raises(DEVFAILED) as info:
        _admin(polled).command_inout("AddObjPolling", [argin[0], [dev, *argin[1]]])
    assert reason in _reasons(info.value)


def test_polled_device_and_stop_start_polling(polled):
    adm = _admin(polled)
    dev = polled.split("/", 3)[-1].split("#")[0]
    assert list(adm.command_inout("PolledDevice")) == [dev]
    p = pytango_proxy(polled)
    adm.command_inout("StopPolling")
    try:
        time.sleep(0.3)
        before = p.attribute_history("ramp", 1)[0].time.totime()
        time.sleep(0.5)
        assert p.attribute_history("ramp", 1)[0].time.totime() == before
    finally:
        adm.command_inout("StartPolling")
    time.sleep(0.5)
    assert p.attribute_history("ramp", 1)[0].time.totime() > before


def test_late_polls_are_reported(polled):
    adm = _admin(polled)
    dev = polled.split("/", 3)[-1].split("#")[0]
    adm.command_inout("AddObjPolling", [[100], [dev, "attribute", "slow"]])
    try:
        time.sleep(1.2)
        status = next(s for s in adm.command_inout("DevPollStatus", dev)
                      if s.startswith("Polled attribute name = slow"))
        assert "\nPolling thread late " in status and " time(s) for this object (last time by " in status
        needed = float(status.split("Time needed for the last attribute reading (mS) = ")[1].split("\n")[0])
        assert needed >= 250
    finally:
        adm.command_inout("RemObjPolling", [dev, "attribute", "slow"])


@pytest.mark.slow
def test_polling_configuration_persists_across_a_restart(tango_host, peer_factory):
    """AddObjPolling stores ``polled_attr`` in the database; the restarted server polls again."""
    server = f"{OUR_EVENT_SERVER.stem}/pollcfg"
    peer = peer_factory.pytango_server(OUR_EVENT_SERVER, "pollcfg", tango_host=tango_host,
                                       device_class="EventDevice", device_names=["test/ourspoll/1"])
    try:
        dev = tango.DeviceProxy("test/ourspoll/1")
        dev.poll_attribute("value", 250)
        prop = tango.Database(*tango_host.rsplit(":", 1)).get_device_property("test/ourspoll/1", "polled_attr")
        flat = [x.lower() for x in prop["polled_attr"]]
        assert dict(zip(flat[::2], flat[1::2]))["value"] == "250"
        peer.restart()
        dev = tango.DeviceProxy("test/ourspoll/1")
        assert dev.is_attribute_polled("value") and dev.get_attribute_poll_period("value") == 250
        assert dev.get_attribute_poll_period("polled") == 100            # from the code
        dev.stop_poll_attribute("value")
        prop = tango.Database(*tango_host.rsplit(":", 1)).get_device_property("test/ourspoll/1", "polled_attr")
        assert "value" not in [x.lower() for x in prop["polled_attr"]]
    finally:
        try:
            tango.Database(*tango_host.rsplit(":", 1)).delete_server(server)
        except tango.DevFailed:
            pass
