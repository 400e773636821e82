"""Name parsing: TANGO_HOST, full names, #dbase=no, aliases, run-time default database."""

import pytest

from tango_core.client import names
from tango_core.client.names import (DeviceName, parse_attribute_name, parse_device_name, parse_tango_host,
                                     set_default_tango_host, get_default_tango_host)
from tango_core.idl.errors import ConnectionFailed, WrongNameSyntax


@pytest.fixture(autouse=True)
def _isolated_tango_host(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TANGO_HOST", "dbhost:10001")
    set_default_tango_host(None)
    yield
    set_default_tango_host(None)


def reason(exc_info):
    return exc_info.value.args[0].reason


@pytest.mark.parametrize("text, replicas", [
    ("h:1234", (("h", 1234),)),
    ("h1:1,h2:2", (("h1", 1), ("h2", 2))),
    ("h", (("h", 10000),)),
    (" 127.0.0.1:20000 ", (("127.0.0.1", 20000),)),
])
def test_tango_host_syntax(text, replicas):
    assert parse_tango_host(text).replicas == replicas


@pytest.mark.parametrize("text", ["h:abc", "h:0", "h:70000", ":1000", ""])
def test_bad_tango_host_is_api_tango_host_not_set(text):
    with pytest.raises(ConnectionFailed) as ei:
        parse_tango_host(text)
    assert reason(ei) == "API_TangoHostNotSet"


def test_tango_host_from_rc_files(monkeypatch, tmp_path):
    monkeypatch.delenv("TANGO_HOST")
    (tmp_path / ".tangorc").write_text("# comment\nTANGO_HOST=rchost:12345 # trailing\n")
    assert get_default_tango_host().replicas == (("rchost", 12345),)


def test_missing_tango_host(monkeypatch, tmp_path):
    monkeypatch.delenv("TANGO_HOST")
    monkeypatch.setattr(names, "Path", _NoEtc(tmp_path))
    with pytest.raises(ConnectionFailed) as ei:
        parse_device_name("a/b/c").tango_host()
    assert reason(ei) == "API_TangoHostNotSet"


class _NoEtc:
    """Path stand-in so /etc/tangorc of the test machine cannot leak in."""
    def __init__(self, home):
        from pathlib import Path
        self._home = Path(home)
        self._Path = Path

    def home(self):
        return self._home

    def __call__(self, p):
        return self._home / "no-such-etc-tangorc"


def test_default_database_switch_changes_short_name_resolution():
    dev = parse_device_name("sys/tg_test/1")
    assert dev.tango_host().replicas == (("dbhost", 10001),)
    set_default_tango_host("otherdb:20000")
    assert dev.tango_host().replicas == (("otherdb", 20000),)
    assert parse_device_name("sys/tg_test/1").full_name() == "tango://otherdb:20000/sys/tg_test/1"
    set_default_tango_host(None)
    assert dev.tango_host().replicas == (("dbhost", 10001),)


@pytest.mark.parametrize("text, expected", [
    ("sys/tg_test/1", DeviceName("sys/tg_test/1")),
    ("Sys/TG_Test/1", DeviceName("Sys/TG_Test/1")),
    ("tango://h:123/a/b/c", DeviceName("a/b/c", "h", 123)),
    ("TANGO://h:123/a/b/c", DeviceName("a/b/c", "h", 123)),
    ("//h:123/a/b/c", DeviceName("a/b/c", "h", 123)),
    ("h:123/a/b/c", DeviceName("a/b/c", "h", 123)),
    ("tango://a/b/c", DeviceName("a/b/c")),
    ("//a/b/c", DeviceName("a/b/c")),
    ("tango://h:123/a/b/c#dbase=no", DeviceName("a/b/c", "h", 123, dbase=False)),
    ("tango://h:123/a/b/c#DBASE=yes", DeviceName("a/b/c", "h", 123)),
    ("myalias", DeviceName("myalias", is_alias=True)),
    ("tango://h:123/myalias", DeviceName("myalias", "h", 123, is_alias=True)),
])
def test_device_names(text, expected):
    assert parse_device_name(text) == expected


def test_case_kept_for_display_and_lowered_for_keys():
    d = parse_device_name("tango://h:1/Sys/TG_Test/1#dbase=no")
    assert d.name == "Sys/TG_Test/1" and d.key == "sys/tg_test/1"
    assert d.full_name() == "tango://h:1/Sys/TG_Test/1#dbase=no"


@pytest.mark.parametrize("text, why", [
    ("", "API_WrongDeviceNameSyntax"),
    ("a/b", "API_WrongDeviceNameSyntax"),
    ("a//c", "API_WrongDeviceNameSyntax"),
    ("a/b/c/d", "API_WrongDeviceNameSyntax"),
    ("/b/c", "API_WrongDeviceNameSyntax"),
    ("http://h:1/a/b/c", "API_UnsupportedProtocol"),
    ("a/b/c#dbase=maybe", "API_UnsupportedDBaseModifier"),
    ("a/b/c#dbase=no", "API_WrongDeviceNameSyntax"),       # no-DB needs host:port
    ("tango://h:1/alias#dbase=no", "API_WrongDeviceNameSyntax"),  # no aliases without a DB
    ("tango://h:xx/a/b/c", "API_WrongDeviceNameSyntax"),
    ("ali->as", "API_WrongDeviceNameSyntax"),
    ("tango://h:1", "API_WrongDeviceNameSyntax"),
    ("tango://nohost/a/b/c", "API_WrongDeviceNameSyntax"),  # a port is required in a full name
])
def test_bad_device_names(text, why):
    with pytest.raises(WrongNameSyntax) as ei:
        parse_device_name(text)
    assert reason(ei) == why
    assert ei.value.args[0].origin == "DeviceProxy::parse_name()"


def test_unsupported_protocol_desc_is_cpptango_text():
    with pytest.raises(WrongNameSyntax) as ei:
        parse_device_name("http://h:1/a/b/c")
    assert ei.value.args[0].desc == "http protocol is an unsupported protocol"


def test_attribute_names():
    a = parse_attribute_name("tango://h:1/a/b/c/Double_Scalar#dbase=no")
    assert a.device == DeviceName("a/b/c", "h", 1, dbase=False) and a.attribute == "Double_Scalar"
    assert a.full_name() == "tango://h:1/a/b/c/Double_Scalar#dbase=no"
    a = parse_attribute_name("sys/tg_test/1/double_scalar")
    assert a.device.name == "sys/tg_test/1" and not a.is_alias
    a = parse_attribute_name("devalias/double_scalar")
    assert a.device.is_alias and a.device.name == "devalias" and a.attribute == "double_scalar"
    a = parse_attribute_name("attralias")
    assert a.is_alias and a.alias == "attralias"


@pytest.mark.parametrize("text", ["a/b/c", "a/b/c/d/e", "a//c/d", "tango://h:1/attralias#dbase=no", ""])
def test_bad_attribute_names(text):
    with pytest.raises(WrongNameSyntax) as ei:
        parse_attribute_name(text)
    assert reason(ei) == "API_WrongAttributeNameSyntax"


# -- properties -------------------------------------------------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402

_field = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", min_size=1,
                 max_size=12)
_host = st.sampled_from(["127.0.0.1", "localhost", "db.example.org", "CtrlHost"])
_port = st.integers(min_value=1, max_value=65535)


@given(_field, _field, _field, _host, _port, st.booleans())
def test_full_names_round_trip(domain, family, member, host, port, dbase):
    dev = DeviceName(f"{domain}/{family}/{member}", host, port, dbase)
    parsed = parse_device_name(dev.full_name())
    assert parsed == dev
    assert parse_device_name(dev.full_name().upper()).key == dev.key


@given(_field, _field, _field, _field, _host, _port, st.booleans())
def test_attribute_full_names_round_trip(domain, family, member, attr, host, port, dbase):
    text = f"tango://{host}:{port}/{domain}/{family}/{member}/{attr}" + ("" if dbase else "#dbase=no")
    parsed = parse_attribute_name(text)
    assert parsed.attribute == attr and parsed.device.name == f"{domain}/{family}/{member}"
    assert parsed.full_name() == text


@given(st.text(max_size=40))
def test_parsing_never_fails_with_anything_but_wrong_name_syntax(text):
    for parse in (parse_device_name, parse_attribute_name):
        try:
            parse(text)
        except WrongNameSyntax:
            pass


@pytest.mark.parametrize("text", ["", "a/b", "a//c", "a/b/c/d", "/b/c", "http://h:1/a/b/c", "a/b/c#dbase=maybe",
                                  "a/b/c#dbase=no", "tango://h:1/alias#dbase=no", "ali->as", "tango://h:1",
                                  "ali:as", "tango://nohost/a/b/c", "tango://nohost/alias"])
def test_name_errors_are_pytangos(text, monkeypatch):
    """Same exception class, reason and description as PyTango 10.3.1 (the test peer, as oracle)."""
    tango = pytest.importorskip("tango")
    monkeypatch.setenv("TANGO_HOST", "127.0.0.1:1")
    with pytest.raises(tango.DevFailed) as ref:
        tango.DeviceProxy(text)
    with pytest.raises(WrongNameSyntax) as ours:
        parse_device_name(text)
    assert type(ref.value).__name__ == "WrongNameSyntax"
    assert (ours.value.args[0].reason, ours.value.args[0].desc) == (ref.value.args[0].reason, ref.value.args[0].desc)


@pytest.mark.parametrize("port", [0, 70000])
def test_any_port_number_makes_a_proxy_that_fails_when_it_connects_as_pytangos(port):
    """cppTango checks no port range in a name: ``tango://127.0.0.1:0/a/b/c#dbase=no`` is a proxy
    (PyTango's own tests make one to try subscribe_event's signatures), and its first call fails
    to connect.  Same reason as PyTango 10.3.1's, on the same name."""
    tango = pytest.importorskip("tango")
    import tango_core

    text = f"tango://127.0.0.1:{port}/dummy/test/device#dbase=no"
    assert parse_device_name(text) == DeviceName("dummy/test/device", "127.0.0.1", port, dbase=False)
    ours, ref = tango_core.DeviceProxy(text), tango.DeviceProxy(text)
    assert (ours.dev_name(), ours.get_dev_host(), ours.get_dev_port()) == ("dummy/test/device", "127.0.0.1", str(port))
    assert (ref.dev_name(), ref.get_dev_host(), ref.get_dev_port()) == ("dummy/test/device", "127.0.0.1", str(port))
    with pytest.raises(tango.DevFailed) as ref_failure:
        ref.state()
    with pytest.raises(tango_core.DevFailed) as our_failure:
        ours.state()
    assert our_failure.value.args[0].reason == ref_failure.value.args[0].reason == "API_CantConnectToDevice"


@pytest.mark.parametrize("text", ["a/b/c", "a/b/c/d/e", "a//c/d", "tango://h:1/attralias#dbase=no",
                                  "http://h:1/a/b/c/d", "a/b/c/d#dbase=maybe"])
def test_attribute_name_errors_are_pytangos(text, monkeypatch):
    tango = pytest.importorskip("tango")
    monkeypatch.setenv("TANGO_HOST", "127.0.0.1:1")
    with pytest.raises(tango.DevFailed) as ref:
        tango.AttributeProxy(text)
    with pytest.raises(WrongNameSyntax) as ours:
        parse_attribute_name(text)
    assert type(ref.value).__name__ == "WrongNameSyntax"
    assert (ours.value.args[0].reason, ours.value.args[0].desc) == (ref.value.args[0].reason, ref.value.args[0].desc)


# -- split_tango_name: the parts of a name as typed (the shell completes names with it) -----------

@pytest.mark.parametrize("text, prefix, host_port, name, modifier, rest", [
    ("sys/tg_test/1", "", None, "sys/tg_test/1", "", "sys/tg_test/1"),
    ("tango://h:10000/sys/tg_test/1", "tango://h:10000/", "h:10000", "sys/tg_test/1", "", "sys/tg_test/1"),
    ("TANGO://H:1/a/b/c#DBASE=no", "TANGO://H:1/", "H:1", "a/b/c", "#DBASE=no", "a/b/c#DBASE=no"),
    ("//h:2/a/b", "//h:2/", "h:2", "a/b", "", "a/b"),
    ("h:3/my_alias", "h:3/", "h:3", "my_alias", "", "my_alias"),
    ("tango://[::1]:4/a/b/c/attr", "tango://[::1]:4/", "[::1]:4", "a/b/c/attr", "", "a/b/c/attr"),
    # still being typed: no host:port yet, the text stays whole in ``rest``
    ("tango://loc", "", None, "loc", "", "tango://loc"),
    ("tango://localhost:10", "", None, "localhost:10", "", "tango://localhost:10"),
    ("localhost:", "", None, "localhost:", "", "localhost:"),
    ("sys/tg", "", None, "sys/tg", "", "sys/tg"),
    # like cppTango, tango://a/b/c is the device a/b/c of the default database
    ("tango://a/b/c", "", None, "a/b/c", "", "tango://a/b/c"),
    ("h:xx/a/b/c", "", None, "h:xx/a/b/c", "", "h:xx/a/b/c"),
    ("", "", None, "", "", ""),
])
def test_split_tango_name_never_raises(text, prefix, host_port, name, modifier, rest):
    parts = names.split_tango_name(text)
    assert (parts.prefix, parts.host_port, parts.name, parts.modifier, parts.rest) == (
        prefix, host_port, name, modifier, rest)
    assert parts.prefix + parts.rest == text


def test_split_tango_name_and_the_parsers_agree():
    for text in ("tango://h:5/a/b/c", "h:5/a/b/c#dbase=no", "//h:5/alias", "a/b/c"):
        parts = names.split_tango_name(text)
        dn = parse_device_name(text)
        assert dn.name == parts.name and dn.dbase == parts.dbase
        assert (f"{dn.host}:{dn.port}" if dn.host else None) == parts.host_port
    # the parsers refuse what the split only locates
    for text, why in (("http://h:5/a/b/c", "API_UnsupportedProtocol"), ("h:xx/a/b/c", "API_WrongDeviceNameSyntax"),
                      ("a/b/c#dbase=maybe", "API_UnsupportedDBaseModifier")):
        with pytest.raises(WrongNameSyntax) as ei:
            parse_device_name(text)
        assert reason(ei) == why
        assert names.split_tango_name(text).name


def test_name_api_is_public():
    import tango_core
    for attr in ("split_tango_name", "TangoNameParts", "parse_device_name", "parse_attribute_name",
                 "get_default_tango_host", "set_default_tango_host"):
        assert getattr(tango_core, attr) is getattr(names, attr)
        assert attr in tango_core.__all__
