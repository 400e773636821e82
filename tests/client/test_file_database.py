"""``Database(path)``: a Tango database file, read and edited without a server, as PyTango's.

Files written by PyTango 10.3.1's own file database (cppTango's FileDatabase, in a child
process: its reads crash) are read here; files written here are served by a PyTango device
server started with ``-file=``; a test context's ``db`` is such a file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import peers
import pytest
import tango  # test peer only: the reference server and client

import tango_core
from tango_core.client.file_database import FileDatabase
from tango_core.server import Device, attribute, device_property
from tango_core.test_context import DeviceTestContext

DEVICE = "test/file/1"


def _pytango(script: str, path: Path) -> dict:
    """Run ``script`` with PyTango's ``tango.Database(path)`` as ``db``; its printed JSON."""
    code = "import json, sys, tango\ndb = tango.Database(sys.argv[1])\n" + textwrap.dedent(script)
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


def _new_file(tmp_path: Path) -> Path:
    path = tmp_path / "tango.db"
    path.write_text(f'MyServer/inst/DEVICE/MyClass: "{DEVICE}", "test/file/2"\n')
    return path


def test_reads_what_pytango_wrote(tmp_path):
    path = _new_file(tmp_path)
    _pytango(f"""
        db.put_class_property("MyClass", {{"cp": ["a", "b"], "spaced": "x y"}})
        db.put_device_property("{DEVICE}", {{"p1": ["1", "2"], "p2": "hello world", "p3": " "}})
        db.put_device_attribute_property("{DEVICE}", {{"attr1": {{"v1": ["1"], "v2": ["2", "3"]}}}})
    """, path)
    db = tango_core.Database(str(path))
    assert isinstance(db, FileDatabase)
    assert db.get_device_property(DEVICE, ["p1", "p2", "p3", "missing"]) == {
        "p1": ["1", "2"], "p2": ["hello world"], "p3": [" "], "missing": []}
    assert db.get_class_property("MyClass", ["cp", "spaced"]) == {"cp": ["a", "b"], "spaced": ["x y"]}
    assert db.get_device_attribute_property(DEVICE, ["attr1", "attr2"]) == {
        "attr1": {"v1": ["1"], "v2": ["2", "3"]}, "attr2": {}}
    assert list(db.get_device_name("MyServer/inst", "MyClass")) == [DEVICE, "test/file/2"]


_FILE_SERVER = """
from tango import AttrWriteType
from tango.server import Device, attribute, device_property, run


class FileProps(Device):
    gain = device_property(dtype=float, default_value=1.0)
    words = device_property(dtype=(str,), default_value=[])

    @attribute(dtype=float)
    def reading(self):
        return 2.0 * self.gain

    @attribute(dtype=str)
    def text(self):
        return "|".join(self.words)


if __name__ == "__main__":
    run((FileProps,))
"""


def test_a_pytango_server_runs_on_a_file_written_here(tmp_path):
    """PyTango's (cppTango's) device server started with -file= reads what was written here:
    devices, device properties (with spaces; a comma separates values there too), attribute
    properties."""
    path = tmp_path / "tango.db"
    path.write_text("")
    db = tango_core.Database(str(path))
    db.add_server("FileProps/inst", tango_core.DbDevInfo(DEVICE, "FileProps", "FileProps/inst"))
    db.put_device_property(DEVICE, {"gain": 2.5, "words": ["one", "two words", "a,b"]})
    db.put_device_attribute_property(DEVICE, {"reading": {"unit": "mm", "format": "%6.2f"}})
    script = tmp_path / "FileProps.py"
    script.write_text(_FILE_SERVER)
    port = peers.free_port()
    server = subprocess.Popen([sys.executable, str(script), "inst", f"-file={path}", "-ORBendPoint",
                               f"giop:tcp:127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "Ready to accept request" in line or not line:
                break
        assert "Ready to accept request" in lines[-1], "".join(lines)
        proxy = tango.DeviceProxy(f"tango://127.0.0.1:{port}/{DEVICE}#dbase=no")
        config = proxy.get_attribute_config("reading")
        assert (proxy.reading, proxy.text, config.unit, config.format) == (5.0, "one|two words|a|b", "mm", "%6.2f")
    finally:
        server.kill()
        server.wait(10)


def test_a_file_that_is_not_a_database_is_refused_with_its_line(tmp_path):
    path = tmp_path / "broken.db"
    path.write_text("MyServer/inst/DEVICE/MyClass: \"a/b/c\"\nnot a property line\n")
    with pytest.raises(tango_core.DevFailed) as info:
        tango_core.Database(str(path))
    assert "line 2" in info.value.args[0].desc


def test_an_entry_without_a_value_is_refused_as_by_pytango(tmp_path):
    """cppTango's file database wants a value after the colon: a property put as an empty list
    (written ``name: ``) makes the file unreadable, for PyTango's Database and for ours."""
    path = tmp_path / "empty.db"
    path.write_text(f'MyServer/inst/DEVICE/MyClass: "{DEVICE}"\n\n{DEVICE}->empty: \n\n{DEVICE}->other: 1\n')
    code = ("import sys, tango\ntry:\n    tango.Database(sys.argv[1])\nexcept tango.DevFailed as e:\n"
            "    print(e.args[0].reason, e.args[0].desc)\n")
    reference = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                               check=True).stdout
    with pytest.raises(tango_core.DevFailed) as ours:
        tango_core.Database(str(path))
    assert reference.startswith("API_DatabaseFileError File database: Error in file at line ")
    assert ours.value.args[0].reason == "API_DatabaseFileError"
    assert ours.value.args[0].desc == f"File database: Error in file at line 3 in file {path}."


def test_a_test_context_refuses_an_empty_list_property_as_pytangos():
    def files():
        return set(Path(tempfile.gettempdir()).glob("tango_core-test-context-*"))

    before = files()
    with pytest.raises(RuntimeError, match="Invalid FileDatabase file was created") as info:
        DeviceTestContext(WithProperties, device_name=DEVICE, properties={"gain": []})
    assert info.value.__cause__.args[0].reason == "API_DatabaseFileError"
    assert not files() - before  # the file it made is gone


class WithProperties(Device):
    gain = device_property(dtype=float, default_value=1.0)

    @attribute(dtype=float)
    def reading(self) -> float:
        return 2.0 * self.gain


def test_a_test_context_database_file_holds_its_devices_and_properties():
    context = DeviceTestContext(WithProperties, device_name=DEVICE, properties={"gain": 3.0})
    with context as proxy:
        assert proxy.reading == 6.0
        db = tango_core.Database(context.db)
        assert db.get_device_property(DEVICE, "gain") == {"gain": ["3.0"]}
        assert list(db.get_device_name("WithProperties/withproperties", "WithProperties")) == [DEVICE]
        db.put_device_attribute_property(DEVICE, {"reading": {"unit": "V"}})
        assert db.get_device_attribute_property(DEVICE, "reading") == {"reading": {"unit": ["V"]}}
    assert not Path(context.db).exists()  # the context made it, the context removes it


def test_a_given_database_file_gives_the_served_devices_their_properties(tmp_path):
    path = _new_file(tmp_path)
    tango_core.Database(str(path)).put_device_property(DEVICE, {"gain": "5"})
    with DeviceTestContext(WithProperties, device_name=DEVICE, db=str(path)) as proxy:
        assert proxy.reading == 10.0
    assert path.exists()  # the caller's file stays


def test_reread_and_write_the_file(tmp_path):
    """``reread_filedatabase`` sees what another writer put in the file; ``write_filedatabase``
    writes it again (PyTango's file reads crash: a fresh Database reads it back)."""
    path = _new_file(tmp_path)
    db = tango_core.Database(str(path))
    other = tango_core.Database(str(path))
    other.put_device_property(DEVICE, {"speed": ["3"]})
    assert dict(db.get_device_property(DEVICE, ["speed"])) == {"speed": []}
    db.reread_filedatabase()
    assert list(db.get_device_property(DEVICE, ["speed"])["speed"]) == ["3"]
    path.write_text("")                      # gone from the disk: written again from memory
    db.write_filedatabase()
    assert list(tango_core.Database(str(path)).get_device_property(DEVICE, ["speed"])["speed"]) == ["3"]
