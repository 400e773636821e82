"""The linter: ruff with the small rule set of pyproject.toml ([tool.ruff.lint]: undefined names,
unused imports and variables, mutable default arguments, syntax and pylint errors) finds nothing
in the product, the tests, the benchmarks and the scripts.

ruff comes with the ``test`` extra; a missing ruff skips this locally and fails under CI=true.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["tango_core", "itango", "tests", "benchmarks", "screenshots", "scripts", "profiles"]


def _ruff() -> list[str]:
    probe = subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("ruff is not installed (pip install -e '.[test]')")
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    return [sys.executable, "-m", "ruff"]


def test_ruff_finds_nothing() -> None:
    paths = [p for p in CHECKED if (ROOT / p).exists()]
    result = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", *paths],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rule_set_catches_an_undefined_name_and_an_unused_import(tmp_path: Path) -> None:
    """The configuration in force really has the rules (a file with both mistakes fails)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    return undefined_name\n")
    result = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise",
                             "--config", str(ROOT / "pyproject.toml"), str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "F401" in result.stdout and "F821" in result.stdout, result.stdout
