"""``import tango`` meaning tango_core, for code written for PyTango: scripts, device servers, test suites.

This directory (:data:`DIRECTORY`) holds a package named ``tango`` whose modules carry PyTango's
module names (``tango``, ``tango.server``, ``tango.test_context``, ``tango.databaseds.database``
...) and answer with tango_core's own objects: ``tango.DeviceProxy`` IS ``tango_core.DeviceProxy``
(no copies, no wrappers); and a package named ``PyTango``, the old name, which is that ``tango``
module (as PyTango 10 keeps it for old scripts).  It is not importable as ``tango`` until the directory is put on the
module path, which these do:

* ``python -m tango_core.pytango_alias COMMAND ...`` (or ``tango-core-as-pytango COMMAND ...``):
  runs COMMAND with the directory first on PYTHONPATH, so that process and every Python process it
  starts (device servers of ``process=True`` test contexts, ``python -m tango.databaseds.database``)
  import tango_core as ``tango``;
* :func:`install`: the same from inside a Python process, before its first ``import tango``;
* :func:`environment`: a copy of an environment with the directory first on PYTHONPATH.

Each module of the ``tango`` package is one line, ``reexport(__name__, "tango_core.x", ...)``: its
missing attributes come from the tango_core modules named, in order.  Names tango_core does not
have stay missing (AttributeError, ImportError), except those of :data:`ABSENT_BY_REASON`: PyTango
names that code imports at module level although it uses them rarely (PyTango's own test suite
does).  They become placeholders that fail when used, with the reason, so that one missing name
fails the code using it instead of the import of a whole module.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
from pathlib import Path
from typing import Any, Mapping

#: the directory to put on the module path: it holds the ``tango`` package (and nothing else a
#: program would import: its ``__init__`` and ``__main__`` are this module and the command)
DIRECTORY = Path(__file__).resolve().parent

#: why -> the PyTango names concerned.  "out of scope" entries are C++-library internals a pure-Python
#: Tango has no counterpart for; "not in tango_core yet" entries are gaps to close: delete a name
#: when tango_core gains it (real names always win over this table, and a check in
#: tests/pytango_suite/test_pytango_suite.py fails while a name listed here exists in tango_core).
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
    # the table's keys use PyTango's names ("tango.x"), whichever name this package is imported by
    pytango_name = name.removeprefix(__name__ + ".")

    def __getattr__(attr: str) -> Any:  # noqa: N807 - PEP 562 module hook
        for source in loaded:
            try:
                value = getattr(source, attr)
            except AttributeError:
                continue
            setattr(module, attr, value)
            return value
        reason = ABSENT.get(f"{pytango_name}.{attr}")
        if reason is not None:
            return Absent(f"{pytango_name}.{attr}", reason)
        raise AttributeError(f"module {name!r} has no attribute {attr!r} (tango_core has no such name "
                             f"in {', '.join(sources) or 'any module'})")

    def __dir__() -> list[str]:  # noqa: N807
        names = set(vars(module))
        for source in loaded:
            names.update(dir(source))
        return sorted(names)

    module.__getattr__ = __getattr__
    module.__dir__ = __dir__


# --------------------------------------------------------------------------------------------
# putting the directory on the module path
# --------------------------------------------------------------------------------------------

def _is_directory(entry: str) -> bool:
    try:
        return Path(entry or ".").resolve() == DIRECTORY
    except OSError:
        return False


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: ``os.environ``) whose PYTHONPATH starts with :data:`DIRECTORY`,
    so that a Python process started with it imports tango_core as ``tango``."""
    env = dict(os.environ if base is None else base)
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and not _is_directory(p)]
    env["PYTHONPATH"] = os.pathsep.join([str(DIRECTORY), *rest])
    return env


def other_tango() -> str | None:
    """Where the ``tango`` this Python would import without the alias comes from (a real PyTango,
    which the alias shadows), or None when there is none."""
    path = [p for p in sys.path if not _is_directory(p)]
    spec = importlib.machinery.PathFinder.find_spec("tango", path)
    if spec is None or spec.origin is None:  # nothing, or a bare directory (namespace package)
        return None
    return spec.origin


def install(subprocesses: bool = True) -> None:
    """Make ``import tango`` give tango_core in this process from now on, and (``subprocesses``)
    in the Python processes it starts, through ``os.environ["PYTHONPATH"]``.

    Call it before anything imports ``tango``: a PyTango already imported cannot be swapped for
    tango_core under the objects that hold its classes, so that raises RuntimeError."""
    loaded = sys.modules.get("tango")
    if loaded is not None and not _is_alias(loaded):
        raise RuntimeError(f"PyTango is already imported in this process ({getattr(loaded, '__file__', loaded)}): "
                           "tango_core.pytango_alias.install() must come before the first `import tango`")
    sys.path[:] = [str(DIRECTORY), *(p for p in sys.path if not _is_directory(p))]
    importlib.invalidate_caches()
    if subprocesses:
        os.environ["PYTHONPATH"] = environment()["PYTHONPATH"]


def _is_alias(module: Any) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().parent == DIRECTORY / "tango"
