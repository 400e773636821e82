"""The high-level server API behaves as PyTango 10.3.1's does, seen by both clients.

Scenarios chosen from what PyTango's own server tests expect of ``tango.server`` (written anew
here for tango_core): default and class-level state/status/description, inheritance of
properties, init_device chains, dev_state/dev_status overrides, the is_allowed conventions,
exceptions from device code, server_init_hook (and FAULT when it raises), dynamic attributes and
commands, type hints, asyncio devices, client identification and the test contexts.  Servers run
in this process (``DeviceTestContext``); the ``client`` fixture reads them with PyTango's
DeviceProxy (the reference) and with tango_core's.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from server_clients import DEVFAILED
from tango_core import (AttrQuality, AttrWriteType, DevState, Except, GreenMode, LockerLanguage)
from tango_core.server import Device, attribute, class_property, command, device_property
from tango_core.test_context import DeviceTestContext, MultiDeviceTestContext


def _reason(exc_info) -> str:
    return exc_info.value.args[0].reason


def _desc(exc_info) -> str:
    return exc_info.value.args[0].desc


# -- state, status, description ------------------------------------------------------------------

def test_an_empty_device_is_unknown(client):
    class Empty(Device):
        pass

    ctx = DeviceTestContext(Empty)
    with ctx:
        proxy = client(ctx.get_device_access())
        assert proxy.state() == DevState.UNKNOWN
        assert proxy.status() == "The device is in UNKNOWN state."
        assert proxy.read_attribute("State").value == DevState.UNKNOWN


def test_class_constants_give_description_state_and_status(client):
    class Base(Device):
        """Docstring of Base"""
        DEVICE_CLASS_DESCRIPTION = "Base description"
        DEVICE_CLASS_INITIAL_STATUS = "Base status"
        DEVICE_CLASS_INITIAL_STATE = DevState.ON

    class Heir(Base):
        pass

    class Other(Base):
        DEVICE_CLASS_DESCRIPTION = "Other description"
        DEVICE_CLASS_INITIAL_STATUS = "Other status"
        DEVICE_CLASS_INITIAL_STATE = DevState.OFF

    class Documented(Device):
        """Described by its docstring"""

    ctx = MultiDeviceTestContext((
        {"class": Base, "devices": [{"name": "hl/desc/base"}]},
        {"class": Heir, "devices": [{"name": "hl/desc/heir"}]},
        {"class": Other, "devices": [{"name": "hl/desc/other"}]},
        {"class": Documented, "devices": [{"name": "hl/desc/doc"}]},
    ))
    with ctx:
        for name in ("hl/desc/base", "hl/desc/heir"):
            p = client(ctx.get_device_access(name))
            assert (p.state(), p.status(), p.description()) == (DevState.ON, "Base status", "Base description")
        p = client(ctx.get_device_access("hl/desc/other"))
        assert (p.state(), p.status(), p.description()) == (DevState.OFF, "Other status", "Other description")
        assert client(ctx.get_device_access("hl/desc/doc")).description() == "Described by its docstring"


@pytest.mark.parametrize("own_status", [False, True])
def test_state_and_status_set_in_init_device(client, own_status):
    # a non-ASCII status travels as UTF-8 octets, as from PyTango's server; both clients'
    # status() decode them as UTF-8
    status = "Two lines,\nCafé à la crème" if own_status else "The device is in MOVING state."

    class Mover(Device):
        def init_device(self):
            super().init_device()
            self.set_state(DevState.MOVING)
            if own_status:
                self.set_status(status)

    ctx = DeviceTestContext(Mover)
    with ctx:
        p = client(ctx.get_device_access())
        assert p.state() == DevState.MOVING
        assert p.status() == status


def test_dev_state_and_dev_status_overrides_and_inheritance(client):
    class A(Device):
        def dev_state(self):
            return DevState.STANDBY

        def dev_status(self):
            return "<a>"

    class B(A):
        def dev_status(self):
            return 2 * A.dev_status(self)

    ctx = DeviceTestContext(B)
    with ctx:
        p = client(ctx.get_device_access())
        assert p.state() == DevState.STANDBY
        assert p.status() == "<a><a>"


def test_alarm_quality_puts_the_device_in_alarm(client):
    class Gauge(Device):
        def init_device(self):
            super().init_device()
            self.set_state(DevState.ON)

        @attribute(dtype=float, max_alarm=10.0, max_warning=5.0)
        def level(self):
            return 12.0

    ctx = DeviceTestContext(Gauge)
    with ctx:
        p = client(ctx.get_device_access())
        assert p.read_attribute("level").quality == AttrQuality.ATTR_ALARM
        assert p.state() == DevState.ALARM
        assert "Alarm : Value too high for level" in p.status()


# -- inheritance ----------------------------------------------------------------------------------

def test_properties_are_inherited_and_can_be_overridden(client):
    class A(Device):
        dev_one = device_property(dtype=str, default_value="dev one")
        dev_two = device_property(dtype=str, default_value="dev two")
        cls_one = class_property(dtype=str, default_value="class one")
        cls_two = class_property(dtype=str, default_value="class two")

        @command(dtype_out=(str,))
        def Props(self):
            return [self.dev_one, self.dev_two, self.cls_one, self.cls_two]

    class B(A):
        dev_two = device_property(dtype=str, default_value="B's dev two")
        cls_two = class_property(dtype=str, default_value="B's class two")

    ctx = MultiDeviceTestContext(({"class": A, "devices": [{"name": "hl/inh/a"}]},
                                  {"class": B, "devices": [{"name": "hl/inh/b"}]}))
    with ctx:
        assert list(client(ctx.get_device_access("hl/inh/a")).Props()) == [
            "dev one", "dev two", "class one", "class two"]
        assert list(client(ctx.get_device_access("hl/inh/b")).Props()) == [
            "dev one", "B's dev two", "class one", "B's class two"]


def test_init_device_runs_through_super_once_per_level():
    class A(Device):
        def init_device(self):
            super().init_device()
            self.count_a = getattr(self, "count_a", 0) + 1

        @command(dtype_out=(int,))
        def Counts(self):
            return [self.count_a, self.count_b]

    class B(A):
        def init_device(self):
            super().init_device()
            self.count_b = getattr(self, "count_b", 0) + 1

    with DeviceTestContext(B) as proxy:
        assert list(proxy.Counts()) == [1, 1]
        proxy.Init()
        assert list(proxy.Counts()) == [2, 2]


def test_inherited_attributes_both_styles_and_is_allowed(client):
    allowed = {"value": True}

    class A(Device):
        @attribute(access=AttrWriteType.READ_WRITE)
        def decorated(self):
            return self._decorated

        @decorated.setter
        def decorated(self, value):
            self._decorated = value

        @decorated.is_allowed
        def decorated(self, req_type):
            return allowed["value"]

        plain = attribute(access=AttrWriteType.READ_WRITE)

        def init_device(self):
            super().init_device()
            self._decorated = 0.0
            self._plain = 0.0

        def read_plain(self):
            return self._plain

        def write_plain(self, value):
            self._plain = value

        def is_plain_allowed(self, req_type):
            return allowed["value"]

    class B(A):
        pass

    ctx = DeviceTestContext(B)
    with ctx:
        p = client(ctx.get_device_access())
        p.write_attribute("decorated", 1.25)
        p.write_attribute("plain", 2.5)
        assert p.read_attribute("decorated").value == 1.25
        assert p.read_attribute("plain").value == 2.5
        allowed["value"] = False
        for name in ("decorated", "plain"):
            with pytest.raises(DEVFAILED) as info:
                p.read_attribute(name)
            assert _reason(info) == "API_AttrNotAllowed"
            assert _desc(info) == f"It is currently not allowed to read attribute {name}"
            with pytest.raises(DEVFAILED) as info:
                p.write_attribute(name, 1.0)
            assert _reason(info) == "API_AttrNotAllowed"


def test_command_is_allowed_by_name_by_method_name_and_by_function(client):
    allowed = {"value": True}

    def outside(self):
        return allowed["value"]

    class A(Device):
        @command(dtype_out=str)
        def ByConvention(self):
            return "convention"

        def is_ByConvention_allowed(self):
            return allowed["value"]

        @command(dtype_out=str, fisallowed="check")
        def ByName(self):
            return "name"

        def check(self):
            return allowed["value"]

        @command(dtype_out=str, fisallowed=outside)
        def ByFunction(self):
            return "function"

    class B(A):
        pass

    ctx = DeviceTestContext(B)
    with ctx:
        p = client(ctx.get_device_access())
        assert [p.command_inout(c) for c in ("ByConvention", "ByName", "ByFunction")] == [
            "convention", "name", "function"]
        allowed["value"] = False
        for c in ("ByConvention", "ByName", "ByFunction"):
            with pytest.raises(DEVFAILED) as info:
                p.command_inout(c)
            assert _reason(info) == "API_CommandNotAllowed"
            assert _desc(info) == f"Command {c} not allowed when the device is in UNKNOWN state"


# -- errors from device code ----------------------------------------------------------------------

def test_python_exceptions_and_tango_errors_reach_the_client(client):
    class Failing(Device):
        @attribute(dtype=float)
        def broken(self):
            return 1 / 0

        @command
        def Broken(self):
            raise ZeroDivisionError("no way")

        @command
        def Thrown(self):
            Except.throw_exception("MY_Reason", "my description", "Failing.Thrown")

    ctx = DeviceTestContext(Failing)
    with ctx:
        p = client(ctx.get_device_access())
        with pytest.raises(DEVFAILED) as info:
            p.read_attribute("broken")
        assert "ZeroDivisionError" in _desc(info)
        assert _reason(info) == "PyDs_PythonError"
        with pytest.raises(DEVFAILED) as info:
            p.command_inout("Broken")
        assert _reason(info) == "PyDs_PythonError"
        assert "ZeroDivisionError: no way" in _desc(info)
        with pytest.raises(DEVFAILED) as info:
            p.command_inout("Thrown")
        first = info.value.args[0]
        assert (first.reason, first.desc, first.origin) == ("MY_Reason", "my description", "Failing.Thrown")


# -- server_init_hook --------------------------------------------------------------------------------

def test_server_init_hook_runs_after_init_device():
    calls = []

    class Hooked(Device):
        def init_device(self):
            super().init_device()
            calls.append("init_device")
            self.set_state(DevState.INIT)

        def server_init_hook(self):
            calls.append("server_init_hook")
            self.set_state(DevState.ON)

    with DeviceTestContext(Hooked) as proxy:
        assert proxy.state() == DevState.ON
    assert calls == ["init_device", "server_init_hook"]


def test_server_init_hook_that_raises_leaves_the_device_in_fault(client):
    class Broken(Device):
        def server_init_hook(self):
            self.set_state(DevState.ON)
            raise RuntimeError("hook failed")

    ctx = DeviceTestContext(Broken)
    with ctx:
        assert client(ctx.get_device_access()).state() == DevState.FAULT


def test_asyncio_device_hooks_attributes_and_commands(client):
    class AsyncDevice(Device):
        green_mode = GreenMode.Asyncio

        async def init_device(self):
            await super().init_device()
            await asyncio.sleep(0.001)
            self.set_state(DevState.INIT)
            self._value = 1.5

        async def server_init_hook(self):
            await asyncio.sleep(0.001)
            self.set_state(DevState.ON)

        @attribute(dtype=float)
        async def value(self):
            await asyncio.sleep(0.001)
            return self._value

        @command(dtype_in=float, dtype_out=float)
        async def Twice(self, x):
            await asyncio.sleep(0.001)
            return 2 * x

    ctx = DeviceTestContext(AsyncDevice)
    with ctx:
        p = client(ctx.get_device_access())
        assert p.state() == DevState.ON
        assert p.read_attribute("value").value == 1.5
        assert p.command_inout("Twice", 4.0) == 8.0


# -- dynamic attributes and commands ---------------------------------------------------------------

def test_dynamic_attributes_and_commands(client):
    class Dynamic(Device):
        def initialize_dynamic_attributes(self):
            self._store = {"dyn_a": 1.0, "dyn_b": 2.0}
            for name in self._store:
                self.add_attribute(attribute(name=name, dtype=float, access=AttrWriteType.READ_WRITE,
                                             fget=self.read_dyn, fset=self.write_dyn))

        def read_dyn(self, attr):
            return self._store[attr.get_name()]

        def write_dyn(self, attr):
            self._store[attr.get_name()] = attr.get_write_value()

        @command(dtype_in=str)
        def Drop(self, name):
            self.remove_attribute(name)

        @command
        def AddCommand(self):
            self.add_command(command(f=self.dynamic_hello, dtype_out=str))

        def dynamic_hello(self):
            return "hello"

    ctx = DeviceTestContext(Dynamic)
    with ctx:
        p = client(ctx.get_device_access())
        assert {"dyn_a", "dyn_b"} <= set(p.get_attribute_list())
        p.write_attribute("dyn_b", 7.5)
        assert p.read_attribute("dyn_b").value == 7.5
        p.command_inout("Drop", "dyn_a")
        assert "dyn_a" not in p.get_attribute_list()
        with pytest.raises(DEVFAILED) as info:
            p.read_attribute("dyn_a")
        assert _reason(info) == "API_AttrNotFound"
        with pytest.raises(DEVFAILED):
            p.command_inout("dynamic_hello")
        p.command_inout("AddCommand")
        assert p.command_inout("dynamic_hello") == "hello"


# -- type hints -------------------------------------------------------------------------------------

def test_types_from_hints(client):
    class Hinted(Device):
        @attribute
        def as_float(self) -> float:
            return 1.5

        @attribute
        def as_int(self) -> int:
            return -3

        @attribute
        def as_str(self) -> str:
            return "text"

        @attribute
        def as_bool(self) -> bool:
            return True

        @attribute(max_dim_x=4)
        def as_list(self) -> list[float]:
            return [1.0, 2.0]

        @command
        def Describe(self, n: int) -> str:
            return f"n={n}"

    ctx = DeviceTestContext(Hinted)
    with ctx:
        p = client(ctx.get_device_access())
        assert p.read_attribute("as_float").value == 1.5
        assert p.read_attribute("as_int").value == -3
        assert p.read_attribute("as_str").value == "text"
        assert bool(p.read_attribute("as_bool").value) is True
        assert list(p.read_attribute("as_list").value) == [1.0, 2.0]
        assert p.command_inout("Describe", 3) == "n=3"
        assert int(p.get_attribute_config("as_int").data_type) == 23          # DevLong64
        assert int(p.get_attribute_config("as_bool").data_type) == 1          # DevBoolean
        assert int(p.command_query("Describe").in_type) == 23


# -- client identification ----------------------------------------------------------------------------

def test_client_identity_seen_by_the_device():
    seen = {}

    class Who(Device):
        @command
        def WhoCalls(self):
            seen["ident"] = self.get_client_ident()

    with DeviceTestContext(Who) as proxy:   # tango_core's client, in this process
        proxy.WhoCalls()
    ident = seen["ident"]
    assert ident.client_ident
    assert ident.client_lang == LockerLanguage.CPP_6
    assert ident.client_pid == os.getpid()
    assert ident.client_ip == "collocated client (c++ to c++ call)"


# -- test contexts --------------------------------------------------------------------------------------

def test_multi_device_context_names_and_properties():
    class Configured(Device):
        gain = device_property(dtype=float, default_value=1.0)

        @attribute(dtype=float)
        def gain_value(self):
            return self.gain

    ctx = MultiDeviceTestContext(({"class": Configured, "devices": [
        {"name": "hl/ctx/one", "properties": {"gain": 2.5}},
        {"name": "hl/ctx/two"}]},))
    with ctx:
        assert ctx.get_device("hl/ctx/one").gain_value == 2.5
        assert ctx.get_device("hl/ctx/two").gain_value == 1.0
        assert ctx.get_device_access("hl/ctx/one").endswith("/hl/ctx/one#dbase=no")
        assert ctx.get_server_access().endswith("#dbase=no")
        assert "dserver/" in ctx.get_server_access()


def test_device_context_in_a_process_answers_the_same():
    with DeviceTestContext(_ProcessDevice, process=True) as proxy:
        assert proxy.state() == DevState.ON
        assert proxy.Echo("x") == "x"
        assert proxy.pid_value != os.getpid()


def test_one_device_server_per_process_as_with_cppTango():
    """A second server in this process is refused while the first runs (PyTango's fails too:
    cppTango has one ORB and one Util per process), with a clear error; servers in child
    processes and a server started after the first stopped are fine."""
    first = DeviceTestContext(_ProcessDevice, device_name="hl/first/1")
    with first:
        second = DeviceTestContext(_OtherDevice)
        with pytest.raises(DEVFAILED) as refused:
            second.start()
        assert _reason(refused) == "API_ServerAlreadyRunning"
        assert _desc(refused).startswith("The device server _ProcessDevice/_processdevice already runs in "
                                          "this process")
        second.delete_db()
        with DeviceTestContext(_OtherDevice, process=True) as in_child:
            assert in_child.Echo("child") == "child"
        assert first.get_device("hl/first/1").Echo("still here") == "still here"
    with DeviceTestContext(_OtherDevice) as after:
        assert after.Echo("after") == "after"


class _ProcessDevice(Device):
    """Module level: a ``process=True`` context imports it in the child."""

    def init_device(self):
        super().init_device()
        self.set_state(DevState.ON)

    @attribute(dtype=int)
    def pid_value(self):
        return os.getpid()

    @command(dtype_in=str, dtype_out=str)
    def Echo(self, text):
        return text


def test_command_descriptions_come_from_the_docstring():
    """Without doc_in/doc_out, a command's argument and result descriptions are read from its
    docstring (reST here; Google, NumPy and Epydoc too) when docstring_parser is installed."""
    pytest.importorskip("docstring_parser")

    class Documented(Device):
        @command
        def scale(self, factor: float) -> float:
            """
            :param factor: how much larger
            :type factor: float
            :return: the scaled reading
            :rtype: float
            """
            return 2.0 * factor

        @command(doc_in="given wins")
        def given(self, factor: float) -> float:
            """
            :param factor: not used
            :return: the same
            """
            return factor

    with DeviceTestContext(Documented) as proxy:
        scale = proxy.get_command_config("scale")
        assert (scale.in_type_desc, scale.out_type_desc) == ("factor (float): how much larger",
                                                             "returns (float): the scaled reading")
        given = proxy.get_command_config("given")
        assert (given.in_type_desc, given.out_type_desc) == ("given wins", "returns (None): the same")


def test_attribute_properties_read_and_set_from_device_code():
    """Device code reads every configuration property of an attribute in one MultiAttrProp and
    sets them all at once; clients see the change; a value refused changes nothing."""
    from tango_core import Attribute, DevFailed, MultiAttrProp

    class Configured(Device):
        @attribute(dtype=float, unit="mm", max_value=10.0)
        def position(self) -> float:
            return 1.0

        @command(dtype_out=str)
        def relabel(self) -> str:
            attr = self.get_device_attr().get_attr_by_name("position")
            assert isinstance(attr, Attribute)
            props = attr.get_properties()
            assert isinstance(props, MultiAttrProp)
            seen = f"{props.label}|{props.unit}|{props.max_value}"
            props.label, props.unit = "Position", "um"
            attr.set_properties(props)
            props.max_value = "not a number"
            try:
                attr.set_properties(props)
            except DevFailed as exc:
                seen += "|refused " + exc.args[0].reason
            return seen

    with DeviceTestContext(Configured) as proxy:
        assert proxy.relabel() == "position|mm|10.0|refused API_AttrOptProp"  # as a PyTango server
        config = proxy.get_attribute_config("position")
        assert (config.label, config.unit, config.max_value) == ("Position", "um", "10.0")


class _OtherDevice(_ProcessDevice):
    """Another device class (module level: ``process=True`` imports it in the child)."""
