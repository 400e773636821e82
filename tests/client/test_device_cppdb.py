"""DeviceProxy through the production-style C++ DataBaseds (MariaDB) and its TangoTest.

The name carries the database explicitly (``tango://host:port/sys/tg_test/1``), the way users
reach a control system other than their TANGO_HOST; everything derived from it (admin device,
properties, polling) must stay on that database.
"""

from __future__ import annotations

import pytest

import tango  # test peer only: the oracle
from tango_core import AttributeProxy, DeviceProxy, DevState


@pytest.fixture(scope="module")
def names(cpp_tango_host):
    return f"tango://{cpp_tango_host}/sys/tg_test/1"


def test_device_through_cpp_database(names, cpp_tango_host):
    dev, ref = DeviceProxy(names), tango.DeviceProxy(names)
    assert dev.state() == DevState.RUNNING
    assert repr(dev) == repr(ref) == "TangoTest(sys/tg_test/1)"
    assert dev.get_db_host() == ref.get_db_host() and dev.get_db_port() == ref.get_db_port()
    assert dev.adm_name() == f"tango://{cpp_tango_host}/dserver/TangoTest/test"
    assert dev.DevDouble(2.5) == 2.5
    assert dev.read_attribute("long_scalar").type == tango.CmdArgType.DevLong
    assert str(dev.attribute_query("double_scalar")) == str(ref.attribute_query("double_scalar"))


def test_properties_and_polling_stay_on_that_database(names):
    dev, ref = DeviceProxy(names), tango.DeviceProxy(names)
    dev.put_property({"tc_cpp_prop": ["a", "b"]})
    try:
        assert ref.get_property("tc_cpp_prop") == {"tc_cpp_prop": ["a", "b"]}
        assert dev.get_property("tc_cpp_prop") == {"tc_cpp_prop": ["a", "b"]}
    finally:
        dev.delete_property("tc_cpp_prop")
    dev.poll_attribute("long_scalar", 500)
    try:
        assert ref.get_attribute_poll_period("long_scalar") == 500
    finally:
        dev.stop_poll_attribute("long_scalar")
    assert not ref.is_attribute_polled("long_scalar")


def test_attribute_proxy_through_cpp_database(names):
    ap = AttributeProxy(names + "/double_scalar")
    assert ap.name() == "double_scalar"
    assert isinstance(ap.read().value, float)
    assert ap.get_device_proxy().state() == DevState.RUNNING


def test_proxy_stays_in_its_database_after_a_default_switch(tango_host, tangotest, cpp_tango_host):
    """ITango's %switchdb changes the default database; existing proxies keep theirs."""
    from tango_core.client.names import set_default_tango_host

    dev = DeviceProxy("sys/tg_test/1")  # in tango_host (the default now)
    ref = tango.DeviceProxy(f"tango://{tango_host}/sys/tg_test/1")
    set_default_tango_host(cpp_tango_host)
    try:
        assert DeviceProxy("sys/tg_test/1").get_db_port() == cpp_tango_host.split(":")[1]
        assert dev.get_db_port() == tango_host.split(":")[1]
        dev.put_property({"tc_switch": "1"})
        assert ref.get_property("tc_switch") == {"tc_switch": ["1"]}
        dev.delete_property("tc_switch")
        dev.poll_attribute("short_scalar", 700)
        try:
            assert ref.get_attribute_poll_period("short_scalar") == 700
        finally:
            dev.stop_poll_attribute("short_scalar")
    finally:
        set_default_tango_host(None)
