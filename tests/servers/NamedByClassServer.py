"""A classic server whose DeviceClass names its devices itself (``device_name_factory``), for a
server started without a database and without -dlist.  Hello answers what the class API gives."""

import sys

import tango


class NamedClass(tango.DeviceClass):
    cmd_list = {"Hello": [[tango.DevVoid, ""], [tango.DevString, ""]]}
    attr_list = {}

    def device_name_factory(self, dev_name_list):
        dev_name_list.extend(["test/named/1", "test/named/2"])


class Named(tango.LatestDeviceImpl):
    def __init__(self, cl, name):
        super().__init__(cl, name)
        Named.init_device(self)

    def init_device(self):
        self.set_state(tango.DevState.ON)

    def Hello(self):
        cl = self.get_device_class()
        try:
            cl.get_cmd_by_name("nope")
        except tango.DevFailed as exc:
            refused = exc.args[0].reason
        try:
            tango.Util.instance().reset_filedatabase()
        except tango.DevFailed as exc:
            file_db = exc.args[0].reason
        return " ".join([self.get_name(), cl.get_cmd_by_name("hello").name, refused, file_db])


if __name__ == "__main__":
    util = tango.Util(sys.argv)
    util.add_class(NamedClass, Named, "Named")
    tango.Util.instance().server_init()
    print("Ready to accept request", flush=True)
    tango.Util.instance().server_run()
