"""Replies served from cached octets follow every change.

PyTango's client asks ``get_attribute_config_5`` before each ``write_attribute`` and
``command_query_2`` before each ``command_inout``, so the server answers these from CDR octets it
keeps per attribute and per command, under a key of every field the reply shows.  These tests
change each such field -- from a client, from device code, by adding a command -- and check that
the next reply shows it.
"""

from __future__ import annotations

import pytest

from server_clients import DEVFAILED
from tango_core import AttrWriteType, DispLevel
from tango_core.server import Device, attribute, command
from tango_core.server.attributes import WAttribute
from tango_core.server.command_declaration import CommandDef
from tango_core.test_context import DeviceTestContext
from tango_core.wire.cdr import CDRWriter


def _fresh(struct, little_endian: bool) -> bytes:
    w = CDRWriter(little_endian)
    struct.write(w)
    return bytes(w.buf)


@pytest.mark.parametrize("little_endian", [True, False])
def test_attribute_config_octets_follow_every_field(little_endian):
    attr = WAttribute("volts", 5, writable=AttrWriteType.READ_WRITE, class_defaults={"unit": "V"})

    def check():
        for idl in (1, 2, 3, 5):
            assert attr.config_octets(idl, little_endian) == _fresh(attr.config_struct(idl), little_endian)

    check()
    attr.set_property_string("unit", "mV")
    check()
    attr.set_max_alarm(50.0)
    check()
    attr.set_property_string("rel_change", "1,2")
    check()
    attr.enum_labels.append("a")          # changed in place
    check()
    attr.enum_labels = ["b", "c"]
    check()
    attr.display_level = DispLevel.EXPERT
    check()
    attr.writable_attr_name = "other"
    check()
    attr.memorized = attr.hw_memorized = True
    check()
    attr.set_property_string("unit", "")  # back to the class default
    check()
    assert "V" in attr.get_config_5().unit


def test_command_info_octets_follow_every_field():
    cmd = CommandDef("Scale", 5, 5, "factor", "scaled")

    def check():
        for idl, info in ((1, cmd.info()), (2, cmd.info_2())):
            for le in (True, False):
                assert cmd.info_octets(idl, le) == _fresh(info, le)

    check()
    cmd.in_desc = "new factor"
    check()
    cmd.display_level = DispLevel.EXPERT
    check()
    cmd.out_desc = "new result"
    check()


class Tunable(Device):
    def init_device(self):
        super().init_device()
        self._volts = 1.0

    @attribute(dtype=float, unit="V", access=AttrWriteType.READ_WRITE)
    def volts(self):
        return self._volts

    @volts.write
    def volts(self, value):
        self._volts = value

    @command(dtype_in=float)
    def LimitVolts(self, top):
        self.get_device_attr().get_attr_by_name("volts").set_max_alarm(top)

    @command(dtype_in=str)
    def AddProbe(self, doc):
        self.add_command(command(f=self.probe, dtype_out=float, doc_out=doc))

    @command(dtype_in=str)
    def DropProbe(self, name):
        self.remove_command(name)

    def probe(self):
        return 2.0


def test_configuration_replies_follow_changes_by_clients_and_device_code(client):
    ctx = DeviceTestContext(Tunable)
    with ctx:
        p = client(ctx.get_device_access())
        assert p.get_attribute_config("volts").unit == "V"
        p.write_attribute("volts", 2.0)              # the config asked before a write is now cached
        p.command_inout("LimitVolts", 50.0)          # device code changes the configuration
        assert float(p.get_attribute_config("volts").max_alarm) == 50.0
        cfg = p.get_attribute_config("volts")
        cfg.unit = "mV"
        p.set_attribute_config(cfg)                  # a client changes it
        assert p.get_attribute_config("volts").unit == "mV"
        # (tango_core's client keeps command infos per proxy: a new proxy asks the server again)
        with pytest.raises(DEVFAILED):
            client(ctx.get_device_access()).command_query("probe")
        p.command_inout("AddProbe", "volts at the probe")
        assert client(ctx.get_device_access()).command_query("probe").out_type_desc == "volts at the probe"
        assert p.command_inout("probe") == 2.0
        p.command_inout("DropProbe", "probe")
        with pytest.raises(DEVFAILED):
            client(ctx.get_device_access()).command_query("probe")
        p.command_inout("AddProbe", "other words")
        assert client(ctx.get_device_access()).command_query("probe").out_type_desc == "other words"
