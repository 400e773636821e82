"""A classic server started without a database and without -dlist serves the devices its
DeviceClass names in ``device_name_factory`` (cppTango's rule, which PyTango 10.3.1's binding
documents but does not call: tango_core only), and answers the class API's questions
(``get_cmd_by_name``, ``Util.reset_filedatabase`` refused: no file database)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import peers

pytestmark = pytest.mark.peers

ROOT = Path(__file__).resolve().parents[2]


def test_devices_named_by_their_class_without_a_database(tmp_path):
    from server_clients import pytango_proxy

    port = peers.free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TANGO_HOST", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tango_core" / "pytango_alias"), str(ROOT)])
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, str(peers.SERVERS_DIR / "NamedByClassServer.py"), "x",
                             "-ORBendPoint", f"giop:tcp:127.0.0.1:{port}", "-nodb"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while "Ready to accept request" not in (tmp_path / "server.log").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.1)
        answers = [pytango_proxy(f"tango://127.0.0.1:{port}/test/named/{i}#dbase=no").Hello() for i in (1, 2)]
    finally:
        proc.kill()
        proc.wait(10)
        log.close()
    assert answers == [f"test/named/{i} Hello API_CommandNotFound API_NotSupported" for i in (1, 2)]
