"""TAB completion of Tango names through IPython's completion API, on the real peers."""

from __future__ import annotations

import time

import pytest

import tango_core


def texts(found):
    return [t for t, _, _ in found]


def by_text(found):
    return {t: kind for t, kind, _ in found}


@pytest.fixture
def many_devices(itango_shell, run):
    """33 devices under a domain of this test's own (the session database is shared):
    shellcoretest/fam0..2/m00..09, shellcoretest/solo/m00, shellcoretest/duo/a and /b,
    class ShellCoreMany, one server."""
    db = tango_core.Database()
    names = [f"shellcoretest/fam{f}/m{m:02d}" for f in range(3) for m in range(10)]
    names += ["shellcoretest/solo/m00", "shellcoretest/duo/a", "shellcoretest/duo/b"]
    infos = []
    for name in names:
        info = tango_core.DbDevInfo()
        info.name, info._class, info.server = name, "ShellCoreMany", "ShellCoreMany/test"
        infos.append(info)
    db.add_server("ShellCoreMany/test", infos)
    run(itango_shell, "%refreshdb")
    yield [i.name for i in infos]
    db.delete_server("ShellCoreMany/test")
    run(itango_shell, "%refreshdb")


def test_big_name_spaces_complete_segment_by_segment(itango_shell, complete, many_devices):
    assert by_text(complete(itango_shell, 'Device("shellcor')) == {"shellcoretest/": "domain"}
    assert by_text(complete(itango_shell, 'DeviceProxy("ShellCoreTest/')) == {
        **{f"shellcoretest/fam{f}/": "family" for f in range(3)},
        "shellcoretest/solo/": "family", "shellcoretest/duo/": "family"}
    found = by_text(complete(itango_shell, 'dev = DeviceProxy("shellcoretest/fam1/'))
    assert found == {f"shellcoretest/fam1/m{m:02d}": "device (not exported)" for m in range(10)}
    assert set(texts(complete(itango_shell, 'Device("shellcoretest/fam2/m0'))) == {
        f"shellcoretest/fam2/m{m:02d}" for m in range(10)}
    assert texts(complete(itango_shell, 'ShellCoreMany("shellcoretest/fam0/m07')) == [
        "shellcoretest/fam0/m07"]


def test_few_matches_also_complete_to_whole_names(itango_shell, complete, many_devices):
    # a family of one device: only its whole name, so one TAB completes it
    assert by_text(complete(itango_shell, 'Device("shellcoretest/so')) == {
        "shellcoretest/solo/m00": "device (not exported)"}
    # a family of two: the segment and both names
    assert set(texts(complete(itango_shell, 'Device("shellcoretest/du'))) == {
        "shellcoretest/duo/", "shellcoretest/duo/a", "shellcoretest/duo/b"}
    assert "sys/tg_test/1" in texts(complete(itango_shell, 'Device("sys/tg'))


def test_completion_is_case_insensitive_and_keeps_the_database_spelling(itango_shell, complete):
    assert "sys/tg_test/1" in texts(complete(itango_shell, 'Device("SYS/TG_TE'))
    assert "sys/tg_test/1" in texts(complete(itango_shell, "Device('Sys/Tg_Test/"))


def test_non_exported_devices_are_shown_but_marked(itango_shell, complete):
    found = by_text(complete(itango_shell, 'Device("sys/access_control/'))
    assert found == {"sys/access_control/1": "device (not exported)"}


def test_the_fragment_spans_the_whole_full_name(itango_shell, complete, tango_host):
    found = complete(itango_shell, f'Device("tango://{tango_host}/sys/tg_te')
    assert f"tango://{tango_host}/sys/tg_test/1" in texts(found)
    assert {start for _, _, start in found} == {len('Device("')}  # across ':' and '//'
    found = complete(itango_shell, f'Device("{tango_host}/sys/tg_test/')
    assert texts(found) == [f"{tango_host}/sys/tg_test/1"]
    assert texts(complete(itango_shell, 'Device("tan')) == [f"tango://{tango_host}/"]
    found = complete(itango_shell, f'Device("tango://{tango_host}/sys/tg_test/1#db')
    assert set(texts(found)) == {f"tango://{tango_host}/sys/tg_test/1#dbase=no",
                                 f"tango://{tango_host}/sys/tg_test/1#dbase=yes"}


def test_class_constructors_complete_only_their_devices(itango_shell, complete):
    found = texts(complete(itango_shell, 'TangoTest("sys/'))
    assert "sys/tg_test/1" in found and all(t.startswith("sys/tg_test/") for t in found), found
    assert texts(complete(itango_shell, 'DataBase("sys/')) == ["sys/database/2"]
    assert texts(complete(itango_shell, 'TangoTest("sys/database/')) == []


def test_aliases_complete_with_their_type(itango_shell, complete, complete_until, run):
    db = tango_core.Database()
    db.put_device_alias("sys/tg_test/1", "shellcore_tg")
    try:
        run(itango_shell, "%refreshdb")
        assert by_text(complete(itango_shell, 'Device("shellcore')) == {"shellcore_tg": "alias"}
        assert by_text(complete(itango_shell, 'DataBase("shellcore')) == {}
        found = by_text(complete_until(itango_shell, 'AttributeProxy("shellcore_tg/double_scalar_',
                                       bool))
        assert found == {"shellcore_tg/double_scalar_rww": "attribute",
                         "shellcore_tg/double_scalar_w": "attribute"}
    finally:
        db.delete_device_alias("shellcore_tg")


def test_attribute_names(itango_shell, complete, complete_until):
    found = by_text(complete(itango_shell, 'AttributeProxy("sys/tg_te'))
    assert found.get("sys/tg_test/1/") == "device"
    found = by_text(complete_until(itango_shell, 'Attribute("sys/tg_test/1/double_scalar_', bool))
    assert found == {"sys/tg_test/1/double_scalar_rww": "attribute",
                     "sys/tg_test/1/double_scalar_w": "attribute"}
    found = by_text(complete(itango_shell, '%mon -a SYS/TG_TEST/1/ampl'))
    assert found == {"sys/tg_test/1/ampli": "attribute"}
    assert by_text(complete(itango_shell, '%mon -d sys/tg_test/1/ampl')) == {
        "sys/tg_test/1/ampli": "attribute"}


def test_attribute_and_command_names_of_a_proxy(itango_shell, complete, complete_until, run):
    run(itango_shell, "dev = Device('sys/tg_test/1')")
    for method in ("read_attribute", "write_attribute", "subscribe_event"):
        found = by_text(complete_until(itango_shell, f'dev.{method}("long_sc', bool))
        assert found == {"long_scalar": "attribute", "long_scalar_rww": "attribute",
                         "long_scalar_w": "attribute"}, method
    found = by_text(complete(itango_shell, 'dev.command_inout("DevVarLongS'))
    assert found == {"DevVarLongStringArray": "command"}
    assert "double_scalar" in texts(complete(itango_shell, 'dev["double_s'))
    found = texts(complete_until(itango_shell,
                                 'TangoTest("sys/tg_test/1").read_attribute("boolean_sc', bool))
    assert found == ["boolean_scalar"]


def test_database_methods_complete_device_names(itango_shell, complete):
    assert "sys/tg_test/1" in texts(complete(itango_shell, 'db.import_device("sys/tg'))
    assert "sys/database/2" in texts(complete(itango_shell, 'Database().import_device("sys/data'))


def test_magic_arguments(itango_shell, complete, tango_host):
    assert "sys/tg_test/1" in texts(complete(itango_shell, "%lsdev sys/tg"))
    assert "TangoTest" in texts(complete(itango_shell, "%lsdevclass Tango"))
    assert "TangoTest/test" in texts(complete(itango_shell, "%lsserv TangoT"))
    assert texts(complete(itango_shell, "%switchdb 127")) == [tango_host]
    assert texts(complete(itango_shell, "%switchdb ")) == [tango_host]  # what %switchdb takes
    assert texts(complete(itango_shell, "%switchdb tan")) == [f"tango://{tango_host}"]


def test_other_code_is_left_to_ipython(itango_shell, complete):
    itango_shell.user_ns["common_value"] = 1
    assert "common_value" in texts(complete(itango_shell, "x = common_val"))
    # a string argument of an unrelated function is not a Tango name
    assert all("sys/" not in t for t in texts(complete(itango_shell, 'print("sy')))


def test_a_dead_device_never_blocks_completion(itango_shell, complete):
    """sys/access_control/1 is defined but its server is not running."""
    start = time.perf_counter()
    found = complete(itango_shell, 'Attribute("sys/access_control/1/')
    first = time.perf_counter() - start
    assert texts(found) == []
    assert first < 1.0
    start = time.perf_counter()
    complete(itango_shell, 'Attribute("sys/access_control/1/')
    assert time.perf_counter() - start < 0.1  # the failure is cached


def test_nothing_to_offer_in_a_tango_name_means_no_files_or_magics(itango_shell, run):
    """Inside a Tango name with no completion (here: a device whose server is not running),
    TAB must not fall back to IPython's file names and list of magics: the only answer is
    the typed text itself, which changes nothing (and an empty one the terminal drops)."""
    from IPython.core.completer import provisionalcompleter
    from itango.completion import NO_MATCH

    run(itango_shell, "ghost = Device('sys/access_control/1')")
    for text in ('ghost.read_attribute("', 'ghost.read_attribute("do', 'Device("no_such_dom'):
        with provisionalcompleter():
            found = [(c.text, c.type) for c in itango_shell.Completer.completions(text, len(text))]
        fragment = text.rpartition('"')[2]
        assert found == [(fragment, NO_MATCH)], (text, found)
    # the terminal front end shows nothing at all for the empty one
    from IPython.terminal.ptutils import IPythonPTCompleter

    with provisionalcompleter():
        shown = list(IPythonPTCompleter(shell=itango_shell)._get_completions(
            'ghost.read_attribute("', len('ghost.read_attribute("'), 0, itango_shell.Completer))
    assert shown == []


def test_a_hung_device_delays_only_the_first_tab(itango_shell, complete, complete_until, run):
    """A server that accepts connections and never answers: the first TAB waits a fraction
    of a second for its lists, the next ones not at all while the fetch goes on, and other
    devices complete meanwhile."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as hung:
        port = hung.getsockname()[1]
        result, out = run(itango_shell, f"hung = Device('tango://127.0.0.1:{port}/a/b/c#dbase=no')")
        assert result.success, out
        start = time.perf_counter()
        assert texts(complete(itango_shell, 'hung.read_attribute("')) == []
        assert time.perf_counter() - start < 1.5
        for _ in range(3):
            start = time.perf_counter()
            assert texts(complete(itango_shell, 'hung.command_inout("')) == []
            assert time.perf_counter() - start < 0.2
        run(itango_shell, "live = Device('sys/tg_test/1')")
        found = complete_until(itango_shell, 'live.read_attribute("ampl', bool)
        assert texts(found) == ["ampli"]


def test_a_failing_lookup_never_prints_a_traceback_into_the_line(itango_shell, complete, run,
                                                                 capsys, monkeypatch):
    """IPython prints a matcher's exception in the middle of the line being typed: the
    matcher keeps any failure to itself (here a member cache that breaks)."""
    from itango.session import get_session

    def broken(*_, **__):
        raise RuntimeError("cache broke")

    run(itango_shell, "dev = Device('sys/tg_test/1')")
    monkeypatch.setattr(get_session(itango_shell).catalog, "get", broken)
    capsys.readouterr()
    assert texts(complete(itango_shell, 'dev.read_attribute("dou')) == []
    captured = capsys.readouterr()
    assert "cache broke" not in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


def test_matcher_answers_from_the_cache_quickly(itango_shell):
    from itango.completion import complete_text
    from itango.session import get_session

    session = get_session(itango_shell)
    complete_text(session, 'Device("sys/tg_test/')
    start = time.perf_counter()
    for _ in range(100):
        complete_text(session, 'Device("sys/tg_test/')
    assert (time.perf_counter() - start) / 100 < 0.01


@pytest.mark.parametrize("text", ['Device("', 'TangoTest("sys/', 'AttributeProxy("sys/tg_test/1/'])
def test_completions_carry_types_for_front_ends(itango_shell, complete_until, text):
    # a first TAB on a device may only start fetching its lists
    found = complete_until(itango_shell, text, bool)
    assert found
    assert all(kind in {"domain", "family", "device", "device (not exported)", "alias",
                        "attribute", "attribute alias", "command", "database"}
               for _, kind, _ in found)


def test_proxy_members_complete_after_a_dot(itango_shell, complete_until, run):
    """``dev.<TAB>`` is IPython's attribute completion over DeviceProxy.__dir__ (whose
    lists are fetched with a short timeout, so a loaded machine may need a second TAB)."""
    run(itango_shell, "dev = Device('sys/tg_test/1')")
    found = texts(complete_until(itango_shell, "dev.double_scalar_",
                                 lambda f: any("double_scalar_w" in t for t, _, _ in f)))
    assert {"double_scalar_rww", "double_scalar_w"} <= {t.rpartition(".")[2] for t in found}, found
    found = texts(complete_until(itango_shell, "dev.DevVarLongS",
                                 lambda f: any("DevVarLongStringArray" in t for t, _, _ in f)))
    assert "DevVarLongStringArray" in {t.rpartition(".")[2] for t in found}, found


def test_proxy_members_are_offered_once_in_the_devices_spelling(itango_shell, complete_until, run):
    """DeviceProxy.__dir__ (PyTango's) has every command and attribute twice (``DevBoolean``
    and ``devboolean``): ``dev.<TAB>`` offers one, the device's own spelling, unless what is
    typed is lower case."""
    run(itango_shell, "dev = Device('sys/tg_test/1')")
    dev = itango_shell.user_ns["dev"]
    commands, attributes = list(dev.get_command_list()), list(dev.get_attribute_list())
    found = complete_until(itango_shell, "dev.", lambda f: any(t == "DevBoolean" for t, _, _ in f))
    shown = texts(found)
    assert len(shown) == len(set(shown)), "a completion offered twice"
    kinds = by_text(found)
    # two spellings of one Tango name; dev.state() (a method) and dev.State (the attribute)
    # are different members
    tango = [t.lower() for t in shown if kinds[t] in ("command", "attribute")]
    doubled = sorted({t for t in tango if tango.count(t) > 1})
    assert doubled == [], f"offered in two spellings: {doubled}"
    assert set(commands + attributes) <= set(shown)
    assert {"read_attribute", "command_inout", "state", "dev_name"} <= set(shown)
    assert not [t for t in shown if t.startswith("_")], "private names before '_' is typed"
    assert kinds["DevBoolean"] == "command" and kinds["double_scalar"] == "attribute"
    assert kinds["read_attribute"] == "method"
    # typed in lower case: the lower-case spelling (Tango names are case-insensitive)
    assert texts(complete_until(itango_shell, "dev.devbool", bool)) == ["devboolean"]
    assert texts(complete_until(itango_shell, "dev.DevBool", bool)) == ["DevBoolean"]
    assert texts(complete_until(itango_shell, "dev.DEVBOOL", bool)) == ["DevBoolean"]
    assert {"_attr_names"} <= set(texts(complete_until(itango_shell, "dev._attr_n", bool)))
    # inside a string or after another attribute: not a proxy member
    assert texts(complete_until(itango_shell, 'x = "dev.Dev', lambda f: True)) == []


def test_the_help_examples_complete(itango_shell, complete_until, run):
    """Every ``<TAB>`` example of ``itango --help`` completes something in a shell."""
    from itango.cli import HELP

    run(itango_shell, "dev = Device('sys/tg_test/1')")
    examples = []
    for line in HELP.partition("In the shell:")[2].splitlines():
        for part in line.strip().split("; "):
            if "<TAB>" in part:
                examples.append(part.partition("<TAB>")[0].strip())
    assert len(examples) >= 6, examples
    for text in examples:
        found = complete_until(itango_shell, text, bool)
        assert found, f"{text!r} (from itango --help) completes nothing"
        assert all(kind != "path" for _, kind, _ in found), (text, found)


def test_completing_on_a_proxy_leaves_its_timeout_alone(itango_shell, complete, run):
    run(itango_shell, "tdev = Device('sys/tg_test/1'); tdev.set_timeout_millis(4321)")
    complete(itango_shell, 'tdev.read_attribute("double_s')
    complete(itango_shell, 'tdev.command_inout("DevS')
    result, _ = run(itango_shell, "tdev.get_timeout_millis()")
    assert result.result == 4321


def test_mon_options(itango_shell, complete):
    assert texts(complete(itango_shell, "%mon -a sys/tg_test/1/double_scalar -t per")) == ["periodic"]
    assert "sys/tg_test/1" in texts(complete(itango_shell, "%mon -l sys/tg"))
    kinds = {kind for _, kind, _ in complete(itango_shell, "%mon -i ")}  # an event id: not ours
    assert not kinds & {"device", "attribute", "domain", "family", "event type"}


def test_full_names_of_another_database_complete_from_its_own_device_list(
        itango_shell, complete_until, cpp_tango_host):
    # the first TABs may only start loading that database's list / the device's attributes
    text = f'Device("tango://{cpp_tango_host}/sys/tg_te'
    found = complete_until(itango_shell, text, bool)
    assert f"tango://{cpp_tango_host}/sys/tg_test/1" in texts(found)
    found = texts(complete_until(
        itango_shell, f'AttributeProxy("tango://{cpp_tango_host}/sys/tg_test/1/ampl', bool))
    assert found == [f"tango://{cpp_tango_host}/sys/tg_test/1/ampli"]
