"""Property command handlers: free-object, class, device, class/device attribute and pipe
properties, their lists and their history.

Property names may carry ``*`` wildcards in gets, deletes and history queries (as the C++
server allows for device and free-object properties; here every kind allows them).
"""

from __future__ import annotations

import sqlite3

from . import properties as props
from .arguments import member_property_list, need, property_list
from .errors import DB_INCORRECT_DEVICE_NAME, db_error
from .names import device_name, has_wildcard, like_pattern
from .schema import CLASS, CLASS_ATTRIBUTE, CLASS_PIPE, DEVICE, DEVICE_ATTRIBUTE, DEVICE_PIPE, OBJECT
from .store import now

#: memorized attribute values are rewritten at every write: keep them out of the history
_MEMORIZED_VALUE = "__value"


def _get_flat(conn: sqlite3.Connection, kind: int, argin: list[str], placeholder: bool) -> list[str]:
    """``[owner, name...]`` -> ``[owner, n, {name, n_values, value*}*]``; a missing property has
    0 values, followed by a single-space element for device and free-object properties (the
    reference servers' layout, which clients skip)."""
    owner, names = argin[0], argin[1:]
    exact = props.get_many(conn, kind, owner, "", [n for n in names if not has_wildcard(n)])
    out = [owner, str(len(names))]
    for name in names:
        if has_wildcard(name):
            values = props.get_matching(conn, kind, owner, "", like_pattern(name))
        else:
            values = exact.get(name.lower(), [])
        out += (name, str(len(values)))
        if values:
            out += values
        elif placeholder:
            out.append(" ")
    return out


def _get_members(conn: sqlite3.Connection, kind: int, argin: list[str], multi_value: bool) -> list[str]:
    """``[owner, member...]`` -> per member its properties, in the "2" layout
    (``name, n_values, value*``) or the old one (one ``name, value`` pair per value)."""
    owner, members = argin[0], argin[1:]
    stored = {m.lower(): p for m, p in props.of_owner(conn, kind, owner).items()}
    out = [owner, str(len(members))]
    for member in members:
        found = stored.get(member.lower(), [])
        if multi_value:
            out += (member, str(len(found)))
            for name, values in found:
                out += (name, str(len(values)), *values)
        else:
            pairs = [(name, v) for name, values in found for v in values]
            out += (member, str(len(pairs)))
            for name, value in pairs:
                out += (name, value)
    return out


def _history(entries: list[tuple[str, str, str, list[str] | None]], with_member: bool) -> list[str]:
    out: list[str] = []
    for member, name, date, values in entries:
        if with_member:
            out.append(member)
        out += (name, date, str(len(values or ())))
        if values:
            out += values
    return out


class PropertyCommands:
    conn: sqlite3.Connection
    history_depth: int

    # -- shared implementations ----------------------------------------------------------------

    def _put_flat(self, kind: int, argin: list[str], origin: str) -> None:
        owner, items = property_list(argin, origin)
        date = now()
        for name, values in items:
            props.put(self.conn, kind, owner, "", name, values, date, self.history_depth)

    def _put_members(self, kind: int, argin: list[str], origin: str, multi_value: bool) -> None:
        owner, members = member_property_list(argin, origin, multi_value=multi_value)
        date = now()
        for member, items in members:
            for name, values in items:
                history = not (kind == DEVICE_ATTRIBUTE and name.lower() == _MEMORIZED_VALUE)
                props.put(self.conn, kind, owner, member, name, values, date, self.history_depth, history=history)

    def _delete_flat(self, kind: int, argin: list[str], origin: str) -> None:
        need(argin, 1, "insufficient number of arguments (needs the owner name)", origin)
        date = now()
        for name in argin[1:]:
            props.delete_matching(self.conn, kind, argin[0], "", like_pattern(name), date, self.history_depth)

    def _delete_member_props(self, kind: int, argin: list[str]) -> None:
        date = now()
        for name in argin[2:]:
            props.delete(self.conn, kind, argin[0], argin[1], name, date, self.history_depth)

    def _delete_all_member_props(self, kind: int, argin: list[str]) -> None:
        date = now()
        for member in argin[1:]:
            props.delete_member(self.conn, kind, argin[0], member, date, self.history_depth, history=True)

    def _check_device_name(self, name: str, desc: str, origin: str) -> str:
        checked = device_name(name)
        if checked is None:
            db_error(DB_INCORRECT_DEVICE_NAME, desc, origin)
        return checked

    def _flat_history(self, kind: int, argin: list[str], desc: str, origin: str) -> list[str]:
        need(argin, 2, desc, origin, exact=True)
        return _history(props.history(self.conn, kind, argin[0], None, like_pattern(argin[1])), False)

    def _member_history(self, kind: int, argin: list[str], desc: str, origin: str) -> list[str]:
        need(argin, 3, desc, origin, exact=True)
        return _history(props.history(self.conn, kind, argin[0], like_pattern(argin[1]), like_pattern(argin[2])),
                        True)

    def _member_list(self, kind: int, argin: list[str], origin: str) -> list[str]:
        need(argin, 2, "incorrect no. of input arguments, needs 2 (name,wildcard)", origin)
        return props.members(self.conn, kind, argin[0], like_pattern(argin[1]))

    # -- device properties ---------------------------------------------------------------------

    def DbPutDeviceProperty(self, argin: list[str]) -> None:
        self._put_flat(DEVICE, argin, "DataBase::PutDeviceProperty()")

    def DbGetDeviceProperty(self, argin: list[str]) -> list[str]:
        need(argin, 2, "incorrect no. of input arguments, needs at least 2 (device,property)",
             "DataBase::GetDeviceProperty()")
        return _get_flat(self.conn, DEVICE, argin, True)

    def DbDeleteDeviceProperty(self, argin: list[str]) -> None:
        self._delete_flat(DEVICE, argin, "DataBase::DeleteDeviceProperty()")

    def DbGetDevicePropertyList(self, argin: list[str]) -> list[str]:
        need(argin, 2, "incorrect no. of input arguments, needs 2 (device,wildcard)",
             "DataBase::GetDevicePropertyList()")
        return props.names(self.conn, DEVICE, argin[0], "", like_pattern(argin[1]))

    def DbGetDevicePropertyHist(self, argin: list[str]) -> list[str]:
        return self._flat_history(DEVICE, argin, "incorrect no. of input arguments, needs 2 (device,property)",
                                  "DataBase::GetDevicePropertyHist()")

    # -- class properties ----------------------------------------------------------------------

    def DbPutClassProperty(self, argin: list[str]) -> None:
        self._put_flat(CLASS, argin, "DataBase::PutClassProperty()")

    def DbGetClassProperty(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (class)", "DataBase::GetClassProperty()")
        return _get_flat(self.conn, CLASS, argin, False)

    def DbDeleteClassProperty(self, argin: list[str]) -> None:
        self._delete_flat(CLASS, argin, "DataBase::DeleteClassProperty()")

    def DbGetClassPropertyList(self, argin: str) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT DISTINCT name FROM properties WHERE kind = ? AND owner LIKE ? ESCAPE '\\' AND member = '' "
            "ORDER BY name", (CLASS, like_pattern(argin)))]

    def DbGetClassPropertyHist(self, argin: list[str]) -> list[str]:
        return self._flat_history(CLASS, argin, "incorrect no. of input arguments, needs 2 (class,property)",
                                  "DataBase::DbGetClassPropertyHist()")

    # -- free-object properties ----------------------------------------------------------------

    def DbPutProperty(self, argin: list[str]) -> None:
        self._put_flat(OBJECT, argin, "DataBase::PutProperty()")

    def DbGetProperty(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (object)", "DataBase::GetProperty()")
        return _get_flat(self.conn, OBJECT, argin, True)

    def DbDeleteProperty(self, argin: list[str]) -> None:
        self._delete_flat(OBJECT, argin, "DataBase::DeleteProperty()")

    def DbGetPropertyList(self, argin: list[str]) -> list[str]:
        need(argin, 2, "incorrect no. of input arguments, needs 2 (object,wildcard)", "DataBase::GetPropertyList()",
             exact=True)
        return props.names(self.conn, OBJECT, argin[0], "", like_pattern(argin[1]))

    def DbGetPropertyHist(self, argin: list[str]) -> list[str]:
        return self._flat_history(OBJECT, argin, "incorrect no. of input arguments, needs 2 (object,property)",
                                  "DataBase::DbGetPropertyHist()")

    def DbGetObjectList(self, argin: str) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT DISTINCT owner FROM properties WHERE kind = ? AND owner LIKE ? ESCAPE '\\' ORDER BY owner",
            (OBJECT, like_pattern(argin)))]

    # -- device attribute properties -----------------------------------------------------------

    def DbPutDeviceAttributeProperty(self, argin: list[str]) -> None:
        self._put_members(DEVICE_ATTRIBUTE, argin, "DataBase::PutDeviceAttributeProperty()", False)

    def DbPutDeviceAttributeProperty2(self, argin: list[str]) -> None:
        self._put_members(DEVICE_ATTRIBUTE, argin, "DataBase::PutDeviceAttributeProperty2()", True)

    def DbGetDeviceAttributeProperty(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (device)",
             "DataBase::GetDeviceAttributeProperty()")
        return _get_members(self.conn, DEVICE_ATTRIBUTE, argin, False)

    def DbGetDeviceAttributeProperty2(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (device)",
             "DataBase::GetDeviceAttributeProperty2()")
        return _get_members(self.conn, DEVICE_ATTRIBUTE, argin, True)

    def DbDeleteDeviceAttributeProperty(self, argin: list[str]) -> None:
        origin = "DataBase::db_delete_device_attribute_property()"
        need(argin, 3, "insufficient number of arguments to delete device attribute property", origin)
        self._check_device_name(argin[0], "failed to delete device attribute, device name incorrect",
                           "DataBase::db_delete_device_attribute()")
        self._delete_member_props(DEVICE_ATTRIBUTE, argin)

    def DbDeleteAllDeviceAttributeProperty(self, argin: list[str]) -> None:
        origin = "DataBase::db_delete_all_device_attribute_property()"
        need(argin, 2, "insufficient number of arguments to delete all device attribute(s) property", origin)
        self._check_device_name(argin[0], "Failed to delete all device attribute(s) property, device name incorrect",
                           "DataBase::db_delete_all_device_attribute()")
        self._delete_all_member_props(DEVICE_ATTRIBUTE, argin)

    def DbDeleteDeviceAttribute(self, argin: list[str]) -> None:
        origin = "DataBase::db_delete_device_attribute()"
        need(argin, 2, "insufficient number of arguments to delete device attribute", origin)
        self._check_device_name(argin[0], "failed to delete device attribute, device name incorrect", origin)
        props.delete_member(self.conn, DEVICE_ATTRIBUTE, argin[0], argin[1], now(), self.history_depth,
                            history=False)

    def DbGetDeviceAttributeList(self, argin: list[str]) -> list[str]:
        return self._member_list(DEVICE_ATTRIBUTE, argin, "DataBase::GetDeviceAttributeList()")

    def DbGetDeviceAttributePropertyHist(self, argin: list[str]) -> list[str]:
        return self._member_history(DEVICE_ATTRIBUTE, argin,
                                    "incorrect no. of input arguments, needs 3 (device,attribute,property)",
                                    "DataBase::DbGetDeviceAttributePropertyHist()")

    # -- class attribute properties ------------------------------------------------------------

    def DbPutClassAttributeProperty(self, argin: list[str]) -> None:
        self._put_members(CLASS_ATTRIBUTE, argin, "DataBase::PutClassAttributeProperty()", False)

    def DbPutClassAttributeProperty2(self, argin: list[str]) -> None:
        self._put_members(CLASS_ATTRIBUTE, argin, "DataBase::PutClassAttributeProperty2()", True)

    def DbGetClassAttributeProperty(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (class)",
             "DataBase::GetClassAttributeProperty()")
        return _get_members(self.conn, CLASS_ATTRIBUTE, argin, False)

    def DbGetClassAttributeProperty2(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (class)",
             "DataBase::GetClassAttributeProperty2()")
        return _get_members(self.conn, CLASS_ATTRIBUTE, argin, True)

    def DbDeleteClassAttributeProperty(self, argin: list[str]) -> None:
        need(argin, 3, "insufficient number of arguments to delete class attribute property",
             "DataBase::db_delete_class_attribute_property()")
        self._delete_member_props(CLASS_ATTRIBUTE, argin)

    def DbDeleteClassAttribute(self, argin: list[str]) -> None:
        need(argin, 2, "insufficient number of arguments to delete class attribute",
             "DataBase::db_delete_class_attribute()")
        props.delete_member(self.conn, CLASS_ATTRIBUTE, argin[0], argin[1], now(), self.history_depth,
                            history=False)

    def DbGetClassAttributeList(self, argin: list[str]) -> list[str]:
        return self._member_list(CLASS_ATTRIBUTE, argin, "DataBase::GetClassAttributeList()")

    def DbGetClassAttributePropertyHist(self, argin: list[str]) -> list[str]:
        return self._member_history(CLASS_ATTRIBUTE, argin,
                                    "incorrect no. of input arguments, needs 3 (class,attribute,property)",
                                    "DataBase::DbGetClassAttributePropertyHist()")

    # -- pipe properties -----------------------------------------------------------------------

    def DbPutDevicePipeProperty(self, argin: list[str]) -> None:
        self._put_members(DEVICE_PIPE, argin, "DataBase::db_put_device_pipe_property()", True)

    def DbPutClassPipeProperty(self, argin: list[str]) -> None:
        self._put_members(CLASS_PIPE, argin, "DataBase::db_put_class_pipe_property()", True)

    def DbGetDevicePipeProperty(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (device)",
             "DataBase::db_get_device_pipe_property()")
        return _get_members(self.conn, DEVICE_PIPE, argin, True)

    def DbGetClassPipeProperty(self, argin: list[str]) -> list[str]:
        need(argin, 1, "incorrect no. of input arguments, needs at least 1 (class)",
             "DataBase::db_get_class_pipe_property()")
        return _get_members(self.conn, CLASS_PIPE, argin, True)

    def DbDeleteDevicePipeProperty(self, argin: list[str]) -> None:
        origin = "DataBase::db_delete_device_pipe_property()"
        need(argin, 3, "Insufficient number of arguments to delete device pipe property", origin)
        self._check_device_name(argin[0], "Failed to delete device pipe, device name incorrect", origin)
        self._delete_member_props(DEVICE_PIPE, argin)

    def DbDeleteClassPipeProperty(self, argin: list[str]) -> None:
        need(argin, 3, "Insufficient number of arguments to delete class pipe property",
             "DataBase::db_delete_class_pipe_property()")
        self._delete_member_props(CLASS_PIPE, argin)

    def DbDeleteAllDevicePipeProperty(self, argin: list[str]) -> None:
        origin = "DataBase::db_delete_all_device_pipe_property()"
        need(argin, 2, "Insufficient number of arguments to delete all device pipe(s) property", origin)
        self._check_device_name(argin[0], "Failed to delete all device pipe(s) property, device name incorrect",
                           "DataBase::db_delete_all_device_pipe()")
        self._delete_all_member_props(DEVICE_PIPE, argin)

    def DbDeleteDevicePipe(self, argin: list[str]) -> None:
        origin = "DataBase::db_delete_device_pipe()"
        need(argin, 2, "insufficient number of arguments to delete device pipe", origin)
        self._check_device_name(argin[0], "Failed to delete device pipe, device name incorrect", origin)
        props.delete_member(self.conn, DEVICE_PIPE, argin[0], argin[1], now(), self.history_depth, history=False)

    def DbDeleteClassPipe(self, argin: list[str]) -> None:
        need(argin, 2, "insufficient number of arguments to delete class pipe", "DataBase::db_delete_class_pipe()")
        props.delete_member(self.conn, CLASS_PIPE, argin[0], argin[1], now(), self.history_depth, history=False)

    def DbGetDevicePipeList(self, argin: list[str]) -> list[str]:
        return self._member_list(DEVICE_PIPE, argin, "DataBase::db_get_device_pipe_list()")

    def DbGetClassPipeList(self, argin: list[str]) -> list[str]:
        return self._member_list(CLASS_PIPE, argin, "DataBase::db_get_class_pipe_list()")

    def DbGetDevicePipePropertyHist(self, argin: list[str]) -> list[str]:
        return self._member_history(DEVICE_PIPE, argin,
                                    "Incorrect no. of input arguments, needs 3 (device,pipe,property)",
                                    "DataBase::DbGetDevicePipePropertyHist()")

    def DbGetClassPipePropertyHist(self, argin: list[str]) -> list[str]:
        return self._member_history(CLASS_PIPE, argin,
                                    "Incorrect no. of input arguments, needs 3 (class,pipe,property)",
                                    "DataBase::DbGetClassPipePropertyHist()")

    # -- forwarded attributes --------------------------------------------------------------------

    def DbGetForwardedAttributeListForDevice(self, argin: str) -> list[str]:
        """``[device, attribute, root attribute]*`` of the forwarded attributes whose root
        attribute (property ``__root_att``) belongs to device ``argin``."""
        prefix = argin.lower() + "/"
        out: list[str] = []
        for owner, member, vals in self.conn.execute(
                "SELECT owner, member, vals FROM properties WHERE kind = ? AND name = '__root_att' "
                "ORDER BY owner, member", (DEVICE_ATTRIBUTE,)):
            for value in props.decode(vals):
                if value.lower().startswith(prefix):
                    out += (owner, member, value)
        return out
