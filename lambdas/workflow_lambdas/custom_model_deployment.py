"""``custom_model_deployment``: create and poll the run's on-demand custom model deployment.

Why a Lambda and not the Step Functions AWS SDK integration: the Step Functions docs ("Learning to use AWS
service SDK integrations in Step Functions" and its change log) list Amazon Bedrock as integrated on
2024-01-18 with no later update, and add API actions in quarterly releases; CreateCustomModelDeployment and
GetCustomModelDeployment came out in 2025, so the docs do not confirm that ``aws-sdk:bedrock:*`` covers
them. This function calls them with boto3 (the Lambda's own, pinned SDK); deletion is
``release_throughput``'s (the guarded release of every billed resource of a run).

Events (state machine ``Parameters``):
- ``{"Action": "CREATE", "run": <run context>, "customization": {"CustomModelArn"}}`` →
  ``{"CustomModelDeploymentArn"}``: CreateCustomModelDeployment with the run's name, tags and
  ``ClientRequestTokens.Deployment`` (a retried create returns the same deployment).
- ``{"Action": "GET", "CustomModelDeploymentArn": "..."}`` → ``{"Status": "Creating"|"Active"|"Failed",
  "FailureMessage": "...|null"}``.
Transient Bedrock errors are raised as ``ThrottlingException`` / ``ServiceUnavailableException`` for the
ASL ``Retry``.
"""

from __future__ import annotations

from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas.common.aws import client
from workflow_lambdas.common.aws_errors import error_code
from workflow_lambdas.common.logs import bound
from workflow_lambdas.contract.errors import DeploymentEventError, WorkflowError
from workflow_lambdas.resources import call as _call


class _Tag(BaseModel):
    Key: str
    Value: str


class _Tokens(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Deployment: str = Field(min_length=1)


class _Run(BaseModel):
    model_config = ConfigDict(extra="ignore")

    CustomModelDeploymentName: str = Field(min_length=1)
    RunId: str
    RunTags: list[_Tag]
    ClientRequestTokens: _Tokens


class _Customization(BaseModel):
    model_config = ConfigDict(extra="ignore")

    CustomModelArn: str = Field(min_length=1)


class CreateEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Action: Literal["CREATE"]
    run: _Run
    customization: _Customization


class GetEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Action: Literal["GET"]
    CustomModelDeploymentArn: str = Field(min_length=1)


def create(event: CreateEvent, *, bedrock: Any) -> dict[str, Any]:
    run = event.run
    response = _call(
        lambda: bedrock.create_custom_model_deployment(
            modelDeploymentName=run.CustomModelDeploymentName,
            modelArn=event.customization.CustomModelArn,
            description=f"bedrock-customize run {run.RunId}: evaluation of the custom model",
            tags=[{"key": t.Key, "value": t.Value} for t in run.RunTags],
            clientRequestToken=run.ClientRequestTokens.Deployment,
        )
    )
    return {"CustomModelDeploymentArn": response["customModelDeploymentArn"]}


def get(event: GetEvent, *, bedrock: Any) -> dict[str, Any]:
    response = _call(
        lambda: bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=event.CustomModelDeploymentArn)
    )
    return {"Status": response["status"], "FailureMessage": response.get("failureMessage")}


def _named(exc: ClientError) -> Exception:
    """A Bedrock refusal raised under its error code (``errorType`` = the ASL ``Error``, e.g.
    ``ServiceQuotaExceededException``) rather than botocore's generic ``ClientError``."""
    code = error_code(exc) or "BedrockError"
    name = code if code.isidentifier() else "BedrockError"
    named: type[WorkflowError] = type(name, (WorkflowError,), {})
    return named(str(exc))


@bound
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    action = event.get("Action") if isinstance(event, dict) else None
    try:
        if action == "CREATE":
            return create(CreateEvent.model_validate(event), bedrock=client("bedrock"))
        if action == "GET":
            return get(GetEvent.model_validate(event), bedrock=client("bedrock"))
    except ClientError as exc:
        raise _named(exc) from exc
    raise DeploymentEventError(f"Action: {action!r} is not CREATE or GET; send one of them")
