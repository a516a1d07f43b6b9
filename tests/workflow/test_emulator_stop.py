"""Nothing of an emulator's runs goes on after it stops.

moto's backends are process-wide, so an execution thread that outlived ``Emulator.stop`` would write
into the next emulator's fresh backend (seen once under load: a Distributed Map's result file of one
fault-matrix case in the next case's bucket). Stopping mid-run must stop the run and join its threads.
"""

from __future__ import annotations

import time

import pytest
from workflow_support import demo_input

from bedrock_customize.emulator import Emulator, EmulatorConfig, region_for_model

pytestmark = pytest.mark.workflow


def _config() -> EmulatorConfig:
    return EmulatorConfig.scenario("better", region=region_for_model(demo_input()["BaseModelIdentifier"]))


def test_an_emulator_stopped_mid_run_leaves_no_thread_and_writes_nothing_into_the_next():
    from moto.stepfunctions.parser.utils import TMP_THREADS

    first = Emulator(_config())
    first.start()
    try:
        first.upload_sample()
        arn = first.start_run(demo_input())
        deadline = time.monotonic() + 300
        while not first.child_executions() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert first.child_executions(), "the run never reached its evaluation"
    finally:
        first.stop(timeout=0.0)
    assert not [t for t in TMP_THREADS if t.is_alive()], "an interpreter thread outlived the emulator"
    assert arn

    second = Emulator(_config())
    second.start()
    try:
        bucket = second.deployment.buckets["artifacts"]
        s3 = second.client("s3")
        time.sleep(2.0)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == [], f"the stopped emulator's run wrote into the next one: {keys}"
    finally:
        second.stop()
