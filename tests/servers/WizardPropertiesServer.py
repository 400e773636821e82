"""A classic server whose DeviceClass adds configuration-wizard entries (add_wiz_dev_prop,
add_wiz_class_prop) beside its declared properties: the admin's QueryWizardDevProperty and
QueryWizardClassProperty list both."""

import sys
import tango

class WizardClass(tango.DeviceClass):
    cmd_list = {}
    attr_list = {}
    device_property_list = {"speed": [tango.DevDouble, "how fast", [1.5]], "nodefault": [tango.DevString, "no default"]}
    class_property_list = {"colour": [tango.DevString, "the colour", ["red"]]}
    def __init__(self, name):
        super().__init__(name)
        self.add_wiz_dev_prop("extra", "an extra one")
        self.add_wiz_dev_prop("extra2", "another", "7")
        self.add_wiz_class_prop("cextra", "class extra", "x")

class Wizard(tango.LatestDeviceImpl):
    def __init__(self, cl, name):
        super().__init__(cl, name)
    def init_device(self):
        pass

if __name__ == "__main__":
    util = tango.Util(sys.argv)
    util.add_class(WizardClass, Wizard, "Wizard")
    tango.Util.instance().server_init()
    print("Ready to accept request", flush=True)
    tango.Util.instance().server_run()
