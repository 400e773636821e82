"""The reply poll is skipped while the machine has no idle core (tango_core/transport/idle_cpu.py).

Why: a caller polling for its reply holds a core; on a busy machine that is the core the server
needs to make the reply.  The figure comes from /proc/stat, read at most twice a second.
"""

from __future__ import annotations

import time

import pytest

from hostile_peers import SilentServer
from tango_core.transport import idle_cpu, sync
from tango_core.transport.errors import CallTimeout
from tango_core.transport.sync import BlockingEndpoint


def _stat_line(idle: int, busy: int) -> str:
    # user nice system idle iowait irq softirq steal
    return f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n"


def _fresh_state() -> dict:
    return {"next": 0.0, "answer": True, "idle": 0, "total": 0, "used": 0.0, "at": 0.0}


@pytest.fixture
def fake_stat(tmp_path, monkeypatch):
    """/proc/stat replaced by a file the test writes; a 2-processor machine, the process may run
    on both, no CPU quota."""
    path = tmp_path / "stat"
    monkeypatch.setattr(idle_cpu, "_STAT", str(path))
    monkeypatch.setattr(idle_cpu, "_available", True)
    monkeypatch.setattr(idle_cpu, "_cpus", 2)
    monkeypatch.setattr(idle_cpu, "_state", _fresh_state())
    monkeypatch.setattr(idle_cpu, "_limits", (None, None, None, 0.0))
    return path


def _per_cpu_stat(busy_idle: list[tuple[int, int]]) -> str:
    """/proc/stat with one line per processor (busy, idle jiffies), their sum first."""
    lines = [f"cpu  {sum(b for b, _ in busy_idle)} 0 0 {sum(i for _, i in busy_idle)} 0 0 0 0 0 0"]
    lines += [f"cpu{n} {b} 0 0 {i} 0 0 0 0 0 0" for n, (b, i) in enumerate(busy_idle)]
    return "\n".join(lines + ["intr 12345 0 0", "ctxt 999"]) + "\n"


def test_only_the_processors_the_process_may_run_on_count(fake_stat, monkeypatch):
    """Pinned to cpu1 of 4 (taskset, a container's cpuset): three idle processors elsewhere do
    not make a busy cpu1 idle."""
    monkeypatch.setattr(idle_cpu, "_cpus", 4)
    monkeypatch.setattr(idle_cpu.os, "sched_getaffinity", lambda pid: {1})
    monkeypatch.setattr(idle_cpu, "_limits", None)
    fake_stat.write_text(_per_cpu_stat([(100, 1000), (100, 100), (100, 1000), (100, 1000)]))
    idle_cpu.has_idle_core(now=1.0)
    fake_stat.write_text(_per_cpu_stat([(100, 1100), (198, 102), (100, 1100), (100, 1100)]))
    assert not idle_cpu.has_idle_core(now=2.0)   # cpu1: 2 of 100 idle (the machine: 302 of 400)
    fake_stat.write_text(_per_cpu_stat([(100, 1200), (238, 162), (100, 1200), (100, 1200)]))
    assert idle_cpu.has_idle_core(now=3.0)       # cpu1: 60 of 100 idle


def _cgroup_v2(root, quota: str, usage_usec: int) -> None:
    group = root / "sys" / "fs" / "cgroup" / "box"
    group.mkdir(parents=True, exist_ok=True)
    (group / "cpu.max").write_text(f"{quota} 100000\n")
    (group / "cpu.stat").write_text(f"usage_usec {usage_usec}\nuser_usec 1\nsystem_usec 1\n")


def _cgroup_v1(root, quota_us: int, usage_ns: int) -> None:
    cpu = root / "sys" / "fs" / "cgroup" / "cpu" / "box"
    acct = root / "sys" / "fs" / "cgroup" / "cpuacct" / "box"
    for d in (cpu, acct):
        d.mkdir(parents=True, exist_ok=True)
    (cpu / "cpu.cfs_quota_us").write_text(f"{quota_us}\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    (acct / "cpuacct.usage").write_text(f"{usage_ns}\n")


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_a_cpu_quota_spent_refuses_the_poll_on_an_idle_machine(fake_stat, tmp_path, monkeypatch, version):
    """A container limited to half a core (``--cpus 0.5``) on an idle 2-processor host: while its
    processes use 0.45 core the poll is refused (0.05 core left to it), and allowed again when
    they use none."""
    cgroup = tmp_path / "cgroup"
    if version == "v2":
        cgroup.write_text("0::/box\n")
        write = lambda used_s: _cgroup_v2(tmp_path, "50000", int(used_s * 1e6))  # noqa: E731
    else:
        cgroup.write_text("12:pids:/box\n4:cpu,cpuacct:/box\n3:memory:/box\n")
        write = lambda used_s: _cgroup_v1(tmp_path, 50000, int(used_s * 1e9))  # noqa: E731
    monkeypatch.setattr(idle_cpu, "_CGROUP", str(cgroup))
    monkeypatch.setattr(idle_cpu, "_CGROUP_ROOT", str(tmp_path / "sys" / "fs" / "cgroup"))
    monkeypatch.setattr(idle_cpu, "_limits", None)
    monkeypatch.setattr(idle_cpu.os, "sched_getaffinity", lambda pid: {0, 1})
    write(10.0)
    fake_stat.write_text(_stat_line(idle=1000, busy=100))
    idle_cpu.has_idle_core(now=1.0)
    assert idle_cpu._limits[1] == pytest.approx(0.5)
    write(10.45)                                              # 0.45 core used in the last second
    fake_stat.write_text(_stat_line(idle=1180, busy=120))     # the host: 1.8 cores idle
    assert not idle_cpu.has_idle_core(now=2.0)
    write(10.45)                                              # nothing used in the next second
    fake_stat.write_text(_stat_line(idle=1360, busy=140))
    assert idle_cpu.has_idle_core(now=3.0)


@pytest.mark.parametrize("cgroup_text, files", [
    ("0::/\n", {"cpu.max": "max 100000\n"}),                        # v2, no quota
    ("4:cpu,cpuacct:/\n", {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}),  # v1, none
    ("0::/gone\n", {}),                                              # unreadable: no quota
])
def test_no_quota_is_no_limit(tmp_path, monkeypatch, cgroup_text, files):
    (tmp_path / "cgroup").write_text(cgroup_text)
    for name, text in files.items():
        (tmp_path / "root" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "root" / name).write_text(text)
    monkeypatch.setattr(idle_cpu, "_CGROUP", str(tmp_path / "cgroup"))
    monkeypatch.setattr(idle_cpu, "_CGROUP_ROOT", str(tmp_path / "root"))
    assert idle_cpu._cgroup_quota() == (None, None, 0.0)


def test_a_machine_with_an_idle_core_allows_the_poll(fake_stat):
    fake_stat.write_text(_stat_line(idle=1000, busy=1000))
    assert idle_cpu.has_idle_core(now=1.0)
    fake_stat.write_text(_stat_line(idle=1060, busy=1060))  # half the time idle: one core of two
    assert idle_cpu.has_idle_core(now=2.0)


def test_a_machine_with_every_core_busy_refuses_the_poll_until_a_core_is_idle_again(fake_stat):
    fake_stat.write_text(_stat_line(idle=1000, busy=1000))
    idle_cpu.has_idle_core(now=1.0)
    fake_stat.write_text(_stat_line(idle=1010, busy=1110))  # 10 of 120 idle: 0.17 of a core
    assert not idle_cpu.has_idle_core(now=2.0)
    fake_stat.write_text(_stat_line(idle=1100, busy=1130))  # 90 of 110 idle again
    assert not idle_cpu.has_idle_core(now=2.2)  # the answer is kept for half a second
    assert idle_cpu.has_idle_core(now=2.6)


def test_without_proc_stat_the_poll_stays_allowed(tmp_path, monkeypatch):
    monkeypatch.setattr(idle_cpu, "_STAT", str(tmp_path / "absent"))
    monkeypatch.setattr(idle_cpu, "_state", _fresh_state())
    assert idle_cpu.has_idle_core(now=5.0)


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.mark.parametrize("idle_core, polls", [(True, True), (False, False)])
def test_the_caller_polls_only_when_a_core_is_idle(monkeypatch, silent_server, idle_core, polls):
    """With a 10 ms poll window and a server that never answers, three calls cost ~20 ms of CPU
    when they poll (the 1st and the 3rd: see the poll's back-off) and almost none when the
    machine has no idle core."""
    monkeypatch.setenv("TANGO_CORE_REPLY_SPIN_US", "10000")
    monkeypatch.setattr(sync, "has_idle_core", lambda: idle_core)
    conn = BlockingEndpoint("127.0.0.1", silent_server.port)
    cpu0 = time.thread_time()
    for _ in range(3):
        with pytest.raises(CallTimeout):
            conn.invoke(b"database", "_non_existent", None, lambda r: r.read_boolean(), timeout=0.05,
                        version=(1, 0))
    cpu = time.thread_time() - cpu0
    conn.close()
    if polls:
        assert cpu >= 0.008
    else:
        assert cpu < 0.004
