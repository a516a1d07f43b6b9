"""Runs that end without their own cleanup: stopped by hand while the throughput is being bought.

``StopExecution`` skips every ``Catch``, so ``ReleaseAfterFailure`` never runs. The module's
EventBridge rule (``run-stopped.event-pattern.json.tftpl``, rendered from the same template as
``main.tf``) sends the parent's status-change event to ``release_stopped_run``, which must
delete exactly the stopped run's throughput and nothing of another run.
"""

from __future__ import annotations

import json
import time

import pytest
from workflow_support import demo_input

from bedrock_customize.emulator.core import RUN_ID_TAG

pytestmark = pytest.mark.workflow

WORKFLOW_TAG = "bedrock-customize:workflow"


def _wait_for_throughput(emu, run_id: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [pt for pt in emu.world.throughputs.values() if pt.tags.get(RUN_ID_TAG) == run_id]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never bought a throughput")


def _stopped_run(emulator_factory, **config):
    # The throughput never leaves Creating and each poll waits: the run sits in WaitForThroughput.
    emu = emulator_factory(
        "better", throughput_outcome="never_in_service", wait_scale=0.01, throughput_max_polls=1000, **config
    )
    emu.upload_sample()
    arn = emu.start_run(demo_input(), name="run-stopped-by-hand")
    throughput = _wait_for_throughput(emu, "run-stopped-by-hand")
    return emu, arn, throughput


def test_stopping_a_run_by_hand_releases_its_throughput(emulator_factory):
    emu, arn, throughput = _stopped_run(emulator_factory)
    # A throughput of another run of the same workflow must survive.
    other = emu.world.create_throughput(
        emu.config.region,
        emu.config.account_id,
        {
            "modelUnits": 1,
            "provisionedModelName": "someone-elses-pt",
            "modelId": throughput.model_arn,
            "tags": [
                {"key": RUN_ID_TAG, "value": "another-run"},
                {"key": WORKFLOW_TAG, "value": throughput.tags[WORKFLOW_TAG]},
            ],
        },
    )["provisionedModelArn"]

    emu.client("stepfunctions").stop_execution(executionArn=arn, error="Operator", cause="stopped from the console")
    description = emu.wait(arn, timeout=120)
    summary = emu.summary(arn)

    assert description["status"] == "ABORTED"
    assert "ReleaseAfterFailure" not in emu.entered_states(arn)  # no Catch ran: only the safety net can help
    assert throughput.deleted and summary["leaked_throughputs"] == 0
    assert not emu.world.throughputs[other].deleted
    invocations = [i for i in emu.wait_for_async_invocations() if i["function"].endswith("release-stopped-run")]
    assert [i.get("error") for i in invocations] == [None]
    assert invocations[0]["result"]["Status"] == "ABORTED"
    assert invocations[0]["result"]["Released"] == [throughput.arn]


def test_a_run_that_failed_and_released_is_left_alone_by_the_safety_net(emulator_factory):
    emu = emulator_factory("better", throughput_outcome="Failed")
    emu.upload_sample()
    arn = emu.start_run(demo_input(), name="run-failed-cleanly")
    assert emu.wait(arn, timeout=120)["status"] == "FAILED"
    summary = emu.summary(arn)
    assert summary["release"] == "DELETED" and summary["leaked_throughputs"] == 0
    invocations = [i for i in emu.wait_for_async_invocations() if i["function"].endswith("release-stopped-run")]
    assert len(invocations) == 1 and "error" not in invocations[0]
    assert invocations[0]["result"] == {
        "RunId": "run-failed-cleanly",
        "Status": "FAILED",
        "Released": [],
        "Refused": [],
        "AlreadyGone": [],
    }


def test_a_succeeded_run_never_reaches_the_safety_net(emulator_factory):
    emu = emulator_factory("better")
    emu.upload_sample()
    arn = emu.start_run(demo_input(), name="run-kept")
    assert emu.wait(arn, timeout=300)["status"] == "SUCCEEDED"
    assert emu.summary(arn)["release"] == "KEPT"
    assert [i for i in emu.wait_for_async_invocations() if i["function"].endswith("release-stopped-run")] == []
    kept = [pt for pt in emu.world.throughputs.values() if pt.tags.get(RUN_ID_TAG) == "run-kept"]
    assert len(kept) == 1 and not kept[0].deleted


def test_the_scheduled_sweep_catches_a_lost_status_event_and_spares_a_kept_winner(emulator_factory):
    emu, arn, throughput = _stopped_run(emulator_factory)
    events = emu.client("events")
    rule = f"{emu.config.name_prefix}-run-stopped"
    # The status-change event is best-effort: simulate its loss.
    events.remove_targets(Rule=rule, Ids=["release-stopped-run"])
    emu.client("stepfunctions").stop_execution(executionArn=arn)
    assert emu.wait(arn, timeout=120)["status"] == "ABORTED"
    assert not throughput.deleted  # nothing released it yet

    # A kept winner of the same workflow (a succeeded run) must survive every sweep.
    emu.config.throughput_outcome = "InService"
    winner_arn = emu.start_run(demo_input(), name="run-winner-kept")
    assert emu.wait(winner_arn, timeout=300)["status"] == "SUCCEEDED"
    [winner] = [pt for pt in emu.world.throughputs.values() if pt.tags.get(RUN_ID_TAG) == "run-winner-kept"]

    # What the module's schedule rule sends (main.tf aws_cloudwatch_event_target.stopped_run_sweep).
    response = emu.client("lambda").invoke(
        FunctionName=emu.deployment.function_names["release_stopped_run"],
        Payload=json.dumps({"Sweep": True, "StateMachineArn": emu.deployment.parent_arn}),
    )
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    assert result["Released"] == [throughput.arn]
    assert throughput.deleted and emu.summary(arn)["leaked_throughputs"] == 0
    assert not winner.deleted and winner.status == "InService"


# The "Step Functions Execution Status Change" event as Step Functions sends it to the default bus, per
# "EventBridge (CloudWatch Events) for Step Functions execution status changes", section "Step Functions
# event examples" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html): source aws.states,
# the execution ARN in resources, and in detail executionArn, stateMachineArn, name, status, startDate and
# stopDate (epoch milliseconds), input/output with their inputDetails/outputDetails, error and cause.
# EventBridge's put_events adds the envelope (version, id, account, time, region).
ENDED_BADLY = ("ABORTED", "TIMED_OUT", "FAILED")


def _status_change_entry(parent_arn: str, run_id: str, status: str, started_ms: int) -> dict:
    _, _, _, region, account, _, machine = parent_arn.split(":")
    execution_arn = f"arn:aws:states:{region}:{account}:execution:{machine}:{run_id}"
    detail = {
        "executionArn": execution_arn,
        "stateMachineArn": parent_arn,
        "name": run_id,
        "status": status,
        "startDate": started_ms,
        "stopDate": started_ms + 60_000,
        "input": json.dumps(demo_input()),
        "output": json.dumps({"done": True}) if status == "SUCCEEDED" else None,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if status == "SUCCEEDED" else None,
        "error": {"TIMED_OUT": "States.Timeout", "FAILED": "RunFailed.ThroughputFailed"}.get(status),
        "cause": None,
    }
    return {
        "Source": "aws.states",
        "DetailType": "Step Functions Execution Status Change",
        "Resources": [execution_arn],
        "Detail": json.dumps(detail),
    }


def test_the_rule_sends_every_status_a_run_ends_without_its_cleanup_to_the_safety_net(emulator_factory):
    """The module sets no execution timeout, so no emulated run ever times out: the rule is proved by the
    events Step Functions sends for each terminal status, on the bus the module's rule listens to. A run
    that ended ABORTED, TIMED_OUT or FAILED has its throughput released; a SUCCEEDED run keeps its own."""
    emu = emulator_factory("better")
    assert emu.deployment is not None
    workflow = emu.deployment.parent_arn.split(":")[6]
    started_ms = int(time.time() * 1000) - 60_000
    planted = {}
    for status in (*ENDED_BADLY, "SUCCEEDED"):
        run_id = f"run-ended-{status.lower().replace('_', '-')}"
        planted[status] = emu.world.create_throughput(
            emu.config.region,
            emu.config.account_id,
            {
                "modelUnits": 1,
                "provisionedModelName": f"{run_id}-pt",
                "modelId": f"arn:aws:bedrock:{emu.config.region}:{emu.config.account_id}:custom-model/x/{run_id}",
                "tags": [{"key": RUN_ID_TAG, "value": run_id}, {"key": WORKFLOW_TAG, "value": workflow}],
            },
        )["provisionedModelArn"]

    events = emu.client("events")
    for status in (*ENDED_BADLY, "SUCCEEDED"):
        run_id = f"run-ended-{status.lower().replace('_', '-')}"
        response = events.put_events(
            Entries=[_status_change_entry(emu.deployment.parent_arn, run_id, status, started_ms)]
        )
        assert response["FailedEntryCount"] == 0, response
    invocations = [i for i in emu.wait_for_async_invocations() if i["function"].endswith("release-stopped-run")]

    reached = {i["result"]["Status"]: i["result"] for i in invocations if "error" not in i}
    assert [i.get("error") for i in invocations] == [None] * len(invocations), invocations
    assert sorted(reached) == sorted(ENDED_BADLY), f"the rule sent {sorted(reached)} to release_stopped_run"
    for status in ENDED_BADLY:
        assert reached[status]["Released"] == [planted[status]], reached[status]
        assert emu.world.throughputs[planted[status]].deleted, status
    assert not emu.world.throughputs[planted["SUCCEEDED"]].deleted  # a kept winner is never the net's
