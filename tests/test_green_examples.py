"""The asyncio examples, run as a user runs them.

* ``python examples/tcp_gateway.py`` -- lines ``device/attribute`` over TCP, values back, many
  clients at once;
* ``python examples/thermostat.py demo -nodb ...`` -- an asyncio device server polling a simulated
  instrument with ``async def`` code, used with tango_core's asyncio client and PyTango's.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import tango_core
from peers import stop_process

ROOT = Path(__file__).resolve().parents[1]


def _start_gateway(tango_host: str) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, TANGO_HOST=tango_host, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(ROOT / "examples" / "tcp_gateway.py"), "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    match = re.match(r"Tango gateway serving on 127\.0\.0\.1:(\d+)$", line.strip())
    if not match:
        proc.kill()
        raise AssertionError(f"the gateway did not start: {line}{proc.stdout.read()}")
    return proc, int(match.group(1))


async def _ask(port: int, lines: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    for line in lines:
        writer.write((line + "\n").encode())
        await writer.drain()
        answers.append((await asyncio.wait_for(reader.readline(), 20)).decode().rstrip("\n"))
    writer.close()
    return answers


def test_tcp_gateway_answers_values_states_and_errors_to_many_clients(tango_host):
    proc, port = _start_gateway(tango_host)
    try:
        dev = tango_core.DeviceProxy("sys/tg_test/1")
        dev.write_attribute("ampli", 2.5)
        answers = asyncio.run(_ask(port, ["sys/tg_test/1/ampli", "sys/tg_test/1/state", "sys/tg_test/1/nope",
                                          "sys/tg_test/99/ampli", "nonsense", "sys/tg_test/1/long_spectrum_ro"]))
        assert answers[0] == "2.5"
        assert answers[1] == "RUNNING"
        assert answers[2] == "DevFailed: API_AttrNotFound: nope attribute not found", answers[2]
        assert answers[3].startswith("DevFailed: DB_DeviceNotDefined: "), answers[3]
        assert answers[4] == "error: expected domain/family/member/attribute"
        assert answers[5].startswith("[") and answers[5].endswith("]")

        async def many():
            lines = [f"sys/tg_test/1/{name}" for name in ("ampli", "state", "status", "short_scalar_w")] * 5
            return await asyncio.gather(*(_ask(port, lines) for _ in range(50)))

        results = asyncio.run(many())
        assert len(results) == 50
        for answers in results:
            assert answers[0::4] == ["2.5"] * 5
            assert answers[1::4] == ["RUNNING"] * 5
            assert all(not a.startswith(("DevFailed", "error")) for a in answers), answers
    finally:
        stop_process(proc, signal.SIGINT)


def test_asyncio_thermostat_server_example():
    import time

    import tango  # a test peer: PyTango's client sees the same device

    import peers
    import tango_core.asyncio

    port = peers.free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TANGO_HOST", None)
    proc = subprocess.Popen([sys.executable, "thermostat.py", "demo", "-nodb", "-port", str(port), "-dlist",
                             "lab/thermostat/1"], cwd=ROOT / "examples", env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    name = f"tango://127.0.0.1:{port}/lab/thermostat/1#dbase=no"
    try:
        assert proc.stdout.readline().strip() == "Ready to accept request"

        async def main():
            dev = await tango_core.asyncio.DeviceProxy(name)
            assert await dev.state() == tango_core.DevState.ON
            assert await dev.setpoint == 20.0
            await dev.write_attribute("setpoint", 40.0)
            # many requests at once: the server serves them concurrently (they wait for the
            # instrument in the device's coroutines), every answer is the instrument's
            readings = await asyncio.gather(*(dev.read_attribute("setpoint") for _ in range(40)))
            assert {r.value for r in readings} == {40.0}
            seen = []
            warming = asyncio.Event()

            async def on_change(event):
                if not event.err:
                    seen.append(event.attr_value.value)
                    if len(seen) >= 4:
                        warming.set()

            event_id = await dev.subscribe_event("temperature", tango_core.EventType.CHANGE_EVENT, on_change)
            await asyncio.wait_for(warming.wait(), 10)
            await dev.unsubscribe_event(event_id)
            return seen, await dev.Queries()

        seen, queries = asyncio.run(main())
        assert seen == sorted(seen) and 20.0 <= seen[0] < seen[-1] <= 40.0, seen  # warming up
        assert queries >= 40
        theirs = tango.DeviceProxy(name)
        temperatures = []
        for _ in range(3):
            temperatures.append(theirs.temperature)
            time.sleep(0.3)
        assert temperatures == sorted(temperatures) and temperatures[-1] > seen[0]
        assert theirs.read_attribute("setpoint").value == 40.0
    finally:
        stop_process(proc, signal.SIGINT)
