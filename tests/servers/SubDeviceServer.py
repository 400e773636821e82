"""Devices that make DeviceProxies (to devices that need not run: no database, port 1) while
they are built and while they serve commands, and that use the sub-device diagnostics API
(``Util.instance().get_sub_dev_diag()``) directly.  The admin device's QuerySubDevice lists
what they made."""

from tango import DeviceProxy, Util
from tango.server import Device, command

ELSEWHERE = "tango://127.0.0.1:1/{}#dbase=no"


class SubDeviceUser(Device):
    def init_device(self):
        super().init_device()
        self.proxies = [DeviceProxy(ELSEWHERE.format("Made/While/Built"))]

    @command(dtype_in=str)
    def MakeProxy(self, device_name):
        self.proxies.append(DeviceProxy(ELSEWHERE.format(device_name)))

    @command(dtype_out=str)
    def AssociatedDevice(self):
        return Util.instance().get_sub_dev_diag().get_associated_device()

    @command(dtype_in=[str])
    def RegisterSubDevice(self, device_and_sub_device):
        Util.instance().get_sub_dev_diag().register_sub_device(*device_and_sub_device)

    @command(dtype_in=str)
    def RemoveSubDevices(self, device_name):
        Util.instance().get_sub_dev_diag().remove_sub_devices(device_name)

    @command(dtype_out=[str])
    def SubDevices(self):
        return Util.instance().get_sub_dev_diag().get_sub_devices()


if __name__ == "__main__":
    SubDeviceUser.run_server()
