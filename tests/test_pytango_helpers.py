"""PyTango 10.3.1's helpers for scripts and test suites, side by side with tango_core's.

``tango.utils`` (sequence <-> vector conversions, ``get_tango_type``, ``ensure_binary``,
``EventCallback``, ``PyTangoThread``, the test-context TANGO_HOST override that short names and
groups follow), ``is_omni_thread``/``EnsureOmniThread``, ``warn_once``, the structures and
sequences PyTango prints its own way, and the errors an event carries.  Suites written for
PyTango (its own among them) use these directly.
"""

from __future__ import annotations

import io
import re
import threading

import pytest

import tango  # test peer only: the oracle
import tango.utils
import tango_core
import tango_core.utils

BOTH = ((tango, tango.utils), (tango_core, tango_core.utils))


def each(fn) -> list:
    """``fn(module, utils)`` for PyTango then tango_core: outcomes (value, or exception class name)."""
    out = []
    for m, u in BOTH:
        try:
            out.append(("ok", fn(m, u)))
        except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
            out.append(("raise", type(exc).__name__))
    return out


def same(fn):
    theirs, ours = each(fn)
    assert ours == theirs
    return ours


# -- tango.utils ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("vector", "to_vec", "to_seq", "item"), [
    ("StdStringVector", "seq_2_StdStringVector", "StdStringVector_2_seq", "abcd"),
    ("StdDoubleVector", "seq_2_StdDoubleVector", "StdDoubleVector_2_seq", 123.0),
])
def test_vector_conversions(vector, to_vec, to_seq, item):
    def run(m, u):
        vec = getattr(m, vector)()
        filled = getattr(u, to_vec)([item], vec)
        fresh = getattr(u, to_vec)([item])
        back = getattr(u, to_seq)(fresh)
        into = []
        return (filled is vec, type(fresh).__name__, list(fresh), type(back).__name__, back,
                getattr(u, to_seq)(fresh, seq=into) is into)
    same(run)
    for _, u in BOTH:
        with pytest.raises(TypeError, match="vec must be"):
            getattr(u, to_vec)([], [])
        with pytest.raises(TypeError, match="vec must be"):
            getattr(u, to_seq)([], [])


def test_database_vector_conversions():
    def run(m, u):
        info = m.DbDevInfo()
        info.name, info.klass, info.server = "a/b/c", "K", "S/1"
        export = m.DbDevExportInfo()
        export.name = "a/b/c"
        datum = m.DbDatum("p")
        infos, exports, data = (u.seq_2_DbDevInfos([info]), u.seq_2_DbDevExportInfos([export]),
                                u.seq_2_DbData([datum]))
        return ([type(x).__name__ for x in (infos, exports, data)], infos[0].name, exports[0].name, data[0].name,
                u.seq_2_DbData(data) is data)
    same(run)


@pytest.mark.parametrize("value", ["abc", 123, 1.5, True, [1, 2, 3], [[1, 2, 3], [4, 5, 6]], ["a", "b"],
                                   "np.arange(3.0)", "np.zeros((2, 2), np.uint16)", "np.zeros((2, 2, 2))",
                                   "object()", "[{'k': 1}, 'abc']"])
def test_get_tango_type(value):
    import numpy as np  # noqa: F401 - used by the evaluated values

    def run(m, u):
        v = eval(value) if isinstance(value, str) and value[0] in "n[o" else value  # noqa: S307
        tg_type, tg_format = u.get_tango_type(v)
        return repr(tg_type), repr(tg_format)
    same(run)


def test_ensure_binary():
    same(lambda m, u: (u.ensure_binary("é"), u.ensure_binary("é", "latin-1"), u.ensure_binary(b"\x01")))
    same(lambda m, u: u.ensure_binary(3))


@pytest.mark.parametrize(("override", "name"), [
    (None, "a/b/c"), (None, "no://trl/validation"),
    ("tango://host:12", "a/b/c"), ("tango://host:12", "a/b/c/d"), ("tango://host:12", "tango://other:13/a/b/c"),
    ("tango://host:12#dbase=no", "a/b/c"), ("tango://host:12#dbase=yes", "a/b/c"),
    ("host:123", "a/b/c"), ("tango://host", "a/b/c"), ("tango://host:0", "a/b/c"), ("tango://host:12/path", "a/b/c"),
    ("tango://host:123?query=1", "a/b/c"), ("tango://host:123#dbase=invalid", "a/b/c"),
])
def test_test_context_tango_host_override(override, name):
    def run(m, u):
        u._set_test_context_tango_host_fqtrl(override)
        try:
            return u._get_test_context_tango_host_fqtrl(), u._get_device_fqtrl_if_necessary(name)
        finally:
            u._clear_test_context_tango_host_fqtrl()
    same(run)
    assert issubclass(tango_core.utils.InvalidTangoHostTrlError, ValueError)


def test_short_names_and_groups_follow_the_override(nodb_server):
    """Under the override (what a DeviceTestContext sets), ``test/nodb/1`` is the test server's
    device for a DeviceProxy, and a Group lists it by the server's full TRL."""
    trl = nodb_server.device
    host_trl = trl.split("/test/")[0] + "#dbase=no"

    def run(m, u):
        u._set_test_context_tango_host_fqtrl(host_trl)
        try:
            group = m.Group("g")
            group.add("test/nodb/1")
            return (m.DeviceProxy("test/nodb/1").dev_name(), list(group.get_device_list()), trl in group,
                    group.command_inout("State")[0].get_data().name)
        finally:
            u._clear_test_context_tango_host_fqtrl()
    assert same(run)[0] == "ok"


def test_group_command_with_a_device_data(nodb_server):
    def run(m, u):
        group = m.Group("g")
        group.add(nodb_server.device)
        param = m.DeviceData()
        param.insert(m.CmdArgType.DevDouble, 2.5)
        return [r.get_data() for r in group.command_inout("EchoDouble", param)]
    assert same(run) == ("ok", [2.5])


def test_event_callback_lines():
    def run(m, u):
        out = io.StringIO()
        cb = u.EventCallback(fd=out)
        ok, failed = m.EventData(), m.EventData()
        failed.errors = m.DevFailed(m.DevError())
        failed.err = True
        conf = m.AttrConfEventData()
        conf.errors = m.DevFailed(m.DevError())
        conf.err = True
        for evt in (ok, failed, conf):
            cb.push_event(evt)
        lines = [re.sub(r"^\S+ \S+ ", "<date> ", line) for line in out.getvalue().splitlines()]
        return lines, len(cb.get_events()), [len(e.errors) for e in cb.get_events()]
    same(run)
    for m, u in BOTH:
        assert u.AsyncEventCallback.__mro__[1] is u.EventCallback


def test_event_errors_take_a_dev_failed():
    def run(m, u):
        out = []
        for cls in (m.EventData, m.AttrConfEventData, m.DataReadyEventData, m.DevIntrChangeEventData):
            evt = cls()
            evt.errors = m.DevFailed(m.DevError(), m.DevError())
            out.append((type(evt.errors).__name__, len(evt.errors), evt.err))
        return out
    same(run)


def test_omni_threads():
    def run(m, u):
        seen = {}

        def plain():
            seen["plain"] = m.is_omni_thread()

        def ensured():
            with m.EnsureOmniThread():
                seen["ensured"] = m.is_omni_thread()
            seen["after"] = m.is_omni_thread()

        def pytango_thread():
            seen["PyTangoThread"] = m.is_omni_thread()

        for t in (threading.Thread(target=plain), threading.Thread(target=ensured),
                  u.PyTangoThread(target=pytango_thread)):
            t.start()
            t.join()
        return m.is_omni_thread(), dict(sorted(seen.items()))
    assert same(run) == ("ok", (True, {"PyTangoThread": True, "after": False, "ensured": True, "plain": False}))


def test_names_of_database_history_and_vectors():
    same(lambda m, u: [getattr(m, n).__name__ for n in ("DbHistory", "DbHistoryList", "StdDoubleVector",
                                                         "StdLongVector", "StdStringVector")])

    def history(m, u):
        h = m.DbHistory("a", "b" * 12, m.StdStringVector())
        return h.get_name(), h.get_date(), h.get_value().name, h.get_attribute_name()
    same(history)


# -- warnings given once ---------------------------------------------------------------------------

def test_warn_once():
    from tango_core import _warnings

    key = ("test_warn_once", id(test_warn_once))
    with pytest.warns(DeprecationWarning, match="old way"):
        assert _warnings.warn_once("old way", key, DeprecationWarning)
    assert not _warnings.warn_once("old way", key, DeprecationWarning)
    _warnings._already_warned_keys.clear()
    with pytest.warns(DeprecationWarning):
        assert _warnings.warn_once("old way", key, DeprecationWarning)
    assert _warnings.PyTangoUserWarning is tango_core.PyTangoUserWarning


# -- what prints PyTango's way ----------------------------------------------------------------------

def test_printed_structs_and_sequences():
    from tango import pytango_pprint as theirs
    from tango_core import pytango_pprint as ours

    def names(types):
        return sorted(t.__name__ for t in types)
    # MultiAttrProp (device-server side) is the only one PyTango prints that tango_core has not
    assert set(names(theirs._STRUCT_TYPES)) - set(names(ours._STRUCT_TYPES)) == {"MultiAttrProp"}
    assert names(ours._SEQUENCE_TYPES) == names(theirs._SEQUENCE_TYPES)
    groups = {"GroupReply", "GroupCmdReply", "GroupAttrReply"}  # not made by users
    for struct in ours._STRUCT_TYPES:
        if struct.__name__ in groups:
            continue
        reference = getattr(tango, struct.__name__)()
        mine = struct()
        for text in (str, repr):
            assert _masked(text(mine)) == _masked(text(reference)), struct.__name__
    for seq in ours._SEQUENCE_TYPES:
        assert (str(seq()), repr(seq())) == (str(getattr(tango, seq.__name__)()), repr(getattr(tango, seq.__name__)()))


def _masked(text: str) -> str:
    text = re.sub(r"TimeVal\((tv_nsec = -?\d+, tv_sec = -?\d+, tv_usec = -?\d+)\)", "TimeVal(...)", text)
    return re.sub(r"(reception_date|time) = TimeVal\[[^\]]*\]", r"\1 = TimeVal[...]", text)


def test_idl_structs_print_as_pytango():
    def run(m, u):
        config = m.AttributeConfig()
        config.data_type = 5
        return [(repr(s), str(s)) for s in (config, m.EventProperties(), m.AttributeAlarm(), m.ChangeEventProp(),
                                            m.AttributeConfig_5())]
    same(run)


# -- the server helpers of tango.utils -------------------------------------------------------------

@pytest.mark.parametrize(("caller", "hint"), [
    ("attribute", float), ("attribute", tuple[float, ...]), ("attribute", tuple[tuple[int, int], tuple[int, int]]),
    ("attribute", list[list[bool]]), ("command", tuple[int, ...]), ("property", list[str]),
    ("property", tuple[tuple[int]]), ("property", tuple[int, float]), ("attribute", tuple[int, float]),
    ("attribute", tuple[tuple[int, float], float]), ("attribute", tuple[tuple[int, int], list[int, int]]),
    ("command", list[list[int]]), ("command", tuple[int, str]),
])
def test_parse_type_hint(caller, hint):
    """The type hints of the high-level API: the same (dtype, dformat, max_x, max_y) or the same
    RuntimeError text as PyTango's, for supported and unsupported hints."""
    def parse(m, u):
        try:
            dtype, dformat, max_x, max_y = u.parse_type_hint(hint, caller=caller)
        except RuntimeError as exc:
            return "RuntimeError", str(exc)
        return str(u.get_tango_type_format(dtype, dformat, caller)), str(dformat), max_x, max_y

    same(parse)


def test_the_latest_device_class_is_the_one_devices_derive_from():
    from tango_core.server import BaseDevice, Device, LatestDeviceImpl

    latest = tango_core.utils.get_latest_device_class()
    assert latest is tango_core.utils.get_tango_device_classes()[-1]
    assert issubclass(LatestDeviceImpl, latest) and issubclass(Device, BaseDevice)
    assert issubclass(BaseDevice, LatestDeviceImpl)
    assert [c.__name__ for c in tango.utils.get_tango_device_classes()][-1] == "Device_6Impl"
