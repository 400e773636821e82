"""Per-device logging: the ``debug_stream`` ... ``fatal_stream`` of device code, the admin
device's logging commands and the ``-v`` command-line option.

Tango (log4tango) gives every device a logger with a level (OFF=0, FATAL=1, ERROR=2, WARN=3,
INFO=4, DEBUG=5; default WARN) and a list of targets: ``console::cout`` or ``file::<path>``
(device logging to another device, ``device::<name>``, is accepted and ignored).  ``-vN`` adds
a console target at level N to every device.  Lines look like cppTango's::

    2026-12-07T01:37:58,854590+0000 WARN test/nodb/dev message

Records also go to the standard ``logging`` logger ``tango_core.server.device`` (at DEBUG), so an
application can route them elsewhere.
"""

from __future__ import annotations

import datetime
import logging
import sys
import threading
from typing import Any, TextIO

from ..idl.enums import LogLevel

__all__ = ["DeviceLogger", "LEVEL_NAMES", "level_from_name"]

LEVEL_NAMES = {0: "OFF", 1: "FATAL", 2: "ERROR", 3: "WARN", 4: "INFO", 5: "DEBUG"}
_PY_LEVELS = {1: logging.CRITICAL, 2: logging.ERROR, 3: logging.WARNING, 4: logging.INFO, 5: logging.DEBUG}
_python_logger = logging.getLogger("tango_core.server.device")
_write_lock = threading.Lock()


def level_from_name(text: str) -> int:
    text = text.strip().upper()
    for value, name in LEVEL_NAMES.items():
        if name == text:
            return value
    return int(text)


class DeviceLogger:
    """The logger of one device (PyTango's ``device.get_logger()`` API subset)."""

    def __init__(self, device_name: str, level: int = int(LogLevel.LOG_WARN)) -> None:
        self.device_name = device_name
        self.level = int(level)
        self.targets: list[str] = []
        self.enabled = True

    # -- configuration -----------------------------------------------------------------------
    def set_level(self, level: int) -> None:
        self.level = max(0, min(5, int(level)))

    def get_level(self) -> int:
        return self.level

    def add_target(self, target: str) -> None:
        target = _normalise_target(target)
        if target not in self.targets:
            self.targets.append(target)

    def remove_target(self, target: str) -> None:
        target = _normalise_target(target)
        if target.endswith("::*"):
            kind = target.split("::", 1)[0]
            self.targets = [t for t in self.targets if not t.startswith(kind + "::")]
        elif target in self.targets:
            self.targets.remove(target)

    # -- PyTango's Logger API ------------------------------------------------------------------
    def is_enabled_for(self, level: int) -> bool:
        return self.enabled and 0 < level <= self.level

    def is_debug_enabled(self) -> bool:
        return self.is_enabled_for(5)

    def is_info_enabled(self) -> bool:
        return self.is_enabled_for(4)

    def is_warn_enabled(self) -> bool:
        return self.is_enabled_for(3)

    def is_error_enabled(self) -> bool:
        return self.is_enabled_for(2)

    def is_fatal_enabled(self) -> bool:
        return self.is_enabled_for(1)

    def log(self, level: int, msg: str, *args: Any) -> None:
        if args:
            msg = msg % args
        if _python_logger.isEnabledFor(_PY_LEVELS.get(level, logging.DEBUG)):
            _python_logger.log(_PY_LEVELS.get(level, logging.DEBUG), "%s %s", self.device_name, msg)
        if not self.is_enabled_for(level) or not self.targets:
            return
        now = datetime.datetime.now(datetime.timezone.utc)
        line = f"{now.strftime('%Y-%m-%dT%H:%M:%S')},{now.microsecond:06d}+0000 {LEVEL_NAMES[level]} " \
               f"{self.device_name} {msg}\n"
        for target in self.targets:
            kind, _sep, where = target.partition("::")
            if kind == "console":
                _write(sys.stdout, line)
            elif kind == "file":
                try:
                    with _write_lock, open(where, "a", encoding="utf-8") as f:
                        f.write(line)
                except OSError:
                    pass

    def debug(self, msg: str, *args: Any) -> None:
        self.log(5, msg, *args)

    def info(self, msg: str, *args: Any) -> None:
        self.log(4, msg, *args)

    def warn(self, msg: str, *args: Any) -> None:
        self.log(3, msg, *args)

    warning = warn

    def error(self, msg: str, *args: Any) -> None:
        self.log(2, msg, *args)

    def fatal(self, msg: str, *args: Any) -> None:
        self.log(1, msg, *args)


def _normalise_target(target: str) -> str:
    kind, sep, where = target.partition("::")
    kind = kind.strip().lower()
    if kind == "console":
        return "console::cout"
    return f"{kind}::{where.strip()}" if sep else kind


def _write(stream: TextIO, line: str) -> None:
    with _write_lock:
        try:
            stream.write(line)
            stream.flush()
        except (OSError, ValueError):
            pass


class LogStream:
    """``print(msg, file=self.log_debug)`` support (PyTango's TangoStream)."""

    def __init__(self, emit: Any) -> None:
        self._emit = emit
        self._buffer = ""

    def write(self, text: str) -> None:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            if line:
                self._emit(line)

    def flush(self) -> None:
        if self._buffer:
            self._emit(self._buffer)
            self._buffer = ""
