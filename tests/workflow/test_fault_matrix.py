"""The money-safety invariant, proved by a fault matrix on the emulator (issue 6).

Every scenario injects faults with the same flat JSON object that ``bedrock-customize demo --faults``
reads, runs the parent workflow through both real rendered templates, and asserts:

- the execution's terminal status and ``Error``;
- ``leaked_throughputs == 0``: no throughput of the run is left unless the run's own policy keeps it
  (``CUSTOM_BETTER`` with ``KeepThroughputOnWin``, or ``INCONCLUSIVE`` with ``OnInconclusive: KEEP``);
- exactly one email describing what happened, or, when SES rejects it, the run's state carrying it;
- nothing that belongs to another run is touched (its throughput and its S3 prefix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from workflow_support import demo_input, is_cache_key

from bedrock_customize import paths
from bedrock_customize.emulator import Emulator, EmulatorConfig
from bedrock_customize.emulator import bedrock as emulated
from bedrock_customize.emulator.core import RUN_ID_TAG
from bedrock_customize.emulator.faults import apply_faults

pytestmark = pytest.mark.workflow

RECORDS = 12  # enough for a clear verdict, small enough to keep the matrix fast
OTHER_RUN = "run-of-somebody-else"
WORKFLOW_TAG = "bedrock-customize:workflow"


@dataclass(frozen=True)
class Case:
    id: str
    faults: dict[str, Any]
    status: str
    error: str | None
    verdict: str | None = None
    release: str | None = None  # Action of the release result (None: no release ran)
    throughput: str | None = "Deleted"  # final status of the run's throughput; None: none was created
    subject: str = ""  # words the email subject (or the notification result) must contain
    email: bool = True  # False: SES rejects, the state carries the notification instead
    input: dict[str, Any] = field(default_factory=dict)
    states: tuple[str, ...] = ()  # parent states that must have been entered
    absent: tuple[str, ...] = ()  # parent states that must not have been entered


FAILURE_PATH = ("ReleaseAfterFailure", "NotifyFailure", "DescribeFailure", "RunFailed")
VERDICT_KEEP = ("Decide", "KeepThroughput", "NotifyOutcome", "Done")
VERDICT_RELEASE = ("Decide", "ReleaseThroughput", "NotifyOutcome", "Done")

CASES = [
    # -- outcomes and policy inputs ------------------------------------------------------------
    Case("custom_better", {"custom_model": "better"}, "SUCCEEDED", None, "CUSTOM_BETTER", "KEPT", "InService",
         "better — throughput kept", states=VERDICT_KEEP),
    Case("custom_worse", {"custom_model": "worse"}, "SUCCEEDED", None, "NOT_BETTER", "DELETED", "Deleted",
         "not better — throughput deleted", states=VERDICT_RELEASE),
    Case("custom_same", {"custom_model": "same"}, "SUCCEEDED", None, "INCONCLUSIVE", "DELETED", "Deleted",
         "inconclusive — throughput deleted", states=VERDICT_RELEASE),
    Case("same_policy_keep", {"custom_model": "same"}, "SUCCEEDED", None, "INCONCLUSIVE", "KEPT", "InService",
         "inconclusive — throughput kept", input={"Evaluation": {"OnInconclusive": "KEEP"}}, states=VERDICT_RELEASE),
    Case("better_policy_release", {"custom_model": "better"}, "SUCCEEDED", None, "CUSTOM_BETTER", "DELETED",
         "Deleted", "better — throughput deleted", input={"KeepThroughputOnWin": False}, states=VERDICT_RELEASE),
    # -- one fault at a time -------------------------------------------------------------------
    Case("customization_job_failed", {"customization_job": "Failed"}, "FAILED", "RunFailed.States.TaskFailed",
         throughput=None, subject="training job failed",
         states=("NotifyFailure", "RunFailed"), absent=("ProvisionThroughput", "ReleaseAfterFailure")),
    Case("customization_job_stopped", {"customization_job": "Stopped"}, "FAILED", "RunFailed.States.TaskFailed",
         throughput=None, subject="training job was stopped",
         states=("NotifyFailure", "RunFailed"), absent=("ProvisionThroughput", "ReleaseAfterFailure")),
    Case("create_throughput_error", {"create_throughput": "error"}, "FAILED",
         "RunFailed.Bedrock.ServiceQuotaExceededException", release="NOT_CREATED", throughput=None,
         subject="throughput could not be created", states=FAILURE_PATH),
    Case("throughput_failed", {"throughput_status": "Failed"}, "FAILED", "RunFailed.ThroughputFailed",
         release="DELETED", subject="throughput never became ready", states=("ThroughputFailed", *FAILURE_PATH)),
    Case("throughput_never_in_service", {"throughput_status": "never_in_service"}, "FAILED",
         "RunFailed.ThroughputTimeout", release="DELETED", subject="throughput never became ready",
         states=("ThroughputTimedOut", *FAILURE_PATH)),
    Case("inference_throttled", {"inference_throttle_rate": 0.3}, "SUCCEEDED", None, "CUSTOM_BETTER", "KEPT",
         "InService", "better — throughput kept", states=VERDICT_KEEP),
    Case("inference_lambda_crash", {"inference_lambda": "crash"}, "FAILED", "RunFailed.States.TaskFailed",
         release="DELETED", subject="evaluation failed", states=("Evaluate", *FAILURE_PATH)),
    Case("evaluator_crash", {"evaluator": "crash"}, "FAILED", "RunFailed.States.TaskFailed",
         release="DELETED", subject="evaluation failed", states=("Evaluate", *FAILURE_PATH)),
    Case("child_timeout", {"child_timeout": True}, "FAILED", "RunFailed.States.Timeout", release="DELETED",
         subject="evaluation timed out", states=("Evaluate", *FAILURE_PATH)),
    Case("ses_reject", {"ses": "reject", "custom_model": "worse"}, "SUCCEEDED", None, "NOT_BETTER", "DELETED",
         subject="not better — throughput deleted", email=False, states=VERDICT_RELEASE),
    Case("release_first_delete_throttled", {"release_first_delete": "throttle", "custom_model": "worse"},
         "SUCCEEDED", None, "NOT_BETTER", "DELETED", subject="not better — throughput deleted",
         states=VERDICT_RELEASE),
    # -- the pairs that matter -----------------------------------------------------------------
    Case("ses_reject+better", {"ses": "reject", "custom_model": "better"}, "SUCCEEDED", None, "CUSTOM_BETTER",
         "KEPT", "InService", "better — throughput kept", email=False, states=VERDICT_KEEP),
    Case("ses_reject+throughput_failed", {"ses": "reject", "throughput_status": "Failed"}, "FAILED",
         "RunFailed.ThroughputFailed", release="DELETED", subject="throughput never became ready", email=False,
         states=FAILURE_PATH),
    Case("ses_reject+customization_job_failed", {"ses": "reject", "customization_job": "Failed"}, "FAILED",
         "RunFailed.States.TaskFailed", throughput=None, subject="training job failed", email=False,
         states=("NotifyFailure", "RunFailed"), absent=("ReleaseAfterFailure",)),
    Case("release_throttled+child_timeout", {"release_first_delete": "throttle", "child_timeout": True}, "FAILED",
         "RunFailed.States.Timeout", release="DELETED", subject="evaluation timed out", states=FAILURE_PATH),
    Case("release_throttled+never_in_service", {"release_first_delete": "throttle",
                                                "throughput_status": "never_in_service"}, "FAILED",
         "RunFailed.ThroughputTimeout", release="DELETED", subject="throughput never became ready",
         states=FAILURE_PATH),
    Case("throttled+worse", {"inference_throttle_rate": 0.3, "custom_model": "worse"}, "SUCCEEDED", None,
         "NOT_BETTER", "DELETED", subject="not better — throughput deleted", states=VERDICT_RELEASE),
    Case("evaluator_crash+ses_reject", {"evaluator": "crash", "ses": "reject"}, "FAILED",
         "RunFailed.States.TaskFailed", release="DELETED", subject="evaluation failed", email=False,
         states=FAILURE_PATH),
]  # fmt: skip


def _assert_polled_to_the_limit(summary: dict[str, Any], state: dict[str, Any]) -> None:
    """A serving resource that never became ready was polled exactly its run's limit of times (each poll is a
    billed minute of waiting): ThroughputMaxPolls, DeploymentMaxPolls."""
    if summary["error"] == "RunFailed.ThroughputTimeout":
        assert state["throughput_status"]["Polls"] == state["run"]["ThroughputMaxPolls"], state["throughput_status"]
    if summary["error"] == "RunFailed.DeploymentTimeout":
        assert state["deployment_status"]["Polls"] == state["run"]["DeploymentMaxPolls"], state["deployment_status"]


def _validation_subset() -> bytes:
    lines = (paths.sample_data_dir() / "validation.jsonl").read_text(encoding="utf-8").splitlines()
    return ("\n".join([line for line in lines if line.strip()][:RECORDS]) + "\n").encode("utf-8")


def _plant_another_run(emu: Emulator) -> dict[str, Any]:
    """A throughput and S3 artifacts of another run of the same workflow: nothing may touch them."""
    assert emu.deployment is not None
    arn = f"arn:aws:bedrock:{emu.config.region}:{emu.config.account_id}:provisioned-model/0therrun0000"
    workflow = emu.deployment.parent_arn.rsplit(":", 1)[-1]
    with emu.world.lock:
        emu.world.throughputs[arn] = emulated.Throughput(
            arn=arn,
            name=f"{OTHER_RUN}-pt",
            model_arn=f"arn:aws:bedrock:{emu.config.region}:{emu.config.account_id}:custom-model/other",
            model_units=1,
            commitment=None,
            tags={RUN_ID_TAG: OTHER_RUN, WORKFLOW_TAG: workflow},
            status="InService",
        )
    s3 = emu.client("s3")
    bucket = emu.deployment.buckets["artifacts"]
    keys = [f"runs/{OTHER_RUN}/report/summary.json", f"runs/{OTHER_RUN}/evaluation/records.jsonl"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b'{"mine": true}\n')
    return {"arn": arn, "etags": {k: s3.head_object(Bucket=bucket, Key=k)["ETag"] for k in keys}}


def _artifact_keys(emu: Emulator) -> list[str]:
    assert emu.deployment is not None
    s3 = emu.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=emu.deployment.buckets["artifacts"])
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture
def fault_emulator(emulator_factory):
    """``start(faults)``: an emulator configured from a fault object exactly as the demo CLI does it."""

    def start(faults: dict[str, Any], base_model: str | None = None) -> Emulator:
        scenario = faults.get("custom_model", "better")
        config = apply_faults(EmulatorConfig.scenario(scenario), faults)
        overrides = {name: getattr(config, name) for name in config.__dataclass_fields__ if name != "region"}
        # the shared fixture records the states entered and picks the base model's region
        return emulator_factory(scenario, base_model=base_model, **overrides)

    return start


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_matrix(fault_emulator, case: Case):
    emu = fault_emulator(case.faults)
    emu.upload_sample()
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    other = _plant_another_run(emu)

    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl", **case.input), timeout=300)
    arn = summary["execution_arn"]
    run_id = arn.rsplit(":", 1)[-1]
    state = emu.final_state(arn)
    entered = emu.entered_states(arn)

    # terminal status and Error
    assert summary["execution_status"] == case.status, summary
    assert summary["error"] == case.error, summary
    _assert_polled_to_the_limit(summary, state)
    assert summary["verdict"] == case.verdict, summary
    for name in case.states:
        assert name in entered, f"{name} not entered: {entered}"
    for name in case.absent:
        assert name not in entered, f"{name} entered: {entered}"

    # the money invariant
    assert summary["leaked_throughputs"] == 0, summary
    assert summary["release"] == case.release, summary
    if case.throughput is None:
        assert summary["provisioned_throughputs"] == [], summary
    else:
        assert [pt["status"] for pt in summary["provisioned_throughputs"]] == [case.throughput], summary
    if case.release:
        assert summary["release_detail"]["ThroughputStatus"] == (case.throughput or None)
        assert summary["release_detail"]["Reason"]
    assert summary["release_error"] is None
    if case.status == "FAILED":
        assert "KeepThroughput" not in entered and "ReleaseThroughput" not in entered

    # exactly one notification describing what happened (or the state carrying it)
    notification = state["notification"]
    assert case.subject in notification["Subject"], notification
    assert notification["Outcome"] == (case.verdict or "FAILED")
    if case.email:
        assert notification["Sent"] is True and notification["Error"] is None, notification
        [email] = summary["emails"]
        assert email["subject"] == notification["Subject"]
        assert email["to"] == ["ml-team@example.com"]
    else:
        assert notification["Sent"] is False and "MessageRejected" in notification["Error"], notification
        assert summary["emails"] == []
    assert summary["notifications"] == len(summary["emails"]) + len(summary["events"])
    assert len(summary["events"]) <= 1

    # nothing of another run touched
    foreign = emu.world.throughputs[other["arn"]]
    assert not foreign.deleted and foreign.status == "InService"
    assert other["arn"] not in emu.world.delete_calls
    s3 = emu.client("s3")
    for key, etag in other["etags"].items():
        assert s3.head_object(Bucket=emu.deployment.buckets["artifacts"], Key=key)["ETag"] == etag
    foreign_prefix = f"runs/{OTHER_RUN}/"
    own_prefix = f"runs/{run_id}/"
    for key in _artifact_keys(emu):
        assert key.startswith((own_prefix, foreign_prefix)) or is_cache_key(key), f"{key} is outside the run's prefix"
    assert sorted(k for k in _artifact_keys(emu) if k.startswith(foreign_prefix)) == sorted(other["etags"])


def test_release_first_delete_throttle_is_retried_not_skipped(fault_emulator):
    """The throttled first DeleteProvisionedModelThroughput is retried: two calls for the one throughput."""
    emu = fault_emulator({"release_first_delete": "throttle", "custom_model": "worse"})
    emu.upload_sample()
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    [pt] = summary["provisioned_throughputs"]
    assert emu.world.delete_calls == [pt["arn"], pt["arn"]]
    assert pt["status"] == "Deleted" and summary["leaked_throughputs"] == 0


def test_losing_custom_model_deleted_only_when_asked(fault_emulator):
    emu = fault_emulator({"custom_model": "worse"})
    emu.upload_sample()
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    bedrock = emu.client("bedrock")
    kept = emu.run(demo_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    dropped = emu.run(demo_input(ValidationDataFileName="matrix.jsonl", KeepLosingCustomModel=False), timeout=300)

    assert kept["release_detail"]["CustomModelDeleted"] is False
    assert dropped["release_detail"]["CustomModelDeleted"] is True, dropped
    assert "deleted" in dropped["release_detail"]["Reason"]
    names = {m["modelName"] for m in bedrock.list_custom_models()["modelSummaries"]}
    kept_name = emu.final_state(kept["execution_arn"])["run"]["CustomModelName"]
    dropped_name = emu.final_state(dropped["execution_arn"])["run"]["CustomModelName"]
    assert kept_name in names and dropped_name not in names
    assert kept["leaked_throughputs"] == dropped["leaked_throughputs"] == 0


def test_leak_detector_sees_a_throughput_the_workflow_forgot(fault_emulator):
    """The matrix's ``leaked_throughputs`` is computed from the emulated account, not from the run's claims."""
    emu = fault_emulator({"custom_model": "worse"})
    emu.upload_sample()
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    [pt] = summary["provisioned_throughputs"]
    with emu.world.lock:  # undo the deletion behind the workflow's back
        emu.world.throughputs[pt["arn"]].deleted = False
        emu.world.throughputs[pt["arn"]].status = "InService"
    assert emu.summary(summary["execution_arn"])["leaked_throughputs"] == 1


def test_sync_that_returns_a_failed_job_is_caught_by_the_status_check(emulator_factory):
    """The docs do not say whether ``createModelCustomizationJob.sync`` fails on a failed job: when it returns,
    GetCustomizationJob's Status (not the .sync output) decides, and the run fails before anything is served."""
    emu = emulator_factory("better", job_outcome="Failed", sync_fails_on_job_failure=False)
    emu.upload_sample()
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    entered = emu.entered_states(summary["execution_arn"])
    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "RunFailed.CustomizationNotCompleted", summary
    assert "CustomizationNotCompleted" in entered and "ProvisionThroughput" not in entered
    assert "Data validation failed for s3://" in summary["cause"]  # GetModelCustomizationJob's failureMessage travels
    assert summary["provisioned_throughputs"] == [] and summary["leaked_throughputs"] == 0
    assert len(summary["emails"]) == 1
    assert emu.world.create_calls["job"] == 1


# -- the on-demand path (issue 11): a custom model deployment serves the evaluation ----------------------------

NOVA_2_LITE = "amazon.nova-2-lite-v1:0:256k"  # on-demand deployable in us-east-1 (its emulator's region)
ON_DEMAND_INPUT = {
    "BaseModelIdentifier": NOVA_2_LITE,
    "HyperParameters": {"epochCount": "2", "learningRate": "0.00001"},
}
OD_FAILURE = ("ReleaseAfterFailure", "NotifyFailure", "DescribeFailure", "RunFailed")
WINNER_PT = {"KeepWinnerAs": "provisioned_throughput"}


@dataclass(frozen=True)
class OnDemandCase:
    id: str
    faults: dict[str, Any]
    status: str
    error: str | None
    verdict: str | None
    release: str  # Action of the release result
    deployment: str | None  # final status of the run's deployment; None: none was created
    throughput: str | None = None  # final status of a winner throughput; None: none was bought
    subject: str = ""
    email: bool = True
    input: dict[str, Any] = field(default_factory=dict)
    states: tuple[str, ...] = ()


OD_CASES = [
    OnDemandCase("od_better", {"custom_model": "better"}, "SUCCEEDED", None, "CUSTOM_BETTER", "KEPT", "Active",
                 subject="better — deployment kept", states=("KeepDeployment", "NotifyOutcome")),
    OnDemandCase("od_worse", {"custom_model": "worse"}, "SUCCEEDED", None, "NOT_BETTER", "DELETED", "Deleted",
                 subject="not better — deployment deleted", states=("ReleaseThroughput",)),
    OnDemandCase("od_same", {"custom_model": "same"}, "SUCCEEDED", None, "INCONCLUSIVE", "DELETED", "Deleted",
                 subject="inconclusive — deployment deleted"),
    OnDemandCase("od_same_keep", {"custom_model": "same"}, "SUCCEEDED", None, "INCONCLUSIVE", "KEPT", "Active",
                 subject="inconclusive — deployment kept", input={"Evaluation": {"OnInconclusive": "KEEP"}}),
    OnDemandCase("od_better_release", {"custom_model": "better"}, "SUCCEEDED", None, "CUSTOM_BETTER", "DELETED",
                 "Deleted", subject="better — deployment deleted", input={"KeepThroughputOnWin": False}),
    OnDemandCase("od_winner_throughput", {"custom_model": "better"}, "SUCCEEDED", None, "CUSTOM_BETTER", "KEPT",
                 "Deleted", "InService", "better — throughput kept", input=WINNER_PT,
                 states=("ProvisionWinnerThroughput", "IsWinnerThroughputReady", "ReleaseThroughput")),
    OnDemandCase("od_winner_throughput_failed", {"throughput_status": "Failed"}, "FAILED", "RunFailed.ThroughputFailed",
                 "CUSTOM_BETTER", "DELETED", "Deleted", "Deleted", "throughput never became ready", input=WINNER_PT,
                 states=("ThroughputFailed", *OD_FAILURE)),
    OnDemandCase("od_winner_throughput_never", {"throughput_status": "never_in_service"}, "FAILED",
                 "RunFailed.ThroughputTimeout", "CUSTOM_BETTER", "DELETED", "Deleted", "Deleted",
                 "throughput never became ready", input=WINNER_PT, states=("ThroughputTimedOut", *OD_FAILURE)),
    OnDemandCase("od_winner_throughput_create_error", {"create_throughput": "error"}, "FAILED",
                 "RunFailed.Bedrock.ServiceQuotaExceededException", "CUSTOM_BETTER", "DELETED", "Deleted",
                 subject="throughput could not be created", input=WINNER_PT,
                 states=("ProvisionWinnerThroughput", *OD_FAILURE)),
    OnDemandCase("od_create_deployment_error", {"create_deployment": "error"}, "FAILED",
                 "RunFailed.ServiceQuotaExceededException", None, "NOT_CREATED", None,
                 subject="deployment could not be created", states=OD_FAILURE),
    OnDemandCase("od_deployment_failed", {"deployment_status": "Failed"}, "FAILED", "RunFailed.DeploymentFailed",
                 None, "DELETED", "Deleted", subject="deployment failed",
                 states=("DeploymentFailed", *OD_FAILURE)),
    OnDemandCase("od_deployment_never_active", {"deployment_status": "never_active"}, "FAILED",
                 "RunFailed.DeploymentTimeout", None, "DELETED", "Deleted", subject="deployment never became active",
                 states=("DeploymentTimedOut", *OD_FAILURE)),
    OnDemandCase("od_evaluator_crash", {"evaluator": "crash"}, "FAILED", "RunFailed.States.TaskFailed", None,
                 "DELETED", "Deleted", subject="evaluation failed", states=OD_FAILURE),
    OnDemandCase("od_inference_crash", {"inference_lambda": "crash"}, "FAILED", "RunFailed.States.TaskFailed", None,
                 "DELETED", "Deleted", subject="evaluation failed", states=OD_FAILURE),
    OnDemandCase("od_child_timeout", {"child_timeout": True}, "FAILED", "RunFailed.States.Timeout", None, "DELETED",
                 "Deleted", subject="evaluation timed out", states=OD_FAILURE),
    OnDemandCase("od_release_throttled", {"release_first_delete": "throttle", "custom_model": "worse"}, "SUCCEEDED",
                 None, "NOT_BETTER", "DELETED", "Deleted", subject="not better — deployment deleted"),
    OnDemandCase("od_release_throttled+deployment_failed", {"release_first_delete": "throttle",
                                                             "deployment_status": "Failed"}, "FAILED",
                 "RunFailed.DeploymentFailed", None, "DELETED", "Deleted", subject="deployment failed"),
    OnDemandCase("od_ses_reject+better", {"ses": "reject", "custom_model": "better"}, "SUCCEEDED", None,
                 "CUSTOM_BETTER", "KEPT", "Active", subject="better — deployment kept", email=False),
]  # fmt: skip


@pytest.mark.parametrize("case", OD_CASES, ids=[c.id for c in OD_CASES])
def test_on_demand_fault_matrix(fault_emulator, case: OnDemandCase):
    emu = fault_emulator(case.faults, base_model=NOVA_2_LITE)
    emu.upload_sample(NOVA_2_LITE)
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    other = _plant_another_run(emu)

    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl", **ON_DEMAND_INPUT, **case.input), timeout=300)
    state = emu.final_state(summary["execution_arn"])
    entered = emu.entered_states(summary["execution_arn"])

    assert summary["deployment_mode"] == "on_demand"
    assert summary["execution_status"] == case.status, summary
    assert summary["error"] == case.error, summary
    _assert_polled_to_the_limit(summary, state)
    assert summary["verdict"] == case.verdict, summary
    for name in case.states:
        assert name in entered, f"{name} not entered: {entered}"
    assert "ProvisionThroughput" not in entered

    # the money invariant: nothing billed survives unless the run's policy keeps it
    assert summary["leaked_deployments"] == 0, summary
    assert summary["leaked_throughputs"] == 0, summary
    assert summary["release"] == case.release, summary
    deployments = [d["status"] for d in summary["custom_model_deployments"]]
    assert deployments == ([case.deployment] if case.deployment else []), summary
    throughputs = [pt["status"] for pt in summary["provisioned_throughputs"]]
    assert throughputs == ([case.throughput] if case.throughput else []), summary
    assert summary["release_error"] is None
    assert emu.world.create_calls["deployment"] == 1  # one create call (retries would reuse the token)

    notification = state["notification"]
    assert case.subject in notification["Subject"], notification
    assert notification["Outcome"] == ("FAILED" if case.status == "FAILED" else case.verdict)
    if case.email:
        [email] = summary["emails"]
        assert email["subject"] == notification["Subject"]
    else:
        assert summary["emails"] == [] and notification["Sent"] is False

    foreign = emu.world.throughputs[other["arn"]]
    assert not foreign.deleted and other["arn"] not in emu.world.delete_calls
