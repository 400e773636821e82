"""Key bindings itango adds to IPython's terminal prompt.

* Ctrl-C abandons the line at once, also while the completion menu is open.  IPython's own
  Ctrl-C only closes the menu then, so a user who pressed TAB and changed their mind needed
  two presses (and the first one put back the text as it was before the menu, which looked
  like nothing happened).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["install"]


def install(shell: Any) -> Callable[[], None] | None:
    """Add the bindings to ``shell``'s prompt; returns the function that removes them (None
    when the shell has no prompt_toolkit prompt: a kernel, a plain InteractiveShell)."""
    bindings = getattr(getattr(shell, "pt_app", None), "key_bindings", None)
    if bindings is None or not hasattr(bindings, "add"):
        return None
    from prompt_toolkit.enums import DEFAULT_BUFFER
    from prompt_toolkit.filters import Condition, has_focus

    @Condition
    def menu_open() -> bool:
        from prompt_toolkit.application.current import get_app

        return get_app().current_buffer.complete_state is not None

    # added last, so it wins over IPython's Ctrl-C binding while the filter holds
    @bindings.add("c-c", filter=has_focus(DEFAULT_BUFFER) & menu_open)
    def abandon_line(event: Any) -> None:
        event.current_buffer.reset()   # also closes the completion menu

    def remove() -> None:
        try:
            bindings.remove(abandon_line)
        except ValueError:  # IPython rebuilt its bindings since (a shortcuts change)
            pass
    return remove
