"""The admin device's QueryWizardDevProperty / QueryWizardClassProperty with entries a classic
DeviceClass added (add_wiz_dev_prop / add_wiz_class_prop): the same server file
(tests/servers/WizardPropertiesServer.py) under PyTango and under tango_core answers the same."""

from __future__ import annotations

import pytest

import peers

pytestmark = pytest.mark.peers


def _wizard_answers(impl: str, tmp_path) -> list:
    from server_clients import pytango_proxy

    peer = peers.start_classic_script(peers.SERVERS_DIR / "WizardPropertiesServer.py", "x", ["test/wizard/1"],
                                      on_tango_core=impl == "tango_core", log_dir=tmp_path)
    try:
        admin = pytango_proxy(peer.admin_device)
        return [list(admin.QueryWizardDevProperty("Wizard")), list(admin.QueryWizardClassProperty("Wizard"))]
    finally:
        peer.stop()


def test_wizard_entries_as_under_pytango(tmp_path):
    seen = {impl: _wizard_answers(impl, tmp_path) for impl in ("pytango", "tango_core")}
    assert seen["tango_core"] == seen["pytango"]
    devices, classes = seen["tango_core"]
    assert devices[-6:] == ["extra", "an extra one", "Not specified", "extra2", "another", "7"]
    assert classes[-3:] == ["cextra", "class extra", "x"]
