"""Drive qtconsole's RichJupyterWidget against an itango kernel, headless, and report what it shows.

Usage: python qtconsole_probe.py [--size WIDTHxHEIGHT] CODE [CODE ...] OUTPUT.png

Each CODE cell is executed in turn (waiting for its reply); then the widget's visible text is
printed on stdout, followed by one line ``images: WxH ...`` with the size of every image the
widget shows (plots), and the window is grabbed to OUTPUT.png.  Used by test_qtconsole.py and by
screenshots/make_screenshots.py.  Needs QT_QPA_PLATFORM=offscreen without a display.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _pump(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _image_sizes(widget) -> list[tuple[int, int]]:
    """(width, height) of each image in the widget's document, in order."""
    sizes = []
    block = widget._control.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                image = widget._get_image(fmt.toImageFormat().name())
                sizes.append((image.width(), image.height()))
            it += 1
        block = block.next()
    return sizes


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    width, height = 1000, 700
    if argv[0] == "--size":
        width, height = (int(n) for n in argv[1].split("x"))
        argv = argv[2:]
    *cells, png = argv
    from qtconsole.manager import QtKernelManager
    from qtconsole.rich_jupyter_widget import RichJupyterWidget
    from qtpy.QtWidgets import QApplication

    from itango.kernel import temporary_kernelspec

    app = QApplication.instance() or QApplication([])
    with temporary_kernelspec() as name:
        km = QtKernelManager(kernel_name=name)
        km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        widget = RichJupyterWidget()
        widget.kernel_manager, widget.kernel_client = km, kc
        widget.resize(width, height)
        widget.show()
        done: list[object] = []
        widget.executed.connect(done.append)
        deadline = time.monotonic() + 60  # the kernel is ready once the first prompt is drawn
        while "In [" not in widget._control.toPlainText() and time.monotonic() < deadline:
            _pump(app, 0.1)
        for code in cells:
            before = len(done)
            widget.execute(code)
            deadline = time.monotonic() + 60
            while len(done) == before and time.monotonic() < deadline:
                _pump(app, 0.05)
            if len(done) == before:
                print(f"no reply to {code!r} within 60 s", file=sys.stderr)
                return 1
            _pump(app, 0.7)  # let the iopub output (display data) render
        print(widget._control.toPlainText())
        print("images:", " ".join(f"{w}x{h}" for w, h in _image_sizes(widget)))
        ok = widget.grab().save(png)
        return 0 if ok else 1
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
