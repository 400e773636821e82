"""Running one piece of test code in many threads at once and collecting what went wrong, so a
test asserts on the errors of all its threads (an exception in a thread otherwise only prints)."""

from __future__ import annotations

import threading
from typing import Callable


def run_in_threads(work: Callable[[int], object], count: int, timeout: float) -> list[BaseException]:
    """Runs ``work(0)`` ... ``work(count - 1)`` each in its own thread, all started before any is
    waited for; waits up to ``timeout`` seconds for each thread in turn.  Returns what the calls
    raised, and a TimeoutError for each thread still running after its wait."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - collected for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [TimeoutError(f"{t.name} still running after {timeout} s") for t in threads if t.is_alive()]
    return errors + stuck
