"""Names and wildcards as the Tango database understands them.

Wildcards: in every ``*List`` command (and a few others) the argument is a Tango wildcard in
which ``*`` matches any run of characters.  Nothing else is special: ``%``, ``_``, quotes,
backslashes and SQL fragments match themselves.  Matching ignores the case of ASCII letters,
like every name comparison in the reference servers (MySQL's case-insensitive collation).
The patterns become SQL ``LIKE`` patterns with ``\\`` as escape character and are always passed
as bound parameters, never pasted into SQL text.
"""

from __future__ import annotations

#: longest name (device, alias, class, server, property ...) accepted, as the reference schema's
#: VARCHAR(255) columns
MAX_NAME_LENGTH = 255


def like_pattern(wildcard: str) -> str:
    """The SQL LIKE pattern (escape character ``\\``) equivalent to a Tango wildcard."""
    escaped = wildcard.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def has_wildcard(text: str) -> bool:
    return "*" in text


def device_name(name: str) -> str | None:
    """``domain/family/member`` from a device name the database accepts, else None.

    Accepted, as the reference servers do: an optional ``tango:`` (or ``taco:``) protocol and an
    optional ``//host:port/`` prefix, then exactly three non-empty fields without ``*``.
    (The C++ server also lets a fourth ``/`` into the member field; PyTango's does not, nor do we.)
    """
    if "*" in name:
        return None
    if name.startswith("tango:"):
        name = name[6:]
    elif name.startswith("taco:"):
        name = name[5:]
    if name.startswith("//"):
        slash = name.find("/", 2)
        if slash < 0:
            return None
        name = name[slash + 1:]
    fields = name.split("/")
    if len(fields) != 3 or not all(fields):
        return None
    return name


def server_name_ok(server: str) -> bool:
    """A device server process name is ``Executable/instance``, both parts non-empty."""
    fields = server.split("/")
    return len(fields) == 2 and all(fields) and "*" not in server
