"""Server-side API calls made by device code (Attribute's assoc index and serial model, event
channel flags, Util's restart and alarm switches, DeviceImpl.stop_polling ...): the same server
file (tests/servers/DeviceApiServer.py) on PyTango and on tango_core answers the same."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.peers

EXPRESSIONS = [
    'attr("value").get_assoc_ind()', 'attr("setpoint").get_assoc_ind()',
    'attr("value").set_assoc_ind(3)', 'attr("value").get_assoc_ind()',
    'attr("value").get_attr_serial_model()', 'attr("value").set_attr_serial_model(AttrSerialModel.ATTR_BY_USER)',
    'attr("value").get_attr_serial_model()', 'attr("value").use_zmq_event()', 'attr("value").use_notifd_event()',
    'Util.instance().is_device_restarting("test/nodb/1")', 'self.init_logger()',
    'Util.instance().is_auto_alarm_on_change_event()', 'Util.instance().set_auto_alarm_on_change_event(False)',
    'Util.instance().is_auto_alarm_on_change_event()', 'self.poll_attribute("value", 100)',
]
AFTER_READINGS = ['self.stop_polling()', 'self.is_attribute_polled("value")']


def _answers(peer) -> list:
    from server_clients import pytango_proxy

    dev = pytango_proxy(peer.devices[0])
    out = [dev.Eval(e) for e in EXPRESSIONS]
    time.sleep(0.35)                             # a few readings of "value"
    out += [dev.Eval(e) for e in AFTER_READINGS]
    time.sleep(0.25)                             # a reading under way when polling stopped has ended
    stamps = [h.time.totime() for h in dev.attribute_history("value", 10)]
    time.sleep(0.5)                              # five periods: nothing more is read
    out.append([h.time.totime() for h in dev.attribute_history("value", 10)] == stamps)
    return out


def test_device_api_answers_as_on_pytango(peer_factory):
    keys = [*EXPRESSIONS, *AFTER_READINGS, "no reading after stop_polling"]
    seen = peer_factory.story_on_both("DeviceApiServer", "api", "DeviceApi",
                                      lambda peer: dict(zip(keys, _answers(peer))))
    assert seen["tango_core"] == seen["pytango"]
    answers = seen["tango_core"]
    assert answers['attr("setpoint").get_assoc_ind()'] == "1"
    assert answers["no reading after stop_polling"] is True


def _configuration_removed(host: str, name: str) -> list:
    import tango
    from server_clients import pytango_proxy

    dev = pytango_proxy(f"tango://{host}/{name}")
    db = tango.Database(*host.split(":"))
    cfg = dev.get_attribute_config("value")
    cfg.label, cfg.unit, cfg.alarms.max_alarm = "L", "mm", "5"
    dev.set_attribute_config(cfg)
    dev.poll_attribute("value", 500)
    story = [dict(db.get_device_attribute_property(name, "value")["value"])]
    story.append(dev.Eval('attr("value").remove_configuration()'))
    cfg = dev.get_attribute_config("value")
    story += [(cfg.label, cfg.unit, cfg.alarms.max_alarm), dict(db.get_device_attribute_property(name, "value")["value"]),
              dev.is_attribute_polled("value"), list(db.get_device_property(name, "polled_attr")["polled_attr"])]
    dev.stop_poll_attribute("value")
    return story


def test_remove_configuration_as_on_pytango(tango_host, peer_factory):
    """Attribute.remove_configuration deletes the attribute's properties in the database; the
    running attribute keeps its configuration and polling (PyTango 10.3.1's behaviour)."""
    import peers as _peers

    seen = {}
    for tag, on_core in (("pyt", False), ("core", True)):
        name = f"test/remove_configuration_{tag}/1"
        _peers.register_server(tango_host, f"DeviceApi/{tag}", "DeviceApi", [name])
        peer = peer_factory.pytango_server("DeviceApiServer", tag, tango_host=tango_host, device_class="DeviceApi",
                                           device_names=[name], register=False, on_tango_core=on_core)
        seen[tag] = _configuration_removed(tango_host, name)
        peer.stop()
    assert seen["core"] == seen["pyt"]
    assert seen["core"][0] == {"label": ["L"], "max_alarm": ["5"], "unit": ["mm"]} and seen["core"][3] == {}
