"""A classic server started without a database and without -dlist serves the devices its
DeviceClass names in ``device_name_factory`` (cppTango's rule, which PyTango 10.3.1's binding
documents but does not call: tango_core only), and answers the class API's questions
(``get_cmd_by_name``, ``Util.reset_filedatabase`` refused: no file database)."""

from __future__ import annotations

import pytest

import peers

pytestmark = pytest.mark.peers


def test_devices_named_by_their_class_without_a_database(tmp_path):
    from server_clients import pytango_proxy

    peer = peers.start_classic_script(peers.SERVERS_DIR / "NamedByClassServer.py", "x", ["test/named/1", "test/named/2"],
                                      on_tango_core=True, log_dir=tmp_path, dlist=False)
    try:
        answers = [pytango_proxy(trl).Hello() for trl in peer.devices]
    finally:
        peer.stop()
    assert answers == [f"test/named/{i} Hello API_CommandNotFound API_NotSupported" for i in (1, 2)]
