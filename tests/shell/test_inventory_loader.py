"""The shell's device inventory read from PyTango's sqlite DataBaseds and from cppTango's
DataBaseds (MariaDB)."""

from __future__ import annotations

import pytest

import tango_core
from itango.inventory_loader import fetch_inventory


@pytest.mark.parametrize("which", ["tango_host", "cpp_tango_host"])
def test_inventory_of_a_reference_database(which, request):
    tango_host = request.getfixturevalue(which)
    inventory = fetch_inventory(tango_core.Database(*tango_host.split(":")), tango_host)
    assert inventory.tango_host == tango_host
    tg = inventory.lookup("SYS/TG_TEST/1")
    assert (tg.name, tg.klass, tg.server, tg.exported) == ("sys/tg_test/1", "TangoTest",
                                                          "TangoTest/test", True)
    assert inventory.lookup("sys/database/2").klass == "DataBase"
    assert "sys/tg_test/1" in [r.name for r in inventory.class_devices("tangotest")]
    assert "DServer" not in inventory.user_classes()
    assert all(not r.key.startswith("dserver/") for r in inventory.devices)
    assert any(r.key.startswith("dserver/") for r in inventory.all_devices)


def test_non_exported_devices_are_known_as_such(tango_host):
    inventory = fetch_inventory(tango_core.Database(), tango_host)
    assert not inventory.lookup("sys/access_control/1").exported
