"""Argument handling of subscribe_event & co. (no server needed: parsing fails before any I/O),
matching PyTango 10.3.1's accepted signatures and errors."""

from __future__ import annotations

import warnings

import pytest

from tango_core.events import api
from tango_core.idl.enums import EventSubMode, EventType, ExtractAs


class Logger:
    """ITango's EventLogger shape: push_event, no __call__."""

    def push_event(self, ev):
        pass


def cb(ev):
    pass


def parse(args, kwargs):
    """``api._parse`` with deprecation notices given every time (the client's are once per process)."""
    return api._parse(args, kwargs, lambda message, key, category: warnings.warn(message, category))


def test_current_signature_with_callback_and_defaults():
    attr, et, fn, qsize, mode, extract = parse(("double_scalar", EventType.CHANGE_EVENT, cb), {})
    assert (attr, et, fn, qsize, mode, extract) == ("double_scalar", EventType.CHANGE_EVENT, cb, None,
                                                    EventSubMode.SyncRead, ExtractAs.Numpy)


def test_queue_size_selects_the_pull_model_and_keywords_work():
    attr, et, fn, qsize, mode, extract = parse((), dict(attr_name="a", event_type=EventType.PERIODIC_EVENT,
                                                             queuesize=10, sub_mode=EventSubMode.Async,
                                                             extract_as=ExtractAs.List))
    assert (fn, qsize, mode, extract) == (None, 10, EventSubMode.Async, ExtractAs.List)


def test_push_event_objects_are_accepted():
    logger = Logger()
    fn = parse(("a", EventType.CHANGE_EVENT, logger), {})[2]
    assert fn == logger.push_event


def test_deprecated_filters_and_stateless_warn_and_map_to_sub_modes():
    with pytest.warns(DeprecationWarning):
        r = parse(("a", EventType.CHANGE_EVENT, cb, [], True), {})
    assert r[4] == EventSubMode.Stateless
    with pytest.warns(DeprecationWarning):
        r = parse(("a", EventType.CHANGE_EVENT, cb, []), {})
    assert r[4] == EventSubMode.SyncRead
    with pytest.warns(DeprecationWarning):
        r = parse((EventType.INTERFACE_CHANGE_EVENT, cb, True), {})
    assert r[0] == "dummy" and r[4] == EventSubMode.Stateless


def test_device_level_interface_change():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = parse((EventType.INTERFACE_CHANGE_EVENT, cb), {})
    assert r[:3] == ("dummy", EventType.INTERFACE_CHANGE_EVENT, cb)
    r = parse(("ignored_name", EventType.INTERFACE_CHANGE_EVENT, cb), {})
    assert r[0] == "dummy"


@pytest.mark.parametrize("args, kwargs, match", [
    (("a", EventType.CHANGE_EVENT, "nope"), {}, "queuesize"),
    (("a", EventType.CHANGE_EVENT, cb, 3), {}, "sub_mode"),
    (("a", 99, cb), {}, "event_type"),
    ((EventType.CHANGE_EVENT, cb), {}, "only for Interface Change Events"),
    (("a", EventType.CHANGE_EVENT), {}, "'queuesize' must be an integer"),
    (("a", EventType.CHANGE_EVENT, cb), {"sub_mode": EventSubMode.Sync, "stateless": True}, "sub_mode"),
    (("a", EventType.CHANGE_EVENT, cb), {"colour": 1}, "unexpected"),
])
def test_bad_arguments_raise_type_error(args, kwargs, match):
    with pytest.raises(TypeError, match=match):
        parse(args, kwargs)


def test_negative_queue_size_is_refused():
    with pytest.raises(ValueError):
        parse(("a", EventType.CHANGE_EVENT, -1), {})


def test_unknown_ids_raise_key_error_like_pytango():
    class Proxy:
        pass

    with pytest.raises(KeyError, match="does not own this subscription 12345"):
        api.unsubscribe_event(Proxy(), 12345)
    with pytest.raises(KeyError):
        api.get_events(Proxy(), 12345)


CALLS_PYTANGO_REFUSES = [
    ((EventType.CHANGE_EVENT,), {}), ((EventType.INTERFACE_CHANGE_EVENT,), {}),
    ((EventType.INTERFACE_CHANGE_EVENT,), {"cb": None}), ((EventType.INTERFACE_CHANGE_EVENT, None), {}),
    ((EventType.INTERFACE_CHANGE_EVENT, cb, None), {}), ((EventType.INTERFACE_CHANGE_EVENT, cb), {"sub_mode": None}),
    ((EventType.INTERFACE_CHANGE_EVENT, cb), {"stateless": None}), (("attr",), {}), (("attr", None), {}),
    (("attr",), {"event_type": None}), (("attr", EventType.CHANGE_EVENT), {}),
    (("attr", EventType.CHANGE_EVENT, None), {}), (("attr", EventType.CHANGE_EVENT), {"cb": None}),
    (("attr", EventType.CHANGE_EVENT), {"queuesize": None}), (("attr", EventType.CHANGE_EVENT, cb), {"filters": None}),
    (("attr", EventType.CHANGE_EVENT, cb), {"sub_mode": None}),
    (("attr", EventType.CHANGE_EVENT, cb, [], EventSubMode.SyncRead), {}),
    (("attr", EventType.CHANGE_EVENT, cb), {"filters": [], "sub_mode": EventSubMode.SyncRead}),
    (("attr", EventType.CHANGE_EVENT, cb), {"stateless": True, "sub_mode": EventSubMode.SyncRead}),
    (("attr", EventType.CHANGE_EVENT, cb, EventSubMode.SyncRead, None), {}),
    (("attr", EventType.CHANGE_EVENT, cb), {"extract_as": None}), ((1, EventType.CHANGE_EVENT, cb), {}),
]


@pytest.mark.parametrize("args, kwargs", CALLS_PYTANGO_REFUSES)
def test_argument_errors_are_pytangos(args, kwargs):
    """Same exception class and text as PyTango 10.3.1's DeviceProxy.subscribe_event (the oracle;
    the errors come before any I/O, so the device need not exist)."""
    tango = pytest.importorskip("tango")
    import tango_core

    def pytango_args(values):
        convert = {EventType: tango.EventType, EventSubMode: tango.EventSubMode, ExtractAs: tango.ExtractAs}
        return type(values)(convert[type(v)](int(v)) if type(v) in convert else v for v in values)

    name = "tango://127.0.0.1:1/dummy/test/device#dbase=no"
    with pytest.raises((TypeError, IndexError)) as reference:
        tango.DeviceProxy(name).subscribe_event(*pytango_args(args), **dict(zip(kwargs, pytango_args(tuple(kwargs.values())))))
    with pytest.raises((TypeError, IndexError)) as ours:
        tango_core.DeviceProxy(name).subscribe_event(*args, **kwargs)
    text = str(ours.value).replace("tango_core", "tango")
    assert (type(ours.value).__name__, text) == (type(reference.value).__name__, str(reference.value))
