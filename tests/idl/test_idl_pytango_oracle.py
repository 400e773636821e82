"""Our enums, errors and TimeVal print exactly like PyTango 10.3.1's.

PyTango (a test peer, never imported by tango_core) is the oracle: each test
builds the same value both ways and compares what users see -- str(), repr(),
format(), field values.
"""

from __future__ import annotations

import datetime
import enum
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tango_core.idl import enums as E
from tango_core.idl import errors as X
from tango_core.idl.types import TimeVal

if os.environ.get("CI") == "true":
    import tango  # the oracle must be there in CI
else:
    tango = pytest.importorskip("tango", reason="PyTango (the reference peer) is not installed")

#: every enum class PyTango exports at top level
SHARED_ENUMS = sorted(n for n in dir(tango) if isinstance(getattr(tango, n, None), type)
                      and issubclass(getattr(tango, n), enum.Enum) and n != "ArgType")
#: members we have beyond PyTango 10.3.1's (none: the codes it dropped decode to plain ints)
EXTRA_MEMBERS: dict[str, set[str]] = {}

# text PyTango's DevError fields take: Latin-1 without NUL (as on the wire)
field_text = st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=40)
multiline_text = st.lists(st.sampled_from(["", " ", "a", "line", "  indented", "\t", "x y"]),
                          max_size=5).map("\n".join)
any_text = st.one_of(field_text, multiline_text)


def _pt_error(reason, desc, origin, severity):
    e = tango.DevError()
    e.reason, e.desc, e.origin, e.severity = reason, desc, origin, tango.ErrSeverity(int(severity))
    return e


# ---------------------------------------------------------------------------
# enums

def test_every_pytango_enum_exists():
    assert len(SHARED_ENUMS) >= 28  # 29 in PyTango 10.3.1
    assert [n for n in SHARED_ENUMS if not hasattr(E, n)] == []


@pytest.mark.parametrize("name", SHARED_ENUMS)
def test_enum_members_and_formats_match_pytango(name):
    ours, theirs = getattr(E, name), getattr(tango, name)
    assert {m.name: int(m) for m in theirs} == \
        {m.name: int(m) for m in ours if m.name not in EXTRA_MEMBERS.get(name, ())}
    for t in theirs:
        o = ours[t.name]
        assert (str(o), repr(o), f"{o}", "%s" % o, "%d" % o, format(o, ">4"), format(o, "")) == \
            (str(t), repr(t), f"{t}", "%s" % t, "%d" % t, format(t, ">4"), format(t, ""))
        assert o == int(t) and hash(o) == hash(int(t))
    assert {k: v.name for k, v in theirs.values.items()} == \
        {k: v.name for k, v in ours.values.items() if v.name not in EXTRA_MEMBERS.get(name, ())}
    assert set(theirs.names) == set(ours.names) - EXTRA_MEMBERS.get(name, set())


def test_argtype_alias():
    assert (E.ArgType is E.CmdArgType) and (tango.ArgType is tango.CmdArgType)


# ---------------------------------------------------------------------------
# DevError / DevFailed

def test_default_dev_error_matches_pytango():
    assert str(X.DevError()) == str(tango.DevError())
    assert repr(X.DevError()) == repr(tango.DevError())


@given(reason=any_text, desc=any_text, origin=any_text, severity=st.sampled_from(E.ErrSeverity))
def test_dev_error_str_repr_match_pytango(reason, desc, origin, severity):
    ours = X.DevError(reason, desc, origin, severity)
    theirs = _pt_error(reason, desc, origin, severity)
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)


@given(errors=st.lists(st.tuples(any_text, any_text, any_text, st.sampled_from(E.ErrSeverity)), max_size=4),
       cls=st.sampled_from(["DevFailed", "ConnectionFailed", "CommunicationFailed", "WrongNameSyntax",
                            "NonDbDevice", "WrongData", "NonSupportedFeature", "AsynCall",
                            "AsynReplyNotArrived", "EventSystemFailed", "DeviceUnlocked", "NotAllowed"]))
def test_dev_failed_str_repr_match_pytango(errors, cls):
    ours = getattr(X, cls)(*[X.DevError(*e) for e in errors])
    theirs = getattr(tango, cls)(*[_pt_error(*e) for e in errors])
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    assert len(ours.args) == len(theirs.args)


def test_exception_hierarchy_matches_pytango():
    assert X.DevFailed.__bases__ == (Exception,) and tango.DevFailed.__bases__ == (Exception,)
    for name in ("ConnectionFailed", "CommunicationFailed", "WrongNameSyntax", "NonDbDevice", "WrongData",
                 "NonSupportedFeature", "AsynCall", "AsynReplyNotArrived", "EventSystemFailed",
                 "DeviceUnlocked", "NotAllowed"):
        assert getattr(X, name).__bases__ == (X.DevFailed,)
        assert getattr(tango, name).__bases__ == (tango.DevFailed,)
    for name in ("NamedDevFailed", "NamedDevFailedList"):
        assert not issubclass(getattr(X, name), BaseException)
        assert not issubclass(getattr(tango, name), BaseException)


@pytest.mark.parametrize("severity", [None, E.ErrSeverity.WARN, E.ErrSeverity.PANIC])
def test_throw_exception_matches_pytango(severity):
    args = ("MyReason", "my desc", "my origin") + (() if severity is None else (severity,))
    pt_args = args[:3] + (() if severity is None else (tango.ErrSeverity(int(severity)),))
    with pytest.raises(X.DevFailed) as ours:
        X.Except.throw_exception(*args)
    with pytest.raises(tango.DevFailed) as theirs:
        tango.Except.throw_exception(*pt_args)
    assert type(ours.value) is X.DevFailed and type(theirs.value) is tango.DevFailed
    assert repr(ours.value) == repr(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_re_throw_exception_matches_pytango():
    with pytest.raises(X.DevFailed) as ours:
        X.Except.re_throw_exception(X.DevFailed(X.DevError("R1", "d1", "o1")), "R2", "d2", "o2")
    with pytest.raises(tango.DevFailed) as theirs:
        tango.Except.re_throw_exception(tango.DevFailed(_pt_error("R1", "d1", "o1", E.ErrSeverity.WARN)),
                                        "R2", "d2", "o2")
    assert repr(ours.value) == repr(theirs.value)


def test_to_dev_failed_matches_pytango():
    try:
        {}["missing"]
    except KeyError as exc:
        ours = X.Except.to_dev_failed(type(exc), exc, exc.__traceback__)
        theirs = tango.Except.to_dev_failed(type(exc), exc, exc.__traceback__)
    assert repr(ours) == repr(theirs)
    assert ours.args[0].reason == "PyDs_PythonError"
    assert ours.args[0].desc == "KeyError: 'missing'\n"


def test_print_error_stack_matches_pytango(capsys):
    """PyTango prints through C++ std::cerr, so its output is taken from a child process."""
    errors = [("R", "line1\nline2", "o", 1), ("", "", "", 0), ("P", "d", "o", 2)]
    X.Except.print_error_stack([X.DevError(*e) for e in errors])
    ours = capsys.readouterr().err
    script = (
        "import tango\n"
        "errs = []\n"
        f"for r, d, o, s in {errors!r}:\n"
        "    e = tango.DevError(); e.reason, e.desc, e.origin = r, d, o; e.severity = tango.ErrSeverity(s)\n"
        "    errs.append(e)\n"
        "tango.Except.print_error_stack(errs)\n"
    )
    theirs = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            check=True).stderr
    assert ours == theirs


# ---------------------------------------------------------------------------
# TimeVal

def _timeval_views(tv):
    return (tv.tv_sec, tv.tv_usec, tv.tv_nsec, repr(tv), str(tv), tv.isoformat(), tv.isoformat(" "),
            tv.strftime("%Y-%m-%d %H:%M:%S.%f"), tv.totime(), tv.todatetime())


@given(ts=st.floats(0, 2**31 - 1, allow_nan=False))
def test_timeval_from_float_matches_pytango(ts):
    assert _timeval_views(TimeVal(ts)) == _timeval_views(tango.TimeVal(ts))
    assert _timeval_views(TimeVal.fromtimestamp(ts)) == _timeval_views(tango.TimeVal.fromtimestamp(ts))


@given(sec=st.integers(0, 2**31 - 1), usec=st.integers(0, 999_999), nsec=st.integers(0, 999))
def test_timeval_from_fields_matches_pytango(sec, usec, nsec):
    assert _timeval_views(TimeVal(sec, usec, nsec)) == _timeval_views(tango.TimeVal(sec, usec, nsec))


@given(dt=st.datetimes(min_value=datetime.datetime(1971, 1, 1), max_value=datetime.datetime(2037, 12, 31)))
def test_timeval_from_datetime_matches_pytango(dt):
    assert _timeval_views(TimeVal(dt)) == _timeval_views(tango.TimeVal(dt))
    assert _timeval_views(TimeVal.fromdatetime(dt)) == _timeval_views(tango.TimeVal.fromdatetime(dt))


def test_default_timeval_matches_pytango():
    assert _timeval_views(TimeVal()) == _timeval_views(tango.TimeVal())
    assert repr(TimeVal()) == "TimeVal(tv_nsec = 0, tv_sec = 0, tv_usec = 0)"


def test_timeval_now_is_now():
    before = datetime.datetime.now().timestamp()
    now = TimeVal.now().totime()
    assert before - 1 <= now <= datetime.datetime.now().timestamp() + 1


@pytest.mark.parametrize("args", [("a", "b"), ("one line",), ("x\ny",), (1, None)])
def test_dev_failed_with_other_args_matches_pytango(args):
    """DevFailed accepts any arguments, like every Exception; the format copes."""
    assert str(X.DevFailed(*args)) == str(tango.DevFailed(*args))
    assert repr(X.DevFailed(*args)) == repr(tango.DevFailed(*args))
