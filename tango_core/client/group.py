"""Group: one call on many devices (PyTango's ``tango.Group`` and its reply classes).

A group holds device names (wildcards such as ``sys/tg_test/*`` are expanded with the Database's
exported devices when added) and sub-groups. ``command_inout``/``read_attribute(s)``/
``write_attribute`` run on every enabled device of the group (and, with ``forward=True``, of
its sub-groups) in parallel and return one reply per device: a failed device does not fail the
call, its reply ``has_failed()`` and ``get_err_stack()`` holds the errors (``get_data()`` raises
them), as in PyTango.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from typing import Any, Iterable

from tango_core.client.asynch import _executor
from tango_core.idl.enums import ErrSeverity, ExtractAs
from tango_core.idl.errors import AsynCall, DevError, DevFailed

__all__ = ["Group", "GroupReply", "GroupCmdReply", "GroupAttrReply", "GroupReplyList", "GroupCmdReplyList",
           "GroupAttrReplyList"]


class GroupReply:
    """The outcome of a group call on one device."""

    def __init__(self, dev_name: str, obj_name: str, data: Any = None, errors: Iterable = (),
                 enabled: bool = True) -> None:
        self._dev_name = dev_name
        self._obj_name = obj_name
        self._data = data
        self._errors = tuple(errors)
        self._enabled = enabled

    def dev_name(self) -> str:
        return self._dev_name

    def obj_name(self) -> str:
        return self._obj_name

    def has_failed(self) -> bool:
        return bool(self._errors)

    def group_element_enabled(self) -> bool:
        return self._enabled

    def get_err_stack(self) -> tuple:
        return self._errors

    def _data_or_raise(self):
        if self._errors:
            raise DevFailed(*self._errors)
        return self._data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._dev_name}, {self._obj_name}, failed={self.has_failed()})"


class GroupCmdReply(GroupReply):
    def get_data(self, extract_as: ExtractAs = ExtractAs.Numpy) -> Any:
        """The command's result; raises the device's DevFailed if it failed."""
        return self._data_or_raise()


class GroupAttrReply(GroupReply):
    def get_data(self, extract_as: ExtractAs = ExtractAs.Numpy):
        """The DeviceAttribute read; raises the device's DevFailed if it failed."""
        return self._data_or_raise()


class GroupReplyList(list):
    pass


class GroupCmdReplyList(GroupReplyList):
    pass


class GroupAttrReplyList(GroupReplyList):
    pass


def _bad_asynch_id(req_id: int) -> AsynCall:
    return AsynCall(DevError("API_BadAsynPollId", f"Failed to find a asynchronous polling request with id = {req_id}",
                             "Group::reply()", ErrSeverity.ERR))


class Group:
    """A named set of devices and sub-groups (PyTango ``Group``)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._parent: Group | None = None
        self._elements: list = []  # device names (str) and Groups, in the order added
        self._proxies: dict[str, Any] = {}
        self._disabled: set[str] = set()
        self._timeout_ms: int | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Group({self._name})"

    __str__ = __repr__

    # -- membership ----------------------------------------------------------------------------
    def add(self, patterns_or_group, timeout_ms: int = -1) -> None:
        """Add device names/patterns (str or list of str) or a sub-Group."""
        if isinstance(patterns_or_group, Group):
            patterns_or_group._parent = self
            self._elements.append(patterns_or_group)
            if timeout_ms and timeout_ms > 0:
                patterns_or_group.set_timeout_millis(timeout_ms)
            return
        patterns = [patterns_or_group] if isinstance(patterns_or_group, str) else list(patterns_or_group)
        for pattern in patterns:
            for name in self._expand(pattern):
                if not any(isinstance(e, str) and e.lower() == name.lower() for e in self._elements):
                    self._elements.append(name)
        if timeout_ms and timeout_ms > 0:
            self.set_timeout_millis(timeout_ms)

    @staticmethod
    def _expand(pattern: str) -> list[str]:
        if "*" not in pattern:
            return [pattern]
        from tango_core.client.database import get_database
        from tango_core.client.names import parse_tango_host

        prefix, host, rest = "", None, pattern
        if pattern.lower().startswith("tango://"):
            hostport, _, rest = pattern[len("tango://"):].partition("/")
            prefix, host = f"tango://{hostport}/", parse_tango_host(hostport)
        return [prefix + n for n in get_database(host).get_device_exported(rest)]

    def remove(self, patterns, forward: bool = True) -> None:
        pats = [patterns] if isinstance(patterns, str) else list(patterns)
        keep = []
        for e in self._elements:
            if isinstance(e, Group):
                if any(e.name_matches(p) for p in pats):
                    continue
                if forward:
                    e.remove(pats, forward)
                keep.append(e)
            elif not any(fnmatch.fnmatchcase(e.lower(), p.lower()) for p in pats):
                keep.append(e)
        self._elements = keep

    def remove_all(self) -> None:
        self._elements = []

    def contains(self, pattern: str, forward: bool = True) -> bool:
        return any(fnmatch.fnmatchcase(n.lower(), pattern.lower()) for n in self.get_device_list(forward))

    def get_device_list(self, forward: bool = True) -> list[str]:
        names = []
        for e in self._elements:
            if isinstance(e, Group):
                if forward:
                    names.extend(e.get_device_list(True))
            else:
                names.append(e)
        return names

    def get_size(self, forward: bool = True) -> int:
        return len(self.get_device_list(forward))

    def get_name(self) -> str:
        return self._name

    def get_fully_qualified_name(self) -> str:
        return self._name if self._parent is None else f"{self._parent.get_fully_qualified_name()}.{self._name}"

    def name_equals(self, name: str) -> bool:
        return name.lower() in (self._name.lower(), self.get_fully_qualified_name().lower())

    def name_matches(self, pattern: str) -> bool:
        return fnmatch.fnmatchcase(self._name.lower(), pattern.lower()) or fnmatch.fnmatchcase(
            self.get_fully_qualified_name().lower(), pattern.lower())

    def get_group(self, group_name: str) -> "Group | None":
        for e in self._elements:
            if isinstance(e, Group):
                if e.name_equals(group_name):
                    return e
                found = e.get_group(group_name)
                if found is not None:
                    return found
        return None

    def get_device(self, name_or_index):
        """The DeviceProxy of a member, by name or by 1-based index (PyTango)."""
        owner, name = self._locate(name_or_index)
        return None if owner is None else owner._proxy(name)

    def _locate(self, name_or_index):
        if isinstance(name_or_index, int):
            names = self._members()
            if not 1 <= name_or_index <= len(names):
                return None, None
            return names[name_or_index - 1]
        for owner, name in self._members():
            if name.lower() == name_or_index.lower():
                return owner, name
        return None, None

    def _members(self, forward: bool = True) -> list[tuple["Group", str]]:
        out = []
        for e in self._elements:
            if isinstance(e, Group):
                if forward:
                    out.extend(e._members(True))
            else:
                out.append((self, e))
        return out

    def _proxy(self, name: str):
        proxy = self._proxies.get(name.lower())
        if proxy is None:
            from tango_core.client.device_proxy import DeviceProxy
            proxy = DeviceProxy(name)
            if self._timeout_ms is not None:
                proxy.set_timeout_millis(self._timeout_ms)
            self._proxies[name.lower()] = proxy
        return proxy

    def enable(self, dev_name: str, forward: bool = True) -> None:
        for owner, name in self._members(forward):
            if name.lower() == dev_name.lower():
                owner._disabled.discard(name.lower())

    def disable(self, dev_name: str, forward: bool = True) -> None:
        for owner, name in self._members(forward):
            if name.lower() == dev_name.lower():
                owner._disabled.add(name.lower())

    def is_enabled(self, dev_name: str, forward: bool = True) -> bool:
        for owner, name in self._members(forward):
            if name.lower() == dev_name.lower():
                return name.lower() not in owner._disabled
        return False

    def set_timeout_millis(self, timeout_ms: int) -> None:
        self._timeout_ms = int(timeout_ms)
        for proxy in self._proxies.values():
            proxy.set_timeout_millis(timeout_ms)
        for e in self._elements:
            if isinstance(e, Group):
                e.set_timeout_millis(timeout_ms)

    # -- calls -------------------------------------------------------------------------------------
    def _run(self, obj_name: str, call, reply_cls, list_cls, forward: bool):
        """Run ``call(proxy)`` on every member in parallel; one reply each, in member order."""
        members = self._members(forward)
        # from a pool worker (an asynch group call) run in that thread: waiting on the pool from
        # inside it could exhaust it
        inline = threading.current_thread().name.startswith("tango-asynch")
        jobs = []
        for i, (owner, name) in enumerate(members):
            if name.lower() in owner._disabled:
                jobs.append(None)
                continue

            def job(owner=owner, name=name, i=i):
                return call(owner._proxy(name), i)
            jobs.append(job if inline else _executor().submit(job))
        replies = list_cls()
        for (owner, name), job in zip(members, jobs):
            if job is None:
                replies.append(reply_cls(name, obj_name, enabled=False))
                continue
            try:
                replies.append(reply_cls(name, obj_name, job() if inline else job.result()))
            except DevFailed as exc:
                replies.append(reply_cls(name, obj_name, errors=exc.args))
            except Exception as exc:  # noqa: BLE001 - a bad argument for one device is its reply
                replies.append(reply_cls(name, obj_name, errors=(DevError(
                    "API_GroupCallFailed", f"{type(exc).__name__}: {exc}", "Group::command_inout()",
                    ErrSeverity.ERR),)))
        return replies

    def command_inout(self, cmd_name: str, param: Any = None, forward: bool = True) -> GroupCmdReplyList:
        args = () if param is None else (param,)

        def call(proxy, i):
            try:
                return proxy.command_inout(cmd_name, *args)
            except DevFailed as exc:  # group calls always report the command_inout failure (PyTango)
                if exc.args and exc.args[-1].reason == "API_CommandFailed":
                    raise
                raise type(exc)(*exc.args, DevError(
                    "API_CommandFailed", f"Failed to execute command_inout on device {proxy.dev_name()}, "
                    f"command {cmd_name}", "Connection::command_inout()", ErrSeverity.ERR)) from None
        return self._run(cmd_name, call, GroupCmdReply, GroupCmdReplyList, forward)

    def read_attribute(self, attr_name: str, forward: bool = True) -> GroupAttrReplyList:
        return self._run(attr_name, lambda p, i: p.read_attribute(attr_name), GroupAttrReply,
                         GroupAttrReplyList, forward)

    def read_attributes(self, attr_names, forward: bool = True) -> GroupAttrReplyList:
        """One reply per device and attribute (device order, then attribute order)."""
        names = [attr_names] if isinstance(attr_names, str) else list(attr_names)
        per_device = self._run(",".join(names), lambda p, i: p.read_attributes(names), GroupAttrReply,
                               GroupAttrReplyList, forward)
        replies = GroupAttrReplyList()
        for reply in per_device:
            if reply.has_failed() or not reply.group_element_enabled():
                replies.extend(GroupAttrReply(reply.dev_name(), n, errors=reply.get_err_stack(),
                                              enabled=reply.group_element_enabled()) for n in names)
                continue
            for da in reply._data:
                errors = da.get_err_stack() if da.has_failed else ()
                replies.append(GroupAttrReply(reply.dev_name(), da.name, None if errors else da, errors))
        return replies

    def write_attribute(self, attr_name: str, value: Any, forward: bool = True, multi: bool = False):
        """Write ``value`` to every device (``multi=True``: ``value[i]`` to the i-th device)."""
        if multi:
            values = list(value)
            call = (lambda p, i: p.write_attribute(attr_name, values[i]))
        else:
            call = (lambda p, i: p.write_attribute(attr_name, value))
        return self._run(attr_name, call, GroupReply, GroupReplyList, forward)

    def ping(self, forward: bool = True) -> bool:
        """True when every enabled member answers."""
        replies = self._run("ping", lambda p, i: p.ping(), GroupReply, GroupReplyList, forward)
        return not any(r.has_failed() for r in replies)

    # -- asynchronous variants (run in the background, collected by id) ----------------------------
    def _submit(self, fn) -> int:
        future = _executor().submit(fn)
        with self._lock:
            req_id = next(self._ids)
            self._pending[req_id] = future
        return req_id

    def _reply(self, req_id: int, timeout_ms: int = 0):
        with self._lock:
            future = self._pending.pop(req_id, None)
        if future is None:
            raise _bad_asynch_id(req_id)
        return future.result(None if not timeout_ms else timeout_ms / 1000.0)

    def command_inout_asynch(self, cmd_name: str, param: Any = None, forget: bool = False,
                             forward: bool = True) -> int:
        return self._submit(lambda: self.command_inout(cmd_name, param, forward))

    def command_inout_reply(self, req_id: int, timeout_ms: int = 0) -> GroupCmdReplyList:
        return self._reply(req_id, timeout_ms)

    def read_attribute_asynch(self, attr_name: str, forward: bool = True) -> int:
        return self._submit(lambda: self.read_attribute(attr_name, forward))

    def read_attribute_reply(self, req_id: int, timeout_ms: int = 0) -> GroupAttrReplyList:
        return self._reply(req_id, timeout_ms)

    def read_attributes_asynch(self, attr_names, forward: bool = True) -> int:
        return self._submit(lambda: self.read_attributes(attr_names, forward))

    def read_attributes_reply(self, req_id: int, timeout_ms: int = 0) -> GroupAttrReplyList:
        return self._reply(req_id, timeout_ms)

    def write_attribute_asynch(self, attr_name: str, value: Any, forward: bool = True, multi: bool = False) -> int:
        return self._submit(lambda: self.write_attribute(attr_name, value, forward, multi))

    def write_attribute_reply(self, req_id: int, timeout_ms: int = 0) -> GroupReplyList:
        return self._reply(req_id, timeout_ms)
