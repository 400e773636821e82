"""Run devices without a database, for tests (PyTango's ``tango.test_context``).

    from tango_core.test_context import DeviceTestContext

    def test_calibrate():
        with DeviceTestContext(PowerSupply) as proxy:
            proxy.calibrate()
            assert proxy.voltage == 1.23

:class:`MultiDeviceTestContext` serves several devices (of several classes) in one server,
:class:`DeviceTestContext` one device; their arguments are PyTango 10.3.1's.  The server runs in
this process (threads; ``process=False``, the default: it starts in a few milliseconds) or in a
child process (``process=True``).  Device and class properties, memorized values and
``root_atts`` go to the server's in-memory property store (no file database is written).
While a context runs, short device names (``DeviceProxy("test/nodb/dev")``) resolve to it, as
in PyTango (``enable_test_context_tango_host_override = False`` disables that).

``python -m tango_core.test_context module.Class [--host H] [--port 8888] [--debug 3]
[--prop "{'name': value}"]`` runs one device until killed, printing its access names.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import socket
import sys
import tempfile
import threading
import traceback
from argparse import ArgumentParser, ArgumentTypeError
from ast import literal_eval
from importlib import import_module
from typing import Any, Sequence

from .client.names import set_test_context_tango_host
from .server.command_line import ServerOptions
from .server.property_store import MemoryPropertyStore
from .server.runtime import ServerRuntime

__all__ = ["DeviceTestContext", "MultiDeviceTestContext", "run_device_test_context", "get_host_ip"]

_DEFAULT_THREAD_TIMEOUT = 5.0
_DEFAULT_PROCESS_TIMEOUT = 7.0
NO_DB_FRAGMENT = "dbase=no"


def get_host_ip() -> str:
    """The primary external IP (a UDP connect, no packet sent); 127.0.0.1 without a network."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("8.8.8.8", 80))
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


def _load(path: str) -> Any:
    module_name, _, name = path.rpartition(".")
    try:
        module = import_module(module_name)
    except Exception:
        raise ArgumentTypeError(f"Error importing {path}:\n{traceback.format_exc()}") from None
    return getattr(module, name)


def _class_from_field(field: Any) -> tuple[Any, Any]:
    """``"class"`` of a devices_info entry: a Device class, its dotted name, or (DeviceClass, DeviceImpl)."""
    device_cls = None
    if isinstance(field, (list, tuple)):
        device_cls, device = field[0], field[1]
        if isinstance(device_cls, str):
            device_cls = _load(device_cls)
    else:
        device = field
    if isinstance(device, str):
        device = _load(device)
    return device_cls, device


def _patch_empty(value: Any) -> Any:
    # PyTango's FileDatabase cannot store "": it stores " " instead; keep the same values
    if hasattr(value, "tolist") and getattr(value, "ndim", 0):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [v if v != "" else " " for v in value]
    return value if value != "" else " "


class MultiDeviceTestContext:
    """Context to run device(s) of one or more classes without a database (PyTango's signature)."""

    enable_test_context_tango_host_override = True
    thread_timeout = _DEFAULT_THREAD_TIMEOUT
    process_timeout = _DEFAULT_PROCESS_TIMEOUT

    def __init__(self, devices_info: Sequence[dict], server_name: str | None = None,
                 instance_name: str | None = None, db: str | None = None, host: str | None = None,
                 port: int = 0, debug: int = 3, process: bool = False, daemon: bool = False,
                 timeout: float | None = None, green_mode: Any = None, cleanup: bool = True) -> None:
        if not server_name:
            _, first = _class_from_field(devices_info[0]["class"])
            server_name = first.__name__
        if not instance_name:
            instance_name = server_name.lower()
        self.host = host or "127.0.0.1"
        self.port = port
        self.debug = debug
        self.db = db
        self.timeout = timeout if timeout is not None else (self.process_timeout if process else
                                                             self.thread_timeout)
        self.server_name = f"dserver/{server_name}/{instance_name}"
        self._exec_name = server_name
        self._instance = instance_name
        self._process = process
        self._green_mode = green_mode  # the server's, for classes without their own (as PyTango's run())
        self._daemon = daemon
        self._devices: dict[str, Any] = {}
        self.server: Any = None
        self.runtime: ServerRuntime | None = None
        self.thread: Any = None
        self._store = MemoryPropertyStore()
        self._names: dict[str, list[str]] = {}
        self._given: list[tuple[str, str, dict]] = []  # (kind, owner, properties) for the database file
        classes = []
        seen = set()
        mixed = {"hl": False, "classic": False}
        for info in devices_info:
            device_cls, device = _class_from_field(info["class"])
            tango_class = device.__name__
            if tango_class in seen:
                raise ValueError("multiple entries in devices_info pointing to the same Tango class")
            seen.add(tango_class)
            if device_cls is not None:
                mixed["classic"] = True
                classes.append((device_cls, device, tango_class))
            else:
                mixed["hl"] = True
                classes.append(device)
            self._fill(tango_class, info)
        if mixed["hl"] and mixed["classic"]:
            raise ValueError("mixing HLAPI and classical API in devices_info is not supported")
        self._classes = classes
        self._db_created = db is None
        if db is None:
            fd, self.db = tempfile.mkstemp(prefix="tango_core-test-context-", suffix=".db")
            os.close(fd)
        try:
            self._write_db_file()
        except BaseException:
            self.delete_db()
            raise
        self._startup_error: BaseException | None = None

    def _fill(self, tango_class: str, info: dict) -> None:
        devices = info["devices"]
        names = []
        for dev in devices:
            name = dev["name"]
            names.append(name)
            props = {k: _patch_empty(v) for k, v in dict(dev.get("properties") or {}).items()}
            if props:
                self._store.put_device_properties(name, props)
                self._given.append(("device", name, props))
            attr_props: dict[str, dict[str, Any]] = {}
            for attr, root in dict(dev.get("root_atts") or {}).items():
                attr_props.setdefault(attr, {})["__root_att"] = root
            for attr, value in dict(dev.get("memorized") or {}).items():
                attr_props.setdefault(attr, {})["__value"] = value
            if attr_props:
                self._store.put_attribute_properties(name, attr_props)
                self._given.append(("attribute", name, attr_props))
        class_props = {k: _patch_empty(v) for k, v in dict(info.get("class_properties") or {}).items()}
        if class_props:
            self._store.put_class_properties(tango_class, class_props)
            self._given.append(("class", tango_class, class_props))
        self._names[tango_class] = names

    def _write_db_file(self) -> None:
        """The devices and properties in ``self.db``, a database file as PyTango's test contexts
        write (``Database(context.db)`` reads and edits it); properties the file already had for
        these devices (a ``db`` given by the caller) are served too, the given ones first."""
        from .client.file_database import FileDatabase
        server = f"{self._exec_name}/{self._instance}"
        with open(self.db, "a", encoding="latin-1") as out:
            for tango_class, names in self._names.items():
                out.write(f"{server}/DEVICE/{tango_class}: " + ", ".join(f'"{n}"' for n in names) + "\n")
        try:
            fdb = FileDatabase(self.db)
        except Exception as exc:  # noqa: BLE001 - PyTango's error for a file it cannot use
            raise RuntimeError(f"Invalid FileDatabase file {self.db}: {exc}") from exc
        for tango_class, names in self._names.items():
            for name in names:
                for prop, values in fdb.get_device_property(name, "*").items():
                    if not self._store.get_device_properties(name, [prop]).get(prop):
                        self._store.put_device_properties(name, {prop: values})
                attrs = fdb.device_attr_props.get(name) or {}
                if attrs:
                    known = self._store.get_attribute_properties(name, list(attrs))
                    self._store.put_attribute_properties(name, {a: {k: v for k, v in p.items() if k not in known.get(a, {})}
                                                                for a, p in attrs.items()})
            for prop, values in fdb.get_class_property(tango_class, "*").items():
                if not self._store.get_class_properties(tango_class, [prop]).get(prop):
                    self._store.put_class_properties(tango_class, {prop: values})
        for kind, owner, props in self._given:
            if kind == "device":
                fdb.put_device_property(owner, props)
            elif kind == "attribute":
                fdb.put_device_attribute_property(owner, props)
            else:
                fdb.put_class_property(owner, props)
        try:
            FileDatabase(self.db)
        except Exception as exc:  # noqa: BLE001 - e.g. an empty list as a property value
            with open(self.db, encoding="latin-1") as written:
                content = written.read()
            raise RuntimeError(f"Invalid FileDatabase file was created.\n"
                               f"Check the properties given (empty list or str?): {self._given}.\n"
                               f"Problematic file has content:\n{content}") from exc

    # -- access -------------------------------------------------------------------------------
    def get_server_access(self) -> str:
        """The full name of the admin device."""
        return f"tango://{self.host}:{self.port}/{self.server_name}#{NO_DB_FRAGMENT}"

    def get_device_access(self, device_name: str) -> str:
        """The full name of a device."""
        return f"tango://{self.host}:{self.port}/{device_name}#{NO_DB_FRAGMENT}"

    def get_device(self, device_name: str) -> Any:
        """A (cached) tango_core DeviceProxy to one of the devices."""
        if device_name not in self._devices:
            from .client.device_proxy import DeviceProxy
            self._devices[device_name] = DeviceProxy(self.get_device_access(device_name))
        return self._devices[device_name]

    # -- life cycle -----------------------------------------------------------------------------
    def _options(self) -> ServerOptions:
        return ServerOptions(self._exec_name, self._instance, verbose=self.debug if self.debug else 0, nodb=True,
                             endpoint_host=self.host, endpoint_port=int(self.port or 0))

    def start(self) -> "MultiDeviceTestContext":
        """Run the server (``__enter__`` does); RuntimeError if it does not start."""
        if self._process:
            self._start_process()
        else:
            self._start_thread()
        if self.enable_test_context_tango_host_override:
            set_test_context_tango_host(f"tango://{self.host}:{self.port}#{NO_DB_FRAGMENT}")
        self.connect()
        return self

    def _start_thread(self) -> None:
        runtime = ServerRuntime(self._classes, self._options(), properties=self._store, device_names=self._names,
                                msg_stream=None, green_mode=self._green_mode)
        override = self.enable_test_context_tango_host_override

        def early() -> None:
            # device code may use short names already in init_device (PyTango sets the override in pre_init)
            self.port = runtime.port
            if override:
                set_test_context_tango_host(f"tango://{self.host}:{self.port}#{NO_DB_FRAGMENT}")

        runtime.start(pre_init=early)
        self.runtime = runtime
        self.port = runtime.port
        self.thread = threading.Thread(target=runtime.serve_forever, kwargs={"handle_signals": False},
                                       name=f"TestContext {self.server_name}", daemon=True)
        self.thread.start()

    def _start_process(self) -> None:
        ctx = multiprocessing.get_context("fork")
        reports: Any = ctx.Queue()
        self.thread = ctx.Process(target=_serve_in_child,
                                  args=(self._classes, self._options(), self._store, self._names, reports,
                                        self.enable_test_context_tango_host_override, self.host, self._green_mode),
                                  daemon=self._daemon)
        self.thread.start()
        try:
            kind, value = reports.get(timeout=self.timeout)
        except queue.Empty:
            self._kill_child()
            raise RuntimeError(f"Timed-out waiting for device server startup ({self.timeout:1.3f} sec)") from None
        if kind == "error":
            self.thread.join(self.timeout)
            raise RuntimeError(f"The server process failed to start:\n{value}")
        self.port = value

    def connect(self) -> None:
        from .client.device_proxy import DeviceProxy
        self.server = DeviceProxy(self.get_server_access())
        self.server.ping()

    def stop(self) -> None:
        """Stop the server (``__exit__`` does)."""
        try:
            if self._process:
                if self.thread is not None and self.thread.is_alive():
                    try:
                        if self.server is not None:
                            self.server.command_inout("Kill")
                    except Exception:  # noqa: BLE001 - a dead server is stopped too
                        pass
                    self.thread.join(self.timeout)
                    if self.thread.is_alive():
                        self._kill_child()
                        raise RuntimeError("Device server failed to exit cleanly (stuck in shutdown?). Tried to "
                                           "kill subprocess.")
            elif self.runtime is not None:
                self.runtime.request_shutdown()
                if self.thread is not None:
                    self.thread.join(self.timeout)
                    if self.thread.is_alive():
                        raise RuntimeError("Device server failed to exit cleanly (stuck in shutdown?)")
        finally:
            if self.enable_test_context_tango_host_override:
                set_test_context_tango_host(None)
            self._forget_proxies()
            self.delete_db()

    def _forget_proxies(self) -> None:
        from .transport import drop_endpoint
        try:
            drop_endpoint(self.host, self.port)
        except Exception:  # noqa: BLE001
            pass
        self._devices.clear()

    def _kill_child(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            self.thread.kill()
            self.thread.join(self.timeout)

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def delete_db(self) -> None:
        """Remove the database file, if this context made it (``stop`` does)."""
        if self._db_created and self.db:
            try:
                os.unlink(self.db)
            except OSError:
                pass

    def __enter__(self) -> "MultiDeviceTestContext":
        if self.thread is None or not self.thread.is_alive():
            self.start()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.stop()
        return False


def _serve_in_child(classes: Any, options: ServerOptions, store: MemoryPropertyStore,
                    names: dict[str, list[str]], reports: Any, override: bool, host: str,
                    green_mode: Any = None) -> None:
    try:
        runtime = ServerRuntime(classes, options, properties=store, device_names=names, msg_stream=None,
                                green_mode=green_mode)

        def early() -> None:
            if override:
                set_test_context_tango_host(f"tango://{host}:{runtime.port}#{NO_DB_FRAGMENT}")

        runtime.start(pre_init=early)
    except BaseException:  # noqa: BLE001 - reported to the parent
        reports.put(("error", traceback.format_exc()))
        return
    reports.put(("port", runtime.port))
    runtime.serve_forever(handle_signals=True)


class DeviceTestContext(MultiDeviceTestContext):
    """Context to run one device without a database; ``with`` gives a DeviceProxy to it."""

    def __init__(self, device: Any, device_cls: Any = None, server_name: str | None = None,
                 instance_name: str | None = None, device_name: str | None = None,
                 properties: dict | None = None, db: str | None = None, host: str | None = None, port: int = 0,
                 debug: int = 3, process: bool = False, daemon: bool = False, timeout: float | None = None,
                 memorized: dict | None = None, root_atts: dict | None = None, green_mode: Any = None,
                 class_properties: dict | None = None, cleanup: bool = True) -> None:
        if not server_name:
            server_name = device.__name__
        if not instance_name:
            instance_name = server_name.lower()
        if not device_name:
            device_name = "test/nodb/" + server_name.lower()
        cls = (device_cls, device) if device_cls else device
        devices_info = ({"class": cls, "class_properties": class_properties,
                         "devices": ({"name": device_name, "properties": properties or {},
                                      "memorized": memorized or {}, "root_atts": root_atts or {}},)},)
        super().__init__(devices_info, server_name=server_name, instance_name=instance_name, db=db, host=host,
                         port=port, debug=debug, process=process, daemon=daemon, timeout=timeout,
                         green_mode=green_mode, cleanup=cleanup)
        self.device_name = device_name
        self.device: Any = None

    def get_device_access(self, device_name: str | None = None) -> str:
        return super().get_device_access(device_name or self.device_name)

    def connect(self) -> None:
        super().connect()
        self.device = self.get_device(self.device_name)
        self.device.ping()

    def __enter__(self) -> Any:
        if self.thread is None or not self.thread.is_alive():
            self.start()
        return self.device


# -- command line -----------------------------------------------------------------------------

def _literal_dict(text: str) -> dict:
    return dict(literal_eval(text))


def parse_command_line_args(args: Sequence[str] | None = None) -> tuple:
    parser = ArgumentParser(description="Run a given device on a given port.")
    parser.add_argument("device", metavar="DEVICE", type=_load, help="The device to run as a python path.")
    parser.add_argument("--host", metavar="HOST", type=str, help="The hostname to use.", default=None)
    parser.add_argument("--port", metavar="PORT", type=int, help="The port to use.", default=8888)
    parser.add_argument("--debug", metavar="DEBUG", type=int, help="The debug level.", default=3)
    parser.add_argument("--prop", metavar="PROP", type=_literal_dict, help="The properties to set as python dict.",
                        default="{}")
    parser.add_argument("--disable-short-name-lookup", dest="disable_short_name_lookup", action="store_true",
                        help="Whether to disable short-name lookup for devices launched by test context")
    ns = parser.parse_args(args)
    return ns.device, ns.host or get_host_ip(), ns.port, ns.prop, ns.debug, ns.disable_short_name_lookup


def run_device_test_context(args: Sequence[str] | None = None) -> None:
    device, host, port, properties, debug, no_short = parse_command_line_args(args)
    context = DeviceTestContext(device, properties=properties, host=host, port=port, debug=debug)
    context.enable_test_context_tango_host_override = not no_short
    context.start()
    print("Ready to accept request")
    print(f"{device.__name__} started on port {context.port} with properties {properties}")
    print(f"Device access: {context.get_device_access()}")
    print(f"Server access: {context.get_server_access()}")
    sys.stdout.flush()
    try:
        context.join()
    except KeyboardInterrupt:
        context.stop()
    print("Done")


if __name__ == "__main__":
    run_device_test_context()

_ = os
