"""Attribute default properties a server declares: bad ones refused as PyTango refuses them.

cppTango (under PyTango 10.3.1) checks the default properties of each attribute when the
attribute is defined (``Attr::set_default_properties``): a threshold that is no number of the
attribute's type (``"abc"``, ``1.0`` for an integer, ``None`` which PyTango passes on as
"None"), ``delta_t`` without ``delta_val`` or the reverse, a minimum not below its maximum, a
period or event change that is no number.  A declared attribute's bad property stops the server
at start-up: it prints ``Exiting: Server exited with tango.DevFailed:`` and the error, and
exits (status 0 with PyTango); ``DeviceTestContext`` raises that DevFailed from ``__enter__``.
A dynamic attribute's makes ``add_attribute`` raise it.  ``unit=None`` and the like are no
error: the device serves "None".

``tests/servers/AttributeDefaultsServer.py`` runs on PyTango and on tango_core, its good
declarations served the same way, bad ones (given through the environment or a command)
refused with the same reason and description (cppTango's origin names its C++ source).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import peers
from server_clients import tango_core_proxy
from tango_core import Attr, DevFailed, DevLong, UserDefaultAttrProp
from tango_core.server import Device, attribute
from tango_core.test_context import DeviceTestContext

SERVER = peers.SERVERS_DIR / "AttributeDefaultsServer.py"
DEVICE = "test/attrdefaults/1"
GOOD = ["scaled", "counted", "small", "named", "flag"]

#: (data type, declared default properties) cppTango refuses, and the reason it gives
BAD = {
    "delta_t_without_delta_val": ("DevDouble", {"delta_t": 1000}, "API_IncoherentValues"),
    "delta_val_without_delta_t": ("DevLong", {"delta_val": 2}, "API_IncoherentValues"),
    "min_value_not_a_number": ("DevDouble", {"min_value": "abc"}, "API_IncompatibleAttrDataType"),
    "max_alarm_not_a_number": ("DevLong", {"max_alarm": "abc"}, "API_IncompatibleAttrDataType"),
    "min_warning_float_for_an_integer": ("DevLong64", {"min_warning": 1.0}, "API_IncompatibleAttrDataType"),
    "max_warning_float_for_a_short": ("DevShort", {"max_warning": "2.5"}, "API_IncompatibleAttrDataType"),
    "min_alarm_blank_after_the_number": ("DevDouble", {"min_alarm": "1 "}, "API_IncompatibleAttrDataType"),
    "max_value_out_of_range": ("DevShort", {"max_value": 70000}, "API_IncompatibleAttrDataType"),
    "min_value_none": ("DevDouble", {"min_value": None}, "API_IncompatibleAttrDataType"),
    "max_alarm_none": ("DevLong", {"max_alarm": None}, "API_IncompatibleAttrDataType"),
    "delta_t_none": ("DevDouble", {"delta_t": None, "delta_val": 1}, "API_IncompatibleAttrDataType"),
    "delta_t_not_an_integer": ("DevDouble", {"delta_t": 1.5, "delta_val": 1}, "API_IncompatibleAttrDataType"),
    "abs_change_not_a_number": ("DevDouble", {"abs_change": "abc"}, "API_IncompatibleAttrDataType"),
    "min_value_above_max_value": ("DevDouble", {"min_value": 5, "max_value": 1}, "API_IncoherentValues"),
    "min_warning_equal_to_max_warning": ("DevLong", {"min_warning": 3, "max_warning": 3}, "API_IncoherentValues"),
    "string_min_value_above_max_value": ("DevString", {"min_value": "a", "max_value": "b"}, "API_IncoherentValues"),
}
#: the ones also tried at start-up (each starts two servers)
AT_START_UP = ["delta_t_without_delta_val", "delta_val_without_delta_t", "min_value_not_a_number",
               "min_warning_float_for_an_integer", "min_value_none", "min_value_above_max_value"]


def _tango_or_unavailable():
    try:
        return peers._tango()
    except peers.PeerStartError as exc:
        peers.peer_unavailable(str(exc))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(PyTango's, tango_core's) AttributeDefaultsServer with its good declarations."""
    _tango_or_unavailable()
    with peers.served_by_both(SERVER, ("ref", "core"), device_names=[DEVICE], device_class="AttributeDefaults",
                              log_dir=tmp_path_factory.mktemp("logs")) as both:
        yield both


def _config(proxy, name: str) -> dict:
    """The default properties a client gets for attribute ``name``."""
    c = proxy.get_attribute_config_ex(name)[0]
    return {
        "label": c.label, "unit": c.unit, "format": c.format, "min_value": c.min_value,
        "max_value": c.max_value, "min_alarm": c.alarms.min_alarm, "max_alarm": c.alarms.max_alarm,
        "min_warning": c.alarms.min_warning, "max_warning": c.alarms.max_warning,
        "delta_t": c.alarms.delta_t, "delta_val": c.alarms.delta_val,
        "abs_change": c.events.ch_event.abs_change, "rel_change": c.events.ch_event.rel_change,
        "event_period": c.events.per_event.period, "archive_period": c.events.arch_event.archive_period,
    }


@pytest.mark.peers
def test_good_declarations_are_served_as_on_pytango(servers):
    reference, ours = (tango_core_proxy(server.devices[0]) for server in servers)
    for name in GOOD:
        assert _config(ours, name) == _config(reference, name), name
    scaled = _config(ours, "scaled")
    assert (scaled["min_value"], scaled["max_warning"], scaled["delta_t"], scaled["delta_val"]) \
        == ("-10", "6.5", "1000", "0.5")
    named = _config(ours, "named")
    assert (named["min_value"], named["unit"], named["label"], named["format"]) == ("abc", "None", "None", "None")
    # "NaN" and "" leave a property at the library default
    assert (_config(ours, "small")["max_value"], _config(ours, "small")["min_alarm"]) \
        == ("Not specified", "Not specified")


def _error(exc: DevFailed) -> tuple[str, str]:
    return exc.args[0].reason, exc.args[0].desc


@pytest.mark.peers
@pytest.mark.parametrize("case", list(BAD))
def test_bad_dynamic_attribute_is_refused_by_add_attribute_as_on_pytango(servers, case):
    dtype, props, reason = BAD[case]
    declaration = json.dumps({"name": f"dyn_{case}", "dtype": dtype, "props": props})
    answers = []
    for server in servers:
        proxy = tango_core_proxy(server.devices[0])
        with pytest.raises(DevFailed) as caught:
            proxy.command_inout("AddAttribute", declaration)
        answers.append(_error(caught.value))
        assert f"dyn_{case}".lower() not in [a.lower() for a in proxy.get_attribute_list()]
    assert answers[1] == answers[0]
    assert answers[1][0] == reason


@pytest.mark.peers
def test_good_dynamic_attribute_is_added_as_on_pytango(servers):
    declaration = json.dumps({"name": "dyn_good", "dtype": "DevLong",
                              "props": {"min_value": "-5", "max_alarm": 9, "delta_t": 10, "delta_val": 1,
                                        "unit": None}})
    proxies = [tango_core_proxy(server.devices[0]) for server in servers]
    assert [p.command_inout("AddAttribute", declaration) for p in proxies] == ["dyn_good", "dyn_good"]
    reference, ours = (_config(p, "dyn_good") for p in proxies)
    assert ours == reference
    assert (ours["min_value"], ours["max_alarm"], ours["unit"]) == ("-5", "9", "None")


def _start_up(case: str, on_tango_core: bool, tmp_path) -> str:
    """What the server prints when started with ``case``'s extra declared attribute (it must exit
    by itself: a server that starts is stopped and the test fails)."""
    dtype, props, _ = BAD[case]
    env = peers._child_env(None, {"ATTRIBUTE_DEFAULTS": json.dumps({"dtype": dtype, "props": props})})
    if on_tango_core:
        start = [str(peers.SERVERS_DIR / "on_tango_core.py")]
        root = str(peers.SERVERS_DIR.parents[1])
        env["PYTHONPATH"] = root + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    else:
        start = ["-c", "import runpy, sys; path = sys.argv.pop(1); sys.argv[0] = sys.argv.pop(1); "
                       "runpy.run_path(path, run_name='__main__')"]
    argv = [sys.executable, *start, str(SERVER), "AttributeDefaultsServer", "core" if on_tango_core else "ref",
            "-ORBendPoint", f"giop:tcp:{peers.LOOPBACK}:{peers.free_port()}", "-nodb", "-dlist", DEVICE]
    try:
        done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{'tango_core' if on_tango_core else 'PyTango'} started a server with {case}")
    return done.stdout + done.stderr


def _printed_error(output: str) -> tuple[str, str]:
    assert "Exiting: Server exited with tango.DevFailed:" in output, output
    reason = re.search(r"^\s*reason = (.*)$", output, re.MULTILINE)
    desc = re.search(r"^\s*desc = (.*)$", output, re.MULTILINE)
    assert reason and desc, output
    return reason.group(1), desc.group(1)


@pytest.mark.peers
@pytest.mark.parametrize("case", AT_START_UP)
def test_bad_declared_attribute_stops_the_server_at_start_up_as_on_pytango(case, tmp_path):
    _tango_or_unavailable()
    reference = _printed_error(_start_up(case, False, tmp_path))
    ours = _printed_error(_start_up(case, True, tmp_path))
    assert ours == reference
    assert ours[0] == BAD[case][2]


def test_device_test_context_raises_the_devfailed_at_start_up():
    class Refused(Device):
        level = attribute(dtype=float, delta_val=0.5, fget=lambda self: 1.0)

    with pytest.raises(DevFailed) as caught:
        with DeviceTestContext(Refused):
            pass
    assert caught.value.args[0].reason == "API_IncoherentValues"
    assert "delta_val or delta_t" in caught.value.args[0].desc


def test_classic_attr_refuses_bad_default_properties_when_given_them():
    attr = Attr("counts", DevLong)
    holder = UserDefaultAttrProp()
    holder.set_min_value("1.5")
    with pytest.raises(DevFailed) as caught:
        attr.set_default_properties(holder)
    assert _error(caught.value) == ("API_IncompatibleAttrDataType", "User default property min_value for attribute "
                                    ": counts is defined in unsupported format. Expected DevLong")
    assert attr.props == {}
    holder.set_min_value("-2")
    attr.set_default_properties(holder)
    assert attr.props == {"min_value": "-2"}
