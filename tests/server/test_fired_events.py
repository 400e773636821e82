"""Events a device fires from its attribute objects, side by side on a PyTango 10.3.1 server and a
tango_core server (tests/servers/FiringServer.py), received by PyTango's and tango_core's clients:
``fire_change_event``/``fire_alarm_event`` with the value set or an error, the errors of pushes
without data and of firing with nothing set, and ``*_event_subscribed``/``is_event_subscribed``."""

from __future__ import annotations

import time

import pytest

import tango  # test peer only: the reference server and client
import tango_core
from event_channel import wait_until_events_arrive


def _events_seen(module, trl: str) -> dict:
    proxy = module.DeviceProxy(trl)
    seen: dict[str, list] = {"change": [], "alarm": []}
    ids = [proxy.subscribe_event("value", module.EventType.CHANGE_EVENT, lambda e: seen["change"].append(e)),
           proxy.subscribe_event("value", module.EventType.ALARM_EVENT, lambda e: seen["alarm"].append(e))]
    # the fired events must not be pushed before the subscriptions reach the publisher (ZMQ's
    # slow joiner, tests/event_channel.py); the probe is on another attribute than the listeners'
    wait_until_events_arrive(proxy, module.EventType, "level")
    listeners = proxy.command_inout("Listeners")
    proxy.command_inout("Fire", 5.0)
    proxy.command_inout("FireError", "boom")
    deadline = time.monotonic() + 15  # exits as soon as all arrived; slow only when some never do
    while time.monotonic() < deadline and (len(seen["change"]) < 3 or len(seen["alarm"]) < 3):
        time.sleep(0.05)
    for eid in ids:
        proxy.unsubscribe_event(eid)

    def view(events):
        return [("error", [(e.reason, e.desc.splitlines()[0]) for e in ev.errors]) if ev.err
                else ("value", ev.attr_value.value) for ev in events]
    return {"listeners": listeners, "change": view(seen["change"]), "alarm": view(seen["alarm"]),
            "idle listeners": proxy.command_inout("Listeners")}


@pytest.fixture(scope="module")
def firing_devices(tmp_path_factory):
    import peers
    with peers.served_by_pytango_and_tango_core("FiringServer", "test/firing/1", "FiringDevice",
                                                lambda: tmp_path_factory.mktemp("firing-logs")) as devices:
        yield devices


@pytest.mark.parametrize("client", [tango, tango_core], ids=["pytango-client", "tango_core-client"])
def test_fired_events_as_from_pytango_servers(firing_devices, client):
    reference = _events_seen(client, firing_devices["pytango"])
    ours = _events_seen(client, firing_devices["tango_core"])
    assert ours == reference
    assert [v for kind, v in ours["change"] if kind == "value"][-1] == 5.0
    assert ours["alarm"][-1][0] == "error" and "boom" in ours["alarm"][-1][1][0][1]


def _value_flag_steps(trl: str) -> list[str]:
    proxy = tango.DeviceProxy(trl)
    steps = [proxy.Step("fire"), proxy.Step("set"), proxy.Step("fire"), proxy.Step("fire")]  # nobody listens
    events: list = []
    eid = proxy.subscribe_event("level", tango.EventType.CHANGE_EVENT, events.append)  # reads 'level'
    steps += [proxy.Step("fire"), proxy.Step("set"), proxy.Step("fire"), proxy.Step("fire")]
    steps += [proxy.Step("set"), str(proxy.level), proxy.Step("fire")]  # a read sends the value
    steps += [proxy.Step("set"), str(proxy.value), proxy.Step("fire")]  # another attribute's read does not
    steps += [proxy.Step("set"), proxy.Step("error"), proxy.Step("fire")]  # an error clears the value
    proxy.unsubscribe_event(eid)
    steps.append(proxy.Step("fire"))  # the server still counts the listener
    return steps


def test_value_flag_rules_as_pytango_servers(firing_devices):
    """When firing needs a new set_value: equal step by step to a PyTango server's answers."""
    ours = _value_flag_steps(firing_devices["tango_core"])
    assert ours == _value_flag_steps(firing_devices["pytango"])
    assert ours[:4] == ["no error", "set", "no error", "no error"]
    assert ours[4].startswith("DevFailed: API_AttrValueNotSet") and ours[6] == "no error"
    assert ours[7].startswith("DevFailed: API_AttrValueNotSet")


def _qualities(trl: str) -> tuple:
    proxy = tango.DeviceProxy(trl)
    events: list = []
    eid = proxy.subscribe_event("level", tango.EventType.CHANGE_EVENT, events.append)
    try:
        steps = proxy.Qualities()
    finally:
        proxy.unsubscribe_event(eid)
    return (steps, proxy.read_attribute("quality_then_value").quality,
            proxy.read_attribute("value_then_quality").quality)


def test_qualities_spent_as_pytango_servers(firing_devices):
    """set_value resets the quality to VALID; so do a fire and a push; a refused fire does not."""
    ours = _qualities(firing_devices["tango_core"])
    assert ours == _qualities(firing_devices["pytango"])
    assert ours[0].split("|") == ["ATTR_WARNING", "ATTR_VALID", "ATTR_VALID", "ATTR_VALID", "ATTR_VALID",
                               "DevFailed: API_AttrValueNotSet", "ATTR_WARNING"]
    assert ours[1:] == (tango.AttrQuality.ATTR_VALID, tango.AttrQuality.ATTR_ALARM)


def test_misuses_as_pytango_servers(firing_devices):
    ours = tango.DeviceProxy(firing_devices["tango_core"]).command_inout("Misuses")
    assert ours == tango.DeviceProxy(firing_devices["pytango"]).command_inout("Misuses")
    assert "Pushing event without data parameter is only allowed for State and Status attributes" in ours
