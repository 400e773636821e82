"""Group: one call on many devices at once (PyTango's ``tango.Group``).

A group is an ordered tree: devices (by name or by a ``*`` pattern resolved with the database's
``get_device_exported``) and sub-groups.  Every call is made on each device concurrently, by a
small pool of daemon threads running the ordinary blocking :class:`DeviceProxy` calls, so a call
on the group takes about as long as the slowest device, and never longer than that device's own
timeout.  Failures never raise: they come back per device in the reply list (``has_failed()``,
``get_err_stack()``), as in PyTango.  Only mistakes in the call itself (an argument that cannot be
converted to the command's or attribute's type, a bad request id) raise, at once.

The semantics follow cppTango's ``Tango::Group`` as PyTango 10.3.1 exposes it (checked side by
side in tests/client/test_group.py):

* names and patterns are case-insensitive; a pattern's ``*`` matches any run of characters and
  the match is not anchored (``test/*/*`` also matches ``sys/tg_test/1``), as cppTango's;
* adding a device already anywhere in the tree is silently ignored (only its timeout is set);
* ``get_device(i)`` counts from 1; ``get_device_list()``/``get_size()`` flatten the tree unless
  ``forward=False``;
* a disabled device gets a reply with ``group_element_enabled() == False`` and no data;
* replies print as PyTango's (``GroupCmdReply[ dev_name = ... ]``), repr ``GroupCmdReply()``.

Deliberate differences (improvements): the reply lists are ``list`` subclasses (negative indices
and slices work), ``group[i]`` accepts an index, a device that does not exist becomes a failed
reply instead of making the whole call raise, ``get_data()`` of a failed command reply raises the
reply's ``DevFailed`` (PyTango raises an unhelpful ``TypeError``; for a void command it is None),
``get_device(name)`` of a member that cannot be reached raises its DevFailed (PyTango: KeyError),
disabling a sub-group disables its devices (in PyTango it only flips ``is_enabled``),
devices matched by a pattern on another database (``tango://host:port/a/*/c``) keep that database
in their names.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Union

from tango_core.transport.workers import DaemonPool as _DaemonPool
from tango_core.client.device_attribute import DeviceAttribute
from tango_core.client.device_data import DeviceData, convert_argin
from tango_core.client.device_proxy import DeviceProxy
from tango_core.client.info import StdStringVector
from tango_core.client.names import test_context_device_trl
from tango_core.idl.struct_format import struct_repr
from tango_core.idl.enums import GreenMode
from tango_core.idl.enums import AttrDataFormat, CmdArgType, ErrSeverity
from tango_core.idl.errors import AsynReplyNotArrived, DevError, DevFailed, WrongData, _indent_block

__all__ = ["Group", "GroupReply", "GroupCmdReply", "GroupAttrReply", "GroupReplyList",
           "GroupCmdReplyList", "GroupAttrReplyList", "DeviceDataList"]

#: concurrent calls per process, all groups together; each call is bounded by its proxy's timeout
POOL_WORKERS = 16
_pool = _DaemonPool(POOL_WORKERS)


def _fresh_pool_after_fork() -> None:
    global _pool
    _pool = _DaemonPool(POOL_WORKERS)  # the parent's worker threads do not exist in the child


os.register_at_fork(after_in_child=_fresh_pool_after_fork)

_ERR = ErrSeverity.ERR
_PREFIX = re.compile(r"^(?:(?P<proto>[a-z]+):)?//(?P<host>[^:/]+):(?P<port>\d+)/(?P<rest>.*)$", re.IGNORECASE)
#: exceptions that mean "the call itself is wrong": raised to the caller, not stored per device
_CALLER_ERRORS = (TypeError, ValueError, OverflowError, UnicodeError)
#: first errors meaning "the device could not be reached" (not a failure of the command itself)
_CONNECTION_REASONS = frozenset({"API_CantConnectToDevice", "API_DeviceNotExported", "DB_DeviceNotDefined",
                                 "API_CorbaException", "API_DeviceTimedOut", "API_CantConnectToDatabase"})


# ---------------------------------------------------------------------------------------------
# replies
# ---------------------------------------------------------------------------------------------


class GroupReply:
    """One device's answer to a group call (PyTango ``GroupReply``; write replies are these)."""

    def __init__(self, dev_name: str = "unknown", obj_name: str = "unknown",
                 errors: Sequence[DevError] | None = None, enabled: bool = True) -> None:
        self._dev_name = dev_name
        self._obj_name = obj_name
        self._errors = tuple(errors) if errors else ()
        self._failed = errors is not None
        self._enabled = enabled

    def dev_name(self) -> str:
        return self._dev_name

    def obj_name(self) -> str:
        """The command or attribute name the reply is about."""
        return self._obj_name

    def has_failed(self) -> bool:
        return self._failed

    def get_err_stack(self) -> tuple:
        """The error stack (a tuple of DevError, innermost first); empty if the call succeeded."""
        return self._errors

    def group_element_enabled(self) -> bool:
        """False if the device was disabled in the group: the reply then carries no data."""
        return self._enabled

    def _data_line(self) -> str:
        return ""

    def __str__(self) -> str:
        if not self._enabled:
            extra = ""
        elif self._failed:
            stack = _indent_block(",\n".join(str(e).strip() for e in self._errors))
            extra = f"err_stack = [\n{stack}\n]\n"
        else:
            extra = self._data_line()
        details = (f'dev_name = "{self._dev_name}"\n'
                   f'obj_name = "{self._obj_name}"\n'
                   f"enabled = {self._enabled}\n"
                   f"has_failed = {self._failed}\n"
                   f"{extra}")
        return f"{type(self).__name__}[\n{_indent_block(details)}\n]"

    __repr__ = struct_repr  # PyTango: 'GroupCmdReply()' (no public data fields)


class GroupCmdReply(GroupReply):
    """One device's answer to ``Group.command_inout``."""

    def __init__(self, dev_name: str = "unknown", obj_name: str = "unknown", data: Any = None,
                 errors: Sequence[DevError] | None = None, enabled: bool = True,
                 out_type: Any = None) -> None:
        super().__init__(dev_name, obj_name, errors, enabled)
        self._data = data
        self._out_type = out_type

    def get_data(self) -> Any:
        """The command's result, converted as ``DeviceProxy.command_inout`` converts it.

        A failed reply raises its DevFailed; a disabled device's reply raises DevFailed too
        (cppTango's 'no data - group member is disabled')."""
        if not self._enabled:
            raise DevFailed(DevError("no data - group member is disabled", "no available data",
                                     "GroupCmdReply::get_data", _ERR))
        if self._failed:
            raise DevFailed(*self._errors)
        return self._data

    def get_data_raw(self) -> DeviceData:
        """The result as a DeviceData (``get_data_raw().extract() == get_data()``)."""
        if not self._enabled or self._failed:
            return DeviceData()
        return DeviceData._wrap(self._out_type, self._data)

    def _data_line(self) -> str:
        value = self._data
        return f'data = "{value}"\n' if isinstance(value, str) else f"data = {value}\n"


class GroupAttrReply(GroupReply):
    """One device's answer for one attribute of ``Group.read_attribute(s)``."""

    def __init__(self, dev_name: str = "unknown", obj_name: str = "unknown",
                 data: DeviceAttribute | None = None, errors: Sequence[DevError] | None = None,
                 enabled: bool = True) -> None:
        super().__init__(dev_name, obj_name, errors, enabled)
        self._data = data

    def get_data(self) -> DeviceAttribute:
        """The DeviceAttribute read; an empty one if the read failed or the device is disabled
        (as PyTango: check ``has_failed()`` first)."""
        return self._data if self._data is not None else _no_data_attribute()

    def _data_line(self) -> str:
        return f"data = {self.get_data()}\n"


class GroupReplyList(list):
    """Replies in the group's device order (PyTango ``GroupReplyList``); a real list."""

    def has_failed(self) -> bool:
        """True if any reply has failed."""
        return any(r.has_failed() for r in self)

    def reset(self) -> None:
        self.clear()

    def push_back(self, reply: GroupReply) -> None:
        self.append(reply)


class GroupCmdReplyList(GroupReplyList):
    """What ``Group.command_inout`` returns."""


class GroupAttrReplyList(GroupReplyList):
    """What ``Group.read_attribute(s)`` returns."""


class DeviceDataList(list):
    """One command argument per device, in ``get_device_list()`` order (PyTango ``DeviceDataList``):
    pass it to ``Group.command_inout`` to send each device its own argument."""


# ---------------------------------------------------------------------------------------------
# the tree
# ---------------------------------------------------------------------------------------------


def _no_data_attribute() -> DeviceAttribute:
    """What PyTango's ``GroupAttrReply.get_data()`` gives when there is no data: an empty
    DeviceAttribute as its converter fills it (value None, type Unknown)."""
    da = DeviceAttribute()
    da.has_failed = False
    da.is_empty = True
    da.type = CmdArgType.Unknown
    da.data_format = AttrDataFormat.SPECTRUM
    da.value = None
    da.w_value = None
    return da


def _tokens(pattern: str) -> list[str]:
    return [t for t in pattern.lower().split("*") if t]


def _matches(name: str, tokens: list[str]) -> bool:
    """cppTango's pattern test: the pieces between ``*`` appear in order, anywhere in the name."""
    pos = 0
    low = name.lower()
    for token in tokens:
        pos = low.find(token, pos)
        if pos < 0:
            return False
    return True


class _Element:
    """What devices and groups share: a name, a parent, an enabled flag, name tests."""

    _name: str
    _parent: "Group | None"
    _enabled: bool

    def get_name(self) -> str:
        return self._name

    def get_fully_qualified_name(self) -> str:
        """``root.sub.name``: the names from the root group down to this one."""
        parent = self._parent
        return self._name if parent is None else f"{parent.get_fully_qualified_name()}.{self._name}"

    def name_equals(self, name: str) -> bool:
        low = name.lower()
        return low == self._name.lower() or low == self.get_fully_qualified_name().lower()

    def name_matches(self, pattern: str) -> bool:
        tokens = _tokens(pattern)
        return _matches(self._name, tokens) or _matches(self.get_fully_qualified_name(), tokens)

    def _is_named(self, pattern: str) -> bool:
        return self.name_matches(pattern) if "*" in pattern else self.name_equals(pattern)


class _DeviceElement(_Element):
    """A device of a group: its name as added and a DeviceProxy made when first possible."""

    def __init__(self, name: str, timeout_ms: int) -> None:
        self._name = name
        self._parent = None
        self._enabled = True
        self._timeout_ms = timeout_ms
        self._proxy: DeviceProxy | None = None
        self._lock = threading.Lock()

    def proxy(self) -> DeviceProxy:
        """The proxy, created on first use (and again after a failed creation: the device may
        have been defined or started since)."""
        with self._lock:
            if self._proxy is None:
                proxy = DeviceProxy(self._name, green_mode=GreenMode.Synchronous)  # on the group's pool
                if self._timeout_ms != -1:
                    proxy.set_timeout_millis(self._timeout_ms)
                self._proxy = proxy
            return self._proxy

    def try_connect(self) -> None:
        try:
            self.proxy()
        except DevFailed:
            pass  # as cppTango: the error shows up in the replies of the calls made later

    def set_timeout_millis(self, timeout_ms: int) -> None:
        if timeout_ms == -1:
            return
        with self._lock:
            self._timeout_ms = timeout_ms
            proxy = self._proxy
        if proxy is not None:
            proxy.set_timeout_millis(timeout_ms)


GroupElement = Union[_DeviceElement, "Group"]


class _Request:
    """An asynchronous group request: per device, the names it is about and the call's future
    (None for a disabled device)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: list[tuple[_DeviceElement, list[str], Future | None]] = []


class Group(_Element):
    """A named, ordered tree of devices and sub-groups, called as one (PyTango ``tango.Group``)."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError("Constructor expected receives a str")
        self._name = name
        self._parent = None
        self._enabled = True
        self._elements: list[GroupElement] = []
        self._lock = threading.RLock()
        self._requests: dict[int, _Request] = {}
        self._last_id = 0

    # ------------------------------------------------------------------ python protocol
    def __repr__(self) -> str:
        return f"Group({self._name})"

    def __len__(self) -> int:
        return self.get_size()

    def __contains__(self, pattern: str) -> bool:
        return self.contains(pattern)

    def __getitem__(self, key: str | int | slice):
        if isinstance(key, slice):
            return [self[i] for i in range(*key.indices(self.get_size() + 1))]
        if isinstance(key, str):
            group = self.get_group(key)
            if group is not None:
                return group
        return self.get_device(key)

    def __delitem__(self, key: str) -> None:
        self.remove(key)

    # ------------------------------------------------------------------ building the tree
    def add(self, pattern_subgroup: "str | Sequence[str] | Group", timeout_ms: int = -1) -> None:
        """Add devices (names or ``*`` patterns, asked of the database) or a sub-group.

        Devices already in the tree are ignored, but get ``timeout_ms`` (ms; -1 keeps theirs)."""
        if isinstance(pattern_subgroup, Group):
            self._add_group(pattern_subgroup, timeout_ms)
            return
        if isinstance(pattern_subgroup, str):
            patterns = [pattern_subgroup]
        elif isinstance(pattern_subgroup, Sequence) and not isinstance(pattern_subgroup, (bytes, bytearray)):
            patterns = [str(p) for p in pattern_subgroup]  # PyTango's seq -> StdStringVector
        else:
            raise TypeError("Parameter patterns_or_group: Should be Group, str or a sequence of strings.")
        names: list[str] = []
        for pattern in patterns:
            # under a test context, short names become its server's TRL, as PyTango's Group.add does
            names.extend(_resolve(test_context_device_trl(pattern)))
        with self._lock:
            added = []
            for name in names:
                found = self._find(name, True)
                if found is not None and found is not self:
                    if isinstance(found, (_DeviceElement, Group)):
                        found.set_timeout_millis(timeout_ms)
                    continue
                element = _DeviceElement(name, timeout_ms)
                element._parent = self
                self._elements.append(element)
                added.append(element)
        _map_concurrently(lambda e: e.try_connect(), added)

    def _add_group(self, group: "Group", timeout_ms: int) -> None:
        with self._lock:
            if (group is self or self._find(group._name, True) is group
                    or group._find(self._name, True) is self):
                group.set_timeout_millis(timeout_ms)
                return
            if group._parent is not None:
                group._parent._detach(group)
            group._parent = self
            self._elements.append(group)
        group.set_timeout_millis(timeout_ms)

    def _detach(self, element: GroupElement) -> None:
        with self._lock:
            self._elements = [e for e in self._elements if e is not element]

    def remove(self, patterns: str | Sequence[str], forward: bool = True) -> None:
        """Remove the devices and sub-groups named (or matching ``*`` patterns); ``forward``
        also removes them from sub-groups.  A group never removes itself."""
        if isinstance(patterns, str):
            patterns = [patterns]
        elif isinstance(patterns, Sequence) and not isinstance(patterns, (bytes, bytearray)):
            patterns = [str(p) for p in patterns]
        else:
            raise TypeError("Parameter patterns: Should be a str or a sequence of str.")
        for pattern in patterns:
            self._remove_one(pattern, forward)

    def _remove_one(self, pattern: str, forward: bool) -> None:
        with self._lock:
            if self.name_equals(pattern):
                return
            if "*" in pattern:
                gone = [e for e in self._elements if e.name_matches(pattern)]
            else:
                gone = next(([e] for e in self._elements if e.name_equals(pattern)), [])
            for element in gone:
                element._parent = None
            self._elements = [e for e in self._elements if not any(e is g for g in gone)]
            subgroups = [e for e in self._elements if isinstance(e, Group)] if forward else []
        for sub in subgroups:
            sub._remove_one(pattern, forward)

    def remove_all(self) -> None:
        """Empty the group (sub-groups are detached, not emptied)."""
        with self._lock:
            for element in self._elements:
                element._parent = None
            self._elements = []

    # ------------------------------------------------------------------ looking things up
    def _find(self, name: str, forward: bool) -> "GroupElement | None":
        """cppTango's find: this group, then its elements, then (forward) inside sub-groups."""
        if self._is_named(name):
            return self
        with self._lock:
            elements = list(self._elements)
        for element in elements:
            if element._is_named(name):
                return element
        if forward:
            for element in elements:
                if isinstance(element, Group):
                    found = element._find(name, True)
                    if found is not None:
                        return found
        return None

    def contains(self, pattern: str, forward: bool = True) -> bool:
        """Whether a device or group of that name (or matching that ``*`` pattern) is in the tree."""
        return self._find(pattern, forward) is not None

    def _devices(self, forward: bool) -> list[_DeviceElement]:
        with self._lock:
            elements = list(self._elements)
        devices: list[_DeviceElement] = []
        for element in elements:
            if isinstance(element, _DeviceElement):
                devices.append(element)
            elif forward:
                devices.extend(element._devices(True))
        return devices

    def get_device_list(self, forward: bool = True) -> StdStringVector:
        """Device names in call/reply order (sub-groups' devices in place if ``forward``)."""
        return StdStringVector(d._name for d in self._devices(forward))

    def get_size(self, forward: bool = True) -> int:
        return len(self._devices(forward))

    def get_device(self, name_or_index: str | int) -> DeviceProxy:
        """The DeviceProxy of a device of the tree, by name or by position counted from 1."""
        if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
            devices = self._devices(True)
            if not 1 <= name_or_index <= len(devices):
                raise KeyError(f"Group does not have device {name_or_index}")
            return devices[name_or_index - 1].proxy()
        for device in self._devices(True):
            if device.name_equals(name_or_index):
                return device.proxy()
        raise KeyError(f"Group does not have device {name_or_index}")

    def get_group(self, group_name: str) -> "Group | None":
        """A sub-group by name or fully qualified name (``root.sub``), or None."""
        found = self._find(group_name, True)
        return found if isinstance(found, Group) else None

    def get_parent(self) -> "Group | None":
        return self._parent

    # ------------------------------------------------------------------ enabling
    def enable(self, name: str | None = None, forward: bool = True) -> None:
        """Enable a device or sub-group of the tree (no name: this group itself)."""
        self._set_enabled(name, forward, True)

    def disable(self, name: str | None = None, forward: bool = True) -> None:
        """Disable a device or sub-group: it is skipped by calls, its replies carry no data."""
        self._set_enabled(name, forward, False)

    def _set_enabled(self, name: str | None, forward: bool, value: bool) -> None:
        element = self if name is None else self._find(name, forward)
        if element is not None:
            element._enabled = value

    def is_enabled(self, name: str | None = None, forward: bool = True) -> bool:
        element = self if name is None else self._find(name, forward)
        return element is not None and element._enabled

    def _is_active(self, device: _DeviceElement) -> bool:
        """A device takes part in calls if it and every group between it and this one are enabled
        (this group's own flag is about its place in its parent's calls)."""
        element: _Element | None = device
        while element is not None and element is not self:
            if not element._enabled:
                return False
            element = element._parent
        return True

    # ------------------------------------------------------------------ plain calls
    def ping(self, forward: bool = True) -> bool:
        """True if every device answers."""
        def one(device: _DeviceElement) -> bool:
            try:
                device.proxy().ping()
                return True
            except DevFailed:
                return False
        return all(_map_concurrently(one, self._devices(forward)))

    def set_timeout_millis(self, timeout_ms: int) -> None:
        """The client-side timeout (ms) of every device of the tree."""
        for device in self._devices(True):
            try:
                device.set_timeout_millis(timeout_ms)
            except DevFailed:
                pass

    # ------------------------------------------------------------------ commands
    def command_inout(self, cmd_name: str, param: Any = None, forward: bool = True) -> GroupCmdReplyList:
        """Run a command on every device; ``param`` is given to each (a DeviceDataList gives
        each device its own)."""
        return self.command_inout_reply(self.command_inout_asynch(cmd_name, param, forward=forward))

    def command_inout_asynch(self, cmd_name: str, param: Any = None, forward: bool = True, *,
                             forget: bool = False) -> int:
        """Start a command on every device; the replies come from ``command_inout_reply(id)``
        (PyTango's argument order; ``forget=True``, cppTango's fire-and-forget, returns 0)."""
        devices = self._devices(forward)
        if isinstance(param, DeviceDataList):
            if len(param) != len(devices):
                raise WrongData(DevError(
                    "API_MethodArgument",
                    "the size of the input argument list must equal the number of device in the group "
                    f"[expected:{len(devices)} - got:{len(param)}]", "Group::command_inout_asynch", _ERR))
            args: list[tuple] = [(p,) for p in param]
        elif param is None:
            args = [() for _ in devices]
        else:
            if not isinstance(param, DeviceData):  # a DeviceData is sent as it is, typed by its maker
                _check_command_argument(devices, cmd_name, param)
            args = [(param,) for _ in devices]

        def call(device: _DeviceElement, extra: tuple) -> tuple[Any, Any]:
            proxy = device.proxy()
            try:
                value = proxy.command_inout(cmd_name, *extra)
            except DevFailed as exc:
                errors = exc.args
                if errors and errors[0].reason in _CONNECTION_REASONS:
                    # cppTango's asynch call reports a device it cannot reach without API_CommandFailed
                    raise type(exc)(*(e for e in errors if e.reason != "API_CommandFailed")) from None
                if errors and errors[-1].reason == "API_CommandFailed":
                    raise
                # a command the device refused ends with API_CommandFailed, as cppTango's asynch reply
                raise type(exc)(*exc.args, DevError(
                    "API_CommandFailed",
                    f"Failed to execute command_inout_asynch on device {device._name}, command {cmd_name}",
                    "Connection::command_inout_asynch()", _ERR)) from None
            return value, proxy.command_query(cmd_name).out_type

        request = _Request("command")
        for device, extra in zip(devices, args):
            future = _pool.submit(lambda d=device, a=extra: call(d, a)) if self._is_active(device) else None
            request.items.append((device, [cmd_name], future))
        if forget:
            return 0
        return self._store(request)

    def command_inout_reply(self, req_id: int, timeout_ms: int = 0) -> GroupCmdReplyList:
        """The replies of ``command_inout_asynch``; ``timeout_ms`` > 0 bounds the wait per device."""
        replies = GroupCmdReplyList()
        for device, names, future in self._take(req_id, "command", "Group::command_inout_reply").items:
            if future is None:
                replies.append(GroupCmdReply(device._name, names[0], enabled=False))
                continue
            outcome = _outcome(future, timeout_ms, device, req_id)
            if isinstance(outcome, DevFailed):
                replies.append(GroupCmdReply(device._name, names[0], errors=outcome.args))
            else:
                value, out_type = outcome
                replies.append(GroupCmdReply(device._name, names[0], data=value, out_type=out_type))
        return replies

    # ------------------------------------------------------------------ reading attributes
    def read_attribute(self, attr_name: str, forward: bool = True) -> GroupAttrReplyList:
        return self.read_attribute_reply(self.read_attribute_asynch(attr_name, forward))

    def read_attributes(self, attr_names: Sequence[str], forward: bool = True) -> GroupAttrReplyList:
        return self.read_attributes_reply(self.read_attributes_asynch(attr_names, forward))

    def read_attribute_asynch(self, attr_name: str, forward: bool = True) -> int:
        return self._read_asynch([attr_name], forward)

    def read_attributes_asynch(self, attr_names: Sequence[str], forward: bool = True) -> int:
        if isinstance(attr_names, str):
            attr_names = [attr_names]
        return self._read_asynch(list(attr_names), forward)

    def _read_asynch(self, names: list[str], forward: bool) -> int:
        request = _Request("read")
        for device in self._devices(forward):
            future = (_pool.submit(lambda d=device: d.proxy().read_attributes(names))
                      if self._is_active(device) else None)
            request.items.append((device, names, future))
        return self._store(request)

    def read_attribute_reply(self, req_id: int, timeout_ms: int = 0) -> GroupAttrReplyList:
        return self._read_reply(req_id, timeout_ms, "Group::read_attribute_reply")

    def read_attributes_reply(self, req_id: int, timeout_ms: int = 0) -> GroupAttrReplyList:
        return self._read_reply(req_id, timeout_ms, "Group::read_attributes_reply")

    def _read_reply(self, req_id: int, timeout_ms: int, origin: str) -> GroupAttrReplyList:
        replies = GroupAttrReplyList()
        for device, names, future in self._take(req_id, "read", origin).items:
            if future is None:
                replies.extend(GroupAttrReply(device._name, n, enabled=False) for n in names)
                continue
            outcome = _outcome(future, timeout_ms, device, req_id)
            if isinstance(outcome, DevFailed):
                replies.extend(GroupAttrReply(device._name, n, errors=outcome.args) for n in names)
                continue
            for name, da in zip(names, outcome):
                if da.has_failed:
                    replies.append(GroupAttrReply(device._name, name, errors=da.get_err_stack()))
                else:
                    replies.append(GroupAttrReply(device._name, name, data=da))
        return replies

    # ------------------------------------------------------------------ writing attributes
    def write_attribute(self, attr_name: str, value: Any, forward: bool = True,
                        multi: bool = False) -> GroupReplyList:
        """Write ``value`` to the attribute of every device (``multi=True``: ``value`` is a
        sequence with one value per device, in ``get_device_list()`` order)."""
        return self.write_attribute_reply(self.write_attribute_asynch(attr_name, value, forward, multi))

    def write_attribute_asynch(self, attr_name: str, value: Any, forward: bool = True,
                               multi: bool = False) -> int:
        devices = self._devices(forward)
        if multi:
            values = list(value)
            if len(values) != len(devices):
                raise WrongData(DevError(
                    "API_MethodArgument",
                    "the size of the input argument list must equal the number of device in the group "
                    f"[expected:{len(devices)} - got:{len(values)}]", "Group::write_attribute_asynch", _ERR))
        else:
            values = [value] * len(devices)
        request = _Request("write")
        for device, v in zip(devices, values):
            future = (_pool.submit(lambda d=device, v=v: d.proxy().write_attribute(attr_name, v))
                      if self._is_active(device) else None)
            request.items.append((device, [attr_name], future))
        # a value that cannot be converted is the caller's mistake: raise it now, as PyTango does
        for _device, _names, future in request.items:
            if future is not None:
                exc = _wait_quietly(future)
                if isinstance(exc, _CALLER_ERRORS):
                    raise exc
        return self._store(request)

    def write_attribute_reply(self, req_id: int, timeout_ms: int = 0) -> GroupReplyList:
        replies = GroupReplyList()
        for device, names, future in self._take(req_id, "write", "Group::write_attribute_reply").items:
            if future is None:
                replies.append(GroupReply(device._name, names[0], enabled=False))
                continue
            outcome = _outcome(future, timeout_ms, device, req_id)
            errors = outcome.args if isinstance(outcome, DevFailed) else None
            replies.append(GroupReply(device._name, names[0], errors=errors))
        return replies

    # ------------------------------------------------------------------ request bookkeeping
    def _store(self, request: _Request) -> int:
        with self._lock:
            self._last_id = self._last_id % 0x0FFE + 1  # cppTango's ids: 1 .. 0xFFE, reused
            self._requests[self._last_id] = request
            return self._last_id

    def _take(self, req_id: int, kind: str, origin: str) -> _Request:
        with self._lock:
            request = self._requests.get(req_id)
            if request is None or request.kind != kind:
                raise DevFailed(DevError("API_BadAsynPollId", "Invalid asynch. request identifier specified",
                                        origin, _ERR))
            del self._requests[req_id]
            return request


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _resolve(pattern: str) -> list[str]:
    """A name as it is; a ``*`` pattern -> the exported devices matching it (database order)."""
    if "*" not in pattern:
        return [pattern]
    from tango_core.client.database import Database  # loaded only when a pattern is used

    prefix = _PREFIX.match(pattern)
    if prefix is None:
        return list(Database().get_device_exported(pattern))
    proto = (prefix["proto"] or "tango").lower()
    if proto != "tango":
        raise DevFailed(DevError("API_UnsupportedProtocol", f"{proto} protocol is an unsupported protocol",
                                 "GroupElementFactory::parse_name()", _ERR))
    host, port = prefix["host"], prefix["port"]
    names = Database(host, int(port)).get_device_exported(prefix["rest"])
    return [f"tango://{host}:{port}/{name}" for name in names]


def _map_concurrently(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``[fn(x) for x in items]``, the calls run at once on the pool (one call: in this thread)."""
    if len(items) <= 1:
        return [fn(x) for x in items]
    futures = [_pool.submit(lambda x=x: fn(x)) for x in items]
    return [f.result() for f in futures]


def _check_command_argument(devices: list[_DeviceElement], cmd_name: str, param: Any) -> None:
    """PyTango converts a group command's argument once, from the command's input type as the
    devices declare it: a wrong argument raises TypeError before anything is sent."""
    if not devices:
        return

    def in_type(device: _DeviceElement):
        try:
            return device.proxy().command_query(cmd_name).in_type
        except DevFailed as exc:
            return exc
    answers = _map_concurrently(in_type, devices)
    types = {t for t in answers if not isinstance(t, DevFailed)}
    if not types:
        cause = next((a for a in answers if isinstance(a, DevFailed)), None)
        raise DevFailed(*(cause.args if cause else ()), DevError(
            "PyAPI_GroupCommandArgInTypeUnknown", "Cannot fetch at least one command type in group.",
            "Group.command_inout_asynch", _ERR))
    if len(types) > 1:
        raise TypeError(f"Cannot execute command with more than one type in group, types are:\n{types}")
    convert_argin(cmd_name, types.pop(), param)


def _wait_quietly(future: Future) -> BaseException | None:
    try:
        future.result()
    except BaseException as exc:  # noqa: BLE001 - inspected by the caller
        return exc
    return None


def _outcome(future: Future, timeout_ms: int, device: _DeviceElement, req_id: int) -> Any:
    """The call's result, or the DevFailed it raised (or a timeout's), never raising DevFailed."""
    try:
        return future.result(timeout=timeout_ms / 1000.0 if timeout_ms > 0 else None)
    except FutureTimeout:
        return AsynReplyNotArrived(DevError(
            "API_AsynReplyNotArrived",
            f"Device {device._name}: Reply for asynchronous call (id = {req_id}) is not yet arrived",
            "DeviceProxy::asynch_reply()", _ERR))
    except DevFailed as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - one device's unexpected failure is its reply, not the caller's
        return DevFailed(DevError("API_GroupCallFailed", f"{type(exc).__name__}: {exc}", "Group", _ERR))
