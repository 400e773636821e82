"""Attribute options, alarms, state and status, properties, errors: tango_core as PyTango.

``tests/servers/BehaviourServer.py`` (written for PyTango) is registered in a private PyTango
database twice, once served by PyTango 10.3.1 and once by tango_core, with the same device and
class properties.  The same client calls go to both and must give the same outcome: properties
as device code sees them (types, defaults, a mandatory one missing), every attribute's
configuration, the quality thresholds give to a read and the state and status that follow,
``(value, time, quality)`` reads, write limits, ``fisallowed`` refusing writes only, command
descriptions and every way device code reports an error.  With PyTango's client and with
tango_core's.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import peers
from tango_core import DevState
from server_clients import assert_same, pytango_proxy, tango_core_proxy, what_client_sees

pytestmark = [pytest.mark.peers, pytest.mark.slow]

DEVICE_PROPERTIES = {
    "p_str": ["from the database"], "p_int": ["42"], "p_float": ["2.5"], "p_bool": ["false"],
    "p_long64": ["-9000000000"], "p_ints": ["4", "5", "6"], "p_floats": ["1.5", "-2"], "p_strs": ["x", "y z"],
    "p_bools": ["true", "0"], "p_mandatory": ["present"],
}
CLASS_PROPERTIES = {"c_floats": ["0.5"], "c_int": ["9"]}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    """A private PyTango database; BehaviourServer on PyTango (ref) and on tango_core (core),
    each with one device with every property."""
    logs = tmp_path_factory.mktemp("behaviour")
    started = []
    try:
        db = peers.start_pytango_database(log_dir=logs)
        started.append(db)
        tango = peers._tango()
        database = tango.Database(*db.tango_host.split(":"))
        servers = []
        for instance, on_core in (("ref", False), ("core", True)):
            names = [f"test/behaviour-{instance}/1"]
            peers.register_server(db.tango_host, f"BehaviourDevice/{instance}", "BehaviourDevice", names)
            database.put_device_property(names[0], DEVICE_PROPERTIES)
        database.put_class_property("BehaviourDevice", CLASS_PROPERTIES)
        for instance, on_core in (("ref", False), ("core", True)):
            names = [f"test/behaviour-{instance}/1"]
            servers.append(peers.start_pytango_server(
                "BehaviourServer", instance, tango_host=db.tango_host, device_names=names,
                device_class="BehaviourDevice", server_name="BehaviourDevice", register=False, log_dir=logs, on_tango_core=on_core))
            started.append(servers[-1])
        yield db, servers
    except peers.PeerStartError as exc:
        peers.peer_unavailable(str(exc))
    finally:
        for peer in reversed(started):
            peer.stop()


@pytest.fixture(params=["pytango", "tango_core"])
def client(request):
    return pytango_proxy if request.param == "pytango" else tango_core_proxy


@pytest.fixture
def pair(system, client):
    """(reference proxy, tango_core-served proxy) to the fully configured device, reset."""
    ref, ours = client(system[1][0].devices[0]), client(system[1][1].devices[0])
    for p in (ref, ours):
        p.command_inout("Init")
    return ref, ours


def test_properties_as_device_code_sees_them(pair):
    ref, ours = pair
    assert_same(ref, ours, lambda p: p.command_inout("Properties"))
    seen = what_client_sees(lambda: ours.command_inout("Properties"))
    assert "p_int=int:42" in seen[1][1] and "p_mandatory=str:'present'" in seen[1][1]


def test_a_missing_mandatory_property_stops_the_server(system):
    db, servers = system
    outcomes = []
    for peer in servers:
        instance = "nomandatory-" + peer.argv[peer.argv.index("-ORBendPoint") - 1]
        name = f"test/{instance}/1"
        peers.register_server(db.tango_host, f"BehaviourDevice/{instance}", "BehaviourDevice", [name])
        argv = list(peer.argv)
        argv[argv.index("-ORBendPoint") - 1] = instance
        argv[argv.index("-ORBendPoint") + 1] = f"giop:tcp:127.0.0.1:{peers.free_port()}"
        done = subprocess.run(argv, env=peer.env, capture_output=True, text=True, timeout=60)
        out = done.stdout + done.stderr
        # (PyTango also prints "<name> property NOT found in database" for each class property
        # without a value: a debugging print of its own, not imitated)
        outcomes.append((done.returncode, "Device property p_mandatory is mandatory" in out, out.splitlines()[-1]))
    assert outcomes[1] == outcomes[0]


ATTRIBUTES = ["gauge", "counts", "limited", "timed", "timed_spectrum", "guarded", "wrong_value", "read_throws",
              "write_throws", "State", "Status"]


@pytest.mark.parametrize("name", ATTRIBUTES)
def test_attribute_configuration(pair, name):
    ref, ours = pair
    assert_same(ref, ours, lambda p: p.get_attribute_config_ex(name)[0])


def test_command_descriptions(pair):
    ref, ours = pair
    assert_same(ref, ours, lambda p: sorted((c.cmd_name, str(c.in_type), str(c.out_type), c.in_type_desc,
                                             c.out_type_desc, str(c.disp_level)) for c in p.command_list_query()))


def _picture(p):
    """What an operator's panel shows: state, status, and each alarmed attribute's quality."""
    return (p.state(), p.status(), p.read_attribute("State").value, p.read_attribute("Status").value,
            [(a.name, str(a.quality), a.value if not hasattr(a.value, "tolist") else a.value.tolist())
             for a in p.read_attributes(["gauge", "counts", "limited"])])


@pytest.mark.parametrize("gauge", [0.0, 4.99, 5.0, 6.0, -6.0, 8.0, 8.01, -9.0, 12.0])
def test_qualities_state_and_status_follow_the_thresholds(pair, gauge):
    ref, ours = pair
    for p in (ref, ours):
        p.command_inout("SetGauge", gauge)
    assert_same(ref, ours, _picture)


@pytest.mark.parametrize("state", ["ON", "STANDBY", "MOVING", "FAULT", "OFF", "ALARM", "INIT", "UNKNOWN"])
def test_alarms_in_every_state_and_several_attributes(pair, state):
    ref, ours = pair
    for p in (ref, ours):
        p.command_inout("ChangeState", getattr(DevState, state))
        p.command_inout("SetGauge", -9.0)      # alarm
        p.command_inout("SetCounts", -5)       # warning
        p.command_inout("SetLimited", [1.0, 9.5, 2.0])   # alarm at element 1
    assert_same(ref, ours, _picture)
    for p in (ref, ours):
        p.command_inout("ChangeStatus", "my own status")
    assert_same(ref, ours, _picture)
    for p in (ref, ours):
        p.command_inout("SetGauge", 0.0)
        p.command_inout("SetCounts", 0)
        p.command_inout("SetLimited", [])
    assert_same(ref, ours, _picture)


@pytest.mark.parametrize("quality", [0, 1, 2, 3, 4])
def test_reads_returning_value_time_and_quality(pair, quality):
    ref, ours = pair
    for p in (ref, ours):
        p.command_inout("SetTimedQuality", quality)
    for name in ("timed", "timed_spectrum"):
        assert_same(ref, ours, lambda p: (lambda a: (a.value if not hasattr(a.value, "tolist") else a.value.tolist(),
                                                     a.time.totime(), str(a.quality)))(p.read_attribute(name)))
    assert_same(ref, ours, lambda p: (p.state(), p.status()))


WRITES = [("gauge", 10.0), ("gauge", 10.01), ("gauge", -11.0), ("gauge", math.nan), ("gauge", 7.0),
          ("limited", [11.0, -1.0]), ("limited", [-1.0, 11.0]), ("limited", [5.0, math.inf, 11.0]),
          ("limited", [0.0, 10.0]), ("limited", [1.0] * 5), ("guarded", 3.0), ("write_throws", 1.0)]


@pytest.mark.parametrize("name,value", WRITES, ids=[f"{n}={v!r}" for n, v in WRITES])
def test_writes_limits_and_refusals(pair, name, value):
    ref, ours = pair
    assert_same(ref, ours, lambda p: p.write_attribute(name, value))
    assert_same(ref, ours, lambda p: (lambda a: (a.w_value if not hasattr(a.w_value, "tolist")
                                                 else a.w_value.tolist()))(p.read_attribute(name)))


def test_fisallowed_refuses_writes_only(pair):
    ref, ours = pair
    for p in (ref, ours):
        p.command_inout("ChangeState", DevState.OFF)
    assert_same(ref, ours, lambda p: p.write_attribute("guarded", 2.0))
    assert_same(ref, ours, lambda p: p.read_attribute("guarded").value)
    for p in (ref, ours):
        p.command_inout("ChangeState", DevState.ON)
    assert_same(ref, ours, lambda p: p.write_attribute("guarded", 2.0))
    assert_same(ref, ours, lambda p: p.read_attribute("guarded").value)


@pytest.mark.parametrize("call", ["Throw", "ReThrow", "RaiseDevFailed", "RaisePython", "WrongResult",
                                  "wrong_value", "read_throws"])
def test_errors_from_device_code(pair, call):
    ref, ours = pair
    if call == "WrongResult" and sys.version_info >= (3, 13):
        reference_sees = what_client_sees(lambda: ref.command_inout(call))
        if reference_sees[1][0][0] == "API_CorbaException":
            ours_sees = what_client_sees(lambda: ours.command_inout(call))
            assert ours_sees[0] == "DevFailed" and ours_sees[1][0][0] == "PyDs_PythonError", ours_sees
            pytest.xfail("PyTango 10.3.1's server on Python 3.13 fails a command result of the wrong type "
                         "with an UNKNOWN CORBA exception (its log: pybind11 'Unable to convert call "
                         "argument'); on 3.10-3.12 it answers PyDs_PythonError, as ours does")
    if call[0].isupper():
        assert_same(ref, ours, lambda p: p.command_inout(call))
    else:
        assert_same(ref, ours, lambda p: p.read_attribute(call).value)
