"""Tango names: TANGO_HOST, full device/attribute names, ``#dbase=no``, aliases.

Syntax accepted (case-insensitive; the spelling typed is kept for display):

    device    := [prefix] domain/family/member [#dbase=yes|#dbase=no]
               | [prefix] alias                          (needs a database: no '/', ':' or '->')
    attribute := device/attr  |  device_alias/attr  |  attribute_alias
    prefix    := "tango://" [host:port "/"] | "//" [host:port "/"] | host:port "/"

``tango://host:port/a/b/c`` means "the device a/b/c known to the database at
host:port"; with ``#dbase=no`` host:port is the device server itself and the device
is reached without any database.  A name without a prefix uses the *default*
database, which comes from TANGO_HOST (environment, then ``~/.tangorc``, then
``/etc/tangorc``) and can be changed at run time with :func:`set_default_tango_host`
(ITango's ``%switchdb``): short names resolved afterwards go to the new database.

TANGO_HOST is ``host:port`` or a comma list of replicated databases
``h1:p1,h2:p2`` (tried in turn).  A missing port means 10000, as a convenience
(cppTango itself rejects it).

Errors are ``WrongNameSyntax`` with cppTango's reasons (API_WrongDeviceNameSyntax,
API_WrongAttributeNameSyntax, API_UnsupportedProtocol, API_UnsupportedDBaseModifier)
and ``ConnectionFailed`` API_TangoHostNotSet for a missing/bad TANGO_HOST.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

# idl.errors (and through it numpy) is imported only when an error is raised, so that the shell
# can read TANGO_HOST for its banner before paying for numpy.

__all__ = [
    "InvalidTangoHostTrlError", "set_test_context_tango_host", "get_test_context_tango_host",
    "test_context_device_trl", "DEFAULT_DB_PORT", "TangoHost", "DeviceName", "AttributeName",
    "parse_tango_host", "read_setting", "read_tango_host_setting", "get_default_tango_host", "set_default_tango_host",
    "parse_device_name", "parse_attribute_name", "TangoNameParts", "split_tango_name",
]

DEFAULT_DB_PORT = 10000
_ORIGIN_DEV = "DeviceProxy::parse_name()"
_ORIGIN_ATTR = "AttributeProxy::parse_name()"


def _wrong(reason: str, desc: str, origin: str = _ORIGIN_DEV) -> Exception:
    from ..idl.enums import ErrSeverity
    from ..idl.errors import DevError, WrongNameSyntax
    return WrongNameSyntax(DevError(reason, desc, origin, ErrSeverity.ERR))


def _host_not_set(desc: str) -> Exception:
    from ..idl.enums import ErrSeverity
    from ..idl.errors import ConnectionFailed, DevError
    return ConnectionFailed(DevError("API_TangoHostNotSet", desc, "Database::Database", ErrSeverity.ERR))


# -- TANGO_HOST ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TangoHost:
    """One database, possibly replicated: ``replicas`` = ((host, port), ...), tried in order."""

    replicas: tuple[tuple[str, int], ...]

    @property
    def host(self) -> str:
        return self.replicas[0][0]

    @property
    def port(self) -> int:
        return self.replicas[0][1]

    def __str__(self) -> str:
        return ",".join(f"{h}:{p}" for h, p in self.replicas)

    @property
    def key(self) -> tuple[tuple[str, int], ...]:
        """Case-insensitive identity (for caches of Database objects)."""
        return tuple((h.lower(), p) for h, p in self.replicas)


def _parse_port(text: str, whole: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise _host_not_set(f"TANGO_HOST env. variable syntax incorrect ({whole!r}: bad port {text!r})")
    return port


def parse_tango_host(text: str) -> TangoHost:
    """Parse ``host[:port][,host[:port]...]``; a missing port means 10000."""
    text = (text or "").strip()
    replicas = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith("["):  # [ipv6]:port
            host, _, rest = part[1:].partition("]")
            port = _parse_port(rest.lstrip(":"), text) if rest.lstrip(":") else DEFAULT_DB_PORT
        elif part.count(":") == 1:
            host, port_s = part.split(":")
            port = _parse_port(port_s, text)
        else:
            host, port = part, DEFAULT_DB_PORT
        if not host:
            raise _host_not_set(f"TANGO_HOST env. variable syntax incorrect ({text!r})")
        replicas.append((host, port))
    if not replicas:
        raise _host_not_set("TANGO_HOST env. variable not set, set it and retry "
                                        "(e.g. TANGO_HOST=<host>:<port>)")
    return TangoHost(tuple(replicas))


def _from_rc_file(path: Path, name: str) -> str | None:
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except OSError:
        return None
    for line in lines:
        line = line.split("#", 1)[0].strip()
        key, sep, value = line.partition("=")
        if sep and key.strip().upper() == name.upper() and value.strip():
            return value.strip()
    return None


def read_setting(name: str) -> str | None:
    """A Tango setting as cppTango reads it (``ApiUtil.get_env_var``): the environment variable,
    else ``~/.tangorc``, else ``/etc/tangorc``; None when none has it."""
    value = os.environ.get(name)
    if value and value.strip():
        return value.strip()
    for path in (Path.home() / ".tangorc", Path("/etc/tangorc")):
        value = _from_rc_file(path, name)
        if value:
            return value
    return None


def read_tango_host_setting() -> str | None:
    """The configured TANGO_HOST text: env var, else ``~/.tangorc``, else ``/etc/tangorc``."""
    return read_setting("TANGO_HOST")


_override_lock = threading.Lock()
_override: TangoHost | None = None


def get_default_tango_host() -> TangoHost:
    """The database short names resolve against: the run-time override, else TANGO_HOST.

    TANGO_HOST is re-read on each call (cheap), so a changed environment is honoured.
    """
    with _override_lock:
        if _override is not None:
            return _override
    text = read_tango_host_setting()
    if text is None:
        raise _host_not_set("TANGO_HOST env. variable not set, set it and retry "
                                        "(e.g. TANGO_HOST=<host>:<port>)")
    return parse_tango_host(text)


def set_default_tango_host(value: str | TangoHost | None) -> TangoHost | None:
    """Make ``value`` (``host:port[,...]``) the default database; None goes back to TANGO_HOST.

    Returns the previous override (None if there was none).  Existing proxies keep
    the database they were made with; names parsed afterwards use the new one.
    """
    global _override
    new = parse_tango_host(value) if isinstance(value, str) else value
    with _override_lock:
        old, _override = _override, new
    return old


# -- device names -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceName:
    """A parsed device name.

    ``name`` is the device name (``a/b/c``) or alias as typed (case kept, no prefix
    or modifier).  ``host``/``port`` are the database's (``dbase``) or the device
    server's (not ``dbase``); None for both means "the default database", which is
    looked up when :meth:`tango_host` is called, not when the name was parsed.
    """

    name: str
    host: str | None = None
    port: int | None = None
    dbase: bool = True
    is_alias: bool = False

    @property
    def key(self) -> str:
        """Lower-cased name: what lookups and no-DB object keys use."""
        return self.name.lower()

    @property
    def explicit_host(self) -> bool:
        return self.host is not None

    def tango_host(self) -> TangoHost:
        """The database this name lives in (explicit host:port, else the current default)."""
        if self.host is not None:
            return TangoHost(((self.host, self.port),))
        return get_default_tango_host()

    def full_name(self, tango_host: TangoHost | None = None) -> str:
        """``tango://host:port/name`` (``#dbase=no`` appended for database-less devices)."""
        if self.host is not None:
            prefix = f"tango://{self.host}:{self.port}/"
        else:
            th = tango_host or self.tango_host()
            prefix = f"tango://{th.host}:{th.port}/"
        return prefix + self.name + ("" if self.dbase else "#dbase=no")

    def with_name(self, name: str) -> "DeviceName":
        """Same location, another device name (e.g. the real name behind an alias)."""
        return DeviceName(name, self.host, self.port, self.dbase, "/" not in name)


@dataclass(frozen=True)
class TangoNameParts:
    """A Tango name split into its parts, as typed, without checking them.

    ``tango://host:port/a/b/c#dbase=no`` -> scheme ``"tango://"``, host_port ``"host:port"``,
    name ``"a/b/c"``, modifier ``"#dbase=no"``.  :attr:`prefix` is the location part as typed
    (``"tango://host:port/"``, ``"//host:port/"``, ``"host:port/"``), ``""`` when the name has no
    host:port (the default database), and :attr:`rest` is everything after it.
    """

    scheme: str            # "tango://", "//", another "proto://" (refused by the parsers) or ""
    host_port: str | None  # "host:port" when the name has one, else None (the default database)
    name: str              # the device/attribute name or alias, without location and modifier
    modifier: str          # "#dbase=no", "#dbase=yes" ... as typed, or ""

    @property
    def prefix(self) -> str:
        return f"{self.scheme}{self.host_port}/" if self.host_port is not None else ""

    @property
    def rest(self) -> str:
        """The name as typed after :attr:`prefix` (scheme included when there is no host:port)."""
        return (self.name if self.host_port is not None else self.scheme + self.name) + self.modifier

    @property
    def dbase(self) -> bool:
        """False for ``#dbase=no`` (the host:port is then the device server's own)."""
        return self.modifier.lower() != "#dbase=no"


def split_tango_name(text: str) -> TangoNameParts:
    """Split a device or attribute name (complete or still being typed) into its parts.

    Never raises: it only says where the parts are.  The first ``/``-separated segment after the
    scheme is the host:port when it reads ``host:digits`` and a ``/`` follows it (cppTango reads
    ``tango://a/b/c`` as the device a/b/c of the default database).  :func:`parse_device_name` and
    :func:`parse_attribute_name` check the parts; the shell completes names with it.
    """
    low = text.lower()
    if "://" in low:
        cut = low.index("://") + 3
    elif low.startswith("//") and len(low) > 2:
        cut = 2
    else:
        cut = 0
    scheme, after = text[:cut], text[cut:]
    body, hash_, modifier = after.partition("#")
    first, slash, remainder = body.partition("/")
    host, colon, port = first.rpartition(":")
    if slash and colon and host and port.isdigit():
        return TangoNameParts(scheme, first, remainder, hash_ + modifier)
    return TangoNameParts(scheme, None, body, hash_ + modifier)


def _split_prefix(text: str, origin: str) -> tuple[str | None, int | None, str, bool]:
    """Check the protocol, host:port and #dbase modifier.  Returns (host, port, rest, dbase)."""
    parts = split_tango_name(text)
    scheme = parts.scheme.lower()
    if scheme not in ("", "//", "tango://"):
        protocol = scheme[:-3]
        raise _wrong("API_UnsupportedProtocol", f"{protocol} protocol is an unsupported protocol", origin)
    dbase = True
    if parts.modifier:
        modifier = parts.modifier[1:]
        mod = modifier.lower()
        if mod == "dbase=no":
            dbase = False
        elif mod != "dbase=yes":
            raise _wrong("API_UnsupportedDBaseModifier", f"{modifier} modifier is an unsupported db modifier",
                         origin)
    host = port = None
    rest = parts.name
    if parts.host_port is None and not scheme and _test_context_server is not None:
        # a test context serves short names itself (PyTango's TestContext TANGO_HOST override)
        host, port, ctx_dbase = _test_context_location()
        return host, port, rest, ctx_dbase
    if parts.host_port is not None:
        # any number is a port here, as for cppTango (``tango://h:0/a/b/c#dbase=no`` is a proxy
        # that fails when it connects, not when it is made)
        host, port_s = parts.host_port.rsplit(":", 1)
        port = int(port_s)
    else:
        first, sep, _after = rest.partition("/")
        if sep and ":" in first:  # "h:xx/a/b/c", ":1/a/b/c": a location that is not host:port
            raise _wrong("API_WrongDeviceNameSyntax",
                         f"Host and port not correctly defined in device name {text}", origin)
    if not dbase and host is None:
        raise _wrong("API_WrongDeviceNameSyntax", f"Host and port not correctly defined in device name {text}",
                     origin)
    return host, port, rest, dbase


class InvalidTangoHostTrlError(ValueError):
    """A test context's Tango host that is not ``tango://host:port`` (``#dbase=no|yes`` allowed)."""


#: the test context's TRL as given, and what short names resolve to: (host, port, dbase) or the
#: error to raise for a malformed TRL (PyTango reports it when a name is resolved, not when set)
_test_context_trl: str | None = None
_test_context_server: tuple[str, int, bool] | InvalidTangoHostTrlError | None = None


def _parse_test_context_trl(trl: str) -> tuple[str, int, bool] | InvalidTangoHostTrlError:
    parsed = urlparse(trl)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if (parsed.scheme == "tango" and parsed.hostname and port and not parsed.path and not parsed.params
            and not parsed.query and parsed.fragment in ("", "dbase=no", "dbase=yes")):
        return parsed.hostname, port, parsed.fragment != "dbase=no"
    return InvalidTangoHostTrlError(f"Invalid form for Tango host: {trl!r} "
                                    "(expected tango://host:port, optionally #dbase=no or #dbase=yes)")


def set_test_context_tango_host(trl: str | None) -> None:
    """Resolve short device names (``a/b/c``) against a test context's server.

    ``trl`` is ``tango://host:port#dbase=no`` (PyTango's test-context override; ``#dbase=yes``
    or no fragment: a database there) or None to go back to TANGO_HOST.  Names with a protocol
    or a host are never redirected; proxies already made keep their device.  A malformed ``trl``
    is reported (InvalidTangoHostTrlError) when a short name is resolved, as PyTango does.
    """
    global _test_context_trl, _test_context_server
    if trl is None:
        _test_context_trl = _test_context_server = None
        return
    _test_context_trl, _test_context_server = trl, _parse_test_context_trl(trl)


def get_test_context_tango_host() -> str | None:
    """The TRL given to :func:`set_test_context_tango_host`, None when there is none."""
    return _test_context_trl


def _test_context_location() -> tuple[str, int, bool] | None:
    server = _test_context_server
    if isinstance(server, InvalidTangoHostTrlError):
        raise InvalidTangoHostTrlError(*server.args)
    return server


def test_context_device_trl(device_trl: str) -> str:
    """``a/b/c`` -> ``tango://host:port/a/b/c#dbase=no`` while a test context overrides the host.

    Names already starting with ``tango://`` are kept, as is everything without an override.
    """
    if _test_context_trl is None:
        return device_trl
    device = urlparse(device_trl)
    if device.scheme == "tango":
        return device_trl
    _test_context_location()
    host = urlparse(_test_context_trl)
    return urlunparse((host.scheme, host.netloc, device.path, host.params, host.query, host.fragment))


def _check_alias(alias: str, text: str, origin: str, reason: str = "API_WrongDeviceNameSyntax") -> None:
    if ":" in alias:
        raise _wrong(reason, f"Wrong alias name syntax in {text} (: is not allowed in alias name)", origin)
    if "->" in alias:
        raise _wrong(reason, f"Wrong alias name syntax in {text} (-> is not allowed in alias name)", origin)


def _check_device_fields(fields: list[str], text: str, dbase: bool, origin: str,
                         reason: str = "API_WrongDeviceNameSyntax") -> None:
    if len(fields) != 3 or not all(fields) or any(":" in f for f in fields):
        desc = f"Wrong device name syntax (domain/family/member) in {text}"
        if not dbase:
            desc += "\nRem: Alias are forbidden when not using a database"
        raise _wrong(reason, desc, origin)


def parse_device_name(text: str) -> DeviceName:
    """Parse a device name or alias (see the module docstring); raises WrongNameSyntax."""
    if not isinstance(text, str):
        raise TypeError(f"device name must be a str, not {type(text).__name__}")
    text = text.strip()
    if not text:
        raise _wrong("API_WrongDeviceNameSyntax",
                     "The given name is an empty string!!! \nDevice name syntax is domain/family/member")
    host, port, rest, dbase = _split_prefix(text, _ORIGIN_DEV)
    if "/" not in rest:
        if not dbase:
            raise _wrong("API_WrongDeviceNameSyntax",
                         f"Wrong device name syntax (domain/family/member) in {text}\n"
                         "Rem: Alias are forbidden when not using a database")
        if not rest:
            raise _wrong("API_WrongDeviceNameSyntax", f"Wrong device name syntax (domain/family/member) in {text}")
        _check_alias(rest, text, _ORIGIN_DEV)
        return DeviceName(rest, host, port, True, True)
    _check_device_fields(rest.split("/"), text, dbase, _ORIGIN_DEV)
    return DeviceName(rest, host, port, dbase, False)


# -- attribute names ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AttributeName:
    """A parsed attribute name: ``device`` + ``attribute``, or an attribute ``alias``.

    For an attribute alias, ``device`` carries only the location (its ``name`` is
    empty) and ``attribute`` is empty: the database resolves the alias
    (``DbGetAttributeAlias``) into ``dev/attr``.
    """

    device: DeviceName
    attribute: str
    alias: str | None = None

    @property
    def is_alias(self) -> bool:
        return self.alias is not None

    def full_name(self) -> str:
        dev = self.device
        if self.alias is not None:
            th = dev.tango_host()
            return f"tango://{th.host}:{th.port}/{self.alias}"
        base = dev.full_name()
        if not dev.dbase:
            base = base[: -len("#dbase=no")]
            return f"{base}/{self.attribute}#dbase=no"
        return f"{base}/{self.attribute}"


_ATTR_FIELDS = ("Attribute name must have four fields separated by /'s or no /'s at all if it is an alias "
                "(e.g. my/device/name/an_attr or myalias)")


def parse_attribute_name(text: str) -> AttributeName:
    """Parse ``[prefix]a/b/c/attr``, ``[prefix]dev_alias/attr`` or an attribute alias."""
    if not isinstance(text, str):
        raise TypeError(f"attribute name must be a str, not {type(text).__name__}")
    text = text.strip()
    if not text:
        raise _wrong("API_WrongAttributeNameSyntax", _ATTR_FIELDS, _ORIGIN_ATTR)
    host, port, rest, dbase = _split_prefix(text, _ORIGIN_ATTR)
    fields = rest.split("/")
    if len(fields) == 1:
        if not rest:
            raise _wrong("API_WrongAttributeNameSyntax", _ATTR_FIELDS, _ORIGIN_ATTR)
        if not dbase:
            raise _wrong("API_WrongAttributeNameSyntax", "Attribute alias is not supported when not using database",
                         _ORIGIN_ATTR)
        _check_alias(rest, text, _ORIGIN_ATTR, "API_WrongAttributeNameSyntax")
        return AttributeName(DeviceName("", host, port, True, True), "", rest)
    if len(fields) == 2:  # device_alias/attr (PyTango accepts it when the alias exists)
        if not dbase or not all(fields):
            raise _wrong("API_WrongAttributeNameSyntax", _ATTR_FIELDS, _ORIGIN_ATTR)
        _check_alias(fields[0], text, _ORIGIN_ATTR, "API_WrongAttributeNameSyntax")
        return AttributeName(DeviceName(fields[0], host, port, True, True), fields[1])
    if len(fields) != 4 or not all(fields):
        raise _wrong("API_WrongAttributeNameSyntax", _ATTR_FIELDS, _ORIGIN_ATTR)
    _check_device_fields(fields[:3], text, dbase, _ORIGIN_ATTR, "API_WrongAttributeNameSyntax")
    return AttributeName(DeviceName("/".join(fields[:3]), host, port, dbase, False), fields[3])
