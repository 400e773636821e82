"""The same commands sent to our database server and to the reference servers (PyTango 10.3.1's
sqlite DataBaseds, Debian's C++ DataBaseds 9.3.4 on MariaDB): every reply must be equal to the
reference's, or the difference must be listed with its reason in differential.DIFFERENCES
(ordering differences with the C++ server in CPP_ORDER_ONLY).  A listed difference that
disappears fails too, so the list (and docs/databaseds.md) stays true.  Ours runs twice: in
process (DatabaseCommands) and over the wire (``python -m tango_core.databaseds``, reached with
PyTango's client), and both must give exactly the same replies.
"""

from __future__ import annotations

from typing import Any

import pytest

import differential as D
import targets
from tango_core.databaseds.commands import DatabaseCommands

STEP_IDS = [step[0] for step in D.STEPS]
COMMAND_OF = {step[0]: step[1] for step in D.STEPS}


@pytest.fixture(scope="module")
def replies(reference_databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, dict[str, Any]]:
    """{step id: {"ours": reply, "pytango": reply, "cpp": reply}} for the whole sequence."""
    path = tmp_path_factory.mktemp("ours") / "tango.db"
    commands = DatabaseCommands(path)
    runners = {"ours": targets.in_process_runner(commands)}
    for name, tango_host in reference_databases.items():
        runners[name] = targets.pytango_runner(tango_host)
    for name, run in runners.items():
        if name not in ("ours", "ours-wire"):
            for _, command, argin in D.SETUP:
                run(command, argin)
    out: dict[str, dict[str, Any]] = {}
    for step_id, command, argin in D.STEPS:
        out[step_id] = {name: run(command, argin) for name, run in runners.items()}
    commands.close()
    return out


def test_step_ids_are_unique_and_listings_name_real_steps() -> None:
    assert len(STEP_IDS) == len(set(STEP_IDS))
    assert set(D.DIFFERENCES) <= set(STEP_IDS), set(D.DIFFERENCES) - set(STEP_IDS)
    assert D.CPP_ORDER_ONLY <= set(STEP_IDS)
    assert all(set(servers) <= {D.PY, D.CPP} for servers in D.DIFFERENCES.values())


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_served_over_the_wire_the_reply_is_the_same(replies: dict[str, dict[str, Any]], step_id: str) -> None:
    row = replies[step_id]
    assert row["ours-wire"] == row["ours"]


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_reply_matches_the_references(replies: dict[str, dict[str, Any]], step_id: str) -> None:
    row = replies[step_id]
    ours = row["ours"]
    listed = D.DIFFERENCES.get(step_id, {})
    problems = []
    for server in (D.PY, D.CPP):
        theirs = row[server]
        if server == D.CPP and step_id in D.CPP_ORDER_ONLY:
            command = COMMAND_OF[step_id]
            if D.sorted_reply(theirs, command) != D.sorted_reply(ours, command):
                problems.append(f"{server}: not the same items as ours\n  ours:   {ours!r}\n  theirs: {theirs!r}")
            elif theirs == ours:
                problems.append(f"{server}: same order as ours now, remove {step_id} from CPP_ORDER_ONLY")
            continue
        if server in listed:
            if theirs == ours:
                problems.append(f"{server}: listed difference ({listed[server]}) is gone: remove the listing")
        elif theirs != ours:
            problems.append(f"{server}: unlisted difference\n  ours:   {_short(ours)}\n  theirs: {_short(theirs)}")
    assert not problems, "\n".join(problems)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 2000 else text[:2000] + "..."


def test_the_database_device_has_the_cpp_servers_interface(reference_databases: dict[str, str]) -> None:
    """Seen by a client (PyTango's), over the wire: the C++ server's 100 commands with their
    argument types and display levels (plus DbExportServer), its attributes (types, formats,
    access), its state; PyTango's 88 commands are a subset."""
    import tango

    def interface(tango_host: str):
        dev = tango.DeviceProxy(f"tango://{tango_host}/sys/database/2")
        commands = {c.cmd_name: (c.in_type, c.out_type, c.disp_level) for c in dev.command_list_query()}
        attributes = {a.name: (a.data_type, a.data_format, a.writable) for a in dev.attribute_list_query_ex()}
        return commands, attributes, dev.state()

    ours, cpp, pytango = (interface(reference_databases[name]) for name in ("ours-wire", D.CPP, D.PY))
    assert {n: v for n, v in ours[0].items() if n != "DbExportServer"} == cpp[0]
    assert set(pytango[0]) < set(ours[0])
    assert ours[1] == cpp[1] == pytango[1]
    assert ours[2] == cpp[2] == tango.DevState.ON


def test_the_database_device_state_and_status_are_pytango_servers(reference_databases: dict[str, str]) -> None:
    """state(), status() and the State/Status attributes of sys/database/2 and of its admin
    device, seen by PyTango's client: ours answers what PyTango's database server answers (ON,
    the default "The device is in ON state."); the C++ DataBaseds sets its own status, "Device is
    OK" (checked, so the reason given in tango_core/databaseds/device.py stays true)."""
    import tango

    def seen(tango_host: str, device: str):
        dev = tango.DeviceProxy(f"tango://{tango_host}/{device}")
        return (dev.state(), dev.status(), dev.read_attribute("State").value, dev.read_attribute("Status").value)

    for device in ("sys/database/2", "dserver/DataBaseds/2"):
        ours, pytango, cpp = (seen(reference_databases[name], device) for name in ("ours-wire", D.PY, D.CPP))
        assert ours == pytango, device
        if device == "sys/database/2":
            assert ours == (tango.DevState.ON, "The device is in ON state.", tango.DevState.ON,
                            "The device is in ON state.")
            assert cpp[1] == cpp[3] == "Device is OK"
        else:
            assert ours == cpp, device
