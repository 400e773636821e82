"""What a client is told when a device's is_allowed methods refuse a read, a write or a command:
the same reasons and texts from a tango_core server as from a PyTango 10.3.1 server (the write's
text names the device state, as cppTango's does)."""

from __future__ import annotations

import pytest

import tango  # test peer only: the reference server and client

CALLS = {
    "read": lambda p: p.read_attribute("guarded"),
    "write": lambda p: p.write_attribute("guarded", 2.0),
    "command": lambda p: p.command_inout("Guarded"),
}


def test_refusal_texts_as_pytango_servers(peer_factory):
    devices = {on_core: peer_factory.pytango_server("RefusingServer", "core" if on_core else "py", nodb=True,
                                                    device_names=["test/refusing/1"], device_class="RefusingDevice",
                                                    on_tango_core=on_core).device
               for on_core in (False, True)}
    for call in sorted(CALLS):
        seen = {}
        for on_core, trl in devices.items():
            with pytest.raises(tango.DevFailed) as info:
                CALLS[call](tango.DeviceProxy(trl))
            seen[on_core] = [(e.reason, e.desc) for e in info.value.args]
        assert seen[True] == seen[False], call
    assert seen[True]
    write_text = [(e.reason, e.desc) for e in pytest.raises(tango.DevFailed, CALLS["write"],
                                                            tango.DeviceProxy(devices[True])).value.args]
    assert write_text[0] == ("API_AttrNotAllowed",
                             "It is currently not allowed to write attribute guarded. The device state is ON")
