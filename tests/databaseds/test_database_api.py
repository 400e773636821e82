"""PyTango's ``tango.Database`` methods on our database server give what they give on the
reference servers (PyTango's sqlite DataBaseds, the C++ DataBaseds on MariaDB).

The same calls go to the three servers, each on a fresh database; results are compared after
turning PyTango's records into plain values.  A difference must be listed (with its reason) in
``API_DIFFERENCES``; the reasons are those of differential.py (docs/databaseds.md)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import differential as D
import peers
from peers import PeerStartError, peer_unavailable

DEV = "api/test/1"


def _plain(value: Any) -> Any:
    import tango

    if isinstance(value, tango.DbDatum):
        return ("DbDatum", value.name, list(value.value_string))
    if isinstance(value, (tango.DbDevImportInfo, tango.DbDevFullInfo, tango.DbServerInfo, tango.DbDevInfo)):
        fields = {k: getattr(value, k) for k in dir(value) if not k.startswith("_") and not callable(getattr(value, k))}
        return (type(value).__name__, {k: v for k, v in sorted(fields.items())
                                       if k not in ("started_date", "stopped_date", "pid")})
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ in ("StdStringVector", "DbData", "DbHistoryList"):
        return [_plain(v) for v in value]
    if type(value).__name__ == "DbHistory":
        return ("DbHistory", value.get_name(), value.is_deleted(), list(value.get_value().value_string))
    return value


CALLS: list[tuple[str, Callable[[Any], Any]]] = [
    ("add_server", lambda db: db.add_server("ApiServer/one", [_dev_info(DEV, "ApiClass"),
                                                                _dev_info("api/test/2", "ApiClass")])),
    ("get_server_list", lambda db: db.get_server_list("Api*")),
    ("get_server_name_list", lambda db: db.get_server_name_list()),
    ("get_instance_name_list", lambda db: db.get_instance_name_list("ApiServer")),
    ("get_server_class_list", lambda db: db.get_server_class_list("ApiServer/one")),
    ("get_device_class_list", lambda db: db.get_device_class_list("ApiServer/one")),
    ("get_device_name", lambda db: db.get_device_name("ApiServer/one", "ApiClass")),
    ("get_device_exported", lambda db: db.get_device_exported("api/*")),
    ("export_device", lambda db: db.export_device(_export_info(DEV))),
    ("get_device_exported_after", lambda db: db.get_device_exported("api/*")),
    ("get_device_exported_for_class", lambda db: db.get_device_exported_for_class("ApiClass")),
    ("import_device", lambda db: db.import_device(DEV)),
    ("get_device_info", lambda db: db.get_device_info(DEV)),
    ("get_class_for_device", lambda db: db.get_class_for_device(DEV)),
    ("get_device_domain", lambda db: db.get_device_domain("api*")),
    ("get_device_family", lambda db: db.get_device_family("api/*")),
    ("get_device_member", lambda db: db.get_device_member("api/test/*")),
    ("put_device_alias", lambda db: db.put_device_alias(DEV, "api_alias")),
    ("get_device_alias", lambda db: db.get_device_alias("api_alias")),
    ("get_alias", lambda db: db.get_alias(DEV)),
    ("get_device_alias_list", lambda db: db.get_device_alias_list("api*")),
    ("put_device_property", lambda db: db.put_device_property(DEV, {"speed": ["1", "2"], "name": "x"})),
    ("get_device_property", lambda db: db.get_device_property(DEV, ["speed", "name", "missing"])),
    ("get_device_property_list", lambda db: db.get_device_property_list(DEV, "*")),
    ("put_device_property_again", lambda db: db.put_device_property(DEV, {"speed": ["3"]})),
    ("get_device_property_history", lambda db: db.get_device_property_history(DEV, "speed")),
    ("delete_device_property", lambda db: db.delete_device_property(DEV, ["name"])),
    ("get_device_property_after_delete", lambda db: db.get_device_property(DEV, ["name"])),
    ("put_class_property", lambda db: db.put_class_property("ApiClass", {"cp": ["a"]})),
    ("get_class_property", lambda db: db.get_class_property("ApiClass", ["cp", "none"])),
    ("get_class_property_list", lambda db: db.get_class_property_list("ApiClass")),
    ("put_property", lambda db: db.put_property("ApiObject", {"fp": ["v"]})),
    ("get_property", lambda db: db.get_property("ApiObject", ["fp"])),
    ("get_object_list", lambda db: db.get_object_list("Api*")),
    ("get_object_property_list", lambda db: db.get_object_property_list("ApiObject", "*")),
    ("put_device_attribute_property", lambda db: db.put_device_attribute_property(
        DEV, {"att": {"unit": ["mm"], "values": ["1", "2"]}})),
    ("get_device_attribute_property", lambda db: db.get_device_attribute_property(DEV, ["att"])),
    ("get_device_attribute_list", lambda db: _filled(db.get_device_attribute_list, DEV)),
    ("put_class_attribute_property", lambda db: db.put_class_attribute_property("ApiClass", {"catt": {"u": "V"}})),
    ("get_class_attribute_property", lambda db: db.get_class_attribute_property("ApiClass", ["catt"])),
    ("get_class_attribute_list", lambda db: db.get_class_attribute_list("ApiClass", "*")),
    ("put_attribute_alias", lambda db: db.put_attribute_alias(f"{DEV}/att", "api_att_alias")),
    ("get_attribute_alias", lambda db: db.get_attribute_alias("api_att_alias")),
    ("get_attribute_alias_list", lambda db: db.get_attribute_alias_list("api*")),
    ("put_server_info", lambda db: db.put_server_info(_server_info())),
    ("get_server_info", lambda db: db.get_server_info("ApiServer/one")),
    ("unexport_device", lambda db: db.unexport_device(DEV)),
    ("import_device_after_unexport", lambda db: db.import_device(DEV)),
    ("unexport_server", lambda db: db.unexport_server("ApiServer/one")),
    ("get_host_server_list", lambda db: db.get_host_server_list("apihost")),
    ("rename_server", lambda db: db.rename_server("ApiServer/one", "ApiServer/two")),
    ("get_server_list_after_rename", lambda db: db.get_server_list("Api*")),
    ("delete_device", lambda db: db.delete_device("api/test/2")),
    ("delete_server", lambda db: db.delete_server("ApiServer/two")),
    ("get_device_exported_final", lambda db: db.get_device_exported("api/*")),
]

#: call -> server -> reason (see differential.py / docs/databaseds.md)
API_DIFFERENCES: dict[str, dict[str, str]] = {
    "import_device_after_unexport": {D.PY: D.PY_UNEXPORT},
}


def _filled(method: Callable, name: str) -> list[str]:
    """PyTango methods that fill a list they are given instead of returning one."""
    import tango

    out = tango.StdStringVector()
    method(name, out)
    return list(out)


def _dev_info(name: str, klass: str) -> Any:
    import tango

    info = tango.DbDevInfo()
    info.name, info._class, info.server = name, klass, "ApiServer/one"
    return info


def _export_info(name: str) -> Any:
    import tango

    info = tango.DbDevExportInfo()
    info.name, info.ior, info.host, info.version, info.pid = name, "IOR:api", "apihost", "6", 77
    return info


def _server_info() -> Any:
    import tango

    info = tango.DbServerInfo()
    info.name, info.host, info.mode, info.level = "ApiServer/one", "apihost", 1, 3
    return info


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    import tango

    logs = tmp_path_factory.mktemp("api-dbs")
    started = []
    try:
        started.append(peers.start_our_database(log_dir=logs))
        started.append(peers.start_pytango_database(log_dir=logs))
        started.append(peers.start_cpp_database(log_dir=logs / "cpp"))
    except PeerStartError as exc:
        for peer in started:
            peer.kill(companions=True)
        peer_unavailable(str(exc))
    out: dict[str, dict[str, Any]] = {name: {} for name, _ in CALLS}
    try:
        for server, peer in zip(("ours", D.PY, D.CPP), started):
            db = tango.Database(*peer.tango_host.split(":"))
            for _, command, argin in D.SETUP:  # the same fresh content everywhere
                try:
                    db.command_inout(command, argin)
                except tango.DevFailed:
                    pass
            for name, call in CALLS:
                try:
                    out[name][server] = _plain(call(db))
                except tango.DevFailed as exc:
                    out[name][server] = ("DevFailed", exc.args[0].reason)
    finally:
        for peer in started:
            peer.kill(companions=True)
    return out


@pytest.mark.parametrize("call", [name for name, _ in CALLS])
def test_database_method_gives_the_reference_result(results: dict[str, dict[str, Any]], call: str) -> None:
    row = results[call]
    listed = API_DIFFERENCES.get(call, {})
    problems = []
    for server in (D.PY, D.CPP):
        if server in listed:
            if row[server] == row["ours"]:
                problems.append(f"{server}: listed difference ({listed[server]}) is gone")
        elif row[server] != row["ours"]:
            problems.append(f"{server}: ours {row['ours']!r} != {row[server]!r}")
    assert not problems, "\n".join(problems)
