"""Fixtures of the database server tests: private reference database servers (PyTango's sqlite
DataBaseds and Debian's C++ DataBaseds on MariaDB), started once per module that asks for them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # differential.py, targets.py

import peers as _peers  # noqa: E402
from peers import PeerStartError, peer_unavailable  # noqa: E402

_peers.PEER_FIXTURES.update({"reference_databases"})


@pytest.fixture(scope="module")
def reference_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """{"pytango": tango_host, "cpp": tango_host, "ours": tango_host} of fresh private databases:
    the two reference servers and ours (served over the wire by ``python -m tango_core.databaseds``)."""
    from differential import CPP, PY

    logs = tmp_path_factory.mktemp("reference-dbs")
    started = []
    try:
        py = _peers.start_pytango_database(log_dir=logs)
        started.append(py)
        cpp = _peers.start_cpp_database(log_dir=logs / "cpp")
        started.append(cpp)
        ours = _peers.start_our_database(log_dir=logs)
        started.append(ours)
    except PeerStartError as exc:
        for peer in started:
            peer.kill(companions=True)
        peer_unavailable(str(exc))
    yield {PY: py.tango_host, CPP: cpp.tango_host, "ours-wire": ours.tango_host}
    for peer in started:
        peer.kill(companions=True)
