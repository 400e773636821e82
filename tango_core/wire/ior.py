"""Interoperable Object References and corbaloc URLs.

A Tango client meets object references in two spellings: the ``IOR:<hex>``
strings the Database hands out (``DbImportDevice``), and ``corbaloc:`` URLs it
builds itself for the Database (``corbaloc:iiop:host:port/database``) and for
no-database devices (key = lower-cased device name).  Both end up as
(host, port, object key) triples, which is all the transport needs.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from .cdr import CDRReader, CDRWriter
from .errors import MarshalError
from .structs import field, record

T = TypeVar("T")

TAG_INTERNET_IOP = 0
TAG_MULTIPLE_COMPONENTS = 1
TAG_ORB_TYPE = 0
TAG_CODE_SETS = 1
TAG_ALTERNATE_IIOP_ADDRESS = 3
#: omniORB's own component: the unix-domain socket the server also listens on (same host only)
TAG_OMNIORB_UNIX_TRANS = 0x41545402


@record(frozen=True)
class TaggedComponent:
    tag: int
    data: bytes  # encapsulation octets


@record(frozen=True)
class IIOPProfile:
    version: tuple[int, int]
    host: str
    port: int
    object_key: bytes
    components: tuple[TaggedComponent, ...] = ()

    def addresses(self) -> list[tuple[str, int]]:
        """Primary address first, then every TAG_ALTERNATE_IIOP_ADDRESS."""
        return [(self.host, self.port),
                *self._decoded(TAG_ALTERNATE_IIOP_ADDRESS, lambda r: (r.read_string(), r.read_ushort()))]

    def unix_sockets(self) -> list[tuple[str, str]]:
        """(host name, socket file) of every TAG_OMNIORB_UNIX_TRANS component.

        Why: omniORB servers (every cppTango and PyTango device server, the database servers)
        listen on a unix-domain socket as well as on TCP and name it in their IORs, with the
        name of their host; an omniORB client whose host has that name connects there rather
        than through TCP loopback (cheaper per call, and much cheaper for big replies)."""
        return self._decoded(TAG_OMNIORB_UNIX_TRANS, lambda r: (r.read_string(), r.read_string()))

    def _decoded(self, tag: int, read: Callable[[CDRReader], T]) -> list[T]:
        """``read`` of the encapsulation of each component ``tag``; one that does not decode is
        skipped, as omniORB skips it."""
        out = []
        for comp in self.components:
            if comp.tag == tag:
                try:
                    out.append(read(CDRReader.over_encapsulation(comp.data)))
                except MarshalError:
                    continue
        return out

    @classmethod
    def decode(cls, data: bytes) -> "IIOPProfile":
        """Decode the profile_data encapsulation of a TAG_INTERNET_IOP profile."""
        r = CDRReader.over_encapsulation(data)
        major, minor = r.read_octet(), r.read_octet()
        if major != 1:
            raise MarshalError(f"unsupported IIOP version {major}.{minor}")
        host = r.read_string()
        port = r.read_ushort()
        key = r.read_octet_seq()
        comps: list[TaggedComponent] = []
        if minor >= 1 and not r.at_end():
            n = r.read_count(8)
            for _ in range(n):
                comps.append(TaggedComponent(r.read_ulong(), r.read_octet_seq()))
        return cls((major, minor), host, port, key, tuple(comps))

    def encode(self, little_endian: bool = True) -> bytes:
        def fill(w: CDRWriter) -> None:
            w.write_octet(self.version[0])
            w.write_octet(self.version[1])
            w.write_string(self.host)
            w.write_ushort(self.port)
            w.write_octet_seq(self.object_key)
            if self.version[1] >= 1:
                w.write_ulong(len(self.components))
                for c in self.components:
                    w.write_ulong(c.tag)
                    w.write_octet_seq(c.data)
        return CDRWriter.encapsulate(fill, little_endian)


@record(frozen=True)
class TaggedProfile:
    tag: int
    data: bytes


@record(frozen=True)
class IOR:
    type_id: str
    profiles: tuple[TaggedProfile, ...] = field(default_factory=tuple)

    def iiop_profiles(self) -> list[IIOPProfile]:
        out = []
        for p in self.profiles:
            if p.tag == TAG_INTERNET_IOP:
                out.append(IIOPProfile.decode(p.data))
        return out

    def to_string(self, little_endian: bool = True) -> str:
        def fill(w: CDRWriter) -> None:
            _write_ior_fields(w, self)
        return "IOR:" + CDRWriter.encapsulate(fill, little_endian).hex()

    @classmethod
    def for_iiop(cls, type_id: str, host: str, port: int, object_key: bytes,
                 components: tuple[TaggedComponent, ...] = ()) -> "IOR":
        profile = IIOPProfile((1, 2), host, port, object_key, components)
        return cls(type_id, (TaggedProfile(TAG_INTERNET_IOP, profile.encode()),))


def _write_ior_fields(w: CDRWriter, ior: IOR) -> None:
    w.write_string(ior.type_id)
    w.write_ulong(len(ior.profiles))
    for p in ior.profiles:
        w.write_ulong(p.tag)
        w.write_octet_seq(p.data)


def read_ior(r: CDRReader) -> IOR:
    """Read an IOP::IOR struct (as in LOCATION_FORWARD bodies)."""
    type_id = r.read_string()
    n = r.read_count(8)
    return IOR(type_id, tuple(TaggedProfile(r.read_ulong(), r.read_octet_seq()) for _ in range(n)))


def write_ior(w: CDRWriter, ior: IOR) -> None:
    _write_ior_fields(w, ior)


def parse_ior(text: str) -> IOR:
    """Parse a stringified ``IOR:<hex>`` reference."""
    text = text.strip()
    if text[:4].upper() != "IOR:":
        raise MarshalError("not a stringified IOR (missing 'IOR:' prefix)")
    try:
        data = bytes.fromhex(text[4:])
    except ValueError:
        raise MarshalError("IOR is not valid hex") from None
    r = CDRReader.over_encapsulation(data)
    return read_ior(r)


@record(frozen=True)
class Corbaloc:
    addresses: tuple[tuple[tuple[int, int], str, int], ...]  # ((major, minor), host, port)
    object_key: bytes

    def to_string(self) -> str:
        parts = []
        for (major, minor), host, port in self.addresses:
            h = f"[{host}]" if ":" in host else host
            parts.append(f"iiop:{major}.{minor}@{h}:{port}")
        from urllib.parse import quote_from_bytes  # corbaloc strings only: not at import
        return "corbaloc:" + ",".join(parts) + "/" + quote_from_bytes(self.object_key, safe="/-_.~")


def parse_corbaloc(text: str) -> Corbaloc:
    """Parse ``corbaloc:iiop:[1.x@]host[:port][,iiop:...]/key`` (``corbaloc::host:port/key`` too)."""
    if not text.lower().startswith("corbaloc:"):
        raise MarshalError("not a corbaloc URL")
    rest = text[len("corbaloc:"):]
    if "/" not in rest:
        raise MarshalError("corbaloc URL has no object key")
    addr_part, key = rest.split("/", 1)
    addresses = []
    for obj_addr in addr_part.split(","):
        if obj_addr.startswith("iiop:"):
            obj_addr = obj_addr[5:]
        elif obj_addr.startswith(":"):
            obj_addr = obj_addr[1:]
        else:
            raise MarshalError(f"unsupported corbaloc protocol in {obj_addr!r}")
        version = (1, 0)
        if "@" in obj_addr:
            ver, obj_addr = obj_addr.split("@", 1)
            try:
                major, minor = (int(x) for x in ver.split("."))
            except ValueError:
                raise MarshalError(f"bad IIOP version {ver!r}") from None
            version = (major, minor)
        if obj_addr.startswith("["):
            host, _, port_s = obj_addr[1:].partition("]")
            port_s = port_s.lstrip(":")
        else:
            host, _, port_s = obj_addr.partition(":")
        try:
            port = int(port_s) if port_s else 2809
        except ValueError:
            raise MarshalError(f"bad port in corbaloc address {obj_addr!r}") from None
        if not host or not 0 < port < 65536:
            raise MarshalError(f"bad corbaloc address {obj_addr!r}")
        addresses.append((version, host, port))
    from urllib.parse import unquote_to_bytes  # corbaloc strings only: not at import
    return Corbaloc(tuple(addresses), unquote_to_bytes(key))
