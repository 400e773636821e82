"""Externally triggered polling (period 0) read when device code asks for it
(``Util.trigger_attr_polling`` / ``trigger_cmd_polling``): the same server file
(tests/servers/TriggeredPollingServer.py) runs on PyTango and on tango_core, and PyTango's client
sees the same refusals and the same histories from both."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peers


def _story(peer) -> list:
    import tango
    from server_clients import pytango_proxy

    dev = pytango_proxy(peer.devices[0])

    def history():
        try:
            return [h.value for h in dev.attribute_history("counter", 5)]
        except tango.DevFailed as exc:
            return exc.args[0].reason

    out = [dev.Trigger("attr counter")]                     # nothing of the device polled
    dev.poll_attribute("other", 1000)
    out += [dev.Trigger("attr counter"), dev.Trigger("attr other"), dev.Trigger("attr nope")]
    dev.poll_attribute("counter", 0)
    out += [history(), dev.Trigger("attr counter"), history(), dev.Trigger("attr counter"), history()]
    dev.set_source(tango.DevSource.CACHE)
    out.append(dev.read_attribute("counter").value)         # the last triggered reading, not a new one
    dev.set_source(tango.DevSource.CACHE_DEV)
    out.append(dev.Trigger("cmd Count"))                    # not polled
    dev.poll_command("Count", 0)
    out += [dev.Trigger("cmd Count"), dev.Trigger("cmd Count"),
            [h.extract() for h in dev.command_history("Count", 5)], dev.Trigger("cmd Nope")]
    return out


def test_triggered_readings_as_on_pytango(peer_factory):
    seen = peer_factory.story_on_both("TriggeredPollingServer", "t", "TriggeredPolling", _story)
    assert seen["tango_core"] == seen["pytango"]
    story = seen["tango_core"]
    assert story[0] == "API_DeviceNotPolled|Device test/nodb/1 is not polled"
    assert story[2].startswith("API_NotSupported|Polling for attribute other")
    assert story[4:10] == ["API_NoDataYet", "ok", [1], "ok", [1, 2], 2]
    assert story[13] == [1, 2]
