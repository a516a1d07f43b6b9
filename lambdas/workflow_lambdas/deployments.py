"""The guarded release of a run's custom model deployment (on-demand inference): one place for the
ownership check and the delete, used by ``release_throughput`` (in the workflow) and
``release_stopped_run`` (the stopped-run rule and the scheduled sweep).

A deployment is deleted only when its tags carry the run's id and workflow name (the module's tags,
``bedrock-customize:run-id`` / ``bedrock-customize:workflow``), the same rule as for a throughput; IAM
enforces it too (``aws:ResourceTag`` condition on ``bedrock:DeleteCustomModelDeployment``, iam.tf).
A deployment that is already gone is fine (idempotent).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from workflow_lambdas.common.aws_errors import is_not_found
from workflow_lambdas.contract import tags as tags_contract
from workflow_lambdas.contract.errors import DeploymentNotOwned


def find_by_name(bedrock: Any, name: str, call: Callable[[Callable[[], Any]], Any]) -> str | None:
    """The ARN of the live deployment with exactly this name (a create whose response was lost), else None."""
    kwargs: dict[str, Any] = {"nameContains": name, "maxResults": 100}
    while True:
        page = call(functools.partial(bedrock.list_custom_model_deployments, **kwargs))
        for summary in page.get("modelDeploymentSummaries", []):
            if summary.get("customModelDeploymentName") == name:
                arn: str | None = summary.get("customModelDeploymentArn")
                return arn
        if not page.get("nextToken"):
            return None
        kwargs["nextToken"] = page["nextToken"]


def tagged_deployments(
    bedrock: Any, tags_of: Callable[[str], dict[str, str]], call: Callable[[Callable[[], Any]], Any], **filters: Any
) -> Iterator[tuple[str, dict[str, str]]]:
    """``(arn, tags)`` of every custom model deployment the listing returns, page by page."""
    kwargs: dict[str, Any] = {"maxResults": 100, **filters}
    while True:
        page = call(functools.partial(bedrock.list_custom_model_deployments, **kwargs))
        for summary in page.get("modelDeploymentSummaries", []):
            arn = summary.get("customModelDeploymentArn")
            if not arn:
                continue
            try:
                yield arn, tags_of(arn)
            except ClientError as exc:
                if not is_not_found(exc):
                    raise
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def release_deployment(
    bedrock: Any,
    arn: str,
    run_id: str,
    workflow: str,
    *,
    tags_of: Callable[[str], dict[str, str]],
    delete: Callable[[Callable[[], Any]], None],
) -> tuple[str, str]:
    """Delete the run's deployment: ``("DELETED"|"ALREADY_GONE", status)``; ``DeploymentNotOwned`` if not ours.

    ``delete(call)`` runs the delete call with the caller's retry policy (throttling backoff).
    """
    try:
        tags = tags_of(arn)
    except ClientError as exc:
        if is_not_found(exc):
            return "ALREADY_GONE", "Deleted"
        raise
    if not tags_contract.owned(tags, run_id, workflow):
        raise DeploymentNotOwned(tags_contract.not_owned_reason(arn, run_id, workflow))
    try:
        delete(lambda: bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=arn))
    except ClientError as exc:
        if is_not_found(exc):
            return "ALREADY_GONE", "Deleted"
        raise
    return "DELETED", "Deleted"
