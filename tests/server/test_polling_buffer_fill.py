"""Polling buffers filled by device code (``fill_attr_polling_buffer``,
``fill_cmd_polling_buffer``, ``TimedAttrData``, ``TimedCmdData``): the same server file runs on
PyTango and on tango_core, and PyTango's client reads the same histories from both."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peers


def _histories(peer):
    from server_clients import pytango_proxy

    dev = pytango_proxy(peer.devices[0])
    out = {"from code": [dev.PollAtStart()]}
    for period in (0, 3, 50):
        out["from code"].append((dev.PollFromCode(period), dev.is_attribute_polled("spectrum"),
                                 dev.get_attribute_poll_period("spectrum")))
        if out["from code"][-1][1]:
            dev.stop_poll_attribute("spectrum")     # externally triggered (0) included
    dev.poll_attribute("value", 0)      # externally triggered: only device code fills the buffer
    dev.poll_attribute("spectrum", 0)
    dev.poll_command("result", 0)
    dev.Fill()
    for h in dev.attribute_history("value", 10):
        out.setdefault("value", []).append((round(h.time.totime(), 6), h.quality.name, h.has_failed,
                                            None if h.has_failed else (h.value, h.w_value),
                                            h.get_err_stack()[0].desc.strip() if h.has_failed else None))
    h = dev.attribute_history("spectrum", 10)[0]
    out["spectrum"] = (round(h.time.totime(), 6), list(h.value), h.dim_x)
    out["result"] = [(round(h.get_date().totime(), 6), h.has_failed(), None if h.has_failed() else h.extract(),
                      h.get_err_stack()[0].desc.strip() if h.has_failed() else None)
                     for h in dev.command_history("result", 10)]
    out["refused"] = {what: dev.Refused(what) for what in ("not_polled", "too_many", "set_point")}
    return out


def test_filled_buffers_read_as_from_a_pytango_server(peer_factory):
    seen = peer_factory.story_on_both("PollingFillServer", "fill", "PollingFill", _histories)
    assert seen["tango_core"] == seen["pytango"]
    values = seen["tango_core"]["value"]
    assert [v[:3] for v in values] == [(1_700_000_000.0, "ATTR_VALID", False), (1_700_000_001.0, "ATTR_ALARM", False),
                                       (1_700_000_002.0, "ATTR_INVALID", True)]
    assert values[0][3] == (1.5, 2.5) and "no reading" in values[2][4]


def _admin_answers(peer) -> list:
    """What the admin device answers to polling requests on objects polled or not."""
    import tango
    from server_clients import pytango_proxy

    dev = pytango_proxy(peer.devices[0])
    admin = pytango_proxy(dev.adm_name())
    name = dev.dev_name()

    def ask(command, *argin):
        try:
            admin.command_inout(command, argin[0] if len(argin) == 1 else argin)
        except tango.DevFailed as exc:
            return exc.args[0].reason, exc.args[0].desc
        return dev.is_attribute_polled("spectrum"), dev.get_attribute_poll_period("value")

    answers = [ask("RemObjPolling", [name, "attribute", "spectrum"]),             # nothing polled
               ask("UpdObjPollingPeriod", [100], [name, "attribute", "spectrum"])]
    dev.poll_attribute("value", 0)                                                  # externally triggered
    answers += [ask("RemObjPolling", [name, "attribute", "spectrum"]),             # something else polled
                ask("UpdObjPollingPeriod", [100], [name, "attribute", "spectrum"]),
                ask("AddObjPolling", [100], [name, "attribute", "value"]),           # period 0 is polled
                ask("UpdObjPollingPeriod", [200], [name, "attribute", "value"]),
                ask("UpdObjPollingPeriod", [0], [name, "attribute", "value"]),
                ask("RemObjPolling", [name, "attribute", "value"])]
    return answers


def test_admin_polling_refusals_as_from_a_pytango_server(peer_factory):
    seen = peer_factory.story_on_both("PollingFillServer", "admin", "PollingFill", _admin_answers)
    assert seen["tango_core"] == seen["pytango"]
    reasons = [a[0] for a in seen["tango_core"]]
    assert reasons[:5] == ["API_DeviceNotPolled", "API_DeviceNotPolled", "API_PollObjNotFound",
                           "API_PollObjNotFound", "API_AlreadyPolled"]
    assert seen["tango_core"][5:] == [(False, 200), (False, 0), (False, 0)]
