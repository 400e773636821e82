"""Shell benchmarks: time to first prompt (itango vs ITango 0.3.0), TAB latency and %refreshdb
at 10,000 devices.

    python benchmarks/shell.py [--ref-venv DIR] [--rounds 8] [--devices 10000] [--json FILE]

* **Time to first prompt**: both shells run in a pseudo-terminal against the same real
  database (PyTango DB + TangoTest from tests/peers.py); the clock stops when ``In [1]:``
  appears.  Runs alternate (ours, theirs, ours, ...) so machine noise hits both alike, and
  the result is the ratio of the medians (target <= 0.6).  ITango 0.3.0 lives in a venv of
  its own (both packages are called ``itango``): ``--ref-venv`` or ``$ITANGO_REF_VENV``, else
  one is created in ``$TMPDIR/itango-bench-itango-0.3.0-venv`` with pip (itango==0.3.0,
  pytango==10.3.1 and the IPython version we run on, so that both use the same IPython).
* **10,000 devices**: registered in that database (100 servers x 100 devices, 25 classes,
  1,000 aliases) with tango_core's ``Database.add_server``; then, in an in-process shell with
  the extension loaded: ``%refreshdb`` (target < 0.5 s) and TAB latency through IPython's
  completion API for typical texts (target < 10 ms), plus the matcher alone.

Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

PROMPT = re.compile(r"In \[(?:\x1b\[[0-9;]*m)*1(?:\x1b\[[0-9;]*m)*\]:")
TARGET_RATIO = 0.6
TARGET_TAB_MS = 10.0
TARGET_REFRESH_S = 0.5


# -- time to first prompt -----------------------------------------------------------------------

def reference_venv(explicit: str | None) -> Path:
    """A venv with ITango 0.3.0 (created with pip if needed)."""
    if explicit:
        return Path(explicit)
    venv = Path(tempfile.gettempdir()) / "itango-bench-itango-0.3.0-venv"  # outside the repo
    if not (venv / "bin" / "itango").exists():
        import IPython

        print(f"creating {venv} (pip install itango==0.3.0 pytango==10.3.1 "
              f"ipython=={IPython.__version__})", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "itango==0.3.0",
                        "pytango==10.3.1", f"ipython=={IPython.__version__}"], check=True)
    return venv


def time_to_prompt(argv: list[str], env: dict[str, str], timeout: float = 30.0) -> float:
    import pexpect

    start = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=timeout,
                          dimensions=(40, 200))
    try:
        child.expect(PROMPT)
        elapsed = time.perf_counter() - start
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)
    return elapsed


def bench_first_prompt(tango_host: str, ref_venv: Path, rounds: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="itango-bench-"))
    base = dict(os.environ, TANGO_HOST=tango_host)
    base.pop("PYTHONSTARTUP", None)
    ours_env = dict(base, HOME=str(work / "ours"), IPYTHONDIR=str(work / "ours" / "ipython"),
                    PYTHONPATH=str(REPO))
    ref_env = dict(base, HOME=str(work / "ref"), IPYTHONDIR=str(work / "ref" / "ipython"))
    ref_env.pop("PYTHONPATH", None)
    for env in (ours_env, ref_env):
        Path(env["HOME"]).mkdir(parents=True)
    ours = [sys.executable, "-m", "itango"]
    ref = [str(ref_venv / "bin" / "itango")]
    time_to_prompt(ours, ours_env)  # warm-up: IPython creates its profile dir,
    time_to_prompt(ref, ref_env)    # ITango 0.3.0 writes its profile and kernelspec
    t_ours, t_ref = [], []
    for _ in range(rounds):
        t_ours.append(time_to_prompt(ours, ours_env))
        t_ref.append(time_to_prompt(ref, ref_env))
    m_ours, m_ref = statistics.median(t_ours), statistics.median(t_ref)
    return {"itango_s": t_ours, "itango_0.3.0_s": t_ref, "itango_median_s": m_ours,
            "itango_0.3.0_median_s": m_ref, "ratio": m_ours / m_ref,
            "ratio_of_minima": min(t_ours) / min(t_ref)}


# -- 10,000 devices -----------------------------------------------------------------------------

def register_devices(n_devices: int) -> float:
    """Register ``n_devices`` devices in the default database; returns the seconds it took."""
    import tango_core

    db = tango_core.Database()
    per_server = 100
    start = time.perf_counter()
    for s in range(n_devices // per_server):
        infos = []
        for m in range(per_server):
            i = s * per_server + m
            info = tango_core.DbDevInfo()
            info.name = f"bench{i % 10}/fam{(i // 10) % 50:02d}/m{i:05d}"
            info._class = f"BenchClass{i % 25}"
            info.server = f"BenchServer/s{s:03d}"
            infos.append(info)
        db.add_server(f"BenchServer/s{s:03d}", infos)
    for i in range(0, n_devices, max(1, n_devices // 1000)):
        db.put_device_alias(f"bench{i % 10}/fam{(i // 10) % 50:02d}/m{i:05d}", f"benchalias{i:05d}")
    return time.perf_counter() - start


def bench_inventory(n_devices: int) -> dict:
    from IPython.core.completer import provisionalcompleter
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from itango.completion import complete_text
    from itango.session import get_session

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell(config=config)
    shell.extension_manager.load_extension("itango")
    session = get_session(shell)
    assert session.wait_ready(60), "first load did not finish"
    assert session.inventory is not None, session.load_error
    refresh = []
    for _ in range(5):
        start = time.perf_counter()
        session.refresh()
        refresh.append(time.perf_counter() - start)
    inventory = session.inventory
    shell.run_cell("dev = Device('sys/tg_test/1')")
    texts = ['Device("', 'Device("bench3/', 'Device("bench3/fam07/', 'Device("BENCH3/FAM07/M0',
             'BenchClass7("bench', 'BenchClass7("bench2/fam', 'Device("benchalias00',
             'AttributeProxy("bench1/fam01/', 'db.import_device("bench9/fam4',
             'dev.read_attribute("double_', f'Device("tango://{session.tango_host}/bench5/fam1']
    for text in texts:  # first pass: class trees and attribute lists get cached
        complete_text(session, text)
    with provisionalcompleter():
        list(shell.Completer.completions('dev.read_attribute("double_', 27))
    per_text = {}
    for text in texts:
        ipy, matcher = [], []
        for _ in range(20):
            start = time.perf_counter()
            with provisionalcompleter():
                found = list(shell.Completer.completions(text, len(text)))
            ipy.append(time.perf_counter() - start)
            start = time.perf_counter()
            complete_text(session, text)
            matcher.append(time.perf_counter() - start)
        per_text[text] = {"n": len(found), "ipython_median_ms": statistics.median(ipy) * 1e3,
                          "ipython_max_ms": max(ipy) * 1e3,
                          "matcher_median_ms": statistics.median(matcher) * 1e3}
    shell.extension_manager.unload_extension("itango")
    return {"devices_in_inventory": len(inventory), "refreshdb_s": refresh,
            "refreshdb_median_s": statistics.median(refresh), "tab": per_text,
            "tab_worst_median_ms": max(v["ipython_median_ms"] for v in per_text.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref-venv", default=os.environ.get("ITANGO_REF_VENV"),
                        help="venv holding ITango 0.3.0 (default: create one)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--skip-prompt", action="store_true", help="only the 10k-device part")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    import peers

    results: dict = {}
    ok = True
    try:
        db = peers.start_pytango_database()
        peers.start_tangotest(db.tango_host)
        os.environ["TANGO_HOST"] = db.tango_host
        if not args.skip_prompt:
            prompt = bench_first_prompt(db.tango_host, reference_venv(args.ref_venv), args.rounds)
            results["first_prompt"] = prompt
            good = prompt["ratio"] <= TARGET_RATIO
            ok &= good
            print(f"time to first prompt: itango {prompt['itango_median_s'] * 1e3:.0f} ms, "
                  f"ITango 0.3.0 {prompt['itango_0.3.0_median_s'] * 1e3:.0f} ms (medians of "
                  f"{args.rounds}); ratio {prompt['ratio']:.2f} (minima {prompt['ratio_of_minima']:.2f})"
                  f" -> {'OK' if good else 'MISSED'} (target <= {TARGET_RATIO})")
        results["register_s"] = register_devices(args.devices)
        print(f"registered {args.devices} devices in {results['register_s']:.1f} s")
        inv = bench_inventory(args.devices)
        results["inventory"] = inv
        good = inv["refreshdb_median_s"] < TARGET_REFRESH_S
        ok &= good
        print(f"%refreshdb with {inv['devices_in_inventory']} devices: median "
              f"{inv['refreshdb_median_s'] * 1e3:.0f} ms -> {'OK' if good else 'MISSED'} "
              f"(target < {TARGET_REFRESH_S * 1e3:.0f} ms)")
        for text, r in inv["tab"].items():
            print(f"  TAB {text!r:52} {r['n']:4d} results  IPython {r['ipython_median_ms']:6.2f} ms "
                  f"(max {r['ipython_max_ms']:6.2f})  matcher {r['matcher_median_ms']:6.2f} ms")
        good = inv["tab_worst_median_ms"] < TARGET_TAB_MS
        ok &= good
        print(f"TAB latency, worst median: {inv['tab_worst_median_ms']:.2f} ms -> "
              f"{'OK' if good else 'MISSED'} (target < {TARGET_TAB_MS:.0f} ms)")
    finally:
        peers.stop_all()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
