"""The completion index against a brute-force reading of the same names (property tests).

The index answers by bisecting sorted lower-case names and jumping over whole domains and
families; these tests check it against the obvious quadratic definition on random names,
including characters around '/' in sort order ('-', '.', '0').
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from itango.inventory import DeviceRecord, DeviceTree, Inventory, PrefixIndex

SEGMENT = st.text(alphabet="aAbB-._0/9z", min_size=1, max_size=4).filter(lambda s: "/" not in s)
NAMES = st.lists(st.tuples(SEGMENT, SEGMENT, SEGMENT).map("/".join), max_size=40,
                 unique_by=str.lower)


def brute_force(names: list[str], fragment: str) -> set[tuple[str, str]]:
    frag = fragment.lower()
    level = frag.count("/")
    out = set()
    for name in names:
        if not name.lower().startswith(frag) or level > 2:
            continue
        if level == 2:
            out.add((name, "device"))
        else:
            parts = name.split("/")
            out.add(("/".join(parts[:level + 1]) + "/", "domain" if level == 0 else "family"))
    return out


def first_spellings(names: list[str], found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Segments are reported in the spelling of the first name (in sort order) having them."""
    lowered = {}
    for text, kind in sorted(found, key=lambda p: p[0]):
        lowered.setdefault((text.lower(), kind), (text, kind))
    return {(t.lower(), k) for t, k in lowered.values()}


@given(NAMES, st.data())
def test_segment_completion_matches_brute_force(names, data):
    tree = DeviceTree(DeviceRecord.make(n) for n in names)
    if names and data.draw(st.booleans()):
        name = data.draw(st.sampled_from(names))
        fragment = name[:data.draw(st.integers(0, len(name)))]
        if data.draw(st.booleans()):
            fragment = fragment.swapcase()
    else:
        fragment = data.draw(st.text(alphabet="aAb-./0z", max_size=6))
    got = [(text, kind) for text, kind, _ in tree.complete(fragment)]
    assert len(got) == len(set(got)), "no duplicates"
    assert first_spellings(names, set(got)) == first_spellings(names, brute_force(names, fragment))
    assert tree.count(fragment) == sum(n.lower().startswith(fragment.lower()) for n in names)


@given(st.lists(st.text(alphabet="aAbB_-0", min_size=1, max_size=5), max_size=30),
       st.text(alphabet="aAbB_-0", max_size=3))
def test_prefix_index_is_case_insensitive_and_complete(words, prefix):
    index = PrefixIndex((w, i) for i, w in enumerate(words))
    expected = {w.lower() for w in words if w.lower().startswith(prefix.lower())}
    assert {name.lower() for name, _ in index.items(prefix)} == expected
    for w in words:
        assert index.get(w.upper()) is not None


def test_inventory_views():
    records = [DeviceRecord.make("sys/tg_test/1", "tg", "TangoTest/test", "TangoTest", True),
               DeviceRecord.make("dserver/TangoTest/test", "", "TangoTest/test", "DServer", True),
               DeviceRecord.make("sys/access_control/1", "_hidden", "TAC/1", "TangoAccessControl",
                                 False),
               DeviceRecord.make("bad-row", "", "X/1", "Broken", True)]
    inv = Inventory("h:1", records, [("temperature", "sys/tg_test/1/double_scalar")])
    assert [r.name for r in inv.devices] == ["bad-row", "sys/access_control/1", "sys/tg_test/1"]
    assert inv.lookup("TG").name == "sys/tg_test/1"          # alias, any case
    assert inv.lookup("_hidden") is None                    # "_" aliases are private
    assert inv.lookup("DSERVER/tangotest/TEST").klass == "DServer"
    assert inv.user_classes() == ["Broken", "TangoAccessControl", "TangoTest"]
    assert [t for t, _, _ in inv.tree.complete("")] == ["sys/"]   # the corrupt row is skipped
    assert inv.attribute_aliases.get("TEMPERATURE") == "sys/tg_test/1/double_scalar"


@given(NAMES, st.text(alphabet="aAb-./0z", max_size=6), st.integers(0, 8))
def test_whole_names_come_with_the_segments_when_few_match(names, fragment, up_to):
    tree = DeviceTree(DeviceRecord.make(n) for n in names)
    got = {(t.lower(), k) for t, k, _ in tree.complete(fragment, up_to)}
    frag = fragment.lower()
    matching = [n for n in names if n.lower().startswith(frag)]
    segments = first_spellings(names, brute_force(names, fragment))
    if frag.count("/") < 2 and up_to and len(matching) <= up_to:
        def holds(seg: str) -> int:
            return sum(n.lower().startswith(seg) for n in names)
        expected = {(s, k) for s, k in segments if holds(s) != 1}
        expected |= {(n.lower(), "device") for n in matching}
    else:
        expected = segments
    assert got == expected
