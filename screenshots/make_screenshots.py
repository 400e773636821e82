#!/usr/bin/env python3
"""Re-make the README's screenshots from a real session.

    python screenshots/make_screenshots.py [--out screenshots/]

What it does, end to end (nothing is staged by hand):

1. starts real peers on loopback with tests/peers.py: PyTango's database server and Debian's
   TangoTest (sys/tg_test/1), and polls TangoTest's double_scalar through tango_core;
2. runs ``python -m itango`` (the ``itango`` console) in a private tmux server, types into it
   and captures the screen with its colours (``tmux capture-pane -e``): the completion menu,
   ``%lsdev``, a device card and a DevFailed, the ``%mon`` live view;
3. turns each capture into HTML (ANSI colours -> inline styles) and photographs it with headless
   Chromium;
4. drives qtconsole's own widget (RichJupyterWidget) on an itango kernel offscreen and grabs it
   (tests/shell/qtconsole_probe.py): cards, then plots (a spectrum, ``%mon -p``);
5. asks an itango kernel for the ``text/html`` representations Jupyter frontends render
   (device card, attribute, DevFailed stack, %mon tables; then plots of a spectrum, an image and
   ``%mon -p``, and ``%mon -o`` as a DataFrame) and photographs them with Chromium.

Needs: the ``qt``, ``plot`` and ``test`` extras (PyTango is a test peer), Debian's tango-test, tmux and
chromium (``apt-get install tmux chromium tango-test``).  Every process it starts is stopped by
its PID at the end.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "shell")]

import peers  # noqa: E402  (tests/peers.py)
from terminal_and_html import TmuxTerminal  # noqa: E402  (tests/shell/terminal_and_html.py)

COLS, ROWS = 110, 30
FONT_PX, LINE_PX, CHAR_PX = 14, 18, 8.43   # DejaVu Sans Mono 14px

# The Tango Desktop Project palette for the 16 basic colours (a nod to the name).
BASIC = ["#2e3436", "#cc0000", "#4e9a06", "#c4a000", "#3465a4", "#75507b", "#06989a", "#d3d7cf",
         "#555753", "#ef2929", "#8ae234", "#fce94f", "#729fcf", "#ad7fa8", "#34e2e2", "#eeeeec"]
DEFAULT_FG, DEFAULT_BG = "#d3d7cf", "#1d1f21"


def _color256(n: int) -> str:
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def ansi_to_html(text: str) -> str:
    """tmux capture-pane -e output (SGR escapes only) -> HTML spans with inline styles."""
    out: list[str] = []
    state = {"fg": None, "bg": None, "bold": False, "italic": False, "under": False, "rev": False}

    def open_span() -> str:
        fg, bg = state["fg"], state["bg"]
        if state["rev"]:
            fg, bg = (bg or DEFAULT_BG), (fg or DEFAULT_FG)
        style = []
        if fg:
            style.append(f"color:{fg}")
        if bg:  # inline-block: otherwise the next line's background hides this line's "_"
            style.append(f"background:{bg};display:inline-block")
        if state["bold"]:
            style.append("font-weight:bold")
        if state["italic"]:
            style.append("font-style:italic")
        if state["under"]:
            style.append("text-decoration:underline")
        return f'<span style="{";".join(style)}">' if style else "<span>"

    def chunk(piece: str) -> str:
        """Text inside the current span; spans never cross a line end (inline-block)."""
        return html.escape(piece).replace("\n", "</span>\n" + open_span())

    pos = 0
    out.append(open_span())
    for match in _SGR.finditer(text):
        out.append(chunk(text[pos:match.start()]))
        pos = match.end()
        codes = [int(c) if c else 0 for c in match.group(1).split(";")] if match.group(1) else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                state.update(fg=None, bg=None, bold=False, italic=False, under=False, rev=False)
            elif c == 1:
                state["bold"] = True
            elif c == 3:
                state["italic"] = True
            elif c == 4:
                state["under"] = True
            elif c == 7:
                state["rev"] = True
            elif c == 22:
                state["bold"] = False
            elif c == 23:
                state["italic"] = False
            elif c == 24:
                state["under"] = False
            elif c == 27:
                state["rev"] = False
            elif 30 <= c <= 37:
                state["fg"] = BASIC[c - 30]
            elif c == 39:
                state["fg"] = None
            elif 40 <= c <= 47:
                state["bg"] = BASIC[c - 40]
            elif c == 49:
                state["bg"] = None
            elif 90 <= c <= 97:
                state["fg"] = BASIC[c - 90 + 8]
            elif 100 <= c <= 107:
                state["bg"] = BASIC[c - 100 + 8]
            elif c in (38, 48) and i + 1 < len(codes):
                key = "fg" if c == 38 else "bg"
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    state[key] = _color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    state[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                    i += 4
            i += 1
        out.append("</span>" + open_span())
    out.append(chunk(text[pos:]) + "</span>")
    return "".join(out)


def terminal_page(capture: str, title: str) -> tuple[str, int, int]:
    lines = capture.rstrip("\n").split("\n")
    while lines and not _SGR.sub("", lines[-1]).strip():
        lines.pop()
    body = ansi_to_html("\n".join(lines))
    width = int(COLS * CHAR_PX) + 40
    height = len(lines) * LINE_PX + 34 + 36
    page = f"""<!doctype html><html><head><meta charset="utf-8"><style>
body{{margin:0;background:#888}}
.win{{margin:8px;border-radius:8px;overflow:hidden;box-shadow:0 2px 8px #0008;background:{DEFAULT_BG}}}
.bar{{height:26px;background:#3a3d41;color:#ccc;font:13px sans-serif;line-height:26px;text-align:center}}
pre{{margin:0;padding:8px 12px;color:{DEFAULT_FG};font:{FONT_PX}px/{LINE_PX}px 'DejaVu Sans Mono',monospace}}
</style></head><body><div class="win"><div class="bar">{html.escape(title)}</div>
<pre>{body}</pre></div></body></html>"""
    return page, width, height


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("make_screenshots: chromium is needed (apt-get install chromium)")


def photograph(page: str, width: int, height: int, png: Path, workdir: Path) -> None:
    source = workdir / (png.stem + ".html")
    source.write_text(page, encoding="utf-8")
    profile = workdir / "chromium-profile"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-extensions", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           "--disable-component-update", "--mute-audio", "--force-device-scale-factor=1",
           f"--user-data-dir={profile}", f"--window-size={width},{height}",
           f"--screenshot={png}", source.as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    print(f"wrote {png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}")


# ---------------------------------------------------------------------------------------------
# the console
# ---------------------------------------------------------------------------------------------

def _typed(term: TmuxTerminal, line: str) -> int:
    term.send(line)
    # no "$": prompt_toolkit may show a greyed history suggestion after what was typed
    term.wait_for(rf"\[(\d+)\]: {re.escape(line)}")
    return int(re.findall(rf"\[(\d+)\]: {re.escape(line)}", term.screen())[-1])


def _run(term: TmuxTerminal, line: str, timeout: float = 20) -> None:
    n = _typed(term, line)
    term.send("Enter")
    term.wait_for(rf"\[{n + 1}\]: ?$", timeout=timeout)


def _tab_until(term: TmuxTerminal, pattern: str) -> None:
    """TAB until the completion shows ``pattern`` (names load in the background at start)."""
    for _ in range(30):
        term.send("Tab")
        try:
            term.wait_for(pattern, timeout=1.5)
            return
        except AssertionError:
            pass
    raise RuntimeError(f"completion never showed {pattern!r}:\n{term.screen()}")


def console_shots(env: dict[str, str], out: Path, work: Path, tango_host: str) -> None:
    title = f"itango — TANGO_HOST={tango_host}"

    def snap(term: TmuxTerminal, name: str) -> None:
        page, w, h = terminal_page(term.screen(escapes=True), title)
        photograph(page, w, h, out / name, work)

    def session() -> TmuxTerminal:
        term = TmuxTerminal([sys.executable, "-m", "itango"], env, width=COLS, height=ROWS)
        term.wait_for(r"\[1\]: ?$", timeout=40)
        return term

    term = session()
    try:  # completion menu
        term.send('dev = Device("sys/')
        _tab_until(term, r"sys/database/")
        snap(term, "console-completion.png")
        term.send("Escape", "C-u")
        _run(term, "%lsdev")
        snap(term, "console-lsdev.png")
    finally:
        term.close()

    term = session()
    try:  # a device card, an attribute and a DevFailed
        _run(term, 'dev = TangoTest("sys/tg_test/1")')
        _run(term, "dev")
        _run(term, 'dev.read_attribute("double_scalar")')
        _run(term, 'Device("sys/tg_test/2")')
        snap(term, "console-device-devfailed.png")
    finally:
        term.close()

    term = session()
    try:  # %mon: an attribute its server does not poll is read by %mon itself; the live view
        _run(term, "%mon -a sys/tg_test/1/double_scalar -t periodic")
        _run(term, "%mon -a sys/tg_test/1/long_scalar")
        _run(term, "%mon -a sys/tg_test/1/short_scalar")
        time.sleep(8)  # a few events, so that the trend column has something to show
        _run(term, "%mon")
        snap(term, "console-mon-client-polled.png")
        term.send("C-l")
        time.sleep(1)
        term.send("%mon -w", "Enter")
        term.wait_for(r"^%mon live view")
        time.sleep(1.5)
        snap(term, "console-mon-live.png")
        term.send("q")
    finally:
        term.close()


# ---------------------------------------------------------------------------------------------
# qtconsole and the HTML representations
# ---------------------------------------------------------------------------------------------

def qtconsole_shot(env: dict[str, str], out: Path) -> None:
    probe = ROOT / "tests" / "shell" / "qtconsole_probe.py"
    shots = {
        "qtconsole.png": ("1100x900", ['dev = Device("sys/tg_test/1"); dev', 'dev.read_attribute("double_scalar")',
                                        "%mon -a sys/tg_test/1/double_scalar -t periodic",
                                        "import time; time.sleep(2.5)", "%mon"]),
        # pictures: qtconsole shows an output's PNG (the plot extra installed)
        "qtconsole-plots.png": ("900x1500", ['dev = Device("sys/tg_test/1")', 'dev.read_attribute("double_spectrum_ro")',
                                              "%mon -a sys/tg_test/1/short_scalar --period 0.3",
                                              "%mon -a sys/tg_test/1/double_scalar -t periodic",
                                              "import time; time.sleep(6)", "%mon -p"]),
    }
    for name, (size, cells) in shots.items():
        result = subprocess.run([sys.executable, str(probe), "--size", size, *cells, str(out / name)],
                                env={**env, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True,
                                timeout=180)
        if result.returncode != 0:
            raise RuntimeError("qtconsole probe failed:\n" + result.stdout + result.stderr)
        print(f"wrote screenshots/{name}")


HTML_CELLS = [
    ("Device card", 'dev = Device("sys/tg_test/1"); dev'),
    ("Attribute (scalar)", 'dev.read_attribute("double_scalar")'),
    ("Attribute (a spectrum of strings, summarised; numeric arrays are plotted: html-plots.png)",
     'dev.read_attribute("string_spectrum_ro")'),
    ("Command info", 'dev.command_query("DevString")'),
    ("DevFailed stack", 'import sys, tango_core\ntry:\n    Device("sys/tg_test/2")\nexcept tango_core.DevFailed as e:\n    err = e\nerr'),
    ("", "%mon -a sys/tg_test/1/double_scalar -t periodic\nimport time; time.sleep(3)"),
    ("%mon subscription table", "%mon"),
    ("%mon -l event log", "%mon -l tg_test double"),
]


PLOT_CELLS = [
    ("", 'dev = Device("sys/tg_test/1")'),
    ("A spectrum: dev.read_attribute(\"double_spectrum_ro\")", 'dev.read_attribute("double_spectrum_ro")'),
    ("An image with its unit: Attribute(\"sys/tg_test/1/double_image_ro\")",
     'Attribute("sys/tg_test/1/double_image_ro")'),
    ("", "%mon -a sys/tg_test/1/short_scalar --period 0.3\n%mon -a sys/tg_test/1/double_scalar -t periodic\n"
         "import time; time.sleep(8)"),
    ("%mon -p: monitored values over time (units, qualities; client-polled and events)", "%mon -p"),
    ("%mon -o events: the log as a pandas DataFrame", "%mon -o events\nevents.tail(4)"),
]


def html_view_shot(env: dict[str, str], out: Path, work: Path) -> None:
    page = _html_page(env, HTML_CELLS, "itango's text/html representations (as a Jupyter frontend renders them)")
    photograph(page, 1100, 1300, out / "html-view.png", work)
    page = _html_page(env, PLOT_CELLS, "Pictures in a notebook (the plot extra: matplotlib, pandas)")
    photograph(page, 820, 2050, out / "html-plots.png", work)


def _html_page(env: dict[str, str], cells: list[tuple[str, str]], heading: str) -> str:
    """Run ``cells`` on an itango kernel; a page of their HTML outputs (labelled sections)."""
    from jupyter_client.manager import KernelManager

    from itango.kernel import temporary_kernelspec

    old_env = dict(os.environ)
    os.environ.update(env)
    try:
        with temporary_kernelspec() as name:
            km = KernelManager(kernel_name=name)
            km.start_kernel()
        kc = km.client()
        kc.start_channels()
        sections: list[str] = []
        try:
            kc.wait_for_ready(timeout=60)
            for label, code in cells:
                msg_id = kc.execute(code)
                htmls = []
                while True:
                    msg = kc.get_iopub_msg(timeout=60)
                    if msg["parent_header"].get("msg_id") != msg_id:
                        continue
                    if msg["msg_type"] in ("execute_result", "display_data") and "text/html" in msg["content"]["data"]:
                        htmls.append(msg["content"]["data"]["text/html"])
                    if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                        break
                if htmls and label:
                    sections.append(f'<h3>{html.escape(label)}</h3>' + "".join(htmls))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    return ("<!doctype html><html><head><meta charset='utf-8'><style>body{font-family:sans-serif;"
            "margin:16px;background:#fff}h3{margin:14px 0 4px;font-size:14px;color:#555}"
            "table.dataframe{border-collapse:collapse;font-size:12px}"
            "table.dataframe td,table.dataframe th{border:1px solid #ddd;padding:2px 6px}</style></head><body>"
            f"<h2 style='margin:0 0 6px'>{html.escape(heading)}</h2>"
            + "".join(sections) + "</body></html>")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--only", choices=["console", "qtconsole", "html"], action="append")
    args = parser.parse_args()
    chromium()
    if shutil.which("tmux") is None:
        sys.exit("make_screenshots: tmux is needed (apt-get install tmux)")
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only or ["console", "qtconsole", "html"])
    with tempfile.TemporaryDirectory(prefix="itango-shots-") as tmp:
        work = Path(tmp)
        db = peers.start_pytango_database(log_dir=work)
        try:
            tg = peers.start_tangotest(db.tango_host, log_dir=work)
            try:
                os.environ["TANGO_HOST"] = db.tango_host
                import tango_core

                tg_proxy = tango_core.DeviceProxy("sys/tg_test/1")
                tg_proxy.poll_attribute("double_scalar", 500)
                tg_proxy.poll_attribute("long_scalar", 500)
                # units and labels, as a real control system has them (the plots show them)
                for attribute, unit, label in (("double_image_ro", "counts", "Beam profile"),
                                               ("short_scalar", "mA", "Beam current"),
                                               ("double_scalar", "mm", "Position")):
                    config = tg_proxy.get_attribute_config(attribute)
                    config.unit, config.label = unit, label
                    tg_proxy.set_attribute_config(config)
                env = {"TANGO_HOST": db.tango_host, "IPYTHONDIR": str(work / "ipython"),
                       "HOME": str(work), "TERM": "xterm-256color", "LANG": "C.UTF-8",
                       "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
                if "console" in only:
                    console_shots(env, out, work, db.tango_host)
                if "qtconsole" in only:
                    qtconsole_shot(env, out)
                if "html" in only:
                    html_view_shot(env, out, work)
            finally:
                tg.stop()
        finally:
            db.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
