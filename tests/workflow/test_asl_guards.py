"""The templates' guards, each proved by the fault it is there for (issue 15: ASL mutants that survived).

A ``Retry`` is proved by a transient error the run must ride out, a ``Catch`` by a hard error after which
nothing billed may be left, the cleanup Catch by a release that fails (the email must say so and warn of the
cost), a Map's ``MaxConcurrencyPath`` by the number of shards (or sweep candidates) in flight. The faults are
injected where the service would raise them: as the error type of a Lambda invocation (what Step Functions
matches a Lambda task's ``ErrorEquals`` against) or as the error of an emulated Bedrock call.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from workflow_support import demo_input

from bedrock_customize import paths
from bedrock_customize.emulator import bedrock as emulated
from bedrock_customize.emulator import moto_patches

pytestmark = pytest.mark.workflow

RECORDS = 12
NOVA_2_LITE = "amazon.nova-2-lite-v1:0:256k"  # on-demand deployable in us-east-1
NOVA_MICRO = "amazon.nova-micro-v1:0:128k"  # a distillation student
TEACHER = "us.amazon.nova-premier-v1:0"
JUDGE = {"ModelId": "amazon.nova-pro-v1:0", "Rubric": "summary_quality"}
DISTILLATION = {
    "CustomizationType": "DISTILLATION",
    "Distillation": {"TeacherModelIdentifier": TEACHER, "MaxResponseLengthForInference": 1000},
    "HyperParameters": {},
}
# What AWS documents a Lambda task should retry (the service's own transient errors).
LAMBDA_TRANSIENT = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
# The functions that call Bedrock's control plane report its throttling as these (release_throughput,
# custom_model_deployment): their tasks retry them too.
WORKFLOW_TRANSIENT = ("ThrottlingException", "ServiceUnavailableException")
BEDROCK_CALLERS = ("release_throughput", "custom_model_deployment")
BEDROCK_TRANSIENT = ("ThrottlingException", "ServiceUnavailableException", "InternalServerException")


def _validation_subset() -> bytes:
    lines = (paths.sample_data_dir() / "validation.jsonl").read_text(encoding="utf-8").splitlines()
    return ("\n".join([line for line in lines if line.strip()][:RECORDS]) + "\n").encode("utf-8")


def _error(name: str) -> Exception:
    """An exception whose type name is ``name``: the ``errorType`` Lambda reports, the name ``ErrorEquals`` sees."""
    return type(name, (Exception,), {})(f"emulated transient {name}")


@pytest.fixture
def no_retry_sleep(monkeypatch):
    """Step Functions' retry intervals are waited in real time by moto's interpreter: not here."""
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=lambda seconds: None))


def _start(emulator_factory, scenario: str, base_model: str | None = None, **config):
    emu = emulator_factory(scenario, base_model=base_model, **config)
    emu.upload_sample(base_model)
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    return emu


def _double_the_training_data(emu) -> None:
    """A distillation job needs 100 prompts (the sample has 60): the sample twice over."""
    assert emu.deployment is not None
    training = emu.client("s3").get_object(Bucket=emu.deployment.buckets["training"], Key="training-data.jsonl")
    emu.upload("training", "training-data.jsonl", training["Body"].read() * 2)


# -- Retry: every task rides out the transient errors of its service ----------------------------------------------


class TransientFaults:
    """Each distinct call fails with every transient error of its kind in turn, then succeeds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.raised: Counter[str] = Counter()  # "<function or call>:<error>"

    def next_error(self, key: str, where: str, names: tuple[str, ...]) -> str | None:
        with self.lock:
            attempt = self.attempts[key]
            self.attempts[key] += 1
            if attempt >= len(names):
                return None
            self.raised[f"{where}:{names[attempt]}"] += 1
            return names[attempt]

    def lambda_hook(self, key: str):
        names = LAMBDA_TRANSIENT + (WORKFLOW_TRANSIENT if key in BEDROCK_CALLERS else ())

        def hook(event: dict[str, Any]) -> None:
            name = self.next_error(f"{key}:{json.dumps(event, sort_keys=True, default=str)}", key, names)
            if name is not None:
                raise _error(name)

        return hook

    def bedrock_call(self, world: Any, method: str):
        original = getattr(world, method)

        def call(*args: Any, **kwargs: Any) -> Any:
            if _called_from_a_function():  # a Lambda's own Bedrock call: its handling is the Lambda's unit tests'
                return original(*args, **kwargs)
            key = f"{method}:{json.dumps([args, kwargs], sort_keys=True, default=str)}"
            name = self.next_error(key, method, BEDROCK_TRANSIENT)
            if name is not None:
                raise emulated.JsonRESTError(name, f"emulated transient {name}")
            return original(*args, **kwargs)

        return call

    def bedrock_request(self, handler: Any):
        """A moto ``BedrockResponse`` handler that fails each distinct request (body) with every transient error
        first: a call no ``world`` method stands behind (CreateModelCustomizationJob of the .sync tasks)."""

        def call(response: Any) -> Any:
            if _called_from_a_function():
                return handler(response)
            name = self.next_error(f"{handler.__name__}:{response.body!r}", handler.__name__, BEDROCK_TRANSIENT)
            if name is not None:
                raise emulated.JsonRESTError(name, f"emulated transient {name}")
            return handler(response)

        return call

    def inject(self, emu: Any, monkeypatch: Any) -> None:
        """Every Lambda of the deployment, the Step Functions SDK tasks' throughput calls and the job create."""
        from moto.bedrock.responses import BedrockResponse

        for key, name in emu.deployment.function_names.items():
            monkeypatch.setitem(moto_patches.LAMBDA_FAULTS, name, self.lambda_hook(key))
        for method in ("create_throughput", "get_throughput"):  # the Step Functions SDK tasks' calls
            monkeypatch.setattr(emu.world, method, self.bedrock_call(emu.world, method))
        create_job = BedrockResponse.create_model_customization_job
        monkeypatch.setattr(BedrockResponse, "create_model_customization_job", self.bedrock_request(create_job))


def _called_from_a_function() -> bool:
    """True inside a Lambda handler (moto runs in-process: the handler's frames are on this thread's stack)."""
    frame = sys._getframe(1)
    while frame is not None:
        if f"{os.sep}workflow_lambdas{os.sep}" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


PATHS = {
    # the verdict path: every task of both workflows up to the release and the outcome email
    "verdict": dict(scenario="worse", verdict="NOT_BETTER", status="SUCCEEDED", release="DELETED"),
    # the failure path: ReleaseAfterFailure and NotifyFailure
    "failure": dict(
        scenario="better", verdict=None, status="FAILED", release="DELETED", config={"throughput_outcome": "Failed"}
    ),
    # the on-demand path: CreateDeployment and GetDeployment (custom_model_deployment)
    "on_demand": dict(
        scenario="worse", verdict="NOT_BETTER", status="SUCCEEDED", release="DELETED", base_model=NOVA_2_LITE
    ),
    # a distillation (CustomizeModelWithConfig) judged by an LLM (JudgeShard)
    "distillation_judge": dict(
        scenario="worse",
        verdict="NOT_BETTER",
        status="SUCCEEDED",
        release="DELETED",
        base_model=NOVA_MICRO,
        input={**DISTILLATION, "Evaluation": {"Judge": JUDGE}},
    ),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_every_task_rides_out_the_transient_errors_of_its_service(emulator_factory, monkeypatch, no_retry_sleep, path):
    spec = PATHS[path]
    base_model = spec.get("base_model")
    emu = _start(emulator_factory, spec["scenario"], base_model, **spec.get("config", {}))
    if "Distillation" in spec.get("input", {}):
        _double_the_training_data(emu)
    faults = TransientFaults()
    assert emu.deployment is not None
    faults.inject(emu, monkeypatch)

    extra = {"BaseModelIdentifier": base_model, "HyperParameters": {"epochCount": "2"}} if base_model else {}
    summary = emu.run(
        demo_input(ValidationDataFileName="matrix.jsonl", **{**extra, **spec.get("input", {})}), timeout=300
    )

    assert summary["execution_status"] == spec["status"], summary
    assert summary["verdict"] == spec["verdict"], summary
    assert summary["release"] == spec["release"], summary
    assert summary["release_error"] is None, summary
    assert summary["leaked_throughputs"] == 0 and summary.get("leaked_deployments", 0) == 0, summary
    assert len(summary["emails"]) == 1, summary
    # the faults did fire, at every function of the path, with every name (the test cannot pass vacuously)
    fired = {where.split(":", 1)[0] for where in faults.raised}
    expected = {"validate_input", "notify", "create_model_customization_job"} | (
        {"plan_shards", "infer", "score", "aggregate"} if spec["verdict"] else set()
    )
    on_demand = summary["deployment_mode"] == "on_demand"
    expected |= {"custom_model_deployment"} if on_demand else {"create_throughput", "get_throughput"}
    assert expected <= fired, faults.raised
    if "Judge" in spec.get("input", {}).get("Evaluation", {}):  # JudgeShard (the infer function) rode them out
        assert emu.world.stats["judge"].answered > 0
    for name in BEDROCK_TRANSIENT:  # CustomizeModel (or CustomizeModelWithConfig) rode them out
        assert faults.raised[f"create_model_customization_job:{name}"] == 1, faults.raised
    for name in LAMBDA_TRANSIENT:
        assert faults.raised[f"notify:{name}"] >= 1
    for name in WORKFLOW_TRANSIENT:
        assert faults.raised[f"release_throughput:{name}"] >= 1


# -- Catch: a hard error after something billed exists still releases it ----------------------------------------


def _fail_first(world: Any, monkeypatch, method: str, error: Exception) -> list[int]:
    original = getattr(world, method)
    calls = [0]

    def call(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(world, method, call)
    return calls


def test_a_failed_throughput_poll_still_releases_the_throughput(emulator_factory, monkeypatch, no_retry_sleep):
    emu = _start(emulator_factory, "better")
    calls = _fail_first(emu.world, monkeypatch, "get_throughput", emulated.ValidationException("emulated hard error"))
    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    entered = emu.entered_states(summary["execution_arn"])

    assert calls[0] >= 1
    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "RunFailed.Bedrock.ValidationException", summary
    assert "ReleaseAfterFailure" in entered and "NotifyFailure" in entered
    assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["Deleted"], summary
    assert summary["leaked_throughputs"] == 0 and summary["release"] == "DELETED"
    [email] = summary["emails"]
    assert "throughput status could not be read" in email["subject"], email


def test_a_failed_deployment_poll_still_releases_the_deployment(emulator_factory, monkeypatch, no_retry_sleep):
    emu = _start(emulator_factory, "better", NOVA_2_LITE)
    calls = _fail_first(emu.world, monkeypatch, "get_deployment", emulated.ValidationException("emulated hard error"))
    summary = emu.run(
        demo_input(ValidationDataFileName="matrix.jsonl", BaseModelIdentifier=NOVA_2_LITE, HyperParameters={}),
        timeout=300,
    )
    entered = emu.entered_states(summary["execution_arn"])

    assert calls[0] >= 1
    assert summary["execution_status"] == "FAILED", summary
    assert "ReleaseAfterFailure" in entered and "NotifyFailure" in entered
    assert [d["status"] for d in summary["custom_model_deployments"]] == ["Deleted"], summary
    assert summary["leaked_deployments"] == 0 and summary["release"] == "DELETED"
    assert len(summary["emails"]) == 1


def test_a_failed_distillation_job_is_reported(emulator_factory):
    """CustomizeModelWithConfig's Catch (a job with a CustomizationConfig): the failed job ends the run with the
    job's own error, and its email says the training job failed (nothing billed exists yet)."""
    emu = _start(emulator_factory, "better", NOVA_MICRO, job_outcome="Failed")
    _double_the_training_data(emu)
    summary = emu.run(
        demo_input(ValidationDataFileName="matrix.jsonl", BaseModelIdentifier=NOVA_MICRO, **DISTILLATION),
        timeout=300,
    )
    entered = emu.entered_states(summary["execution_arn"])

    assert summary["execution_status"] == "FAILED", summary
    assert summary["error"] == "RunFailed.States.TaskFailed", summary
    assert "CustomizeModelWithConfig" in entered and "NotifyFailure" in entered, entered
    [email] = summary["emails"]
    assert "training job failed" in email["subject"], email
    assert summary["provisioned_throughputs"] == [] and summary["custom_model_deployments"] == []


# -- the cleanup Catch: a release that fails is reported, with the cost warning ----------------------------------


def test_a_release_that_fails_after_a_failure_is_reported_with_a_cost_warning(emulator_factory, monkeypatch):
    emu = _start(emulator_factory, "better", throughput_outcome="Failed")
    assert emu.deployment is not None

    def refuse(event: dict[str, Any]) -> None:
        raise _error("AccessDeniedException")  # not transient: the Retry lets it through to the Catch

    monkeypatch.setitem(moto_patches.LAMBDA_FAULTS, emu.deployment.function_names["release_throughput"], refuse)
    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    state = emu.final_state(summary["execution_arn"])

    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "RunFailed.ThroughputFailed", summary  # the run's own error, not the release's
    assert state["release_error"]["Error"] == "AccessDeniedException"
    [email] = [e for e in emu.sent_emails() if e["subject"] == summary["emails"][0]["subject"]]
    assert "throughput release failed" in email["subject"], email
    body = str(email["body"])
    assert "Cost warning" in body and "AccessDeniedException" in body, body
    assert state["notification"]["Outcome"] == "FAILED"


# -- MaxConcurrencyPath: at most MapConcurrency shards in flight ---------------------------------------------------


def test_the_shards_map_keeps_to_its_concurrency(emulator_factory, monkeypatch):
    emu = _start(emulator_factory, "worse")
    assert emu.deployment is not None
    shard_functions = {emu.deployment.function_names[k] for k in ("infer", "score")}
    original = moto_patches.invoke_in_process
    lock = threading.Lock()
    in_flight = [0]
    most = [0]

    def counted(fn: Any, event: dict[str, Any]) -> Any:
        if fn.function_name not in shard_functions:
            return original(fn, event)
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            time.sleep(0.2)  # long enough for iterations the Map should not start to overlap
            return original(fn, event)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(moto_patches, "invoke_in_process", counted)
    # 12 records in shards of 2: 6 shards, at most 1 + 1 = 2 in flight (MapConcurrency)
    evaluation = {"ShardSize": 2, "MaxConcurrency": 1, "ScoreConcurrency": 1}
    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl", Evaluation=evaluation), timeout=300)

    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["verdict"] == "NOT_BETTER"
    assert 1 <= most[0] <= 2, f"{most[0]} shard invocations in flight, MapConcurrency is 2"


# -- the failure email that cannot be sent: the run still fails with its own error -------------------------------


def test_a_failure_email_that_cannot_be_sent_leaves_the_runs_own_error(emulator_factory, monkeypatch):
    """NotifyFailure's Catch keeps the email's error beside the run's (``$.notification_error``): the run ends
    with its own error, the throughput is released, and the lost email is on record."""
    emu = _start(emulator_factory, "better", throughput_outcome="Failed")
    assert emu.deployment is not None

    def crash(event: dict[str, Any]) -> None:
        raise _error("MessageRejected")  # not transient: the Retry lets it through to the Catch

    monkeypatch.setitem(moto_patches.LAMBDA_FAULTS, emu.deployment.function_names["notify"], crash)
    summary = emu.run(demo_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    state = emu.final_state(summary["execution_arn"])

    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "RunFailed.ThroughputFailed", summary  # not the email's error
    assert state["notification_error"]["Error"] == "MessageRejected", state.get("notification_error")
    assert "notification" not in state  # nothing was sent
    assert summary["release"] == "DELETED" and summary["leaked_throughputs"] == 0, summary
    assert "DescribeFailure" in emu.entered_states(summary["execution_arn"])


# -- the sweep's candidates: their tasks ride out transient errors, MaxConcurrentJobs, a candidate's own Catch ----


def _most_in_flight(history: list[dict[str, Any]], map_state: str) -> int:
    """The most iterations of the inline Map ``map_state`` under way at once, from the execution's history."""
    in_flight = most = 0
    for event in history:
        started = event.get("mapIterationStartedEventDetails")
        ended = event.get("mapIterationSucceededEventDetails") or event.get("mapIterationFailedEventDetails")
        if started and started.get("name") == map_state:
            in_flight += 1
            most = max(most, in_flight)
        elif ended and ended.get("name") == map_state:
            in_flight -= 1
    return most


def test_every_sweep_candidate_rides_out_the_transient_errors_of_its_service(
    emulator_factory, monkeypatch, no_retry_sleep
):
    """Every candidate's create and poll and a failed candidate's own release (CandidateReleaseAfterFailure:
    its throughput is deleted at once, not billed through the evaluation) meet every transient error; and no
    more than MaxConcurrentJobs candidates are under way at once."""
    from test_sweep import CANDIDATES, QUALITIES, by_name, sweep_input

    emu = emulator_factory(
        "better", candidate_qualities=dict(QUALITIES), candidate_never_ready="bad", throughput_max_polls=2
    )
    emu.upload_sample()
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    assert emu.deployment is not None
    faults = TransientFaults()
    faults.inject(emu, monkeypatch)

    summary = emu.run(sweep_input(ValidationDataFileName="matrix.jsonl"), timeout=600)
    state = emu.final_state(summary["execution_arn"])

    assert summary["execution_status"] == "SUCCEEDED", summary
    rows = by_name(summary)
    assert {name: rows[name]["status"] for name in rows} == {"good": "served", "bad": "failed", "close": "served"}
    assert rows["bad"]["error"] == "ThroughputTimeout" and summary["winner"] == "good", rows
    assert summary["leaked_throughputs"] == 0 and summary["leaked_deployments"] == 0, summary
    # the failed candidate released its own throughput (its release rode out the transient errors)
    [bad] = [c for c in state["candidates"] if c["Name"] == "bad"]
    assert bad["release"].get("Action") == "DELETED", bad["release"]
    # MaxConcurrentJobs (2 by default): the third candidate waited for one of the first two
    assert _most_in_flight(emu.history(summary["execution_arn"]), "TrainCandidates") == 2
    # every candidate's create and poll met every transient error (the test cannot pass vacuously)
    for method in ("create_model_customization_job", "create_throughput", "get_throughput"):
        for name in BEDROCK_TRANSIENT:
            assert faults.raised[f"{method}:{name}"] >= len(CANDIDATES), faults.raised
    for name in WORKFLOW_TRANSIENT:
        assert faults.raised[f"release_throughput:{name}"] >= 2, faults.raised  # the candidate's, ReleaseCandidates


def test_every_on_demand_sweep_candidate_rides_out_the_transient_errors_of_its_service(
    emulator_factory, monkeypatch, no_retry_sleep
):
    """On demand, a candidate is served by custom_model_deployment (CandidateCreateDeployment, then its poll):
    every create and poll meets every transient Lambda and Bedrock error and still serves; no candidate fails."""
    from test_sweep import CANDIDATES, QUALITIES, by_name, sweep_input

    emu = emulator_factory("better", base_model=NOVA_2_LITE, candidate_qualities=dict(QUALITIES))
    emu.upload_sample(NOVA_2_LITE)
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    assert emu.deployment is not None
    faults = TransientFaults()
    faults.inject(emu, monkeypatch)

    run_input = sweep_input(
        BaseModelIdentifier=NOVA_2_LITE, HyperParameters={"epochCount": "2"}, ValidationDataFileName="matrix.jsonl"
    )
    summary = emu.run(run_input, timeout=600)

    assert summary["execution_status"] == "SUCCEEDED", summary
    rows = by_name(summary)
    assert {name: rows[name]["status"] for name in rows} == {"good": "served", "bad": "served", "close": "served"}
    assert summary["winner"] == "good", rows
    assert sorted(d["status"] for d in summary["custom_model_deployments"]) == ["Active", "Deleted", "Deleted"]
    assert summary["leaked_throughputs"] == 0 and summary["leaked_deployments"] == 0, summary
    # each candidate's deployment create and poll met every transient error (the test cannot pass vacuously)
    for name in LAMBDA_TRANSIENT + WORKFLOW_TRANSIENT:
        assert faults.raised[f"custom_model_deployment:{name}"] >= 2 * len(CANDIDATES), faults.raised


def test_a_candidates_hard_errors_fail_that_candidate_alone(emulator_factory, monkeypatch, no_retry_sleep):
    """A candidate's Catches: a hard error reading one candidate's job (CandidateGetCustomizationJob), a refused
    release of that candidate (CandidateReleaseAfterFailure's Catch) and a refused throughput create for another
    (CandidateProvisionThroughput's Catch) each fail that candidate alone, with its own error; the sweep goes on."""
    from moto.bedrock.responses import BedrockResponse
    from test_sweep import QUALITIES, by_name, sweep_input

    emu = emulator_factory("better", candidate_qualities=dict(QUALITIES))
    emu.upload_sample()
    emu.upload("validation", "matrix.jsonl", _validation_subset())
    assert emu.deployment is not None
    original = BedrockResponse.get_model_customization_job
    refused: list[str] = []

    def get_job(self: Any) -> Any:
        name = unquote(self.path.split("/")[-1]).rsplit("/", 1)[-1]
        job = self.bedrock_backend.get_model_customization_job(job_identifier=name)
        tags = {t.get("key"): t.get("value") for t in (getattr(job, "job_tags", None) or [])}
        if tags.get(emulated.CANDIDATE_TAG) == "bad" and not _called_from_a_function():
            refused.append(name)
            raise emulated.ValidationException("emulated hard error")
        return original(self)

    create_throughput = emu.world.create_throughput

    def create(region: str, account: str, body: dict[str, Any]) -> Any:
        tags = {t["key"]: t["value"] for t in body.get("tags") or []}
        if tags.get(emulated.CANDIDATE_TAG) == "close":
            raise emulated.ServiceQuotaExceededException("emulated quota")
        return create_throughput(region, account, body)

    def refuse_bads_release(event: dict[str, Any]) -> None:
        if (event.get("State") or {}).get("Name") == "bad":  # CandidateReleaseAfterFailure of "bad"
            raise _error("AccessDeniedException")

    monkeypatch.setattr(BedrockResponse, "get_model_customization_job", get_job)
    monkeypatch.setattr(emu.world, "create_throughput", create)
    release_function = emu.deployment.function_names["release_throughput"]
    monkeypatch.setitem(moto_patches.LAMBDA_FAULTS, release_function, refuse_bads_release)
    summary = emu.run(sweep_input(ValidationDataFileName="matrix.jsonl"), timeout=300)
    state = emu.final_state(summary["execution_arn"])

    assert refused, "the fault never fired"
    assert summary["execution_status"] == "SUCCEEDED", summary
    rows = by_name(summary)
    assert {name: rows[name]["status"] for name in rows} == {"good": "served", "bad": "failed", "close": "failed"}
    assert rows["bad"]["error"] == "Bedrock.ValidationException", rows
    assert rows["close"]["error"] == "Bedrock.ServiceQuotaExceededException", rows
    results = {c["Name"]: c for c in state["candidates"]}
    assert results["bad"]["release"]["Error"] == "AccessDeniedException", results["bad"]
    assert summary["winner"] == "good"
    assert summary["leaked_throughputs"] == 0 and summary["leaked_deployments"] == 0, summary
    assert len(summary["provisioned_throughputs"]) == 1  # the failed candidates never got one
