"""Our TangoTest (``python -m tango_core.tangotest``) side by side with Debian's cppTango 9.3
TangoTest, both read with our client: the same interface (commands, attributes and their
configuration) for what both have, and the same behaviour (echoes, write-read, moving values,
errors, SwitchStates).  Ours follows the current TangoTest, a superset of 9.3's: what 9.3 lacks
(ADDED_SINCE_93) is checked on ours alone, as a user sees it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import peers

#: the attributes the current TangoTest (Tango 10, PyTango 10.3.1's tests) has and Debian's 9.3
#: build does not; both have the same commands
ADDED_SINCE_93 = {"echo_mode", "enum_image", "enum_image_ro", "enum_scalar", "enum_scalar_ro", "enum_spectrum",
                  "enum_spectrum_ro", "freq", "long_scalar_ts_future", "long_scalar_ts_past"}
CONFIG_FIELDS = ("data_type", "data_format", "writable", "max_dim_x", "max_dim_y", "description", "label", "unit",
                 "standard_unit", "display_unit", "format", "min_value", "max_value", "min_alarm", "max_alarm",
                 "writable_attr_name", "disp_level", "memorized")


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory):
    """Our TangoTest without database (device sys/tg_test/1), generating every 100 ms."""
    port = peers.free_port()
    log = (tmp_path_factory.mktemp("tangotest") / "ours.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "tango_core.tangotest", "test", "-nodb", "-dlist", "sys/tg_test/1",
                             "-ORBendPoint", f"giop:tcp:127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    import tango_core

    name = f"tango://127.0.0.1:{port}/sys/tg_test/1#dbase=no"
    deadline = time.monotonic() + 30
    while True:
        try:
            dev = tango_core.DeviceProxy(name)
            dev.ping()
            break
        except tango_core.DevFailed:
            assert proc.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.05)
    yield dev
    proc.terminate()
    assert proc.wait(15) == 0
    log.close()


@pytest.fixture(scope="module")
def debian(tango_host: str):
    import tango_core

    return tango_core.DeviceProxy(f"tango://{tango_host}/sys/tg_test/1")


def test_same_commands_as_debian_93(ours, debian) -> None:
    def table(dev):
        return {c.cmd_name: (c.in_type, c.out_type, c.in_type_desc, c.out_type_desc, c.disp_level)
                for c in dev.command_list_query()}
    assert table(ours) == table(debian)


def test_same_attributes_as_debian_93_plus_those_added_since(ours, debian) -> None:
    def table(dev):
        return {a.name: tuple(str(getattr(a, f)) for f in CONFIG_FIELDS) for a in dev.attribute_list_query_ex()}
    mine, theirs = table(ours), table(debian)
    assert set(mine) - set(theirs) == ADDED_SINCE_93
    assert set(theirs) <= set(mine)
    assert {n: mine[n] for n in theirs} == theirs


@pytest.mark.parametrize("command, value", [
    ("DevBoolean", True), ("DevShort", -32768), ("DevUShort", 65535), ("DevLong", -2**31), ("DevULong", 2**32 - 1),
    ("DevLong64", -2**63), ("DevULong64", 2**64 - 1), ("DevFloat", 1.5), ("DevDouble", -1e300),
    ("DevString", "héllo wörld"), ("DevVarCharArray", [0, 1, 255]), ("DevVarShortArray", [-1, 2]),
    ("DevVarUShortArray", [0, 65535]), ("DevVarLongArray", [2**31 - 1]), ("DevVarULongArray", [2**32 - 1]),
    ("DevVarLong64Array", [-2**63, 2**63 - 1]), ("DevVarULong64Array", [2**64 - 1]), ("DevVarFloatArray", [0.5]),
    ("DevVarDoubleArray", [1.0, 2.0, 3.0]), ("DevVarStringArray", ["a", "", "b"]),
    ("DevVarLongStringArray", ([1, 2], ["x", "y"])), ("DevVarDoubleStringArray", ([1.5], ["z"])),
])
def test_echo_commands_answer_like_debian_93(ours, debian, command: str, value) -> None:
    def norm(v):
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        return v
    assert norm(ours.command_inout(command, value)) == norm(debian.command_inout(command, value))
    assert ours.command_inout("DevVoid") is None


def test_write_read_echo_and_errors(ours) -> None:
    ours.write_attribute("string_scalar", "written")
    assert ours.read_attribute("string_scalar").value == "written"
    ours.write_attribute("boolean_scalar", False)
    assert ours.read_attribute("boolean_scalar").value is np.False_ or not ours.read_attribute("boolean_scalar").value
    ours.write_attribute("double_spectrum", [1.0, 2.0, 3.0])
    assert ours.read_attribute("double_spectrum").value.tolist() == [1.0, 2.0, 3.0]
    ours.write_attribute("long_image", [[1, 2, 3], [4, 5, 6]])
    value = ours.read_attribute("long_image")
    assert value.value.tolist() == [[1, 2, 3], [4, 5, 6]] and (value.dim_x, value.dim_y) == (3, 2)
    ours.write_attribute("string_spectrum", ["a", "b"])
    assert list(ours.read_attribute("string_spectrum").value) == ["a", "b"]
    ours.write_attribute("enum_scalar", 2)
    assert ours.read_attribute("enum_scalar").value == 2
    with pytest.raises(Exception) as exc:
        ours.read_attribute("throw_exception").value  # noqa: B018
    assert "here is the exception you requested" in str(exc.value)
    with pytest.raises(Exception) as exc:
        ours.read_attribute("no_value").value  # noqa: B018
    assert "API_AttrValueNotSet" in str(exc.value)


def test_read_only_values_move_and_follow_the_written_amplitudes(ours) -> None:
    first = ours.read_attribute("short_spectrum_ro").value.copy()
    image = ours.read_attribute("double_image_ro")
    assert (image.dim_x, image.dim_y) == (251, 251) and image.value.max() > 0
    deadline = time.monotonic() + 10
    while np.array_equal(first, ours.read_attribute("short_spectrum_ro").value):
        assert time.monotonic() < deadline, "short_spectrum_ro never changed"
        time.sleep(0.2)
    ours.write_attribute("ampli", 0.0)
    time.sleep(2.5)  # the default Sleep_period is 2 s: one generation later the wave is flat
    assert not ours.read_attribute("wave").value.any()
    ours.write_attribute("ampli", 1.0)
    ours.write_attribute("short_scalar", 10)
    time.sleep(2.5)
    assert 0 <= ours.read_attribute("short_scalar").value < 10


def test_switch_states_toggles_running_and_fault(ours) -> None:
    import tango_core

    assert ours.state() == tango_core.DevState.RUNNING
    ours.command_inout("SwitchStates")
    assert ours.state() == tango_core.DevState.FAULT
    ours.command_inout("SwitchStates")
    assert ours.state() == tango_core.DevState.RUNNING
    assert ours.status() == "The device is in RUNNING state."


# -- what the current TangoTest added to 9.3's: on ours alone -----------------------------------

@pytest.mark.parametrize("name, writable, dformat, dims, labels", [
    ("enum_scalar", "READ_WRITE", "SCALAR", (1, 0), ["LABEL0", "LABEL1", "LABEL2"]),
    ("enum_scalar_ro", "READ", "SCALAR", (1, 0), ["LABEL3", "LABEL4", "LABEL5"]),
    ("enum_spectrum", "READ_WRITE", "SPECTRUM", (4096, 0), ["LABEL6", "LABEL7", "LABEL8"]),
    ("enum_spectrum_ro", "READ", "SPECTRUM", (4096, 0), ["LABEL9", "LABEL10", "LABEL11"]),
    ("enum_image_ro", "READ", "IMAGE", (251, 251), ["LABEL12", "LABEL13", "LABEL14"]),
    ("enum_image", "READ_WRITE", "IMAGE", (251, 251), ["LABEL15", "LABEL16", "LABEL17"]),
])
def test_enum_attributes_have_their_own_labels(ours, name, writable, dformat, dims, labels) -> None:
    config = ours.get_attribute_config(name)
    assert (str(config.data_type), str(config.writable), str(config.data_format)) == ("DevEnum", writable, dformat)
    assert (config.max_dim_x, config.max_dim_y) == dims
    assert list(config.enum_labels) == labels
    assert config.format == "%s"  # TangoTest sets none: cppTango's default for an enumeration


def test_read_only_enums_show_their_first_label_everywhere(ours) -> None:
    assert ours.read_attribute("enum_scalar_ro").value == 0
    spectrum = ours.read_attribute("enum_spectrum_ro").value
    assert spectrum.shape == (256,) and not spectrum.any()
    image = ours.read_attribute("enum_image_ro").value
    assert image.shape == (251, 251) and not image.any()


def test_enum_spectrum_and_image_echo_what_was_written(ours) -> None:
    ours.write_attribute("enum_spectrum", [2, 0, 1])
    assert ours.read_attribute("enum_spectrum").value.tolist() == [2, 0, 1]
    ours.write_attribute("enum_image", [[1, 2], [0, 1], [2, 2]])
    value = ours.read_attribute("enum_image")
    assert value.value.tolist() == [[1, 2], [0, 1], [2, 2]] and (value.dim_x, value.dim_y) == (2, 3)
    assert ours.read_attribute("enum_spectrum_ro").value.shape == (256,)  # the read-only ones stay


@pytest.mark.parametrize("name, value", [("enum_scalar", 3), ("enum_spectrum", [0, 3]),
                                         ("enum_image", np.array([[-1]], np.int16))])
def test_enum_writes_of_no_label_are_refused(ours, name, value) -> None:
    before = ours.read_attribute(name).value
    with pytest.raises(Exception) as exc:
        ours.write_attribute(name, value)
    assert "API_WAttrOutsideLimit" in str(exc.value)
    assert np.array_equal(ours.read_attribute(name).value, before)


def test_freq_is_the_frequency_of_wave(ours) -> None:
    """``wave`` is ``ampli * sin(freq * (i + k) degrees)``: freq 0 flattens it (sin 0), and the
    default freq (10) makes a wave whose period is 36 points."""
    config = ours.get_attribute_config("freq")
    assert (str(config.data_type), str(config.writable)) == ("DevDouble", "WRITE")
    wave = ours.read_attribute("wave").value
    assert abs(wave).max() > 0.5
    np.testing.assert_allclose(wave[36:], wave[:-36], atol=1e-3)
    try:
        ours.write_attribute("freq", 0.0)
        time.sleep(2.5)  # one generation (Sleep_period 2 s) later
        assert not ours.read_attribute("wave").value.any()
        assert ours.read_attribute("freq").w_value == 0.0
    finally:
        ours.write_attribute("freq", 10.0)


def test_echo_mode_makes_the_generated_scalars_read_what_was_written(ours) -> None:
    """Off (the default), short_scalar reads a random number below the written value; on, it
    and its read-with-write twin read the written value itself, ulong_scalar still does not
    (as in TangoTest), and the moving values stop moving until echo_mode is off again."""
    config = ours.get_attribute_config("echo_mode")
    assert (str(config.data_type), str(config.writable)) == ("DevBoolean", "READ_WRITE")
    assert not ours.read_attribute("echo_mode").value
    ours.write_attribute("short_scalar", 30000)
    ours.write_attribute("ulong_scalar", 1000)
    time.sleep(2.5)
    assert ours.read_attribute("short_scalar").value < 30000
    try:
        ours.write_attribute("echo_mode", True)
        assert bool(ours.read_attribute("echo_mode").value)
        assert ours.read_attribute("short_scalar").value == 30000
        assert ours.read_attribute("short_scalar_rww").value == 30000
        ours.write_attribute("double_scalar", -28.5)
        ours.write_attribute("uchar_scalar", 200)
        assert ours.read_attribute("double_scalar").value == -28.5
        assert ours.read_attribute("double_scalar_rww").value == -28.5
        assert ours.read_attribute("uchar_scalar").value == 200
        assert ours.read_attribute("ulong_scalar").value < 1000
        frozen = ours.read_attribute("short_spectrum_ro").value.copy()
        time.sleep(2.5)
        assert np.array_equal(ours.read_attribute("short_spectrum_ro").value, frozen)
    finally:
        ours.write_attribute("echo_mode", False)
    time.sleep(2.5)
    assert ours.read_attribute("short_scalar").value < 30000
    assert not np.array_equal(ours.read_attribute("short_spectrum_ro").value, frozen)


@pytest.mark.parametrize("name, sign", [("long_scalar_ts_future", 1), ("long_scalar_ts_past", -1)])
def test_time_stamps_in_the_future_and_in_the_past(ours, name, sign) -> None:
    from tango_core.tangotest.device import TIMESTAMP_OFFSET

    config = ours.get_attribute_config(name)
    assert (str(config.data_type), str(config.writable)) == ("DevLong", "READ_WRITE")
    ours.write_attribute(name, 76)
    before = time.time()
    value = ours.read_attribute(name)
    after = time.time()
    assert value.value == 76 and value.w_value == 76
    stamp = value.time.totime()
    assert before + sign * TIMESTAMP_OFFSET - 1 <= stamp <= after + sign * TIMESTAMP_OFFSET + 1


def _enum_outcome(call, read):
    """("ok", what is read back) or ("error", exception class or DevFailed reasons, message start)."""
    import tango_core

    try:
        call()
    except tango_core.DevFailed as exc:
        return ("error", "DevFailed", tuple(e.reason for e in exc.args))
    except Exception as exc:  # noqa: BLE001 - the class is the observation
        if type(exc).__name__ == "DevFailed":  # PyTango's
            return ("error", "DevFailed", tuple(e.reason for e in exc.args))
        return ("error", type(exc).__name__, str(exc)[:40])
    value = read()
    return ("ok", value.tolist() if isinstance(value, np.ndarray) else
            [[int(x) for x in row] for row in value] if isinstance(value, tuple) and value and isinstance(value[0], tuple)
            else [int(x) for x in value] if isinstance(value, tuple) else int(value))


def _enum_differs_deliberately(attr: str, form: str, value):
    """What tango_core does where it departs from PyTango's client on purpose (None: the same):
    it takes labels in write_attribute too, numpy integers, and numeric numpy arrays in
    ``dev.attr = array``; it refuses a number past DevShort's range where PyTango keeps its low
    16 bits (65536 written as 0) or sends it wrapped (65535 as -1)."""
    flat = [value] if attr == "enum_scalar" else [x for row in value for x in (row if isinstance(row, list) else [row])] \
        if isinstance(value, list) else None
    labels = {"enum_scalar": ["LABEL0", "LABEL1", "LABEL2"], "enum_spectrum": ["LABEL6", "LABEL7", "LABEL8"],
              "enum_image": ["LABEL15", "LABEL16", "LABEL17"]}[attr]
    texts = [x for x in flat or () if isinstance(x, str)]
    if texts and form == "write_attribute":
        unknown = [x for x in texts if x not in labels]
        if unknown:
            return ("error", "ValueError", f"Invalid enum label {unknown[0]!r}; valid labels: {labels}"[:40])
        return None  # all known: the "taken" lines below say what is read back
    if flat is not None and any(isinstance(x, int) and not isinstance(x, bool) and x > 32767 for x in flat):
        return ("error", "OverflowError", "Value is too large.")
    return None


def test_enum_writes_are_refused_or_taken_as_pytango_does(ours) -> None:
    """Writing DevEnum scalars, spectra and images (numbers, labels, numpy values, lists mixing them)
    with write_attribute and with ``dev.attr = v``: the same value read back, or the same
    exception, through PyTango's client as through ours, on our TangoTest (Debian's 9.3 one has no
    enumerations) -- but where tango_core departs from PyTango on purpose (_enum_differs_deliberately
    and the lines marked below)."""
    import enum

    import tango  # test peer only: the oracle

    ref = tango.DeviceProxy(ours._given_name)
    Labels = enum.IntEnum("Labels", [("LABEL6", 0), ("LABEL7", 1), ("LABEL8", 2)])
    taken = object()  # PyTango refuses, tango_core takes it: (value, what ours reads back)
    cases = {
        "enum_scalar": [0, 2, 3, -1, 65535, 65536, 2**31, 2**64, True, Labels.LABEL7, 1.0, 1.5, (taken, "LABEL1", 1), "LABEL9",
                        "1", b"1", None, [1], np.bool_(True), np.float32(1.0),
                        (taken, np.int16(1), 1), (taken, np.int64(2), 2), (taken, np.uint8(1), 1),
                        (taken, np.array(1), 1)],
        "enum_spectrum": [[0, 2, 1], [2], [0, 3], [-1], [65536], [True], [Labels.LABEL8], (1, 2), [], [1.0], [[1]],
                          "LABEL7", ["LABEL7", "LABEL9"], np.array([1.5]), np.array([-1]),
                          np.array([1, 2], np.int16), np.array([1, 2], np.uint16),
                          (taken, [np.int16(1), np.int64(2)], [1, 2]), (taken, ["LABEL7", "LABEL8"], [1, 2]),
                          (taken, ["LABEL7", 1], [1, 1])],
        "enum_image": [[[1, 2], [0, 1]], [[2]], [[0, 3]], [[-1]], np.array([[1, 0]], np.int16), [[1], [2, 0]],
                       (taken, [["LABEL16"]], [[1]])],
    }
    mismatches = []
    for attr, values in cases.items():
        reset = {"enum_scalar": 0, "enum_spectrum": [0], "enum_image": [[0]]}[attr]
        for value in values:
            ours_take = None
            if isinstance(value, tuple) and value and value[0] is taken:
                _, value, ours_take = value
            for form in ("write_attribute", "setattr"):
                outcomes = []
                for dev in (ref, ours):
                    dev.write_attribute(attr, reset)
                    call = (lambda: dev.write_attribute(attr, value)) if form == "write_attribute" \
                        else (lambda: setattr(dev, attr, value))
                    outcomes.append(_enum_outcome(call, lambda: dev.read_attribute(attr).value))
                theirs, got = outcomes
                expected = _enum_differs_deliberately(attr, form, value) or theirs
                if form == "write_attribute":
                    theirs_written = theirs
                elif isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
                    expected = theirs_written  # ``dev.attr = array`` writes the array as write_attribute does
                if ours_take is not None and theirs[0] == "error":
                    expected = ("ok", ours_take)
                if got != expected:
                    mismatches.append((attr, form, value, got, theirs))
    assert not mismatches, "\n".join(f"{a} {f} {v!r}: ours={o!r} pytango={t!r}" for a, f, v, o, t in mismatches)
