"""A device's polling properties (``poll_ring_depth``, ``attr_poll_ring_depth``,
``cmd_poll_ring_depth``, ``min_poll_period``, ``attr_min_poll_period``, ``cmd_min_poll_period``,
``poll_old_factor``, ``non_auto_polled_attr/cmd``), put in the database before the server
starts: the same server file (tests/servers/PollingSettingsServer.py) on PyTango and on
tango_core answers the same to device code's getters and to PyTango's client (refused periods,
ring depths), with and without the properties."""

from __future__ import annotations

import time

import pytest

import peers as _peers

pytestmark = pytest.mark.peers

SETTINGS = {"poll_ring_depth": ["5"], "attr_poll_ring_depth": ["value", "3"], "cmd_poll_ring_depth": ["Count", "7"],
            "min_poll_period": ["100"], "attr_min_poll_period": ["other", "150"], "cmd_min_poll_period": ["count", "120"],
            "poll_old_factor": ["6"], "non_auto_polled_attr": ["other"], "non_auto_polled_cmd": ["Count"]}

GETTERS = ["get_poll_ring_depth", "get_attr_poll_ring_depth value", "get_attr_poll_ring_depth other",
           "get_attr_poll_ring_depth nope", "get_cmd_poll_ring_depth Count", "get_cmd_poll_ring_depth count",
           "get_min_poll_period", "get_attr_min_poll_period", "get_cmd_min_poll_period", "get_poll_old_factor",
           "get_non_auto_polled_attr", "get_non_auto_polled_cmd"]


def _answers(dev) -> list:
    import tango

    def attempt(fn, *args):
        try:
            fn(*args)
        except tango.DevFailed as exc:
            return exc.args[0].reason, exc.args[0].desc
        return "ok"

    out = [dev.Call(g) for g in GETTERS]
    out += [attempt(dev.poll_attribute, "value", 50), attempt(dev.poll_attribute, "value", 200),
            attempt(dev.poll_attribute, "value", 60),             # UpdObjPollingPeriod
            dev.Call("poll_attribute value 70"),                   # from device code
            attempt(dev.poll_attribute, "value", 100),
            attempt(dev.poll_attribute, "other", 120), attempt(dev.poll_attribute, "other", 150),
            attempt(dev.poll_command, "Count", 110), attempt(dev.poll_command, "Count", 120)]
    time.sleep(2.5)                                                # every ring full
    out += [len(dev.attribute_history("value", 20)), len(dev.attribute_history("other", 20)),
            len(dev.command_history("Count", 20)),
            sorted(s.splitlines()[2] for s in dev.polling_status())]
    return out


@pytest.mark.parametrize("with_settings", [True, False], ids=["with_properties", "without"])
def test_polling_settings_as_on_pytango(tango_host, peer_factory, with_settings):
    import tango
    from server_clients import pytango_proxy

    db = tango.Database(*tango_host.split(":"))
    seen = {}
    for tag, on_core in (("pyt", False), ("core", True)):
        name = f"test/polling_settings_{tag}{int(with_settings)}/1"
        _peers.register_server(tango_host, f"PollingSettingsServer/{tag}{int(with_settings)}", "PollingSettings", [name])
        db.delete_device_property(name, list(SETTINGS))
        if with_settings:
            db.put_device_property(name, SETTINGS)
        peer = peer_factory.pytango_server("PollingSettingsServer", f"{tag}{int(with_settings)}", tango_host=tango_host,
                                           device_class="PollingSettings", device_names=[name], register=False,
                                           on_tango_core=on_core)
        seen[tag] = _answers(pytango_proxy(peer.devices[0]))
        peer.stop()
    assert seen["core"] == seen["pyt"]
    answers = seen["core"]
    if with_settings:
        assert answers[:2] == ["5", "3"] and answers[5] == "7" and answers[9] == "6"
        assert answers[12] == ("API_MethodArgument", "Polling period for attribute value is below the min authorized (100)")
        assert answers[-4:-1] == [3, 5, 7]
    else:
        assert answers[:2] == ["0", "10"] and answers[9] == "4"
        assert answers[-4:-1] == [10, 10, 10]
