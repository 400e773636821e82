"""The database server's command line: our options and the reference servers' spellings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tango_core.databaseds.options import OptionError, parse


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TANGO_HOST", raising=False)
    monkeypatch.delenv("PYTANGO_DATABASE_NAME", raising=False)


def test_defaults() -> None:
    o = parse([])
    assert (o.instance, o.host, o.port, o.db_file) == ("2", "0.0.0.0", 10000, Path("tango_database.db"))


@pytest.mark.parametrize("argv", [["2", "--port", "12345"], ["--port", "12345", "2"], ["--port=12345", "2"]])
def test_options_count_before_and_after_the_instance(argv: list[str]) -> None:
    assert parse(argv).port == 12345 and parse(argv).instance == "2"


def test_tango_host_gives_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANGO_HOST", "127.0.0.1:11000")
    o = parse(["3"])
    assert (o.instance, o.host, o.port) == ("3", "127.0.0.1", 11000)
    assert parse(["--port", "0"]).port == 0


def test_pytango_and_cpptango_spellings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTANGO_DATABASE_NAME", str(tmp_path / "x.db"))
    o = parse(["--host", "127.0.0.1", "--port", "5", "--print-host-port", "-l", "2", "--db_access", "sqlite3", "2"])
    assert (o.host, o.port, o.print_host_port, o.logging_level, o.db_file) == (
        "127.0.0.1", 5, True, 2, tmp_path / "x.db")
    o = parse(["2", "-ORBendPoint", "giop:tcp:127.0.0.1:12000", "--db-file", "y.db"])
    assert (o.host, o.port, o.db_file) == ("127.0.0.1", 12000, Path("y.db"))


@pytest.mark.parametrize("argv", [["--db_access", "mysql"], ["-ORBendPoint", "tcp:1"], ["--port", "70000"],
                                  ["a/b"], ["--port", "x"], ["1", "2"]])
def test_bad_command_lines_are_refused(argv: list[str]) -> None:
    with pytest.raises(OptionError):
        parse(argv)
