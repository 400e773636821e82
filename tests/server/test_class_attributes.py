"""A device class's attribute definitions as its devices' code sees them, the same as on PyTango.

``Util.instance().get_class_list()`` gives the server's DeviceClass objects;
``DeviceClass.get_class_attr()`` their MultiClassAttribute, whose ``get_attr_list()`` is the
tuple of class-level ``Attr`` objects (declaration order, then what devices added);
``AttrData.att_prop`` shows the declared default properties and ``to_attr()`` builds an Attr.
``tests/servers/ClassAttributesServer.py`` runs once on PyTango 10.3.1 and once on tango_core,
without a database, and reports all this through commands; the answers must be the same.  The
tests after those run devices in this process (DeviceTestContext) for what only tango_core can
show: that att_prop and the class's Attr objects are what the devices' attributes come from.
"""

from __future__ import annotations

import json

import pytest

from server_clients import tango_core_proxy
from tango_core import Attr, AttrData, AttrWriteType, DevFailed, MultiClassAttribute, UserDefaultAttrProp
from tango_core.server import Device, attribute, command
from tango_core.test_context import DeviceTestContext

DEVICES = ["test/classattrs/1", "test/classattrs/2"]


def _served_by_both(log_dir):
    import peers
    return peers.served_by_both("ClassAttributesServer", ("classref", "classcore"), device_names=DEVICES,
                                device_class="ClassAttributes", log_dir=log_dir)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(PyTango's, tango_core's) ClassAttributesServer, two devices each, for the tests that only ask."""
    with _served_by_both(tmp_path_factory.mktemp("logs")) as both:
        yield both


@pytest.fixture
def fresh_servers(peer_log_dir):
    """The same, started for one test that changes the devices' attributes."""
    with _served_by_both(peer_log_dir) as both:
        yield both


def _answers(servers, command, *args, index=0):
    """``command``'s JSON answer from PyTango's device and from tango_core's: (PyTango's, ours)."""
    return tuple(json.loads(tango_core_proxy(server.devices[index]).command_inout(command, *args))
                 for server in servers)


@pytest.mark.peers
def test_class_list_and_class_attributes_as_on_pytango(servers):
    reference, ours = _answers(servers, "ClassList")
    assert ours == reference
    [cls] = ours
    assert cls["name"] == "ClassAttributes"
    assert cls["is_device_class"] and cls["multi_class_attribute"] and cls["tuple"]
    assert [a["name"] for a in cls["attrs"]] == ["setpoint", "spectrum", "image", "labelled", "chosen",
                                                 "dynamic", "from_dict"]
    assert all(a["is_attr"] for a in cls["attrs"])
    setpoint = cls["attrs"][0]
    assert (setpoint["writable"], setpoint["memorized"], setpoint["memorized_init"], setpoint["polling_period"]) \
        == ("READ_WRITE", True, False, 300)
    assert (cls["attrs"][1]["format"], cls["attrs"][1]["disp_level"]) == ("SPECTRUM", "EXPERT")


@pytest.mark.peers
@pytest.mark.parametrize("name", ["SETPOINT", "from_dict", "no_such_attribute"])
def test_one_class_attribute_by_name_as_on_pytango(servers, name):
    reference, ours = _answers(servers, "ClassAttr", name)
    if "reason" in reference:   # cppTango's error text names its C++ source in the origin only
        assert ours == reference == {"reason": "API_AttrOptProp",
                                     "desc": f"Attribute {name} not found in class attribute(s)"}
    else:
        assert ours == reference


@pytest.mark.peers
def test_device_attribute_list_as_on_pytango(servers):
    reference, ours = _answers(servers, "DeviceAttributes")
    assert ours == reference
    assert ours["tuple"]
    assert ours["attrs"][0] == ["setpoint", True] and ours["attrs"][1] == ["spectrum", False]
    assert [name for name, _ in ours["attrs"][-2:]] == ["State", "Status"]


@pytest.mark.peers
def test_default_properties_changed_through_att_prop_are_served(servers):
    """``attr.att_prop.set_label(...)`` and ``set_enum_labels_to_attr_prop`` in the class body
    are what clients get, on both servers."""
    configs = [tango_core_proxy(server.devices[0]).get_attribute_config_ex(["labelled", "chosen"])
               for server in servers]
    seen = [(c[0].label, c[0].max_value, list(c[1].enum_labels)) for c in configs]
    assert seen[1] == seen[0] == ("second label", "99", ["red", "green"])


@pytest.mark.peers
def test_to_attr_gives_the_attribute_declared(servers):
    """A dynamic attribute made with ``AttrData.from_dict(...).to_attr()`` is served with its label."""
    configs = [tango_core_proxy(server.devices[0]).get_attribute_config("from_dict") for server in servers]
    assert [c.label for c in configs] == ["made from a dict"] * 2
    assert [str(c.writable) for c in configs] == ["READ_WRITE"] * 2


@pytest.mark.peers
@pytest.mark.parametrize("declaration", [
    {"delta_time": 1234},
    {"doc": "the doc", "Label": "L", "unit": "mm", "min_value": 1.5, "period": 250, "event_abs_change": 2,
     "archive_event_period": 9, "delta t": 4, "enum_labels": ["a", "b"]},
    {},
    {"memorized": True, "klass": "x"},
    {"DELTA_TIME": 5},
    {"Doc": "wrong case"},
    {"I DONT EXIST": None},
], ids=["delta_time", "many", "none", "no_properties", "DELTA_TIME", "Doc", "unknown"])
def test_att_prop_of_from_dict_as_on_pytango(servers, declaration):
    given = json.dumps({"name": "some_attr", "class_name": "some_class", **declaration})
    reference, ours = _answers(servers, "DefaultProperties", given)
    assert ours == reference


@pytest.mark.peers
@pytest.mark.parametrize("declaration", [
    {"memorized": True, "fread": "read_x", "fwrite": "write_x", "polling_period": 123},
    {"memorized": True, "hw_memorized": True, "access": 3, "display_level": 1},
    {"dtype": 3, "dformat": 1, "max_dim_x": 5, "klass": "SpectrumAttr"},
])
def test_to_attr_as_on_pytango(servers, declaration):
    given = json.dumps({"name": "some_attr", "class_name": "some_class", **declaration})
    reference, ours = _answers(servers, "ToAttr", given)
    assert ours == reference


@pytest.mark.peers
def test_class_forgets_an_attribute_when_its_last_device_removes_it(fresh_servers):
    """As in cppTango: the class keeps a removed attribute while another device has it."""
    answers = []
    for server in fresh_servers:
        first, second = (tango_core_proxy(trl) for trl in server.devices)
        answers.append((list(first.command_inout("RemoveAndList", "dynamic")),
                        list(second.command_inout("RemoveAndList", "dynamic"))))
    assert answers[1] == answers[0]
    after_first, after_both = answers[1]
    assert "dynamic" in after_first and "dynamic" not in after_both


@pytest.mark.peers
def test_a_device_restarted_is_made_from_the_class_attr(fresh_servers):
    """The class's Attr is the definition devices are made from: new default properties given to
    it are served by a device made afterwards (admin DevRestart), not by one already there."""
    seen = []
    for server in fresh_servers:
        first, second = (tango_core_proxy(trl) for trl in server.devices)
        first.command_inout("RelabelClassAttr", ["spectrum", "relabelled in the class"])
        before = second.get_attribute_config("spectrum").label
        tango_core_proxy(second.adm_name()).command_inout("DevRestart", second.dev_name())
        seen.append((before, second.get_attribute_config("spectrum").label))
    assert seen[1] == seen[0] == ("spectrum", "relabelled in the class")


# -- in this process: att_prop and the class's Attr objects are what devices are made from ---------------

def test_att_prop_is_a_view_of_what_the_devices_serve():
    class Viewed(Device):
        volts = attribute(dtype=int, unit="V", min_value=1, fget=lambda self: 3)

        @command(dtype_out=str)
        def Defaults(self):
            prop = type(self).volts.att_prop
            return json.dumps([prop.unit, prop.min_value])

    declared = Viewed.volts
    assert declared.att_prop.unit == "V"
    declared.att_prop.unit = "mV"
    assert declared.props["unit"] == "mV"
    with DeviceTestContext(Viewed) as proxy:
        config = proxy.get_attribute_config("volts")
        # the string a client gets is the one att_prop shows
        assert json.loads(proxy.Defaults()) == [config.unit, config.min_value] == ["mV", "1"]


def test_att_prop_setters_take_strings_and_none_when_nothing_declared():
    data = AttrData.from_dict({"name": "x", "class_name": "C"})
    assert data.att_prop is None
    data.set_enum_labels_to_attr_prop(["one", "two"])
    assert data.att_prop.enum_labels == "one,two"
    with pytest.raises(TypeError):
        data.att_prop.set_label(3)
    holder = UserDefaultAttrProp()
    holder.set_delta_t("50")
    holder.set_enum_labels(["a"])
    data.att_prop = holder          # replaced by a copy: the holder stays the user's
    holder.set_delta_t("60")
    assert (data.att_prop.delta_t, data.att_prop.enum_labels, data.props) == ("50", "a", {"delta_t": "50"})


def test_dynamic_attribute_joins_the_class_once_and_add_attribute_returns_its_attr():
    class Growing(Device):
        @command(dtype_in=str, dtype_out=[str])
        def Grow(self, name):
            for value in (1, 2):   # the second replaces the device's attribute; the class lists one
                made = self.add_attribute(attribute(name=name, dtype=int, fget=lambda self, attr, v=value: v))
                if not (isinstance(made, Attr) and made.get_name() == name):
                    raise TypeError(f"add_attribute returned {made!r}")
            return [a.get_name() for a in self.get_device_class().get_class_attr().get_attr_list()]

    with DeviceTestContext(Growing) as proxy:
        assert list(proxy.Grow("extra")) == ["extra"]
        assert proxy.read_attribute("extra").value == 2


def test_multi_class_attribute_by_itself():
    first, second = Attr("first", 2), Attr("second", 5, AttrWriteType.READ_WRITE)
    mca = MultiClassAttribute([first, second])
    assert mca.get_attr_list() == (first, second)
    assert mca.get_attr("FIRST") is first
    with pytest.raises(DevFailed) as info:
        mca.get_attr("third")
    assert info.value.args[0].reason == "API_AttrOptProp"
    mca.remove_attr("first", "SomethingElse")   # another cl_name: kept
    assert mca.get_attr_list() == (first, second)
    mca.remove_attr("first", "Attr")
    assert mca.get_attr_list() == (second,)
    assert repr(second) == "Attr(second)"
    assert (second.get_memorized_init(), second.get_polling_period(), second.get_assoc()) == (True, 0, "None")

