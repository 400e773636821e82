"""Helpers for people testing their devices (PyTango's ``tango.test_utils``).

Re-exports the test contexts and offers what PyTango's module offers test writers:

* sample devices: :class:`SimpleDevice` (high level), :class:`ClassicAPISimpleDeviceImpl` /
  :class:`ClassicAPISimpleDeviceClass` (classic API), enums :class:`GoodEnum` and the three
  :class:`BadEnumNonZero` / :class:`BadEnumSkipValues` / :class:`BadEnumDuplicates`;
* value tables (``GENERAL_TYPED_VALUES``, ``IMAGE_TYPED_VALUES``, ``COMMAND_TYPED_VALUES``,
  ``EXTRACT_AS``, ``BASE_TYPES``, ``UTF8_STRING``, ``DEVICE_SERVER_ARGUMENTS``) and
  :func:`assert_close`, :func:`create_result`, :func:`convert_dtype_to_typing_hint`,
  :func:`make_nd_value`, :func:`check_attr_type`, :func:`check_read_attr`;
* :func:`wait_for_proxy`, :func:`wait_for_nodb_proxy_via_pid`, :func:`get_server_port_via_pid`;
* pytest fixtures (when pytest is installed): ``state``, ``general_typed_values``,
  ``command_typed_values``, ``attribute_typed_values``, ``extract_as``, ``base_type``,
  ``green_mode``, ``server_green_mode``, ``attr_data_format``, ``server_serial_model``,
  ``dev_encoded_values``, and for devices declared with numpy type hints
  ``command_numpy_typed_values``, ``attribute_numpy_typed_values``, ``attribute_wrong_numpy_typed``.
  Import them into a ``conftest.py`` to use them.
"""

from __future__ import annotations

import enum
import os
import socket
import struct
import time
from functools import wraps
from typing import Any, Callable, ClassVar

import numpy as np

from .idl.enums import (
    AttrDataFormat, AttrWriteType, CmdArgType, DevState, ExtractAs, GreenMode, SerialModel,
)
from .idl.errors import DevFailed
from .server.attribute_declaration import AttrData
from .server.device import Device, DeviceClass, LatestDeviceImpl
from .server.dtypes import NUMPY_TYPE_OF
from .test_context import DeviceTestContext, MultiDeviceTestContext

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is optional for users of this module
    pytest = None

__all__ = [
    "DeviceTestContext", "MultiDeviceTestContext", "SimpleDevice", "ClassicAPISimpleDeviceImpl",
    "ClassicAPISimpleDeviceClass", "GoodEnum", "BadEnumNonZero", "BadEnumSkipValues", "BadEnumDuplicates",
    "UTF8_STRING", "GENERAL_TYPED_VALUES", "COMMAND_TYPED_VALUES", "IMAGE_TYPED_VALUES", "EXTRACT_AS", "BASE_TYPES",
    "DEV_ENCODED_DATA", "DEVICE_SERVER_ARGUMENTS", "assert_close", "create_result", "convert_to_type", "convert_dtype_to_typing_hint",
    "make_nd_value", "check_attr_type", "check_read_attr", "general_decorator", "general_asyncio_decorator",
    "wait_for_proxy", "wait_for_nodb_proxy_via_pid", "get_server_port_via_pid", "repr_type", "repr_numpy_type",
    "NUMPY_GENERAL_TYPING_HINTS", "NUMPY_IMAGES_TYPING_HINTS", "WRONG_NUMPY_TYPING_HINTS",
]

T = CmdArgType

#: a string of characters from many Unicode planes (DevEncoded round trips, UnicodeError checks)
UTF8_STRING = ("ăѣ𝔠ծềſģȟᎥ𝒋ǩľḿꞑȯ𝘱𝑞𝗋𝘴ȶ𝞄𝜈ψ𝒙𝘆𝚣1234567890!@#$%^&*()-_=+[{]};:'\",<.>/?~"  # noqa: RUF001
               "Ѧ𝙱ƇᗞΣℱԍҤ١𝔍К𝓛𝓜ƝȎ𝚸𝑄Ṛ𝓢ṮṺƲᏔꓫ𝚈𝚭")  # noqa: RUF001

#: every octet but NUL, as bytes and as the latin-1 str a DevString carries
bytes_devstring = bytes(range(1, 256))
str_devstring = bytes_devstring.decode("latin-1")


# -- sample devices ------------------------------------------------------------------------------

class SimpleDevice(Device):
    """A device that only switches itself ON."""

    def init_device(self) -> None:
        self.set_state(DevState.ON)


class ClassicAPISimpleDeviceImpl(LatestDeviceImpl):
    """A classic-API device with one DevLong64 attribute ``attr1`` reading 100."""

    def __init__(self, cls: DeviceClass, name: str) -> None:
        LatestDeviceImpl.__init__(self, cls, name)
        ClassicAPISimpleDeviceImpl.init_device(self)

    def init_device(self) -> None:
        self.get_device_properties(self.get_device_class())
        self.attr_attr1_read = 100

    def read_attr1(self, attr: Any) -> None:
        attr.set_value(self.attr_attr1_read)


class ClassicAPISimpleDeviceClass(DeviceClass):
    attr_list: ClassVar[dict] = {"attr1": [[T.DevLong64, AttrDataFormat.SCALAR, AttrWriteType.READ]]}


class GoodEnum(enum.IntEnum):
    START = 0
    MIDDLE = 1
    END = 2


class BadEnumNonZero(enum.IntEnum):
    START = 1
    MIDDLE = 2
    END = 3


class BadEnumSkipValues(enum.IntEnum):
    START = 0
    MIDDLE = 2
    END = 4


class BadEnumDuplicates(enum.IntEnum):
    START = 0
    MIDDLE = 1
    END = 1


# -- value tables ----------------------------------------------------------------------------------

GENERAL_TYPED_VALUES: dict[Any, tuple] = {
    int: (1, 2, -65535, 23),
    float: (2.71, 3.14, -34.678e-10, 12.678e15),
    str: ("hey hey", "my my", bytes_devstring, str_devstring),
    bool: (False, True, True, False),
    (int,): (np.array([1, 2]), (1, 2, 3), [9, 8, 7], [-65535, 2224], [0, 0]),
    (float,): (np.array([0.1, 0.2]), (0.1, 0.2, 0.3), [0.9, 0.8, 0.7], (-6.3232e-3, 1.234e4), [0.0, 12.56e12]),
    (str,): (np.array(["foo", "bar"]), ("ab", "cd", "ef"), ["gh", "ij", "kl"], ("ab", "cd"), ["gh", "ij"],
             3 * [bytes_devstring], 3 * [str_devstring]),
    (bool,): (np.array([True, False]), (False, False, True), [True, False, False], (False, True), [True, False]),
}
COMMAND_TYPED_VALUES: dict[Any, tuple] = {
    T.DevVarLongStringArray: ([[1, 2, 3], ["foo", "bar", "hmm"]],),
    T.DevVarDoubleStringArray: ([[1.1, 2.2, 3.3], ["foo", "bar", "hmm"]],),
}
IMAGE_TYPED_VALUES: dict[Any, tuple] = {
    ((int,),): (np.vstack((np.array([1, 2]), np.array([3, 4]))), ((1, 2, 3), (4, 5, 6), (7, 8, 9)),
                [[-65535, 2224, 23], [-6535, 224, 345], [-655, 24, 54]], ((1, 2, 3), (4, 5, 6)),
                [[-65535, 2224], [-65535, 2224]]),
    ((float,),): (np.vstack((np.array([0.1, 0.2]), np.array([0.3, 0.4]))),
                  ((0.1, 0.2, 0.3), (0.9, 0.8, 0.7), (0.5, 0.6, 0.7)),
                  [[-6.3232e-3, 0.0], [0.0, 12.56e12], [23.4, 1.56e2]], ((0.1, 0.2, 0.3), (0.9, 0.8, 0.7)),
                  [[-6.3232e-3, 0.0], [0.0, 12.56e12]]),
    ((str,),): (np.vstack((np.array(["hi-hi", "ha-ha"]), np.array(["hu-hu", "yuhuu"]))),
                [["ab", "cd", "ef"], ["gh", "ij", "kl"], ["gh", "ij", "kl"]],
                (("ab", "cd", "ef"), ("gh", "ij", "kl"), ("gh", "ij", "kl")), [["ab", "cd"], ["ij", "kl"]],
                (("ab", "ef"), ("gh", "ij")), [3 * [bytes_devstring], 3 * [bytes_devstring]],
                [3 * [str_devstring], 3 * [str_devstring]]),
    ((bool,),): (np.vstack((np.array([True, False]), np.array([False, True]))),
                 [[False, False, True], [True, False, False], [True, False, False]],
                 ((False, False, True), (True, False, False), (True, False, False)), [[False, True], [False, False]],
                 ((False, True), (False, False)), [[False]], [[True]]),
}
EXTRACT_AS = [(ExtractAs.Numpy, np.ndarray), (ExtractAs.Tuple, tuple), (ExtractAs.List, list),
              (ExtractAs.Bytes, bytes), (ExtractAs.ByteArray, bytearray), (ExtractAs.String, str)]
BASE_TYPES = [float, int, str, bool]
DEV_ENCODED_DATA = {"str": UTF8_STRING, "bytes": UTF8_STRING.encode(), "bytearray": bytearray(UTF8_STRING.encode())}



def _numpy_typing_hints() -> tuple[list[tuple], list[tuple]]:
    """(scalar and spectrum cases, image cases) of devices declared with numpy type hints: each
    ``(numpy type, type hint, data format, value)``, the hint being the type itself for a scalar
    and ``numpy.typing.NDArray[type]`` for a spectrum or an image."""
    import numpy.typing as npt

    kinds = (((np.bool_,), True, [True, False], [[True, False], [False, True]]),
             ((np.ubyte,), 1, [1, 2], [[1, 2], [3, 4]]),
             ((np.short, np.ushort, np.int32, np.uint32, np.int64, np.uint64), 1, [1, 2], [[1, 2], [3, 4]]),
             ((np.float64, np.float32), 1.1, [1.1, 2.2], [[1.1, 2.2], [3.3, 4.4]]))
    general, images = [], []
    for dtypes, scalar, spectrum, image in kinds:
        for dtype in dtypes:
            general += [(dtype, dtype, AttrDataFormat.SCALAR, scalar),
                        (dtype, npt.NDArray[dtype], AttrDataFormat.SPECTRUM, spectrum)]
            images.append((dtype, npt.NDArray[dtype], AttrDataFormat.IMAGE, image))
    return general, images


NUMPY_GENERAL_TYPING_HINTS, NUMPY_IMAGES_TYPING_HINTS = _numpy_typing_hints()
#: attributes whose numpy type hint cannot work: (dformat, max_dim_x, max_dim_y, value, error
#: raised, text of the error), as PyTango reports them
WRONG_NUMPY_TYPING_HINTS = (
    (None, None, None, None, RuntimeError, "AttrDataFormat has to be specified"),
    (AttrDataFormat.IMAGE, 3, 0, [[1, 2], [3, 4]], DevFailed, "Maximum y dim. wrongly defined"),
    (AttrDataFormat.SPECTRUM, 3, 0, [[1, 2], [3, 4]], TypeError, "Expecting a integer type, but it is not"),
)

#: (platforms where valid, command line, normalised argv) -- cases for server command-line parsers
DEVICE_SERVER_ARGUMENTS = (
    (["linux", "win"], "MyDs instance --nodb --port 1234",
     ["MyDs", "instance", "-nodb", "-ORBendPoint", "giop:tcp:0.0.0.0:1234"]),
    (["linux", "win"], "MyDs -port 1234 -host myhost instance",
     ["MyDs", "instance", "-ORBendPoint", "giop:tcp:myhost:1234"]),
    (["linux", "win"], "MyDs instance -nodb -port 1000 -dlist a/b/c;d/e/f",
     ["MyDs", "instance", "-ORBendPoint", "giop:tcp:0.0.0.0:1000", "-nodb", "-dlist", "a/b/c;d/e/f"]),
    ([], "MyDs instance -nodb", []),
    ([], "MyDs instance -dlist a/b/c;d/e/f", []),
    (["linux", "win"], "MyDs instance -vvvv", ["MyDs", "instance", "-v4"]),
    (["linux", "win"], "MyDs instance -v4", ["MyDs", "instance", "-v4"]),
    (["linux", "win"], "MyDs instance -v 4", ["MyDs", "instance", "-v4"]),
)


# -- helpers -----------------------------------------------------------------------------------------

def repr_type(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        return f"({repr_type(x[0])},)"
    if x in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
        return x.name
    return getattr(x, "__name__", str(x))


def repr_numpy_type(dtype: type, dformat: AttrDataFormat) -> str:
    """The test id of a numpy-typed case (``int32, SCALAR``, ``np.NDarray[int32], SPECTRUM`` ...)."""
    if dformat == AttrDataFormat.SCALAR:
        return f"{dtype.__name__}, SCALAR"
    if dformat == AttrDataFormat.SPECTRUM:
        return f"np.NDarray[{dtype.__name__}], SPECTRUM"
    return f"np.n2array[{dtype.__name__}], IMAGE"


def _is_seq(x: Any) -> bool:
    return isinstance(x, (list, tuple, np.ndarray))


def assert_close(a: Any, b: Any) -> None:
    """Recursive equality with float tolerance (numpy arrays, nested sequences, dicts, strings)."""
    if _is_seq(a):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_close(x, y)
        return
    if isinstance(a, str):
        assert a == b
    elif isinstance(a, dict):
        for k, v in a.items():
            assert k in b
            assert_close(v, b[k])
    elif isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        assert a == b
    else:
        if pytest is not None:
            try:
                assert a == pytest.approx(b)
                return
            except (TypeError, ValueError):
                pass
        np.testing.assert_allclose(a, b)


def create_result(dtype: Any, value: Any) -> Any:
    """The value a client reads back after writing ``value`` of ``dtype`` (bytes become latin-1 str)."""
    if isinstance(dtype, (list, tuple)):
        return [create_result(dtype[0], v) for v in value]
    if dtype == T.DevVarLongStringArray:
        return [create_result(t, v) for v, t in zip(value, [int, str])]
    if dtype == T.DevVarDoubleStringArray:
        return [create_result(t, v) for v, t in zip(value, [float, str])]
    return value.decode("latin-1") if isinstance(value, bytes) else value


def convert_to_type(value: Any, attr_type: CmdArgType, expected_type: type) -> Any:
    """``value`` (numbers of ``attr_type``) as a proxy returns it for an ``extract_as`` giving
    ``expected_type``: list/tuple, numpy array, or the raw octets as bytes, bytearray or str."""
    if expected_type in (tuple, list):
        return expected_type(value)
    numpy_type = {**NUMPY_TYPE_OF, T.DevString: str}[attr_type]
    if expected_type is np.ndarray:
        return np.array(value, dtype=numpy_type)
    if expected_type in (bytes, bytearray, str):
        raw = np.array(value, dtype=numpy_type).tobytes()
        if expected_type is bytearray:
            return bytearray(raw)
        return raw.decode("latin-1") if expected_type is str else raw
    if pytest is not None:
        pytest.xfail("Unknown extract_as type")
    raise TypeError(f"unknown extract_as type {expected_type!r}")


def convert_dtype_to_typing_hint(dtype: Any) -> tuple[Any, Any, bool, bool]:
    """(tuple hint, list hint, checks x dim, checks y dim) for a test dtype."""
    check_x = check_y = False
    if type(dtype) is tuple:
        dtype = dtype[0]
        check_x = True
        if type(dtype) is tuple:
            dtype = dtype[0]
            check_y = True
            row = tuple[dtype, dtype, dtype]
            return tuple[row, row, row, row], list[list[dtype]], check_x, check_y
        return tuple[dtype, dtype, dtype], list[dtype], check_x, check_y
    if dtype == T.DevVarLongStringArray:
        return tuple[tuple[int], tuple[str]], list[list[int], list[str]], False, False
    if dtype == T.DevVarDoubleStringArray:
        return tuple[tuple[float], tuple[str]], list[list[float], list[str]], False, False
    return dtype, dtype, False, False


def make_nd_value(value: Any, attr_data_format: AttrDataFormat) -> Any:
    if attr_data_format == AttrDataFormat.SCALAR:
        return value
    if attr_data_format == AttrDataFormat.SPECTRUM:
        return (value,)
    return ((value,),)


def check_attr_type(read_attr: Any, attr_data_format: AttrDataFormat, desired_type: type) -> None:
    if attr_data_format == AttrDataFormat.SCALAR:
        assert isinstance(read_attr, desired_type)
    elif attr_data_format == AttrDataFormat.SPECTRUM:
        for x in read_attr:
            assert isinstance(x, desired_type)
    else:
        for row in read_attr:
            for x in row:
                assert isinstance(x, desired_type)


def check_read_attr(read_attr: Any, attr_data_format: AttrDataFormat, value: Any, label: str) -> None:
    def one(x: Any) -> None:
        assert x.value == value
        assert x.name == label
    if attr_data_format == AttrDataFormat.SCALAR:
        one(read_attr)
    elif attr_data_format == AttrDataFormat.SPECTRUM:
        for x in read_attr:
            one(x)
    else:
        for row in read_attr:
            for x in row:
                one(x)


def general_decorator(function: Callable | None = None) -> Callable:
    """A transparent decorator (checks that decorated device methods still work)."""
    if function is None:
        return general_decorator

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)
    return wrapper


def general_asyncio_decorator(function: Callable | None = None) -> Callable:
    if function is None:
        return general_asyncio_decorator

    @wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await function(*args, **kwargs)
    return wrapper


# -- finding a running server ------------------------------------------------------------------------

def _listening_ports(pid: int) -> list[int]:
    """TCP ports a process listens on (Linux /proc; no psutil needed)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return []
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return sorted(ports)


def _is_giop(host: str, port: int) -> bool:
    """A GIOP server answers a CloseConnection by closing; a ZMQ socket greets us first."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            s.settimeout(0.2)
            try:
                if s.recv(10):
                    return False
            except socket.timeout:
                pass
            s.sendall(b"GIOP\x01\x02\x01\x05" + struct.pack("<I", 0))
            s.settimeout(1.0)
            return s.recv(10) == b""
    except OSError:
        return False


def get_server_port_via_pid(pid: int, host: str, retries: int = 400, delay: float = 0.03) -> int:
    """The GIOP port of the server process ``pid`` (RuntimeError if none answers in time)."""
    for _ in range(retries):
        for port in _listening_ports(pid):
            if _is_giop(host, port):
                return port
        time.sleep(delay)
    raise RuntimeError(f"Failed to get GIOP TCP port within {retries * delay:.1f} sec")


def wait_for_proxy(dev_name: str, proxy_class: Any = None, retries: int = 600, delay: float = 0.02) -> Any:
    """A DeviceProxy to ``dev_name`` once it answers ping() and state() (RuntimeError otherwise)."""
    if proxy_class is None:
        from .client.device_proxy import DeviceProxy as proxy_class
    last = ""
    proxy = None
    for _ in range(retries):
        try:
            if proxy is None:
                proxy = proxy_class(dev_name)
            proxy.ping()
            proxy.state()
            return proxy
        except DevFailed as exc:
            last = str(exc)
            time.sleep(delay)
    raise RuntimeError(f"Device at {dev_name} did not respond within {retries * delay:.1f} sec!\nLast error: {last}.")


def wait_for_nodb_proxy_via_pid(pid: int, host: str, dev_name: str, proxy_class: Any = None, retries: int = 600,
                                delay: float = 0.02) -> Any:
    """A DeviceProxy to ``dev_name`` served without database by process ``pid``."""
    port = get_server_port_via_pid(pid, host, retries, delay)
    return wait_for_proxy(f"tango://{host}:{port}/{dev_name}#dbase=no", proxy_class, retries, delay)


# -- pytest fixtures --------------------------------------------------------------------------------

if pytest is not None:

    @pytest.fixture(params=list(DevState), ids=str)
    def state(request: Any) -> DevState:
        return request.param

    @pytest.fixture(params=list(GENERAL_TYPED_VALUES.items()), ids=lambda x: repr_type(x[0]))
    def general_typed_values(request: Any) -> tuple:
        dtype, values = request.param
        return dtype, values, lambda v: create_result(dtype, v)

    @pytest.fixture(params=list({**GENERAL_TYPED_VALUES, **COMMAND_TYPED_VALUES}.items()),
                    ids=lambda x: repr_type(x[0]))
    def command_typed_values(request: Any) -> tuple:
        dtype, values = request.param
        return dtype, values, lambda v: create_result(dtype, v)

    @pytest.fixture(params=list({**GENERAL_TYPED_VALUES, **IMAGE_TYPED_VALUES}.items()),
                    ids=lambda x: repr_type(x[0]))
    def attribute_typed_values(request: Any) -> tuple:
        dtype, values = request.param
        return dtype, values, lambda v: create_result(dtype, v)

    @pytest.fixture(params=NUMPY_GENERAL_TYPING_HINTS, ids=lambda x: repr_numpy_type(x[0], x[2]))
    def command_numpy_typed_values(request: Any) -> tuple:
        """(type hint, data format, values, expected result of a value) for a numpy-typed command."""
        dtype, type_hint, dformat, values = request.param
        return type_hint, dformat, values, lambda v: create_result(dtype, v)

    @pytest.fixture(params=NUMPY_GENERAL_TYPING_HINTS + NUMPY_IMAGES_TYPING_HINTS,
                    ids=lambda x: repr_numpy_type(x[0], x[2]))
    def attribute_numpy_typed_values(request: Any) -> tuple:
        """(type hint, data format, values, expected result of a value) for a numpy-typed attribute."""
        dtype, type_hint, dformat, values = request.param
        return type_hint, dformat, values, lambda v: create_result(dtype, v)

    @pytest.fixture(params=WRONG_NUMPY_TYPING_HINTS, ids=lambda x: f"{x[-2].__name__}: {x[-1]}")
    def attribute_wrong_numpy_typed(request: Any) -> tuple:
        """One of :data:`WRONG_NUMPY_TYPING_HINTS`."""
        return request.param

    @pytest.fixture(params=list(DEV_ENCODED_DATA.items()), ids=list(DEV_ENCODED_DATA))
    def dev_encoded_values(request: Any) -> tuple:
        return request.param

    @pytest.fixture(params=EXTRACT_AS, ids=[f"extract_as.{r}" for r, _ in EXTRACT_AS])
    def extract_as(request: Any) -> tuple:
        return request.param

    @pytest.fixture(params=BASE_TYPES)
    def base_type(request: Any) -> type:
        return request.param

    @pytest.fixture(params=list(GreenMode), ids=str)
    def green_mode(request: Any) -> GreenMode:
        return request.param

    @pytest.fixture(params=[GreenMode.Synchronous, GreenMode.Asyncio], ids=str)
    def server_green_mode(request: Any) -> GreenMode:
        return request.param

    @pytest.fixture(params=[AttrDataFormat.SCALAR, AttrDataFormat.SPECTRUM, AttrDataFormat.IMAGE], ids=str)
    def attr_data_format(request: Any) -> AttrDataFormat:
        return request.param

    @pytest.fixture(params=[SerialModel.BY_DEVICE, SerialModel.BY_CLASS, SerialModel.BY_PROCESS,
                            SerialModel.NO_SYNC], ids=str)
    def server_serial_model(request: Any) -> SerialModel:
        return request.param


_ = (AttrData, NUMPY_TYPE_OF)
