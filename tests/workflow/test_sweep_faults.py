"""The sweep's fault matrix: every scenario ends with 0 leaked throughputs and deployments.

Leaks are computed by ``Emulator.summary`` from the emulated account (a sweep may keep only the
winner's resource, tag ``bedrock-customize:candidate``, and only when the run succeeded), not from
what the workflow reports.
"""

from __future__ import annotations

import time

import pytest
from test_sweep import CANDIDATES, NOVA_2_LITE, QUALITIES, by_name, sweep_input

from bedrock_customize.emulator import EmulatorConfig
from bedrock_customize.emulator.core import RUN_ID_TAG
from bedrock_customize.emulator.faults import apply_faults

pytestmark = pytest.mark.workflow


def start(emulator_factory, faults, base_model=None, **overrides):
    config = apply_faults(EmulatorConfig.scenario("better", candidate_qualities=dict(QUALITIES)), faults)
    values = {name: getattr(config, name) for name in config.__dataclass_fields__}
    values.update(overrides)
    values.pop("region", None)  # the factory puts the emulator where the base model is customized
    emu = emulator_factory("better", base_model=base_model, **values)
    emu.upload_sample(base_model)
    return emu


def on_demand(**extra):
    return sweep_input(BaseModelIdentifier=NOVA_2_LITE, HyperParameters={"epochCount": "2"}, **extra)


def assert_no_leak(summary):
    assert summary["leaked_throughputs"] == 0, summary
    assert summary["leaked_deployments"] == 0, summary


@pytest.mark.parametrize("path", ["provisioned", "on_demand"])
def test_one_candidates_job_fails_the_others_go_on(emulator_factory, path):
    emu = start(emulator_factory, {"candidate_job_failed": "bad"}, NOVA_2_LITE if path == "on_demand" else None)
    summary = emu.run(on_demand() if path == "on_demand" else sweep_input())
    assert summary["execution_status"] == "SUCCEEDED", summary
    rows = by_name(summary)
    assert rows["bad"]["status"] == "failed" and rows["bad"]["mean_f1"] is None and not rows["bad"]["kept"]
    assert rows["good"]["status"] == rows["close"]["status"] == "served"
    assert summary["winner"] == "good" and rows["good"]["kept"]
    assert_no_leak(summary)
    entered = emu.entered_states(summary["execution_arn"])
    assert "CandidateReleaseAfterFailure" in entered and "CandidateFailed" in entered
    resources = summary["custom_model_deployments"] if path == "on_demand" else summary["provisioned_throughputs"]
    assert len(resources) == 2  # the failed candidate never got one


def test_a_job_that_returns_failed_is_caught_by_the_candidates_status_check(emulator_factory):
    emu = start(emulator_factory, {"candidate_job_failed": "close"}, sync_fails_on_job_failure=False)
    summary = emu.run(sweep_input())
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert by_name(summary)["close"]["status"] == "failed"
    assert by_name(summary)["close"]["error"] == "CustomizationNotCompleted"
    assert "CandidateCustomizationNotCompleted" in emu.entered_states(summary["execution_arn"])
    assert_no_leak(summary)


@pytest.mark.parametrize("path", ["provisioned", "on_demand"])
def test_one_candidates_serving_never_ready_is_released(emulator_factory, path):
    emu = start(emulator_factory, {"candidate_never_ready": "good"}, NOVA_2_LITE if path == "on_demand" else None)
    summary = emu.run(on_demand() if path == "on_demand" else sweep_input())
    assert summary["execution_status"] == "SUCCEEDED", summary
    rows = by_name(summary)
    expected = "DeploymentTimeout" if path == "on_demand" else "ThroughputTimeout"
    assert rows["good"]["status"] == "failed" and rows["good"]["error"] == expected
    # the best remaining candidate is close to the base: no winner, everything released
    assert summary["winner"] is None and not any(r["kept"] for r in rows.values())
    resources = summary["custom_model_deployments"] if path == "on_demand" else summary["provisioned_throughputs"]
    assert [r["status"] for r in resources] == ["Deleted"] * 3
    assert_no_leak(summary)


@pytest.mark.parametrize(
    ("path", "faults", "error"),
    [
        ("provisioned", {"throughput_status": "Failed"}, "ThroughputFailed"),
        ("on_demand", {"deployment_status": "Failed"}, "DeploymentFailed"),
    ],
)
def test_no_candidate_served_fails_the_run_and_releases_all(emulator_factory, path, faults, error):
    emu = start(emulator_factory, faults, NOVA_2_LITE if path == "on_demand" else None)
    summary = emu.run(on_demand() if path == "on_demand" else sweep_input())
    assert summary["execution_status"] == "FAILED", summary
    assert summary["error"] == "RunFailed.NoCandidateTrained"
    assert {r["error"] for r in summary["candidates"]} == {error}
    entered = emu.entered_states(summary["execution_arn"])
    assert "NoCandidateServed" in entered and "ReleaseAfterFailure" in entered and "EvaluateCandidates" not in entered
    assert_no_leak(summary)
    assert summary["emails"] and "failed" in summary["emails"][0]["subject"].lower()


def test_evaluator_crash_mid_sweep_releases_every_candidate(emulator_factory):
    emu = start(emulator_factory, {"evaluator": "crash"})
    summary = emu.run(sweep_input())
    assert summary["execution_status"] == "FAILED", summary
    assert "ReleaseAfterFailure" in emu.entered_states(summary["execution_arn"])
    # EvaluateCandidates' Catch keeps the child's error at $.error: the run fails with it and the email says so
    assert summary["error"] == "RunFailed.States.TaskFailed", summary
    notification = emu.final_state(summary["execution_arn"])["notification"]
    assert "evaluation failed" in notification["Subject"], notification
    [email] = summary["emails"]
    assert email["subject"] == notification["Subject"]
    assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["Deleted"] * 3
    assert_no_leak(summary)


def test_delete_throttled_for_one_loser_is_retried(emulator_factory):
    emu = start(emulator_factory, {"release_first_delete": "throttle"})
    summary = emu.run(sweep_input())
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["winner"] == "good"
    assert sorted(pt["status"] for pt in summary["provisioned_throughputs"]) == ["Deleted", "Deleted", "InService"], (
        summary["candidates"],
        emu.entered_states(summary["execution_arn"]),
    )
    assert_no_leak(summary)
    assert len(emu.world.delete_calls) >= 3  # the throttled call was made again


def test_losing_custom_models_are_deleted_when_asked(emulator_factory):
    emu = start(emulator_factory, {})
    summary = emu.run(sweep_input(KeepLosingCustomModel=False))
    assert summary["execution_status"] == "SUCCEEDED", summary
    state = emu.final_state(summary["execution_arn"])
    deleted = {c["Name"]: c["CustomModelDeleted"] for c in state["release"]["Candidates"]}
    assert deleted == {"good": False, "bad": True, "close": True}
    assert_no_leak(summary)


def test_a_run_stopped_mid_sweep_is_released_by_the_safety_net(emulator_factory):
    emu = start(
        emulator_factory,
        {},
        throughput_outcome="never_in_service",
        wait_scale=0.01,
        throughput_max_polls=1000,
    )
    arn = emu.start_run(sweep_input(MaxConcurrentJobs=3), name="sweep-stopped-by-hand")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = [pt for pt in emu.world.throughputs.values() if pt.tags.get(RUN_ID_TAG) == "sweep-stopped-by-hand"]
        if len(mine) == len(CANDIDATES):
            break
        time.sleep(0.05)
    assert len(mine) == len(CANDIDATES)
    emu.client("stepfunctions").stop_execution(executionArn=arn, error="Operator", cause="stopped mid-sweep")
    description = emu.wait(arn, timeout=120)
    # moto's StopExecution of a run inside an inline Map ends it FAILED (States.Runtime inside moto)
    # rather than ABORTED; either way no Catch of the workflow releases anything here: the
    # status-change rule (ABORTED, TIMED_OUT and FAILED) must.
    assert description["status"] in ("ABORTED", "FAILED"), emu.summary(arn)
    assert "ReleaseAfterFailure" not in emu.entered_states(arn)
    invocations = [i for i in emu.wait_for_async_invocations() if i["function"].endswith("release-stopped-run")]
    assert [i.get("error") for i in invocations] == [None]
    assert sorted(invocations[0]["result"]["Released"]) == sorted(pt.arn for pt in mine)
    assert all(pt.deleted for pt in mine)
    assert_no_leak(emu.summary(arn))


def test_a_single_served_candidate_is_evaluated_alone(emulator_factory):
    emu = start(emulator_factory, {"candidate_job_failed": "bad", "candidate_never_ready": "good"})
    summary = emu.run(sweep_input())
    assert summary["execution_status"] == "SUCCEEDED", summary
    rows = by_name(summary)
    assert [rows[n]["status"] for n in ("good", "bad", "close")] == ["failed", "failed", "served"]
    assert rows["close"]["mean_f1"] is not None
    assert_no_leak(summary)
