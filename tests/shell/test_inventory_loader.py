"""Reading the device table: the DbMySqlSelect fast path and the standard-API fallback must
agree, on PyTango's sqlite DataBaseds and on cppTango's DataBaseds (MariaDB)."""

from __future__ import annotations

import pytest

import tango_core
from itango.inventory_loader import _records_fast, _records_standard, fetch_inventory


def _rows(records):
    return sorted((r.name.lower(), r.alias, r.server, r.klass, r.exported) for r in records)


@pytest.mark.parametrize("which", ["tango_host", "cpp_tango_host"])
def test_fast_path_and_fallback_read_the_same_devices(which, request):
    host, port = request.getfixturevalue(which).split(":")
    db = tango_core.Database(host, port)
    fast, standard = _records_fast(db), _records_standard(db)
    assert _rows(fast) == _rows(standard)
    names = {r.name.lower() for r in fast}
    assert {"sys/database/2", "sys/tg_test/1", "dserver/tangotest/test"} <= names
    tg = next(r for r in fast if r.name.lower() == "sys/tg_test/1")
    assert (tg.klass, tg.server, tg.exported) == ("TangoTest", "TangoTest/test", True)


def test_inventory_of_the_reference_database(tango_host):
    inventory = fetch_inventory(tango_core.Database(), tango_host)
    assert inventory.tango_host == tango_host
    assert inventory.lookup("SYS/TG_TEST/1").name == "sys/tg_test/1"
    assert not inventory.lookup("sys/access_control/1").exported
    assert [r.name for r in inventory.class_devices("tangotest")] == ["sys/tg_test/1"]
    assert "DServer" not in inventory.user_classes()
