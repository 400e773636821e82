"""The attributes of one running device: configuration, current value, set point, alarms.

One :class:`Attribute` (read-only) or :class:`WAttribute` (writable) per attribute of a
device, grouped in the device's :class:`MultiAttribute` -- PyTango's names, so device code
written for PyTango (``self.get_device_attr().get_attr_by_name("x").set_value(1)``,
``get_w_attr_by_name(...).get_write_value()``, ``attr.set_max_alarm(3)``...) runs unchanged.

The configuration is a set of strings, as Tango keeps and transmits it (``"Not specified"``
when a property is unset); numeric thresholds are parsed once when set.  Three layers, as in
cppTango: the library default, the class default given in code (``attribute(unit="V")``), and
the value set at run time (``set_attribute_config`` from a client, persisted in the database).
Setting ``""``, ``"NaN"`` or ``"Not specified"`` goes back to the code default (else the library
default).

Reading: the device's read method calls ``set_value`` / ``set_value_date_quality``; the value is
turned into an :class:`~tango_core.idl.types.AttrValUnion` at once (so a wrong value fails inside
the read, with the attribute's name), then :meth:`Attribute.check_alarm` sets the quality from the
alarm/warning thresholds, as cppTango does, unless device code chose another quality itself.
"""

from __future__ import annotations

import time
from math import isfinite as _isfinite
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

_FLOAT64 = np.dtype(np.float64)

from ..idl.enums import (
    AttrDataFormat, AttributeDataType, AttrQuality, AttrSerialModel, AttrWriteType, CmdArgType, DevState, DispLevel,
    EventType, arm_for_data_type,
)
from ..idl.errors import DevError, DevFailed, ErrSeverity
from ..idl.types import (
    ArchiveEventProp, AttrValUnion, AttributeAlarm, AttributeConfig, AttributeConfig_2, AttributeConfig_3,
    AttributeConfig_5, AttributeDim, AttributeValue_5, ChangeEventProp, DevEncoded, EventProperties,
    PeriodicEventProp, TimeVal,
)
from ..wire.cdr import CDRWriter
from .values import (
    NUMERIC_DTYPE, format_property_value, is_numeric_type, parse_property_value, read_value_to_union,
    union_to_write_value,
)

if TYPE_CHECKING:
    from .device import DeviceImpl

__all__ = ["Attribute", "WAttribute", "MultiAttribute", "MultiAttrProp", "NOT_SPECIFIED", "PROPERTY_NAMES"]

T = CmdArgType
A = AttributeDataType
NOT_SPECIFIED = "Not specified"
_NO_FLAGS: frozenset[str] = frozenset()
_INVALID = AttrQuality.ATTR_INVALID
_VALID = AttrQuality.ATTR_VALID
_np_array = np.array
_RESET_WORDS = ("", "NaN", NOT_SPECIFIED)

#: configuration properties, by the name they have in the database and in ``attribute(...)``
PROPERTY_NAMES = (
    "label", "description", "unit", "standard_unit", "display_unit", "format",
    "min_value", "max_value", "min_alarm", "max_alarm", "min_warning", "max_warning",
    "delta_t", "delta_val", "rel_change", "abs_change", "event_period",
    "archive_rel_change", "archive_abs_change", "archive_period",
)


class MultiAttrProp:
    """Every configuration property of an attribute, as strings (IDL ``MultiAttrProp``): what
    ``Attribute.get_properties()`` fills and ``Attribute.set_properties()`` applies."""

    __slots__ = PROPERTY_NAMES

    def __init__(self, **props: str) -> None:
        for name in PROPERTY_NAMES:
            setattr(self, name, str(props.pop(name, "")))
        if props:
            raise TypeError(f"MultiAttrProp has no property {', '.join(props)}")

    def __repr__(self) -> str:
        return "MultiAttrProp(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in PROPERTY_NAMES) + ")"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MultiAttrProp):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in PROPERTY_NAMES)

    __hash__ = None  # type: ignore[assignment]


#: ``attribute(...)`` keyword -> property name (PyTango's UserDefaultAttrProp setters)
KEYWORD_PROPERTY = {
    "doc": "description", "description": "description", "label": "label", "unit": "unit",
    "standard_unit": "standard_unit", "display_unit": "display_unit", "format": "format",
    "min_value": "min_value", "max_value": "max_value", "min_alarm": "min_alarm", "max_alarm": "max_alarm",
    "min_warning": "min_warning", "max_warning": "max_warning", "delta_t": "delta_t", "delta_time": "delta_t",
    "delta_val": "delta_val", "rel_change": "rel_change", "abs_change": "abs_change",
    "period": "event_period", "event_period": "event_period",
    "archive_rel_change": "archive_rel_change", "archive_abs_change": "archive_abs_change",
    "archive_period": "archive_period", "archive_event_rel_change": "archive_rel_change",
    "archive_event_abs_change": "archive_abs_change", "archive_event_period": "archive_period",
    "event_rel_change": "rel_change", "event_abs_change": "abs_change",
}
_THRESHOLDS = ("min_value", "max_value", "min_alarm", "max_alarm", "min_warning", "max_warning")
_NUMERIC_ONLY = (*_THRESHOLDS, "delta_val", "abs_change", "rel_change", "archive_abs_change",
                 "archive_rel_change")


def _lib_default(name: str, attr_name: str, data_type: CmdArgType, data_format: AttrDataFormat) -> str:
    if name == "label":
        return attr_name
    if name == "description":
        return "No description"
    if name == "unit":
        return ""
    if name == "standard_unit":
        return "No standard unit"
    if name == "display_unit":
        return "No display unit"
    if name == "format":
        if data_type in (T.DevFloat, T.DevDouble):
            return "%6.2f"
        if data_type in (T.DevString, T.DevEnum, T.ConstDevString):
            return "%s"
        if data_type in (T.DevBoolean, T.DevState, T.DevEncoded):
            return NOT_SPECIFIED
        return "%d"
    if name == "event_period":
        return "1000"
    return NOT_SPECIFIED


def timeval_now() -> TimeVal:
    """The time now, built without TimeVal's constructor (every read of a value dates it)."""
    t = time.time()
    tv = TimeVal.__new__(TimeVal)
    tv.tv_sec = int(t)
    tv.tv_usec = int((t - tv.tv_sec) * 1e6)
    tv.tv_nsec = 0
    return tv


def to_timeval(date: Any) -> TimeVal:
    """A date given by device code (float seconds, TimeVal, datetime) as a TimeVal."""
    if isinstance(date, TimeVal):
        return date
    return TimeVal(date)


def _df(reason: str, desc: str, origin: str) -> DevFailed:
    return DevFailed(DevError(reason, desc, origin, ErrSeverity.ERR))


class Attribute:
    """One attribute of one device (PyTango's ``tango.Attribute``)."""

    def __init__(self, name: str, data_type: CmdArgType, data_format: AttrDataFormat = AttrDataFormat.SCALAR,
                 writable: AttrWriteType = AttrWriteType.READ, max_dim_x: int = 1, max_dim_y: int = 0, *,
                 display_level: DispLevel = DispLevel.OPERATOR, enum_labels: Iterable[str] = (),
                 class_defaults: dict[str, str] | None = None, memorized: bool = False,
                 hw_memorized: bool = False, writable_attr_name: str | None = None,
                 polling_period: int = -1) -> None:
        self.name = name
        self.name_lower = name.lower()
        self.data_type = CmdArgType(data_type)
        self.data_format = AttrDataFormat(data_format)
        self.writable = AttrWriteType(writable)
        if self.data_format == AttrDataFormat.SCALAR:
            max_dim_x, max_dim_y = 1, 0
        elif self.data_format == AttrDataFormat.SPECTRUM:
            max_dim_y = 0
        self.max_dim_x = int(max_dim_x)
        self.max_dim_y = int(max_dim_y)
        self.display_level = DispLevel(display_level)
        self.memorized = bool(memorized)
        self.hw_memorized = bool(hw_memorized) and self.memorized
        self.polling_period = int(polling_period) if polling_period is not None else -1
        if writable_attr_name is None:
            writable_attr_name = name if self.writable == AttrWriteType.READ_WRITE else "None"
        self.writable_attr_name = writable_attr_name
        self.enum_labels: list[str] = list(enum_labels)
        self._class_defaults: dict[str, str] = dict(class_defaults or {})
        self._props: dict[str, str] = {}
        self._thresholds: dict[str, Any] = {}
        self._alarmed = False
        for prop in PROPERTY_NAMES:
            self._props[prop] = self._default_of(prop)
        self._parse_thresholds()
        # event settings (the event machinery reads them)
        self.change_event_implemented = False
        self.change_event_detect = True
        self.archive_event_implemented = False
        self.archive_event_detect = True
        self.alarm_event_implemented = False
        self.alarm_event_detect = True
        self.data_ready_event_implemented = False
        # current read value
        self._value: AttrValUnion | None = None
        # cppTango's value flag: set by set_value*, cleared once the value went to a client (a read
        # or a fired event) -- firing again needs a new value; _value itself stays for the state
        self._value_flag = False
        self._dim_x = 0
        self._dim_y = 0
        self._quality = AttrQuality.ATTR_VALID
        self._date: TimeVal | None = None
        self._alarm_flags: set[str] | frozenset[str] = _NO_FLAGS
        self.device: DeviceImpl | None = None
        #: the wire arm and numpy dtype of a numeric scalar's value (None: not a numeric scalar)
        self._scalar_arm = arm_for_data_type(self.data_type) \
            if self.data_format is AttrDataFormat.SCALAR and self.data_type in NUMERIC_DTYPE else None
        self._scalar_dtype = NUMERIC_DTYPE.get(self.data_type)
        self._float_scalar = self._scalar_arm is not None and self.data_type in (T.DevDouble, T.DevFloat)
        self._int_scalar = self._scalar_arm is not None and self.data_type not in (
            T.DevDouble, T.DevFloat, T.DevBoolean, T.DevEnum)

    # -- configuration defaults ------------------------------------------------------------
    def _default_of(self, prop: str) -> str:
        value = self._class_defaults.get(prop)
        if value is not None and value not in _RESET_WORDS:
            return value
        return _lib_default(prop, self.name, self.data_type, self.data_format)

    def _parse_thresholds(self) -> None:
        self._thresholds = {}
        self._alarmed = False
        if not is_numeric_type(self.data_type):
            return
        for prop in _THRESHOLDS:
            text = self._props[prop]
            if text != NOT_SPECIFIED:
                try:
                    self._thresholds[prop] = parse_property_value(self.data_type, text)
                except ValueError:
                    pass
        t = self._thresholds
        self._alarmed = "min_alarm" in t or "max_alarm" in t or "min_warning" in t or "max_warning" in t

    def is_alarmed(self) -> bool:
        """True when an alarm or warning threshold is set (the device state then follows it)."""
        return self._alarmed

    def get_property_string(self, prop: str) -> str:
        return self._props[prop]

    def set_property_string(self, prop: str, value: str, *, device_name: str = "") -> bool:
        """Set one configuration property from its string form; returns True if it changed.

        ``""``, ``"NaN"`` and ``"Not specified"`` go back to the default.  Raises DevFailed with
        cppTango's reasons for a value that does not parse or fit the data type.
        """
        if prop not in self._props:
            raise _df("API_AttrOptProp", f"Attribute {self.name}: unknown property {prop}",
                      "Attribute::set_properties()")
        value = value.strip() if prop in _NUMERIC_ONLY or prop in ("delta_t", "event_period", "archive_period") \
            else value
        if value in _RESET_WORDS or value == _lib_default(prop, self.name, self.data_type, self.data_format):
            new = self._default_of(prop)
        else:
            new = self._check_value(prop, value, device_name)
        if new == self._props[prop]:
            return False
        self._props[prop] = new
        if prop in _THRESHOLDS:
            self._parse_thresholds()
        return True

    def _check_value(self, prop: str, value: str, device_name: str) -> str:
        where = f"Device {device_name}-> Attribute : {self.name}\n"
        if prop in _NUMERIC_ONLY:
            if not (is_numeric_type(self.data_type) or (self.data_type == T.DevEncoded and prop in _THRESHOLDS)):
                raise _df("API_AttrOptProp", f"{where}The property {prop} is not settable for the attribute "
                          f"data type", "Attribute::set_one_alarm_prop()")
            if prop in ("rel_change", "abs_change", "archive_rel_change", "archive_abs_change"):
                parts = [p.strip() for p in value.split(",")]
                try:
                    numbers = [abs(float(p)) for p in parts if p]
                except ValueError:
                    raise _df("API_AttrOptProp", f"{where}The property {prop} is defined in an unsupported "
                              f"format", "Attribute::convert_prop_value()") from None
                return ",".join(_short_float(n) for n in numbers)
            try:
                parse_property_value(self.data_type if self.data_type != T.DevEncoded else T.DevUChar, value)
            except ValueError:
                raise _df("API_AttrOptProp", f"{where}The property {prop} is defined in an unsupported format",
                          "Attribute::convert_prop_value()") from None
            if prop in ("min_value", "max_value"):
                other = "max_value" if prop == "min_value" else "min_value"
                if other in self._thresholds:
                    v = parse_property_value(self.data_type, value)
                    low, high = (v, self._thresholds[other]) if prop == "min_value" else (self._thresholds[other], v)
                    if low >= high:
                        raise _df("API_IncoherentValues", f"{where}Value of min_value is greater than or equal "
                                  f"to max_value", "Attribute::set_upd_properties()")
            return value
        if prop in ("delta_t", "event_period", "archive_period"):
            try:
                int(float(value))
            except ValueError:
                raise _df("API_AttrOptProp", f"{where}The property {prop} is defined in an unsupported format",
                          "Attribute::convert_prop_value()") from None
            return value
        return value

    # -- PyTango accessors ------------------------------------------------------------------
    def get_name(self) -> str:
        return self.name

    def get_data_type(self) -> CmdArgType:
        return self.data_type

    def get_data_format(self) -> AttrDataFormat:
        return self.data_format

    def get_writable(self) -> AttrWriteType:
        return self.writable

    def get_max_dim_x(self) -> int:
        return self.max_dim_x

    def get_max_dim_y(self) -> int:
        return self.max_dim_y

    def get_disp_level(self) -> DispLevel:
        return self.display_level

    def get_label(self) -> str:
        return self._props["label"]

    def get_assoc_name(self) -> str:
        return self.writable_attr_name

    def is_write_associated(self) -> bool:
        return self.writable_attr_name not in ("None", "")

    def remove_configuration(self) -> None:
        """Delete the attribute's properties from the database (its configuration, memorized
        value included), so that the next start gives it the configuration the code declares.
        As on PyTango 10.3.1, the running attribute keeps its present configuration and its
        polling; without a database there is nothing to delete."""
        dev = self.device
        runtime = getattr(dev, "_dev_runtime", None)
        if dev is None or runtime is None:
            return
        try:
            runtime.properties.delete_all_attribute_properties(dev.get_name(), self.name)
        except DevFailed:
            pass

    def get_assoc_ind(self) -> int:
        """Index, in the device's attribute list, of the attribute written with this one: its
        own for READ_WRITE, the associated one for READ_WITH_WRITE, else 0 (cppTango's), unless
        set_assoc_ind gave another."""
        given = self.__dict__.get("_assoc_ind")
        if given is not None:
            return given
        dev = self.device
        if dev is None or not self.is_write_associated():
            return 0
        target = self.writable_attr_name.lower()
        for index, attr in enumerate(dev.get_device_attr()):
            if attr.name_lower == target:
                return index
        return 0

    def set_assoc_ind(self, index: int) -> None:
        self._assoc_ind = int(index)

    def get_attr_serial_model(self) -> AttrSerialModel:
        """How reads of this attribute are serialised (ATTR_BY_KERNEL unless set): kept and
        answered back; tango_core serialises by the device's model (Util.set_serial_model)."""
        return self.__dict__.get("_attr_serial_model", AttrSerialModel.ATTR_BY_KERNEL)

    def set_attr_serial_model(self, model: AttrSerialModel) -> None:
        self._attr_serial_model = AttrSerialModel(model)

    def use_notifd_event(self) -> bool:
        """False: tango_core sends events through ZeroMQ only (the notification service is gone
        from Tango since 9)."""
        return False

    def use_zmq_event(self) -> bool:
        """True when a client is subscribed to an event of this attribute (they all go by ZeroMQ)."""
        dev = self.device
        if dev is None:
            return False
        return any(dev.is_there_subscriber(self.name, et) for et in (
            EventType.CHANGE_EVENT, EventType.ARCHIVE_EVENT, EventType.PERIODIC_EVENT, EventType.USER_EVENT,
            EventType.ALARM_EVENT))

    def get_polling_period(self) -> int:
        return max(self.polling_period, 0)

    def is_polled(self) -> bool:
        dev = self.device
        if dev is None:
            return False
        return dev.is_attribute_polled(self.name)

    def get_x(self) -> int:
        return self._dim_x

    def get_y(self) -> int:
        return self._dim_y

    def get_data_size(self) -> int:
        if self.data_format == AttrDataFormat.IMAGE:
            return self._dim_x * self._dim_y
        return self._dim_x

    def get_quality(self) -> AttrQuality:
        return self._quality

    def set_quality(self, quality: AttrQuality, send_event: bool = False) -> None:
        self._quality = AttrQuality(quality)

    def get_date(self) -> TimeVal:
        return self._date if self._date is not None else timeval_now()

    def set_date(self, date: Any) -> None:
        self._date = to_timeval(date)

    def value_is_set(self) -> bool:
        return self._value is not None

    def value_sent(self) -> None:
        """The value went to a client (read or fired event): as cppTango, firing an event needs a
        new ``set_value`` from now on; the value, its quality and date stay for the state."""
        self._value_flag = False

    def reset_value(self) -> None:
        self._value = None
        self._value_flag = False
        self._quality = AttrQuality.ATTR_VALID
        self._date = None
        self._alarm_flags = _NO_FLAGS

    def _threshold_getter(prop):  # noqa: N805 - builds methods
        def get(self) -> Any:
            try:
                return self._thresholds[prop]
            except KeyError:
                raise _df("API_AttrNotAllowed", f"Attribute {self.name}: {prop} not defined",
                          f"Attribute::get_{prop}()") from None
        return get

    def _threshold_setter(prop):  # noqa: N805
        def set_(self, value: Any) -> None:
            text = format_property_value(self.data_type, value)
            if self.set_property_string(prop, text, device_name=self.device.get_name() if self.device else ""):
                self._config_changed()
        return set_

    get_min_alarm = _threshold_getter("min_alarm")
    get_max_alarm = _threshold_getter("max_alarm")
    get_min_warning = _threshold_getter("min_warning")
    get_max_warning = _threshold_getter("max_warning")
    set_min_alarm = _threshold_setter("min_alarm")
    set_max_alarm = _threshold_setter("max_alarm")
    set_min_warning = _threshold_setter("min_warning")
    set_max_warning = _threshold_setter("max_warning")
    del _threshold_getter, _threshold_setter

    def is_min_alarm(self) -> bool:
        return "min_alarm" in self._alarm_flags

    def is_max_alarm(self) -> bool:
        return "max_alarm" in self._alarm_flags

    def is_min_warning(self) -> bool:
        return "min_warning" in self._alarm_flags

    def is_max_warning(self) -> bool:
        return "max_warning" in self._alarm_flags

    def is_rds_alarm(self) -> bool:
        return False

    def _config_changed(self) -> None:
        if self.device is not None:
            self.device._attribute_config_changed(self)

    # -- event settings (the event publisher reads them) ------------------------------------
    def set_change_event(self, implemented: bool, detect: bool = True) -> None:
        self.change_event_implemented = bool(implemented)
        self.change_event_detect = bool(detect)

    def set_archive_event(self, implemented: bool, detect: bool = True) -> None:
        self.archive_event_implemented = bool(implemented)
        self.archive_event_detect = bool(detect)

    def set_alarm_event(self, implemented: bool, detect: bool = True) -> None:
        self.alarm_event_implemented = bool(implemented)
        self.alarm_event_detect = bool(detect)

    def set_data_ready_event(self, implemented: bool) -> None:
        self.data_ready_event_implemented = bool(implemented)

    def is_change_event(self) -> bool:
        return self.change_event_implemented

    def is_check_change_criteria(self) -> bool:
        return self.change_event_detect

    def is_archive_event(self) -> bool:
        return self.archive_event_implemented

    def is_check_archive_criteria(self) -> bool:
        return self.archive_event_detect

    def is_alarm_event(self) -> bool:
        return self.alarm_event_implemented

    def is_check_alarm_criteria(self) -> bool:
        return self.alarm_event_detect

    def is_data_ready_event(self) -> bool:
        return self.data_ready_event_implemented

    # -- events fired by device code, and who listens ---------------------------------------
    def fire_change_event(self, exception: DevFailed | None = None) -> None:
        """Push a change event with the value set by ``set_value`` (or the error ``exception``)."""
        self._fire(EventType.CHANGE_EVENT, exception, "change")

    def fire_alarm_event(self, exception: DevFailed | None = None) -> None:
        """Push an alarm event with the value set by ``set_value`` (or the error ``exception``)."""
        self._fire(EventType.ALARM_EVENT, exception, "alarm")

    def _fire(self, event_type: EventType, exception: DevFailed | None, what: str) -> None:
        """cppTango 10's rules, as seen from PyTango: with nobody subscribed, nothing is checked
        nor sent; an error clears the value; a value must be set since it last went to a client
        (read or fired), unless the quality is INVALID; once fired it counts as sent; firing
        consumes the quality given with the value (ATTR_VALID afterwards)."""
        if exception is not None and not isinstance(exception, DevFailed):
            raise DevFailed(DevError("PyDs_WrongPythonDataTypeForAttribute",
                                     f"Wrong Python argument type for attribute {self.name}. Expected a DevFailed.",
                                     "PyAttribute::generic_fire_event()", ErrSeverity.ERR))
        device = self.device
        listened = device is not None and device.is_there_subscriber(self.name, event_type)
        value: AttributeValue_5 | DevFailed | None = exception
        if listened and exception is None:
            if not self._value_flag and self._quality is not _INVALID:
                raise DevFailed(DevError("API_AttrValueNotSet",
                                         f"Value for attribute {self.name} has not been updated. Can't send {what} "
                                         "event\nSet the attribute value (using set_value(...) method) before!",
                                         f"Attribute::fire_{what}_event()", ErrSeverity.ERR))
            value = self.to_attribute_value_5(self if self.writable == AttrWriteType.READ_WRITE else None)
        self.event_sent()
        if listened:
            assert device is not None and value is not None
            device._publish_attribute_event(event_type, self, value)

    def event_sent(self) -> None:
        """After an event of this attribute's value was fired or pushed: a new ``set_value`` is
        needed to fire again, and the quality given with the value is spent (ATTR_VALID)."""
        self._value_flag = False
        self._quality = _VALID

    def is_event_subscribed(self, event_type: EventType) -> bool:
        """Whether a client listens to this attribute's events of ``event_type``."""
        return self.device is not None and self.device.is_there_subscriber(self.name, EventType(event_type))

    def change_event_subscribed(self) -> bool:
        return self.is_event_subscribed(EventType.CHANGE_EVENT)

    def alarm_event_subscribed(self) -> bool:
        return self.is_event_subscribed(EventType.ALARM_EVENT)

    def archive_event_subscribed(self) -> bool:
        return self.is_event_subscribed(EventType.ARCHIVE_EVENT)

    def periodic_event_subscribed(self) -> bool:
        return self.is_event_subscribed(EventType.PERIODIC_EVENT)

    def user_event_subscribed(self) -> bool:
        return self.is_event_subscribed(EventType.USER_EVENT)

    # -- value ------------------------------------------------------------------------------
    def set_value(self, value: Any, *args: Any, **kwargs: Any) -> None:
        """Store the value read from the hardware (PyTango's ``Attribute.set_value``).

        DevEncoded also takes ``set_value(format, data)``.  The dimensions come from the value
        (PyTango 10.1 removed the ``dim_x``/``dim_y`` arguments)."""
        if not args and not kwargs:
            # the commonest read: one Python float/int for a numeric scalar
            cls = value.__class__
            if (cls is float and self._float_scalar) or (cls is int and self._int_scalar):
                try:
                    array = _np_array((value,), self._scalar_dtype)
                except OverflowError:
                    pass        # out of the type's range: the general path says so
                else:
                    self._value = AttrValUnion(self._scalar_arm, array)
                    self._value_flag = True
                    self._dim_x = 1
                    self._dim_y = 0
                    self._date = None
                    self._quality = _VALID
                    return
        if kwargs.keys() & {"dim_x", "dim_y"} or (args and not (self.data_type == T.DevEncoded and len(args) == 1)):
            raise TypeError("Too many arguments. Note, that dim_x and dim_y arguments are no longer supported.")
        if args:
            value = (value, args[0])
        if value is None:
            raise TypeError("set_value method cannot be called with None")
        union, x, y = read_value_to_union(self.name, self.data_type, self.data_format, value,
                                          self.max_dim_x, self.max_dim_y)
        self._value = union
        self._value_flag = True
        self._dim_x = x
        self._dim_y = y
        self._date = None
        self._quality = _VALID  # a new value is valid unless told otherwise (cppTango 10)

    def set_value_date_quality(self, value: Any, *args: Any, **kwargs: Any) -> None:
        """Store a value with its own time stamp and quality: ``(value, date, quality)``, or for
        DevEncoded also ``(format, data, date, quality)``."""
        if kwargs.keys() & {"dim_x", "dim_y"}:
            raise TypeError("Too many arguments. Note, that dim_x and dim_y arguments are no longer supported.")
        if self.data_type == T.DevEncoded and len(args) == 3:
            value, args = (value, args[0]), args[1:]
        if len(args) != 2:
            raise TypeError("Too many arguments. Note, that dim_x and dim_y arguments are no longer supported."
                            if len(args) > 2 else "set_value_date_quality needs (value, date, quality)")
        date, quality = args
        if value is None or date is None or quality is None:
            raise TypeError("set_value_date_quality method cannot be called with None")
        quality = AttrQuality(quality)
        if quality == AttrQuality.ATTR_INVALID:
            self._value = AttrValUnion.no_data()
            self._value_flag = True
            self._dim_x = self._dim_y = 0
        else:
            self.set_value(value)
        self._date = to_timeval(date)
        self._quality = quality

    def set_complex_value(self, value: Any) -> None:
        """What a high-level read method returned: a value or ``(value, time, quality)``."""
        if value.__class__ is float or value.__class__ is int:
            self.set_value(value)
            return
        if isinstance(value, tuple):
            n = len(value)
            if n >= 3 and isinstance(value[2], AttrQuality) and not (
                    self.data_type == T.DevEncoded and n == 3 and isinstance(value[1], (bytes, bytearray, str))):
                self.set_value_date_quality(*value)
                return
            if self.data_type == T.DevEncoded and n == 4 and isinstance(value[3], AttrQuality):
                self.set_value_date_quality(value[0], value[1], value[2], value[3])
                return
        self.set_value(value)

    def get_value_union(self) -> AttrValUnion | None:
        return self._value

    def check_alarm(self) -> bool:
        """Set the quality from the thresholds (cppTango's rules); True if alarmed or warned."""
        self._alarm_flags = set()
        if self._quality != AttrQuality.ATTR_VALID or self._value is None or not self._thresholds:
            return self._quality in (AttrQuality.ATTR_ALARM, AttrQuality.ATTR_WARNING)
        arr = self._value.value
        if not isinstance(arr, np.ndarray) or arr.size == 0:
            return False
        n = self.get_data_size() or arr.size
        data = arr[:n]
        th = self._thresholds
        alarmed = False
        if "min_alarm" in th and bool((data <= th["min_alarm"]).any()):
            self._alarm_flags.add("min_alarm")
            alarmed = True
        if "max_alarm" in th and bool((data >= th["max_alarm"]).any()):
            self._alarm_flags.add("max_alarm")
            alarmed = True
        if alarmed:
            self._quality = AttrQuality.ATTR_ALARM
            return True
        if "min_warning" in th and bool((data <= th["min_warning"]).any()):
            self._alarm_flags.add("min_warning")
            alarmed = True
        if "max_warning" in th and bool((data >= th["max_warning"]).any()):
            self._alarm_flags.add("max_warning")
            alarmed = True
        if alarmed:
            self._quality = AttrQuality.ATTR_WARNING
        return alarmed

    def alarm_status_lines(self) -> str:
        """The lines cppTango appends to the device status for this attribute's alarms."""
        label = self.get_label()
        out = ""
        if self.is_min_alarm():
            out += f"\nAlarm : Value too low for {label}"
        elif self.is_max_alarm():
            out += f"\nAlarm : Value too high for {label}"
        if self.is_min_warning():
            out += f"\nWarning : Value too low for {label}"
        elif self.is_max_warning():
            out += f"\nWarning : Value too high for {label}"
        return out

    # -- wire forms -----------------------------------------------------------------------------
    def to_attribute_value_5(self, w_attr: "WAttribute | None" = None) -> AttributeValue_5:
        """The current value as cppTango fills an AttributeValue_5 (set point appended for
        READ_WRITE/READ_WITH_WRITE, w_dim from the set point)."""
        union = self._value
        quality = self._quality
        date = self._date
        if date is None:
            date = timeval_now()
        if union is None or quality is _INVALID:
            return AttributeValue_5(AttrValUnion.no_data(), quality, self.data_format, self.data_type,
                                    date, self.name, AttributeDim(0, 0), AttributeDim(0, 0), [])
        if w_attr is not None:
            w_union = w_attr._set_point
            wx, wy = w_attr._w_dim
            union = _concat(union, w_union)
            w_dim = AttributeDim(wx, wy)
        else:
            w_dim = AttributeDim(0, 0)
        return AttributeValue_5(union, quality, self.data_format, self.data_type, date,
                                self.name, AttributeDim(self._dim_x, self._dim_y), w_dim, [])

    def _event_props(self) -> EventProperties:
        p = self._props
        return EventProperties(ChangeEventProp(p["rel_change"], p["abs_change"], []),
                               PeriodicEventProp(p["event_period"], []),
                               ArchiveEventProp(p["archive_rel_change"], p["archive_abs_change"],
                                                p["archive_period"], []))

    def _alarm_props(self) -> AttributeAlarm:
        p = self._props
        return AttributeAlarm(p["min_alarm"], p["max_alarm"], p["min_warning"], p["max_warning"], p["delta_t"],
                              p["delta_val"], [])

    def _config_key(self) -> tuple:
        """Everything ``get_config_*`` reads: equal keys, equal configurations (the encoded
        configuration is cached under it; a field read there must be listed here)."""
        return (tuple(self._props.values()), tuple(self.enum_labels), self.writable_attr_name, self.display_level,
                self.memorized, self.hw_memorized, self.max_dim_x, self.max_dim_y, self.name, self.writable,
                self.data_format, self.data_type)

    def config_octets(self, idl: int, little_endian: bool) -> bytes | None:
        """This attribute's AttributeConfig(_2/_3/_5) CDR-encoded (from a 4-aligned offset), cached
        until the configuration changes: PyTango clients ask for it before every write.  None when
        the encoding would depend on where it starts (then the caller encodes the struct)."""
        key = self._config_key()
        cache = self.__dict__.setdefault("_config_octets", {})
        hit = cache.get((idl, little_endian))
        if hit is not None and hit[0] == key:
            return hit[1]
        conf = self.config_struct(idl)
        w = CDRWriter(little_endian)
        conf.write(w)
        data = bytes(w.buf)
        shifted = CDRWriter(little_endian, origin=-4)   # the same struct 4 octets further on
        conf.write(shifted)
        if bytes(shifted.buf) != data:
            return None
        cache[(idl, little_endian)] = (key, data)
        return data

    def config_struct(self, idl: int) -> Any:
        """The AttributeConfig struct of IDL version ``idl`` (5: _5, 3/4: _3, 2: _2, 1: plain)."""
        if idl >= 5:
            return self.get_config_5()
        if idl >= 3:
            return self.get_config_3()
        if idl == 2:
            return self.get_config_2()
        return self.get_config_1()

    def get_config_5(self) -> AttributeConfig_5:
        p = self._props
        return AttributeConfig_5(
            self.name, self.writable, self.data_format, self.data_type, self.memorized, self.hw_memorized,
            self.max_dim_x, self.max_dim_y, p["description"], p["label"], p["unit"], p["standard_unit"],
            p["display_unit"], p["format"], p["min_value"], p["max_value"], self.writable_attr_name,
            self.display_level, NOT_SPECIFIED, list(self.enum_labels), self._alarm_props(), self._event_props(),
            [], [])

    def get_config_3(self) -> AttributeConfig_3:
        p = self._props
        return AttributeConfig_3(
            self.name, self.writable, self.data_format, self.data_type, self.max_dim_x, self.max_dim_y,
            p["description"], p["label"], p["unit"], p["standard_unit"], p["display_unit"], p["format"],
            p["min_value"], p["max_value"], self.writable_attr_name, self.display_level, self._alarm_props(),
            self._event_props(), [], [])

    def get_config_2(self) -> AttributeConfig_2:
        p = self._props
        return AttributeConfig_2(
            self.name, self.writable, self.data_format, self.data_type, self.max_dim_x, self.max_dim_y,
            p["description"], p["label"], p["unit"], p["standard_unit"], p["display_unit"], p["format"],
            p["min_value"], p["max_value"], p["min_alarm"], p["max_alarm"], self.writable_attr_name,
            self.display_level, [])

    def get_config_1(self) -> AttributeConfig:
        p = self._props
        return AttributeConfig(
            self.name, self.writable, self.data_format, self.data_type, self.max_dim_x, self.max_dim_y,
            p["description"], p["label"], p["unit"], p["standard_unit"], p["display_unit"], p["format"],
            p["min_value"], p["max_value"], p["min_alarm"], p["max_alarm"], self.writable_attr_name, [])

    def config_changes(self, conf: Any) -> dict[str, str]:
        """The property strings of a client's AttributeConfig(_2/_3/_5) that differ from ours."""
        props: dict[str, str] = {}
        for name in ("description", "label", "unit", "standard_unit", "display_unit", "format",
                     "min_value", "max_value"):
            props[name] = getattr(conf, name)
        if isinstance(conf, (AttributeConfig_3, AttributeConfig_5)):
            a = conf.att_alarm
            props.update(min_alarm=a.min_alarm, max_alarm=a.max_alarm, min_warning=a.min_warning,
                         max_warning=a.max_warning, delta_t=a.delta_t, delta_val=a.delta_val)
            e = conf.event_prop
            props.update(rel_change=e.ch_event.rel_change, abs_change=e.ch_event.abs_change,
                         event_period=e.per_event.period, archive_rel_change=e.arch_event.rel_change,
                         archive_abs_change=e.arch_event.abs_change, archive_period=e.arch_event.period)
        else:
            props.update(min_alarm=conf.min_alarm, max_alarm=conf.max_alarm)
        return {k: v for k, v in props.items() if v != self._props[k]}

    def property_strings(self) -> dict[str, str]:
        """Every configuration property string (a copy)."""
        return dict(self._props)

    def get_properties(self, attr_cfg: MultiAttrProp | None = None) -> MultiAttrProp:
        """PyTango's: the configuration in ``attr_cfg`` (a new MultiAttrProp if None), returned."""
        if attr_cfg is None:
            attr_cfg = MultiAttrProp()
        if not isinstance(attr_cfg, MultiAttrProp):
            raise TypeError("attr_cfg must be an instance of MultiAttrProp")
        for name in PROPERTY_NAMES:
            setattr(attr_cfg, name, self._props[name])
        return attr_cfg

    def set_properties(self, attr_cfg: MultiAttrProp, dev: Any = None) -> None:
        """PyTango's: apply every property of ``attr_cfg`` (all or nothing: a value refused
        leaves the configuration as it was); the change is stored and announced (an attribute
        configuration event) as a client's set_attribute_config."""
        if not isinstance(attr_cfg, MultiAttrProp):
            raise TypeError("attr_cfg must be an instance of MultiAttrProp")
        device = self.device
        name = getattr(device, "_dev_name", "") if device is not None else ""
        before = dict(self._props)
        try:
            for prop in PROPERTY_NAMES:
                self.set_property_string(prop, str(getattr(attr_cfg, prop)), device_name=name)
        except DevFailed:
            self._props.update(before)
            self._parse_thresholds()
            raise
        diff = {k: v for k, v in self._props.items() if before[k] != v}
        if device is not None:
            if diff:
                device._persist_config(self, diff)
            device._attribute_config_changed(self)

    def user_defaults(self) -> dict[str, str]:
        return dict(self._class_defaults)

    def non_default_properties(self) -> dict[str, str]:
        """Properties whose value differs from the code/library default: what the database keeps."""
        return {k: v for k, v in self._props.items() if v != self._default_of(k)}

    def __repr__(self) -> str:
        return f"Attribute({self.name})"


def _short_float(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _concat(read: AttrValUnion, write: AttrValUnion) -> AttrValUnion:
    r = read.value
    if r.__class__ is np.ndarray or isinstance(r, np.ndarray):
        w = write.value
        if not isinstance(w, np.ndarray):
            w = np.asarray(w, r.dtype)
        n = len(r)
        out = np.empty(n + len(w), r.dtype)   # (np.concatenate's dispatcher costs more for a few values)
        out[:n] = r
        out[n:] = w
        return AttrValUnion(read.arm, out)
    return AttrValUnion(read.arm, list(r) + list(write.value))


_INITIAL_SET_POINT = {
    T.DevString: "Not initialised", T.ConstDevString: "Not initialised", T.DevState: DevState.UNKNOWN,
    T.DevEncoded: DevEncoded("", b""),
}


class WAttribute(Attribute):
    """A writable attribute (PyTango's ``tango.WAttribute``): also keeps the set point."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_value: Any = None          # what get_write_value() returns
        self._set_point: AttrValUnion | None = None
        self._w_dim = (0, 0)
        self._init_set_point()

    def _init_set_point(self) -> None:
        """cppTango's set point before any write: one element (0, True, "Not initialised", UNKNOWN),
        w_dim (1, 0), whatever the format."""
        dt = self.data_type
        if dt in NUMERIC_DTYPE:
            fill = np.ones if dt == T.DevBoolean else np.zeros
            self._set_point = AttrValUnion(_arm(dt), fill(1, NUMERIC_DTYPE[dt]))
        elif dt in (T.DevString, T.ConstDevString):
            self._set_point = AttrValUnion(A.ATT_STRING, ["Not initialised"])
        elif dt == T.DevState:
            self._set_point = AttrValUnion(A.ATT_STATE, [DevState.UNKNOWN])
        elif dt == T.DevEncoded:
            self._set_point = AttrValUnion(A.ATT_ENCODED, [DevEncoded("Not initialised", b"")])
        else:
            self._set_point = AttrValUnion.no_data()
        self._w_dim = (1, 0) if self._set_point.arm is not A.ATT_NO_DATA else (0, 0)

    def get_set_point(self) -> tuple[AttrValUnion, int, int]:
        assert self._set_point is not None
        return self._set_point, self._w_dim[0], self._w_dim[1]

    def get_write_value(self, extract_as: Any = None) -> Any:
        """The value the client wrote (a Python scalar, numpy array, list or (format, bytes))."""
        return self._write_value

    def get_write_value_length(self) -> int:
        x, y = self._w_dim
        return x * y if self.data_format == AttrDataFormat.IMAGE else x

    def store_written(self, union: AttrValUnion, dim_x: int, dim_y: int) -> None:
        """Accept a client's write request (after the checks): set point and write value."""
        if self.data_format == AttrDataFormat.SCALAR:
            dim_x, dim_y = 1, 0
        self._write_value = union_to_write_value(self.data_type, self.data_format, union, dim_x, dim_y)
        self._set_point = union
        self._w_dim = (dim_x, dim_y)

    def set_write_value(self, value: Any, dim_x: int | None = None, dim_y: int | None = None) -> None:
        """Change the set point from device code (PyTango's ``WAttribute.set_write_value``)."""
        union, x, y = read_value_to_union(self.name, self.data_type, self.data_format, value, self.max_dim_x,
                                          self.max_dim_y, dim_x, dim_y)
        self._set_point = union
        self._w_dim = (x, y)
        self._write_value = union_to_write_value(self.data_type, self.data_format, union, x, y)

    def check_written_value(self, union: AttrValUnion, dim_x: int, dim_y: int) -> None:
        """min_value/max_value and dimension checks on a write request (cppTango's reasons)."""
        if self.data_format == AttrDataFormat.SPECTRUM:
            if dim_x > self.max_dim_x:
                raise _df("API_WAttrOutsideLimit",
                          f"X dimesion is greater than the max defined for attribute {self.name}",
                          "Device_3Impl::write_attributes_34()")
        elif self.data_format == AttrDataFormat.IMAGE:
            if dim_x > self.max_dim_x:
                raise _df("API_WAttrOutsideLimit",
                          f"X dimesion is greater than the max defined for attribute {self.name}",
                          "Device_3Impl::write_attributes_34()")
            if dim_y > self.max_dim_y:
                raise _df("API_WAttrOutsideLimit",
                          f"Y dimesion is greater than the max defined for attribute {self.name}",
                          "Device_3Impl::write_attributes_34()")
        data = union.value
        if not isinstance(data, np.ndarray):
            return
        if self.data_type == T.DevEnum and self.enum_labels:
            self._check_enum_indices(data)
        th = self._thresholds
        lo = th.get("min_value") if th else None
        hi = th.get("max_value") if th else None
        dtype = data.dtype
        if data.size == 1 and (dtype is _FLOAT64 or dtype.kind in "iu"):
            # one float64 or integer element (every scalar write): Python compares it with the
            # (float or int) limits exactly as numpy would, without building masks
            x = data.item()
            if dtype is _FLOAT64 and not _isfinite(x):
                what = "is a NaN or INF value"
            elif lo is not None and x < lo:
                what = "is below the minimum authorized"
            elif hi is not None and x > hi:
                what = "is above the maximum authorized"
            else:
                return
            raise _df("API_WAttrOutsideLimit", f"Set value for attribute {self.name} {what} (at least element 0)",
                      "WAttribute::check_written_value()")
        # cppTango looks at the elements in order and, for each, NaN/INF (floating types), then
        # min_value, then max_value: the first element failing any check is the one reported
        checks = []
        if data.dtype.kind == "f":
            checks.append((~np.isfinite(data), "is a NaN or INF value"))
        if lo is not None:
            checks.append((data < lo, "is below the minimum authorized"))
        if hi is not None:
            checks.append((data > hi, "is above the maximum authorized"))
        if not checks:
            return
        failing = checks[0][0] if len(checks) == 1 else np.logical_or.reduce([c for c, _ in checks])
        bad = np.flatnonzero(failing)
        if bad.size:
            first = int(bad[0])
            what = next(text for mask, text in checks if mask.flat[first])
            raise _df("API_WAttrOutsideLimit", f"Set value for attribute {self.name} {what} (at least element {first})",
                      "WAttribute::check_written_value()")

    def _check_enum_indices(self, data: np.ndarray) -> None:
        """A DevEnum value is the index of a label: cppTango refuses a write of any other number
        (negative, or past the last label) instead of storing a value no label names."""
        bad = np.flatnonzero((data < 0) | (data >= len(self.enum_labels)))
        if bad.size:
            raise _df("API_WAttrOutsideLimit",
                      f"Set value for attribute {self.name} is negative or above the maximun authorized "
                      f"({len(self.enum_labels)}) for at least element {int(bad[0])}", "WAttribute::check_enum()")

    def _value_getter(prop):  # noqa: N805
        def get(self) -> Any:
            try:
                return self._thresholds[prop]
            except KeyError:
                raise _df("API_AttrNotAllowed", f"Attribute {self.name}: {prop} not defined",
                          f"WAttribute::get_{prop}()") from None
        return get

    def _value_setter(prop):  # noqa: N805
        def set_(self, value: Any) -> None:
            text = format_property_value(self.data_type, value)
            if self.set_property_string(prop, text, device_name=self.device.get_name() if self.device else ""):
                self._config_changed()
        return set_

    get_min_value = _value_getter("min_value")
    get_max_value = _value_getter("max_value")
    set_min_value = _value_setter("min_value")
    set_max_value = _value_setter("max_value")
    del _value_getter, _value_setter

    def is_min_value(self) -> bool:
        return "min_value" in self._thresholds

    def is_max_value(self) -> bool:
        return "max_value" in self._thresholds

    def memorized_string(self) -> str | None:
        """The set point as the ``__value`` attribute property stores it (scalars only)."""
        if self.data_format != AttrDataFormat.SCALAR or self._set_point is None:
            return None
        v = self._write_value
        if v is None:
            return None
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, DevState):
            return str(int(v))
        if isinstance(v, tuple):
            return None
        return str(v)


def _arm(dt: CmdArgType) -> AttributeDataType:
    from ..idl.enums import arm_for_data_type
    return arm_for_data_type(dt)


def memorized_value_from_string(attr: WAttribute, text: str) -> Any:
    """A ``__value`` property string back to a value for ``attr``."""
    dt = attr.data_type
    if dt in (T.DevString, T.ConstDevString):
        return text
    if dt == T.DevBoolean:
        return text.strip().lower() in ("true", "1")
    if dt == T.DevState:
        return DevState(int(text))
    if dt in (T.DevFloat, T.DevDouble):
        return float(text)
    return int(float(text)) if not text.strip().lstrip("-").isdigit() else int(text)


class MultiAttribute:
    """The attributes of one device, in creation order (PyTango's ``tango.MultiAttribute``)."""

    def __init__(self) -> None:
        self._list: list[Attribute] = []
        self._by_name: dict[str, Attribute] = {}
        self._positions: dict[str, int] | None = {}   # lower-case name -> index (None: to rebuild)

    def add(self, attr: Attribute) -> None:
        self._list.append(attr)
        self._by_name[attr.name_lower] = attr
        self._positions = None

    def remove(self, name: str) -> Attribute:
        attr = self._by_name.pop(name.lower())
        self._list.remove(attr)
        self._positions = None
        return attr

    def index_of(self, attr: Attribute) -> int:
        """The index of one of these attributes (``read_attr_hardware``'s numbers)."""
        positions = self._positions
        if positions is None:
            positions = self._positions = {a.name_lower: i for i, a in enumerate(self._list)}
        return positions[attr.name_lower]

    def find(self, name: str) -> Attribute | None:
        return self._by_name.get(name.lower())

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._by_name

    def __iter__(self):
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    # -- PyTango names --------------------------------------------------------------------
    def get_attr_by_name(self, name: str) -> Attribute:
        attr = self._by_name.get(name.lower())
        if attr is None:
            raise _df("API_AttrNotFound", f"{name} attribute not found", "MultiAttribute::get_attr_by_name()")
        return attr

    def get_w_attr_by_name(self, name: str) -> WAttribute:
        attr = self.get_attr_by_name(name)
        if not isinstance(attr, WAttribute):
            raise _df("API_AttrNotWritable", f"Attribute {name} is not writable",
                      "MultiAttribute::get_w_attr_by_name()")
        return attr

    def get_attr_ind_by_name(self, name: str) -> int:
        return self.index_of(self.get_attr_by_name(name))

    def get_attr_by_ind(self, index: int) -> Attribute:
        return self._list[index]

    def get_w_attr_by_ind(self, index: int) -> WAttribute:
        attr = self._list[index]
        if not isinstance(attr, WAttribute):
            raise _df("API_AttrNotWritable", f"Attribute {attr.name} is not writable",
                      "MultiAttribute::get_w_attr_by_ind()")
        return attr

    def get_attr_nb(self) -> int:
        return len(self._list)

    def get_attribute_list(self) -> tuple[Attribute, ...]:
        return tuple(self._list)

    get_attr_list = get_attribute_list

    def get_alarm_list(self) -> list[int]:
        return [i for i, a in enumerate(self._list) if a.is_alarmed() and a.writable != AttrWriteType.WRITE]

    def check_alarm(self, name: str | None = None) -> bool:
        if name is not None:
            return self.get_attr_by_name(name).check_alarm()
        return any(a.check_alarm() for a in self._list if a.is_alarmed())

    def read_alarm(self, status: str) -> str:
        for a in self._list:
            if a.is_alarmed():
                status += a.alarm_status_lines()
        return status


def check_callable(obj: Any) -> Callable | None:
    return obj if callable(obj) else None
