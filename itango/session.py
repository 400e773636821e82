"""The per-shell state of the itango extension and its background loading.

One :class:`ShellSession` lives on each shell that loaded the extension.  It

* imports tango_core and binds the Tango names in the user namespace (once, possibly after
  the first prompt is drawn: importing it pulls numpy, which would slow the start-up);
* loads the current database's device inventory in a background thread, and again on
  ``%refreshdb`` / ``%switchdb``; completion reads whatever inventory is current and never
  waits for the network;
* keeps the inventories of other databases named in full TRLs (loaded on first use);
* remembers the last Tango and the last Python error for ``%tango_error``/``%python_error``.

Threading rule: background threads only compute and swap references; everything that
changes the user namespace is queued and applied on the main thread (before the next cell,
or from prompt_toolkit's event loop while the prompt waits), because IPython and Jedi
iterate that dict while completing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from IPython.core.error import UsageError
from tango_core import split_tango_name

from .constructors import DeviceClassConstructor, usable_class_name
from .inventory import Inventory
from .member_catalog import MemberCatalog
from .suggest import did_you_mean

__all__ = ["ShellSession", "get_session", "CORE_NAMES", "authority_key"]

SESSION_ATTR = "_itango_session"

#: tango_core names bound in the user namespace (those tango_core does not define are skipped)
CORE_NAMES = (
    "DeviceProxy", "AttributeProxy", "Database", "Group", "DeviceAttribute", "DeviceData",
    "DevFailed", "DevError", "ConnectionFailed", "CommunicationFailed", "WrongNameSyntax",
    "NonDbDevice", "WrongData", "NonSupportedFeature", "EventSystemFailed", "DeviceUnlocked",
    "NotAllowed", "AsynCall", "AsynReplyNotArrived", "DevState", "AttrQuality", "AttrWriteType",
    "AttrDataFormat", "CmdArgType", "DispLevel", "ErrSeverity", "EventType", "EventData",
    "AttrConfEventData", "DataReadyEventData", "DevIntrChangeEventData", "ExtractAs",
    "DeviceInfo", "CommandInfo", "AttributeInfoEx", "DbDevInfo", "DbDatum", "DbData",
    "DevSource", "GreenMode", "TimeVal",
)

#: seconds after the first load started beyond which no cell waits for it any more (the load
#: itself is bounded by timeouts; a hung database must not hold every cell)
FIRST_LOAD_WAIT = 5.0
#: longest the device list (and so the first cell) waits for the device servers started with the
#: shell (``itango --demo``) to serve
SERVERS_WAIT = 30.0
#: longest ``%load_ext itango`` takes (tango_core import included) before returning without
#: the device list (the load then goes on behind)
LOAD_EXT_WAIT = 3.0
#: longest the first TAB on a full name of another database waits for its device list
OTHER_DB_FIRST_WAIT = 0.3
#: how long a failed load of another database (full TRL) is remembered
OTHER_DB_RETRY = 10.0


def get_session(shell: Any) -> "ShellSession | None":
    """The itango session of ``shell`` (None when the extension is not loaded)."""
    return getattr(shell, SESSION_ATTR, None)


def authority_key(host_port: str) -> str:
    """Case-insensitive identity of a database ``host:port`` (first replica)."""
    first = host_port.split(",")[0].strip().lower()
    return first if ":" in first else f"{first}:10000"


class UnreachableDatabase:
    """Stands for ``db`` while no database answers: any use raises the original error."""

    def __init__(self, tango_host: str, error: BaseException):
        self._tango_host = tango_host
        self._error = error

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_repr_") or name.startswith("_ipython"):
            raise AttributeError(name)  # IPython's display machinery probes these
        raise self._error.with_traceback(None)

    def __repr__(self) -> str:
        return (f"<no database reachable at {self._tango_host}: use %refreshdb to retry, "
                f"%switchdb host:port for another>")


class ShellSession:
    """All itango state attached to one IPython shell."""

    def __init__(self, shell: Any, *, defer_core_import: bool = False):
        self.shell = shell
        self.core: ModuleType | None = None
        self.db: Any = None
        self.inventory: Inventory | None = None
        self.load_error: BaseException | None = None
        self.tango_host: str | None = os.environ.get("TANGO_HOST") or None
        self.catalog = MemberCatalog()
        self.last_tango_error: BaseException | None = None
        self.last_python_error: BaseException | None = None
        #: says whether the banner already reported the database unreachable (then the
        #: background load does not print it a second time)
        self.unreachable_announced: Callable[[], bool] = lambda: False
        #: ``wait_servers(timeout)`` -> None or a problem: device servers started with the shell
        #: (``itango --demo``), which the device list waits for (set before :meth:`start`)
        self.wait_servers: Callable[[float], str | None] | None = None
        self._servers_pending = False
        #: set once the device list is loaded while the device servers are waited for (a cell
        #: whose user stops that wait with Ctrl-C still gets the class constructors)
        self._names_loaded = threading.Event()
        #: every database this session has loaded, for "did you mean" in %switchdb
        self.known_hosts: list[str] = []
        self._defer = defer_core_import
        self._core_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._first_load = threading.Event()
        self._first_load_deadline = float("inf")  # monotonic; set when the loader starts
        self._tab_waited = 0.0  # seconds TABs spent waiting for the first load
        self._loader: threading.Thread | None = None
        self._pending: list[Callable[[], None]] = []
        self._pending_lock = threading.Lock()
        self._pushed: dict[str, Any] = {}
        self._constructors: dict[str, DeviceClassConstructor] = {}
        self._others: dict[str, tuple[float, Inventory | None]] = {}
        self._others_lock = threading.Lock()
        self._closed = False
        self._on_core: list[Callable[[ModuleType], None]] = []

    @property
    def closed(self) -> bool:
        """True once the extension was unloaded from this shell."""
        return self._closed

    # -- start-up ---------------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading: now, or once the first prompt is on screen (fast start)."""
        app = getattr(getattr(self.shell, "pt_app", None), "app", None)
        if self._defer and app is not None:
            # start when the first prompt is on screen; the handler stays registered (a no-op
            # afterwards) because removing it while prompt_toolkit fires the event would
            # skip the next handler
            def first_render(_: Any) -> None:
                if self._loader is None:
                    self._spawn_loader(warm_up=True)
            app.after_render.add_handler(first_render)
            self._unhook_render = lambda: app.after_render.remove_handler(first_render)
        else:
            # %load_ext in a running shell: like ITango, names should be there when it returns,
            # but a slow database may delay it only so long; the load then goes on behind
            deadline = time.monotonic() + LOAD_EXT_WAIT
            self.ensure_core()
            self._spawn_loader(warm_up=False)
            self._first_load.wait(max(0.0, deadline - time.monotonic()))
            self._first_load_deadline = min(self._first_load_deadline, deadline)  # cells too
            self.apply_pending()

    def _spawn_loader(self, warm_up: bool) -> None:
        if self._loader is not None or self._closed:
            return
        self._first_load_deadline = time.monotonic() + FIRST_LOAD_WAIT + (
            SERVERS_WAIT if self.wait_servers is not None else 0.0)
        self._servers_pending = self.wait_servers is not None
        self._loader = threading.Thread(target=self._initial_load, args=(warm_up,),
                                        name="itango-load", daemon=True)
        self._loader.start()

    def _initial_load(self, warm_up: bool) -> None:
        try:
            if warm_up:
                from .startup import warm_up_lexer
                warm_up_lexer()
            self.ensure_core()
            if self.wait_servers is not None:
                self._load_after_servers()
            self._load_current()
        except BaseException as exc:  # never let a loader thread die silently
            self.load_error = exc
        finally:
            self._names_loaded.set()
            self._first_load.set()
            self._wake_prompt()
        if self.load_error is not None and not self._closed and not self.unreachable_announced():
            print(f"itango: {self.unreachable_message()}", flush=True)

    def _load_after_servers(self) -> None:
        """The database's device list at once (TAB has names to offer), then the wait for the
        device servers started with the shell; the load that follows sees them exported."""
        try:
            try:
                self._load_current()
            except Exception:
                pass  # the load that follows reports it
            finally:
                self._names_loaded.set()
            problem = self.wait_servers(SERVERS_WAIT) if self.wait_servers is not None else None
        finally:
            self._servers_pending = False
        if problem and not self._closed:
            print("".join(f"itango: {line}\n" for line in problem.splitlines()), end="", flush=True)

    def unreachable_message(self) -> str:
        err = self.load_error
        reason = _one_line(err) if err is not None else "unknown error"
        return (f"no database reachable at {self.tango_host or '(TANGO_HOST not set)'} ({reason}); "
                f"full names (tango://host:port/domain/family/member) still work; "
                f"%refreshdb retries, %switchdb host:port changes database")

    def ensure_core(self) -> ModuleType:
        """Import tango_core (once), queue its names for the user namespace and run the
        ``on_core`` callbacks; ``self.core`` is published last, so whoever sees it set also
        finds the names queued and the DevFailed handler installed."""
        if self.core is not None:
            return self.core
        with self._core_lock:
            if self.core is None:
                import tango_core
                try:
                    self.tango_host = str(names_api(tango_core)[0]())
                except Exception:
                    pass  # TANGO_HOST not set: the load reports it
                names = {n: getattr(tango_core, n) for n in CORE_NAMES if hasattr(tango_core, n)}
                names["tango_core"] = tango_core
                names["tango"] = tango_core  # ITango users type tango.DevState.ON ...
                from .cache_functions import make_cache_functions
                names.update(make_cache_functions(lambda: self.inventory))
                names["Device"] = names.get("DeviceProxy")        # ITango's short names of the proxies
                names["Attribute"] = names.get("AttributeProxy")
                self._queue(lambda: self._push(names))
                for callback in self._on_core:
                    callback(tango_core)
                self.core = tango_core
        return self.core

    def on_core(self, callback: Callable[[ModuleType], None]) -> None:
        """Run ``callback(tango_core)`` once tango_core is imported (at once if it is).
        Register before :meth:`start`."""
        if self.core is not None:
            callback(self.core)
        else:
            self._on_core.append(callback)

    def _names_api(self) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
        return names_api(self.ensure_core())

    # -- main-thread application of namespace changes ---------------------------------------

    def _queue(self, change: Callable[[], None]) -> None:
        with self._pending_lock:
            self._pending.append(change)
        self._wake_prompt(apply=True)

    def apply_pending(self) -> None:
        """Apply queued namespace changes (call on the main thread)."""
        while True:
            with self._pending_lock:
                if not self._pending or self._closed:
                    return
                change = self._pending.pop(0)
            change()

    def _wake_prompt(self, apply: bool = False) -> None:
        app = getattr(getattr(self.shell, "pt_app", None), "app", None)
        if app is None or not getattr(app, "is_running", False):
            return
        loop = getattr(app, "loop", None)
        try:
            if apply and loop is not None:
                loop.call_soon_threadsafe(self.apply_pending)
            app.invalidate()
        except Exception:  # the prompt just ended: the next cell applies the changes
            pass

    def _push(self, names: dict[str, Any]) -> None:
        """Bind ``names`` unless the user already bound one of them to something else."""
        ns = self.shell.user_ns
        fresh = {}
        for name, value in names.items():
            if name in ns and ns[name] is not value and self._pushed.get(name) is not ns[name]:
                continue
            fresh[name] = value
        self.shell.push(fresh, interactive=True)
        self._pushed.update(fresh)

    def _drop(self, names: dict[str, Any]) -> None:
        self.shell.drop_by_id(names)
        for name in names:
            self._pushed.pop(name, None)

    # -- loading the current database -------------------------------------------------------

    def _load_current(self) -> Inventory:
        """Connect to the default database and read its inventory (any thread)."""
        from .inventory_loader import fetch_inventory
        core = self.ensure_core()
        with self._load_lock:
            try:
                self.tango_host = str(self._names_api()[0]())
            except Exception as exc:
                self.load_error = exc
                self._queue(lambda e=exc: self._set_db(UnreachableDatabase("(TANGO_HOST not set)", e)))
                raise
            host = self.tango_host
            try:
                db = core.Database()
                inventory = fetch_inventory(db, host)
            except Exception as exc:
                self.load_error = exc
                self._queue(lambda e=exc: self._set_db(UnreachableDatabase(host, e)))
                raise
            self.load_error = None
            self.inventory = inventory
            self._remember_host(host)
            self.catalog.forget()
            self._queue(lambda: (self._set_db(db), self._bind_classes(inventory)))
            return inventory

    def _remember_host(self, host: str) -> None:
        if host not in self.known_hosts:
            self.known_hosts.append(host)

    def _set_db(self, db: Any) -> None:
        """Bind ``db`` and ``DB_NAME`` ("host:port", or "OFFLINE" as ITango said)."""
        label = "OFFLINE" if isinstance(db, UnreachableDatabase) else (self.tango_host or "")
        for name in ("db", "DB_NAME"):
            old = self._pushed.get(name)
            if old is not None and self.shell.user_ns.get(name) is old:
                self._drop({name: old})
        self.db = db
        self._push({"db": db, "DB_NAME": label})

    def _bind_classes(self, inventory: Inventory) -> None:
        """One constructor per device class; constructors of vanished classes go away."""
        core = self.core
        wanted = {k for k in inventory.user_classes() if usable_class_name(k)}
        stale = {k: c for k, c in self._constructors.items() if k not in wanted}
        if stale:
            self._drop({k: c for k, c in stale.items() if self.shell.user_ns.get(k) is c})
            for k in stale:
                del self._constructors[k]
        ns = self.shell.user_ns
        new = {}
        for klass in sorted(wanted):
            ctor = self._constructors.get(klass)
            if ctor is None:
                ctor = self._constructors[klass] = DeviceClassConstructor(
                    klass, core.DeviceProxy,
                    lambda klass=klass: [r.name for r in (self.inventory.class_devices(klass)
                                                          if self.inventory else [])])
            if ns.get(klass) is not ctor:  # new, or deleted by the user since: (re)bind
                new[klass] = ctor
        self._push(new)

    def lookup_name(self, name: str) -> Any:
        """What ``name`` means in the user namespace, counting names about to be bound (the
        background load may not have handed them to the main thread yet)."""
        ns = self.shell.user_ns
        if name in ns:
            return ns[name]
        if name in self._constructors:
            return self._constructors[name]
        if self.core is not None and name in CORE_NAMES + ("Device", "Attribute"):
            return getattr(self.core, {"Device": "DeviceProxy", "Attribute": "AttributeProxy"}.get(name, name), None)
        return None

    def first_load_pending(self) -> bool:
        return self._loader is not None and not self._first_load.is_set()

    def wait_first_load(self, timeout: float) -> None:
        """Wait (bounded) for the first load, without touching the namespace (any thread)."""
        if self._loader is not None:
            self._first_load.wait(timeout)

    def wait_first_load_for_tab(self, budget: float) -> None:
        """Let TABs wait for the first load, ``budget`` seconds at most in all (so a TAB
        right after start-up finds the device list, and a hung database freezes TAB once,
        briefly, not on every key press)."""
        left = budget - self._tab_waited
        if left > 0 and self.first_load_pending() and self.inventory is None:
            # (with ``itango --demo`` the list is there before the device servers serve)
            start = time.monotonic()
            self.wait_first_load(left)
            self._tab_waited += time.monotonic() - start

    def constructor_class(self, obj: Any) -> str | None:
        """The Tango class of one of our class constructors (or of its ``.asyncio`` form), else None."""
        if getattr(obj, "__func__", None) is DeviceClassConstructor.asyncio:
            obj = obj.__self__
        if isinstance(obj, DeviceClassConstructor) and self._constructors.get(obj.klass) is obj:
            return obj.klass
        return None

    def before_cell(self, *_: Any) -> None:
        """pre_run_cell: names must exist before user code runs."""
        if self._closed:
            return
        pressed: list[bool] = []
        if self.core is None:
            # importing tango_core (slow on a loaded machine) is not a place to stop: a Ctrl-C
            # meanwhile is held back and ends the wait for the device list below instead
            with _ctrl_c_held_back() as pressed:
                self.ensure_core()
                self._spawn_loader(warm_up=False)
        if self._loader is not None and not self._first_load.is_set():
            try:
                if pressed:
                    raise KeyboardInterrupt
                if self._servers_pending and self._first_load_deadline > time.monotonic():
                    print("itango: the demo's device servers are starting; this cell runs once they "
                          "serve (Ctrl-C: run it now)", flush=True)
                self._first_load.wait(max(0.0, self._first_load_deadline - time.monotonic()))
            except KeyboardInterrupt:  # IPython would print it as a failed callback
                self._first_load_deadline = 0.0  # and not wait again
                if self._servers_pending:
                    print("itango: not waiting for the demo's device servers; a device that does not "
                          "answer yet is still starting", flush=True)
                    self._wait_names_loaded()
                else:
                    print(f"itango: not waiting for the device list of {self.tango_host}; "
                          f"it goes on loading in the background", flush=True)
        self.apply_pending()

    def _wait_names_loaded(self) -> None:
        """The device list (a database round trip), which the wait for the demo's device
        servers follows: the cell gets the class constructors; a second Ctrl-C stops this too."""
        try:
            self._names_loaded.wait(FIRST_LOAD_WAIT)
        except KeyboardInterrupt:
            print(f"itango: not waiting for the device list of {self.tango_host}; "
                  f"it goes on loading in the background", flush=True)

    def after_cell(self, result: Any) -> None:
        """post_run_cell: remember the last non-Tango exception for ``%python_error``."""
        err = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        if err is None:
            return
        devfailed = getattr(self.core, "DevFailed", None)
        if devfailed is not None and isinstance(err, devfailed):
            return
        self.last_python_error = err

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Wait for the first load (True if it is over, loaded or failed); applies pending
        namespace changes when called on the main thread."""
        if self._loader is None and self.core is None:
            self.ensure_core()
            self._spawn_loader(warm_up=False)
        done = self._first_load.wait(timeout)
        if threading.current_thread() is threading.main_thread():
            self.apply_pending()
        return done

    def require_inventory(self, timeout: float = FIRST_LOAD_WAIT) -> Inventory:
        """The current inventory, or a UsageError saying why there is none."""
        self.wait_ready(timeout)
        if self.inventory is None:
            if self.load_error is not None:
                raise UsageError(self.unreachable_message())
            raise UsageError(f"the device list of {self.tango_host} is still loading; try again")
        return self.inventory

    def refresh(self) -> Inventory:
        """Reload the current database's inventory now (``%refreshdb``)."""
        if self._loader is not None:
            self._first_load.wait(FIRST_LOAD_WAIT)
        try:
            inventory = self._load_current()
        finally:
            self._first_load.set()
            self.apply_pending()
        with self._others_lock:
            self._others.clear()
        return inventory

    def switch(self, tango_host: str) -> Inventory:
        """Make ``tango_host`` the default database for short names and load its inventory.

        The old database stays the default if the new one does not answer.
        """
        from .inventory_loader import fetch_inventory
        core = self.ensure_core()
        get, put = self._names_api()
        previous = put(tango_host)
        try:
            db = core.Database()
            inventory = fetch_inventory(db, str(get()))
        except BaseException:  # Ctrl-C too: short names must keep resolving where the prompt says
            put(previous)
            raise
        with self._load_lock:
            self.tango_host = str(get())
            os.environ["TANGO_HOST"] = self.tango_host  # for child processes (!commands)
            self.inventory = inventory
            self.load_error = None
            self._remember_host(self.tango_host)
            self.catalog.forget()
        self._first_load.set()
        self._set_db(db)
        self._bind_classes(inventory)
        self._wake_prompt()
        return inventory

    # -- other databases (full TRLs) --------------------------------------------------------

    def inventory_for(self, host_port: str | None, wait: float = OTHER_DB_FIRST_WAIT
                      ) -> Inventory | None:
        """The inventory for a database named in a TRL; loads it in the background on first
        use, waiting at most ``wait`` seconds for it, and answers None meanwhile (and for a
        database that does not answer)."""
        if host_port is None or (self.tango_host and authority_key(host_port) ==
                                 authority_key(self.tango_host)):
            return self.inventory
        key = authority_key(host_port)
        now = time.monotonic()
        with self._others_lock:
            entry = self._others.get(key)
            if entry is not None and (entry[1] is not None or now - entry[0] < OTHER_DB_RETRY):
                return entry[1]
            self._others[key] = (now, None)
        loader = threading.Thread(target=self._load_other, args=(key,), daemon=True,
                                  name=f"itango-load-{key}")
        loader.start()
        loader.join(wait)  # a live database on the LAN answers well within this
        with self._others_lock:
            return self._others[key][1]

    def _load_other(self, key: str) -> None:
        from .inventory_loader import fetch_inventory
        try:
            core = self.ensure_core()
            host, _, port = key.rpartition(":")
            inventory = fetch_inventory(core.Database(host, port), key)
        except Exception:
            inventory = None
        with self._others_lock:
            self._others[key] = (time.monotonic(), inventory)

    # -- names ------------------------------------------------------------------------------

    def resolve_device(self, text: str) -> str:
        """Canonical device name for ``text`` (any case, alias, or full TRL).

        Raises UsageError with a "did you mean" suggestion when the current database does not
        know the device.
        """
        parts = split_tango_name(text.strip())
        prefix, host_port, rest = parts.prefix, parts.host_port, parts.rest
        inventory = self.inventory_for(host_port) if host_port else self.require_inventory()
        if inventory is None:
            return text.strip()  # another database we cannot check: trust the user
        base, hash_, modifier = rest.partition("#")
        record = inventory.lookup(base)
        if record is None:
            raise UsageError(f"no device {base!r} in the database at {inventory.tango_host}."
                             + did_you_mean(base, inventory.all_names()))
        return prefix + record.name + hash_ + modifier

    def prompt_label(self) -> str:
        """The database part of the prompt ("" while TANGO_HOST is still being looked up)."""
        if self.load_error is not None and self.inventory is None:
            return f"{self.tango_host or 'no TANGO_HOST'} (offline)"
        return self.tango_host or ""

    # -- unload -----------------------------------------------------------------------------

    def close(self) -> None:
        """Forget everything this session put in the shell (``%unload_ext``)."""
        self._closed = True
        unhook = getattr(self, "_unhook_render", None)
        if unhook is not None:
            try:
                unhook()
            except Exception:
                pass
        with self._pending_lock:
            self._pending.clear()
        ns = self.shell.user_ns
        self.shell.drop_by_id({k: v for k, v in self._pushed.items() if ns.get(k) is v})
        self._pushed.clear()
        self._constructors.clear()
        self.catalog.close()


def names_api(core: ModuleType) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
    """tango_core's (get, set) of the default TANGO_HOST."""
    return core.get_default_tango_host, core.set_default_tango_host


#: what the CORBA minor codes of an unreachable database mean to a user
_PLAIN_WORDS = (("TRANSIENT_ConnectFailed", "cannot connect"),
                ("TRANSIENT_CallTimedout", "no answer in time"),
                ("COMM_FAILURE", "connection lost"))


def _one_line(exc: BaseException) -> str:
    """``reason: desc`` for a DevFailed, ``Type: message`` otherwise, on one line; a
    connection failure says so in plain words first (``cannot connect: API_Corba...``)."""
    text = _reason_desc(exc)
    for code, words in _PLAIN_WORDS:
        if code in text:
            return f"{words}: {text}"
    return text


def _reason_desc(exc: BaseException) -> str:
    errors = getattr(exc, "args", ())
    first = errors[0] if errors else None
    if first is not None and hasattr(first, "reason") and hasattr(first, "desc"):
        text = f"{first.reason}: {first.desc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(str(text).split())


@contextlib.contextmanager
def _ctrl_c_held_back() -> Iterator[list[bool]]:
    """On the main thread, Ctrl-C pressed while the block runs does not interrupt it: the list
    yielded gets an item instead (elsewhere, or with SIGINT not Python's, nothing changes)."""
    pressed: list[bool] = []
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield pressed
        return
    signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)
