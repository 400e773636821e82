"""Sub-device diagnostics: the devices a server's devices make proxies to, as PyTango's servers
keep them (cppTango's SubDevDiag) and answer them (the admin device's QuerySubDevice).

``tests/servers/SubDeviceServer.py`` runs once on PyTango 10.3.1 and once on tango_core, without a
database; the same calls go to both and the answers must be the same.
"""

from __future__ import annotations

import pytest

from server_clients import tango_core_proxy

pytestmark = [pytest.mark.peers]

DEVICES = ["test/subdev/1", "test/subdev/2"]


@pytest.fixture
def servers(peer_log_dir):
    """(PyTango's, tango_core's) SubDeviceServer, fresh for each test (the lists only grow)."""
    import peers
    with peers.served_by_both("SubDeviceServer", ("subref", "subcore"), device_names=DEVICES,
                              device_class="SubDeviceUser", log_dir=peer_log_dir) as both:
        yield both


def _both(servers, index=0):
    return [tango_core_proxy(server.devices[index]) for server in servers]



def _admin(proxy):
    return tango_core_proxy(proxy.adm_name())


def test_proxies_made_by_devices_are_their_sub_devices(servers):
    """Proxies made in init_device and in commands are listed per device, lower-cased, once each,
    by the admin device's QuerySubDevice and by get_sub_devices, the same on both servers."""
    answers = []
    for server in servers:
        first, second = (tango_core_proxy(trl) for trl in server.devices)
        first.command_inout("MakeProxy", "Some/Other/Device")
        first.command_inout("MakeProxy", "some/other/device")   # the same device: listed once
        second.command_inout("MakeProxy", "a/b/c")
        answers.append((list(_admin(first).command_inout("QuerySubDevice")),
                        list(first.command_inout("SubDevices"))))
    reference, ours = answers
    assert ours == reference
    listed = ours[0]
    assert listed == ["test/subdev/1 tango://127.0.0.1:1/made/while/built#dbase=no",
                      "test/subdev/1 tango://127.0.0.1:1/some/other/device#dbase=no",
                      "test/subdev/2 tango://127.0.0.1:1/made/while/built#dbase=no",
                      "test/subdev/2 tango://127.0.0.1:1/a/b/c#dbase=no"]
    assert ours[1] == listed


def test_associated_device_is_the_device_serving_the_request(servers):
    for ref, ours in (_both(servers, 0), _both(servers, 1)):
        assert ours.command_inout("AssociatedDevice") == ref.command_inout("AssociatedDevice") == ours.dev_name()


def test_registering_and_removing_sub_devices_by_hand(servers):
    answers = []
    for server in servers:
        dev = tango_core_proxy(server.devices[0])
        dev.command_inout("RemoveSubDevices", "TEST/subdev/1")
        dev.command_inout("RemoveSubDevices", "test/subdev/2")
        dev.command_inout("RegisterSubDevice", ["Test/SubDev/1", "Elsewhere/Device/X"])
        dev.command_inout("RegisterSubDevice", ["", "no/device/y"])     # outside any device
        seen = [list(dev.command_inout("SubDevices"))]
        dev.command_inout("RemoveSubDevices", "test/subdev/1")
        seen.append(list(dev.command_inout("SubDevices")))
        answers.append(seen)
    assert answers[1] == answers[0]
    assert answers[1] == [["no/device/y", "test/subdev/1 elsewhere/device/x"], ["no/device/y"]]


def test_changed_lists_are_stored_in_the_database_as_cpptango_does(tango_db):
    """What the periodic store writes: each changed list into its device's ``__SubDevices``
    property (the admin device's for sub-devices without a device), nothing for a list equal to
    the stored one.  Against PyTango's database server."""
    from tango_core import Database
    from tango_core.server.sub_devices import SubDevDiag, stored_sub_devices, sub_devices_storer

    db = Database(*tango_db.tango_host.split(":"))
    admin, device = "dserver/SubDeviceStore/test", "test/substore/1"
    for name in (admin, device):
        db.delete_device_property(name, ["__SubDevices"])
    writes = []

    def store(name, subs):
        writes.append(name)
        sub_devices_storer(db)(name, subs)

    diag = SubDevDiag(admin, store, stored_sub_devices(db))
    diag.register_sub_device("Test/SubStore/1", "A/B/C")
    diag.register_sub_device("", "x/y/z")
    diag.store_sub_devices()
    assert db.get_device_property(device, "__SubDevices")["__SubDevices"] == ["a/b/c"]
    assert db.get_device_property(admin, "__SubDevices")["__SubDevices"] == ["x/y/z"]
    diag.store_sub_devices()                       # nothing changed since
    restarted = SubDevDiag(admin, store, stored_sub_devices(db), lambda: [device])
    restarted.get_sub_devices_from_cache()         # what a server reads at start-up
    restarted.register_sub_device("test/substore/1", "a/b/c")
    restarted.register_sub_device("", "x/y/z")
    restarted.store_sub_devices()                  # the same lists as stored: not written again
    assert sorted(writes) == [admin, device]
    restarted.register_sub_device("test/substore/1", "d/e/f")
    restarted.store_sub_devices()
    assert db.get_device_property(device, "__SubDevices")["__SubDevices"] == ["a/b/c", "d/e/f"]
    assert sorted(writes) == [admin, device, device]
    diag.close()
    restarted.close()


def _maker(mode):
    from tango_core import DeviceProxy, GreenMode
    from tango_core.server import Device, command

    elsewhere = "tango://127.0.0.1:1/{}#dbase=no"
    if mode == GreenMode.Asyncio:
        class Maker(Device):
            green_mode = mode

            @command(dtype_in=str)
            async def MakeProxy(self, name):
                DeviceProxy(elsewhere.format(name))
    else:
        class Maker(Device):
            green_mode = mode

            @command(dtype_in=str)
            def MakeProxy(self, name):
                DeviceProxy(elsewhere.format(name))
    return Maker


@pytest.mark.parametrize("green_mode", ["Synchronous", "Asyncio", "Gevent"])
def test_sub_devices_in_every_green_mode(green_mode):
    """The device whose request makes a proxy is its owner whatever the server's green mode
    (gevent devices run in a hub greenlet, asyncio ones on the loop)."""
    from tango_core import DeviceProxy, GreenMode
    from tango_core.test_context import DeviceTestContext

    with DeviceTestContext(_maker(GreenMode.names[green_mode]), device_name="test/maker/1") as proxy:
        proxy.MakeProxy("a/b/c")
        listed = list(DeviceProxy(proxy.adm_name()).QuerySubDevice())
    # the proxies this test (in the server's process, outside any request) made have no owner
    assert [entry for entry in listed if " " in entry] == ["test/maker/1 tango://127.0.0.1:1/a/b/c#dbase=no"]
    assert "tango://127.0.0.1:1/a/b/c#dbase=no" not in listed
