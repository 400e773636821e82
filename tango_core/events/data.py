"""The objects an event callback receives, with PyTango 10.3.1's fields and str/repr.

* :class:`EventData` -- change, periodic, archive, user and alarm events (``attr_value`` is a
  DeviceAttribute, or None on error);
* :class:`AttrConfEventData` -- attribute configuration events (``attr_conf``: AttributeInfoEx);
* :class:`DataReadyEventData` -- data-ready events (``attr_data_type``, ``ctr``);
* :class:`DevIntrChangeEventData` -- device interface changes (``cmd_list``, ``att_list``, ``dev_started``).

All share ``device`` (the DeviceProxy the user subscribed through), ``event`` (the event name
without the ``idl5_`` prefix: ``'change'``, ``'attr_conf'`` ...), ``event_reason``
(``SubSuccess`` for the value read when subscribing, ``Update`` afterwards), ``err``,
``errors`` (tuple of DevError) and ``reception_date`` (TimeVal), plus ``get_date()``.
Instances accept arbitrary new attributes, because ITango's event logger writes
``evt.host``/``evt.dev_name``/``evt.s_attr_name`` onto them and those then show in ``str()``.
"""

from __future__ import annotations

from ..idl.enums import EventReason
from ..idl.errors import DevError, DevFailed
from ..idl.struct_format import PrintableStruct
from ..idl.types import TimeVal

__all__ = ["EventData", "AttrConfEventData", "DataReadyEventData", "DevIntrChangeEventData"]


class _EventBase(PrintableStruct):
    __eq__ = object.__eq__  # events compare by identity, like PyTango's C++ objects
    __hash__ = object.__hash__

    def _init_common(self, device_proxy, event_name, event_reason, errors) -> None:
        self.device = device_proxy
        self.event = "" if event_name is None else event_name
        if event_reason is None:
            event_reason = EventReason.Update
        elif type(event_reason) is not EventReason:
            event_reason = EventReason(event_reason)
        self.event_reason = event_reason
        self._errors = tuple(errors) if errors else ()
        self.err = bool(errors)
        self.reception_date = TimeVal.now()

    @property
    def errors(self) -> tuple:
        """The errors (tuple of DevError); empty unless ``err``."""
        return self._errors

    @errors.setter
    def errors(self, value) -> None:
        # PyTango takes a DevFailed here (its errors are kept); a sequence of DevError is also fine
        errors = value.args if isinstance(value, DevFailed) else value
        if isinstance(errors, (str, bytes)) or not hasattr(errors, "__iter__"):
            raise TypeError(f"errors must be a DevFailed or a sequence of DevError, not {type(value).__name__}")
        errors = tuple(errors)
        if not all(isinstance(e, DevError) for e in errors):
            raise TypeError("errors must be a DevFailed or a sequence of DevError")
        self._errors = errors

    def get_date(self) -> TimeVal:
        """The reception date (PyTango: the date the event arrived in the client)."""
        return self.reception_date


class EventData(_EventBase):
    """Data of an attribute value event (change, periodic, archive, user, alarm)."""

    def __init__(self, device_proxy=None, attr_name=None, event_name=None, attr_value=None,
                 event_reason=None, errors=None) -> None:
        self._init_common(device_proxy, event_name, event_reason, errors)
        self.attr_name = "" if attr_name is None else attr_name
        self.attr_value = attr_value


class AttrConfEventData(_EventBase):
    """Data of an attribute configuration event."""

    def __init__(self, device_proxy=None, attr_name=None, event_name=None, attr_conf=None,
                 event_reason=None, errors=None) -> None:
        self._init_common(device_proxy, event_name, event_reason, errors)
        self.attr_name = "" if attr_name is None else attr_name
        self.attr_conf = attr_conf


class DataReadyEventData(_EventBase):
    """Data of a data-ready event: the attribute's data type and the user counter."""

    def __init__(self, device_proxy=None, attr_name=None, event_name=None, attr_data_type=-1, ctr=-1,
                 event_reason=None, errors=None) -> None:
        self._init_common(device_proxy, event_name, event_reason, errors)
        self.attr_name = "Unknown" if attr_name is None else attr_name
        self.attr_data_type = attr_data_type
        self.ctr = ctr


class DevIntrChangeEventData(_EventBase):
    """Data of a device interface change event: the full command and attribute lists."""

    def __init__(self, device_proxy=None, event_name=None, device_name=None, cmd_list=None,
                 att_list=None, dev_started=False, event_reason=None, errors=None) -> None:
        self._init_common(device_proxy, event_name, event_reason, errors)
        self.device_name = "" if device_name is None else device_name
        self.cmd_list = [] if cmd_list is None else cmd_list
        self.att_list = [] if att_list is None else att_list
        self.dev_started = bool(dev_started)
