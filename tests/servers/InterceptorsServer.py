"""A server with interceptors (Util.set_interceptors, set in pre_init_callback): Seen answers how
many serving threads were announced to create_thread and whether the thread serving the call was
one of them."""

import threading

from tango import Interceptors, Util
from tango.server import Device, command

CREATED: list[str] = []


class CountingInterceptors(Interceptors):
    def create_thread(self):
        CREATED.append(threading.current_thread().name)

    def delete_thread(self):
        CREATED.remove(threading.current_thread().name)


class Intercepted(Device):
    @command(dtype_out=str)
    def Seen(self):
        return f"{threading.current_thread().name in CREATED}"


def set_interceptors():
    Util.instance().set_interceptors(CountingInterceptors())


if __name__ == "__main__":
    Intercepted.run_server(pre_init_callback=set_interceptors)
