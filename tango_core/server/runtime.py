"""One device server process: start-up, serving, database registration and shutdown.

:func:`run` (PyTango's ``tango.server.run``) and ``Device.run_server()`` parse the command line,
build a :class:`ServerRuntime` and serve until SIGINT/SIGTERM or the admin's Kill command.

Start-up, in cppTango's order:

1. without a database, refuse a command line without a port; with one (``TANGO_HOST``), refuse
   to start when this server instance already runs (its admin device is exported and answers);
2. listen on the GIOP end point (the port is known before any IOR is built);
3. per class: its class properties, its device names (database: ``DbGetDeviceList``; ``-nodb``:
   ``-dlist``, given to the last class as cppTango does; test contexts: their own lists), its
   devices (``init_device``), ``initialize_dynamic_attributes``, memorized values, polling periods;
4. the admin device ``dserver/<exec>/<instance>``;
5. every device is served under its lower-case name as object key (plus any fixed key asked
   for, e.g. the database's ``database``), exported to the database (``DbExportDevice``), the
   admin device last;
6. ``server_init_hook()`` of each device (an exception turns that device to FAULT);
7. "Ready to accept request".

Shutdown: ``delete_device()`` of every device, the event and polling services closed,
``DbUnExportServer``, sockets closed, threads joined -- nothing of this server is left running.
"""

from __future__ import annotations

import functools
import inspect
import os
import queue
import signal
import socket
import sys
import threading
from typing import Any, Callable, Iterable, Sequence, TextIO

from ..client import api_util
from ..idl.enums import DevState, GreenMode, SerialModel
from ..idl.errors import DevError, DevFailed, ErrSeverity
from ..transport.addresses import local_host_name, new_unix_socket_path, unix_sockets_enabled
from ..transport.server import GIOPServer
from ..wire.cdr import CDRWriter
from ..wire.ior import IOR, TAG_ALTERNATE_IIOP_ADDRESS, TAG_CODE_SETS, TAG_OMNIORB_UNIX_TRANS, TaggedComponent
from .admin import DServer, DServerClass
from .command_line import ServerOptions, parse_command_line
from .device import DeviceClass, DeviceImpl, python_error
from .device_logging import DeviceLogger, level_of_verbosity
from .event_publishing import ServerEvents
from .hooks import EventSink, PollingService
from .polling import PollingEngine
from .property_store import DatabasePropertyStore, MemoryPropertyStore, PropertyStore
from .green import GeventHub, server_green_mode, server_worker, set_worker
from .servant import DeviceServant, ObjectAdapter, current_call
from .signals import SignalDispatcher
from .sub_devices import SubDevDiag, associated_device, stored_sub_devices, sub_devices_storer

__all__ = ["ServerRuntime", "run", "server_run", "Util", "DEVICE_INTERFACE", "ServerAlreadyRunning",
           "ServerNotDefined", "to_callback"]

DEVICE_INTERFACE = "IDL:Tango/Device_6:1.0"
TANGO_LIB_RELEASE = 1030  # what ZmqEventSubscriptionChange/EventSubscriptionChange report (>= 930)

_current_runtime: "ServerRuntime | None" = None


class ServerAlreadyRunning(DevFailed):
    """This server instance already runs somewhere (its admin device answers), or another server
    runs in this process (Util, the admin device and the test-context names are per process)."""


def _forget_servers_after_fork() -> None:
    """A forked child runs none of its parent's servers (their threads stay in the parent)."""
    global _current_runtime
    _current_runtime = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_servers_after_fork)


class ServerNotDefined(DevFailed):
    """The database does not know this server instance (cppTango prints the reason and exits with -1)."""


def _traceback():
    import traceback  # only when something failed: not at start-up
    return traceback


def _df(reason: str, desc: str, origin: str) -> DevFailed:
    return DevFailed(DevError(reason, desc, origin, ErrSeverity.ERR))


def _classes_of(classes: Any) -> list[tuple[type, type | None, str]]:
    """PyTango's ``run`` argument: Device subclasses, (DeviceClass, DeviceImpl[, name]) pairs, or a dict."""
    items: list[Any]
    if isinstance(classes, dict):
        items = []
        for name, info in classes.items():
            if isinstance(info, (list, tuple)):
                items.append((*info, name) if len(info) == 2 else tuple(info))
            else:
                items.append(info)
    else:
        items = list(classes)
    out = []
    for info in items:
        if isinstance(info, (list, tuple)):
            if len(info) == 2:
                klass_class, klass = info
                out.append((klass, klass_class, klass.__name__))
            else:
                klass_class, klass, name = info
                out.append((klass, klass_class, name))
        else:
            if getattr(info, "_api", 0) < 2 or not hasattr(info, "TangoClassClass"):
                raise Exception("When giving a single class, it must implement HLAPI (see tango.server)")
            out.append((info, info.TangoClassClass, info.TangoClassName))
    return out


def _is_ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except (OSError, ValueError):
            pass
    return False


def _primary_ip() -> str:
    """The address other hosts reach us at (no packet is sent); loopback when there is no network."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


def _codesets_component() -> TaggedComponent:
    def fill(w: CDRWriter) -> None:
        w.write_ulong(0x00010001)   # char: ISO-8859-1 native
        w.write_ulong(1)
        w.write_ulong(0x05010001)   # conversion: UTF-8
        w.write_ulong(0x00010109)   # wchar: UTF-16 native
        w.write_ulong(1)
        w.write_ulong(0x00010109)
    return TaggedComponent(TAG_CODE_SETS, CDRWriter.encapsulate(fill, True))


def _alternate_component(host: str, port: int) -> TaggedComponent:
    def fill(w: CDRWriter) -> None:
        w.write_string(host)
        w.write_ushort(port)
    return TaggedComponent(TAG_ALTERNATE_IIOP_ADDRESS, CDRWriter.encapsulate(fill, True))


def _unix_socket_component(host: str, path: str) -> TaggedComponent:
    """omniORB's TAG_OMNIORB_UNIX_TRANS: this host's name and the server's unix-domain socket."""
    def fill(w: CDRWriter) -> None:
        w.write_string(host)
        w.write_string(path)
    return TaggedComponent(TAG_OMNIORB_UNIX_TRANS, CDRWriter.encapsulate(fill, True))


class ServerRuntime:
    """A running device server (PyTango's ``Util`` plus what cppTango keeps around it)."""

    def __init__(self, classes: Any, options: ServerOptions, *, properties: PropertyStore | None = None,
                 device_names: dict[str, list[str]] | None = None, msg_stream: TextIO | None = sys.stdout,
                 fixed_keys: dict[str, bytes] | None = None, green_mode: Any = None) -> None:
        self.options = options
        self.msg_stream = msg_stream
        self.server_name = options.server_name
        self.admin_device_name = f"dserver/{options.exec_name}/{options.instance}"
        self.use_db = not options.nodb and properties is None
        self.database: Any = None
        self.properties: PropertyStore = properties if properties is not None else MemoryPropertyStore()
        self._device_names = {k.lower(): list(v) for k, v in (device_names or {}).items()}
        self.fixed_keys = {k.lower(): v for k, v in (fixed_keys or {}).items()}
        self.events: EventSink = ServerEvents(self)
        self.polling: PollingService = PollingEngine(self)
        #: the devices this server's devices make proxies to (QuerySubDevice, Util.get_sub_dev_diag)
        self.sub_devices = SubDevDiag(self.admin_device_name)
        self.adapter = ObjectAdapter()
        #: OS signals devices and classes registered for (register_signal)
        self.signals = SignalDispatcher(self.run_device_code, self.request_shutdown, self.call_in_main_thread)
        self._main_thread_calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._main_thread_serves = False
        self.set_classes(classes, green_mode)
        self.transport: GIOPServer | None = None
        self.host = ""
        self.port = 0
        self.ior_host = ""
        self.short_host_name = socket.gethostname().split(".")[0]
        self.pid = os.getpid()
        self._classes: list[DeviceClass] = []
        self._devices: list[DeviceImpl] = []
        self._servants: dict[str, DeviceServant] = {}
        self.admin: DServer | None = None
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._starting = True
        self._shutting_down = False
        self._loop: Any = None
        self._loop_thread: threading.Thread | None = None
        self._loop_lock = threading.Lock()
        self._state_lock = threading.Lock()
        #: the executor of this server's green mode (PyTango's worker: get_worker())
        self.worker: Any = None
        #: ``run(..., event_loop=fn)`` / ``Util.server_set_event_loop(fn)``: the main thread calls
        #: ``fn()`` over and over instead of only waiting; a true result stops the server
        self.event_loop: Callable[[], Any] | None = None
        #: the ``Util`` of this server (``Util.instance()``): the one made from the command line
        #: for a classic start-up, else one made on first demand
        self.util: Util | None = None
        #: ``Util.set_trace_level``/``set_server_version``/``set_polling_threads_pool_size`` values
        self.server_version = "x.y"
        self.polling_threads_pool_size: int | None = None
        #: how requests are serialised (``Util.set_serial_model``; the lock each request takes is
        #: chosen when it arrives, see device.py's _Monitor)
        self.serial_model = SerialModel.BY_DEVICE
        self.restarting: set[str] = set()          # lower-case names of devices DevRestart re-creates now
        self.auto_alarm_on_change_event = True       # Util.set_auto_alarm_on_change_event
        self.interceptors: Any = None                # Util.set_interceptors

    def set_serial_model(self, model: Any) -> None:
        if isinstance(model, bool) or not isinstance(model, int):
            raise TypeError(f"set_serial_model(ser): ser must be a tango.SerialModel, not {model!r}")
        self.serial_model = SerialModel(model)

    def set_classes(self, classes: Any, green_mode: Any = None) -> None:
        """The device classes to serve (before :meth:`start`), and so the server's green mode."""
        self.class_specs = _classes_of(classes)
        #: the green mode of the server's devices (see green.py in this package)
        self.green_mode = server_green_mode(self.class_specs, green_mode)
        #: gevent servers: the thread whose hub runs the device code (None: device code runs in
        #: the thread serving the request)
        self.hub: GeventHub | None = GeventHub.for_mode(self.green_mode)
        if self.hub is not None:
            self.adapter.quick_operations = frozenset()

    # ------------------------------------------------------------------------------------------
    # start-up
    # ------------------------------------------------------------------------------------------
    def start(self, pre_init: Callable[[], None] | None = None, post_init: Callable[[], None] | None = None,
              finished_starting: bool = True) -> None:
        """Build every device, serve them and export them (see the module docstring).
        ``finished_starting=False``: the server still says it starts (``is_svr_starting()``)
        until :meth:`serve_forever`, as cppTango's between ``server_init`` and ``server_run``."""
        global _current_runtime
        running = _current_runtime
        if running is not None and running is not self and not running._stopped.is_set():
            raise ServerAlreadyRunning(DevError(
                "API_ServerAlreadyRunning", f"The device server {running.server_name} already runs in this "
                f"process: {self.server_name} cannot start beside it (one device server per process, as with "
                "cppTango; serve several device classes from one server, e.g. one MultiDeviceTestContext)",
                "Util::init", ErrSeverity.ERR))
        _current_runtime = self
        Util._UseDb = self.use_db
        api_util.server_started(self._proxy_made)
        try:
            if self.use_db and self.database is None:
                self._connect_database()
                self._check_not_running()
            self.worker = server_worker(self.green_mode, self._ensure_loop() if self.green_mode == GreenMode.Asyncio
                                        else None)
            set_worker(self.worker)
            self._listen()
            if pre_init is not None:
                self._run_callback(pre_init)
            if self.hub is not None:  # gevent devices are built in the hub (init_device may spawn)
                self.hub.call(self._build_classes, ())
            else:
                self._build_classes()
            self._build_admin()
            self.events.admin_ready(self.admin)
            self._serve_and_export()
            self._run_server_init_hooks()
            self._starting = not finished_starting
            self.polling.start()
            for dev in self._devices:
                self.events.device_started(dev)
            if post_init is not None:
                self._run_callback(post_init)
            if self.msg_stream is not None:
                self.msg_stream.write("Ready to accept request\n")
                self.msg_stream.flush()
        except BaseException:
            self._abort_start()
            raise

    def _connect_database(self) -> None:
        from ..client.database import Database
        self.database = Database()
        self.properties = DatabasePropertyStore(self.database)
        self.sub_devices = SubDevDiag(self.admin_device_name, sub_devices_storer(self.database),
                                      stored_sub_devices(self.database),
                                      lambda: [d.get_name() for d in self._devices])

    def _check_not_running(self) -> None:
        """Refuse to start a second instance of this server (cppTango pings the exported admin)."""
        try:
            info = self.database.import_device(self.admin_device_name)
        except DevFailed as exc:
            reasons = {e.reason for e in exc.args}
            if "DB_DeviceNotDefined" in reasons:
                raise ServerNotDefined(DevError(
                    "API_DatabaseAccess", f"The device server {self.server_name} is not defined in database. "
                    "Exiting!", "Util::check_dserver", ErrSeverity.ERR)) from None
            raise
        if not info.exported or not info.ior.startswith("IOR:"):
            return
        from ..client.orb import ObjectRef
        try:
            ref = ObjectRef.from_string(info.ior)
            ref.invoke("ping", None, None, 1.0)
        except Exception:  # noqa: BLE001 - nobody answers: the previous instance is gone
            return
        raise ServerAlreadyRunning(DevError(
            "API_ServerAlreadyRunning", f"This server ({self.server_name}) is already running on "
            f"{info.ior_host if hasattr(info, 'ior_host') else 'another process'}, exiting!",
            "Util::check_dserver", ErrSeverity.ERR))

    def _listen(self) -> None:
        opts = self.options
        host = opts.endpoint_host or "0.0.0.0"
        # also a unix-domain socket, named in the IORs, for clients on this host (as omniORB's)
        unix = new_unix_socket_path() if unix_sockets_enabled() else None
        self.transport = GIOPServer(self.adapter, host, opts.endpoint_port,
                                    name=f"tango_core {self.server_name}", unix_socket=unix)
        if self.interceptors is not None:       # Util.set_interceptors before the server started
            self.transport.pool.thread_hooks = (self.interceptors.create_thread, self.interceptors.delete_thread)
        self.host = host
        self.port = self.transport.port
        if opts.publish_host:
            self.ior_host = opts.publish_host
        elif host in ("0.0.0.0", "", "::"):
            self.ior_host = _primary_ip()
        elif _is_ip_literal(host):
            self.ior_host = host        # (gethostbyname would ask the resolver and import the IDNA codec)
        else:
            try:
                self.ior_host = socket.gethostbyname(host)
            except OSError:
                self.ior_host = host
        self.transport.start()

    def _build_classes(self) -> None:
        nodb_names = list(self.options.device_list)
        for index, (klass, klass_class, name) in enumerate(self.class_specs):
            cl = klass_class(name) if isinstance(klass_class, type) else klass_class
            if not isinstance(cl, DeviceClass):
                raise TypeError(f"{klass_class!r} is not a tango_core.server.DeviceClass")
            cl.runtime = self
            cl.build(klass)
            cl.load_class_properties()
            self._classes.append(cl)
            names = self._names_for(cl, index == len(self.class_specs) - 1, nodb_names)
            self._devices.extend(self._make_devices(cl, names))

    def _make_devices(self, cl: DeviceClass, names: list[str]) -> list[DeviceImpl]:
        """Build and serve the devices ``names`` of ``cl`` (each answers as soon as it exists:
        later ones may use it), then their dynamic attributes and memorized values."""
        devices = []
        for name in names:
            dev = cl.device_factory([name])[0]
            self._serve(dev)
            devices.append(dev)
        cl.dyn_attr(devices)
        for dev in devices:
            dev.apply_memorized_values()
        return devices

    def _names_for(self, cl: DeviceClass, last: bool, nodb_names: list[str]) -> list[str]:
        if cl.get_name().lower() in self._device_names:
            return self._device_names[cl.get_name().lower()]
        if self.use_db:
            return list(self.database.get_device_name(self.server_name, cl.get_name()).value_string)
        if last and nodb_names:
            return nodb_names
        names: list[str] = []
        cl.device_name_factory(names)     # a -nodb server without -dlist: the class names them (cppTango)
        return [str(n) for n in names]

    def _build_admin(self) -> None:
        cl = DServerClass(self)
        self.admin = DServer(cl, self.admin_device_name)
        cl.devices.append(self.admin)

    def ior_for(self, key: bytes) -> str:
        comps = [_codesets_component()]
        if self.ior_host != "127.0.0.1" and self.host in ("0.0.0.0", "", "::"):
            comps.append(_alternate_component("127.0.0.1", self.port))
        if self.transport is not None and self.transport.unix_socket:
            comps.append(_unix_socket_component(local_host_name(), self.transport.unix_socket))
        return IOR.for_iiop(DEVICE_INTERFACE, self.ior_host, self.port, key, tuple(comps)).to_string()

    def _serve_and_export(self) -> None:
        assert self.admin is not None
        self._serve(self.admin)
        if self.use_db:
            for dev in [*self._devices, self.admin]:
                self._export_in_database(dev)
        for dev in [*self._devices, self.admin]:
            dev._dev_exported = True

    def _export_in_database(self, dev: DeviceImpl) -> None:
        from ..client.db_types import DbDevExportInfo
        self.database.export_device(DbDevExportInfo(dev.get_name(), self.ior_for(self._key_of(dev)),
                                                    socket.gethostname(), "6", self.pid))

    def _key_of(self, dev: DeviceImpl) -> bytes:
        return self.fixed_keys.get(dev.get_name().lower(), dev.get_name().lower().encode("latin-1"))

    def _serve(self, dev: DeviceImpl) -> None:
        servant = DeviceServant(dev, self)
        self._servants[dev.get_name().lower()] = servant
        key = self._key_of(dev)
        self.adapter.register(key, servant)
        name_key = dev.get_name().lower().encode("latin-1")
        if name_key != key:
            self.adapter.register(name_key, servant)

    def _run_server_init_hooks(self) -> None:
        self.run_device_code(self._call_server_init_hooks)

    def _call_server_init_hooks(self) -> None:
        for dev in self._devices:
            try:
                dev._resolve(dev.server_init_hook())
            except Exception as exc:  # noqa: BLE001 - PyTango sets the device to FAULT
                err = python_error(exc)
                dev.set_state(DevState.FAULT)
                dev.set_status(f"server_init_hook() failed: {err.args[0].desc if err.args else exc}")
                sys.stderr.write(f"{dev.get_name()}: server_init_hook() raised:\n"
                                 f"{err.args[0].origin if err.args else ''}\n")

    def _abort_start(self) -> None:
        try:
            self.shutdown(unexport=False)
        except Exception:  # noqa: BLE001
            pass

    # ------------------------------------------------------------------------------------------
    # serving
    # ------------------------------------------------------------------------------------------
    def serve_forever(self, handle_signals: bool | None = None) -> None:
        """Block until a signal or the Kill command (or a true result of ``event_loop()``, called
        over and over meanwhile when set), then shut down."""
        self._starting = False
        if handle_signals is None:
            handle_signals = threading.current_thread() is threading.main_thread()
        previous = {}
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                if not self.signals.owns(sig):   # a device registered for it: its handler stops us too
                    previous[sig] = signal.signal(sig, lambda *_: self.request_shutdown())
        in_main = threading.current_thread() is threading.main_thread()
        self._main_thread_serves = in_main
        try:
            event_loop = self.event_loop
            if event_loop is None:
                while not self._stop.is_set():
                    try:
                        call = self._main_thread_calls.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    call()
            else:  # cppTango's Util::server_run with a user event loop: called until it says stop
                while not self._stop.is_set():
                    self._run_main_thread_calls()
                    if self._call_event_loop(event_loop):
                        break
        finally:
            self._main_thread_serves = False
            self._run_main_thread_calls()
            self.signals.close()    # first: the handlers it replaced may be the ones set above
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.shutdown()

    def _call_event_loop(self, event_loop: Callable[[], Any]) -> bool:
        """One call of the user's event loop function where device code runs (an asyncio
        server's loop, a gevent server's hub), as PyTango hands it to its green-mode executor."""
        if self.green_mode == GreenMode.Asyncio:
            return bool(self.run_coroutine(_call_and_await(event_loop)))
        result = self.run_device_code(event_loop)
        if inspect.isawaitable(result):
            result = self.run_coroutine(result)
        return bool(result)

    def request_shutdown(self) -> None:
        self._stop.set()
        self._main_thread_calls.put(lambda: None)   # wake serve_forever's main thread up

    def call_in_main_thread(self, fn: Callable[[], Any], timeout: float = 3.0) -> Any:
        """``fn()`` run by the main thread while it serves (serve_forever), its result returned
        here; RuntimeError if the main thread does not serve (a server started in a thread)."""
        if not self._main_thread_serves:
            raise RuntimeError("the server's main thread is not serving")
        done = threading.Event()
        outcome: list = []

        def call() -> None:
            try:
                outcome.append((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                outcome.append((False, exc))
            done.set()

        self._main_thread_calls.put(call)
        if not done.wait(timeout):
            raise RuntimeError("the server's main thread did not answer in time")
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    def _run_main_thread_calls(self) -> None:
        while True:
            try:
                call = self._main_thread_calls.get_nowait()
            except queue.Empty:
                return
            call()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)

    def shutdown(self, unexport: bool = True) -> None:
        """Delete the devices, unexport the server, close sockets and threads (idempotent)."""
        global _current_runtime
        with self._state_lock:
            if self._shutting_down:
                return
            self._shutting_down = True
        self._stop.set()
        try:
            self.run_device_code(self._delete_devices)
            for closer in (self.polling.close, self.events.close, self.sub_devices.close, self.signals.close):
                try:
                    closer()
                except Exception:  # noqa: BLE001
                    _traceback().print_exc()
            if unexport and self.use_db and self.database is not None:
                try:
                    self.database.unexport_server(self.server_name)
                except DevFailed as exc:
                    sys.stderr.write(f"Cannot unexport {self.server_name}: {exc.args[0].desc if exc.args else exc}\n")
            if self.transport is not None:
                self.transport.close()
            self._stop_loop()
        finally:
            if _current_runtime is self:
                _current_runtime = None
            api_util.server_stopped(self._proxy_made)
            self._stopped.set()

    def _proxy_made(self, name: str) -> None:
        """A DeviceProxy was made in this process: a sub-device of the device being served (cppTango)."""
        sub = self.sub_devices
        sub.register_sub_device(sub.get_associated_device(), name)

    def _delete_devices(self) -> None:
        for dev in reversed(self._devices):
            dev._call_delete_device()

    # -- re-initialisation (admin RestartServer / DevRestart) ------------------------------------
    def restart_device(self, dev: DeviceImpl) -> None:
        """Destroy and re-create one device (same name, fresh object, configuration re-read)."""
        self.run_device_code(self._restart_device, dev)

    def _restart_device(self, dev: DeviceImpl) -> None:
        self.restarting.add(dev.get_name().lower())
        try:
            self._replace_device(dev)
        finally:
            self.restarting.discard(dev.get_name().lower())

    def _replace_device(self, dev: DeviceImpl) -> None:
        cl = dev.get_device_class()
        with dev._dev_monitor:
            dev._call_delete_device()
            self.signals.forget(dev)
            self.polling.device_removed(dev)
            with associated_device(dev.get_name()):
                new = cl.device_impl(cl, dev.get_name())
        cl.devices[cl.devices.index(dev)] = new
        self._devices[self._devices.index(dev)] = new
        cl.dyn_attr([new])
        new.apply_memorized_values()
        new._dev_exported = True
        self._servants[dev.get_name().lower()].device = new
        self.events.device_restarted(dev, new)

    def restart_all_devices(self) -> None:
        for dev in list(self._devices):
            try:
                self.restart_device(dev)
            except Exception:  # noqa: BLE001
                _traceback().print_exc()

    # -- devices created and deleted while the server runs (Util.create_device/delete_device) -------
    def create_device(self, class_name: str, device_name: str, alias: str | None = None,
                      cb: Callable[[str], Any] | None = None) -> None:
        """Register a new device of one of this server's classes in the database, then build,
        serve and export it as at start-up.  ``cb(name)`` runs in between (to put properties);
        if it or the device's construction fails, the database entries go and the error is
        raised (PyTango's own create_device swallows it)."""
        origin = "Util.create_device"
        if cb is not None and not callable(cb):
            raise _df("PyAPI_InvalidParameter", "The optional cb parameter must be a python callable", origin)
        db = self._database_for(origin)
        name = _simplified_device_name(device_name)
        if _defined_in(db, name):
            raise _df("PyAPI_DeviceAlreadyDefined", f"The device {name} is already defined in the database", origin)
        cl = next((c for c in self._classes if c.get_name() == class_name), None)
        if cl is None:
            raise _df("PyAPI_UnknownDeviceClass", f"The device class {class_name} could not be found", origin)
        from ..client.db_types import DbDevInfo
        db.add_device(DbDevInfo(name, class_name, self.server_name))
        if alias is not None:
            db.put_device_alias(name, alias)
        try:
            if cb is not None:
                cb(name)
            self.run_device_code(self._add_device, cl, name)
        except BaseException:
            if alias is not None:
                try:
                    db.delete_device_alias(alias)
                except DevFailed:
                    pass
            db.delete_device(name)
            raise

    def _add_device(self, cl: DeviceClass, name: str) -> None:
        before = len(cl.devices)
        try:
            (dev,) = self._make_devices(cl, [name])
            self._export_in_database(dev)
        except BaseException:
            for made in cl.devices[before:]:     # built (init_device ran), maybe served
                self._remove_device(made)
            raise
        self._devices.append(dev)
        dev._dev_exported = True
        self.events.device_started(dev)

    def delete_device(self, class_name: str, device_name: str) -> None:
        """Remove a device of this server from the database, then delete it here (its
        ``delete_device`` runs; clients then get "not defined"/"not exported")."""
        origin = "Util.delete_device"
        db = self._database_for(origin)
        name = _simplified_device_name(device_name)
        if not _defined_in(db, name):
            raise _df("PyAPI_DeviceNotDefined", f"The device {name} is not defined in the database", origin)
        dev = next((d for d in self._devices
                    if d.get_name().lower() == name and d.get_device_class().get_name() == class_name), None)
        if dev is None:
            raise _df("PyAPI_DeviceNotDefinedInServer", f"The device {class_name}::{name} is not defined in this server",
                      origin)
        db.delete_device(name)
        self.run_device_code(self._remove_device, dev)

    def _remove_device(self, dev: DeviceImpl) -> None:
        name = dev.get_name().lower()
        try:
            with dev._dev_monitor:
                dev._call_delete_device()
        finally:
            self.polling.device_removed(dev)
            self.events.device_removed(dev)
            self.signals.forget(dev)
            cl = dev.get_device_class()
            for owner in (cl.devices, self._devices):
                if dev in owner:
                    owner.remove(dev)
            self._servants.pop(name, None)
            self.adapter.unregister(self._key_of(dev))
            self.adapter.unregister(name.encode("latin-1"))
            dev._dev_exported = False

    def _database_for(self, origin: str) -> Any:
        if not self.use_db or self.database is None:
            raise _df("API_DatabaseAccess", "This device server runs without a database (-nodb): devices are "
                      "created and deleted in the database", origin)
        return self.database

    # -- where device code runs ------------------------------------------------------------------
    def run_device_code(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` where the devices' code runs: in a gevent server's hub (waiting for it
        from any other thread), else right here.  For what the server itself calls outside a
        client request: polling, server_init_hook, delete_device at shutdown, the admin's
        DevRestart/RestartServer (PyTango sends these through its green-mode executor too)."""
        hub = self.hub
        if hub is None:
            return fn(*args)
        return hub.call(fn, args)

    # -- coroutines of asyncio devices ----------------------------------------------------------
    def _run_callback(self, callback: Callable[[], Any]) -> None:
        """A pre/post-init callback: ``async def`` ones run on the server's loop (asyncio servers,
        as PyTango), gevent servers' in the hub."""
        if self.hub is not None:
            result = self.hub.call(callback, ())
        else:
            result = callback()
        if inspect.isawaitable(result):
            self.run_coroutine(result)

    def run_coroutine(self, coro: Any) -> Any:
        import asyncio
        loop = self._ensure_loop()
        if threading.current_thread() is self._loop_thread:
            raise RuntimeError("a coroutine device method called from the event loop itself")
        return asyncio.run_coroutine_threadsafe(_as_coroutine(coro), loop).result()

    def _ensure_loop(self) -> Any:
        import asyncio
        with self._loop_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()
                    loop.close()

                self._loop_thread = threading.Thread(target=main, name=f"tango_core {self.server_name} asyncio",
                                                     daemon=True)
                self._loop_thread.start()
                ready.wait(5)
                self._loop = loop
            return self._loop

    def _stop_loop(self) -> None:
        with self._loop_lock:
            loop, thread = self._loop, self._loop_thread
            self._loop = self._loop_thread = None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None and thread is not threading.current_thread():
                thread.join(5)

    # -- what devices and servants ask ---------------------------------------------------------
    def current_call(self) -> Any:
        return current_call()

    def configure_logger(self, logger: DeviceLogger) -> None:
        if self.options.verbose > 0:
            logger.set_level(level_of_verbosity(self.options.verbose))
            logger.add_target("console::cout")

    def version_info(self) -> dict[str, str]:
        from .. import __version__
        return {"tango_core": __version__, "idl": "6.0.2", "Python": sys.version.split()[0]}

    def devices(self) -> list[DeviceImpl]:
        return list(self._devices)

    def all_devices(self) -> list[DeviceImpl]:
        return [*self._devices, *([self.admin] if self.admin else [])]

    def device_classes(self) -> list[DeviceClass]:
        return list(self._classes)

    def find_device(self, name: str) -> DeviceImpl | None:
        low = name.lower()
        for prefix in ("tango://",):
            if low.startswith(prefix):
                low = low.split("/", 3)[-1]
        low = low.split("#", 1)[0]
        for dev in self.all_devices():
            if dev.get_name().lower() == low:
                return dev
        return None

    def store_polling_config(self, dev: DeviceImpl) -> None:
        """Keep the polling periods in the ``polled_attr``/``polled_cmd`` device properties."""
        objs = self.polling.polled_objects(dev)
        attrs = [x for (k, n), p in objs.items() if k == "attribute" for x in (n, str(p))]
        cmds = [x for (k, n), p in objs.items() if k == "command" for x in (n, str(p))]
        try:
            if attrs:
                self.properties.put_device_properties(dev.get_name(), {"polled_attr": attrs})
            else:
                self.properties.delete_device_properties(dev.get_name(), ["polled_attr"])
            if cmds:
                self.properties.put_device_properties(dev.get_name(), {"polled_cmd": cmds})
            else:
                self.properties.delete_device_properties(dev.get_name(), ["polled_cmd"])
        except DevFailed as exc:
            sys.stderr.write(f"Cannot store the polling configuration of {dev.get_name()}: "
                             f"{exc.args[0].desc if exc.args else exc}\n")

    # polling engine hooks used by the servant (the default: no cache, no history)
    def polling_read_attributes(self, dev: DeviceImpl, names: list[str], source: Any) -> Any:
        reader = getattr(self.polling, "read_attributes_from_cache", None)
        return reader(dev, names, source) if reader is not None else None

    def polling_read_command(self, dev: DeviceImpl, name: str, source: Any) -> Any:
        reader = getattr(self.polling, "read_command_from_cache", None)
        return reader(dev, name, source) if reader is not None else None

    def polling_history(self, dev: DeviceImpl, kind: str, name: str, n: int, idl: int) -> Any:
        reader = getattr(self.polling, "history", None)
        if reader is not None:
            return reader(dev, kind, name, n, idl)
        if kind == "attribute":
            dev.get_device_attr().get_attr_by_name(name)
            raise _df("API_AttrNotPolled", f"Attribute {name} not polled", "Device_5Impl::read_attribute_history_5")
        dev.command_query(name)
        raise _df("API_CmdNotPolled", f"Command {name} not polled", "Device_4Impl::command_inout_history_4")

    # -- PyTango's Util API -----------------------------------------------------------------------
    def is_svr_starting(self) -> bool:
        return self._starting

    def is_svr_shutting_down(self) -> bool:
        return self._shutting_down


async def _as_coroutine(aw: Any) -> Any:
    return await aw


async def _call_and_await(fn: Callable[[], Any]) -> Any:
    result = fn()
    if inspect.isawaitable(result):
        result = await result
    return result


#: the ``Util`` made from a command line (``Util(sys.argv)``, a classic start-up), until another is made
_util_singleton: "Util | None" = None

#: cppTango's ``polling_threads_pool_size`` before ``server_init`` read it (an unsigned -1)
_POOL_SIZE_UNSET = 2 ** 64 - 1


class Util:
    """PyTango's ``tango.Util``: the device server process.

    A classic start-up makes it from the command line and starts the server with it::

        util = Util(sys.argv)                  # parses the line (PyTango's rules); database checks
        util.add_class(MyDevClass, MyDev, "MyDev")
        Util.instance().server_init()          # devices built, served and exported
        Util.instance().server_run()           # serves until Kill or Ctrl-C, then returns

    A server started by :func:`run` has one too: ``Util.instance()`` inside its devices answers
    the questions about the running server (its name, devices, classes, database ...).
    """

    _UseDb = True
    _FileDb = False

    def __init__(self, args: Sequence[str]) -> None:
        global _util_singleton
        from .command_line import parse_args
        if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
            raise TypeError(f"Util(args): args must be a sequence of strings (the command line), not {args!r}")
        line = parse_args([str(a) for a in args])  # SystemExit on a bad line, as PyTango's
        # PyTango's line may name several instances: cppTango serves the first, ignores the others
        extra = 2
        while extra < len(line) and not line[extra].startswith("-"):
            extra += 1
        options = parse_command_line(line[:2] + line[extra:])
        runtime = ServerRuntime((), options, msg_stream=None)
        runtime.util = self
        Util._UseDb = runtime.use_db  # (PyTango's class attribute: False for a -nodb server)
        self._runtime: ServerRuntime | None = runtime
        self._class_specs: list[tuple[Any, Any, str]] = []
        if runtime.use_db:
            _connect_or_exit(runtime)
        _util_singleton = self

    @classmethod
    def _of(cls, runtime: ServerRuntime) -> "Util":
        """The Util of a server started without one (by :func:`run`)."""
        util = runtime.util
        if util is None:
            util = runtime.util = cls.__new__(cls)
            util._runtime = runtime
            util._class_specs = []
        return util

    @staticmethod
    def init(args: Sequence[str]) -> "Util":
        """``Util(args)`` (PyTango's static form)."""
        return Util(args)

    @staticmethod
    def instance(exit: bool = True) -> "Util":  # noqa: A002 - PyTango's parameter name
        """The process's Util.  None made yet: ``exit`` (the default) prints cppTango's message
        and exits the process with status -1, as PyTango does; else a DevFailed."""
        running = _current_runtime
        if running is not None:
            return Util._of(running)
        if _util_singleton is not None:
            return _util_singleton
        if exit:
            sys.stderr.write("Tango is not initialised !!!\nExiting\n")
            sys.stderr.flush()
            raise SystemExit(-1)
        raise _df("API_UtilSingletonNotCreated", "Util singleton not created", "Util::instance")

    def _rt(self) -> ServerRuntime:
        if self._runtime is None:
            raise _df("API_UtilSingletonNotCreated", "Util singleton not created", "Util::instance")
        return self._runtime

    # -- a classic start-up ------------------------------------------------------------------------
    def add_class(self, *args: Any, language: str = "python") -> None:
        """``add_class(DeviceClassCls, DeviceCls[, name])``: a device class this server serves
        (the name defaults to the device class's ``__name__``), before :meth:`server_init`."""
        if language != "python":
            self.add_Cpp_TgClass(*args)
            return
        self.add_TgClass(*args)

    def add_TgClass(self, klass_device_class: Any, klass_device: Any,  # noqa: N802 - PyTango's name
                    device_class_name: str | None = None) -> None:
        """``add_class`` (PyTango's older name)."""
        if device_class_name is None:
            device_class_name = klass_device.__name__
        self._class_specs.append((klass_device_class, klass_device, device_class_name))

    def add_Cpp_TgClass(self, device_class_name: str, tango_device_class_name: str) -> None:  # noqa: N802
        """Refused: a C++ device class needs cppTango's shared library; tango_core is pure Python."""
        raise _df("API_NotSupported", f"Cannot add the C++ class {device_class_name} "
                  f"({tango_device_class_name}): tango_core serves Python device classes only",
                  "Util.add_Cpp_TgClass")

    def server_init(self, with_window: bool = False) -> None:
        """Build the devices of the added classes (names from the database, or ``-dlist``), serve
        them and export them; they answer from now on.  A second call does nothing."""
        if with_window:
            raise _df("API_NotSupported", "server_init(with_window=True): tango_core has no server window",
                      "Util::server_init")
        rt = self._rt()
        if rt.admin is not None or rt._shutting_down:
            return
        rt.set_classes(list(self._class_specs))
        rt.start(finished_starting=False)

    def server_run(self) -> None:
        """Serve until the admin device's Kill, SIGINT (Ctrl-C) or SIGTERM; the devices are then
        deleted, the server unexported, and this returns."""
        rt = self._rt()
        if rt.admin is None:
            raise _df("API_NotSupported", "server_run() before server_init(): no device to serve",
                      "Util::server_run")
        if rt._shutting_down:
            return
        rt.serve_forever()

    def orb_run(self) -> None:
        """Serve requests until Kill/SIGINT/SIGTERM (cppTango's: what server_run does after its
        checks; here the same loop)."""
        self.server_run()

    def connect_db(self) -> None:
        """Connect the server to the database (``Util(sys.argv)`` already did, unless -nodb):
        cppTango's message and exit status -1 when it cannot."""
        rt = self._rt()
        if rt.use_db and rt.database is None:
            _connect_or_exit(rt)

    @staticmethod
    def set_use_db(use_db: bool) -> None:
        """PyTango's class attribute ``Util._UseDb`` (what ``_UseDb`` reads); the running server
        keeps the choice its command line made."""
        Util._UseDb = bool(use_db)

    def reset_filedatabase(self) -> None:
        """Refused: a tango_core server does not run on a database file (cppTango's ``-file=``;
        test contexts copy theirs into memory); use a database server (tango_core.databaseds,
        sqlite) or -nodb."""
        raise _df("API_NotSupported", "This server does not run on a database file (-file=): nothing to reread",
                  "Util::reset_filedatabase")

    @staticmethod
    def cleanup() -> None:
        """Forget the process's Util (PyTango 10.3's ``Util.cleanup``): a server still running
        is shut down first; ``Util.instance()`` then needs a new ``Util(args)``."""
        global _util_singleton
        util = _util_singleton
        running = _current_runtime
        for rt in {id(r): r for r in (running, util._runtime if util is not None else None) if r is not None}.values():
            if rt.admin is not None and not rt._stopped.is_set():
                rt.shutdown()
        _util_singleton = None

    def server_cleanup(self) -> None:
        """Stop serving and release the server (devices deleted, server unexported) if it still runs."""
        rt = self._rt()
        if rt.admin is not None:
            rt.shutdown()

    def unregister_server(self) -> None:
        """Mark this server's devices not exported in the database (nothing without one)."""
        rt = self._rt()
        if rt.use_db and rt.database is not None:
            rt.database.unexport_server(rt.server_name)

    # -- settings ------------------------------------------------------------------------------------
    def get_serial_model(self) -> SerialModel:
        return self._rt().serial_model

    def set_serial_model(self, ser: Any) -> None:
        """How requests are serialised: BY_DEVICE (the default, one request at a time per
        device), BY_CLASS, BY_PROCESS or NO_SYNC."""
        self._rt().set_serial_model(ser)

    def get_trace_level(self) -> int:
        return self._rt().options.verbose

    def set_trace_level(self, level: int) -> None:
        """The ``-vN`` level: devices created from now on log at it on the console."""
        self._rt().options.verbose = int(level)

    def get_server_version(self) -> str:
        return self._rt().server_version

    def set_server_version(self, version: str) -> None:
        self._rt().server_version = str(version)

    def get_polling_threads_pool_size(self) -> int:
        rt = self._rt()
        if rt.polling_threads_pool_size is not None:
            return rt.polling_threads_pool_size
        return 1 if rt.admin is not None else _POOL_SIZE_UNSET

    def set_polling_threads_pool_size(self, thread_nb: int) -> None:
        """Kept and answered back; tango_core polls each device in a thread of its own whatever
        the size (what cppTango does with a pool at least as large as the polled devices)."""
        self._rt().polling_threads_pool_size = int(thread_nb)

    # -- the running server ------------------------------------------------------------------------
    def get_ds_name(self) -> str:
        return self._rt().server_name

    def get_ds_exec_name(self) -> str:
        return self._rt().options.exec_name

    def get_ds_inst_name(self) -> str:
        return self._rt().options.instance

    def get_host_name(self) -> str:
        return socket.gethostname()

    def get_pid(self) -> int:
        return os.getpid()

    def get_pid_str(self) -> str:
        return str(os.getpid())

    def get_tango_lib_release(self) -> int:
        return TANGO_LIB_RELEASE

    def get_version_str(self) -> str:
        return "6"  # cppTango's: the IDL version of its devices

    def get_database(self) -> Any:
        return self._rt().database

    def get_sub_dev_diag(self) -> SubDevDiag:
        """The server's sub-device diagnostics (see tango_core.server.sub_devices)."""
        return self._rt().sub_devices

    def get_dserver_device(self) -> DServer:
        admin = self._rt().admin
        if admin is None:  # before server_init: cppTango prints this, then raises
            sys.stderr.write("Class DServer is not initialised!\n")
            sys.stderr.flush()
            raise _df("API_DServerClassNotInitialised", "The DServerClass is not yet initialised, please wait!",
                      "DServerClass::instance")
        return admin

    def get_device_by_name(self, name: str) -> DeviceImpl:
        dev = self._rt().find_device(name)
        if dev is None:
            raise _df("API_DeviceNotFound", f"Device {name} not found", "Util::get_device_by_name")
        return dev

    def get_device_ior(self, device: DeviceImpl) -> str:
        rt = self._rt()
        return rt.ior_for(rt._key_of(device))

    def get_class_list(self) -> list[DeviceClass]:
        """The server's device classes (DeviceClass objects, the admin's apart), in creation order."""
        return self._rt().device_classes()

    def get_device_list_by_class(self, class_name: str) -> list[DeviceImpl]:
        for cl in self._rt().device_classes():
            if cl.get_name() == class_name:
                return cl.get_device_list()
        raise _df("API_ClassNotFound", f"Class {class_name} not found", "Util::get_device_list_by_class")

    def get_device_list(self, pattern: str = "*") -> list[DeviceImpl]:
        """The devices whose name matches ``pattern`` (any case), the admin device included
        (last), as cppTango's: see :func:`_device_name_matches`."""
        return [d for d in self._rt().all_devices() if _device_name_matches(d.get_name(), pattern)]

    def is_svr_starting(self) -> bool:
        return self._rt().is_svr_starting()

    def is_svr_shutting_down(self) -> bool:
        return self._rt().is_svr_shutting_down()

    def fill_attr_polling_buffer(self, device: DeviceImpl, attribute_name: str, data: Any) -> None:
        """``device.fill_attr_polling_buffer(attribute_name, data)`` (PyTango's Util form)."""
        device.fill_attr_polling_buffer(attribute_name, data)

    def fill_cmd_polling_buffer(self, device: DeviceImpl, command_name: str, data: Any) -> None:
        """``device.fill_cmd_polling_buffer(command_name, data)`` (PyTango's Util form)."""
        device.fill_cmd_polling_buffer(command_name, data)

    def create_device(self, klass_name: str, device_name: str, alias: str | None = None,
                      cb: Callable[[str], Any] | None = None) -> None:
        """Create a device of class ``klass_name`` in the database and in this running server
        (init_device runs); ``cb(device_name)`` is called in between, e.g. to put properties."""
        self._rt().create_device(klass_name, device_name, alias, cb)

    def delete_device(self, klass_name: str, device_name: str) -> None:
        """Delete a device of this server from the database and from the running server."""
        self._rt().delete_device(klass_name, device_name)

    def is_device_restarting(self, device_name: str) -> bool:
        """True while the admin's DevRestart (or RestartServer) re-creates that device."""
        return device_name.lower() in self._rt().restarting

    def is_auto_alarm_on_change_event(self) -> bool:
        return self._rt().auto_alarm_on_change_event

    def set_auto_alarm_on_change_event(self, enabled: bool) -> None:
        """Kept and answered back (cppTango 10's switch; with alarm events declared
        ``set_alarm_event(name, True, False)`` a pushed change sends no alarm event either way
        on PyTango 10.3.1, which is what tango_core does)."""
        self._rt().auto_alarm_on_change_event = bool(enabled)

    def set_interceptors(self, interceptors: "Interceptors") -> None:
        """Have ``interceptors.create_thread()`` called in each thread the server starts to serve
        requests, before it serves any, and ``delete_thread()`` when that thread ends (PyTango's
        ``Interceptors``, e.g. to set thread-local state up)."""
        if not (callable(getattr(interceptors, "create_thread", None))
                and callable(getattr(interceptors, "delete_thread", None))):
            raise TypeError("set_interceptors() takes a tango.Interceptors (create_thread and delete_thread)")
        rt = self._rt()
        rt.interceptors = interceptors
        if rt.transport is not None:
            rt.transport.pool.thread_hooks = (interceptors.create_thread, interceptors.delete_thread)

    def trigger_attr_polling(self, device: DeviceImpl, attribute_name: str) -> None:
        """Read an attribute polled externally triggered (period 0) into its polling buffer now;
        clients see the reading in its history and in CACHE reads when this returns."""
        self._rt().polling.trigger(device, "attribute", attribute_name)

    def trigger_cmd_polling(self, device: DeviceImpl, command_name: str) -> None:
        """Run a command polled externally triggered (period 0) into its polling buffer now."""
        self._rt().polling.trigger(device, "command", command_name)

    def server_set_event_loop(self, event_loop: Callable[[], Any] | None) -> None:
        """Have the server's main thread call ``event_loop()`` over and over (instead of only
        waiting) once it serves; a true result stops the server (cppTango's rule: the function
        should block a little, or it spins a CPU)."""
        self._rt().event_loop = event_loop

    def get_dserver_ior(self, dev: Any = None) -> str:
        rt = self._rt()
        return rt.ior_for(rt._key_of(self.get_dserver_device()))


class Interceptors:
    """Hooks called in each thread a server starts to serve requests (PyTango's
    ``tango.Interceptors``): subclass it and give an instance to ``Util.set_interceptors``."""

    def create_thread(self) -> None:
        """Called in a new serving thread, before it serves its first request."""

    def delete_thread(self) -> None:
        """Called in a serving thread when it ends."""


def _simplified_device_name(name: str) -> str:
    """``tango://host:port/a/b/c`` or ``host:port/a/b/c`` -> ``a/b/c``, lower-cased (PyTango's)."""
    if name.startswith("tango://"):
        name = name[8:]
    if name.count("/") > 2:
        name = name[name.index("/") + 1:]
    return name.lower()


def _defined_in(db: Any, name: str) -> bool:
    """Whether the database knows ``name`` (any answer but DB_DeviceNotDefined counts as yes, as
    PyTango's create_device/delete_device tell)."""
    try:
        db.import_device(name)
    except DevFailed as exc:
        return exc.args[0].reason != "DB_DeviceNotDefined"
    return True


def _device_name_matches(name: str, pattern: str) -> bool:
    """cppTango's ``Util::get_device_list`` rule, any case: without ``*`` the whole name; else
    the text before the first ``*`` starts the name, and each later piece is found at or after
    where the piece before it was found (so ``*/ps*/*`` matches ``dserver/ds/ps1`` while
    ``*ps*/*`` does not)."""
    name, pattern = name.lower(), pattern.lower()
    if "*" not in pattern:
        return name == pattern
    first, *pieces = pattern.split("*")
    if not name.startswith(first):
        return False
    at = 0
    for piece in pieces:
        if piece:
            at = name.find(piece, at)
            if at < 0:
                return False
    return True


def _connect_or_exit(runtime: ServerRuntime) -> None:
    """``Util(argv)`` with a database: connect to it and check this server may start, or print
    why not and exit with status -1, as cppTango (not defined in the database, already running,
    no database)."""
    try:
        runtime._connect_database()
    except DevFailed:
        sys.stderr.write("Can't build connection to TANGO database server, exiting\n")
        sys.stderr.flush()
        raise SystemExit(-1) from None
    try:
        runtime._check_not_running()
    except (ServerNotDefined, ServerAlreadyRunning) as exc:
        sys.stderr.write(f"{exc.args[0].desc}\n")
        sys.stderr.flush()
        raise SystemExit(-1) from None


def to_callback(callback: Any, what: str, green_mode: Any = None) -> Callable[[], Any]:
    """``run()``'s ``pre_init_callback``/``post_init_callback`` as a function of no argument:
    None (does nothing), a callable, or a sequence ``(callable[, args[, kwargs]])``; anything else
    is a TypeError naming ``what``.  For an asyncio server a plain function becomes a coroutine
    function (it then runs on the server's event loop, as PyTango's ``__to_callback`` does)."""
    if callback is None:
        return lambda: None
    if callable(callback):
        fn = callback
    elif (isinstance(callback, Sequence) and not isinstance(callback, (str, bytes))
          and 1 <= len(callback) <= 3 and callable(callback[0])):
        args = callback[1] if len(callback) > 1 else ()
        kwargs = callback[2] if len(callback) > 2 else {}
        fn = functools.partial(callback[0], *args, **kwargs)
    else:
        raise TypeError(f"{what} must be a callable or sequence <callable [, args, [, kwargs]]>")
    if green_mode == GreenMode.Asyncio and not inspect.iscoroutinefunction(fn):
        plain = fn

        @functools.wraps(plain)
        async def on_the_loop() -> Any:
            return plain()

        return on_the_loop
    return fn


def run(classes: Any, args: Sequence[str] | None = None, msg_stream: TextIO | None = sys.stdout,
        verbose: bool = False, util: Any = None, event_loop: Any = None, pre_init_callback: Any = None,
        post_init_callback: Any = None, green_mode: Any = None, raises: bool = False,
        err_stream: TextIO | None = sys.stderr, cleanup: bool = False) -> None:
    """Run a device server for ``classes`` (PyTango's ``tango.server.run``; see the module docstring).

    ``args`` is the command line, ``[<exec>, <instance>, options...]`` (default ``sys.argv``).
    Errors are printed to ``err_stream`` as PyTango does, unless ``raises``.
    """
    argv = list(sys.argv if args is None else args)

    def serve() -> None:
        options = parse_command_line(argv)
        runtime = ServerRuntime(classes, options, msg_stream=msg_stream, green_mode=green_mode)
        if runtime.green_mode in (GreenMode.Gevent, GreenMode.Asyncio):
            runtime.serial_model = SerialModel.NO_SYNC  # (PyTango's: the devices interleave at their awaits)
        if event_loop is not None:
            if not callable(event_loop):
                raise TypeError("event_loop must be a callable (called over and over; true to stop)")
            runtime.event_loop = event_loop
        pre = to_callback(pre_init_callback, "pre_init_callback", runtime.green_mode)
        post = to_callback(post_init_callback, "post_init_callback", runtime.green_mode)
        runtime.start(pre, post)
        runtime.serve_forever()

    if raises:
        serve()
        return
    write = err_stream.write if err_stream is not None else (lambda msg: None)
    try:
        serve()
        return
    except ServerNotDefined as exc:  # cppTango prints it on stderr and exits with -1
        write(f"{exc.args[0].desc}\n")
        if err_stream is not None:
            err_stream.flush()
        raise SystemExit(255) from None
    except KeyboardInterrupt:
        write("Exiting: Keyboard interrupt\n")
    except DevFailed as df:
        write("Exiting: Server exited with tango.DevFailed:\n" + str(df) + "\n")
        if verbose:
            write(_traceback().format_exc())
    except Exception as exc:  # noqa: BLE001
        write("Exiting: Server exited with unforseen exception:\n" + str(exc) + "\n")
        if verbose:
            write(_traceback().format_exc())
    write("\nExited\n")


def server_run(classes: Any, args: Sequence[str] | None = None, msg_stream: TextIO | None = sys.stdout,
               verbose: bool = False, util: Any = None, event_loop: Any = None, pre_init_callback: Any = None,
               post_init_callback: Any = None, green_mode: Any = None, err_stream: TextIO | None = sys.stderr,
               cleanup: bool = False) -> None:
    """Alias of :func:`run` (PyTango keeps it for old code)."""
    run(classes, args, msg_stream, verbose, util, event_loop, pre_init_callback, post_init_callback, green_mode,
        False, err_stream, cleanup)


_ = (Iterable,)
