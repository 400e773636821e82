"""Property storage primitives shared by the seven kinds of properties (see schema.py).

A property is ``(kind, owner, member, name) -> [value, ...]``.  Every change is recorded in
``property_history`` (the values, or NULL for a deletion) and only the newest ``depth`` records
of each property are kept.  Names compare without regard to ASCII case; a put keeps the
spelling it was given.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_scan = json.decoder.JSONDecoder().scan_once  # the C scanner: 8x faster than json.loads on short arrays


def _loads(text: str) -> list[str]:
    return _scan(text, 0)[0]


def encode(values: list[str]) -> str:
    return _dumps(values)


def decode(text: str) -> list[str]:
    return _loads(text)


def get(conn: sqlite3.Connection, kind: int, owner: str, member: str, name: str) -> list[str] | None:
    row = conn.execute("SELECT vals FROM properties WHERE kind = ? AND owner = ? AND member = ? AND name = ?",
                       (kind, owner, member, name)).fetchone()
    return None if row is None else _loads(row[0])


def get_many(conn: sqlite3.Connection, kind: int, owner: str, member: str,
             names: list[str]) -> dict[str, list[str]]:
    """Values of the named properties that exist, keyed by lower-case name (one query)."""
    if not names:
        return {}
    found: dict[str, list[str]] = {}
    unique = list(dict.fromkeys(n.lower() for n in names))
    for start in range(0, len(unique), 500):  # stay far below sqlite's bound-parameter limit
        chunk = unique[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for name, vals in conn.execute(
                f"SELECT name, vals FROM properties WHERE kind = ? AND owner = ? AND member = ? "
                f"AND name IN ({marks})", (kind, owner, member, *chunk)):
            found[name.lower()] = _loads(vals)
    return found


def get_matching(conn: sqlite3.Connection, kind: int, owner: str, member: str, like: str) -> list[str]:
    """All values of the properties whose name matches the LIKE pattern, by name then position."""
    out: list[str] = []
    for (vals,) in conn.execute("SELECT vals FROM properties WHERE kind = ? AND owner = ? AND member = ? "
                                "AND name LIKE ? ESCAPE '\\' ORDER BY name", (kind, owner, member, like)):
        out.extend(_loads(vals))
    return out


def of_member(conn: sqlite3.Connection, kind: int, owner: str, member: str) -> list[tuple[str, list[str]]]:
    """(name, values) of every property of one attribute/pipe (or owner), sorted by name."""
    return [(name, _loads(vals)) for name, vals in conn.execute(
        "SELECT name, vals FROM properties WHERE kind = ? AND owner = ? AND member = ? ORDER BY name",
        (kind, owner, member))]


def of_owner(conn: sqlite3.Connection, kind: int, owner: str) -> dict[str, list[tuple[str, list[str]]]]:
    """{member: [(name, values), ...]} for every attribute/pipe of a class or device, members in
    case-insensitive order (the first spelling met names the member)."""
    out: dict[str, list[tuple[str, list[str]]]] = {}
    spelling: dict[str, str] = {}
    for member, name, vals in conn.execute(
            "SELECT member, name, vals FROM properties WHERE kind = ? AND owner = ? ORDER BY member, name",
            (kind, owner)):
        key = spelling.setdefault(member.lower(), member)
        out.setdefault(key, []).append((name, _loads(vals)))
    return out


def names(conn: sqlite3.Connection, kind: int, owner: str, member: str, like: str) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT name FROM properties WHERE kind = ? AND owner = ? AND member = ? AND name LIKE ? ESCAPE '\\' "
        "ORDER BY name", (kind, owner, member, like))]


def members(conn: sqlite3.Connection, kind: int, owner: str, like: str) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT DISTINCT member FROM properties WHERE kind = ? AND owner = ? AND member LIKE ? ESCAPE '\\' "
        "ORDER BY member", (kind, owner, like))]


def _record(conn: sqlite3.Connection, kind: int, owner: str, member: str, name: str, date: str,
            vals: str | None, depth: int) -> None:
    conn.execute("INSERT INTO property_history (kind, owner, member, name, date, vals) VALUES (?, ?, ?, ?, ?, ?)",
                 (kind, owner, member, name, date, vals))
    conn.execute("DELETE FROM property_history WHERE id IN (SELECT id FROM property_history WHERE kind = ? "
                 "AND owner = ? AND member = ? AND name = ? ORDER BY id DESC LIMIT -1 OFFSET ?)",
                 (kind, owner, member, name, depth))


def put(conn: sqlite3.Connection, kind: int, owner: str, member: str, name: str, values: list[str],
        date: str, depth: int, *, history: bool = True) -> None:
    """Set a property.  No values removes it without a history record (as the reference
    servers do: their put deletes the rows and inserts none)."""
    if not values:
        conn.execute("DELETE FROM properties WHERE kind = ? AND owner = ? AND member = ? AND name = ?",
                     (kind, owner, member, name))
        return
    vals = _dumps(values)
    conn.execute("INSERT OR REPLACE INTO properties (kind, owner, member, name, vals, updated) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (kind, owner, member, name, vals, date))
    if history:
        _record(conn, kind, owner, member, name, date, vals, depth)


def delete(conn: sqlite3.Connection, kind: int, owner: str, member: str, name: str, date: str,
           depth: int, *, history: bool = True) -> bool:
    """Remove one property (exact name); a deletion is recorded in the history if it existed."""
    row = conn.execute("SELECT name FROM properties WHERE kind = ? AND owner = ? AND member = ? AND name = ?",
                       (kind, owner, member, name)).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM properties WHERE kind = ? AND owner = ? AND member = ? AND name = ?",
                 (kind, owner, member, name))
    if history:
        _record(conn, kind, owner, member, row[0], date, None, depth)
    return True


def delete_matching(conn: sqlite3.Connection, kind: int, owner: str, member: str, like: str, date: str,
                    depth: int) -> list[str]:
    """Remove the properties whose name matches a LIKE pattern, recording each deletion."""
    found = names(conn, kind, owner, member, like)
    for name in found:
        delete(conn, kind, owner, member, name, date, depth)
    return found


def delete_member(conn: sqlite3.Connection, kind: int, owner: str, member: str, date: str, depth: int, *,
                  history: bool) -> list[str]:
    """Remove every property of one attribute/pipe."""
    found = names(conn, kind, owner, member, "%")
    for name in found:
        delete(conn, kind, owner, member, name, date, depth, history=history)
    return found


def delete_owner(conn: sqlite3.Connection, kinds: Iterable[int], owner: str) -> None:
    """Remove every property of a device (all its kinds), without history (device deletion)."""
    for kind in kinds:
        conn.execute("DELETE FROM properties WHERE kind = ? AND owner = ?", (kind, owner))


def history(conn: sqlite3.Connection, kind: int, owner: str, member_like: str | None,
            name_like: str) -> list[tuple[str, str, str, list[str] | None]]:
    """(member, name, date, values or None if deleted) of the matching properties, oldest first."""
    if member_like is None:
        rows = conn.execute(
            "SELECT member, name, date, vals FROM property_history WHERE kind = ? AND owner = ? AND member = '' "
            "AND name LIKE ? ESCAPE '\\' ORDER BY id", (kind, owner, name_like))
    else:
        rows = conn.execute(
            "SELECT member, name, date, vals FROM property_history WHERE kind = ? AND owner = ? "
            "AND member LIKE ? ESCAPE '\\' AND name LIKE ? ESCAPE '\\' ORDER BY id",
            (kind, owner, member_like, name_like))
    return [(m, n, d, None if v is None else _loads(v)) for m, n, d, v in rows]
