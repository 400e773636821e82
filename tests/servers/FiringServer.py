"""Events fired from an attribute object (``Attribute.fire_change_event``/``fire_alarm_event``), pushes
without data, and the "who listens" questions a device may ask its attributes."""

import sys

from tango import AttrQuality, EventType, Except
from tango.server import Device, attribute, command

SUBSCRIBED = {"change": "change_event_subscribed", "alarm": "alarm_event_subscribed",
              "archive": "archive_event_subscribed", "periodic": "periodic_event_subscribed",
              "user": "user_event_subscribed"}
EVENT_TYPES = {"change": EventType.CHANGE_EVENT, "alarm": EventType.ALARM_EVENT,
               "archive": EventType.ARCHIVE_EVENT, "periodic": EventType.PERIODIC_EVENT,
               "user": EventType.USER_EVENT}


def _failure(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the text is the answer
        err = exc.args[0]
        return f"{type(exc).__name__}: {getattr(err, 'reason', '')} / {getattr(err, 'desc', err)}"
    return "no error"


class FiringDevice(Device):
    def init_device(self):
        super().init_device()
        self.set_change_event("value", True, False)
        self.set_alarm_event("value", True, False)
        self.set_change_event("level", True, False)

    @attribute(dtype=float, polling_period=3000)
    def value(self):
        return 1.0

    @attribute(dtype=float)
    def level(self):
        return 2.0

    @command(dtype_in=str, dtype_out=str)
    def Step(self, what):
        """One step of the value-flag rules on 'level': set a value, fire it, or fire an error."""
        attr = self.get_device_attr().get_attr_by_name("level")
        if what == "set":
            attr.set_value(3.0)
            return "set"
        if what == "fire":
            return _failure(attr.fire_change_event)
        try:
            raise ValueError("broken")
        except ValueError:
            failed = Except.to_dev_failed(*sys.exc_info())
        return _failure(lambda: attr.fire_change_event(failed))

    @command(dtype_out=str)
    def Qualities(self):
        """The quality of 'level' after each step: a new value, a fire and a push spend the quality
        given before them; a fire refused (nothing set) does not."""
        attr = self.get_device_attr().get_attr_by_name("level")
        seen = []
        attr.set_value_date_quality(2.0, 3.0, AttrQuality.ATTR_WARNING)
        seen.append(attr.get_quality())
        attr.set_value(3.0)
        seen.append(attr.get_quality())
        attr.set_value_date_quality(2.0, 3.0, AttrQuality.ATTR_WARNING)
        attr.fire_change_event()
        seen.append(attr.get_quality())
        self.push_change_event("level", 2.0, 3.0, AttrQuality.ATTR_WARNING)
        seen.append(attr.get_quality())
        attr.set_quality(AttrQuality.ATTR_ALARM)
        attr.set_value(3.0)
        seen.append(attr.get_quality())
        self.push_change_event("level", 4.0)
        attr.set_quality(AttrQuality.ATTR_WARNING)
        seen.append(_failure(attr.fire_change_event).split(" / ")[0])
        seen.append(attr.get_quality())
        return "|".join(str(q) for q in seen)

    @attribute(dtype=float)
    def quality_then_value(self):
        self.get_device_attr().get_attr_by_name("quality_then_value").set_quality(AttrQuality.ATTR_ALARM)
        return 5.0

    @attribute(dtype=float)
    def value_then_quality(self):
        attr = self.get_device_attr().get_attr_by_name("value_then_quality")
        attr.set_value(5.0)
        attr.set_quality(AttrQuality.ATTR_ALARM)

    def _attr(self):
        return self.get_device_attr().get_attr_by_name("value")

    @command(dtype_in=float)
    def Fire(self, number):
        attr = self._attr()
        attr.set_value(number)
        attr.fire_change_event()
        attr.set_value(number + 1)
        attr.fire_alarm_event()

    @command(dtype_in=str)
    def FireError(self, text):
        try:
            raise ValueError(text)
        except ValueError:
            failed = Except.to_dev_failed(*sys.exc_info())
        self._attr().fire_change_event(failed)
        self._attr().fire_alarm_event(failed)

    @command(dtype_out=str)
    def Misuses(self):
        attr = self._attr()
        return "\n".join([
            _failure(attr.fire_change_event),  # nothing set since the last read
            _failure(lambda: attr.fire_change_event(ValueError("not a DevFailed"))),
            _failure(lambda: self.push_change_event("value")),
            _failure(lambda: self.push_archive_event("value")),
            _failure(lambda: self.push_event("value", [], [])),
            _failure(lambda: self.push_change_event("state")),
        ])

    @command(dtype_out=str)
    def Listeners(self):
        attr = self._attr()
        return " ".join(f"{kind}={getattr(attr, method)()}/{attr.is_event_subscribed(EVENT_TYPES[kind])}"
                        for kind, method in SUBSCRIBED.items())


if __name__ == "__main__":
    FiringDevice.run_server()
