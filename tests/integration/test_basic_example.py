"""Deploy examples/basic, check the deployment, run one short customization, destroy.

Opt-in (see conftest.py and README.md). The run uses a tiny generated dataset and
one epoch; it still creates a real customization job and a provisioned throughput,
which cost money (the workflow deletes the throughput unless the custom model wins;
this test deletes whatever the run kept).
"""

from __future__ import annotations

import json
import os
import time

import pytest

BASE_MODEL = os.environ.get("BEDROCK_CUSTOMIZE_BASE_MODEL", "amazon.nova-micro-v1:0:128k")
RUN_TIMEOUT = int(os.environ.get("BEDROCK_CUSTOMIZE_RUN_TIMEOUT_SECONDS", str(6 * 3600)))
POLL_SECONDS = int(os.environ.get("BEDROCK_CUSTOMIZE_POLL_SECONDS", "60"))

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
    arn = sfn.start_execution(
        stateMachineArn=outputs["state_machine_arn"], name=run_id, input=json.dumps(execution_input)
    )["executionArn"]

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
    bedrock = workspace.client("bedrock")
    try:
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
        # Never leave a billed throughput or the test's custom model behind.
        throughput = (output.get("throughput") or {}).get("ProvisionedModelArn")
        if throughput:
            try:
                bedrock.delete_provisioned_model_throughput(provisionedModelId=throughput)
            except bedrock.exceptions.ResourceNotFoundException:
                pass
        model = (output.get("customization") or {}).get("CustomModelArn")
        if model:
            try:
                bedrock.delete_custom_model(modelIdentifier=model)
            except bedrock.exceptions.ResourceNotFoundException:
                pass
