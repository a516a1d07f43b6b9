"""``custom_model_deployment``: create (run name, tags, idempotency token) and poll, against a botocore Stubber."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber

from workflow_lambdas import custom_model_deployment as cmd
from workflow_lambdas.common import aws

ARN = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/dep123"
MODEL = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-2-lite-v1:0:256k/abc"
RUN = {
    "RunId": "exec-42",
    "CustomModelDeploymentName": "summarizer-od-1a2b3c4d",
    "RunTags": [{"Key": "bedrock-customize:run-id", "Value": "exec-42"}],
    "ClientRequestTokens": {"Job": "job-x", "Throughput": "pt-x", "Deployment": "deploy-x", "WinnerThroughput": "w"},
}


@pytest.fixture
def bedrock(monkeypatch):
    client = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(cmd, "client", lambda name: client)
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()
    aws.reset_clients()


def test_create_sends_the_run_name_tags_and_token(bedrock):
    bedrock.add_response(
        "create_custom_model_deployment",
        {"customModelDeploymentArn": ARN},
        {
            "modelDeploymentName": RUN["CustomModelDeploymentName"],
            "modelArn": MODEL,
            "description": "bedrock-customize run exec-42: evaluation of the custom model",
            "tags": [{"key": "bedrock-customize:run-id", "value": "exec-42"}],
            "clientRequestToken": "deploy-x",
        },
    )
    event = {"Action": "CREATE", "run": RUN, "customization": {"CustomModelArn": MODEL}}
    assert cmd.handler(event) == {"CustomModelDeploymentArn": ARN}


def test_get_reports_status_and_failure_message(bedrock):
    bedrock.add_response(
        "get_custom_model_deployment",
        {
            "customModelDeploymentArn": ARN,
            "modelDeploymentName": "d",
            "modelArn": MODEL,
            "createdAt": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "status": "Failed",
            "failureMessage": "quota",
        },  # fmt: skip
        {"customModelDeploymentIdentifier": ARN},
    )
    assert cmd.handler({"Action": "GET", "CustomModelDeploymentArn": ARN}) == {
        "Status": "Failed",
        "FailureMessage": "quota",
    }


def test_a_refusal_is_raised_under_its_error_code(bedrock):
    bedrock.add_client_error("create_custom_model_deployment", "ServiceQuotaExceededException", "quota", 400)
    event = {"Action": "CREATE", "run": RUN, "customization": {"CustomModelArn": MODEL}}
    with pytest.raises(Exception) as raised:
        cmd.handler(event)
    assert type(raised.value).__name__ == "ServiceQuotaExceededException"


def test_throttling_is_raised_for_the_asl_retry(bedrock):
    bedrock.add_client_error("get_custom_model_deployment", "ThrottlingException", "slow down", 429)
    with pytest.raises(Exception) as raised:
        cmd.handler({"Action": "GET", "CustomModelDeploymentArn": ARN})
    assert type(raised.value).__name__ == "ThrottlingException"


def test_an_unknown_action_is_one_clear_line():
    with pytest.raises(cmd.DeploymentEventError, match="Action: 'DELETE' is not CREATE or GET"):
        cmd.handler({"Action": "DELETE"})
