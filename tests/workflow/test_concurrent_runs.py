"""Concurrent runs on one emulator: every run's asynchronous invocation is seen, and nothing races.

Each run fails at ValidateInput (no data uploaded), so it ends within a fraction of a second; its
status-change event then triggers ``release_stopped_run`` asynchronously (the module's EventBridge rule).
Several runs end at the same moment, callers wait for them from several threads, and another thread
keeps calling ``wait_for_async_invocations`` meanwhile, as a second test thread or the CLI would.
Every round must give every run exactly one completed invocation by the time ``wait`` returns for it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from workflow_support import demo_input

from bedrock_customize.emulator import Emulator, EmulatorConfig, moto_patches, region_for_model

pytestmark = pytest.mark.workflow

ROUNDS = 5
RUNS_PER_ROUND = 6


def _invocations_of(emu: Emulator, run_name: str) -> list[dict]:
    return [
        i
        for i in emu.wait_for_async_invocations(timeout=0.0)
        if i["function"].endswith("release-stopped-run") and (i["event"].get("detail") or {}).get("name") == run_name
    ]


def test_concurrent_runs_each_see_their_own_async_invocation():
    errors: list[BaseException] = []
    stop = threading.Event()
    with Emulator(
        EmulatorConfig.scenario("better", region=region_for_model(demo_input()["BaseModelIdentifier"]))
    ) as emu:

        def keep_waiting() -> None:
            while not stop.is_set():
                try:
                    emu.wait_for_async_invocations(timeout=1.0)
                except BaseException as exc:  # noqa: BLE001 - reported by the test below
                    errors.append(exc)
                    return

        def one_run(name: str) -> tuple[str, str, int, list[str]]:
            arn = emu.start_run(demo_input(), name=name)
            status = emu.wait(arn, timeout=60, poll=0.002)["status"]
            seen = _invocations_of(emu, name)
            return name, status, len(seen), [i.get("error") or "" for i in seen if "result" not in i]

        waiters = [threading.Thread(target=keep_waiting, daemon=True) for _ in range(2)]
        for waiter in waiters:
            waiter.start()
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(RUNS_PER_ROUND) as pool:
                for round_ in range(ROUNDS):
                    names = [f"stress-{round_}-{i}" for i in range(RUNS_PER_ROUND)]
                    outcomes = list(pool.map(one_run, names))
                    assert errors == [], errors
                    assert outcomes == [(name, "FAILED", 1, []) for name in names], f"round {round_}"
        finally:
            stop.set()
            for waiter in waiters:
                waiter.join(10)
        assert errors == []
        assert time.monotonic() - started < 120  # bounded: a hang is a failure, not a slow pass
        # Every run ended and was released: nothing is left running in the background.
        assert all(not t.is_alive() for t in moto_patches.ASYNC_THREADS)
