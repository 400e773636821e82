"""AttributeProxy (PyTango's names and semantics) on TangoTest (DB) and a PyTango no-DB server."""

from __future__ import annotations

import pytest

import tango  # test peer only: the oracle
from tango_core import (Attribute, AttributeProxy, DevFailed, DeviceProxy, DevState, NonDbDevice,
                        WrongNameSyntax)

DEV = "sys/tg_test/1"


def test_attribute_proxy_on_tangotest(tango_host, tangotest):
    ap = AttributeProxy(f"{DEV}/double_scalar")
    ref = tango.AttributeProxy(f"{DEV}/double_scalar")
    assert repr(ap) == str(ap) == repr(ref) == "AttributeProxy(double_scalar)"
    assert ap.name() == ref.name()
    assert repr(ap.get_device_proxy()) == "TangoTest(sys/tg_test/1)"
    assert isinstance(ap.read().value, float)
    ap.write(4.5)
    assert ref.read().w_value == 4.5
    assert ap.write_read(5.5).w_value == 5.5
    assert ap.state() == DevState.RUNNING and ap.status() == ref.status()
    assert str(ap.get_config()) == str(ref.get_config())
    assert not ap.is_polled() and ap.get_poll_period() == 0
    ap.poll(400)
    try:
        assert ref.is_polled() and ref.get_poll_period() == 400
    finally:
        ap.stop_poll()
    ap.put_property({"tc_attr_prop": "7"})
    try:
        assert ap.get_property("tc_attr_prop") == ref.get_property("tc_attr_prop") == {"tc_attr_prop": ["7"]}
    finally:
        ap.delete_property("tc_attr_prop")
    assert ref.get_property("tc_attr_prop") == {"tc_attr_prop": []}
    other = AttributeProxy(ap.get_device_proxy(), "long_scalar")
    assert other.name() == "long_scalar" and isinstance(other.read().value, int)


def test_transparency_reconnection_is_the_device_proxys(tango_host, tangotest):
    """As in PyTango, the AttributeProxy's flag is its device proxy's: set on one, seen on both."""
    for module in (tango, __import__("tango_core")):
        ap = module.AttributeProxy(f"{DEV}/double_scalar")
        dev = ap.get_device_proxy()
        assert ap.get_transparency_reconnection() is True and dev.get_transparency_reconnection() is True
        ap.set_transparency_reconnection(False)
        assert ap.get_transparency_reconnection() is False, module.__name__
        assert dev.get_transparency_reconnection() is False, module.__name__
        dev.set_transparency_reconnection(True)
        assert ap.get_transparency_reconnection() is True, module.__name__


def test_aliases(tango_host, tangotest):
    db = tango.Database()
    db.put_device_alias(DEV, "tc_tg_alias")
    db.put_attribute_alias(f"{DEV}/double_scalar", "tc_ds_alias")
    try:
        d = DeviceProxy("tc_tg_alias")
        assert d.dev_name() == DEV and repr(d) == "TangoTest(sys/tg_test/1)"
        assert d.alias() == "tc_tg_alias"
        ap = AttributeProxy("tc_ds_alias")
        assert ap.name() == "double_scalar" and ap.get_device_proxy().dev_name() == DEV
        assert AttributeProxy("tc_tg_alias/long_scalar").name() == "long_scalar"
    finally:
        db.delete_device_alias("tc_tg_alias")
        db.delete_attribute_alias("tc_ds_alias")



def test_attribute_proxy_no_db(nodb_server):
    base = nodb_server.device  # tango://127.0.0.1:P/test/nodb/1#dbase=no
    name = base.replace("#dbase=no", "/double_rw#dbase=no")
    ap, ref = AttributeProxy(name), tango.AttributeProxy(name)
    assert repr(ap) == repr(ref) == "AttributeProxy(double_rw)"
    assert ap.get_device_proxy().dev_name() == ref.get_device_proxy().dev_name() == "test/nodb/1"
    ap.write(12.5)
    assert ref.read().w_value == 12.5
    da = ap.read()
    assert da.name == "double_rw" and da.w_value == 12.5
    assert str(ap.get_config()) == str(ref.get_config())
    assert ap.state() == DevState.ON
    with pytest.raises(NonDbDevice):
        ap.get_property("x")
    # tango.Attribute is the device server's attribute class (PyTango's), not a proxy
    assert Attribute is not AttributeProxy and hasattr(Attribute, "set_value") and hasattr(tango.Attribute, "set_value")


def test_attribute_proxy_errors(nodb_server):
    base = nodb_server.device
    with pytest.raises(WrongNameSyntax):
        AttributeProxy("a/b/c/d/e")
    name = base.replace("#dbase=no", "/no_such_attr#dbase=no")
    with pytest.raises(WrongNameSyntax) as info:  # refused at construction, as PyTango does
        AttributeProxy(name)
    with pytest.raises(tango.WrongNameSyntax) as theirs:
        tango.AttributeProxy(name)
    assert [(e.reason, e.desc) for e in info.value.args] == [(e.reason, e.desc) for e in theirs.value.args]
    failing = AttributeProxy(DeviceProxy(base), "failing_read")
    with pytest.raises(DevFailed) as info:
        failing.read()
    assert info.value.args[0].reason == "TestDevice_ReadFailed"
