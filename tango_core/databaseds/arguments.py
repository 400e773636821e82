"""Checks and parsers for command arguments (the flat string arrays of the database commands).

Every malformed argument gives ``DB_IncorrectArguments`` with a sentence saying what is wrong
and nothing is written: the reference servers either crash out with a CORBA BAD_PARAM, ignore
a bad count, or write half of the request.
"""

from __future__ import annotations

from typing import Sequence

from .errors import DB_INCORRECT_ARGUMENTS, db_error
from .names import MAX_NAME_LENGTH


def need(argin: Sequence[str], count: int, desc: str, origin: str, *, exact: bool = False) -> None:
    """At least (or exactly) ``count`` elements, else DB_IncorrectArguments ``desc``."""
    if len(argin) < count or (exact and len(argin) != count):
        db_error(DB_INCORRECT_ARGUMENTS, desc, origin)


def count(text: str, what: str, origin: str) -> int:
    """A non-negative decimal count sent as a string."""
    try:
        value = int(text.strip(), 10)
    except ValueError:
        db_error(DB_INCORRECT_ARGUMENTS, f"{what} must be a number, got {text!r}", origin)
    if value < 0:
        db_error(DB_INCORRECT_ARGUMENTS, f"{what} must not be negative, got {text!r}", origin)
    return value


def name_ok(name: str, what: str, origin: str) -> str:
    """A non-empty name of at most 255 characters."""
    if not name:
        db_error(DB_INCORRECT_ARGUMENTS, f"empty {what}", origin)
    if len(name) > MAX_NAME_LENGTH:
        db_error(DB_INCORRECT_ARGUMENTS, f"{what} longer than {MAX_NAME_LENGTH} characters "
                 f"({len(name)}: {name[:40]!r}...)", origin)
    return name


class _Reader:
    """Walks a flat argument array, failing with a clear message when it ends too soon."""

    def __init__(self, argin: Sequence[str], start: int, origin: str) -> None:
        self.argin, self.pos, self.origin = argin, start, origin

    def take(self, what: str) -> str:
        if self.pos >= len(self.argin):
            db_error(DB_INCORRECT_ARGUMENTS, f"argument list ends where {what} was expected "
                     f"(element {self.pos} of {len(self.argin)})", self.origin)
        value = self.argin[self.pos]
        self.pos += 1
        return value

    def take_many(self, n: int, what: str) -> list[str]:
        if self.pos + n > len(self.argin):
            db_error(DB_INCORRECT_ARGUMENTS, f"{what}: {n} values announced, only "
                     f"{len(self.argin) - self.pos} left", self.origin)
        values = list(self.argin[self.pos:self.pos + n])
        self.pos += n
        return values

    def finish(self) -> None:
        if self.pos != len(self.argin):
            db_error(DB_INCORRECT_ARGUMENTS, f"{len(self.argin) - self.pos} element(s) left over after "
                     f"the announced properties", self.origin)


def property_list(argin: Sequence[str], origin: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """``[owner, n, {name, n_values, value*}*]`` -> (owner, [(name, values), ...])."""
    need(argin, 2, "insufficient number of arguments (needs at least owner and property count)", origin)
    reader = _Reader(argin, 2, origin)
    props = []
    for _ in range(count(argin[1], "property count", origin)):
        name = name_ok(reader.take("a property name"), "property name", origin)
        n_values = count(reader.take(f"the value count of {name}"), f"value count of {name}", origin)
        props.append((name, reader.take_many(n_values, f"property {name}")))
    reader.finish()
    return name_ok(argin[0], "name", origin), props


def member_property_list(argin: Sequence[str], origin: str, *, multi_value: bool
                         ) -> tuple[str, list[tuple[str, list[tuple[str, list[str]]]]]]:
    """``[owner, n_members, {member, n_props, {name, value}*}*]`` (``multi_value=False``, the
    old attribute format) or ``{name, n_values, value*}`` (``multi_value=True``, the "2" commands)
    -> (owner, [(member, [(name, values), ...]), ...])."""
    need(argin, 2, "insufficient number of arguments (needs at least owner and attribute count)", origin)
    reader = _Reader(argin, 2, origin)
    members = []
    for _ in range(count(argin[1], "attribute count", origin)):
        member = name_ok(reader.take("an attribute/pipe name"), "attribute/pipe name", origin)
        props = []
        for _ in range(count(reader.take(f"the property count of {member}"), f"property count of {member}",
                             origin)):
            name = name_ok(reader.take(f"a property name of {member}"), "property name", origin)
            if multi_value:
                n_values = count(reader.take(f"the value count of {member}.{name}"),
                                 f"value count of {member}.{name}", origin)
                props.append((name, reader.take_many(n_values, f"property {member}.{name}")))
            else:
                props.append((name, [reader.take(f"the value of {member}.{name}")]))
        members.append((member, props))
    reader.finish()
    return name_ok(argin[0], "name", origin), members
