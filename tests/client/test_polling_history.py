"""Polling histories (``attribute_history`` / ``AttributeProxy.history``) read by tango_core and by
PyTango 10.3.1 from the same polled attribute, on a PyTango server and on a tango_core server.

A history reply packs the values of every record in one sequence, from its END (the first
record's values are the last ones of the sequence): a client that slices it from the front
shows the records' values reversed, and mixes them up as soon as their sizes differ.  Spectra
whose length changes from one record to the next (and the written part of READ_WRITE
attributes) make such mistakes visible.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import tango  # test peer only: the oracle
import tango_core

WRITES = (["a"], ["b", "c", "d"], ["e", "f"], ["g", "h", "i", "j"])
NUMBERS = ([1.5], [2.5, 3.5, 4.5], [], [5.5, 6.5])


def _record(da) -> tuple:
    def plain(v):
        return v.tolist() if isinstance(v, np.ndarray) else (list(v) if isinstance(v, (list, tuple)) else v)
    return (round(da.time.totime(), 6), plain(da.value), plain(da.w_value), da.dim_x, da.w_dim_x,
            str(da.quality))


@pytest.fixture(params=["pytango-server", "tango_core-server"])
def device(request) -> str:
    server = request.getfixturevalue("nodb_server" if request.param == "pytango-server" else "core_nodb_server")
    return server.devices[1]


@pytest.mark.parametrize(("attr", "values"), [("string_spectrum_rw", WRITES), ("double_spectrum_rw", NUMBERS)])
def test_history_of_spectra_of_changing_length(device, attr, values):
    ours, theirs = tango_core.DeviceProxy(device), tango.DeviceProxy(device)
    ours.poll_attribute(attr, 100)
    try:
        for value in values:
            ours.write_attribute(attr, value)
            time.sleep(0.25)
        mine = [_record(da) for da in ours.attribute_history(attr, 20)]
        reference = [_record(da) for da in theirs.attribute_history(attr, 20)]
    finally:
        ours.stop_poll_attribute(attr)
    # the ring moved on between the two calls: compare the records both got (same date)
    common = {r[0] for r in mine} & {r[0] for r in reference}
    assert len(common) >= len(values)
    assert [r for r in mine if r[0] in common] == [r for r in reference if r[0] in common]
    # every written value is there, in the order written, each with its set point
    seen = []
    for _, value, w_value, *_ in mine:
        if value in [list(v) for v in values] and (not seen or seen[-1] != value):
            seen.append(value)
            assert w_value == value
    assert seen[-len(values):] == [list(v) for v in values]
    dates = [r[0] for r in mine]
    assert dates == sorted(dates)


def test_attribute_proxy_history_matches_pytango(device):
    ours = tango_core.AttributeProxy(f"{device.removesuffix('#dbase=no')}/string_spectrum_rw#dbase=no")
    theirs = tango.AttributeProxy(f"{device.removesuffix('#dbase=no')}/string_spectrum_rw#dbase=no")
    ours.poll(100)
    try:
        for value in WRITES:
            ours.write(value)
            time.sleep(0.15)
        mine = [_record(da) for da in ours.history(10)]
        reference = [_record(da) for da in theirs.history(10)]
    finally:
        ours.stop_poll()
    common = {r[0] for r in mine} & {r[0] for r in reference}
    assert len(common) >= 3
    assert [r for r in mine if r[0] in common] == [r for r in reference if r[0] in common]


@pytest.fixture(params=["pytango-server", "tango_core-server"])
def history_device(request, peer_factory) -> str:
    peer = peer_factory.pytango_server("HistoryServer", "hist", nodb=True, device_names=["test/history/1"],
                                       device_class="HistoryDevice",
                                       on_tango_core=request.param == "tango_core-server")
    return peer.device


@pytest.mark.parametrize("cmd", ["Growing", "Counter"])
def test_command_history_matches_pytango(history_device, cmd):
    ours, theirs = tango_core.DeviceProxy(history_device), tango.DeviceProxy(history_device)
    ours.poll_command(cmd, 100)
    time.sleep(1.0)
    try:
        mine = ours.command_history(cmd, 8)
        reference = theirs.command_history(cmd, 8)
    finally:
        ours.stop_poll_command(cmd)

    def records(history):
        out = {}
        for h in history:
            value = h.extract()
            out[round(h.get_date().totime(), 6)] = value.tolist() if isinstance(value, np.ndarray) else value
        return out
    mine, reference = records(mine), records(reference)
    common = set(mine) & set(reference)
    assert len(common) >= 5
    assert [mine[t] for t in sorted(common)] == [reference[t] for t in sorted(common)]
    if cmd == "Growing":  # sizes 0..3 all met, each record its own values
        assert {len(v) for v in mine.values()} == {0, 1, 2, 3}
