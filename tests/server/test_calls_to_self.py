"""Device code calling its own device through a DeviceProxy while it holds the device (a command
reading its own attribute, subscribing to its own events): answered at once on a PyTango
10.3.1 server (omniORB runs such calls in the calling thread) and on a tango_core server
(tests/servers/SelfCallServer.py), instead of waiting for the device the command holds until a
time-out."""

from __future__ import annotations

import pytest

import tango  # test peer only: the reference server and client


@pytest.fixture(scope="module")
def self_calling_devices(tmp_path_factory):
    import peers
    with peers.served_by_pytango_and_tango_core("SelfCallServer", "test/selfcall/1", "SelfCallDevice",
                                                lambda: tmp_path_factory.mktemp("selfcall-logs")) as devices:
        yield devices


@pytest.mark.parametrize("command", ["ReadOwn", "SubscribeOwn"])
@pytest.mark.parametrize("server", ["pytango", "tango_core"])
def test_device_code_calls_its_own_device(self_calling_devices, server, command):
    trl = self_calling_devices[server]
    answer = tango.DeviceProxy(trl).command_inout(command, trl)
    assert answer == {"ReadOwn": "read 7 in under a second: True",
                      "SubscribeOwn": "first event 7 in under a second: True"}[command]
