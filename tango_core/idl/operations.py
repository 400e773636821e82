"""The Tango device operations: one table, read and written in both directions.

Every operation of the IDL interfaces ``Device`` .. ``Device_6`` (what device servers, admin
devices and the Database device all implement), the CORBA attributes a client reads as
operations (``_get_state``, ``_get_status``, ``_get_name``, ``_get_adm_name``,
``_get_description``) and the two ``CORBA::Object`` operations Tango uses (``_is_a``,
``_non_existent``) are one :class:`Operation` in :data:`OPERATIONS`, keyed by the operation name
that travels in the GIOP request.  An operation knows the CDR layout of its in-parameters and of
its result, and the user exceptions it may raise, so that the two ends use the same description:

* a client encodes the arguments and decodes the result::

      op = OPERATIONS["read_attributes_5"]
      write = op.args_writer(names, DevSource.CACHE_DEV, ident)   # (CDRWriter) -> None
      values = op.read_result(reply_body)                          # list[AttributeValue_5]

* a server decodes the arguments and encodes the result (or a user exception)::

      op = OPERATIONS[request.operation]
      names, source, ident = op.read_args(request.body)
      op.write_result(w, values)            # or op.write_exception(w, dev_failed)

Python values are those of :mod:`.types` (structs), :mod:`.enums` and plain ``str``/``int``/
``bool``/``list``; a command ``any`` (``command_inout*`` argin and result) is the pair
``(CmdArgType, value)`` of :mod:`.command_any`, with the value as PyTango's ``command_inout``
returns it (writing validates it: TypeError/ValueError, nothing written).  The Database device
is an ordinary ``Device_N``: its commands all travel through ``command_inout``/``_2``/``_4``.

Which operation a client picks for a device's IDL version is client policy;
:func:`newest` gives the newest member of an operation family a device of that version has
(``newest("info", 5)`` is ``info_3``), :func:`operations_of` the names a ``Device_N`` servant must
answer, :func:`repository_ids` the ids its ``_is_a`` must accept.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from ..wire.cdr import CDRReader, CDRWriter
from ..wire.errors import MarshalError
from . import types as T
from .command_any import decode_command_any, encode_command_any
from .enums import DevSource, DevState
from .errors import (DEV_FAILED_ID, MULTI_DEV_FAILED_ID, DevFailed, MultiDevFailed, decode_user_exception,
                     write_user_exception)

__all__ = ["Codec", "Operation", "OPERATIONS", "newest", "operations_of", "repository_ids",
           "OBJECT_REPOSITORY_ID", "HIGHEST_IDL_VERSION"]

HIGHEST_IDL_VERSION = 6
OBJECT_REPOSITORY_ID = "IDL:omg.org/CORBA/Object:1.0"

Reader = Callable[[CDRReader], Any]
Writer = Callable[[CDRWriter, Any], None]


class Codec:
    """How one IDL type travels: ``read(r) -> value`` and ``write(w, value)``."""

    __slots__ = ("idl", "read", "write")

    def __init__(self, idl: str, read: Reader, write: Writer) -> None:
        self.idl = idl
        self.read = read
        self.write = write

    def __repr__(self) -> str:
        return f"Codec({self.idl})"


def _struct(cls: type) -> Codec:
    return Codec(cls.__name__, cls.read, _write_struct)


def _write_struct(w: CDRWriter, value: Any) -> None:
    value.write(w)


def _list(cls: type, min_size: int, idl: str, read: Reader | None = None) -> Codec:
    """``sequence<cls>``; ``read`` overrides the generic reader with a faster one."""
    return Codec(idl, read or (lambda r: r.read_seq(cls.read, min_size)), T.write_list)


def _read_state(r: CDRReader) -> DevState | int:
    v = r.read_enum()
    return _STATES.get(v, v)  # an unknown state is shown as its number, not refused


def _read_source(r: CDRReader) -> DevSource:
    v = r.read_enum()
    try:
        return _SOURCES[v]
    except KeyError:
        raise MarshalError(f"invalid DevSource value {v}") from None


def _write_enum(w: CDRWriter, value: int) -> None:
    w.write_enum(int(value))


def _write_command_any(w: CDRWriter, value: tuple) -> None:
    encode_command_any(w, value[0], value[1])


_STATES = DevState.values
_SOURCES = DevSource.values

# lower bounds of encoded sizes (padding left out), to refuse hostile sequence counts before
# allocating: never above the smallest valid encoding of the element
_MIN_CMD_INFO = 24      # DevCmdInfo: 2 strings, 3 longs
_MIN_ATTR_CONFIG = 64   # AttributeConfig*: 12+ strings, 5 longs/enums
_MIN_ATTR_VALUE = 48    # AttributeValue_3/_4/_5: value, quality, TimeVal, name, 2 dims, errors
_MIN_ATTR_VALUE_1 = 33  # AttributeValue: tk_null any, quality, TimeVal, name, dim_x, dim_y
_MIN_HISTORY = 21       # DevCmdHistory (TimeVal, boolean, tk_null any, errors); the others are larger
_MIN_PIPE_CONFIG = 27   # PipeConfig: 3 strings, 2 enums, extensions

STRING = Codec("string", CDRReader.read_string, CDRWriter.write_string)
LONG = Codec("long", CDRReader.read_long, CDRWriter.write_long)
BOOLEAN = Codec("boolean", CDRReader.read_boolean, CDRWriter.write_boolean)
STRING_ARRAY = Codec("DevVarStringArray", CDRReader.read_string_seq, CDRWriter.write_string_seq)
DEV_STATE = Codec("DevState", _read_state, _write_enum)
DEV_SOURCE = Codec("DevSource", _read_source, _write_enum)
CLNT_IDENT = _struct(T.ClntIdent)
COMMAND_ANY = Codec("any (command data)", decode_command_any, _write_command_any)

DEV_INFO, DEV_INFO_3, DEV_INFO_6 = _struct(T.DevInfo), _struct(T.DevInfo_3), _struct(T.DevInfo_6)
DEV_CMD_INFO, DEV_CMD_INFO_2 = _struct(T.DevCmdInfo), _struct(T.DevCmdInfo_2)
DEV_CMD_INFO_LIST = _list(T.DevCmdInfo, _MIN_CMD_INFO, "DevCmdInfoList")
DEV_CMD_INFO_LIST_2 = _list(T.DevCmdInfo_2, _MIN_CMD_INFO, "DevCmdInfoList_2")
ATTRIBUTE_CONFIG_LIST = _list(T.AttributeConfig, _MIN_ATTR_CONFIG, "AttributeConfigList")
ATTRIBUTE_CONFIG_LIST_2 = _list(T.AttributeConfig_2, _MIN_ATTR_CONFIG, "AttributeConfigList_2")
ATTRIBUTE_CONFIG_LIST_3 = _list(T.AttributeConfig_3, _MIN_ATTR_CONFIG, "AttributeConfigList_3")
ATTRIBUTE_CONFIG_LIST_5 = _list(T.AttributeConfig_5, _MIN_ATTR_CONFIG, "AttributeConfigList_5",
                                T.AttributeConfig_5.read_list)
ATTRIBUTE_VALUE_LIST = _list(T.AttributeValue, _MIN_ATTR_VALUE_1, "AttributeValueList")
ATTRIBUTE_VALUE_LIST_3 = _list(T.AttributeValue_3, _MIN_ATTR_VALUE, "AttributeValueList_3")
ATTRIBUTE_VALUE_LIST_4 = _list(T.AttributeValue_4, _MIN_ATTR_VALUE, "AttributeValueList_4")
ATTRIBUTE_VALUE_LIST_5 = _list(T.AttributeValue_5, _MIN_ATTR_VALUE, "AttributeValueList_5",
                               T.AttributeValue_5.read_list)
DEV_CMD_HISTORY_LIST = _list(T.DevCmdHistory, _MIN_HISTORY, "DevCmdHistoryList")
DEV_ATTR_HISTORY_LIST = _list(T.DevAttrHistory, _MIN_HISTORY, "DevAttrHistoryList")
DEV_ATTR_HISTORY_LIST_3 = _list(T.DevAttrHistory_3, _MIN_HISTORY, "DevAttrHistoryList_3")
DEV_ATTR_HISTORY_4, DEV_ATTR_HISTORY_5 = _struct(T.DevAttrHistory_4), _struct(T.DevAttrHistory_5)
DEV_CMD_HISTORY_4 = _struct(T.DevCmdHistory_4)
PIPE_CONFIG_LIST = _list(T.PipeConfig, _MIN_PIPE_CONFIG, "PipeConfigList")
DEV_PIPE_DATA = _struct(T.DevPipeData)


def _args_codec(writers: tuple[Writer, ...]) -> Callable[..., None]:
    """``write(w, *args)`` for these parameter writers, unrolled for the usual 0..4 parameters
    (a client call runs it once per request: no loop, no zip)."""
    n = len(writers)
    if n == 0:
        def write(w: CDRWriter) -> None:
            pass
    elif n == 1:
        (a,) = writers

        def write(w: CDRWriter, x: Any) -> None:
            a(w, x)
    elif n == 2:
        a, b = writers

        def write(w: CDRWriter, x: Any, y: Any) -> None:
            a(w, x)
            b(w, y)
    elif n == 3:
        a, b, c = writers

        def write(w: CDRWriter, x: Any, y: Any, z: Any) -> None:
            a(w, x)
            b(w, y)
            c(w, z)
    elif n == 4:
        a, b, c, d = writers

        def write(w: CDRWriter, x: Any, y: Any, z: Any, u: Any) -> None:
            a(w, x)
            b(w, y)
            c(w, z)
            d(w, u)
    else:
        def write(w: CDRWriter, *args: Any) -> None:
            if len(args) != n:
                raise TypeError(f"expected {n} arguments, got {len(args)}")
            for put, value in zip(writers, args):
                put(w, value)
    return write


def _args_reader(readers: tuple[Reader, ...]) -> Callable[[CDRReader], tuple]:
    """``read(r) -> tuple`` of these parameter readers, unrolled for the usual 0..4 parameters
    (a server runs it once per request)."""
    n = len(readers)
    if n == 0:
        def read(r: CDRReader) -> tuple:
            return ()
    elif n == 1:
        (a,) = readers

        def read(r: CDRReader) -> tuple:
            return (a(r),)
    elif n == 2:
        a, b = readers

        def read(r: CDRReader) -> tuple:
            return a(r), b(r)
    elif n == 3:
        a, b, c = readers

        def read(r: CDRReader) -> tuple:
            return a(r), b(r), c(r)
    elif n == 4:
        a, b, c, d = readers

        def read(r: CDRReader) -> tuple:
            return a(r), b(r), c(r), d(r)
    else:
        def read(r: CDRReader) -> tuple:
            return tuple(get(r) for get in readers)
    return read


def _read_nothing(r: CDRReader) -> None:
    return None


def _write_nothing(w: CDRWriter, value: Any = None) -> None:
    if value is not None:
        raise TypeError(f"a void operation returns None, not {type(value).__name__}")


class Operation:
    """One IDL operation: name, parameters, result and user exceptions, with their codecs.

    ``since``: the ``Device_N`` interface that introduced it (0 for CORBA::Object operations
    every object has); ``family``: its name without the ``_N`` version suffix.
    ``read_result`` is None for a void operation (nothing to decode).
    """

    __slots__ = ("name", "since", "family", "params", "result", "raises", "write_args", "read_result",
                 "read_args", "write_result", "ident_index")

    def __init__(self, name: str, since: int, params: Iterable[tuple[str, Codec]] = (),
                 result: Codec | None = None, raises: tuple[str, ...] = (DEV_FAILED_ID,)) -> None:
        self.name = name
        self.since = since
        self.family = _family(name)
        self.params = tuple(params)
        self.result = result
        self.raises = raises
        #: ``write_args(w, *args)``: encode the in-parameters, in IDL order.
        self.write_args = _args_codec(tuple(codec.write for _name, codec in self.params))
        #: ``read_result(r) -> value``: decode the result (None: void operation).
        self.read_result = result.read if result is not None else None
        #: server side: ``read_args(r) -> tuple`` decodes the in-parameters of a request body (in
        #: IDL order); ``write_result(w, value)`` encodes the result of a NO_EXCEPTION reply body
        #: (a void operation takes None)
        self.read_args = _args_reader(tuple(codec.read for _name, codec in self.params))
        self.write_result = result.write if result is not None else _write_nothing
        #: where the ClntIdent is among the in-parameters (None: the operation carries none)
        self.ident_index = next((i for i, (_n, codec) in enumerate(self.params) if codec is CLNT_IDENT), None)

    # -- client side ---------------------------------------------------------------------------
    def args_writer(self, *args: Any) -> Callable[[CDRWriter], None] | None:
        """The request body writer for these arguments (None when the operation has none)."""
        if not self.params:
            if args:
                raise TypeError(f"{self.name} takes no arguments ({len(args)} given)")
            return None
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments "
                            f"({', '.join(n for n, _c in self.params)}), {len(args)} given")
        write = self.write_args
        return lambda w: write(w, *args)

    def encode_args(self, *args: Any, little_endian: bool = True) -> bytes:
        """The in-parameters alone, encoded from offset 0 (see :meth:`args_writer`)."""
        w = CDRWriter(little_endian)
        self.write_args(w, *args)
        return w.getvalue()

    # -- server side (and read_args / write_result above) -----------------------------------------
    def may_raise(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a user exception this operation declares (MultiDevFailed only
        where the IDL says ``raises(DevFailed, MultiDevFailed)``)."""
        if isinstance(exc, MultiDevFailed):
            return MULTI_DEV_FAILED_ID in self.raises
        return isinstance(exc, DevFailed) and DEV_FAILED_ID in self.raises

    def write_exception(self, w: CDRWriter, exc: DevFailed) -> None:
        """Encode a USER_EXCEPTION reply body (repository id, then the members).

        Raises TypeError for an exception the operation does not declare: the server must
        then convert it (a MultiDevFailed into a DevFailed) or answer a system exception."""
        if not self.may_raise(exc):
            raise TypeError(f"{self.name} cannot raise {type(exc).__name__} "
                            f"(it raises {', '.join(self.raises) or 'no user exception'})")
        write_user_exception(w, exc)

    def read_exception(self, repo_id: str, r: CDRReader) -> DevFailed:
        """Decode a USER_EXCEPTION reply body (``r`` after the repository id); MarshalError for
        an exception the operation does not declare."""
        if repo_id not in self.raises:
            raise MarshalError(f"{self.name} does not raise {repo_id}")
        return decode_user_exception(repo_id, r)

    def __repr__(self) -> str:
        params = ", ".join(f"{c.idl} {n}" for n, c in self.params)
        result = self.result.idl if self.result is not None else "void"
        return f"<Operation {result} {self.name}({params}) since Device_{self.since}>"


def _family(name: str) -> str:
    base, _sep, suffix = name.rpartition("_")
    return base if base and suffix.isdigit() else name


_DF = (DEV_FAILED_ID,)
_DF_MDF = (DEV_FAILED_ID, MULTI_DEV_FAILED_ID)
_NONE: tuple[str, ...] = ()  # CORBA attributes and Object operations raise no user exception

_COMMAND = ("command", STRING)
_ARGIN = ("argin", COMMAND_ANY)
_SOURCE = ("source", DEV_SOURCE)
_IDENT = ("cl_ident", CLNT_IDENT)
_NAMES = ("names", STRING_ARRAY)
_HISTORY = (("name", STRING), ("n", LONG))
_CMD_HISTORY = (_COMMAND, ("n", LONG))

_TABLE = [
    # CORBA::Object
    Operation("_is_a", 0, [("logical_type_id", STRING)], BOOLEAN, _NONE),
    Operation("_non_existent", 0, [], BOOLEAN, _NONE),
    # Device: readonly attributes, read as operations (they cannot raise DevFailed: cppTango
    # reports failures of these as IMP_LIMIT system exceptions)
    Operation("_get_name", 1, [], STRING, _NONE),
    Operation("_get_description", 1, [], STRING, _NONE),
    Operation("_get_state", 1, [], DEV_STATE, _NONE),
    Operation("_get_status", 1, [], STRING, _NONE),
    Operation("_get_adm_name", 1, [], STRING, _NONE),
    # Device
    Operation("command_inout", 1, [_COMMAND, _ARGIN], COMMAND_ANY, _DF),
    Operation("get_attribute_config", 1, [_NAMES], ATTRIBUTE_CONFIG_LIST, _DF),
    Operation("set_attribute_config", 1, [("new_conf", ATTRIBUTE_CONFIG_LIST)], None, _DF),
    Operation("read_attributes", 1, [_NAMES], ATTRIBUTE_VALUE_LIST, _DF),
    Operation("write_attributes", 1, [("values", ATTRIBUTE_VALUE_LIST)], None, _DF),
    Operation("ping", 1, [], None, _DF),
    Operation("black_box", 1, [("n", LONG)], STRING_ARRAY, _DF),
    Operation("info", 1, [], DEV_INFO, _DF),
    Operation("command_list_query", 1, [], DEV_CMD_INFO_LIST, _DF),
    Operation("command_query", 1, [_COMMAND], DEV_CMD_INFO, _DF),
    # Device_2
    Operation("command_inout_2", 2, [_COMMAND, _ARGIN, _SOURCE], COMMAND_ANY, _DF),
    Operation("read_attributes_2", 2, [_NAMES, _SOURCE], ATTRIBUTE_VALUE_LIST, _DF),
    Operation("get_attribute_config_2", 2, [_NAMES], ATTRIBUTE_CONFIG_LIST_2, _DF),
    Operation("command_list_query_2", 2, [], DEV_CMD_INFO_LIST_2, _DF),
    Operation("command_query_2", 2, [_COMMAND], DEV_CMD_INFO_2, _DF),
    Operation("command_inout_history_2", 2, _CMD_HISTORY, DEV_CMD_HISTORY_LIST, _DF),
    Operation("read_attribute_history_2", 2, _HISTORY, DEV_ATTR_HISTORY_LIST, _DF),
    # Device_3
    Operation("read_attributes_3", 3, [_NAMES, _SOURCE], ATTRIBUTE_VALUE_LIST_3, _DF),
    Operation("write_attributes_3", 3, [("values", ATTRIBUTE_VALUE_LIST)], None, _DF_MDF),
    Operation("read_attribute_history_3", 3, _HISTORY, DEV_ATTR_HISTORY_LIST_3, _DF),
    Operation("info_3", 3, [], DEV_INFO_3, _DF),
    Operation("get_attribute_config_3", 3, [_NAMES], ATTRIBUTE_CONFIG_LIST_3, _DF),
    Operation("set_attribute_config_3", 3, [("new_conf", ATTRIBUTE_CONFIG_LIST_3)], None, _DF),
    # Device_4
    Operation("read_attribute_history_4", 4, _HISTORY, DEV_ATTR_HISTORY_4, _DF),
    Operation("command_inout_history_4", 4, _CMD_HISTORY, DEV_CMD_HISTORY_4, _DF),
    Operation("command_inout_4", 4, [_COMMAND, _ARGIN, _SOURCE, _IDENT], COMMAND_ANY, _DF),
    Operation("read_attributes_4", 4, [_NAMES, _SOURCE, _IDENT], ATTRIBUTE_VALUE_LIST_4, _DF),
    Operation("write_attributes_4", 4, [("values", ATTRIBUTE_VALUE_LIST_4), _IDENT], None, _DF_MDF),
    Operation("set_attribute_config_4", 4, [("new_conf", ATTRIBUTE_CONFIG_LIST_3), _IDENT], None, _DF),
    Operation("write_read_attributes_4", 4, [("values", ATTRIBUTE_VALUE_LIST_4), _IDENT],
              ATTRIBUTE_VALUE_LIST_4, _DF_MDF),
    # Device_5
    Operation("get_attribute_config_5", 5, [_NAMES], ATTRIBUTE_CONFIG_LIST_5, _DF),
    Operation("set_attribute_config_5", 5, [("new_conf", ATTRIBUTE_CONFIG_LIST_5), _IDENT], None, _DF),
    Operation("read_attributes_5", 5, [_NAMES, _SOURCE, _IDENT], ATTRIBUTE_VALUE_LIST_5, _DF),
    Operation("write_read_attributes_5", 5, [("values", ATTRIBUTE_VALUE_LIST_4), ("r_names", STRING_ARRAY),
                                             _IDENT], ATTRIBUTE_VALUE_LIST_5, _DF_MDF),
    Operation("read_attribute_history_5", 5, _HISTORY, DEV_ATTR_HISTORY_5, _DF),
    Operation("get_pipe_config_5", 5, [_NAMES], PIPE_CONFIG_LIST, _DF),
    Operation("set_pipe_config_5", 5, [("new_conf", PIPE_CONFIG_LIST), _IDENT], None, _DF),
    Operation("read_pipe_5", 5, [("name", STRING), _IDENT], DEV_PIPE_DATA, _DF),
    Operation("write_pipe_5", 5, [("value", DEV_PIPE_DATA), _IDENT], None, _DF),
    Operation("write_read_pipe_5", 5, [("value", DEV_PIPE_DATA), _IDENT], DEV_PIPE_DATA, _DF),
    # Device_6
    Operation("info_6", 6, [], DEV_INFO_6, _DF),
]

#: Every operation by its GIOP operation name.
OPERATIONS: Mapping[str, Operation] = {op.name: op for op in _TABLE}
del _TABLE

_NEWEST: dict[tuple[str, int], Operation] = {}
for _version in range(1, HIGHEST_IDL_VERSION + 1):
    for _op in OPERATIONS.values():
        if _op.since <= _version:
            best = _NEWEST.get((_op.family, _version))
            if best is None or _op.since > best.since:
                _NEWEST[(_op.family, _version)] = _op
del _version, _op


def newest(family: str, idl_version: int) -> Operation:
    """The newest operation of ``family`` (``"info"``, ``"read_attributes"``, ...) that a device
    of ``idl_version`` implements; KeyError if it has none (``newest("read_pipe", 4)``)."""
    return _NEWEST[(family, min(max(idl_version, 1), HIGHEST_IDL_VERSION))]


def operations_of(idl_version: int) -> frozenset[str]:
    """The operation names a ``Device_<idl_version>`` object answers (inherited ones included)."""
    return frozenset(name for name, op in OPERATIONS.items() if op.since <= idl_version)


def repository_ids(idl_version: int) -> tuple[str, ...]:
    """What ``_is_a`` is true for on a ``Device_<idl_version>`` object: its interface, every
    ancestor interface and ``CORBA::Object``, newest first."""
    ids = [f"IDL:Tango/Device_{v}:1.0" for v in range(idl_version, 1, -1)]
    return (*ids, "IDL:Tango/Device:1.0", OBJECT_REPOSITORY_ID)
