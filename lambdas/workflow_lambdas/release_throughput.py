"""``release_throughput``: the conditional deletion of the run's provisioned throughput.

Event ``{"State": <whole parent state>, "Reason": "VERDICT"|"FAILURE"}`` →
``{"Action", "ProvisionedModelArn", "Reason", "ThroughputStatus", "CustomModelDeleted"}``.

Policy: a failed run always releases; ``CUSTOM_BETTER`` keeps unless
``run.KeepThroughputOnWin`` is false; ``INCONCLUSIVE`` keeps only with
``run.Evaluation.OnInconclusive == "KEEP"``; ``NOT_BETTER`` (or no verdict at
all) releases, and also deletes the losing custom model when
``run.KeepLosingCustomModel`` is false (it is true by default: deletion is opt-in).

Guards: a throughput is deleted only when its tags carry this run's id and
workflow name (else ``ThroughputNotOwned``, never retried), never when it has a
commitment term (``REFUSED``, reported), and a throughput that is already gone
is fine (``ALREADY_GONE``): the function is idempotent. Transient Bedrock errors
are raised as ``ThrottlingException`` / ``ServiceUnavailableException`` so the
state machine's ``Retry`` can match them by name. The guards and the delete are ``workflow_lambdas.resources``
(shared with the stopped-run release).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas import resources
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.aws_errors import is_not_found
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.contract import decision as decisions
from workflow_lambdas.contract import tags as tags_contract
from workflow_lambdas.contract.errors import (
    ServiceUnavailableException,
    ThrottlingException,
    ThroughputNotOwned,
)
from workflow_lambdas.contract.evaluation import DEFAULTS

logger = get_logger(__name__)


class EvaluationOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    OnInconclusive: str = DEFAULTS.OnInconclusive


class RunView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    RunId: str = Field(min_length=1)
    WorkflowName: str = Field(min_length=1)
    ProvisionedModelName: str | None = None
    CustomModelName: str | None = None
    Evaluation: EvaluationOptions = Field(default_factory=EvaluationOptions)
    KeepThroughputOnWin: bool = decisions.KEEP_THROUGHPUT_ON_WIN
    KeepLosingCustomModel: bool = True
    DeploymentMode: str = "provisioned"
    KeepWinnerAs: str = "provisioned_throughput"
    CustomModelDeploymentName: str | None = None


class ThroughputView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ProvisionedModelArn: str | None = None


class DeploymentView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    CustomModelDeploymentArn: str | None = None


class ResultView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Verdict: str | None = None


class EvaluationView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Result: ResultView | None = None


class CustomizationView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    CustomModelArn: str | None = None


class StateView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run: RunView | None = None
    throughput: ThroughputView | None = None
    deployment: DeploymentView | None = None
    evaluation: EvaluationView | None = None
    customization: CustomizationView | None = None
    error: dict[str, Any] | None = None


class ReleaseEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    State: StateView
    Reason: Literal["VERDICT", "FAILURE"]


def _result(
    action: str, arn: str | None, reason: str, status: str | None = None, custom_deleted: bool = False
) -> dict[str, Any]:
    return {
        "Action": action,
        "ProvisionedModelArn": arn,
        "Reason": reason,
        "ThroughputStatus": status,
        "CustomModelDeleted": custom_deleted,
    }


def decide(state: StateView, reason: str) -> tuple[bool, str]:
    """``(keep, why)`` from the run outcome."""
    verdict = state.evaluation.Result.Verdict if state.evaluation and state.evaluation.Result else None
    run = state.run
    decision = decisions.decide(
        verdict,
        keep_throughput_on_win=run.KeepThroughputOnWin if run else decisions.KEEP_THROUGHPUT_ON_WIN,
        on_inconclusive=run.Evaluation.OnInconclusive if run else DEFAULTS.OnInconclusive,
        failed_with=((state.error or {}).get("Error") or "unknown error") if reason == "FAILURE" else None,
    )
    return decision.keep, decision.why


def _delete_custom_model(bedrock: Any, state: StateView, sleep: Callable[[float], None]) -> tuple[bool, str]:
    run = state.run
    assert run is not None
    model = (state.customization.CustomModelArn if state.customization else None) or run.CustomModelName
    if not model:
        return False, "custom model unknown: not deleted"
    try:
        tags = resources.tags_of(bedrock, model)
        if not tags_contract.owned(tags, run.RunId, run.WorkflowName):
            return False, f"custom model {model} is not tagged for this run: not deleted"
        resources.delete_with_retry(lambda: bedrock.delete_custom_model(modelIdentifier=model), sleep)
    except ClientError as exc:
        if is_not_found(exc):
            return False, f"custom model {model} already gone"
        logger.warning("could not delete custom model %s: %s", model, exc)
        return False, f"custom model {model} not deleted: {exc}"
    except (ThrottlingException, ServiceUnavailableException) as exc:
        # Reported, never raised: the throughput is already deleted, so a retried task would find it
        # ALREADY_GONE and never come back to the custom model.
        return False, f"custom model {model} not deleted: {exc}"
    return True, f"losing custom model {model} deleted"


def release(event: ReleaseEvent, *, bedrock: Any, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """The throughput (provisioned path, or the winner's throughput on the on-demand path), then the
    deployment (on-demand path), then the losing custom model when asked."""
    state = event.State
    run = state.run
    keep, why = decide(state, event.Reason)
    if run is not None and run.DeploymentMode == "on_demand":
        why = why.replace("throughput", "deployment")
    result = _release_throughput(event, bedrock, sleep, keep, why)
    primary = result["Action"]
    if run is not None and run.DeploymentMode == "on_demand":
        # The winner kept as a throughput (KeepWinnerAs provisioned_throughput) replaces its deployment.
        winner_pt = result["Action"] == "KEPT" and result["ProvisionedModelArn"] is not None
        keep_deployment = keep and not winner_pt and event.Reason == "VERDICT"
        action, arn, status = _release_deployment(bedrock, state, sleep, keep_deployment)
        result.update({"CustomModelDeploymentArn": arn, "DeploymentAction": action, "DeploymentStatus": status})
        if winner_pt:
            result["Reason"] = (
                f"{why.replace('deployment kept', 'kept as a provisioned throughput')}; deployment {action.lower()}"
            )
        else:
            primary = action
            result["Action"] = action
    verdict = state.evaluation.Result.Verdict if state.evaluation and state.evaluation.Result else None
    if (
        primary in ("DELETED", "ALREADY_GONE")
        and event.Reason == "VERDICT"
        and verdict == "NOT_BETTER"
        and run is not None
        and not run.KeepLosingCustomModel
    ):
        result["CustomModelDeleted"], note = _delete_custom_model(bedrock, state, sleep)
        result["Reason"] = f"{result['Reason']}; {note}"
    return result


def _release_deployment(
    bedrock: Any, state: StateView, sleep: Callable[[float], None], keep: bool
) -> tuple[str, str | None, str | None]:
    """``(action, arn, status)`` for the run's custom model deployment (see ``workflow_lambdas.resources``)."""
    run = state.run
    assert run is not None
    arn = state.deployment.CustomModelDeploymentArn if state.deployment else None
    if arn is None and run.CustomModelDeploymentName:
        # The create call may have failed after Bedrock accepted it: look it up by its run-unique name.
        arn = resources.find_deployment_by_name(bedrock, run.CustomModelDeploymentName)
    if arn is None:
        return "NOT_CREATED", None, None
    if keep:
        try:
            status = resources.call(lambda: bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn))[
                "status"
            ]
        except ClientError as exc:
            if is_not_found(exc):
                return "ALREADY_GONE", arn, "Deleted"
            raise
        return "KEPT", arn, status
    action, status = resources.release_deployment(bedrock, arn, run.RunId, run.WorkflowName, sleep=sleep)
    logger.info("custom model deployment %s: %s", arn, action)
    return action, arn, status


def _release_throughput(
    event: ReleaseEvent, bedrock: Any, sleep: Callable[[float], None], keep: bool, why: str
) -> dict[str, Any]:
    state = event.State
    run = state.run
    arn = state.throughput.ProvisionedModelArn if state.throughput else None

    if run is None:
        if arn is None:
            return _result("NOT_CREATED", None, "no run context: nothing was provisioned")
        raise ThroughputNotOwned(f"{arn}: no run context to check ownership against; not deleted")

    if arn is None:
        # The create call may have failed after Bedrock accepted it: look the throughput up by its run-unique name.
        if not run.ProvisionedModelName:
            return _result("NOT_CREATED", None, f"no provisioned throughput for this run; {why}")
        try:
            found = resources.call(
                lambda: bedrock.get_provisioned_model_throughput(provisionedModelId=run.ProvisionedModelName)
            )
        except ClientError as exc:
            if is_not_found(exc):
                return _result(
                    "NOT_CREATED", None, f"no provisioned throughput named {run.ProvisionedModelName}; {why}"
                )
            raise
        arn = found.get("provisionedModelArn") or run.ProvisionedModelName
        details = found
    else:
        try:
            details = resources.call(lambda: bedrock.get_provisioned_model_throughput(provisionedModelId=arn))
        except ClientError as exc:
            if is_not_found(exc):
                return _result("ALREADY_GONE", arn, f"{why}; throughput already deleted", "Deleted")
            raise
    status = details.get("status")

    if keep:
        logger.info("keeping %s: %s", arn, why)
        return _result("KEPT", arn, why, status)

    action, commitment = resources.release_throughput(
        bedrock, arn, run.RunId, run.WorkflowName, details=details, sleep=sleep
    )
    if action == resources.REFUSED:
        return _result(
            "REFUSED",
            arn,
            f"{why}; but the throughput has a {commitment} commitment term and cannot be deleted",
            status,
        )
    if action == resources.ALREADY_GONE:
        return _result("ALREADY_GONE", arn, f"{why}; throughput already deleted", "Deleted")
    logger.info("deleted %s: %s", arn, why)
    return _result("DELETED", arn, why, "Deleted")


@bound
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    from workflow_lambdas import sweep_release

    state = event.get("State") if isinstance(event, dict) else None
    if isinstance(state, dict) and sweep_release.is_sweep(state):
        reason = ReleaseEvent.model_validate(event).Reason
        return sweep_release.release_candidates(state, reason, bedrock=client("bedrock"))
    return release(ReleaseEvent.model_validate(event), bedrock=client("bedrock"))
