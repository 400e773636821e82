"""Per-device logging: the ``debug_stream`` ... ``fatal_stream`` of device code, the admin
device's logging commands, the ``-v`` command-line option and PyTango's ``tango.log4tango``
decorators (:class:`LogIt`, :class:`DebugIt` ... :class:`FatalIt`) and :class:`TangoStream`.

Tango (log4tango) gives every device a logger with a level (OFF=0, FATAL=1, ERROR=2, WARN=3,
INFO=4, DEBUG=5; default WARN) and a list of targets: ``console::cout``, ``file::<path>`` or
``device::<device name>`` (a log consumer device: each record is sent to its ``Log`` command as
``[milliseconds since the epoch, level, device name, message, "", "@<thread id> [<n>]"]``, in order, by a
background thread, so logging never waits for the consumer).  ``-vN`` adds a console target to
every device at level INFO (N = 1, 2) or DEBUG (N >= 3), as cppTango does.  Lines look like
cppTango's, with the place in the source that logged::

    2026-12-07T01:37:58,854590+0000 WARN (my_device.py:42) test/nodb/dev message

Records also go to the standard ``logging`` logger ``tango_core.server.device`` (at DEBUG), so an
application can route them elsewhere.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import os
import queue
import sys
import threading
import time
from typing import Any, Callable, TextIO

from ..idl.enums import LogLevel

__all__ = ["DeviceLogger", "LEVEL_NAMES", "level_from_name", "level_of_verbosity", "source_location",
           "LogIt", "DebugIt", "InfoIt", "WarnIt", "ErrorIt", "FatalIt", "TangoStream"]

LEVEL_NAMES = {0: "OFF", 1: "FATAL", 2: "ERROR", 3: "WARN", 4: "INFO", 5: "DEBUG"}
_PY_LEVELS = {1: 50, 2: 40, 3: 30, 4: 20, 5: 10}   # logging.CRITICAL ... logging.DEBUG
_python_logger: Any = None   # logging.getLogger("tango_core.server.device"), on the first record
_write_lock = threading.Lock()


def level_of_verbosity(verbose: int) -> int:
    """The device logging level a server's ``-vN`` gives (cppTango's rule): INFO for 1 and 2,
    DEBUG from 3 on, OFF for 0."""
    if verbose <= 0:
        return 0
    return 4 if verbose <= 2 else 5


def source_location(source: Callable | None = None) -> tuple[str, int]:
    """(file name, line) to show in a log line: where ``source`` (a function, unwrapped from its
    decorators) is defined, else the first caller outside tango_core."""
    try:
        if source is not None:
            code = getattr(inspect.unwrap(source), "__code__", None)
            if code is not None:
                return os.path.basename(code.co_filename), code.co_firstlineno
            return "(unknown)", 0
        frame = sys._getframe(1)
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if module != "tango_core" and not module.startswith("tango_core."):
                return os.path.basename(frame.f_code.co_filename), frame.f_lineno
            frame = frame.f_back
    except (AttributeError, ValueError, TypeError):
        pass
    return "(unknown)", 0


def _logger() -> Any:
    """The Python logger, made when a device first logs (``import logging`` is not free at start-up)."""
    global _python_logger
    if _python_logger is None:
        import logging
        _python_logger = logging.getLogger("tango_core.server.device")
    return _python_logger


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

    def log(self, level: int, msg: str, *args: Any, source: Callable | None = None) -> None:
        if args:
            msg = msg % args
        logger = _python_logger or _logger()
        py_level = _PY_LEVELS.get(level, 10)
        if logger.isEnabledFor(py_level):
            logger.log(py_level, "%s %s", self.device_name, msg)
        if not self.is_enabled_for(level) or not self.targets:
            return
        now = time.time()
        text_targets = [t for t in self.targets if not t.startswith("device::")]
        if text_targets:
            filename, line_no = source_location(source)
            stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            line = f"{stamp.strftime('%Y-%m-%dT%H:%M:%S')},{stamp.microsecond:06d}+0000 {LEVEL_NAMES[level]} " \
                   f"({filename}:{line_no}) {self.device_name} {msg}\n"
            for target in text_targets:
                kind, _sep, where = target.partition("::")
                if kind == "console":
                    _write(sys.stdout, line)
                elif kind == "file":
                    try:
                        with _write_lock, open(where, "a", encoding="utf-8") as f:
                            f.write(line)
                    except OSError:
                        pass
        for target in self.targets:
            if target.startswith("device::"):
                _CONSUMERS.send(target[len("device::"):], [str(int(now * 1000)), LEVEL_NAMES[level],
                                                           self.device_name, msg, "", _thread_text()])

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


def _thread_text() -> str:
    """The logging thread as cppTango names it in log records: ``@<thread id> [<thread number>]``, both in hex."""
    return f"@{threading.get_ident():x} [{threading.get_native_id():x}]"


class _LogConsumers:
    """Sends log records to log consumer devices (``device::`` targets) from one background
    thread, in the order they were logged; a consumer that cannot be reached loses the record
    (logging must not fail device code), as with cppTango."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._proxies: dict[str, Any] = {}

    def send(self, device: str, record: list[str]) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="tango_core-log-consumers",
                                                    daemon=True)
                    self._thread.start()
        self._queue.put((device, record))

    def _run(self) -> None:
        from ..client.device_proxy import DeviceProxy  # only servers logging to a device need it

        while True:
            device, record = self._queue.get()
            try:
                proxy = self._proxies.get(device)
                if proxy is None:
                    proxy = self._proxies[device] = DeviceProxy(device)
                proxy.command_inout("Log", record)
            except Exception:  # noqa: BLE001 - an unreachable consumer: the record is lost
                self._proxies.pop(device, None)


_CONSUMERS = _LogConsumers()


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


class TangoStream:
    """A file-like object writing to a log function (PyTango's ``tango.log4tango.TangoStream``):
    text accumulates until a write contains a newline, then everything written so far goes to
    ``fn`` as one message (one trailing newline dropped)."""

    def __init__(self, fn: Callable[[str], Any]) -> None:
        self._fn = fn
        self._accum = ""

    def write(self, text: str) -> None:
        self._accum += text
        if "\n" in text:
            self.flush()

    def flush(self) -> None:
        text = self._accum
        if not text:
            return
        self._accum = ""
        self._fn(text[:-1] if text.endswith("\n") else text)


_MAX_ARG_LEN = 25


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_ARG_LEN else text[:_MAX_ARG_LEN - 5] + "[...]"


class LogIt:
    """Decorator logging the entry and exit of a device method (PyTango's ``tango.LogIt``)::

        @command
        @LogIt(show_args=True, show_ret=True)
        def scale(self, factor): ...

    logs ``-> MyDevice.scale(2.0)`` before and ``4.0 <- MyDevice.scale()`` after (``<-
    MyDevice.scale() raised exception!`` when it raises), at DEBUG level, with the method's place
    in the source; nothing when the device's logger is below that level.  Arguments and return
    values longer than 25 characters are cut (``'aaaa...[...]'``).  Works on ``async def``
    methods too.  :class:`DebugIt`, :class:`InfoIt`, :class:`WarnIt`, :class:`ErrorIt` and
    :class:`FatalIt` log at their level."""

    level = 5

    def __init__(self, show_args: bool = False, show_kwargs: bool = False, show_ret: bool = False) -> None:
        self._show_args = show_args
        self._show_kwargs = show_kwargs
        self._show_ret = show_ret

    def is_enabled(self, device: Any) -> bool:
        return device.get_logger().is_enabled_for(self.level)

    def get_log_func(self, device: Any) -> Callable:
        return {5: device.debug_stream, 4: device.info_stream, 3: device.warn_stream,
                2: device.error_stream, 1: device.fatal_stream}[self.level]

    def _entry(self, f: Callable, args: tuple, kwargs: dict) -> tuple[Callable, str]:
        device = args[0]
        name = f"{type(device).__name__}.{f.__name__}"
        shown = []
        if self._show_args:
            shown.append(", ".join(_short_repr(a) for a in args[1:]))
        if self._show_kwargs:
            shown.append(", ".join(f"{k}={_short_repr(v)}" for k, v in kwargs.items()))
        log = self.get_log_func(device)
        log(f"-> {name}({', '.join(shown)})", source=f)
        return log, name

    def _exit(self, f: Callable, log: Callable, name: str, failed: bool, ret: Any) -> None:
        if failed:
            log(f"<- {name}() raised exception!", source=f)
        else:
            shown = f"{_short_repr(ret)} " if self._show_ret else ""
            log(f"{shown}<- {name}()", source=f)

    def __call__(self, f: Callable) -> Callable:
        if inspect.iscoroutinefunction(f):
            @functools.wraps(f)
            async def logged(*args: Any, **kwargs: Any) -> Any:
                if not self.is_enabled(args[0]):
                    return await f(*args, **kwargs)
                log, name = self._entry(f, args, kwargs)
                try:
                    ret = await f(*args, **kwargs)
                except BaseException:
                    self._exit(f, log, name, True, None)
                    raise
                self._exit(f, log, name, False, ret)
                return ret
        else:
            @functools.wraps(f)
            def logged(*args: Any, **kwargs: Any) -> Any:
                if not self.is_enabled(args[0]):
                    return f(*args, **kwargs)
                log, name = self._entry(f, args, kwargs)
                try:
                    ret = f(*args, **kwargs)
                except BaseException:
                    self._exit(f, log, name, True, None)
                    raise
                self._exit(f, log, name, False, ret)
                return ret
        logged._wrapped = f
        return logged


class DebugIt(LogIt):
    """:class:`LogIt` at DEBUG level."""

    level = 5


class InfoIt(LogIt):
    """:class:`LogIt` at INFO level."""

    level = 4


class WarnIt(LogIt):
    """:class:`LogIt` at WARN level."""

    level = 3


class ErrorIt(LogIt):
    """:class:`LogIt` at ERROR level."""

    level = 2


class FatalIt(LogIt):
    """:class:`LogIt` at FATAL level."""

    level = 1
