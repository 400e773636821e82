"""Attributes declared with default properties (``min_value``, ``max_alarm``, ``delta_t`` ...)
that cppTango accepts, served as declared, and a way to declare ones it refuses.

* The class's own attributes: good declarations, which both servers must serve the same way.
* ``ATTRIBUTE_DEFAULTS`` in the environment (JSON ``{"dtype": "DevLong", "props": {...}}``)
  declares one more attribute, ``extra``, with those properties: a bad one must stop the server
  at start-up, as cppTango's ``Attr::set_default_properties`` does.
* The ``AddAttribute`` command (the same JSON with a ``name``) adds a dynamic attribute: a bad
  declaration must make ``add_attribute`` raise, and the command answer that DevFailed.

JSON keeps the difference a test needs: ``1.0`` is a float, ``1`` an int, ``null`` None.
"""

import json
import os

import tango
from tango import AttrWriteType
from tango.server import Device, attribute, command


def _declared(spec):
    """``attribute(...)`` keywords of one JSON declaration."""
    return dict(dtype=getattr(tango.CmdArgType, spec["dtype"]), access=AttrWriteType.READ_WRITE,
                fget=lambda self: self._value, fset=lambda self, value: None, **spec["props"])


class AttributeDefaults(Device):
    _value = 1

    scaled = attribute(dtype=float, access=AttrWriteType.READ_WRITE, min_value=-10, max_value=10.5,
                       min_alarm=-8, max_alarm=8, min_warning="-6", max_warning="6.5", delta_t=1000,
                       delta_val=0.5, abs_change="1,2", rel_change=5, event_period=200, archive_period="300",
                       fget=lambda self: 1.5, fset=lambda self, value: None)
    counted = attribute(dtype=int, access=AttrWriteType.READ_WRITE, min_value=" -5", max_value="+50",
                        min_alarm=-4, max_alarm=40, delta_t="100", delta_val=2,
                        fget=lambda self: 3, fset=lambda self, value: None)
    small = attribute(dtype=tango.DevShort, min_value=-3, max_value="NaN", min_alarm="",
                      fget=lambda self: 1)
    named = attribute(dtype=str, min_value="abc", unit=None, label=None, format=None,
                      fget=lambda self: "x")
    flag = attribute(dtype=bool, min_value=0, max_value="1", fget=lambda self: True)

    if os.environ.get("ATTRIBUTE_DEFAULTS"):
        extra = attribute(**_declared(json.loads(os.environ["ATTRIBUTE_DEFAULTS"])))

    @command(dtype_in=str, dtype_out=str)
    def AddAttribute(self, declaration):
        spec = json.loads(declaration)
        self.add_attribute(attribute(name=spec["name"], **_declared(spec)))
        return spec["name"]


if __name__ == "__main__":
    AttributeDefaults.run_server()
