"""What the event consumer needs from the client layer above it, handed to it by that layer.

The events package sits below the client (a rule checked by tests/test_layers.py): it never
imports DeviceProxy or the client's user-facing structs.  The client gives each subscription a
:class:`ClientInterface` (``tango_core.client.device_proxy.event_client()``), and the consumer
makes its admin-device proxies and converts decoded payloads through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["ClientInterface"]


@dataclass(frozen=True)
class ClientInterface:
    #: a device proxy for a device name (the consumer talks to admin devices through it)
    device_proxy: Callable[[str], Any]
    #: ``(AttributeValue_5 or _4, ExtractAs) -> DeviceAttribute`` for value events
    device_attribute: Callable[[Any, Any], Any]
    #: ``AttributeConfig_5 or _3 -> AttributeInfoEx`` for attr_conf and interface-change events
    attribute_info: Callable[[Any], Any]
    #: ``DevCmdInfo_2 -> CommandInfo`` for interface-change events
    command_info: Callable[[Any], Any]
    #: ``(message, key, category)``: a deprecation notice given once per process (the client's
    #: record of keys, which suites written for PyTango clear to see a notice again)
    warn_once: Callable[..., Any]
