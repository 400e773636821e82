"""EveryTypeServer: one attribute per Tango data type x format x access, one command per command type.

A ``tango.server`` file (a TEST PEER) run on PyTango 10.3.1 and, unchanged, on tango_core
(``tests/servers/on_tango_core.py``), so tests compare what clients see of both, type by type:

* attributes ``<type>_<format>_<access>`` for every type of ``TYPES`` in every format it may
  have (scalar, spectrum, image; DevEncoded is scalar only) and access (``ro`` READ, ``wo``
  WRITE, ``rw`` READ_WRITE); a read returns the value last
  written to the attribute (the initial value of the type until then);
* commands ``Echo<CmdArgType>`` for every command argument type (the argument comes back),
  ``Void``, ``Out<type>`` (a fixed value of the type, no argument) and ``In<type>`` (takes one,
  returns nothing).

Run it as ``python EveryTypeServer.py INSTANCE -nodb -ORBendPoint giop:tcp:127.0.0.1:PORT -dlist a/b/c``.
"""

from __future__ import annotations

import enum

from tango import AttrWriteType, DevState
from tango.server import Device, attribute, command


class Colour(enum.IntEnum):
    RED = 0
    GREEN = 1
    BLUE = 2


#: name -> (dtype, initial scalar value, can be spectrum/image)
TYPES = {
    "boolean": ("DevBoolean", True, True),
    "uchar": ("DevUChar", 200, True),
    "short": ("DevShort", -300, True),
    "ushort": ("DevUShort", 60000, True),
    "long": ("DevLong", -70000, True),
    "ulong": ("DevULong", 4000000000, True),
    "long64": ("DevLong64", -(2**62), True),
    "ulong64": ("DevULong64", 2**64 - 2, True),
    "float": ("DevFloat", 0.5, True),
    "double": ("DevDouble", -2.25, True),
    "string": ("DevString", "caf\xe9", True),
    "state": ("DevState", DevState.MOVING, True),
    "enum": (Colour, Colour.GREEN, True),
    "encoded": ("DevEncoded", ("fmt", b"\x00\x01\xfe\xff"), False),
}

#: READ_WITH_WRITE needs an associated write attribute, which PyTango's high-level API cannot
#: name (its servers refuse to start with API_AttrWrongDefined)
ACCESS = {"ro": AttrWriteType.READ, "wo": AttrWriteType.WRITE, "rw": AttrWriteType.READ_WRITE}


def _initial(kind: str, fmt: str):
    value = TYPES[kind][1]
    if fmt == "scalar":
        return value
    if fmt == "spectrum":
        return [value, value]
    return [[value, value, value], [value, value, value]]


def _dtype(kind: str, fmt: str):
    dtype = TYPES[kind][0]
    return {"scalar": dtype, "spectrum": (dtype,), "image": ((dtype,),)}[fmt]


def _make_attribute(name: str, kind: str, fmt: str, access: str):
    def read(self):
        return self._values[name]

    def write(self, value):
        self._values[name] = value

    kwargs = dict(name=name, dtype=_dtype(kind, fmt), access=ACCESS[access], fget=read)
    if access != "ro":
        kwargs["fset"] = write
    if fmt != "scalar":
        kwargs["max_dim_x"] = 8
    if fmt == "image":
        kwargs["max_dim_y"] = 8
    return attribute(**kwargs)


ATTRIBUTES = {}
for _kind, (_dtype_name, _value, _arrays) in TYPES.items():
    for _fmt in ("scalar", "spectrum", "image") if _arrays else ("scalar",):
        for _access in ACCESS:
            ATTRIBUTES[f"{_kind}_{_fmt}_{_access}"] = (_kind, _fmt, _access)

#: command argument type -> (value returned by Out<type>)
COMMAND_TYPES = {
    "DevBoolean": True, "DevShort": -32768, "DevLong": 2**31 - 1, "DevFloat": 1.5, "DevDouble": -1e-300,
    "DevUShort": 65535, "DevULong": 2**32 - 1, "DevString": "t\xe9xt", "DevVarCharArray": [0, 255],
    "DevVarShortArray": [-1, 2], "DevVarLongArray": [-(2**31), 3], "DevVarFloatArray": [0.25, -1.0],
    "DevVarDoubleArray": [1e300, -0.5], "DevVarUShortArray": [0, 65535], "DevVarULongArray": [2**32 - 1],
    "DevVarStringArray": ["a", "", "\xe9"], "DevVarLongStringArray": [[1, 2], ["x", "y"]],
    "DevVarDoubleStringArray": [[1.5], ["z"]], "DevState": DevState.ALARM,
    "DevVarBooleanArray": [True, False], "DevUChar": 255, "DevLong64": -(2**63), "DevULong64": 2**64 - 1,
    "DevVarLong64Array": [-(2**63), 2**63 - 1], "DevVarULong64Array": [2**64 - 1, 0],
    "DevEncoded": ("enc", b"\x01\x02"),
}


def _describe(value) -> str:
    """What device code was handed, as text two servers can be compared by."""
    dtype = getattr(value, "dtype", None)
    inner = ""
    if isinstance(value, (list, tuple)) and value:
        inner = "[" + ",".join(sorted({type(v).__name__ for v in value})) + "]"
    return f"{type(value).__name__}{inner}{'/' + str(dtype) if dtype is not None else ''} {value!r}"


def _make_command(prefix: str, type_name: str, value):
    if prefix == "Echo":
        def func(self, argin):
            return argin
        kwargs = dict(dtype_in=type_name, dtype_out=type_name)
    elif prefix == "Out":
        def func(self):
            return value
        kwargs = dict(dtype_out=type_name)
    else:
        def func(self, argin):
            self._last_in = argin
        kwargs = dict(dtype_in=type_name)
    func.__name__ = func.__qualname__ = prefix + type_name
    return command(f=func, **kwargs)


class EveryTypeDevice(Device):
    """Every attribute data type, format and access; every command argument type."""

    def init_device(self):
        super().init_device()
        self._values = {name: _initial(kind, fmt) for name, (kind, fmt, _access) in ATTRIBUTES.items()}
        self._last_in = None
        self.set_state(DevState.ON)

    for _name, (_kind, _fmt, _access) in ATTRIBUTES.items():
        locals()[_name] = _make_attribute(_name, _kind, _fmt, _access)
    for _type_name, _value in COMMAND_TYPES.items():
        for _prefix in ("Echo", "Out", "In"):
            locals()[_prefix + _type_name] = _make_command(_prefix, _type_name, _value)
    del _name, _kind, _fmt, _access, _type_name, _value, _prefix

    @command
    def Void(self):
        self._last_in = "void"

    @command(dtype_out=str, doc_out="what the last In<type> command received: its type and repr")
    def LastIn(self):
        return _describe(self._last_in)

    @command(dtype_in=str, dtype_out=str, doc_out="what the attribute's write method received: type and repr")
    def Stored(self, name):
        return _describe(self._values[name])


if __name__ == "__main__":
    EveryTypeDevice.run_server()
