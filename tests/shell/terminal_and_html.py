"""What the display, monitor, terminal and qtconsole tests read output with: ANSI codes, HTML checks,
and a real terminal (tmux) running a shell."""

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
        self.images: list[str] = []      # base64 PNG data of inline <img> (data: URIs)

    def handle_starttag(self, tag, attrs):
        inline_image = tag == "img" and dict(attrs).get("src", "").startswith("data:image/png;base64,")
        if tag in ("script", "link", "iframe", "style") or (tag == "img" and not inline_image):
            self.problems.append(f"<{tag}> element")
        if inline_image:
            self.images.append(dict(attrs)["src"].partition(",")[2])
        for name, value in attrs:
            if (name in ("src", "href") and not inline_image) or name.startswith("on"):
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
    """Assert the fragment is balanced and self-contained (images only inline, as data: URIs
    of PNGs); return its visible text."""
    return _checked(fragment).text_content


def html_images(fragment: str) -> list[bytes]:
    """The inline PNG images of a fragment that :func:`check_html` accepts, decoded."""
    import base64

    return [base64.b64decode(data) for data in _checked(fragment).images]


def _checked(fragment: str) -> "_HtmlChecker":
    checker = _HtmlChecker()
    checker.feed(fragment)
    checker.close()
    assert not checker.problems, checker.problems
    assert not checker.stack, f"unclosed tags: {checker.stack}"
    checker.text_content = "".join(checker.text)
    return checker


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, checking its signature."""
    import struct

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


class TmuxTerminal:
    """A real terminal: a program in a private tmux server, read back as the screen a user sees.

    Screen-level assertions (what is drawn where, after prompt_toolkit's redraws) are far more
    robust than matching a raw pty stream full of cursor movements.  The tmux server uses its own
    socket, so it never touches a user's tmux; :meth:`close` stops the program and that server.
    """

    def __init__(self, argv: list[str], env: dict[str, str], width: int = 120, height: int = 40) -> None:
        import os
        import shlex
        import shutil
        import subprocess
        import uuid

        tmux = shutil.which("tmux")
        if tmux is None:
            raise FileNotFoundError("tmux is not installed (Debian package tmux)")
        self._tmux = [tmux, "-L", f"itango-test-{os.getpid()}-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
        import tempfile

        # The exit status goes to a file: tmux may not reap the program (a server started from a
        # busy test process sometimes never sees SIGCHLD), but the shell that ran it always
        # writes the file.
        self._status_file = tempfile.NamedTemporaryFile(prefix="itango-tmux-status-", delete=False).name
        os.unlink(self._status_file)
        program = "env " + " ".join(shlex.quote(f"{k}={v}") for k, v in env.items()) + " " + \
            " ".join(shlex.quote(a) for a in argv)
        command = f"{program}; echo $? > {shlex.quote(self._status_file)}"
        # remain-on-exit before the program starts: its last screen stays readable after it ends
        subprocess.run(self._tmux + ["start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
                                     "new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height),
                                     command], check=True, env={**os.environ, **env}, timeout=20)
        self.pid = int(self._run("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def _run(self, *args: str) -> str:
        import subprocess

        return subprocess.run(self._tmux + list(args), check=True, capture_output=True, text=True,
                              timeout=20).stdout

    def send(self, *keys: str) -> None:
        """tmux key names (``Enter``, ``Tab``, ``C-c``) or literal text."""
        for key in keys:
            if key in ("Enter", "Tab", "Escape", "BSpace", "Up", "Down") or key.startswith("C-"):
                self._run("send-keys", "-t", "t", key)
            else:
                self._run("send-keys", "-t", "t", "-l", key)

    def screen(self, escapes: bool = False) -> str:
        args = ["capture-pane", "-p", "-t", "t"] + (["-e"] if escapes else [])
        return self._run(*args)

    def wait_for(self, pattern: str, timeout: float = 20.0, flags: int = re.M) -> re.Match:
        import time

        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            match = re.search(pattern, screen, flags)
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on screen after {timeout} s:\n{screen}")
            time.sleep(0.1)

    def dead(self) -> bool:
        import os

        return os.path.exists(self._status_file) and os.path.getsize(self._status_file) > 0

    def process_state(self) -> str:
        """``/proc`` state of the shell running the program, for failure messages."""
        try:
            with open(f"/proc/{self.pid}/status") as f:
                return next((ln.strip() for ln in f if ln.startswith("State:")), "?")
        except OSError:
            return "gone"

    def exit_status(self, timeout: float = 15.0) -> int | None:
        """Exit code of the program (None if it has not ended within ``timeout``)."""
        import time

        deadline = time.monotonic() + timeout
        while not self.dead():
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)
        with open(self._status_file) as f:
            return int(f.read().strip())

    def close(self) -> None:
        import os
        import signal
        import subprocess

        try:
            if not self.dead():  # the program still runs: end it and the shell waiting for it
                for child in _children(self.pid):
                    os.kill(child, signal.SIGKILL)
                os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self._run("kill-server")
        except subprocess.SubprocessError:
            pass
        try:
            os.unlink(self._status_file)
        except OSError:
            pass


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc), so that only our own processes are ended."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found
