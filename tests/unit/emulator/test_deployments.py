"""Emulated custom model deployments (on-demand inference) and clientRequestToken idempotency, via boto3.

Response shapes are checked against botocore's ``bedrock`` service model, the same reference the
templates are checked against (tests/unit/emulator/test_template_shapes.py).
"""

from __future__ import annotations

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bedrock_customize.emulator.bedrock import BedrockWorld, set_active_world
from bedrock_customize.emulator.config import EmulatorConfig, ModelBehaviour

REGION = "us-east-1"
PROMPT = "Summarise: Ana moved the meeting to Friday because the room was booked."
REFERENCE = "Ana moved the meeting to Friday."
TAGS = [{"key": "bedrock-customize:run-id", "value": "run-1"}]


def _world(**config):
    world = BedrockWorld(EmulatorConfig(base=ModelBehaviour(quality=1.0), custom=ModelBehaviour(quality=1.0), **config))
    world.teach({PROMPT: REFERENCE})
    set_active_world(world)
    return world


@pytest.fixture
def world(emulated_aws):
    world = _world()
    with mock_aws():
        yield world
    set_active_world(None)


def _custom_model(bedrock) -> str:
    """A completed customization job's custom model ARN (moto creates the model with the job)."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="data")
    bedrock.create_model_customization_job(
        jobName="job-1",
        customModelName="model-1",
        roleArn="arn:aws:iam::123456789012:role/r",
        baseModelIdentifier="amazon.nova-lite-v1:0:300k",
        trainingDataConfig={"s3Uri": "s3://data/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://data/out/"},
    )
    return bedrock.get_custom_model(modelIdentifier="model-1")["modelArn"]


def _output_members(operation: str) -> set[str]:
    model = botocore.session.get_session().get_service_model("bedrock")
    return set(model.operation_model(operation).output_shape.members)


def test_deployment_lifecycle_matches_the_documented_shapes(world):
    bedrock = boto3.client("bedrock", region_name=REGION)
    model_arn = _custom_model(bedrock)
    created = bedrock.create_custom_model_deployment(
        modelDeploymentName="dep-1", modelArn=model_arn, tags=TAGS, clientRequestToken="deploy-abc"
    )
    arn = created["customModelDeploymentArn"]
    assert ":custom-model-deployment/" in arn

    got = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    got.pop("ResponseMetadata")
    assert set(got) <= _output_members("GetCustomModelDeployment")
    assert got["status"] == "Active" and got["modelArn"] == model_arn and got["modelDeploymentName"] == "dep-1"

    tags = bedrock.list_tags_for_resource(resourceARN=arn)["tags"]
    assert tags == TAGS
    summaries = bedrock.list_custom_model_deployments()["modelDeploymentSummaries"]
    assert [s["customModelDeploymentArn"] for s in summaries] == [arn]
    summary_members = set(
        botocore.session.get_session().get_service_model("bedrock").shape_for("CustomModelDeploymentSummary").members
    )
    assert set(summaries[0]) <= summary_members

    runtime = boto3.client("bedrock-runtime", region_name=REGION)
    answer = runtime.converse(modelId=arn, messages=[{"role": "user", "content": [{"text": PROMPT}]}])
    assert answer["output"]["message"]["content"][0]["text"] == REFERENCE
    assert world.stats["custom"].answered == 1

    bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=arn)
    with pytest.raises(ClientError) as gone:
        bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        runtime.converse(modelId=arn, messages=[{"role": "user", "content": [{"text": PROMPT}]}])
    assert bedrock.list_custom_model_deployments()["modelDeploymentSummaries"] == []


def test_same_client_request_token_returns_the_same_deployment(world):
    bedrock = boto3.client("bedrock", region_name=REGION)
    model_arn = _custom_model(bedrock)
    kwargs = {"modelDeploymentName": "dep-1", "modelArn": model_arn, "tags": TAGS}
    first = bedrock.create_custom_model_deployment(clientRequestToken="deploy-abc", **kwargs)
    again = bedrock.create_custom_model_deployment(clientRequestToken="deploy-abc", **kwargs)
    assert again["customModelDeploymentArn"] == first["customModelDeploymentArn"]
    assert len(world.deployments) == 1
    with pytest.raises(ClientError) as conflict:  # a new token and the same name: a second create
        bedrock.create_custom_model_deployment(clientRequestToken="deploy-other", **kwargs)
    assert conflict.value.response["Error"]["Code"] == "ConflictException"


def test_same_client_request_token_returns_the_same_job_and_throughput(world):
    bedrock = boto3.client("bedrock", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="data")
    job = {
        "jobName": "job-1",
        "customModelName": "model-1",
        "roleArn": "arn:aws:iam::123456789012:role/r",
        "baseModelIdentifier": "amazon.nova-lite-v1:0:300k",
        "trainingDataConfig": {"s3Uri": "s3://data/train.jsonl"},
        "outputDataConfig": {"s3Uri": "s3://data/out/"},
        "clientRequestToken": "job-abc",
    }
    first = bedrock.create_model_customization_job(**job)["jobArn"]
    assert bedrock.create_model_customization_job(**job)["jobArn"] == first
    model_arn = bedrock.get_custom_model(modelIdentifier="model-1")["modelArn"]
    pt = {"modelUnits": 1, "provisionedModelName": "pt-1", "modelId": model_arn, "clientRequestToken": "pt-abc"}
    arn = bedrock.create_provisioned_model_throughput(**pt)["provisionedModelArn"]
    assert bedrock.create_provisioned_model_throughput(**pt)["provisionedModelArn"] == arn
    assert len(world.throughputs) == 1


@pytest.mark.parametrize(("outcome", "status"), [("Failed", "Failed"), ("never_active", "Creating")])
def test_deployment_outcomes(emulated_aws, outcome, status):
    _world(deployment_outcome=outcome, deployment_polls=1)
    try:
        with mock_aws():
            bedrock = boto3.client("bedrock", region_name=REGION)
            arn = bedrock.create_custom_model_deployment(modelDeploymentName="d", modelArn=_custom_model(bedrock))[
                "customModelDeploymentArn"
            ]
            for _ in range(3):
                got = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
            assert got["status"] == status
            assert ("failureMessage" in got) is (outcome == "Failed")
            runtime = boto3.client("bedrock-runtime", region_name=REGION)
            with pytest.raises(ClientError) as refused:
                runtime.converse(modelId=arn, messages=[{"role": "user", "content": [{"text": PROMPT}]}])
            assert refused.value.response["Error"]["Code"] == "ModelNotReadyException"
    finally:
        set_active_world(None)


def test_create_deployment_error(emulated_aws):
    _world(create_deployment_error=True)
    try:
        with mock_aws():
            bedrock = boto3.client("bedrock", region_name=REGION)
            with pytest.raises(ClientError) as failed:
                bedrock.create_custom_model_deployment(modelDeploymentName="d", modelArn=_custom_model(bedrock))
            assert failed.value.response["Error"]["Code"] == "ServiceQuotaExceededException"
    finally:
        set_active_world(None)
