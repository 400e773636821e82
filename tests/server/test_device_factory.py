"""Devices created and deleted while their server runs (``Util.create_device`` /
``delete_device``): the same server file (tests/servers/DeviceFactoryServer.py) on PyTango and on
tango_core, with PyTango's database and with tango_core's, tells PyTango's client the same story:
the new device is registered, exported and answers with the properties its callback put; the
refusals are PyTango's; a deleted device is gone from the database and from the server."""

from __future__ import annotations

import pytest

import peers as _peers

pytestmark = pytest.mark.peers


def _story(host: str, factory: str, tag: str) -> list:
    import tango
    from server_clients import pytango_proxy

    dev = pytango_proxy(f"tango://{host}/{factory}")
    db = tango.Database(*host.split(":"))
    made = f"test/made_{tag}"

    def seen(name):
        try:
            info = db.get_device_info(name)
            registered = (info.class_name, info.ds_full_name.split("/")[0], info.exported)
        except tango.DevFailed as exc:
            registered = exc.args[0].reason
        try:
            proxy = pytango_proxy(f"tango://{host}/{name}")
            answers = (str(proxy.state()), proxy.value)
        except tango.DevFailed as exc:
            answers = exc.args[-1].reason
        return registered, answers

    story = [dev.Create(["Made", f"{made}/1"]), seen(f"{made}/1"), dev.Devices(),
             dev.Create(["Made", f"{made}/1"]),           # already defined
             dev.Create(["Made", factory]),                # the factory's own name
             dev.Create(["Nope", f"{made}/2"]),
             dev.Create(["Made", f"{made}/3", f"made3_{tag}"]), db.get_alias_from_device(f"{made}/3"),
             dev.Delete(["Made", f"{made}/1"]), seen(f"{made}/1"),
             dev.Delete(["Made", f"{made}/1"]),           # no more in the database
             dev.Delete(["Nope", f"{made}/3"]),           # not of that class here
             dev.Devices()]
    return [str(x).replace(tag, "TAG") for x in story]


def test_devices_created_and_deleted_at_run_time_as_on_pytango(tango_host, peer_factory):
    ours_db = peer_factory._run(_peers.start_our_database)
    seen = {}
    for tag, host, on_core in (("pyt", tango_host, False), ("core", tango_host, True),
                               ("coredb", ours_db.tango_host, True)):
        factory = f"test/factory_{tag}/1"
        peer = peer_factory.pytango_server("DeviceFactoryServer", tag, tango_host=host, device_class="Factory",
                                           device_names=[factory], on_tango_core=on_core)
        seen[tag] = _story(host, factory, tag)
        peer.stop()
    assert seen["core"] == seen["pyt"]
    assert seen["coredb"] == seen["pyt"]
    story = seen["core"]
    assert story[0] == "ok" and story[1] == "(('Made', 'DeviceFactoryServer', 1), ('ON', 3.0))"
    assert story[3].startswith("PyAPI_DeviceAlreadyDefined|")
    assert story[9] == "('DB_DeviceNotDefined', 'API_DeviceNotDefined')"
    assert "test/made_TAG/1" not in story[-1] and "test/made_TAG/3" in story[-1]
