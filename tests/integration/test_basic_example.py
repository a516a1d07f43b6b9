"""Deploy examples/basic, check the deployment, run one short customization, destroy.

Opt-in (see conftest.py and README.md). The run uses a tiny generated dataset and
one epoch; it still creates a real customization job and a provisioned throughput,
which cost money (the workflow deletes the throughput unless the custom model wins;
whatever the outcome, the test then stops the run and its job if still going and deletes
every provisioned throughput and custom model tagged for the run, waiting until the
throughputs are gone).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from workflow_lambdas.common.aws_errors import NOT_FOUND
from workflow_lambdas.contract.tags import RUN_ID as RUN_ID_TAG
from workflow_lambdas.contract.tags import WORKFLOW as WORKFLOW_TAG

# The module's ownership tags (the run id is the execution name, the workflow the parent state
# machine's name), the listing and the errors of a throughput still being created: the same as
# the release_stopped_run function's.
from workflow_lambdas.release_stopped_run import NOT_DELETABLE_YET, tagged_throughputs

BASE_MODEL = os.environ.get("BEDROCK_CUSTOMIZE_BASE_MODEL", "amazon.nova-micro-v1:0:128k")
RUN_TIMEOUT = int(os.environ.get("BEDROCK_CUSTOMIZE_RUN_TIMEOUT_SECONDS", str(6 * 3600)))
POLL_SECONDS = int(os.environ.get("BEDROCK_CUSTOMIZE_POLL_SECONDS", "60"))
CLEANUP_TIMEOUT = int(os.environ.get("BEDROCK_CUSTOMIZE_CLEANUP_TIMEOUT_SECONDS", str(3600)))
CLEANUP_POLL_SECONDS = 30
CREATING_WAIT_SECONDS = 20 * 60  # after a refused delete, poll a Creating throughput this long, then retry


TOPICS = ["a delayed parcel", "a password reset", "a double charge", "a broken screen", "a missing refund",
          "a wrong size", "an address change", "a cancelled flight", "a late invoice", "a lost key card",
          "a duplicate order", "a warranty claim"]  # fmt: skip


def _conversation(topic: str, index: int) -> dict:
    """One synthetic fine-tuning record in the Bedrock conversation format (Nova)."""
    dialogue = (
        f"Customer: Hello, I am writing about {topic}, reference {1000 + index}.\n"
        f"Agent: Thanks, I found reference {1000 + index} and fixed {topic} today."
    )
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "You summarise support chats in one sentence."}],
        "messages": [
            {"role": "user", "content": [{"text": f"Summarize the chat.\n\n{dialogue}"}]},
            {"role": "assistant", "content": [{"text": f"The agent fixed {topic} for reference {1000 + index}."}]},
        ],
    }


def _validation(topic: str, index: int) -> dict:
    dialogue = (
        f"Customer: Hi, there is a problem with {topic}, case {2000 + index}.\n"
        f"Agent: Case {2000 + index} is solved, {topic} is sorted out."
    )
    return {
        "id": f"val-{index:03d}",
        "prompt": f"Summarize the chat.\n\n{dialogue}",
        "reference": f"The agent solved {topic} for case {2000 + index}.",
    }


def _jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_outputs_name_the_deployed_resources(workspace):
    outputs = workspace.outputs
    for name in ("state_machine_arn", "training_bucket_name", "validation_bucket_name", "artifacts_bucket_name"):
        assert outputs.get(name), name
    sfn = workspace.client("stepfunctions")
    described = sfn.describe_state_machine(stateMachineArn=outputs["state_machine_arn"])
    assert described["status"] == "ACTIVE"
    assert described["loggingConfiguration"]["level"] == "ALL"
    assert described["tracingConfiguration"]["enabled"] is True
    s3 = workspace.client("s3")
    for kind in ("training", "validation", "artifacts"):
        bucket = outputs[f"{kind}_bucket_name"]
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()), (bucket, block)
        assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"


def test_second_plan_is_empty(workspace):
    """Idempotence: no timestamp(), content-hashed image tag and zip, so nothing changes."""
    proc = workspace.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode", check=False)
    assert proc.returncode == 0, f"plan after apply is not empty (exit {proc.returncode}):\n{proc.stdout[-4000:]}"


def test_stopped_run_rules_target_the_release_function(workspace):
    """The safety net for stopped runs: the status-change rule and the scheduled sweep."""
    machine = workspace.outputs["state_machine_arn"]
    function = f"{workspace.prefix}-release-stopped-run"
    events = workspace.client("events")

    rule = events.describe_rule(Name=f"{workspace.prefix}-run-stopped")
    assert rule["State"] == "ENABLED"
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["stateMachineArn"] == [machine], pattern
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "TIMED_OUT"], pattern

    sweep = events.describe_rule(Name=f"{workspace.prefix}-stopped-run-sweep")
    assert sweep["State"] == "ENABLED"
    assert sweep.get("ScheduleExpression"), sweep

    for name, expected_input in ((rule["Name"], None), (sweep["Name"], {"Sweep": True, "StateMachineArn": machine})):
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
        assert [t["Arn"].rsplit(":", 1)[-1] for t in targets] == [function], (name, targets)
        if expected_input is not None:
            assert json.loads(targets[0]["Input"]) == expected_input, (name, targets)


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _owned(bedrock, arn: str, run_id: str, workflow: str) -> bool:
    """Whether the Bedrock resource carries this run's ownership tags (False once it is gone)."""
    from botocore.exceptions import ClientError

    try:
        tags = bedrock.list_tags_for_resource(resourceARN=arn).get("tags", [])
    except ClientError as exc:
        if _code(exc) == NOT_FOUND:
            return False
        raise
    values = {t.get("key"): t.get("value") for t in tags}
    return values.get(RUN_ID_TAG) == run_id and values.get(WORKFLOW_TAG) == workflow


def _run_throughputs(bedrock, run_id: str, workflow: str) -> list[str]:
    """ARNs of the provisioned throughputs tagged for this run (the rule release_stopped_run uses)."""
    return [
        arn
        for arn, tags in tagged_throughputs(bedrock)
        if tags.get(RUN_ID_TAG) == run_id and tags.get(WORKFLOW_TAG) == workflow
    ]


def _throughput_status(bedrock, arn: str) -> str | None:
    """The throughput's status, or None once it is gone."""
    from botocore.exceptions import ClientError

    try:
        return bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["status"]
    except ClientError as exc:
        if _code(exc) == NOT_FOUND:
            return None
        raise


def _delete_throughput(bedrock, arn: str, deadline: float) -> None:
    """Delete one throughput and return once it is gone; a throughput still Creating is waited for."""
    from botocore.exceptions import ClientError

    def left(what: str) -> AssertionError:
        return AssertionError(
            f"provisioned throughput {arn} {what} after {CLEANUP_TIMEOUT} s (it is billed by the hour): "
            f"delete it by hand with aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}"
        )

    while True:
        try:
            bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
            break
        except ClientError as exc:
            code = _code(exc)
            if code == NOT_FOUND:
                return
            if code not in NOT_DELETABLE_YET:
                raise
        # Refused: most likely still Creating. Poll until it is not (or for CREATING_WAIT_SECONDS), then retry.
        waited = 0
        while True:
            if time.monotonic() > deadline:
                raise left("could not be deleted")
            time.sleep(CLEANUP_POLL_SECONDS)
            waited += CLEANUP_POLL_SECONDS
            status = _throughput_status(bedrock, arn)
            if status is None:
                return
            if status != "Creating" or waited >= CREATING_WAIT_SECONDS:
                break
    while _throughput_status(bedrock, arn) is not None:
        if time.monotonic() > deadline:
            raise left("was still not gone")
        time.sleep(CLEANUP_POLL_SECONDS)


def _release_run(sfn, bedrock, execution_arn: str, run_id: str, workflow: str, output: dict) -> None:
    """Leave nothing billed behind, whatever the run did: see README.md "What the tests check"."""
    from botocore.exceptions import ClientError

    # 1. A run that is somehow still going (the test broke off) would create a throughput later.
    if sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
        sfn.stop_execution(executionArn=execution_arn, error="IntegrationCleanup", cause="test cleanup")
    # 2. A customization job still training keeps billing and would create a custom model later.
    for job in bedrock.list_model_customization_jobs(nameContains=run_id, statusEquals="InProgress").get(
        "modelCustomizationJobSummaries", []
    ):
        if _owned(bedrock, job["jobArn"], run_id, workflow):
            try:
                bedrock.stop_model_customization_job(jobIdentifier=job["jobArn"])
            except ClientError as exc:
                if _code(exc) not in (NOT_FOUND, "ValidationException"):  # ended meanwhile
                    raise
    # 3. Every throughput tagged for the run, found by listing (a FAILED or ABORTED run has no
    #    output; one whose create call was in flight is found too), deleted and waited for, so
    #    that terraform destroy never races release_stopped_run. Listed again until none is left.
    deadline = time.monotonic() + CLEANUP_TIMEOUT
    handled: set[str] = set()
    while arns := _run_throughputs(bedrock, run_id, workflow):
        if set(arns) <= handled:  # listing lags behind a finished delete
            if time.monotonic() > deadline:
                raise AssertionError(f"provisioned throughputs {arns} of run {run_id} are still listed; delete them")
            time.sleep(CLEANUP_POLL_SECONDS)
        for arn in arns:
            _delete_throughput(bedrock, arn, deadline)
            handled.add(arn)
    # 4. The run's custom models (none while no throughput uses them any more).
    models = {(output.get("customization") or {}).get("CustomModelArn")}
    models |= {
        m["modelArn"]
        for m in bedrock.list_custom_models(nameContains=run_id).get("modelSummaries", [])
        if _owned(bedrock, m["modelArn"], run_id, workflow)
    }
    for model in sorted(m for m in models if m):
        try:
            bedrock.delete_custom_model(modelIdentifier=model)
        except ClientError as exc:
            if _code(exc) != NOT_FOUND:
                raise


@pytest.mark.skipif(
    bool(os.environ.get("BEDROCK_CUSTOMIZE_LOCALSTACK_ENDPOINT"))
    and os.environ.get("BEDROCK_CUSTOMIZE_LOCALSTACK_BEDROCK") != "1",
    reason="LocalStack does not emulate Bedrock model customization / provisioned throughput; "
    "set BEDROCK_CUSTOMIZE_LOCALSTACK_BEDROCK=1 if yours does",
)
def test_short_run_completes_and_releases_throughput(workspace):
    outputs = workspace.outputs
    s3 = workspace.client("s3")
    s3.put_object(
        Bucket=outputs["training_bucket_name"],
        Key="it/training.jsonl",
        Body=_jsonl([_conversation(t, i) for i, t in enumerate(TOPICS)]),
    )
    s3.put_object(
        Bucket=outputs["validation_bucket_name"],
        Key="it/validation.jsonl",
        Body=_jsonl([_validation(t, i) for i, t in enumerate(TOPICS[:4])]),
    )
    run_id = f"it-{int(time.time())}"
    execution_input = {
        "BaseModelIdentifier": BASE_MODEL,
        "CustomModelName": f"{run_id}-model",
        "JobName": f"{run_id}-job",
        "HyperParameters": {"epochCount": "1"},
        "TrainingDataFileName": "it/training.jsonl",
        "ValidationDataFileName": "it/validation.jsonl",
        "Evaluation": {"BootstrapResamples": 200, "ShardSize": 2},
    }
    sfn = workspace.client("stepfunctions")
    bedrock = workspace.client("bedrock")
    workflow = outputs["state_machine_arn"].rsplit(":", 1)[-1]
    arn = sfn.start_execution(
        stateMachineArn=outputs["state_machine_arn"], name=run_id, input=json.dumps(execution_input)
    )["executionArn"]

    output: dict = {}
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                sfn.stop_execution(executionArn=arn, error="IntegrationTimeout", cause="test deadline")
                pytest.fail(f"run {arn} still running after {RUN_TIMEOUT} s (stopped)")
            time.sleep(POLL_SECONDS)

        output = json.loads(described.get("output") or "{}")
        assert described["status"] == "SUCCEEDED", (
            f"{described['status']}: {described.get('error')} {described.get('cause')}"
        )
        verdict = output["evaluation"]["Result"]["Verdict"]
        assert verdict in ("CUSTOM_BETTER", "NOT_BETTER", "INCONCLUSIVE")
        report = output["evaluation"]["Result"]["ReportS3Uri"]
        bucket, key = report.removeprefix("s3://").split("/", 1)
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
        action = output["release"]["Action"]
        # A losing or inconclusive run always releases; a win keeps it only when the input asks to.
        assert action in (("KEPT", "DELETED") if verdict == "CUSTOM_BETTER" else ("DELETED",)), output["release"]
    finally:
        # Never leave a billed throughput, a running job or the test's custom model behind.
        _release_run(sfn, bedrock, arn, run_id, workflow, output)
