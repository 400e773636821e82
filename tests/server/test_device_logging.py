"""Device logging as PyTango users see it: the log4tango decorators (LogIt, DebugIt ... with
arguments and return values), the streams, log records sent to a log consumer device
(``device::`` targets), and the level a server's ``-vN`` gives.  The same device-server file runs
on PyTango and on tango_core; a consumer device records what each one sends."""

from __future__ import annotations

import re
import time
from typing import ClassVar

import pytest

from tango_core.server import Device, command
from tango_core.test_context import DeviceTestContext

pytestmark = pytest.mark.peers


class LogConsumer(Device):
    """Keeps every record sent to its Log command (cppTango's log consumer interface)."""

    records: ClassVar[list] = []

    @command(dtype_in=[str])
    def Log(self, record):
        LogConsumer.records.append(list(record))


def _records_from(source_peer, consumer_access):
    """Run the source's commands with the consumer as a logging target; the records received."""
    from server_clients import pytango_proxy

    LogConsumer.records.clear()
    source = pytango_proxy(source_peer.devices[0])
    source.set_logging_level(5)
    source.add_logging_target(f"device::{consumer_access}")
    start = time.time()
    source.debug_decorated()
    source.info_decorated()
    source.with_arguments()
    with pytest.raises(Exception, match="on purpose"):
        source.raising()
    source.streams()
    deadline = time.monotonic() + 10
    while len(LogConsumer.records) < 11 and time.monotonic() < deadline:
        time.sleep(0.05)
    records = list(LogConsumer.records)
    for stamp, _level, name, _message, context, thread in records:
        assert start - 1 <= int(stamp) / 1000 <= time.time() + 1, (source_peer.name, stamp)
        assert name == source_peer.devices[0].split("/", 3)[3].split("#")[0], (source_peer.name, name)
        assert context == "" and re.fullmatch(r"@[0-9a-f]+ \[[0-9a-f]+\]", thread), (source_peer.name, context, thread)
    return [(level, message) for _s, level, _n, message, _c, _t in records]


def test_records_reach_a_log_consumer_device_as_from_pytango(peer_factory):
    with DeviceTestContext(LogConsumer, device_name="test/log/consumer") as consumer:
        access = f"tango://{consumer.get_dev_host()}:{consumer.get_dev_port()}/test/log/consumer#dbase=no"
        seen = peer_factory.story_on_both("LoggingServer", "logs", "LogSource", lambda peer: _records_from(peer, access),
                                          device_names=["test/log/source"])
    # cppTango sends each record with an asynchronous call: they may arrive in any order
    assert sorted(seen["tango_core"]) == sorted(seen["pytango"]), seen
    assert ("DEBUG", "-> LogSource.debug_decorated()") in seen["tango_core"]
    assert ("DEBUG", f"'{'a' * 19}[...]' <- LogSource.arg_method()") not in seen["tango_core"]  # 'aaa...a2'
    assert ("WARN", "warn text 3") in seen["tango_core"]
    assert ("ERROR", "<- LogSource.raising() raised exception!") in seen["tango_core"]


@pytest.mark.parametrize("debug", [1, 2, 3, 5])
def test_verbosity_sets_the_level_as_pytango(debug):
    """``-vN`` (DeviceTestContext's ``debug=N``): the device's level and console target."""
    import tango as pytango
    from tango.test_context import DeviceTestContext as PyTangoContext

    class Levels(pytango.server.Device):
        pass

    with PyTangoContext(Levels, debug=debug, process=True) as theirs:
        expected = (theirs.get_logging_level(), "console::cout" in theirs.get_logging_target())
    with DeviceTestContext(LogConsumer, debug=debug) as ours:
        assert (ours.get_logging_level(), "console::cout" in ours.get_logging_target()) == expected
