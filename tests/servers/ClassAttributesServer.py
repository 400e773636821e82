"""A device class that asks its server about its attribute definitions: the device classes
(``Util.instance().get_class_list()``), the class's ``MultiClassAttribute`` (the ``Attr``
objects of ``get_class_attr()``), the device's own attributes, and ``AttrData`` objects built
with ``from_dict`` (``att_prop``, ``to_attr()``).  Commands answer in JSON so a test can put the
answers of PyTango and tango_core side by side.
"""

import json

import tango
from tango import AttrData, AttrWriteType, DevFailed, DispLevel, MultiClassAttribute, Util
from tango.server import Device, attribute, command


def _describe(attr):
    """What a device's code can learn of one class-level Attr."""
    return {
        "name": attr.get_name(), "is_attr": isinstance(attr, tango.Attr), "type": int(attr.get_type()),
        "format": str(attr.get_format()), "writable": str(attr.get_writable()),
        "disp_level": str(attr.get_disp_level()), "memorized": attr.get_memorized(),
        "memorized_init": attr.get_memorized_init(), "polling_period": attr.get_polling_period(),
    }


def _error(exc):
    return {"reason": exc.args[0].reason, "desc": exc.args[0].desc}


class ClassAttributes(Device):
    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, memorized=True, polling_period=300,
               unit="V")
    def setpoint(self):
        return 1.5

    @setpoint.write
    def setpoint(self, value):
        pass

    spectrum = attribute(dtype=(int,), max_dim_x=4, display_level=DispLevel.EXPERT, fget=lambda self: [1, 2])
    image = attribute(dtype=((str,),), max_dim_x=3, max_dim_y=2, fget=lambda self: [["a"]])

    # the declaration's default properties, changed through att_prop before the server starts
    labelled = attribute(dtype=int, label="first label", fget=lambda self: 7)
    labelled.att_prop.set_label("second label")
    labelled.att_prop.set_max_value("99")

    chosen = attribute(dtype=tango.DevEnum, fget=lambda self: 0)
    chosen.set_enum_labels_to_attr_prop(["red", "green"])

    def initialize_dynamic_attributes(self):
        self.add_attribute(attribute(name="dynamic", dtype=int, fget=lambda self: 3))
        made = AttrData.from_dict({"name": "from_dict", "class_name": "ClassAttributes", "dtype": tango.DevDouble,
                                   "memorized": True, "polling_period": 123, "label": "made from a dict",
                                   "fread": "read_from_dict", "fwrite": "write_from_dict"})
        self.add_attribute(made.to_attr())

    def read_from_dict(self, attr):
        attr.set_value(2.5)

    def write_from_dict(self, attr):
        pass

    @command(dtype_out=str)
    def ClassList(self):
        """Each device class: its name, whether it has a MultiClassAttribute, its Attr objects."""
        classes = []
        for device_class in Util.instance().get_class_list():
            class_attr = device_class.get_class_attr()
            attrs = class_attr.get_attr_list()
            classes.append({"name": device_class.get_name(), "is_device_class": isinstance(device_class, tango.DeviceClass),
                            "multi_class_attribute": isinstance(class_attr, MultiClassAttribute),
                            "tuple": isinstance(attrs, tuple), "attrs": [_describe(a) for a in attrs]})
        return json.dumps(classes)

    @command(dtype_in=str, dtype_out=str)
    def ClassAttr(self, name):
        try:
            return json.dumps(_describe(self.get_device_class().get_class_attr().get_attr(name)))
        except DevFailed as exc:
            return json.dumps(_error(exc))

    @command(dtype_out=str)
    def DeviceAttributes(self):
        attrs = self.get_device_attr().get_attribute_list()
        return json.dumps({"tuple": isinstance(attrs, tuple),
                           "attrs": [[a.get_name(), isinstance(a, tango.WAttribute)] for a in attrs]})

    @command(dtype_in=str, dtype_out=[str])
    def RemoveAndList(self, name):
        """Remove one of this device's attributes; the class's attribute names afterwards.  (The
        server runs without a database: PyTango's crashes when asked to clean one up.)"""
        self.remove_attribute(name, False, False)
        return [a.get_name() for a in self.get_device_class().get_class_attr().get_attr_list()]

    @command(dtype_in=[str])
    def RelabelClassAttr(self, name_and_label):
        """Give the class's Attr of that name a new default label (devices made later serve it)."""
        name, label = name_and_label
        holder = tango.UserDefaultAttrProp()
        holder.set_label(label)
        self.get_device_class().get_class_attr().get_attr(name).set_default_properties(holder)

    @command(dtype_in=str, dtype_out=str)
    def DefaultProperties(self, declaration):
        """``AttrData.from_dict`` of a JSON dict: its att_prop's fields, or the error."""
        try:
            data = AttrData.from_dict(json.loads(declaration))
        except DevFailed as exc:
            return json.dumps(_error(exc))
        prop = data.att_prop
        if prop is None:
            return json.dumps(None)
        fields = ("label", "description", "unit", "standard_unit", "display_unit", "format", "min_value",
                  "max_value", "min_alarm", "max_alarm", "min_warning", "max_warning", "delta_t", "delta_val",
                  "abs_change", "rel_change", "period", "archive_abs_change", "archive_rel_change",
                  "archive_period", "enum_labels")
        return json.dumps({f: getattr(prop, f) for f in fields})

    @command(dtype_in=str, dtype_out=str)
    def ToAttr(self, declaration):
        """``AttrData.from_dict(...).to_attr()`` of a JSON dict (``"klass": "SpectrumAttr"`` names a class)."""
        given = json.loads(declaration)
        for key, enum in (("access", AttrWriteType), ("display_level", DispLevel)):
            if key in given:
                given[key] = enum(given[key])
        if "klass" in given:
            given["klass"] = getattr(tango, given["klass"])
        data = AttrData.from_dict(given)
        described = _describe(data.to_attr())
        return json.dumps({"attr_args": data.attr_args, "attr_class": getattr(data.attr_class, "__name__", None),
                           "attr": described})


if __name__ == "__main__":
    ClassAttributes.run_server()
