"""Where the event publisher and the polling engine plug into the server.

The device model and the GIOP servant never talk ZeroMQ and never poll: they call the two
objects a :class:`~.runtime.ServerRuntime` holds, ``runtime.events`` (an :class:`EventSink`) and
``runtime.polling`` (a :class:`PollingService`).  The defaults defined here keep the server
correct without those machineries (pushes are dropped when nobody can subscribe; polling
periods are remembered and reported, nothing is polled); ``tango_core.events`` replaces them at
start-up with the real ones (see docs/architecture.md, "server hooks").

What the server offers the other side (all thread-safe, each takes the device's serialisation
lock itself):

* ``device.read_attribute_value(name) -> AttributeValue_5`` -- a full read as a client would get
  it (hooks, is_allowed, alarms; errors inside the value's ``err_list``);
* ``device.run_command(name, argin=None) -> (CmdArgType, value)`` -- a command as a client runs it
  (raises DevFailed);
* ``device.get_attribute_config_5(name)``; ``device.get_command_infos()``;
* ``runtime.admin.register_command(...)`` -- extra admin commands (ZmqEventSubscriptionChange,
  EventConfirmSubscription, the polling commands);
* the notifications below, called by the device model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..idl.enums import EventType

if TYPE_CHECKING:
    from ..idl.errors import DevFailed
    from ..idl.types import AttributeValue_5
    from .attributes import Attribute
    from .device import DeviceImpl

__all__ = ["EventSink", "PollingService"]


class EventSink:
    """Receives what device code pushes and what changes in the device interface.

    The default drops everything: without an event system nobody can be subscribed.
    """

    def push_attribute_event(self, device: "DeviceImpl", attr: "Attribute", event_type: EventType,
                             value: "AttributeValue_5 | DevFailed") -> None:
        """An attribute event pushed by device code (change, archive, user, alarm, periodic).

        ``value`` is the AttributeValue_5 built from the pushed data (quality set, alarms checked)
        or the DevFailed to send instead.  ``attr.change_event_detect`` & co. say whether the
        publisher must apply the abs/rel change criteria."""

    def push_data_ready_event(self, device: "DeviceImpl", attr: "Attribute", counter: int) -> None:
        """``push_data_ready_event(attr_name, counter)`` from device code."""

    def push_attr_conf_event(self, device: "DeviceImpl", attr: "Attribute") -> None:
        """The configuration of ``attr`` changed (set_attribute_config, set_max_alarm ...)."""

    def interface_changed(self, device: "DeviceImpl") -> None:
        """Attributes or commands were added to/removed from ``device`` (INTERFACE_CHANGE_EVENT)."""

    def is_there_subscriber(self, device: "DeviceImpl", attr_name: str, event_type: EventType) -> bool:
        return False

    def admin_ready(self, admin: Any) -> None:
        """The admin device exists (before it is served): register the event admin commands."""

    def device_restarted(self, old: "DeviceImpl", new: "DeviceImpl") -> None:
        """``new`` replaced ``old`` (admin DevRestart / RestartServer), already serving clients."""

    def device_started(self, device: "DeviceImpl") -> None:
        """``device`` is exported and serves clients."""

    def device_removed(self, device: "DeviceImpl") -> None:
        """``device`` was deleted while the server runs (``Util.delete_device``)."""

    def close(self) -> None:
        """The server shuts down: release sockets and threads."""


class PollingService:
    """Polling configuration of the devices of one server.

    The default only remembers the periods (so ``is_attribute_polled``, ``polled_attr`` and
    DevPollStatus answer consistently); the polling engine overrides ``start``/``stop`` hooks
    and does the reading.
    """

    def __init__(self) -> None:
        # device name (lower case) -> {("attribute"|"command", object name lower case): period ms}
        self._periods: dict[str, dict[tuple[str, str], int]] = {}

    def set_period(self, device: "DeviceImpl", kind: str, name: str, period_ms: int) -> None:
        self._periods.setdefault(device.get_name().lower(), {})[(kind, name.lower())] = int(period_ms)

    def remove(self, device: "DeviceImpl", kind: str, name: str) -> None:
        self._periods.get(device.get_name().lower(), {}).pop((kind, name.lower()), None)

    def get_period(self, device: "DeviceImpl", kind: str, name: str) -> int:
        return self._periods.get(device.get_name().lower(), {}).get((kind, name.lower()), 0)

    def polled_objects(self, device: "DeviceImpl") -> dict[tuple[str, str], int]:
        return dict(self._periods.get(device.get_name().lower(), {}))

    def polled_devices(self) -> list[str]:
        return [name for name, objs in self._periods.items() if objs]

    def status(self, device: "DeviceImpl") -> list[str]:
        """DevPollStatus lines for ``device`` (the first two lines are what tools parse)."""
        lines = []
        for (kind, name), period in self.polled_objects(device).items():
            label = "attribute" if kind == "attribute" else "command"
            obj = device._polled_object_display_name(kind, name)
            lines.append(f"Polled {label} name = {obj}\nPolling period (mS) = {period}\n"
                         f"Polling ring buffer depth = {device.get_polling_settings().ring_depth(kind, name)}\n"
                         "No data recorded yet")
        return lines

    def device_removed(self, device: "DeviceImpl") -> None:
        self._periods.pop(device.get_name().lower(), None)

    def start(self) -> None:
        """Server started (devices exported)."""

    def close(self) -> None:
        """Server shuts down."""

    def extra(self) -> dict[str, Any]:
        return {}
