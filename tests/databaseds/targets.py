"""Ways to send the differential sequence (differential.py) to a database server."""

from __future__ import annotations

import socket
from typing import Any

from differential import Typed, outcome


def _tango_reply(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 2 and not isinstance(value[0], str) \
            and hasattr(value[0], "__len__") and isinstance(value[1], (list, tuple)):
        return ([int(v) for v in value[0]], list(value[1]))
    if isinstance(value, tuple):
        return list(value)
    return value


def pytango_runner(tango_host: str):
    """Steps sent by PyTango's client (a test peer) to the database at ``tango_host``."""
    import tango

    proxy = tango.DeviceProxy(f"tango://{tango_host}/sys/database/2")
    proxy.set_timeout_millis(10000)

    def reason(exc: BaseException) -> str | None:
        return exc.args[0].reason if isinstance(exc, tango.DevFailed) else None

    def run(command: str, argin: Any) -> Any:
        def call() -> Any:
            if isinstance(argin, Typed):
                data = tango.DeviceData()
                data.insert(getattr(tango.CmdArgType, argin.type_name), argin.value)
                return _tango_reply(proxy.command_inout_raw(command, data).extract())
            if argin is None:
                return _tango_reply(proxy.command_inout(command))
            return _tango_reply(proxy.command_inout(command, argin))
        return outcome(call, reason)

    return run


def in_process_runner(commands):
    """Steps sent straight to a DatabaseCommands object (no network), after doing what the
    server does at start-up: export its own two devices."""
    from tango_core.idl.errors import DevFailed

    host = socket.gethostname()
    commands.execute("DbExportDevice", ["dserver/DataBaseds/2", "IOR:" + "0" * 100, host, "1", "6"])
    commands.execute("DbExportDevice", ["sys/database/2", "IOR:" + "0" * 100, host, "1", "6"])

    def reason(exc: BaseException) -> str | None:
        return exc.args[0].reason if isinstance(exc, DevFailed) else None

    def run(command: str, argin: Any) -> Any:
        value = argin.value if isinstance(argin, Typed) else argin
        return outcome(lambda: commands.execute(command, value), reason)

    return run
