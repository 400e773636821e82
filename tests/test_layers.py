"""The layer rules of docs/architecture.md, checked from the imports in the source.

tango_core is built in layers, each importing only the layers below it (imports inside functions
and under ``TYPE_CHECKING`` count too: a layer must not even *know* the ones above):

* ``wire`` (the sans-IO CORBA codec) imports nothing from tango_core;
* ``idl`` (the Tango IDL and the operations table) only ``wire``;
* ``transport`` (GIOP over sockets; knows no Tango) only ``wire``;
* ``events`` (ZMQ consumer and supplier) only ``wire`` and ``idl``: the client hands the consumer
  what it needs from above (``events.client_interface``);
* ``client`` everything below; ``server`` and ``databaseds`` (the device and database servers) the
  client too; the top-level modules as declared below; ``pytango_alias`` (PyTango's module names,
  answered by tango_core's) any of them.

Every package and top-level module of tango_core must be declared in :data:`LAYERS`, so a new one
gets a place in the layering before it gets code.  itango uses tango_core's public API only:
``import tango_core`` and ``from tango_core import <name in tango_core.__all__>``, never a submodule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "tango_core"

_BELOW_CLIENT = {"wire", "idl", "transport", "events"}
_SERVER_STACK = _BELOW_CLIENT | {"client", "server"}

#: layer (package, or top-level module, of tango_core) -> the layers it may import
LAYERS: dict[str, set[str]] = {
    "wire": set(),
    "idl": {"wire"},
    "transport": {"wire"},
    "events": {"wire", "idl"},
    "client": _BELOW_CLIENT,
    "server": _BELOW_CLIENT | {"client", "release"},  # release: the PyTango API level a device reports
    "databaseds": _SERVER_STACK,
    "tangotest": _SERVER_STACK,       # TangoTest's device class, served by tango_core.server
    # top-level modules
    "__init__": set(),               # the public names are resolved lazily, by name (importlib)
    "release": set(),
    "constants": set(),              # PyTango's tango.constants
    "utils": _SERVER_STACK | {"release"},  # PyTango's tango.utils: client and server helpers alike
    "test_context": _SERVER_STACK,   # PyTango's tango.test_context: servers in this process
    "test_utils": _SERVER_STACK | {"test_context"},
    "asyncio": {"client", "idl"},    # PyTango's tango.asyncio/.futures/.gevent: the proxy factories
    "futures": {"client", "idl"},    # of one green mode
    "gevent": {"client", "idl"},
    "_warnings": {"client"},         # PyTango's tango._warnings: warn_once (PyTangoUserWarning is the client's)
    "pytango_pprint": {"client", "events", "idl"},  # the lists of structs printed PyTango's way
}
# PyTango's module names (a ``tango`` package), each answered by tango_core's modules of any layer
# (mostly named as strings, for reexport): the top of the stack
LAYERS["pytango_alias"] = set(LAYERS)
#: what any layer may take from the root package itself
ROOT_NAMES = {"__version__"}


def _layer(module: str) -> str:
    """``tango_core.client.names`` -> ``client``; ``tango_core.utils`` -> ``utils``; the root -> ``__init__``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names imported from it) of every import in a file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target, [alias.name for alias in node.names]))
    return found


def _sources(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_and_module_of_tango_core_is_declared():
    present = {p.stem if p.is_file() else p.name for p in CORE.iterdir()
               if (p.is_dir() and (p / "__init__.py").exists()) or (p.is_file() and p.suffix == ".py")}
    undeclared = present - set(LAYERS)
    assert not undeclared, (f"declare {sorted(undeclared)} in tests/test_layers.py LAYERS (and in "
                            "docs/architecture.md): which layers may they import?")


def _violations() -> list[str]:
    out = []
    for path in _sources(CORE):
        layer = _layer(_module_name(path))
        allowed = LAYERS.get(layer, set()) | {layer}
        for line, target, names in _imports(path):
            if target != "tango_core" and not target.startswith("tango_core."):
                continue
            if target == "tango_core":  # from tango_core import __version__, or a submodule
                used = {f"tango_core.{n}" for n in names if n not in ROOT_NAMES}
                targets = sorted(used)
            else:
                targets = [target]
            for t in targets:
                if _layer(t) not in allowed:
                    out.append(f"{path.relative_to(ROOT)}:{line}: {layer} imports {t} ({_layer(t)})")
    return out


def test_each_layer_imports_only_the_layers_below():
    assert not _violations(), "\n".join(["layer rules broken:", *_violations()])


def test_the_rules_catch_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: an events module importing the client is reported."""
    fake = tmp_path / "tango_core" / "events"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text("def f():\n    from ..client.device_proxy import DeviceProxy\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "CORE", tmp_path / "tango_core")
    assert _violations() == ["tango_core/events/bad.py:2: events imports tango_core.client.device_proxy (client)"]


def _public_names() -> set[str]:
    import tango_core
    return set(tango_core.__all__) | {"__version__"}


def test_itango_uses_only_the_public_api_of_tango_core():
    public = _public_names()
    bad = []
    for path in _sources(ROOT / "itango"):
        where = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("tango_core."):
                        bad.append(f"{where}:{node.lineno}: import {alias.name}")
                    elif alias.name == "tango_core":
                        aliases.add(alias.asname or "tango_core")
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                if node.module.startswith("tango_core."):
                    bad.append(f"{where}:{node.lineno}: from {node.module} import ...")
                elif node.module == "tango_core":
                    bad += [f"{where}:{node.lineno}: from tango_core import {a.name}"
                            for a in node.names if a.name not in public]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr not in public):
                bad.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, "itango reaches past tango_core's public API:\n" + "\n".join(bad)


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_declared_layers_name_only_declared_layers(layer):
    assert LAYERS[layer] <= set(LAYERS), LAYERS[layer] - set(LAYERS)
