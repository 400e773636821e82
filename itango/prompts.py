"""The terminal prompt shows which database short names resolve against.

``127.0.0.1:10000 In [1]:`` -- the part before ``In`` follows ``%switchdb`` and says
``(offline)`` while no database answers.  Everything else is IPython's own prompt.
"""

from __future__ import annotations

from typing import Any

from IPython.terminal.prompts import Prompts
from pygments.token import Token

__all__ = ["TangoPrompts"]


class TangoPrompts(Prompts):
    """IPython's prompts with the current TANGO_HOST in front of ``In [n]:``."""

    def __init__(self, shell: Any, session: Any = None):
        super().__init__(shell)
        self.session = session

    def _label(self) -> str:
        session = self.session
        if session is None:
            from .session import get_session
            session = get_session(self.shell)
        return session.prompt_label() if session is not None else ""

    def in_prompt_tokens(self) -> list[tuple[Any, str]]:
        label = self._label()
        tokens = super().in_prompt_tokens()
        if not label:
            return tokens
        return [(Token.Prompt.TangoHost, label + " "), *tokens]
