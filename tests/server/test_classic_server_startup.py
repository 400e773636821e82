"""PyTango's classic device-server start-up on tango_core: a server script written for PyTango's
classic API (``DeviceClass`` with ``attr_list``/``cmd_list``/``device_property_list``, a
``LatestDeviceImpl`` with ``read_<attr>``/``is_<attr>_allowed``/command methods) that ends with
``Util(sys.argv)``, ``add_class``, ``Util.instance().server_init()``, ``server_run()``.

The same file (tests/servers/ClassicPowerSupply.py) runs as a process under PyTango 10.3.1 and
under tango_core (``import tango`` made tango_core's by tango_core/pytango_alias on PYTHONPATH),
``python ClassicPowerSupply.py ps1 -nodb -dlist ... -ORBendPoint giop:tcp:127.0.0.1:<port>``
(and with a database); PyTango's client, the real peer, uses both and sees the same.  Also
compared: bad command lines, ``Util.instance()`` before any ``Util``, and what ``Util``
answers before and after ``server_init``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import peers
from server_clients import DEVFAILED, pytango_proxy

pytestmark = pytest.mark.peers

SCRIPT = peers.SERVERS_DIR / "ClassicPowerSupply.py"
IMPLS = ("pytango", "tango_core")


def _env(impl: str, tango_host: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process run by ``impl`` (see peers.classic_script_env)."""
    return peers.classic_script_env(impl == "tango_core", tango_host, **extra)


def _start(impl: str, tmp_path: Path, devices: tuple[str, ...] = ("test/classic/1",), instance: str = "ps1",
           tango_host: str | None = None, **extra: str) -> peers.Peer:
    """The classic script served by ``impl`` (peers.start_classic_script); PyTango's failing to
    start makes the test unavailable, tango_core's fails it."""
    try:
        return peers.start_classic_script(SCRIPT, instance, devices, on_tango_core=impl == "tango_core",
                                          log_dir=tmp_path, tango_host=tango_host, **extra)
    except peers.PeerStartError as exc:
        if impl == "pytango":
            peers.peer_unavailable(str(exc))
        raise


def _exit_status(peer: peers.Peer, timeout: float = 30) -> int:
    """The status the server process ends with (it must end within ``timeout``)."""
    proc = peer._proc
    assert proc is not None
    try:
        return proc.wait(timeout)
    finally:
        peer.stop()


def _outcome(call) -> tuple:
    try:
        value = call()
    except DEVFAILED as exc:
        return ("DevFailed", exc.args[0].reason, exc.args[0].desc)
    return ("ok", list(value) if isinstance(value, (list, tuple)) else value)


def _session(trl: str) -> list[tuple]:
    """What a PyTango client sees of a power supply: state, status, attributes, commands, refusals."""
    p = pytango_proxy(trl)
    seen = [_outcome(c) for c in (
        lambda: str(p.state()), p.status, lambda: p.Voltage, lambda: p.Current, p.ServerInfo,
        lambda: p.write_attribute("Current", 3.5), lambda: p.Current, lambda: p.Ramp(2.0), lambda: p.Current,
        lambda: p.TurnOff(), lambda: str(p.state()), p.status, lambda: p.Current, lambda: p.Ramp(1.0),
        lambda: p.TurnOn(), lambda: p.Ramp(1.0))]
    cfg = p.get_attribute_config("Current")
    info = p.info()
    cmd = p.command_query("Ramp")
    seen.append(("config", cfg.unit, cfg.label, str(cfg.writable), str(cfg.data_type)))
    seen.append(("info", info.dev_class, info.server_id))
    seen.append(("command", cmd.cmd_name, str(cmd.in_type), str(cmd.out_type), cmd.in_type_desc))
    seen.append(("attributes", sorted(p.get_attribute_list())))
    return seen


def test_a_classic_server_serves_as_under_pytango(tmp_path):
    seen, outputs = {}, {}
    for impl in IMPLS:
        server = _start(impl, tmp_path)
        try:
            seen[impl] = _session(server.devices[0])
            admin = pytango_proxy(server.admin_device)
            seen[impl].append(("admin", list(admin.QueryClass()), list(admin.QueryDevice())))
            admin.Kill()
            status = _exit_status(server)
        finally:
            server.stop()
        outputs[impl] = (status, [line for line in server.log_text().splitlines() if not line.startswith("===")])
    assert seen["tango_core"] == seen["pytango"]
    assert outputs["tango_core"] == outputs["pytango"]
    # said plainly
    core = seen["tango_core"]
    assert core[:4] == [("ok", "ON"), ("ok", "Power supply ready"), ("ok", 12.5), ("ok", 0.0)]
    assert core[4] == ("ok", ["ClassicPowerSupply/ps1", "ClassicPowerSupply", "ps1",
                              "test/classic/1,dserver/ClassicPowerSupply/ps1", "dserver/ClassicPowerSupply/ps1",
                              "PowerSupply", "dserver/ClassicPowerSupply/ps1", "False", "BY_DEVICE", "1", "x.y",
                              "0", "test/classic/1", "True"])
    assert core[12][:2] == ("DevFailed", "API_AttrNotAllowed")
    assert core[13][:2] == ("DevFailed", "API_CommandNotAllowed")
    # Kill: delete_device, server_run returns, the script ends normally; nothing printed on its own
    assert outputs["tango_core"] == (0, ["instance is the Util made: True", "server_init returned; starting: True",
                                         "delete_device test/classic/1", "server_run returned"])


@pytest.mark.parametrize("how", ["add_class2", "add_TgClass"])
def test_the_other_ways_of_adding_the_class(tmp_path, how):
    """``add_class(ClassCls, DeviceCls)`` names the Tango class after the device class;
    ``add_TgClass`` is ``add_class``'s older name."""
    seen = {}
    for impl in IMPLS:
        server = _start(impl, tmp_path, CLASSIC_ADD=how)
        try:
            p = pytango_proxy(server.devices[0])
            admin = pytango_proxy(server.admin_device)
            seen[impl] = (p.info().dev_class, list(admin.QueryClass()), p.Voltage)
        finally:
            server.stop()
    assert seen["tango_core"] == seen["pytango"] == ("PowerSupply", ["PowerSupply"], 12.5)


def test_ctrl_c_ends_server_run(tmp_path):
    ends = {}
    for impl in IMPLS:
        server = _start(impl, tmp_path)
        try:
            assert str(pytango_proxy(server.devices[0]).state()) == "ON"
            server._proc.send_signal(signal.SIGINT)
            status = _exit_status(server)
        finally:
            server.stop()
        ends[impl] = (status, server.log_text().splitlines()[-2:])
    assert ends["tango_core"] == ends["pytango"] == (0, ["delete_device test/classic/1", "server_run returned"])


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("model, serialised", [("BY_DEVICE", (True, False)), ("BY_CLASS", (True, True)),
                                               ("BY_PROCESS", (True, True)), ("NO_SYNC", (False, False))])
def test_the_serial_model(tmp_path, impl, model, serialised):
    """``Util.set_serial_model``: two requests at once to one device, then to two devices (of one
    class), wait for each other or not: the same under PyTango and tango_core."""
    from concurrent.futures import ThreadPoolExecutor

    devices = ("test/classic/1", "test/classic/2")
    server = _start(impl, tmp_path, devices=devices, CLASSIC_SERIAL_MODEL=model)
    try:
        proxies = [pytango_proxy(trl) for trl in server.devices]
        extra = pytango_proxy(server.devices[0])
        assert pytango_proxy(server.devices[0]).ServerInfo()[8] == model

        def together(a, b) -> float:
            start = time.monotonic()
            with ThreadPoolExecutor(2) as pool:
                for f in [pool.submit(a.Hold, 0.6), pool.submit(b.Hold, 0.6)]:
                    f.result()
            return time.monotonic() - start

        same_device = together(proxies[0], extra)
        two_devices = together(proxies[0], proxies[1])
    finally:
        server.stop()
    assert (same_device > 1.1, two_devices > 1.1) == serialised, (same_device, two_devices)


def test_with_a_database(tango_host, tmp_path):
    """Registered in a database: server_init exports the devices (the names come from the
    database), Kill unexports them and ends the script."""
    device = "test/classicdb/1"
    peers.register_server(tango_host, "ClassicPowerSupply/dbps", "PowerSupply", [device])
    server = _start("tango_core", tmp_path, devices=(device,), instance="dbps", tango_host=tango_host)
    try:
        p = pytango_proxy(server.devices[0])
        info = p.ServerInfo()
        assert (str(p.state()), p.Voltage, info[0], info[-1]) == ("ON", 12.5, "ClassicPowerSupply/dbps", "False")
        import tango  # PyTango, the peer: its Database client

        host, port = tango_host.split(":")
        db = tango.Database(host, int(port))
        assert db.get_device_info(device).exported
        pytango_proxy(server.admin_device).Kill()
        assert _exit_status(server) == 0
        assert not db.get_device_info(device).exported
    finally:
        server.stop()


def test_an_unregistered_instance_exits_as_under_pytango(tango_host):
    ends = {}
    for impl in IMPLS:
        done = subprocess.run([sys.executable, str(SCRIPT), "notregistered"], env=_env(impl, tango_host),
                              capture_output=True, text=True, timeout=60)
        ends[impl] = (done.returncode, done.stderr.strip().splitlines()[-1:], done.stdout)
    assert ends["tango_core"] == ends["pytango"] == (
        255, ["The device server ClassicPowerSupply/notregistered is not defined in database. Exiting!"], "")


@pytest.mark.parametrize("line", [[], ["ps1", "-nodb"], ["ps1", "-nodb", "-port"], ["ps1", "-dlist", "a/b/c"],
                                  ["ps1", "-unknown"]], ids=str)
def test_a_bad_command_line_ends_as_under_pytango(line):
    """No instance name, ``-nodb`` without an end point ...: ``Util(sys.argv)`` ends the script
    with PyTango's message and status (its command-line rules), before anything is served."""
    ends = {}
    for impl in IMPLS:
        done = subprocess.run([sys.executable, str(SCRIPT), *line], env=_env(impl), capture_output=True,
                              text=True, timeout=60)
        ends[impl] = (done.returncode, done.stdout, done.stderr)
    assert ends["tango_core"] == ends["pytango"]
    assert ends["tango_core"][0] in (1, 2)


UTIL_PROBE = textwrap.dedent('''
    import sys, tango
    what = sys.argv.pop(1)
    if what == "instance":
        tango.Util.instance()
        print("not reached")
    elif what == "instance-no-exit":
        try:
            tango.Util.instance(False)
        except tango.DevFailed as exc:
            print(exc.args[0].reason, "|", exc.args[0].desc)
    else:
        sys.path.insert(0, sys.argv.pop(1))
        from ClassicPowerSupply import PowerSupply, PowerSupplyClass
        util = tango.Util(sys.argv)
        def answers():
            u = tango.Util.instance()
            print(u is util, u.get_ds_name(), u.get_ds_exec_name(), u.get_ds_inst_name(), u.get_trace_level(),
                  u.get_serial_model(), u.get_polling_threads_pool_size(), u.get_server_version(),
                  u.is_svr_starting(), u.is_svr_shutting_down(), u.get_database(), tango.Util._UseDb,
                  [c.get_name() for c in u.get_class_list()],
                  [d.get_name() for d in u.get_device_list("*")], [d.get_name() for d in u.get_device_list("*/x/*")])
        answers()
        try:
            util.get_dserver_device()
        except tango.DevFailed as exc:
            print(exc.args[0].reason, "|", exc.args[0].desc)
        util.add_class(PowerSupplyClass, PowerSupply)
        util.server_init()
        answers()
        print(util.get_dserver_device().get_name(), util.get_device_by_name("a/x/1").get_name())
        util.set_serial_model(tango.SerialModel.BY_CLASS)
        util.set_polling_threads_pool_size(4)
        util.set_trace_level(3)
        util.set_server_version("2.1")
        answers()
        util.server_cleanup()
        print("cleaned up")
''')


@pytest.mark.parametrize("what", ["instance", "instance-no-exit", "util"])
def test_util_as_under_pytango(tmp_path, what):
    """``Util.instance()`` before any ``Util(argv)``: cppTango's message and exit status -1
    (``Util.instance(False)``: a DevFailed); a Util's answers before ``server_init``, after it, and
    after its settings change."""
    probe = tmp_path / "util_probe.py"
    probe.write_text(UTIL_PROBE)
    args = [] if what.startswith("instance") else [
        str(peers.SERVERS_DIR), "Probe", "ignored", "-v2", "-nodb", "-dlist", "a/x/1,a/y/1", "-ORBendPoint",
        f"giop:tcp:127.0.0.1:{peers.free_port()}"]
    ends = {}
    for impl in IMPLS:
        done = subprocess.run([sys.executable, str(probe), what, *args], env=_env(impl), capture_output=True,
                              text=True, timeout=60)
        ends[impl] = (done.returncode, done.stdout.splitlines(), done.stderr.splitlines())
    assert ends["tango_core"] == ends["pytango"]
    if what == "instance":
        assert ends["tango_core"] == (255, [], ["Tango is not initialised !!!", "Exiting"])
    if what == "util":  # the second instance name is ignored, as by cppTango
        assert ends["tango_core"][1][0].startswith("True util_probe/Probe util_probe Probe 2 BY_DEVICE")
