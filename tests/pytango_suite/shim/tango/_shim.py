"""How every module of this ``tango`` package stands in for the PyTango module of the same name.

Each module here is a few lines: ``reexport(__name__, "tango_core.x", ...)`` makes the module's
missing attributes come from the tango_core modules named, in order, so ``tango.DevState`` IS
``tango_core.DevState`` (no copies, no wrappers).  Names that tango_core does not have stay
missing (AttributeError, ImportError), except the few listed in :data:`ABSENT`: PyTango names
that its test suite imports at module level although only some tests use them.  Those become
placeholders that fail loudly when used, so one missing name fails the tests that use it instead
of the whole file.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: why -> the PyTango names concerned.  "out of scope" entries are C++-library internals a pure-Python
#: Tango has no counterpart for; "not in tango_core yet" entries are gaps to close: delete a name
#: when tango_core gains it (real names always win over this table, and a check in
#: test_pytango_suite.py fails while a name listed here exists in tango_core).
ABSENT_BY_REASON: dict[str, tuple[str, ...]] = {
    "out of scope: no C++ library, so no C++ coverage to dump": ("tango._tango._dump_cpp_coverage",),
    "out of scope: cppTango's OpenTelemetry support": (
        "tango._tango._telemetry", "tango._telemetry._telemetry_runtime",
        "tango._telemetry._telemetry_http_exporter_available", "tango._telemetry.get_telemetry_tracer_provider_factory",
        "tango._telemetry._create_span_processor_for_endpoint", "tango.telemetry.TelemetryType",
        "tango.telemetry.TelemetryTopic", "tango.telemetry.TelemetryExporter", "tango.telemetry.TelemetryEndpoint",
        "tango.telemetry.set_telemetry_tracer_provider_factory", "tango.telemetry.get_telemetry_tracer_provider_factory",
        "tango._instrumentation._traced_coverage_run_active"),
    "out of scope: releases the GIL around C++ calls (PyTango's allow_threads)": (
        "tango.AutoTangoAllowThreads", "tango.AutoTangoMonitor"),
}

#: PyTango name -> why tango_core does not have it
ABSENT: dict[str, str] = {name: why for why, names in ABSENT_BY_REASON.items() for name in names}


class Absent:
    """Stands for a name tango_core does not have; any use raises NotImplementedError."""

    def __init__(self, name: str, reason: str) -> None:
        self._absent = (name, reason)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        name, reason = self._absent
        raise NotImplementedError(f"{name}: {reason}")

    __call__ = __iter__ = __len__ = __bool__ = __enter__ = _fail

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __repr__(self) -> str:
        return f"<absent {self._absent[0]}: {self._absent[1]}>"


def reexport(name: str, *sources: str) -> None:
    """Make module ``name`` answer with the attributes of the tango_core modules ``sources``."""
    module = sys.modules[name]
    loaded = [importlib.import_module(source) for source in sources]
    exported: list[str] = []
    for source in loaded:
        exported += [n for n in getattr(source, "__all__", ()) if n not in exported]
    module.__all__ = exported

    def __getattr__(attr: str) -> Any:  # noqa: N807 - PEP 562 module hook
        for source in loaded:
            try:
                value = getattr(source, attr)
            except AttributeError:
                continue
            setattr(module, attr, value)
            return value
        reason = ABSENT.get(f"{name}.{attr}")
        if reason is not None:
            return Absent(f"{name}.{attr}", reason)
        raise AttributeError(f"module {name!r} has no attribute {attr!r} (tango_core has no such name "
                             f"in {', '.join(sources) or 'any module'})")

    def __dir__() -> list[str]:  # noqa: N807
        names = set(vars(module))
        for source in loaded:
            names.update(dir(source))
        return sorted(names)

    module.__getattr__ = __getattr__
    module.__dir__ = __dir__
