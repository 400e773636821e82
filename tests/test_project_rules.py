"""Project rules that no other test would notice breaking.

* PyTango is a test peer only: nothing in itango/ or tango_core/ may import ``tango``.
* tango_core is the protocol layer: it may use the standard library, numpy and pyzmq, nothing
  of the shell (IPython, prompt_toolkit); gevent (optional, a test extra) only in the modules of
  the gevent green mode, and only when that mode is used.
* The runtime dependencies are exactly ipython, prompt_toolkit, numpy and pyzmq.
* CI runs exactly the test command README.md gives.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("tango_core", "itango")


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level names imported anywhere (function bodies included) -> files importing them."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("package", PRODUCT)
def test_product_never_imports_pytango(package: str) -> None:
    imports = _imports(package)
    offenders = {name: sorted(files) for name, files in imports.items() if name in {"tango", "PyTango"}}
    assert not offenders, f"PyTango is a test peer only, but {package} imports it: {offenders}"


#: optional imports a module may make, guarded, for users who have the package: tango_core.test_utils
#: offers PyTango's pytest fixtures when pytest is installed (as tango.test_utils does); the modules
#: of the gevent green mode import gevent (only that mode loads them); commands read their argument
#: descriptions from docstrings when docstring_parser is installed (as PyTango's do)
GEVENT_FACE = {"tango_core/gevent.py", "tango_core/transport/gevent.py", "tango_core/client/green.py",
               "tango_core/server/green.py"}  # gevent servers: imported by GeventHub only
OPTIONAL_IMPORTS = {"pytest": {"tango_core/test_utils.py"}, "gevent": GEVENT_FACE,
                    "docstring_parser": {"tango_core/server/command_declaration.py"}}


def test_tango_core_uses_only_stdlib_numpy_and_pyzmq() -> None:
    allowed = set(sys.stdlib_module_names) | {"numpy", "zmq", "tango_core"}
    extra = {name: sorted(files - OPTIONAL_IMPORTS.get(name, set()))
             for name, files in _imports("tango_core").items() if name not in allowed}
    extra = {name: files for name, files in extra.items() if files}
    assert not extra, f"tango_core must not depend on these: {extra}"


def test_other_green_modes_never_load_gevent() -> None:
    code = ("import sys, asyncio, tango_core, tango_core.asyncio, tango_core.futures\n"
            "from tango_core.client import green\n"
            "green.get_executor(tango_core.GreenMode.Asyncio); green.get_executor(tango_core.GreenMode.Futures)\n"
            "print('gevent' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_importing_the_product_loads_no_pytango() -> None:
    """At run time too (a transitive import would not show in the source scan)."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import tango_core, itango\n"
        "for pkg in (tango_core, itango):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if not m.name.endswith('__main__'):\n"
        "            importlib.import_module(m.name)\n"
        "print(sorted(n for n in ('tango', 'PyTango') if n in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_runtime_dependencies_are_exactly_the_four() -> None:
    # tomllib from Python 3.11; on 3.10 the same parser as tomli, which pytest depends on there
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    assert names == {"ipython", "prompt_toolkit", "numpy", "pyzmq"}


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running the tests", 1)[1]
    command = re.search(r"```sh\n(.+?)\n```", section, re.S)
    assert command, "README's 'Running the tests' has no sh block"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert any(line.startswith(command.group(1).strip() + " ") or line == command.group(1).strip()
               for line in ci_lines), f".ci/run does not run {command.group(1)!r}"
