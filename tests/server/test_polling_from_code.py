"""Polling started, changed and stopped by device code, mixed with a client's polling requests:
the same server file (tests/servers/CodePollingServer.py) runs on PyTango and on tango_core, and
every step must give the same answer on both, cppTango's quirks included (a polling begun
externally triggered is not polled for the device's own is_attribute_polled, and device code
cannot then give it a period)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peers

STEPS = [
    # nothing polled: what stopping and asking give
    "stop value", "stop nope", "poll nope 100", "state nope", "state value",
    # externally triggered from device code
    "poll value 0", "state value", "poll value 0", "poll value 100", "stop value", "stop value",
    # periods from device code, then back to externally triggered
    "poll value 100", "state value", "poll value 200", "state value", "poll value 0", "state value",
    "stop nope", "stop value", "state value",
    # a client's requests between them
    "client poll 0", "state value", "client state", "poll value 200", "client stop",
    "client poll 100", "state value", "poll value 0", "state value", "client state", "stop value",
    "client state",
]


def _answers(peer) -> list:
    import tango
    from server_clients import pytango_proxy

    dev = pytango_proxy(peer.devices[0])
    out = []
    for step in STEPS:
        if not step.startswith("client"):
            out.append(dev.Do(step))
            continue
        try:
            what = step.split()[1]
            if what == "poll":
                dev.poll_attribute("value", int(step.split()[2]))
            elif what == "stop":
                dev.stop_poll_attribute("value")
            out.append((dev.is_attribute_polled("value"), dev.get_attribute_poll_period("value")))
        except tango.DevFailed as exc:
            out.append(exc.args[0].reason)
    return out


def test_device_code_polling_answers_as_on_pytango(peer_factory):
    seen = peer_factory.story_on_both("CodePollingServer", "steps", "CodePolling",
                                      lambda peer: dict(enumerate(zip(STEPS, _answers(peer)))))
    assert seen["tango_core"] == seen["pytango"]
    answers = [a for _, a in seen["tango_core"].values()]
    assert answers[0] == "API_DeviceNotPolled|Device test/nodb/1 is not polled"
    assert answers[6:9] == ["(False, 0)", "API_AlreadyPolled|Attribute value already polled",
                             "API_AlreadyPolled|Attribute value already polled"]
    assert answers[16] == "(True, 0)"
