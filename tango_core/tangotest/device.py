"""TangoTest: the device every Tango installation has (``sys/tg_test/1``), in pure Python.

The interface is the current TangoTest, the one Tango 10 ships and PyTango 10.3.1's tests
expect; it is a superset of Debian's cppTango 9.3 build: one attribute per data type and
format (enumerations included), read-only variants whose values move, write-read echoes, one
echo command per command data type, ``SwitchStates`` (RUNNING <-> FAULT).  Values are generated
as TangoTest does (data.py) by a background thread every ``Sleep_period`` ms, or at every read
when the device property ``Mthreaded_impl`` is 0.

What the current TangoTest added to 9.3's, and what it does:

* ``enum_scalar``, ``enum_spectrum``, ``enum_image`` (read-write echoes) and ``enum_scalar_ro``,
  ``enum_spectrum_ro``, ``enum_image_ro`` (constant, all first label): DevEnum attributes with
  three labels each, ``LABEL0..2`` for ``enum_scalar`` up to ``LABEL15..17`` for ``enum_image``,
  so that a client can tell which attribute's labels it shows;
* ``freq`` (write-only double, 10 at start): the frequency of ``wave``, ``ampli * sin(freq * k
  degrees)``; 9.3's wave is the one of ``freq`` = 1;
* ``echo_mode`` (read-write boolean, off at start): while on, the generated scalars read back
  what was last written (``X_scalar_rww`` what was written to ``X_scalar``, as TangoTest reads
  them; ``ulong_scalar`` keeps its random values there too) and the generation of moving
  values pauses, so that a client can check its writes against reads;
* ``long_scalar_ts_future`` / ``long_scalar_ts_past`` (read-write long echoes): their reads carry
  a time stamp :data:`TIMESTAMP_OFFSET` seconds after / before the time of the read, for
  clients that must cope with clocks that disagree.  PyTango 10.3.1's tests list them; the
  TangoTest sources of Tango 10.0 and 10.3 do not have them yet, so the offset is ours.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import numpy as np

from ..idl.enums import AttrDataFormat, AttrQuality, AttrWriteType, CmdArgType, DevState, DispLevel
from ..idl.errors import DevError, DevFailed, ErrSeverity
from ..server import Device, attribute, command, device_property
from . import data

T = CmdArgType
R, W, RW, RWW = AttrWriteType.READ, AttrWriteType.WRITE, AttrWriteType.READ_WRITE, AttrWriteType.READ_WITH_WRITE
SCALAR, SPECTRUM, IMAGE = AttrDataFormat.SCALAR, AttrDataFormat.SPECTRUM, AttrDataFormat.IMAGE

NUMPY = {T.DevBoolean: np.bool_, T.DevUChar: np.uint8, T.DevShort: np.int16, T.DevUShort: np.uint16,
         T.DevLong: np.int32, T.DevULong: np.uint32, T.DevLong64: np.int64, T.DevULong64: np.uint64,
         T.DevFloat: np.float32, T.DevDouble: np.float64, T.DevEnum: np.int16}
_FORMAT = {T.DevDouble: "%6.2f", T.DevFloat: "%6.2f", T.DevString: "%s", T.DevEnum: "%s", T.DevBoolean: "Not specified"}


def _fmt(t: CmdArgType) -> str:
    return _FORMAT.get(t, "%d")


#: cppTango's description of an argument the class author did not describe
_UNSET = "Uninitialised"

#: seconds between the time of a read and the time stamp of ``long_scalar_ts_future`` (after)
#: and ``long_scalar_ts_past`` (before)
TIMESTAMP_OFFSET = 3600.0

#: the labels of the DevEnum attributes (three per attribute, numbered on across them)
ENUM_LABELS = {name: [f"LABEL{3 * i + j}" for j in range(3)] for i, name in enumerate(
    ["enum_scalar", "enum_scalar_ro", "enum_spectrum", "enum_spectrum_ro", "enum_image_ro", "enum_image"])}

#: what the generated scalars read while ``echo_mode`` is on: the value last written to this
#: attribute (TangoTest's choice: the ``_rww`` ones show their plain twin's, not the ``_w`` set
#: point; ``ulong_scalar`` does not echo)
ECHO_MODE_SOURCES = {"short_scalar": "short_scalar", "long_scalar": "long_scalar", "long64_scalar": "long64_scalar",
                     "ulong64_scalar": "ulong64_scalar", "double_scalar": "double_scalar",
                     "float_scalar": "float_scalar", "ushort_scalar": "ushort_scalar",
                     "uchar_scalar": "uchar_scalar", "short_scalar_rww": "short_scalar",
                     "long_scalar_rww": "long_scalar", "double_scalar_rww": "double_scalar"}


class _Behaviour:
    """TangoTest's methods (the class itself is assembled below with its attributes)."""

    Mthreaded_impl = device_property(dtype=T.DevLong, default_value=1,
                                     doc="0: generate the data at each read; else in a thread")
    Sleep_period = device_property(dtype=T.DevLong, default_value=2000,
                                   doc="period (ms) of the data generation thread")
    UShort_image_ro_size = device_property(dtype=T.DevLong, default_value=data.IMAGE_SIDE,
                                           doc="side of the ushort_image_ro image")

    # -- life cycle -------------------------------------------------------------------------------

    def init_device(self) -> None:
        Device.init_device(self)
        # the read-with-write scalars show the set point of their "_w" twin (cppTango's
        # assoc_attr, which PyTango's high-level attribute() has no keyword for)
        for prefix in ("double", "long", "short"):
            self.get_device_attr().get_attr_by_name(f"{prefix}_scalar_rww").writable_attr_name = f"{prefix}_scalar_w"
        self._lock = threading.RLock()
        self._rng = np.random.default_rng()
        self._k = 0
        self._cache: dict[str, tuple[int, Any]] = {}
        # what the clients last wrote, where a read depends on it (cppTango's attr_*_write)
        self._w: dict[str, Any] = {"short_scalar": 256, "short_scalar_w": 256, "long_scalar": 256,
                                   "long_scalar_w": 256, "ulong_scalar": 256, "long64_scalar": 256,
                                   "ulong64_scalar": 256, "double_scalar": 256.0, "double_scalar_w": 256.0,
                                   "float_scalar": 0.0, "uchar_scalar": 0, "ushort_scalar": 0, "ampli": 1.0,
                                   "freq": 10.0, "boolean_scalar": False}
        self._echo_mode = False
        self._scalars: dict[str, Any] = {}
        self._echo: dict[str, Any] = {"boolean_scalar": True, "string_scalar": "Default string", "enum_scalar": 0,
                                      "enum_scalar_ro": 0, "long_scalar_ts_future": 0, "long_scalar_ts_past": 0}
        for name, t, dformat in _WRITABLE_ARRAYS + [(n, T.DevEnum, f) for n, f in _CONSTANT_ENUM_ARRAYS]:
            if dformat == SPECTRUM:
                self._echo[name] = ([""] * data.SPECTRUM_LENGTH if t == T.DevString
                                    else np.zeros(data.SPECTRUM_LENGTH, NUMPY[t]))
            else:
                self._echo[name] = ([[""] * data.IMAGE_SIDE for _ in range(data.IMAGE_SIDE)] if t == T.DevString
                                    else np.zeros((data.IMAGE_SIDE, data.IMAGE_SIDE), NUMPY[t]))
        self._generate()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.Mthreaded_impl:
            self._thread = threading.Thread(target=self._generation_loop, name=f"TangoTest {self.get_name()}",
                                            daemon=True)
            self._thread.start()
            self.set_state(DevState.RUNNING)

    def delete_device(self) -> None:
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _generation_loop(self) -> None:
        period = max(self.Sleep_period, 1) / 1000.0
        while not self._stop.wait(period):
            if not self._echo_mode:
                self._generate()

    def _generate(self) -> None:
        """One generation of the moving values (TangoTest's gen_data): scalars now, arrays when
        read (they depend on nothing but the generation number and the random generator)."""
        with self._lock:
            w, rng, k = self._w, self._rng, self._k
            self._scalars = {
                "short_scalar_rww": data.below(rng, w["short_scalar_w"]),
                "long_scalar_rww": data.below(rng, w["long_scalar_w"]),
                "double_scalar_rww": data.sine(w["double_scalar_w"], k),
                "short_scalar_ro": data.below(rng, w["short_scalar"]),
                "short_scalar": data.below(rng, w["short_scalar"]),
                "long_scalar": data.below(rng, w["long_scalar"]),
                "ulong_scalar": data.below(rng, w["ulong_scalar"]),
                "long64_scalar": data.below(rng, w["long_scalar"]),
                "ulong64_scalar": data.below(rng, w["ulong_scalar"]),
                "double_scalar": data.sine(w["double_scalar"], k),
                "ushort_scalar": data.below(rng, w["ushort_scalar"]),
                "uchar_scalar": data.below(rng, w["uchar_scalar"]),
                "float_scalar": float(data.below(rng, w["float_scalar"])),
            }
            self._generation_ampli, self._generation_freq = w["ampli"], w["freq"]
            self._k += 1

    def _fresh(self) -> None:
        if not self.Mthreaded_impl and not self._echo_mode:
            self._generate()

    # -- echo_mode ------------------------------------------------------------------------------

    def read_echo_mode(self) -> bool:
        return self._echo_mode

    def write_echo_mode(self, value: bool) -> None:
        with self._lock:
            self._echo_mode = bool(value)

    def _array(self, name: str, make: Callable[[np.random.Generator], Any]) -> Any:
        with self._lock:
            k = self._k
            cached = self._cache.get(name)
            if cached is None or cached[0] != k:
                cached = (k, make(self._rng))
                self._cache[name] = cached
            return cached[1]

    # -- commands -------------------------------------------------------------------------------

    @command(doc_in=_UNSET, doc_out=_UNSET)
    def SwitchStates(self) -> None:
        self.set_state(DevState.FAULT if self.get_state() == DevState.RUNNING else DevState.RUNNING)

    @command(display_level=DispLevel.EXPERT, doc_in=_UNSET, doc_out=_UNSET)
    def DumpExecutionState(self) -> None:
        self.error_stream("Crash report disabled (a pure-Python TangoTest has no crash handler)")

    @command(display_level=DispLevel.EXPERT, doc_in=_UNSET, doc_out=_UNSET)
    def CrashFromDevelopperThread(self) -> None:
        self.error_stream("Crash report disabled (a pure-Python TangoTest does not crash on request)")

    @command(display_level=DispLevel.EXPERT, doc_in=_UNSET, doc_out=_UNSET)
    def CrashFromOmniThread(self) -> None:
        self.error_stream("Crash report disabled (a pure-Python TangoTest does not crash on request)")

    @command(dtype_in=T.DevVoid, dtype_out=T.DevVoid, doc_in="N/A", doc_out="N/A")
    def DevVoid(self) -> None:
        pass


def _throw_exception(device: Any) -> None:
    raise DevFailed(DevError("exception test", "here is the exception you requested",
                             "TangoTest::read_throw_exception", ErrSeverity.ERR))


# -- the attribute table: (name, type, format, access, extra configuration) -------------------------

def _scalar_reader(name: str) -> Callable[[Any], Any]:
    echo_source = ECHO_MODE_SOURCES.get(name)

    def read(self: Any) -> Any:
        if self._echo_mode and echo_source is not None:
            return self._w[echo_source]
        self._fresh()
        return self._scalars[name]
    return read


def _boolean_scalar_reader(self: Any) -> Any:
    """boolean_scalar echoes the written value anyway; in echo mode TangoTest shows its write
    value, which differs from the read one only before the first write (False, not True)."""
    return self._w["boolean_scalar"] if self._echo_mode else self._echo["boolean_scalar"]


def _write_boolean_scalar(self: Any, value: Any) -> None:
    with self._lock:
        self._echo["boolean_scalar"] = self._w["boolean_scalar"] = bool(value)


def _time_shifted_reader(name: str, offset: float) -> Callable[[Any], Any]:
    def read(self: Any) -> Any:
        return self._echo[name], time.time() + offset, AttrQuality.ATTR_VALID
    return read


def _write_amplitude(name: str) -> Callable[[Any, Any], None]:
    def write(self: Any, value: Any) -> None:
        with self._lock:
            self._w[name] = value
    return write


def _echo_reader(name: str) -> Callable[[Any], Any]:
    def read(self: Any) -> Any:
        return self._echo[name]
    return read


def _echo_writer(name: str, dformat: AttrDataFormat, t: CmdArgType) -> Callable[[Any, Any], None]:
    def write(self: Any, value: Any) -> None:
        if dformat == SPECTRUM:
            value = list(value)[:data.SPECTRUM_LENGTH] if t == T.DevString \
                else np.array(value, NUMPY[t])[:data.SPECTRUM_LENGTH]
        elif dformat == IMAGE:
            if t == T.DevString:
                value = [list(row)[:data.IMAGE_SIDE] for row in value][:data.IMAGE_SIDE]
            else:
                value = np.array(value, NUMPY[t])[:data.IMAGE_SIDE, :data.IMAGE_SIDE]
        with self._lock:
            self._echo[name] = value
    return write


def _generated_reader(name: str, make: Callable[[Any, np.random.Generator], Any]) -> Callable:
    def read(self: Any) -> Any:
        self._fresh()
        return self._array(name, lambda rng: make(self, rng))
    return read


_SCALAR_TYPES = [("short", T.DevShort), ("long", T.DevLong), ("ulong", T.DevULong), ("long64", T.DevLong64),
                 ("ulong64", T.DevULong64), ("double", T.DevDouble), ("float", T.DevFloat),
                 ("ushort", T.DevUShort), ("uchar", T.DevUChar)]
_ARRAY_TYPES = {"boolean": T.DevBoolean, "double": T.DevDouble, "float": T.DevFloat, "long64": T.DevLong64,
                "long": T.DevLong, "short": T.DevShort, "string": T.DevString, "uchar": T.DevUChar,
                "ulong64": T.DevULong64, "ulong": T.DevULong, "ushort": T.DevUShort}
_WRITABLE_SPECTRA = ["boolean", "double", "float", "long", "short", "string", "uchar", "ushort"]
_WRITABLE_IMAGES = ["boolean", "double", "float", "long", "short", "string", "uchar", "ushort"]
_WRITABLE_ARRAYS = ([(f"{k}_spectrum", _ARRAY_TYPES[k], SPECTRUM) for k in _WRITABLE_SPECTRA]
                    + [(f"{k}_image", _ARRAY_TYPES[k], IMAGE) for k in _WRITABLE_IMAGES]
                    + [("enum_spectrum", T.DevEnum, SPECTRUM), ("enum_image", T.DevEnum, IMAGE)])
#: read-only enumerations: every element is the first label, always (TangoTest generates none)
_CONSTANT_ENUM_ARRAYS = [("enum_spectrum_ro", SPECTRUM), ("enum_image_ro", IMAGE)]
_DESCRIPTIONS = {
    "boolean_scalar": "A boolean scalar attribute", "float_scalar": "A float attribute",
    "float_spectrum": "A float spectrum attribute", "uchar_spectrum": "An unsigned char spectrum attribute",
    "ushort_spectrum": "An unsigned short spectrum attribute", "float_image_ro": "A float image attribute",
    "uchar_image_ro": "An unsigned char image attribute", "ushort_image_ro": "An unsigned short image attribute",
}
#: labels TangoTest gives three read-only images (its generator copied the writable one's)
_LABELS = {"boolean_image_ro": "boolean_image", "float_image_ro": "float_image", "uchar_image_ro": "uchar_image"}
_LIMITS = {"uchar_spectrum": ("0", "255"), "float_image_ro": ("0", "255"), "uchar_image_ro": ("0", "255"),
           "ushort_image_ro": ("0", "255")}


def _attributes() -> dict[str, attribute]:
    out: dict[str, attribute] = {}

    def add(name: str, t: CmdArgType, dformat: AttrDataFormat, access: AttrWriteType, *,
            fget: Callable | None = None, fset: Callable | None = None, **extra: Any) -> None:
        config: dict[str, Any] = {"format": _fmt(t)}
        if name in _DESCRIPTIONS:
            config["doc"] = _DESCRIPTIONS[name]
        if name in _LABELS:
            config["label"] = _LABELS[name]
        if name in _LIMITS:
            config["min_value"], config["max_value"] = _LIMITS[name]
        if dformat == SPECTRUM:
            config["max_dim_x"] = 256 if t == T.DevString else 4096
        elif dformat == IMAGE:
            side = 256 if t == T.DevString else (8192 if name == "ushort_image_ro" else data.IMAGE_SIDE)
            config["max_dim_x"] = config["max_dim_y"] = side
        config.update(extra)
        out[name] = attribute(name=name, dtype=t, dformat=dformat, access=access, fget=fget, fset=fset, **config)

    # scalars
    add("ampli", T.DevDouble, SCALAR, W, fset=_write_amplitude("ampli"))
    add("boolean_scalar", T.DevBoolean, SCALAR, RW, fget=_boolean_scalar_reader, fset=_write_boolean_scalar)
    for prefix, t in _SCALAR_TYPES:
        name = f"{prefix}_scalar"
        add(name, t, SCALAR, RW, fget=_scalar_reader(name), fset=_write_amplitude(name))
    for prefix, t in [("double", T.DevDouble), ("long", T.DevLong), ("short", T.DevShort)]:
        add(f"{prefix}_scalar_rww", t, SCALAR, RWW, fget=_scalar_reader(f"{prefix}_scalar_rww"),
            fset=lambda self, value: None)
        add(f"{prefix}_scalar_w", t, SCALAR, W, fset=_write_amplitude(f"{prefix}_scalar_w"))
    add("short_scalar_ro", T.DevShort, SCALAR, R, fget=_scalar_reader("short_scalar_ro"))
    add("no_value", T.DevLong, SCALAR, R, fget=lambda self: None)
    add("string_scalar", T.DevString, SCALAR, RW, fget=_echo_reader("string_scalar"),
        fset=_echo_writer("string_scalar", SCALAR, T.DevString))
    add("throw_exception", T.DevLong, SCALAR, R, fget=_throw_exception)
    add("enum_scalar", T.DevEnum, SCALAR, RW, fget=_echo_reader("enum_scalar"),
        fset=_echo_writer("enum_scalar", SCALAR, T.DevEnum), enum_labels=ENUM_LABELS["enum_scalar"])
    add("enum_scalar_ro", T.DevEnum, SCALAR, R, fget=_echo_reader("enum_scalar_ro"),
        enum_labels=ENUM_LABELS["enum_scalar_ro"])
    add("freq", T.DevDouble, SCALAR, W, fset=_write_amplitude("freq"))
    add("echo_mode", T.DevBoolean, SCALAR, RW, fget=_Behaviour.read_echo_mode, fset=_Behaviour.write_echo_mode)
    for name, offset in (("long_scalar_ts_future", TIMESTAMP_OFFSET), ("long_scalar_ts_past", -TIMESTAMP_OFFSET)):
        add(name, T.DevLong, SCALAR, RW, fget=_time_shifted_reader(name, offset),
            fset=_echo_writer(name, SCALAR, T.DevLong))
    # spectra
    for name, t, dformat in _WRITABLE_ARRAYS:
        add(name, t, dformat, RW, fget=_echo_reader(name), fset=_echo_writer(name, dformat, t),
            **({"enum_labels": ENUM_LABELS[name]} if t == T.DevEnum else {}))
    for name, dformat in _CONSTANT_ENUM_ARRAYS:
        add(name, T.DevEnum, dformat, R, fget=_echo_reader(name), enum_labels=ENUM_LABELS[name])
    for kind, t in _ARRAY_TYPES.items():
        if kind == "string":
            make = lambda self, rng: data.hello_spectrum(rng)  # noqa: E731
        else:
            make = (lambda t: lambda self, rng: data.random_spectrum(rng, NUMPY[t]))(t)
        add(f"{kind}_spectrum_ro", t, SPECTRUM, R, fget=_generated_reader(f"{kind}_spectrum_ro", make))
    add("wave", T.DevDouble, SPECTRUM, R,
        fget=_generated_reader("wave", lambda self, rng: data.wave(self._generation_ampli, self._k,
                                                                   self._generation_freq)))
    # images
    for kind, t in _ARRAY_TYPES.items():
        name = f"{kind}_image_ro"
        if kind == "string":
            make = lambda self, rng: data.hello_image(rng)  # noqa: E731
        elif kind in ("boolean", "uchar"):
            make = (lambda t: lambda self, rng: data.random_image(rng, NUMPY[t]))(t)
        elif kind == "ushort":
            make = lambda self, rng: data.random_image(rng, np.uint16, max(self.UShort_image_ro_size, 1))  # noqa
        else:
            make = (lambda t: lambda self, rng: data.disc_image(rng, NUMPY[t]))(t)
        add(name, t, IMAGE, R, fget=_generated_reader(name, make))
    return out


def _echo_command(t: CmdArgType, doc_in: str, doc_out: str) -> command:
    def echo(self: Any, argin: Any) -> Any:
        return argin
    echo.__name__ = t.name
    return command(f=echo, dtype_in=t, dtype_out=t, doc_in=doc_in, doc_out=doc_out)


_SCALAR_ECHO_DOCS = {T.DevBoolean: "Any boolean value", T.DevDouble: "Any DevDouble value",
                     T.DevFloat: "Any DevFloat value", T.DevLong: "Any DevLong value",
                     T.DevLong64: "Any DevLong64 value", T.DevShort: "Any DevShort value",
                     T.DevULong: "Any DevULong", T.DevULong64: "Any DevULong64 value",
                     T.DevUShort: "Any DevUShort value"}
_ARRAY_ECHOES = [T.DevString, T.DevVarCharArray, T.DevVarDoubleArray, T.DevVarDoubleStringArray,
                 T.DevVarFloatArray, T.DevVarLong64Array, T.DevVarLongArray, T.DevVarLongStringArray,
                 T.DevVarShortArray, T.DevVarStringArray, T.DevVarULong64Array, T.DevVarULongArray,
                 T.DevVarUShortArray]

DESCRIPTION = ("A device to test generic clients. It offers a \"echo\" like command for\n"
               "each TANGO data type (i.e. each command returns an exact copy of <argin>).")


def _make_class() -> type:
    """The device class: _Behaviour's methods and properties plus the generated attributes and
    echo commands, all in the class namespace where Device's metaclass looks for them."""
    namespace: dict[str, Any] = {k: v for k, v in vars(_Behaviour).items()
                                 if not (k.startswith("__") and k.endswith("__"))}
    namespace.update(_attributes())
    for t, doc in _SCALAR_ECHO_DOCS.items():
        namespace[t.name] = _echo_command(t, doc, "Echo of the argin value")
    for t in _ARRAY_ECHOES:
        doc = _UNSET if t in (T.DevVarLong64Array, T.DevVarULong64Array) else "-"
        namespace[t.name] = _echo_command(t, doc, doc)
    namespace.update(__doc__=DESCRIPTION, __module__=__name__, __qualname__="TangoTest")
    return type(Device)("TangoTest", (Device,), namespace)


TangoTest = _make_class()
