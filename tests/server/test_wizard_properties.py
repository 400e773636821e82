"""The admin device's QueryWizardDevProperty / QueryWizardClassProperty with entries a classic
DeviceClass added (add_wiz_dev_prop / add_wiz_class_prop): the same server file
(tests/servers/WizardPropertiesServer.py) under PyTango and under tango_core answers the same."""

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


def _wizard_answers(impl: str, tmp_path: Path) -> list:
    from server_clients import pytango_proxy

    port = peers.free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TANGO_HOST", "PYTHONPATH")}
    if impl == "tango_core":
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tango_core" / "pytango_alias"), str(ROOT)])
    log_path = tmp_path / f"{impl}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(peers.SERVERS_DIR / "WizardPropertiesServer.py"), "x",
                                 "-ORBendPoint", f"giop:tcp:127.0.0.1:{port}", "-nodb", "-dlist", "test/wizard/1"],
                                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while "Ready to accept request" not in log_path.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        admin = pytango_proxy(f"tango://127.0.0.1:{port}/dserver/WizardPropertiesServer/x#dbase=no")
        return [list(admin.QueryWizardDevProperty("Wizard")), list(admin.QueryWizardClassProperty("Wizard"))]
    finally:
        proc.kill()
        proc.wait(10)


def test_wizard_entries_as_under_pytango(tmp_path):
    seen = {impl: _wizard_answers(impl, tmp_path) for impl in ("pytango", "tango_core")}
    assert seen["tango_core"] == seen["pytango"]
    devices, classes = seen["tango_core"]
    assert devices[-6:] == ["extra", "an extra one", "Not specified", "extra2", "another", "7"]
    assert classes[-3:] == ["cextra", "class extra", "x"]
