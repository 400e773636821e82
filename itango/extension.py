"""Loading and unloading the itango IPython extension.

``load`` attaches a :class:`~itango.session.ShellSession` to the shell and registers, in
one place, everything the extension adds: names, magics, the completion matcher, the
DevFailed handler, event callbacks, the prompt and the display formatters.  ``unload``
removes exactly those (names only where the user has not rebound them), so
``%reload_ext itango`` starts from a clean shell.
"""

from __future__ import annotations

import sys
from typing import Any

from .session import SESSION_ATTR, ShellSession, get_session

__all__ = ["load", "unload"]


def _optional(module: str, function: str) -> Any:
    """A function of an optional sibling module (display, monitor), or None."""
    try:
        mod = __import__(f"itango.{module}", fromlist=[function])
    except ImportError:
        return None
    return getattr(mod, function, None)


def load(shell: Any) -> ShellSession:
    """Install itango on ``shell`` (idempotent)."""
    session = get_session(shell)
    if session is not None:
        return session
    from .completion import make_matcher
    from .errors import BAD_VALUE_ERRORS, make_devfailed_handler, misspelt_device
    from .magics import TangoMagics
    from .startup import take_fast_start

    fast = take_fast_start()
    session = ShellSession(shell, defer_core_import=fast is not None)
    if fast is not None:
        session.unreachable_announced = fast["unreachable_announced"]
        session.wait_servers = fast.get("wait_servers")
    setattr(shell, SESSION_ATTR, session)
    undo: list[Any] = []
    session._undo = undo  # type: ignore[attr-defined]

    magics = TangoMagics(shell, session)
    shell.register_magics(magics)
    undo.append(lambda: _unregister_magics(shell, magics))

    matcher = make_matcher(session)
    shell.Completer.custom_matchers.append(matcher)
    undo.append(lambda: _remove(shell.Completer.custom_matchers, matcher))

    for event, callback in (("pre_run_cell", session.before_cell),
                            ("post_run_cell", session.after_cell)):
        shell.events.register(event, callback)
        undo.append(lambda e=event, c=callback: shell.events.unregister(e, c))

    previous_exc = (shell.custom_exceptions, shell.CustomTB)

    def remember(exc: BaseException) -> None:
        session.last_tango_error = exc

    installed: list[tuple] = []

    def suggest_device(exc: BaseException) -> str:
        """" Did you mean 'x'?" when the database did not know a (short) device name."""
        name = misspelt_device(exc)
        if name is None or session.inventory is None or "/" not in name:
            return ""
        from .suggest import did_you_mean
        return did_you_mean(name, [r.name for r in session.inventory.devices], beginnings=False)

    def install_handler(core: Any) -> None:
        if not session.closed:
            import os

            exc_tuple = (core.DevFailed, KeyboardInterrupt, AttributeError, *BAD_VALUE_ERRORS)
            library_dirs = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep
                                 for m in (core, sys.modules[__package__]))
            shell.set_custom_exc(exc_tuple, make_devfailed_handler(remember, library_dirs,
                                                                   suggest_device, core.DevFailed))
            installed.append(exc_tuple)

    session.on_core(install_handler)

    def restore_handler() -> None:
        if installed and shell.custom_exceptions is installed[0]:  # not replaced since
            shell.custom_exceptions, shell.CustomTB = previous_exc
    undo.append(restore_handler)

    if getattr(shell, "pt_app", None) is not None:
        from .key_bindings import install as install_key_bindings
        remove_key_bindings = install_key_bindings(shell)
        if remove_key_bindings is not None:
            undo.append(remove_key_bindings)

    if getattr(shell, "pt_app", None) is not None and hasattr(shell, "prompts"):
        from .prompts import TangoPrompts
        previous_prompts = shell.prompts
        shell.prompts = TangoPrompts(shell, session)
        undo.append(lambda: setattr(shell, "prompts", previous_prompts))

    def with_core(core: Any) -> None:
        register = _optional("display", "register")
        if register is not None and not session.closed:
            try:
                register(shell)
            except Exception as exc:  # display is a nicety: never break the shell over it
                print(f"itango: display formatters not installed ({exc})")
    session.on_core(with_core)
    undo.append(lambda: _call_optional("display", "unregister", shell))
    undo.append(lambda: _call_optional("monitor", "close_monitor", shell))

    session.start()
    return session


def _call_optional(module: str, function: str, shell: Any) -> None:
    func = _optional(module, function)
    if func is not None:
        try:
            func(shell)
        except Exception:
            pass


def _remove(items: list, item: Any) -> None:
    while item in items:
        items.remove(item)


def _unregister_magics(shell: Any, magics: Any) -> None:
    manager = shell.magics_manager
    for kind in ("line", "cell"):
        table = manager.magics.get(kind, {})
        for name, func in list(table.items()):
            if getattr(func, "__self__", None) is magics:
                del table[name]
    for key, value in list(manager.registry.items()):
        if value is magics:
            del manager.registry[key]


def unload(shell: Any) -> None:
    """Remove everything :func:`load` installed on ``shell``."""
    session = get_session(shell)
    if session is None:
        return
    for step in reversed(getattr(session, "_undo", [])):
        try:
            step()
        except Exception:
            pass
    session.close()
    try:
        delattr(shell, SESSION_ATTR)
    except AttributeError:
        pass
