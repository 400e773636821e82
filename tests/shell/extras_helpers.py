"""Helpers shared by the shell-extras tests (display, monitor, terminal, qtconsole)."""

from __future__ import annotations

import html.parser
import re

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _HtmlChecker(html.parser.HTMLParser):
    """Collects what a self-contained, well-formed HTML fragment must not have."""

    VOID = {"br", "img", "hr", "meta", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "link", "img", "iframe", "style"):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name in ("src", "href") or name.startswith("on"):
                self.problems.append(f"{name}= attribute")
            if value and ("url(" in value or "file:" in value):
                self.problems.append(f"external resource in {name}")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(fragment: str) -> str:
    """Assert the fragment is balanced and self-contained; return its visible text."""
    checker = _HtmlChecker()
    checker.feed(fragment)
    checker.close()
    assert not checker.problems, checker.problems
    assert not checker.stack, f"unclosed tags: {checker.stack}"
    return "".join(checker.text)
