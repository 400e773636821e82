"""Jupyter side of itango: an IPython kernel with the extension loaded, its kernelspec, and
``itango qtconsole``.

* ``itango kernel -f CONNECTION_FILE``: run the kernel (ipykernel's ``IPKernelApp`` with the
  itango shell configuration: extension loaded, itango's banner); this is what a frontend
  starts (the kernelspec's argv is ``python -m itango kernel -f {connection_file}``).
* ``itango kernel install [--user | --sys-prefix | --prefix DIR] [--name NAME]
  [--display-name TEXT] [--tango-host HOST:PORT]``: install a Jupyter kernelspec so that
  ``jupyter qtconsole --kernel itango``, JupyterLab or ``jupyter console`` can pick it.
  ``--tango-host`` pins ``TANGO_HOST`` in the kernel's environment.
* ``itango qtconsole [qtconsole options]``: the Qt console on an itango kernel.  It does **not**
  need an installed kernelspec: a throw-away one is put on ``JUPYTER_PATH`` for this run only.

Why not like ITango 0.3.0: it rewrote a kernelspec and a profile in the user's home on every
launch, and its documented ``itango qtconsole`` ended up as "File 'qtconsole' doesn't exist".
Here nothing is written outside a temporary directory unless the user asks for ``install``.

ipykernel, jupyter_client and qtconsole (+ a Qt binding) are optional: ``pip install itango[qt]``.
A missing one gives a one-line explanation and exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator, Sequence

__all__ = ["KERNEL_NAME", "DISPLAY_NAME", "MissingDependency", "kernel_argv", "kernelspec",
           "install_kernelspec", "temporary_kernelspec", "start_kernel", "run_qtconsole", "main",
           "kernel_main", "qtconsole_main"]

KERNEL_NAME = "itango"
DISPLAY_NAME = "ITango"
_INSTALL_HINT = "install the Jupyter extras: pip install 'itango[qt]'"


class MissingDependency(RuntimeError):
    """An optional package that this command needs is not installed."""


def _require(module: str, purpose: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        raise MissingDependency(f"{purpose} needs the Python package '{module.split('.')[0]}' "
                                f"({exc}); {_INSTALL_HINT}") from None


def kernel_argv(python: str | None = None) -> list[str]:
    """The command line a frontend runs to start an itango kernel (``{connection_file}`` is
    substituted by jupyter_client)."""
    return [python or sys.executable, "-m", "itango", "kernel", "-f", "{connection_file}"]


def kernelspec(display_name: str = DISPLAY_NAME, tango_host: str | None = None) -> dict:
    """The content of ``kernel.json``."""
    spec = {"argv": kernel_argv(), "display_name": display_name, "language": "python",
            "metadata": {"debugger": True}}
    if tango_host:
        spec["env"] = {"TANGO_HOST": tango_host}
    return spec


def _write_spec_dir(directory: str, spec: dict) -> None:
    with open(os.path.join(directory, "kernel.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)


def install_kernelspec(name: str = KERNEL_NAME, display_name: str = DISPLAY_NAME, *,
                       user: bool = False, prefix: str | None = None,
                       tango_host: str | None = None) -> str:
    """Install the kernelspec with jupyter_client; returns the directory it went to."""
    _require("jupyter_client", "itango kernel install")
    _require("ipykernel", "the itango kernel")
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory(prefix="itango-kernelspec-") as tmp:
        _write_spec_dir(tmp, kernelspec(display_name, tango_host))
        return KernelSpecManager().install_kernel_spec(tmp, name, user=user, prefix=prefix)


@contextmanager
def temporary_kernelspec(name: str = KERNEL_NAME) -> Iterator[str]:
    """Put a throw-away itango kernelspec first on ``JUPYTER_PATH`` (for this process and the
    kernels it starts) and remove it afterwards; yields the spec's name."""
    old = os.environ.get("JUPYTER_PATH")
    with tempfile.TemporaryDirectory(prefix="itango-jupyter-") as tmp:
        spec_dir = os.path.join(tmp, "kernels", name)
        os.makedirs(spec_dir)
        _write_spec_dir(spec_dir, kernelspec())
        os.environ["JUPYTER_PATH"] = os.pathsep.join([tmp] + ([old] if old else []))
        try:
            yield name
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def _kernel_config() -> object | None:
    """The itango shell configuration with its banner (which database, versions, what to try);
    None if it cannot be built, and the kernel then just loads the extension."""
    try:
        from . import cli
        from .shell_config import make_config

        host = os.environ.get("TANGO_HOST", "").strip() or None
        problem = cli.probe_database(host, timeout=0.5) if host else None
        config = make_config(banner=cli.banner(host, problem))
        config.InteractiveShell.enable_tip = False  # the banner has its own "Try:" line
        return config
    except Exception:
        return None


def start_kernel(argv: Sequence[str]) -> int:
    """Run an IPython kernel with the itango extension (blocks until the kernel exits)."""
    _require("ipykernel", "itango kernel")
    from ipykernel.kernelapp import IPKernelApp

    args = list(argv)
    config = _kernel_config()
    if config is None and "--ext" not in args and not any(a.startswith("--ext=") for a in args):
        args += ["--ext", "itango"]
    IPKernelApp.launch_instance(argv=args, **({"config": config} if config is not None else {}))
    return 0


def run_qtconsole(argv: Sequence[str]) -> int:
    """``itango qtconsole``: Jupyter's Qt console on an itango kernel; returns the exit status
    (1 with a one-line message when the Jupyter/Qt extras are missing)."""
    try:
        return _qtconsole(argv)
    except MissingDependency as exc:
        print(f"itango: {exc}", file=sys.stderr)
        return 1


def _qtconsole(argv: Sequence[str]) -> int:
    _require("qtconsole", "itango qtconsole")
    try:
        import qtpy  # noqa: F401  (raises if no Qt binding is installed)
    except Exception as exc:
        raise MissingDependency(f"itango qtconsole needs a Qt binding such as PyQt5 ({exc}); "
                                f"{_INSTALL_HINT}") from None
    _require("ipykernel", "the itango kernel")
    from qtconsole.qtconsoleapp import JupyterQtConsoleApp

    args = list(argv)
    if any(a == "--kernel" or a.startswith("--kernel=") for a in args):
        JupyterQtConsoleApp.launch_instance(argv=args)   # the user picked a kernelspec
        return 0
    with temporary_kernelspec() as name:
        JupyterQtConsoleApp.launch_instance(argv=["--kernel", name, *args])
    return 0


def _install_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="itango kernel install",
                                     description="Install the itango Jupyter kernelspec.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user only")
    where.add_argument("--sys-prefix", action="store_true", help=f"install into {sys.prefix}")
    where.add_argument("--prefix", help="install into PREFIX/share/jupyter/kernels")
    parser.add_argument("--name", default=KERNEL_NAME, help="kernelspec name (default: %(default)s)")
    parser.add_argument("--display-name", default=DISPLAY_NAME,
                        help="name shown by frontends (default: %(default)s)")
    parser.add_argument("--tango-host", help="pin TANGO_HOST=HOST:PORT in the kernel's environment")
    ns = parser.parse_args(list(argv))
    prefix = sys.prefix if ns.sys_prefix else ns.prefix
    path = install_kernelspec(ns.name, ns.display_name, user=ns.user, prefix=prefix,
                              tango_host=ns.tango_host)
    print(f"Installed kernelspec {ns.name} in {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``itango kernel ...`` (and ``python -m itango.kernel``): install a kernelspec, or start a
    kernel when given ipykernel options such as ``-f CONNECTION_FILE``.
    ``qtconsole`` as first word runs :func:`run_qtconsole`."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["install"]:
            return _install_main(args[1:])
        if args[:1] == ["qtconsole"]:
            return _qtconsole(args[1:])
        if args[:1] in (["-h"], ["--help"]):
            print(__doc__)
            return 0
        return start_kernel(args)
    except MissingDependency as exc:
        print(f"itango: {exc}", file=sys.stderr)
        return 1


def kernel_main(argv: Sequence[str]) -> int:
    """``itango kernel ...`` as routed by the itango command line (argv after ``kernel``)."""
    return main(list(argv))


def qtconsole_main(argv: Sequence[str]) -> int:
    """``itango qtconsole ...`` as routed by the itango command line (argv after ``qtconsole``)."""
    return main(["qtconsole", *argv])


if __name__ == "__main__":  # python -m itango.kernel ...
    sys.exit(main())
