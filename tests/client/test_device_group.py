"""Group (PyTango's tango.Group) over TangoTest and the database device, PyTango as the oracle."""

from __future__ import annotations

import pytest

import tango  # test peer only: the oracle
from tango_core import DevFailed, DevState, Group, GroupAttrReply, GroupCmdReply


def _build(module, name="compat"):
    g = module.Group(name)
    g.add("sys/tg_test/*")
    g.add("sys/database/2")
    sub = module.Group("sub")
    sub.add("sys/tg_test/1")
    g.add(sub)
    return g


def test_membership_like_pytango(tango_host, tangotest):
    ours, ref = _build(__import__("tango_core")), _build(tango)
    assert repr(ours) == str(ours) == repr(ref) == "Group(compat)"
    for forward in (True, False):
        assert ours.get_device_list(forward) == list(ref.get_device_list(forward))
        assert ours.get_size(forward) == ref.get_size(forward)
    assert ours.contains("sys/tg_test/1") and not ours.contains("nope")
    assert repr(ours.get_device("sys/tg_test/1")) == "TangoTest(sys/tg_test/1)"
    assert repr(ours.get_device(2)) == repr(ref.get_device(2))
    assert ours.get_group("sub").get_fully_qualified_name() == "compat.sub"
    ours.remove("sys/database/2")
    ref.remove("sys/database/2")
    assert ours.get_device_list() == list(ref.get_device_list())


def test_calls_reply_per_device_like_pytango(tango_host, tangotest):
    ours, ref = _build(__import__("tango_core")), _build(tango)
    for call in (lambda g: g.command_inout("State"), lambda g: g.read_attribute("double_scalar"),
                 lambda g: g.command_inout("DevDouble", 1.5), lambda g: g.write_attribute("long_scalar", 3)):
        a, b = call(ours), call(ref)
        assert [(r.dev_name(), r.obj_name(), r.has_failed(), r.group_element_enabled()) for r in a] == \
               [(r.dev_name(), r.obj_name(), r.has_failed(), r.group_element_enabled()) for r in b]
        assert [[e.reason for e in r.get_err_stack()] for r in a] == [[e.reason for e in r.get_err_stack()] for r in b]
    replies = ours.command_inout("State")
    assert isinstance(replies[0], GroupCmdReply) and replies[0].get_data() == DevState.RUNNING
    attrs = ours.read_attribute("double_scalar")
    assert isinstance(attrs[0], GroupAttrReply) and isinstance(attrs[0].get_data().value, float)
    with pytest.raises(DevFailed) as info:
        attrs[1].get_data()  # sys/database/2 has no double_scalar
    assert info.value.args[0].reason == "API_AttrNotFound"
    assert ours.ping()


def test_disable_and_asynch(tango_host, tangotest):
    g = Group("g")
    g.add(["sys/tg_test/1", "sys/database/2"])
    g.disable("sys/database/2")
    assert not g.is_enabled("sys/database/2") and g.is_enabled("sys/tg_test/1")
    replies = g.command_inout("State")
    assert [r.group_element_enabled() for r in replies] == [True, False]
    g.enable("sys/database/2")
    idx = g.read_attributes_asynch(["State", "Status"])
    replies = g.read_attributes_reply(idx, 5000)
    assert [(r.dev_name(), r.obj_name()) for r in replies] == [
        ("sys/tg_test/1", "State"), ("sys/tg_test/1", "Status"), ("sys/database/2", "State"),
        ("sys/database/2", "Status")]
    idx = g.write_attribute_asynch("long_scalar", 5)
    assert [r.has_failed() for r in g.write_attribute_reply(idx)] == [False, True]
