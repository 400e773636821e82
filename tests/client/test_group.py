"""tango_core.Group side by side with PyTango 10.3.1's tango.Group (the oracle), on real devices.

Every test builds the same group with both libraries over the session's devices (Debian TangoTest
``sys/tg_test/1`` and the PyTango TestServer ``test/dev/1``, ``test/dev/2``) and compares what a user
sees: device lists, replies (names, data, error reasons, str/repr), exceptions.  Where tango_core
deliberately differs, the test asserts our behaviour and says why.

PyTango's Group is fragile: its sub-groups and replies point into C++ objects owned by the root
group, and freeing a root (or ``remove_all`` on a tree) while Python still holds a sub-group
segfaults the whole pytest process.  So every PyTango Group made here is kept alive in ``_KEEP``
until the end of the session, and trees are never emptied on the PyTango side.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import tango  # the oracle (test peer only)
import tango_core
from thread_runs import run_in_threads
from tango_core.client.group import (
    DeviceDataList,
    Group,
    GroupAttrReply,
    GroupAttrReplyList,
    GroupCmdReply,
    GroupCmdReplyList,
    GroupReply,
    GroupReplyList,
)

_KEEP: list = []  # PyTango groups must outlive every object derived from them (see module doc)

BOTH = (tango, tango_core)
DEVICES = ["sys/tg_test/1", "test/dev/1", "test/dev/2"]


@pytest.fixture
def devices(tango_host: str, db_server) -> list[str]:
    """The three devices, TestDevice attributes restored afterwards (Init resets them)."""
    yield DEVICES
    for name in DEVICES[1:]:
        tango.DeviceProxy(name).command_inout("Init")


def _group(module, name: str = "grp", add=("sys/tg_test/1", ["test/dev/*"])):
    g = module.Group(name)
    for item in add:
        g.add(item)
    if module is tango:
        _KEEP.append(g)
    return g


def _both(build):
    """``build(module)`` for PyTango and for tango_core: (theirs, ours)."""
    ref = build(tango)
    _KEEP.append(ref)
    return ref, build(tango_core)


def _outcome(module, fn):
    """What a user sees from ``fn(module)``: ('ok', value) or ('raise', class, reasons or text)."""
    try:
        return ("ok", fn(module))
    except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
        if isinstance(exc, module.DevFailed):
            return ("raise", type(exc).__name__, [e.reason for e in exc.args])
        return ("raise", type(exc).__name__, str(exc))


def _same(fn):
    theirs, ours = (_outcome(m, fn) for m in BOTH)
    assert ours == theirs
    return ours


def _summary(replies) -> list[tuple]:
    return [(r.dev_name(), r.obj_name(), r.has_failed(), r.group_element_enabled(),
             [e.reason for e in r.get_err_stack()]) for r in replies]


_TIME = re.compile(r"TimeVal\(tv_nsec = \d+, tv_sec = \d+, tv_usec = \d+\)")
_ORIGIN = re.compile(r"origin = .*")


def _stable(text: str) -> str:
    """A reply's str without what differs from call to call (time) or by implementation (origins:
    cppTango puts C++ source locations there)."""
    return _ORIGIN.sub("origin = ...", _TIME.sub("TimeVal(...)", text))


# ---------------------------------------------------------------------------------------------
# building groups
# ---------------------------------------------------------------------------------------------


def test_public_names_are_exported_from_tango_core():
    for name in ("Group", "GroupReply", "GroupCmdReply", "GroupAttrReply", "GroupReplyList",
                 "GroupCmdReplyList", "GroupAttrReplyList"):
        assert getattr(tango_core, name) is globals()[name]


def test_constructor_and_repr_like_pytango():
    for module in BOTH:
        g = module.Group("My.Group")
        _KEEP.append(g)
        assert (repr(g), str(g), g.get_name(), g.get_fully_qualified_name(), g.get_size(), len(g)) == \
            ("Group(My.Group)", "Group(My.Group)", "My.Group", "My.Group", 0, 0)
        assert list(g.get_device_list()) == []
    _same(lambda m: m.Group(3))  # TypeError: Constructor expected receives a str


def test_add_names_lists_patterns_and_duplicates(devices):
    def build(m):
        g = _group(m)
        g.add("SYS/TG_TEST/1")          # already there (case-insensitive): ignored
        g.add(["test/dev/2", "zz/*/*"])  # duplicate and a pattern matching nothing
        return list(g.get_device_list()), g.get_size(), len(g), type(g.get_device_list()).__name__
    assert _same(build)[1] == (DEVICES, 3, 3, "StdStringVector")


@pytest.mark.parametrize("bad", [3, None, 2.5, [1, 2]])
def test_add_rejects_non_names_like_pytango(devices, bad):
    _same(lambda m: _group(m).add(bad))


@pytest.mark.parametrize("pattern", ["test/dev/1", "TEST/DEV/1", "test/*/*", "test/*", "*test*", "sys/*", "tg_test",
                                     "*/tg_test/*", "test/dev/1*", "*1", "test", "grp", "GRP", "g*", "*", "x*"])
def test_contains_follows_cppTango_matching(devices, pattern):
    # cppTango's '*' matching is not anchored: "test/*/*" also matches "sys/tg_test/1"
    _same(lambda m: (_group(m).contains(pattern), pattern in _group(m)))


@pytest.mark.parametrize("pattern", ["test/dev/1", "TEST/DEV/2", "test/*/*", "test/dev/*", "*2", "grp", "nope",
                                     ["test/dev/1", "test/dev/2"]])
def test_remove_like_pytango(devices, pattern):
    def build(m):
        g = _group(m)
        g.remove(pattern)
        return list(g.get_device_list())
    _same(build)


def test_remove_all(devices):
    def build(m):
        g = _group(m)
        g.remove_all()
        return list(g.get_device_list()), g.get_size()
    assert _same(build)[1] == ([], 0)
    _same(lambda m: _group(m).remove(3))


def _tree(m):
    root = m.Group("root")
    a = m.Group("a")
    a.add("test/dev/1")
    b = m.Group("b")
    b.add(["test/dev/2", "sys/tg_test/1"])
    root.add(a)
    root.add(b)
    root.add("test/dev/1")  # already in sub-group a: ignored
    if m is tango:
        _KEEP.append((root, a, b))
    return root, a, b


def test_tree_lists_sizes_and_names(devices):
    def build(m):
        root, a, b = _tree(m)
        return (list(root.get_device_list()), list(root.get_device_list(False)),
                list(root.get_device_list(forward=False)),
                root.get_size(), root.get_size(False), a.get_fully_qualified_name(), b.get_fully_qualified_name(),
                repr(root.get_group("b")), repr(root.get_group("root.b")), root.get_group("zz"),
                list(root.get_group("b").get_device_list()), root.contains("b"), root.contains("sys/tg_test/1"),
                root.contains("sys/tg_test/1", False), root.contains("root"), a.name_equals("ROOT.A"),
                b.name_matches("r*.b"), repr(root["a"]))
    value = _same(build)[1]
    assert value[0] == ["test/dev/1", "test/dev/2", "sys/tg_test/1"]


def test_tree_calls_forward_or_not(devices):
    def build(m):
        root, _a, _b = _tree(m)
        return ([(r.dev_name(), r.get_data()) for r in root.command_inout("State")],
                [r.dev_name() for r in root.command_inout("State", forward=False)],
                [r.dev_name() for r in root.read_attribute("State", False)])
    assert _same(build)[1][0] == [("test/dev/1", tango_core.DevState.ON), ("test/dev/2", tango_core.DevState.ON),
                                  ("sys/tg_test/1", tango_core.DevState.RUNNING)]


def test_tree_remove_sub_group(devices):
    # tango_core only: PyTango frees the removed C++ sub-group under its Python wrapper (crash)
    root, a, b = _tree(tango_core)
    root.remove("b")
    assert root.get_device_list() == ["test/dev/1"] and root.get_group("b") is None
    assert b.get_fully_qualified_name() == "b"  # detached, still usable on its own
    assert [r.get_data() for r in b.command_inout("State")] == [tango_core.DevState.ON, tango_core.DevState.RUNNING]
    root.remove("test/dev/1", forward=False)  # only in a: kept
    assert root.get_device_list() == ["test/dev/1"]
    root.remove("test/dev/1")
    assert root.get_device_list() == [] and a.get_device_list() == []


@pytest.mark.parametrize("key", [1, 2, 3, "test/dev/2", "TEST/DEV/1", 0, 4, -1, "a/b/c"])
def test_get_device_like_pytango(devices, key):
    # index counts from 1, over the whole tree; a miss is a KeyError
    _same(lambda m: repr(_group(m).get_device(key)))


def test_getitem_accepts_an_index():
    # deliberate: PyTango's g[1] raises TypeError (its __getitem__ tries get_group(1) first)
    g = Group("g")
    g.add(["a/b/c", "d/e/f"])  # names only: nothing is contacted
    assert g.get_device_list() == ["a/b/c", "d/e/f"]
    assert g[1:1] == []


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------


def test_command_state_replies_like_pytango(devices):
    def build(m):
        replies = _group(m).command_inout("State")
        return (type(replies).__name__, repr(replies), len(replies),
                [(type(r).__name__, r.dev_name(), r.obj_name(), r.has_failed(), r.group_element_enabled(),
                  r.get_data(), str(r), repr(r)) for r in replies])
    value = _same(build)[1]
    assert value[3][0][7] == "GroupCmdReply()"
    replies = _group(tango_core).command_inout("State")
    assert isinstance(replies, GroupCmdReplyList) and isinstance(replies[0], GroupCmdReply)
    assert not replies.has_failed()
    assert replies[-1].dev_name() == "test/dev/2"  # deliberate: a real list (PyTango: TypeError)


@pytest.mark.parametrize("cmd, arg", [("Status", None), ("DevDouble", 2.5), ("EchoDouble", 2.5),
                                      ("EchoString", "héllo"), ("EchoDoubleArray", [1.0, 2.0]),
                                      ("Nope", None), ("Fail", None)])
def test_command_replies_and_errors_like_pytango(devices, cmd, arg):
    def build(m):
        replies = _group(m, add=(["test/dev/1", "test/dev/2", "sys/tg_test/1"],)).command_inout(cmd, arg)
        data = [None if r.has_failed() else r.get_data() for r in replies]
        data = [x.tolist() if isinstance(x, np.ndarray) else x for x in data]
        return _summary(replies), data, [_stable(str(r)) for r in replies if not r.has_failed()]
    _same(build)


def test_void_command_reply(devices):
    def build(m):
        return _summary(_group(m, add=(["test/dev/1", "test/dev/2"],)).command_inout("On"))
    _same(build)
    # deliberate: PyTango's get_data() of a DevVoid reply raises TypeError ("Unable to convert
    # function return value"); a void command's data is None, as DeviceProxy.command_inout's
    assert [r.get_data() for r in _group(tango_core, add=("test/dev/1",)).command_inout("On")] == [None]


def test_command_failure_text_like_pytango(devices):
    replies = {m: _group(m).command_inout("Nope") for m in BOTH}
    for theirs, ours in zip(replies[tango], replies[tango_core]):
        assert [e.desc for e in ours.get_err_stack()][0] == [e.desc for e in theirs.get_err_stack()][0]
        assert ours.get_err_stack()[-1].reason == "API_CommandFailed"


@pytest.mark.parametrize("cmd, arg", [("DevDouble", "abc"), ("EchoDouble", [3.5]), ("Nope", 1)])
def test_bad_command_argument_raises_before_sending(devices, cmd, arg):
    # PyTango converts the argument once from the devices' in_type: TypeError / DevFailed at once
    _same(lambda m: _group(m, add=(["test/dev/1", "test/dev/2"],)).command_inout(cmd, arg))


def test_failed_command_reply_get_data(devices):
    reply = _group(tango_core).command_inout("Nope")[0]
    # deliberate: PyTango raises TypeError("Unable to convert function return value...") here;
    # the reply's own DevFailed says what went wrong
    with pytest.raises(tango_core.DevFailed) as info:
        reply.get_data()
    assert info.value.args[0].reason == "API_CommandNotFound"
    assert reply.get_data_raw().is_empty()


def test_command_get_data_raw(devices):
    reply = _group(tango_core, add=("test/dev/1",)).command_inout("EchoDouble", 1.25)[0]
    raw = reply.get_data_raw()
    assert raw.get_type() == tango_core.CmdArgType.DevDouble and raw.extract() == reply.get_data() == 1.25


def test_device_data_list_gives_each_device_its_argument(devices):
    g = _group(tango_core, add=(["test/dev/1", "test/dev/2"],))
    replies = g.command_inout("EchoDouble", DeviceDataList([1.5, 2.5]))
    assert [r.get_data() for r in replies] == [1.5, 2.5]
    with pytest.raises(tango_core.WrongData) as info:
        g.command_inout("EchoDouble", DeviceDataList([1.5]))
    assert info.value.args[0].reason == "API_MethodArgument"


# ---------------------------------------------------------------------------------------------
# attributes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attr", ["State", "Status", "long_rw", "double_spectrum_rw", "string_spectrum_rw",
                                  "double_image_ro", "failing_read", "nope"])
def test_read_attribute_like_pytango(devices, attr):
    def build(m):
        replies = _group(m, add=(["test/dev/1", "test/dev/2"],)).read_attribute(attr)
        return (type(replies).__name__, _summary(replies),
                [[e.desc for e in r.get_err_stack()] for r in replies], [_stable(str(r)) for r in replies])
    _same(build)
    ours = _group(tango_core, add=(["test/dev/1"],)).read_attribute(attr)
    assert isinstance(ours, GroupAttrReplyList) and isinstance(ours[0], GroupAttrReply)


def test_read_attribute_values_like_pytango(devices):
    def build(m):
        replies = _group(m).read_attribute("State")
        return [(type(r.get_data()).__name__, r.get_data().name, r.get_data().value) for r in replies]
    _same(build)


def test_failed_read_get_data_is_an_empty_attribute(devices):
    def build(m):
        replies = _group(m).read_attribute("long_rw")
        return [_stable(repr(r.get_data())) for r in replies if r.has_failed()]
    assert len(_same(build)[1]) == 1


def test_read_attributes_like_pytango(devices):
    def build(m):
        replies = _group(m).read_attributes(["State", "long_rw", "double_scalar"])
        return _summary(replies), [None if r.has_failed() else str(r.get_data().value) for r in replies
                                   if r.obj_name() != "double_scalar"]
    _same(build)


@pytest.mark.parametrize("attr, value, multi", [("long_rw", 43, False), ("long_spectrum_ro", [1], False),
                                                ("long_rw", [1, 2, 3], True),
                                                ("long_rw", "abc", False), ("long_rw", [1, 2], True),
                                                ("double_spectrum_rw", [1.0, 2.0], False)])
def test_write_attribute_like_pytango(devices, attr, value, multi):
    def build(m):
        replies = _group(m).write_attribute(attr, value, multi=multi)
        return (type(replies).__name__, _summary(replies),
                [repr(r) for r in replies], [str(r) for r in replies if not r.has_failed()])
    _same(build)


def test_write_unknown_attribute(devices):
    # deliberate: PyTango sends a malformed request when the group's first device lacks the
    # attribute (every reply: API_CorbaException 'MARSHAL_InvalidEnumValue'); each device here
    # says the attribute is not found, as PyTango's DeviceProxy.write_attributes does
    replies = _group(tango_core).write_attribute("nope", 1)
    assert _summary(replies) == [(name, "nope", True, True, ["API_AttrNotFound", "API_AttributeFailed"])
                                 for name in DEVICES]


def test_write_then_read_back(devices):
    g = _group(tango_core, add=(["test/dev/*"],))
    assert not g.write_attribute("long_rw", [7, 8], multi=True).has_failed()
    assert [r.get_data().value for r in g.read_attribute("long_rw")] == [7, 8]
    replies = g.write_attribute("long_rw", 9)
    assert isinstance(replies, GroupReplyList) and type(replies[0]) is GroupReply
    assert [r.get_data().w_value for r in g.read_attribute("long_rw")] == [9, 9]


# ---------------------------------------------------------------------------------------------
# enabling, asynch, ping, timeouts
# ---------------------------------------------------------------------------------------------


def test_disabled_member_like_pytango(devices):
    def build(m):
        g = _group(m)
        g.disable("test/dev/2")
        state = g.command_inout("State")
        read = g.read_attribute("Status")
        flags = (g.is_enabled("test/dev/2"), g.is_enabled("test/dev/1"), g.is_enabled("nope"))
        g.enable("test/dev/2")
        return (_summary(state), [str(r) for r in state][1:], _summary(read), flags,
                [r.group_element_enabled() for r in g.command_inout("State")])
    value = _same(build)[1]
    assert value[0][2][3] is False and value[3] == (False, True, False)


def test_asynch_requests_like_pytango(devices):
    def build(m):
        g = _group(m)
        c = g.command_inout_asynch("State")
        r = g.read_attribute_asynch("Status")
        rs = g.read_attributes_asynch(["State", "Status"])
        w = g.write_attribute_asynch("long_rw", 5)
        return ([x.get_data() for x in g.command_inout_reply(c)], _summary(g.read_attribute_reply(r, 3000)),
                _summary(g.read_attributes_reply(rs)), _summary(g.write_attribute_reply(w)))
    _same(build)


@pytest.mark.parametrize("reply", ["command_inout_reply", "read_attribute_reply", "read_attributes_reply",
                                   "write_attribute_reply"])
def test_unknown_request_id_like_pytango(devices, reply):
    _same(lambda m: getattr(_group(m), reply)(77))


def test_request_id_is_used_once(devices):
    g = _group(tango_core)
    idx = g.command_inout_asynch("State")
    g.command_inout_reply(idx)
    with pytest.raises(tango_core.DevFailed) as info:
        g.command_inout_reply(idx)
    assert info.value.args[0].reason == "API_BadAsynPollId"


def test_ping_like_pytango(devices):
    _same(lambda m: (_group(m).ping(), m.Group("empty").ping()))


def test_empty_group_calls_like_pytango():
    _same(lambda m: (repr(m.Group("e").command_inout("State")), repr(m.Group("e").read_attribute("x")),
                     m.Group("e").get_size()))


def test_calls_run_concurrently_and_each_is_bounded_by_its_timeout(devices, nodb_server):
    names = ["test/dev/1", "test/dev/2", *nodb_server.devices]
    g = Group("slow")
    g.add(names)
    start = time.monotonic()
    replies = g.command_inout("Sleep", 0.6)
    elapsed = time.monotonic() - start
    assert not replies.has_failed()
    assert elapsed < 1.5, f"4 x 0.6 s sleeps took {elapsed:.2f} s: not concurrent"
    g.set_timeout_millis(300)
    try:
        start = time.monotonic()
        replies = g.command_inout("Sleep", 1.5)
        elapsed = time.monotonic() - start
        assert [r.get_err_stack()[-1].reason for r in replies] == ["API_DeviceTimedOut"] * 4
        assert elapsed < 1.2, f"timed-out calls took {elapsed:.2f} s"
    finally:
        g.set_timeout_millis(3000)
        time.sleep(1.5)  # let the servers finish sleeping before other tests call them


def test_reply_timeout_reports_reply_not_arrived(devices):
    g = _group(tango_core, add=(["test/dev/1"],))
    idx = g.command_inout_asynch("Sleep", 0.8)
    replies = g.command_inout_reply(idx, 100)
    assert replies[0].has_failed() and replies[0].get_err_stack()[0].reason == "API_AsynReplyNotArrived"
    time.sleep(0.8)


def test_nodb_devices_and_unreachable_members(devices, nodb_server):
    g = Group("mixed")
    g.add([nodb_server.device, "a/b/c", "sys/access_control/1"])
    assert g.get_device_list() == [nodb_server.device, "a/b/c", "sys/access_control/1"]
    assert not g.ping()
    replies = g.command_inout("State")
    # deliberate: PyTango raises DB_DeviceNotDefined for the whole call when one member is
    # not defined; here that member's reply carries the error and the others still answer
    assert [r.has_failed() for r in replies] == [False, True, True]
    assert replies[0].get_data() == tango_core.DevState.ON
    assert replies[1].get_err_stack()[0].reason == "DB_DeviceNotDefined"
    assert replies[2].get_err_stack()[0].reason in ("API_DeviceNotExported", "API_CantConnectToDevice")


def test_pattern_on_an_explicit_database(devices, tango_host):
    def build(m):
        g = _group(m, add=(f"tango://{tango_host}/test/dev/*",))
        return [r.get_data() for r in g.command_inout("State")], len(g)
    assert _same(build)[1] == ([tango_core.DevState.ON] * 2, 2)
    # deliberate: the names keep their database (PyTango drops it: 'test/dev/1' would then be
    # looked up in the default TANGO_HOST)
    assert _group(tango_core, add=(f"tango://{tango_host}/test/dev/*",)).get_device_list() == \
        [f"tango://{tango_host}/test/dev/1", f"tango://{tango_host}/test/dev/2"]


def test_timeouts_reach_the_proxies_like_pytango(devices):
    def build(m):
        g = _group(m, name="tmo", add=())
        g.add("test/dev/1", 700)
        g.add(["test/dev/2"])
        first = [g.get_device(i).get_timeout_millis() for i in (1, 2)]
        g.add("TEST/DEV/2", 900)  # already there: only its timeout changes
        second = [g.get_device(i).get_timeout_millis() for i in (1, 2)]
        g.set_timeout_millis(1100)
        return first, second, [g.get_device(i).get_timeout_millis() for i in (1, 2)], g.get_size()
    assert _same(build)[1] == ([700, 3000], [700, 900], [1100, 1100], 2)


def test_one_group_used_from_many_threads(devices):
    g = _group(tango_core)
    results: list = []

    def work(i: int) -> None:
        for _ in range(5):
            replies = g.command_inout("State")
            results.append([r.dev_name() for r in replies if not r.has_failed()])

    errors = run_in_threads(work, 6, timeout=30)
    assert not errors
    assert results == [DEVICES] * 30


def test_disabling_a_sub_group_disables_its_devices(devices):
    # deliberate: in PyTango, disable("b") of a sub-group only makes is_enabled("b") False; its
    # devices are still called.  Here the whole sub-group sits out, as a user disabling it means.
    root, _a, b = _tree(tango_core)
    root.disable("b")
    assert not root.is_enabled("b")
    replies = root.command_inout("State")
    assert [(r.dev_name(), r.group_element_enabled()) for r in replies] == [
        ("test/dev/1", True), ("test/dev/2", False), ("sys/tg_test/1", False)]
    assert [r.group_element_enabled() for r in b.command_inout("State")] == [True, True]  # b itself still works
    root.enable("b")
    assert all(r.group_element_enabled() for r in root.command_inout("State"))


def test_pattern_on_the_cpp_database_reaches_its_devices(devices, cpp_tango_host):
    g = Group("cpp")
    g.add(f"tango://{cpp_tango_host}/sys/tg_test/*")
    assert g.get_device_list() == [f"tango://{cpp_tango_host}/sys/tg_test/1"]
    assert g.get_device(1).get_db_port() == cpp_tango_host.split(":")[1]
    assert [r.get_data() for r in g.command_inout("State")] == [tango_core.DevState.RUNNING]


def test_asynch_argument_order_like_pytango(devices):
    # PyTango: command_inout_asynch(cmd_name, param=None, forward=True)
    def build(m):
        root, _a, _b = _tree(m)
        idx = root.command_inout_asynch("State", None, False)
        return [r.dev_name() for r in root.command_inout_reply(idx)]
    assert _same(build)[1] == []
    g = _group(tango_core)
    assert g.command_inout_asynch("On", forget=True) == 0


@pytest.mark.parametrize("method", ["add", "remove", "get_device", "get_group", "command_inout", "command_inout_asynch",
                                    "read_attribute", "read_attributes", "write_attribute"])
def test_python_level_signatures_like_pytango(method):
    """PyTango's Group methods written in Python: same parameter names, order and defaults (keyword
    calls carry over); tango_core may add keyword-only extras."""
    import inspect

    theirs = inspect.signature(getattr(tango.Group, method)).parameters
    ours = inspect.signature(getattr(Group, method)).parameters
    positional = [(p.name, p.default) for p in ours.values() if p.kind is not p.KEYWORD_ONLY]
    assert positional == [(p.name, p.default) for p in theirs.values()]


def test_reply_list_has_failed_and_stack_types_like_pytango(devices):
    def build(m):
        g = _group(m)
        cmd, attr = g.command_inout("Status"), g.read_attribute("long_rw")
        return (cmd.has_failed(), attr.has_failed(),
                [type(r.get_err_stack()).__name__ for r in list(cmd) + list(attr)], repr(cmd[0].get_err_stack()))
    assert _same(build)[1][:2] == (False, True)


def test_nodb_members_like_pytango(devices, nodb_server):
    def build(m):
        g = _group(m, name="nodb", add=(nodb_server.devices,))
        return (list(g.get_device_list()), g.ping(), _summary(g.command_inout("EchoDouble", 1.5)),
                [r.get_data() for r in g.command_inout("EchoDouble", 1.5)],
                [r.get_data().value for r in g.read_attribute("long_rw")], repr(g.get_device(2)))
    assert _same(build)[1][0] == nodb_server.devices
