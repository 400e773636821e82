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


@pytest.fixture
def fake_stat(tmp_path, monkeypatch):
    """/proc/stat replaced by a file the test writes; a 2-processor machine."""
    path = tmp_path / "stat"
    monkeypatch.setattr(idle_cpu, "_STAT", str(path))
    monkeypatch.setattr(idle_cpu, "_available", True)
    monkeypatch.setattr(idle_cpu, "_cpus", 2)
    monkeypatch.setattr(idle_cpu, "_state", {"next": 0.0, "answer": True, "idle": 0, "total": 0})
    return path


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
    monkeypatch.setattr(idle_cpu, "_state", {"next": 0.0, "answer": True, "idle": 0, "total": 0})
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
