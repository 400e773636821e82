"""Fixtures for the device-server tests: the two clients a tango_core server must satisfy.

``client`` is parametrised over PyTango 10.3.1's DeviceProxy (the reference client, a test peer)
and tango_core's own; tests get a factory ``client(trl) -> proxy``.  Servers under test run in
this process through ``tango_core.test_context`` unless a test says otherwise.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from server_clients import pytango_proxy, tango_core_proxy


@pytest.fixture(params=["pytango", "tango_core"])
def client(request: pytest.FixtureRequest) -> Callable[[str], Any]:
    """A DeviceProxy factory: PyTango's client, then tango_core's."""
    return pytango_proxy if request.param == "pytango" else tango_core_proxy
