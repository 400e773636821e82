"""What a client is told when a device's is_allowed methods refuse a read, a write or a command:
the same reasons and texts from a tango_core server as from a PyTango 10.3.1 server (the write's
text names the device state, as cppTango's does)."""

from __future__ import annotations

import pytest

import tango  # test peer only: the reference server and client
import tango_core

CALLS = {
    "read": lambda p: p.read_attribute("guarded"),
    "write": lambda p: p.write_attribute("guarded", 2.0),
    "command": lambda p: p.command_inout("Guarded"),
}


def test_refusal_texts_as_pytango_servers(peer_factory):
    devices = {on_core: peer_factory.pytango_server("RefusingServer", "core" if on_core else "py", nodb=True,
                                                    device_names=["test/refusing/1"], device_class="RefusingDevice",
                                                    on_tango_core=on_core).device
               for on_core in (False, True)}
    for call in sorted(CALLS):
        seen = {}
        for on_core, trl in devices.items():
            with pytest.raises(tango.DevFailed) as info:
                CALLS[call](tango.DeviceProxy(trl))
            seen[on_core] = [(e.reason, e.desc) for e in info.value.args]
        assert seen[True] == seen[False], call
    assert seen[True]
    write_text = [(e.reason, e.desc) for e in pytest.raises(tango.DevFailed, CALLS["write"],
                                                            tango.DeviceProxy(devices[True])).value.args]
    assert write_text[0] == ("API_AttrNotAllowed",
                             "It is currently not allowed to write attribute guarded. The device state is ON")


CLASSIC_DEFINITIONS = [
    "not a sequence", [], [1, 2, 3], [[1]], [["DevDouble?", 0, 0]],
    [["float", "format?", 0]],
    [[5, 0, 0, 0]],           # a scalar with 4 parameters
    [[5, 1, 0]],              # a spectrum without dim_x
    [[5, 1, 0, "x"]],
    [[5, 2, 0, 3]],           # an image without dim_y
    [[5, 2, 0, "x", "y"]], [[5, 2, 0, 3, "y"]],
    [[5, 0, "write?"]],
    [[5, 0, 0], {"display level": "expert?"}],
    [[5, 0, 0], {"polling period": "soon"}],
    [[5, 0, 0], {"memorized": "maybe"}],
    [[29, 0, 0], {}],         # DevEnum without enum_labels
]


@pytest.mark.parametrize("definition", CLASSIC_DEFINITIONS, ids=range(len(CLASSIC_DEFINITIONS)))
def test_wrong_classic_attribute_definitions_are_refused_as_pytango(definition):
    """A classic-API ``attr_list`` entry that does not describe an attribute is refused with
    PyTango's message (which says what is wrong and where) when the class is built."""
    from tango.attr_data import AttrData as PyTangoAttrData

    from tango_core.server.attribute_declaration import AttrData

    texts = []
    for cls, failure in ((PyTangoAttrData, tango.DevFailed), (AttrData, tango_core.DevFailed)):
        with pytest.raises(failure) as info:
            cls("some_attr", "SomeClass", attr_info=definition)
        texts.append([(e.reason, e.desc) for e in info.value.args])
    assert texts[1] == texts[0]
