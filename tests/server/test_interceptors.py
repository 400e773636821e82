"""``Util.set_interceptors``: create_thread runs in each thread the server starts to serve
requests, before it serves one.  tango_core only: PyTango 10.3.1's server exits at start-up with
a Python Interceptors subclass."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peers


def test_serving_threads_are_announced_to_the_interceptors(peer_factory):
    from server_clients import pytango_proxy

    peer = peer_factory.pytango_server("InterceptorsServer", "i", nodb=True, device_class="Intercepted",
                                       on_tango_core=True)
    answers = [pytango_proxy(peer.devices[0]).Seen() for _ in range(3)]   # a new proxy, maybe a new thread
    assert answers == ["True"] * 3


def test_set_interceptors_wants_both_methods():
    from tango_core import Util
    from tango_core.server.runtime import ServerRuntime

    util = Util.__new__(Util)
    util._runtime = ServerRuntime.__new__(ServerRuntime)
    with pytest.raises(TypeError, match="create_thread and delete_thread"):
        util.set_interceptors(object())
