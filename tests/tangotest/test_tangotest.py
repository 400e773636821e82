"""Our TangoTest (``python -m tango_core.tangotest``) side by side with Debian's cppTango 9.3
TangoTest, both read with our client: the same interface (commands, attributes and their
configuration) except what 9.3 lacks, and the same behaviour (echoes, write-read, moving
values, errors, SwitchStates)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import peers

#: what cppTango's TangoTest has since 2021 and Debian's 9.3 build does not
MISSING_IN_93 = {"enum_scalar"}
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


def test_same_attributes_as_debian_93_plus_what_it_lacks(ours, debian) -> None:
    def table(dev):
        return {a.name: tuple(str(getattr(a, f)) for f in CONFIG_FIELDS) for a in dev.attribute_list_query_ex()}
    mine, theirs = table(ours), table(debian)
    assert set(mine) - set(theirs) == MISSING_IN_93
    assert set(theirs) <= set(mine)
    assert {n: mine[n] for n in theirs} == theirs
    enum = ours.get_attribute_config("enum_scalar")
    assert list(enum.enum_labels) == ["LABEL0", "LABEL1", "LABEL2"]


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
