"""``attribute``: how device code declares an attribute (PyTango's ``tango.server.attribute``).

An :class:`AttrData` is the class-level description of one attribute -- type, format, access,
dimensions, code defaults of its configuration, which methods read/write/guard it -- from
which every device of the class gets its own run-time :class:`~.attributes.Attribute`.
:class:`attribute` is the high-level form: a descriptor and decorator, so both

    voltage = attribute(dtype=float, unit="V")
    def read_voltage(self): ...

and

    @attribute(dtype=float, unit="V")
    def voltage(self): ...
    @voltage.write
    def voltage(self, value): ...

work, with the access type following the methods given (a ``write`` makes it READ_WRITE).
The classic form (``attr_list = {"x": [[DevDouble, SCALAR, READ], {"unit": "V"}]}``) is parsed
by :meth:`AttrData.from_attr_info`.

Calling convention kept by :meth:`AttrData.bind` (what the server calls, whatever the form):
``read(device, attr)`` -- a returned value is stored with ``attr.set_complex_value`` unless the
method already called ``set_value``; ``write(device, wattr)``; ``is_allowed(device, req_type)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, Callable

from ..idl.enums import AttrDataFormat, AttrWriteType, CmdArgType, DispLevel
from ..idl.errors import DevError, DevFailed, ErrSeverity
from .attributes import KEYWORD_PROPERTY, Attribute, WAttribute
from .default_property_checks import check_default_properties
from .dtypes import attribute_type_format, enum_labels_of, parse_type_hint
from .values import format_property_value

__all__ = ["AttrData", "attribute", "Attr", "SpectrumAttr", "ImageAttr", "UserDefaultAttrProp",
           "MultiClassAttribute", "AttributeAccess"]

_IGNORED_KEYWORDS = {"green_mode", "read_green_mode", "write_green_mode", "isallowed_green_mode"}
#: attribute(green_mode=...) and the per-method keywords it is the default of
_GREEN_KEYWORDS = ("read_green_mode", "write_green_mode", "isallowed_green_mode")


def _wrong_definition(msg: str, origin: str = "create_attribute()") -> DevFailed:
    return DevFailed(DevError("PyDs_WrongAttributeDefinition", msg, origin, ErrSeverity.ERR))


class AttributeAccess:
    """The three callables the server uses for one attribute of one device, and whether each runs
    in the server's green mode (``read_green_mode=False`` ...: an asyncio server calls a plain
    method directly, without PyTango's deprecation warning for sync methods)."""

    __slots__ = ("read", "write", "is_allowed", "read_green_mode", "write_green_mode", "isallowed_green_mode")

    def __init__(self, read: Callable | None, write: Callable | None, is_allowed: Callable | None,
                 green_modes: tuple[bool, bool, bool] = (True, True, True)) -> None:
        self.read = read
        self.write = write
        self.is_allowed = is_allowed
        self.read_green_mode, self.write_green_mode, self.isallowed_green_mode = green_modes


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _parse(kind: Callable[[Any], Any], value: Any, message: str) -> Any:
    """``kind(value)``, or the classic API's DevFailed ``message`` when the value does not fit."""
    try:
        return kind(value)
    except Exception:  # noqa: BLE001 - any refusal is the user's definition error
        raise _wrong_definition(message) from None


class AttrData:
    """Class-level description of one attribute (PyTango's ``tango.AttrData``)."""

    def __init__(self, name: str | None, class_name: str | None = None, attr_info: Any = None) -> None:
        self.class_name = class_name
        self.attr_name = name
        self.attr_type: CmdArgType = CmdArgType.DevDouble
        self.attr_format = AttrDataFormat.SCALAR
        self.attr_write = AttrWriteType.READ
        self.dim_x = 1
        self.dim_y = 0
        self.display_level = DispLevel.OPERATOR
        self.polling_period = -1
        self.memorized = False
        self.hw_memorized = False
        self.alarm_event_implemented = False
        self.alarm_event_detect = True
        self.archive_event_implemented = False
        self.archive_event_detect = True
        self.change_event_implemented = False
        self.change_event_detect = True
        self.data_ready_event_implemented = False
        self.read_method_name = None if name is None else f"read_{name}"
        self.write_method_name = None if name is None else f"write_{name}"
        self.is_allowed_name = None if name is None else f"is_{name}_allowed"
        #: what :meth:`to_attr` builds: ``attr_class(*attr_args)`` (None: Attr/SpectrumAttr/ImageAttr
        #: as the format says, with this definition's name, type, write type and dimensions)
        self.attr_class: type | None = None
        self.attr_args: list | None = None
        #: the declared default properties (property name -> value as given); :attr:`att_prop` shows them
        self.props: dict[str, Any] = {}
        self.enum_labels: list[str] = []
        self.forward = False
        self.has_dtype_kword = False
        self.has_size_kword = False
        self.classic = False
        if attr_info is not None:
            self.from_attr_info(attr_info)

    @classmethod
    def from_dict(cls, attr_dict: dict) -> "AttrData":
        attr_dict = dict(attr_dict)
        self = cls(attr_dict.pop("name", None), attr_dict.pop("class_name", None))
        if "dtype" in attr_dict:
            dtype, dformat, labels = attribute_type_format(attr_dict["dtype"], attr_dict.get("dformat"),
                                                           attr_dict.get("enum_labels"))
            attr_dict["dtype"], attr_dict["dformat"] = dtype, dformat
            if labels:
                attr_dict["enum_labels"] = labels
        self.build_from_dict(attr_dict)
        return self

    def build_from_dict(self, attr_dict: dict) -> "AttrData":
        attr_dict = dict(attr_dict)
        self.forward = bool(attr_dict.pop("forwarded", False))
        self.has_dtype_kword = "dtype" in attr_dict
        self.attr_type = CmdArgType(attr_dict.pop("dtype", CmdArgType.DevDouble))
        self.attr_format = AttrDataFormat(attr_dict.pop("dformat", None) or AttrDataFormat.SCALAR)
        # max_dim_x=None / max_dim_y=None: not given (the type hint or the defaults decide)
        max_x, max_y = attr_dict.pop("max_dim_x", None), attr_dict.pop("max_dim_y", None)
        self.has_size_kword = max_x is not None or max_y is not None
        self.dim_x = 1 if max_x is None else int(max_x)
        self.dim_y = 0 if max_y is None else int(max_y)
        self.display_level = DispLevel(attr_dict.pop("display_level", DispLevel.OPERATOR))
        pp = attr_dict.pop("polling_period", -1)
        self.polling_period = -1 if pp is None else int(pp)
        self.memorized = bool(attr_dict.pop("memorized", False))
        self.hw_memorized = bool(attr_dict.pop("hw_memorized", False))
        if "access" in attr_dict:
            self.attr_write = AttrWriteType(attr_dict.pop("access"))
        else:
            readable = "fread" in attr_dict or "fget" in attr_dict
            writable = "fwrite" in attr_dict or "fset" in attr_dict
            self.attr_write = (AttrWriteType.READ_WRITE if readable and writable else
                               AttrWriteType.WRITE if writable else AttrWriteType.READ)
        fread = attr_dict.pop("fget", attr_dict.pop("fread", None))
        if isinstance(fread, str):
            self.read_method_name = fread
        elif inspect.isroutine(fread):
            self.read_method_name = fread.__name__
        fwrite = attr_dict.pop("fset", attr_dict.pop("fwrite", None))
        if isinstance(fwrite, str):
            self.write_method_name = fwrite
        elif inspect.isroutine(fwrite):
            self.write_method_name = fwrite.__name__
        fallowed = attr_dict.pop("fisallowed", None)
        if isinstance(fallowed, str):
            self.is_allowed_name = fallowed
        elif inspect.isroutine(fallowed):
            self.is_allowed_name = fallowed.__name__
        for flag in ("alarm_event_implemented", "archive_event_implemented", "change_event_implemented",
                     "data_ready_event_implemented"):
            setattr(self, flag, bool(attr_dict.pop(flag, False)))
        for flag in ("alarm_event_detect", "archive_event_detect", "change_event_detect"):
            setattr(self, flag, bool(attr_dict.pop(flag, True)))
        labels = attr_dict.pop("enum_labels", None)
        if labels is not None:
            self.enum_labels = [str(x) for x in labels]
        self.attr_class = attr_dict.pop("klass", None)
        for key in list(attr_dict):
            if key in _IGNORED_KEYWORDS:
                attr_dict.pop(key)
        self._set_default_props(attr_dict)
        return self

    def _set_default_props(self, extra: dict) -> None:
        """Keep the declared default properties, with PyTango's rules for the keys: lower-cased,
        spaces made underscores, a key must name one of UserDefaultAttrProp's setters
        (``label`` -> ``set_label``); ``delta_time`` (that spelling only) is ``delta_t`` and
        ``doc`` is ``description``; the classic API's ``display level``, ``polling period`` and
        ``memorized`` are read elsewhere; any other key is a definition error."""
        doc = extra.pop("doc", None)
        if doc is not None:
            extra["description"] = doc
        for key, value in extra.items():
            lowered = key.lower()
            setter = lowered.replace(" ", "_")
            prop = _SETTER_PROPERTY.get(setter, "delta_t" if key == "delta_time" else None)
            if setter == "enum_labels":
                self.enum_labels = [str(x) for x in value]
            elif prop is not None:
                # PyTango gives cppTango str(value): None is "None" (a unit, or a refused min_value)
                self.props[prop] = "None" if value is None else value
            elif lowered not in ("display level", "polling period", "memorized"):
                raise _wrong_definition(f"Wrong definition of attribute. The object extra information '{key}' "
                                        f"is not recognized!", "create_user_default_attr_prop()")

    def _set_name(self, name: str) -> None:
        old = self.attr_name
        self.attr_name = name
        if self.attr_args:
            self.attr_args[0] = name
        if old is None:
            if self.read_method_name is None:
                self.read_method_name = f"read_{name}"
            if self.write_method_name is None:
                self.write_method_name = f"write_{name}"
            if self.is_allowed_name is None:
                self.is_allowed_name = f"is_{name}_allowed"

    def set_enum_labels_to_attr_prop(self, enum_labels: list[str]) -> None:
        self.enum_labels = list(enum_labels)

    @property
    def att_prop(self) -> "UserDefaultAttrProp | None":
        """PyTango's holder of the declared default properties: a view of :attr:`props` and
        :attr:`enum_labels` (what the devices' attributes start from), None while there are none.
        Setting it replaces them with a copy of the given holder's."""
        if not self.props and not self.enum_labels:
            return None
        return UserDefaultAttrProp._view_of(self)

    @att_prop.setter
    def att_prop(self, holder: "UserDefaultAttrProp | None") -> None:
        self.props = {} if holder is None else dict(holder._owner.props)
        self.enum_labels = [] if holder is None else list(holder._owner.enum_labels)

    def to_attr(self) -> "Attr":
        """The classic API's attribute object for this definition (PyTango's ``AttrData.to_attr``):
        ``attr_class(*attr_args)``, by default an Attr, SpectrumAttr or ImageAttr of this name, type,
        write type and dimensions, given these default properties, display level, memorized flags,
        polling period and event flags."""
        args = self.attr_args
        if args is None:
            args = [self.attr_name, self.attr_type, self.attr_write]
            if self.attr_format != AttrDataFormat.SCALAR:
                args.append(self.dim_x)
                if self.attr_format != AttrDataFormat.SPECTRUM:
                    args.append(self.dim_y)
        klass = self.attr_class
        if klass is None:
            klass = {AttrDataFormat.SPECTRUM: SpectrumAttr, AttrDataFormat.IMAGE: ImageAttr}.get(self.attr_format, Attr)
        attr = klass(*args)
        holder = self.att_prop
        if holder is not None:
            attr.set_default_properties(holder)
        attr.set_disp_level(self.display_level)
        if self.memorized:
            attr.set_memorized()
            attr.set_memorized_init(self.hw_memorized)
        if self.polling_period > 0:
            attr.set_polling_period(self.polling_period)
        attr.set_alarm_event(self.alarm_event_implemented, self.alarm_event_detect)
        attr.set_archive_event(self.archive_event_implemented, self.archive_event_detect)
        attr.set_change_event(self.change_event_implemented, self.change_event_detect)
        attr.set_data_ready_event(self.data_ready_event_implemented)
        attr.forward = self.forward
        return attr

    # -- classic API ------------------------------------------------------------------------
    def from_attr_info(self, attr_info: Any) -> None:
        """Parse a classic ``attr_list`` entry: ``[[type, format, write(, dim_x(, dim_y))], {extra}]``."""
        self.classic = True
        self.has_dtype_kword = self.has_size_kword = True
        name, klass = self.attr_name, self.class_name
        where = f"attribute {name} in class {klass}"
        if not _is_sequence(attr_info):
            raise _wrong_definition(f"Wrong data type for value for describing {where}"
                                    "\nMust be a sequence with 1 or 2 elements")
        if not 1 <= len(attr_info) <= 2:
            raise _wrong_definition(f"Wrong number of argument for describing {where}"
                                    "\nMust be a sequence with 1 or 2 elements")
        extra = {k.lower(): v for k, v in (attr_info[1].items() if len(attr_info) == 2 else ())}
        info = attr_info[0]
        if not _is_sequence(info) or not 3 <= len(info) <= 5:
            raise _wrong_definition(f"Wrong data type for describing mandatory information for {where}"
                                    "\nMust be a sequence with 3, 4 or 5 elements")
        wrong_argument = f"Wrong data type in attribute argument for {where}\n"
        self.attr_type = _parse(CmdArgType, info[0], wrong_argument +
                                "Attribute data type (first element in first sequence) must be a tango.CmdArgType")
        self.attr_format = _parse(AttrDataFormat, info[1], f"Wrong data format in attribute argument for {where}\n"
                                  "Attribute data format (second element in first sequence) must be a "
                                  "tango.AttrDataFormat")
        wanted = {AttrDataFormat.SCALAR: 3, AttrDataFormat.SPECTRUM: 4, AttrDataFormat.IMAGE: 5}.get(self.attr_format)
        if wanted is None:
            raise _wrong_definition(f"Unsupported data format {self.attr_format!r} for {where}")
        kind = self.attr_format.name.lower()
        if len(info) != wanted:
            raise _wrong_definition(wrong_argument + f"Sequence describing mandatory attribute parameters for {kind} "
                                    f"attribute must have {wanted} elements")
        if wanted >= 4:
            self.dim_x = _parse(int, info[3], wrong_argument + "4th element in sequence describing mandatory dim_x "
                                f"attribute parameter for {kind} attribute must be an integer")
        if wanted == 5:
            # (PyTango's wording, its spelling included: scripts match on these texts)
            self.dim_y = _parse(int, info[4], wrong_argument + "5th element in sequence desribing mandatory dim_y "
                                f"attribute parameter for {kind} attribute must be an integer")
        self.attr_write = _parse(AttrWriteType, info[2], f"Wrong data write type in attribute argument for {where}\n"
                                 "Attribute write type (third element in first sequence) must be a "
                                 "tango.AttrWriteType")
        self.display_level = _parse(DispLevel, extra.pop("display level", DispLevel.OPERATOR),
                                    f"Wrong display level in attribute information for {where}\n"
                                    "Attribute information for display level is not a tango.DispLevel")
        self.polling_period = _parse(int, extra.pop("polling period", -1),
                                     f"Wrong polling period in attribute information for {where}\n"
                                     "Attribute information for polling period is not an integer")
        memorized = str(extra.pop("memorized", "false")).lower()
        if memorized not in ("true", "true_without_hard_applied", "false"):
            raise _wrong_definition(f"Wrong memorized value for attribute {name} in class {klass}.Allowed valued "
                                    'are the strings "true", "false" and "true_without_hard_applied" (case '
                                    "insensitive)")
        self.memorized = memorized != "false"
        self.hw_memorized = memorized == "true"
        # (PyTango reads the event flags and ``klass`` here but leaves them among the default
        # properties, which then refuse them: a classic attr_list cannot use them)
        for flag in ("alarm_event_implemented", "archive_event_implemented", "change_event_implemented",
                     "data_ready_event_implemented"):
            setattr(self, flag, bool(extra.get(flag, False)))
        for flag in ("alarm_event_detect", "archive_event_detect", "change_event_detect"):
            setattr(self, flag, bool(extra.get(flag, True)))
        self.attr_class = extra.get("klass")
        if self.attr_type == CmdArgType.DevEnum:
            if "enum_labels" not in extra:
                raise _wrong_definition(f"Missing 'enum_labels' key in attr_list definition for enum attribute "
                                        f"{name} in class {klass}")
        labels = extra.pop("enum_labels", None)
        if labels is not None:
            self.enum_labels = list(labels)
        self._set_default_props(extra)

    # -- run time --------------------------------------------------------------------------
    def class_default_strings(self) -> dict[str, str]:
        return {prop: format_property_value(self.attr_type, v) for prop, v in self.props.items()}

    def _check_dimensions(self) -> None:
        """cppTango's SpectrumAttr/ImageAttr refuse a spectrum without x dimension and an image
        without y dimension (API_AttrWrongDefined) when the attribute is created."""
        if self.attr_format in (AttrDataFormat.SPECTRUM, AttrDataFormat.IMAGE) and self.dim_x <= 0:
            axis, origin = "x", "SpectrumAttr::SpectrumAttr"
        elif self.attr_format == AttrDataFormat.IMAGE and self.dim_y <= 0:
            axis, origin = "y", "ImageAttr::ImageAttr"
        else:
            return
        raise DevFailed(DevError("API_AttrWrongDefined",
                                 f"Attribute : {self.attr_name}:  Maximum {axis} dim. wrongly defined", origin,
                                 ErrSeverity.ERR))

    def make_attribute(self) -> Attribute:
        """A fresh run-time attribute for one device."""
        if self.forward:
            raise _wrong_definition(f"Forwarded attribute {self.attr_name}: forwarded attributes are not "
                                    "supported by tango_core yet")
        if self.attr_type == CmdArgType.DevEnum and not self.enum_labels:
            raise _wrong_definition(f"Attribute {self.attr_name}: a DevEnum attribute needs enum_labels")
        self._check_dimensions()
        cls = WAttribute if self.attr_write in (AttrWriteType.WRITE, AttrWriteType.READ_WRITE,
                                                AttrWriteType.READ_WITH_WRITE) else Attribute
        attr = cls(self.attr_name, self.attr_type, self.attr_format, self.attr_write, self.dim_x, self.dim_y,
                   display_level=self.display_level, enum_labels=self.enum_labels,
                   class_defaults=self.class_default_strings(), memorized=self.memorized,
                   hw_memorized=self.hw_memorized, polling_period=self.polling_period)
        for flag in ("alarm_event_implemented", "alarm_event_detect", "archive_event_implemented",
                     "archive_event_detect", "change_event_implemented", "change_event_detect",
                     "data_ready_event_implemented"):
            setattr(attr, flag, getattr(self, flag))
        return attr

    def bind(self, device_class: type) -> AttributeAccess:
        """The read/write/is_allowed callables of a *static* attribute of ``device_class``."""
        readable = self.attr_write in (AttrWriteType.READ, AttrWriteType.READ_WRITE, AttrWriteType.READ_WITH_WRITE)
        writable = self.attr_write in (AttrWriteType.WRITE, AttrWriteType.READ_WRITE)
        fget = getattr(self, "fget", None)
        fset = getattr(self, "fset", None)
        fallowed = getattr(self, "fisallowed", None)
        read = write = is_allowed = None
        if readable:
            if self.classic:
                name = self.read_method_name
                read = lambda dev, attr: getattr(dev, name)(attr)  # noqa: E731
            elif inspect.isroutine(fget):
                read = lambda dev, attr, f=fget: f(dev)  # noqa: E731
            else:
                name = self.read_method_name
                if not hasattr(device_class, name):
                    raise _wrong_definition(f"Read method {name} of attribute {self.attr_name} not found in "
                                            f"{device_class.__name__}")
                read = lambda dev, attr: getattr(dev, name)()  # noqa: E731
        if writable or self.attr_write == AttrWriteType.READ_WITH_WRITE:
            if self.classic:
                wname = self.write_method_name
                if writable:
                    write = lambda dev, attr: getattr(dev, wname)(attr)  # noqa: E731
            elif inspect.isroutine(fset):
                write = lambda dev, attr, f=fset: f(dev, attr.get_write_value())  # noqa: E731
            elif writable:
                wname = self.write_method_name
                if not hasattr(device_class, wname):
                    raise _wrong_definition(f"Write method {wname} of attribute {self.attr_name} not found in "
                                            f"{device_class.__name__}")
                write = lambda dev, attr: getattr(dev, wname)(attr.get_write_value())  # noqa: E731
        if inspect.isroutine(fallowed):
            is_allowed = lambda dev, req, f=fallowed: f(dev, req)  # noqa: E731
        elif self.is_allowed_name and hasattr(device_class, self.is_allowed_name):
            aname = self.is_allowed_name
            is_allowed = lambda dev, req: getattr(dev, aname)(req)  # noqa: E731
        return AttributeAccess(read, write, is_allowed, self.green_modes())

    def green_modes(self) -> tuple[bool, bool, bool]:
        """(read_green_mode, write_green_mode, isallowed_green_mode) as declared (default True)."""
        return tuple(bool(getattr(self, key, True)) for key in _GREEN_KEYWORDS)  # type: ignore[return-value]

    def apply_type_hint(self, type_hint: Any) -> None:
        """Take dtype/format/dimensions from a type hint when the declaration gave no dtype."""
        if self.has_dtype_kword or type_hint is None:
            return
        dtype, dformat, max_x, max_y = parse_type_hint(type_hint, caller="attribute")
        if dformat is None:
            if self.attr_format not in (AttrDataFormat.IMAGE, AttrDataFormat.SPECTRUM):
                raise RuntimeError("For numpy.ndarrays AttrDataFormat has to be specified")
            dformat = self.attr_format
        dtype, dformat, labels = attribute_type_format(dtype, dformat, None)
        self.attr_type, self.attr_format = dtype, dformat
        if labels:
            self.enum_labels = labels
        if not self.has_size_kword:
            if max_x:
                self.dim_x = max_x
            if max_y:
                self.dim_y = max_y


class attribute(AttrData):  # noqa: N801 - PyTango's name
    """Declares a Tango attribute of a :class:`~tango_core.server.Device` (see the module docstring).

    Keywords as PyTango 10.3.1: ``name, dtype, dformat, max_dim_x, max_dim_y, enum_labels, access,
    fget/fread, fset/fwrite, fisallowed, doc/description, label, display_level, unit,
    standard_unit, display_unit, format, min_value, max_value, min_alarm, max_alarm, min_warning,
    max_warning, delta_val, delta_t, abs_change, rel_change, period, archive_abs_change,
    archive_rel_change, archive_period, polling_period, memorized, hw_memorized,
    change_event_implemented/_detect, archive_event_implemented/_detect,
    alarm_event_implemented/_detect, data_ready_event_implemented``, and ``green_mode``,
    ``read_green_mode``, ``write_green_mode``, ``isallowed_green_mode`` (default True; False: an
    asyncio server calls that plain method directly in the thread serving the request, without
    the deprecation warning for sync methods of asyncio devices).
    """

    def __init__(self, fget: Any = None, **kwargs: Any) -> None:
        self._kwargs = dict(kwargs)
        name = kwargs.pop("name", None)
        class_name = kwargs.pop("class_name", None)
        green_mode = kwargs.get("green_mode", True)
        green_modes = {key: bool(kwargs.get(key, green_mode)) for key in _GREEN_KEYWORDS}
        for key in _IGNORED_KEYWORDS:
            kwargs.pop(key, None)
        if not fget:
            fget = kwargs.pop("fread", None)
        if fget:
            if inspect.isroutine(fget):
                self.fget = fget
                if "doc" not in kwargs and "description" not in kwargs and fget.__doc__ is not None:
                    kwargs["doc"] = fget.__doc__
            kwargs["fget"] = fget
        fset = kwargs.pop("fwrite", kwargs.pop("fset", None))
        if fset:
            if inspect.isroutine(fset):
                self.fset = fset
            kwargs["fset"] = fset
        fallowed = kwargs.pop("fisallowed", None)
        if fallowed:
            if inspect.isroutine(fallowed):
                self.fisallowed = fallowed
            kwargs["fisallowed"] = fallowed
        super().__init__(name, class_name)
        self.__doc__ = kwargs.get("doc", kwargs.get("description", "TANGO attribute"))
        if "dtype" in kwargs:
            dtype, dformat, labels = attribute_type_format(kwargs["dtype"], kwargs.get("dformat"),
                                                           kwargs.get("enum_labels"))
            kwargs["dtype"], kwargs["dformat"] = dtype, dformat
            if labels:
                kwargs["enum_labels"] = labels
        self.build_from_dict(kwargs)
        for key, value in green_modes.items():
            setattr(self, key, value)

    # -- descriptor: inside the device, ``self.<attr>`` is the run-time Attribute -------------
    def get_attribute(self, obj: Any) -> Attribute:
        return obj.get_device_attr().get_attr_by_name(self.attr_name)

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return self.get_attribute(obj)

    def __set__(self, obj: Any, value: Any) -> None:
        self.get_attribute(obj).set_complex_value(value)

    def __delete__(self, obj: Any) -> None:
        obj.remove_attribute(self.attr_name)

    # -- decorators ------------------------------------------------------------------------------
    def setter(self, fset: Callable) -> "attribute":
        self.fset = fset
        if self.attr_write == AttrWriteType.READ:
            self.attr_write = AttrWriteType.READ_WRITE if getattr(self, "fget", None) else AttrWriteType.WRITE
        return self

    def write(self, fset: Callable) -> "attribute":
        return self.setter(fset)

    def getter(self, fget: Callable) -> "attribute":
        self.fget = fget
        if self.attr_write == AttrWriteType.WRITE:
            self.attr_write = AttrWriteType.READ_WRITE if getattr(self, "fset", None) else AttrWriteType.READ
        return self

    def read(self, fget: Callable) -> "attribute":
        return self.getter(fget)

    def is_allowed(self, fisallowed: Callable) -> "attribute":
        self.fisallowed = fisallowed
        return self

    def __call__(self, fget: Callable) -> "attribute":
        return type(self)(fget=fget, **self._kwargs)


# -- the classic API's attribute objects (tango.Attr, SpectrumAttr, ImageAttr) -----------------

#: UserDefaultAttrProp's setters (``set_<key>``) -> the property each one sets
_SETTER_PROPERTY = {key: prop for key, prop in KEYWORD_PROPERTY.items() if key not in ("doc", "delta_time")}
#: UserDefaultAttrProp's fields -> the property each one shows
_FIELD_PROPERTY = {
    "label": "label", "description": "description", "unit": "unit", "standard_unit": "standard_unit",
    "display_unit": "display_unit", "format": "format", "min_value": "min_value", "max_value": "max_value",
    "min_alarm": "min_alarm", "max_alarm": "max_alarm", "min_warning": "min_warning", "max_warning": "max_warning",
    "delta_t": "delta_t", "delta_val": "delta_val", "abs_change": "abs_change", "rel_change": "rel_change",
    "period": "event_period", "archive_abs_change": "archive_abs_change",
    "archive_rel_change": "archive_rel_change", "archive_period": "archive_period",
}


class _DefaultProps:
    """Where a UserDefaultAttrProp made by user code keeps its values (strings, no data type)."""

    __slots__ = ("props", "enum_labels", "attr_type")

    def __init__(self) -> None:
        self.props: dict[str, Any] = {}
        self.enum_labels: list[str] = []
        self.attr_type: CmdArgType | None = None


def _text(value: Any, setter: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{setter}(): takes a str, not {type(value).__name__}")
    return value


class UserDefaultAttrProp:
    """PyTango's ``UserDefaultAttrProp``: an attribute's default properties, given in code.

    Fields (``label``, ``delta_t``, ``enum_labels`` ...) are strings, "" when not given; the
    ``set_<name>`` methods take strings, ``set_enum_labels`` a sequence of them.  One made by
    :attr:`AttrData.att_prop` is a view of that definition's properties, not a copy: a value
    shows as the devices will serve it, and setting one changes the definition.
    """

    __slots__ = ("_owner",)

    def __init__(self) -> None:
        object.__setattr__(self, "_owner", _DefaultProps())

    @classmethod
    def _view_of(cls, owner: Any) -> "UserDefaultAttrProp":
        """A view of ``owner``'s ``props``, ``enum_labels`` and ``attr_type`` (an AttrData)."""
        view = cls.__new__(cls)
        object.__setattr__(view, "_owner", owner)
        return view

    def _get(self, prop: str) -> str:
        owner = self._owner
        value = owner.props.get(prop)
        return "" if value is None else format_property_value(owner.attr_type, value)

    def _set(self, prop: str, value: str) -> None:
        self._owner.props[prop] = value

    @property
    def enum_labels(self) -> str:
        return ",".join(self._owner.enum_labels)

    @enum_labels.setter
    def enum_labels(self, value: str) -> None:
        self._owner.enum_labels = _text(value, "enum_labels").split(",") if value else []

    def set_enum_labels(self, enum_labels: Sequence[str]) -> None:
        labels = list(enum_labels)
        for label in labels:
            _text(label, "set_enum_labels")
        self._owner.enum_labels = labels

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _FIELD_PROPERTY and name != "enum_labels":
            raise AttributeError(f"'UserDefaultAttrProp' object has no attribute '{name}'")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        shown = {field: getattr(self, field) for field in (*_FIELD_PROPERTY, "enum_labels") if getattr(self, field)}
        return f"UserDefaultAttrProp({shown})"


def _field(prop: str) -> property:
    return property(lambda self: self._get(prop), lambda self, value: self._set(prop, _text(value, prop)))


def _setter(key: str, prop: str) -> Callable[[UserDefaultAttrProp, str], None]:
    def setter(self: UserDefaultAttrProp, value: str) -> None:
        self._set(prop, _text(value, f"set_{key}"))
    setter.__name__ = setter.__qualname__ = f"set_{key}"
    setter.__doc__ = f"Set the default {prop} property (a string)."
    return setter


for _name, _prop in _FIELD_PROPERTY.items():
    setattr(UserDefaultAttrProp, _name, _field(_prop))
for _name, _prop in _SETTER_PROPERTY.items():
    setattr(UserDefaultAttrProp, f"set_{_name}", _setter(_name, _prop))
del _name, _prop


class Attr(AttrData):
    """PyTango's classic ``tango.Attr(name, data_type, w_type=READ)``: an attribute definition of
    a device class (:meth:`DeviceClass.get_class_attr`) or one given to ``add_attribute``."""

    def __init__(self, name: str, data_type: Any, w_type: AttrWriteType = AttrWriteType.READ,
                 assoc: str | None = None) -> None:
        super().__init__(name, None)
        dtype, dformat, labels = attribute_type_format(data_type, AttrDataFormat.SCALAR, None)
        self.attr_type, self.attr_format = dtype, AttrDataFormat.SCALAR
        self.attr_write = AttrWriteType(w_type)
        self.has_dtype_kword = True
        self.hw_memorized = True  # cppTango: a memorized Attr is written at start-up unless told not to
        self._assoc = assoc
        self._cl_name = "Attr"
        if labels:
            self.enum_labels = labels

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.attr_name})"

    __str__ = __repr__

    def get_name(self) -> str:
        return self.attr_name

    def get_type(self) -> int:
        return int(self.attr_type)

    def get_format(self) -> AttrDataFormat:
        return self.attr_format

    def get_writable(self) -> AttrWriteType:
        return self.attr_write

    def get_assoc(self) -> str:
        return self._assoc or "None"

    def is_assoc(self) -> bool:
        return self.get_assoc() != "None"

    def get_cl_name(self) -> str:
        return self._cl_name

    def set_cl_name(self, class_name: str) -> None:
        self._cl_name = class_name

    def get_disp_level(self) -> DispLevel:
        return self.display_level

    def get_memorized(self) -> bool:
        return self.memorized

    def get_memorized_init(self) -> bool:
        return self.hw_memorized

    def get_polling_period(self) -> int:
        return max(self.polling_period, 0)

    def is_alarm_event(self) -> bool:
        return self.alarm_event_implemented

    def is_archive_event(self) -> bool:
        return self.archive_event_implemented

    def is_check_archive_criteria(self) -> bool:
        return self.archive_event_detect

    def is_change_event(self) -> bool:
        return self.change_event_implemented

    def is_check_change_criteria(self) -> bool:
        return self.change_event_detect

    def is_data_ready_event(self) -> bool:
        return self.data_ready_event_implemented

    def set_default_properties(self, props: UserDefaultAttrProp) -> None:
        """Take ``props`` as this attribute's default properties, refused (DevFailed, as cppTango
        refuses them) when they cannot be used: see :mod:`.default_property_checks`."""
        given = props._owner
        check_default_properties(self.attr_name, self.attr_type, given.props)
        self.props.update(given.props)
        if given.enum_labels:
            self.enum_labels = list(given.enum_labels)

    def set_disp_level(self, level: DispLevel) -> None:
        self.display_level = DispLevel(level)

    def set_polling_period(self, period: int) -> None:
        self.polling_period = int(period)

    def set_memorized(self) -> None:
        self.memorized = True

    def set_memorized_init(self, hw: bool) -> None:
        self.hw_memorized = bool(hw)

    def set_alarm_event(self, implemented: bool, detect: bool = True) -> None:
        self.alarm_event_implemented, self.alarm_event_detect = bool(implemented), bool(detect)

    def set_change_event(self, implemented: bool, detect: bool = True) -> None:
        self.change_event_implemented, self.change_event_detect = bool(implemented), bool(detect)

    def set_archive_event(self, implemented: bool, detect: bool = True) -> None:
        self.archive_event_implemented, self.archive_event_detect = bool(implemented), bool(detect)

    def set_data_ready_event(self, implemented: bool) -> None:
        self.data_ready_event_implemented = bool(implemented)


class SpectrumAttr(Attr):
    def __init__(self, name: str, data_type: Any, w_type: AttrWriteType, max_x: int) -> None:
        super().__init__(name, data_type, w_type)
        self.attr_format = AttrDataFormat.SPECTRUM
        self.dim_x = int(max_x)


class ImageAttr(Attr):
    def __init__(self, name: str, data_type: Any, w_type: AttrWriteType, max_x: int, max_y: int) -> None:
        super().__init__(name, data_type, w_type)
        self.attr_format = AttrDataFormat.IMAGE
        self.dim_x, self.dim_y = int(max_x), int(max_y)


class MultiClassAttribute:
    """The attribute definitions of one device class (PyTango's ``tango.MultiClassAttribute``,
    ``DeviceClass.get_class_attr()``): the :class:`Attr` objects its devices' attributes are made
    from, in declaration order, State and Status apart.  As in cppTango, an attribute a device
    adds with ``add_attribute`` joins them, and leaves with the last device of the class having it."""

    def __init__(self, attrs: Sequence[Attr] = ()) -> None:
        self._list: list[Attr] = list(attrs)

    def __iter__(self):
        return iter(list(self._list))

    def find(self, attr_name: str) -> Attr | None:
        lower = attr_name.lower()
        for attr in self._list:
            if attr.attr_name.lower() == lower:
                return attr
        return None

    def add(self, attr: Attr) -> bool:
        """Append ``attr`` unless one of that name is there already; whether it was appended."""
        if self.find(attr.attr_name) is not None:
            return False
        self._list.append(attr)
        return True

    # -- PyTango names ---------------------------------------------------------------------------
    def get_attr_list(self) -> tuple[Attr, ...]:
        return tuple(self._list)

    def get_attr(self, attr_name: str) -> Attr:
        attr = self.find(attr_name)
        if attr is None:
            raise DevFailed(DevError("API_AttrOptProp", f"Attribute {attr_name} not found in class attribute(s)",
                                     "MultiClassAttribute::get_attr()", ErrSeverity.ERR))
        return attr

    def remove_attr(self, attr_name: str, cl_name: str) -> None:
        """Forget the definition of that name and ``get_cl_name()``; nothing if there is none."""
        lower = attr_name.lower()
        self._list = [a for a in self._list if not (a.attr_name.lower() == lower and a.get_cl_name() == cl_name)]


def enum_labels(enum_cls: type) -> list[str]:
    return enum_labels_of(enum_cls)
