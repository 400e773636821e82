"""Signals sent to a device server process reach the devices that registered for them
(``register_signal`` / ``signal_handler``): the same server file (tests/servers/SignalServer.py)
on PyTango and on tango_core, signalled with os.kill, tells PyTango's client the same."""

from __future__ import annotations

import os
import signal
import time

import pytest

pytestmark = pytest.mark.peers


def _wait(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _story(peer) -> list:
    from server_clients import pytango_proxy

    dev = pytango_proxy(peer.devices[0])
    os.kill(peer.pid, signal.SIGUSR1)                   # registered in init_device
    story = [_wait(lambda: list(dev.received) == [signal.SIGUSR1])]
    story += [dev.Register(0), dev.Register(signal.SIGKILL), dev.Register(99),
              dev.Register(signal.SIGUSR2)]             # from a command: another thread than main
    os.kill(peer.pid, signal.SIGUSR2)
    story.append(_wait(lambda: list(dev.received) == [signal.SIGUSR1, signal.SIGUSR2]))
    dev.Unregister(signal.SIGUSR1)
    story.append(dev.Register(signal.SIGTERM))
    os.kill(peer.pid, signal.SIGTERM)                   # the handler runs, then the server stops
    story.append(_wait(lambda: not peer.is_running(), 10.0))
    return story


def test_signals_reach_registered_devices_as_on_pytango(peer_factory):
    seen = peer_factory.story_on_both("SignalServer", "sig", "SignalListener", _story)
    assert seen["tango_core"] == seen["pytango"]
    story = seen["tango_core"]
    assert story[0] is True and story[5] is True and story[-1] is True
    assert story[1:5] == ["API_SignalOutOfRange|Signal number 0 out of range",
                          "API_CantInstallSignal|Can't install signal 9. OS error = 22",
                          "API_SignalOutOfRange|Signal number 99 out of range", "ok"]
