"""Database servers side by side: ours (tango_core.databaseds on sqlite) vs PyTango 10.3.1's
sqlite DataBaseds, with Debian's C++ DataBaseds on MariaDB as a third column, in one run.

    python benchmarks/databaseds.py [--devices N] [--rounds R] [--batch K] [--skip-cpp]

Each server gets a fresh database holding N devices (default 10,000: 100 servers of 100
devices, every device exported, 20 properties on one of them), then every operation is timed
in rounds that cycle through the servers (ours, PyTango's, C++, ours, ...), so machine noise
hits all alike; a round times a batch of K calls made with PyTango's client (one client for
all, so the figures compare the servers).  Besides the wall time of a call (client included)
the server's own CPU time per call is reported (its processes' CPU time over the rounds,
MariaDB's included for the C++ server): where the shared client's work dominates a call (big
replies), that is what tells the servers apart.  Start-up is the time from spawning the server
process on its populated file to the first answered DbInfo (sent on a plain socket), median of a
few restarts.
Targets (issue 10): every figure <= 0.5x PyTango's and <= 1.5x the C++ server's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

OURS, PY, CPP = "ours", "PyTango", "C++"
PROPS = [f"prop{i:02d}" for i in range(20)]
INVENTORY = "SELECT name, alias, server, class, exported FROM device ORDER BY name"


def populate(proxy: Any, devices: int) -> str:
    """Register ``devices`` devices (servers of 100), export them all, put 20 properties on the
    first; returns a device name in the middle, the one the import benchmark asks for."""
    per_server = 100
    names = []
    for s in range((devices + per_server - 1) // per_server):
        argin = [f"BenchServer/s{s:03d}"]
        for i in range(min(per_server, devices - s * per_server)):
            name = f"bench/family{s:03d}/member{i:03d}"
            names.append(name)
            argin += [name, "BenchClass"]
        proxy.command_inout("DbAddServer", argin)
    ior = "IOR:" + "0" * 300
    for name in names:
        proxy.command_inout("DbExportDevice", [name, ior, "benchhost", "4242", "6"])
    put = [names[0], str(len(PROPS))]
    for p in PROPS:
        put += [p, "1", f"value of {p}"]
    proxy.command_inout("DbPutDeviceProperty", put)
    return names[len(names) // 2]


def time_batch(fn: Callable[[], Any], batch: int) -> float:
    t0 = time.perf_counter()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - t0) / batch


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system, all threads) the processes ``pids`` have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def compare(calls: dict[str, Callable[[], Any]], rounds: int, batch: int,
            pids: dict[str, list[int]]) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds per call of each server's callable, rounds rotating the order; and the
    server's CPU seconds per call (its processes, the C++ server's MariaDB included) over all
    rounds."""
    for fn in calls.values():
        fn()  # warm up
    samples: dict[str, list[float]] = {k: [] for k in calls}
    cpu = dict.fromkeys(calls, 0.0)
    order = list(calls)
    for r in range(rounds):
        for name in order[r % len(order):] + order[:r % len(order)]:
            c0 = cpu_seconds(pids[name])
            samples[name].append(time_batch(calls[name], batch))
            cpu[name] += cpu_seconds(pids[name]) - c0
    return ({k: statistics.median(v) for k, v in samples.items()},
            {k: v / (rounds * batch) for k, v in cpu.items()})


def db_info_answers(tango_host: str, timeout: float = 10.0) -> bool:
    """Whether a DbInfo sent (IDL-1 command_inout to the key ``database``, on a fresh plain
    socket) is answered without error.  No client library: cppTango's client, once a connection
    to a device failed, refuses to try again within 1 s, which would round every start-up up."""
    import socket

    from tango_core.idl.command_any import encode_command_any
    from tango_core.idl.enums import CmdArgType
    from tango_core.wire.giop import MessageReader, ReplyStatus, build_request

    host, port = tango_host.rsplit(":", 1)
    request = build_request(1, b"database", "command_inout",
                            lambda w: (w.write_string("DbInfo"), encode_command_any(w, CmdArgType.DevVoid, None)))
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(request)
            reader = MessageReader()
            while (reply := reader.next_message()) is None:
                chunk = sock.recv(65536)
                if not chunk:
                    return False
                reader.feed(chunk)
    except OSError:
        return False
    return reply.status == ReplyStatus.NO_EXCEPTION


def startup(peer: Any, times: int, pycache: Path) -> float:
    """Median seconds from spawning the server's process (on its populated database) to its
    first answered DbInfo (:func:`db_info_answers`, tried every 5 ms); the peer is stopped first
    and left stopped.  Python servers get their bytecode cached as an installed package has it
    (``PYTHONPYCACHEPREFIX``, written by one untimed start), even where the environment says
    ``PYTHONDONTWRITEBYTECODE``: otherwise every start would compile its modules again."""
    import subprocess

    import peers

    peer.kill()  # the process only: the C++ server's MariaDB stays up
    env = dict(peer.env if peer.env is not None else os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    out = []
    for k in range(times + 1):
        t0 = time.perf_counter()
        proc = subprocess.Popen(peer.argv, env=env, cwd=peer.cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not db_info_answers(peer.tango_host):
                if time.perf_counter() > t0 + 60 or proc.poll() is not None:
                    raise RuntimeError(f"{peer.name} did not start")
                time.sleep(0.005)
            if k:  # the first start writes the bytecode cache
                out.append(time.perf_counter() - t0)
        finally:
            peers.stop_process(proc)
    return statistics.median(out)


def demo_first_prompt(times: int, pycache: Path) -> float:
    """Median seconds from running ``itango --demo`` (in a pty) to its first prompt, which waits
    for the demo's database server to listen; bytecode cached as for :func:`startup`."""
    import re
    import subprocess

    import pexpect

    prompt = re.compile(r"In \[(?:\x1b\[[0-9;]*m)*1(?:\x1b\[[0-9;]*m)*\]:")
    home = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "TANGO_HOST", "PYTHONSTARTUP")}
    env.update(PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=str(pycache), HOME=str(home), IPYTHONDIR=str(home / "ipython"))
    out = []
    for k in range(times + 1):
        t0 = time.perf_counter()
        child = pexpect.spawn(sys.executable, ["-m", "itango", "--demo"], env=env, encoding="utf-8", timeout=60,
                              dimensions=(40, 200))
        try:
            child.expect(prompt)
            if k:  # the first start writes the bytecode cache and IPython's profile
                out.append(time.perf_counter() - t0)
            child.sendline("exit")
            child.expect(pexpect.EOF)
        finally:
            if child.isalive():
                child.terminate(force=True)
    subprocess.run(["rm", "-rf", str(home)], check=False)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--startups", type=int, default=3)
    parser.add_argument("--skip-cpp", action="store_true", help="no C++ DataBaseds/MariaDB column")
    args = parser.parse_args()

    import tango  # the reference client (a test peer), used for all three servers

    import peers

    logs = Path(tempfile.mkdtemp(prefix="bench-databaseds-"))
    servers = {OURS: peers.start_our_database(log_dir=logs), PY: peers.start_pytango_database(log_dir=logs)}
    if not args.skip_cpp:
        servers[CPP] = peers.start_cpp_database(log_dir=logs / "cpp")
    try:
        proxies = {}
        target = {}

        def fill(name: str, peer: Any) -> None:  # the servers are filled at the same time
            proxy = tango.DeviceProxy(f"tango://{peer.tango_host}/sys/database/2")
            proxy.set_timeout_millis(60_000)
            t0 = time.perf_counter()
            target[name] = populate(proxy, args.devices)
            print(f"# {name}: {args.devices} devices registered and exported in {time.perf_counter() - t0:.1f} s",
                  flush=True)
            proxies[name] = tango.DeviceProxy(f"tango://{peer.tango_host}/sys/database/2")
            proxies[name].set_timeout_millis(60_000)

        import threading
        fillers = [threading.Thread(target=fill, args=item) for item in servers.items()]
        for t in fillers:
            t.start()
        for t in fillers:
            t.join()
        assert len(proxies) == len(servers), "a server could not be filled"
        first = {name: "bench/family000/member000" for name in servers}
        ops: list[tuple[str, Callable[[str], Callable[[], Any]], int]] = [
            ("DbImportDevice", lambda n: lambda: proxies[n].command_inout("DbImportDevice", target[n]), args.batch),
            ("DbGetDeviceExportedList *", lambda n: lambda: proxies[n].command_inout("DbGetDeviceExportedList", "*"),
             max(args.batch // 10, 1)),
            ("DbGetDeviceProperty (20 props)",
             lambda n: lambda: proxies[n].command_inout("DbGetDeviceProperty", [first[n], *PROPS]), args.batch),
            ("DbPutDeviceProperty (1 prop)",
             lambda n: lambda: proxies[n].command_inout("DbPutDeviceProperty",
                                                        [target[n], "1", "benchprop", "1", "42"]), args.batch),
            ("shell inventory (DbMySqlSelect)",
             lambda n: lambda: proxies[n].command_inout("DbMySqlSelect", INVENTORY), max(args.batch // 10, 1)),
        ]
        pids = {n: [p.pid, *(c.pid for c in p.companions)] for n, p in servers.items()}
        results: list[tuple[str, dict[str, float]]] = []
        cpu_results: list[tuple[str, dict[str, float]]] = []
        for label, make, batch in ops:
            wall, cpu = compare({n: make(n) for n in servers}, args.rounds, batch, pids)
            results.append((label, wall))
            cpu_results.append((label, cpu))
            print("# " + " ".join(f"{n} {v * 1e3:.3f} ms (server CPU {cpu[n] * 1e3:.3f} ms)"
                                  for n, v in wall.items()) + f"  {label}", flush=True)
        starts = {}
        for name, peer in servers.items():
            starts[name] = startup(peer, args.startups, logs / "pycache")
            print(f"# {name} start-up {starts[name] * 1e3:.0f} ms", flush=True)
        results.append(("server start-up (to first DbInfo)", starts))
        demo = demo_first_prompt(args.startups, logs / "pycache")
        print("\nper call, as the client sees it (wall time):")
        report(results, args)
        print("\nper call, the server's CPU time (its processes; the C++ server's MariaDB included):")
        report(cpu_results, args)
        print(f"itango --demo, first prompt (median of {args.startups}): {demo * 1e3:.0f} ms (target < 2000 ms)")
    finally:
        for peer in servers.values():
            peer.stop()


def report(results: list[tuple[str, dict[str, float]]], args: argparse.Namespace) -> None:
    names = [OURS, PY] + ([CPP] if not args.skip_cpp else [])
    print(f"{args.devices} devices; medians of {args.rounds} rotating rounds (start-up: {args.startups} restarts)")
    head = f"{'operation':36s}" + "".join(f"{n:>12s}" for n in names) + f"{'/PyTango':>10s}"
    head += f"{'/C++':>8s}" if CPP in names else ""
    print(head + "  targets (<=0.5x, <=1.5x)")
    for label, row in results:
        line = f"{label:36s}" + "".join(f"{row[n] * 1e3:10.3f}ms" for n in names)
        ok = []
        r_py = row[OURS] / row[PY]
        line += f"{r_py:9.2f}x"
        ok.append("ok" if r_py <= 0.5 else "MISSED")
        if CPP in names:
            r_cpp = row[OURS] / row[CPP]
            line += f"{r_cpp:7.2f}x"
            ok.append("ok" if r_cpp <= 1.5 else "MISSED")
        print(line + "  " + "/".join(ok))


if __name__ == "__main__":
    os.environ.pop("TANGO_HOST", None)
    main()
