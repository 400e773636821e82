"""Sans-IO naming of what a Tango server publishes: event topics, the event channel, heartbeats.

The names must match what clients subscribe to byte for byte (protocol brief §5.3, pitfall 12):
clients of Tango >= 9.3 take the topic and the channel from the ZmqEventSubscriptionChange
reply, so the server only has to be consistent with itself -- but older clients rebuild them,
so we follow cppTango's spelling exactly:

* ``prefix``: ``tango://<database host>:<port>/`` in database mode (the host as the server's own
  TANGO_HOST spells it, FQDN-expanded), ``tango://<server host>:<GIOP port>/`` without one;
* attribute event: ``prefix + device/attribute [#dbase=no] . [idl5_]event``, lower-cased;
* device event (intr_change): ``prefix + device [#dbase=no] . event``;
* channel: ``prefix + admin device name`` (never with ``#dbase=no``), heartbeat topic
  ``channel [#dbase=no] .heartbeat``.

``idl5_`` is inserted for change/periodic/archive/user_event/attr_conf when the data version
(the smaller of the client's and the device's IDL versions) is >= 5; never for alarm,
data_ready, intr_change (pitfall 13).
"""

from __future__ import annotations

import socket

from .frames import HEARTBEAT_SUFFIX, IDL5_PREFIX

__all__ = [
    "NO_DB_SUFFIX", "IDL5_PREFIXED_NAMES", "DEVICE_EVENT_NAMES", "EVENT_NAMES",
    "database_prefix", "no_database_prefix", "expand_host", "wire_event_name",
    "attribute_topic", "device_topic", "channel_name", "heartbeat_topic", "strip_idl_prefix",
]

NO_DB_SUFFIX = "#dbase=no"

#: Every event name a Tango 10 server accepts in ZmqEventSubscriptionChange (brief §5.1),
#: including the ones Tango 10 no longer publishes (``quality``, ``pipe``).
EVENT_NAMES = frozenset({"change", "quality", "periodic", "archive", "user_event", "attr_conf",
                         "data_ready", "intr_change", "pipe", "alarm"})
#: Names that get ``idl5_`` for data version >= 5.
IDL5_PREFIXED_NAMES = frozenset({"change", "periodic", "archive", "user_event", "attr_conf"})
#: Names of events that belong to the device, not to one attribute.
DEVICE_EVENT_NAMES = frozenset({"intr_change"})


def expand_host(host: str) -> str:
    """A database host as cppTango spells it in topics: ``localhost`` becomes the host name,
    a name without a dot becomes its FQDN when the resolver knows one; IPs and dotted names
    are kept (brief §4.1, pitfall 19)."""
    if host == "localhost":
        host = socket.gethostname()
    if "." in host or ":" in host:
        return host
    try:
        fqdn = socket.getfqdn(host)
    except OSError:  # pragma: no cover - getfqdn swallows resolver errors itself
        return host
    return fqdn if "." in fqdn else host


def database_prefix(db_host: str, db_port: int | str) -> str:
    """``tango://<db host>:<db port>/`` for a server registered in a database."""
    return f"tango://{expand_host(db_host)}:{int(db_port)}/".lower()


def no_database_prefix(server_host: str, giop_port: int | str) -> str:
    """``tango://<server host>:<GIOP port>/`` for a server run with ``-nodb``."""
    return f"tango://{server_host}:{int(giop_port)}/".lower()


def strip_idl_prefix(event: str) -> tuple[str, int | None]:
    """``idl5_change`` -> (``change``, 5); ``change`` -> (``change``, None)."""
    if event.startswith("idl") and "_" in event:
        head, _, rest = event.partition("_")
        if head[3:].isdigit():
            return rest, int(head[3:])
    return event, None


def wire_event_name(event: str, data_version: int) -> str:
    """The event part of a topic: ``idl5_change`` for data version >= 5, else ``change``."""
    if data_version >= 5 and event in IDL5_PREFIXED_NAMES:
        return IDL5_PREFIX + event
    return event


def attribute_topic(prefix: str, device: str, attribute: str, event: str, *, no_db: bool,
                    data_version: int = 6) -> str:
    """The topic of ``event`` for ``device/attribute``."""
    suffix = NO_DB_SUFFIX if no_db else ""
    return f"{prefix}{device}/{attribute}{suffix}.{wire_event_name(event, data_version)}".lower()


def device_topic(prefix: str, device: str, event: str, *, no_db: bool) -> str:
    """The topic of a device-level event (``intr_change``)."""
    suffix = NO_DB_SUFFIX if no_db else ""
    return f"{prefix}{device}{suffix}.{event}".lower()


def channel_name(prefix: str, admin_device: str) -> str:
    """The event channel: the prefix and the admin device name, lower-cased (no ``#dbase=no``)."""
    return f"{prefix}{admin_device}".lower()


def heartbeat_topic(channel: str, *, no_db: bool) -> str:
    """``<channel>[#dbase=no].heartbeat``, as cppTango 10 publishes it (brief §5.3)."""
    return f"{channel}{NO_DB_SUFFIX if no_db else ''}{HEARTBEAT_SUFFIX}"
