"""The run's billed Bedrock resources: one service module for every release path.

``release_throughput`` (in the workflow, and per candidate through ``sweep_release``) and
``release_stopped_run`` (the stopped-run rule and the scheduled sweep) read tags, classify Bedrock's
errors, retry a throttled delete and release a provisioned throughput or a custom model deployment
only through these functions, so the guards are the same on every path:

- a resource is deleted only when its tags carry the run's id and workflow name
  (:mod:`workflow_lambdas.contract.tags`); IAM enforces it too (``aws:ResourceTag`` conditions, iam.tf);
- a throughput with a commitment term is never deleted (``REFUSED``);
- a resource that is already gone is fine (idempotent: ``ALREADY_GONE``);
- a transient Bedrock failure is raised under the name the state machine retries
  (``ThrottlingException`` / ``ServiceUnavailableException``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from workflow_lambdas.common.aws_errors import THROTTLING_CODES, error_code, is_not_found
from workflow_lambdas.contract import tags as tags_contract
from workflow_lambdas.contract.errors import (
    DeploymentNotOwned,
    ServiceUnavailableException,
    ThrottlingException,
    ThroughputNotOwned,
)

#: Tries of one delete call while Bedrock throttles it (then ``ThrottlingException`` for the ASL Retry).
DELETE_ATTEMPTS = 5
TRANSIENT_CODES = {"ServiceUnavailableException", "InternalServerException", "ServiceException"}

# Outcomes of a release.
DELETED = "DELETED"
ALREADY_GONE = "ALREADY_GONE"
REFUSED = "REFUSED"


def transient(exc: ClientError) -> Exception | None:
    """The named error the state machine retries, for a transient Bedrock failure; else None."""
    code = error_code(exc)
    if code in THROTTLING_CODES:
        return ThrottlingException(str(exc))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    if code in TRANSIENT_CODES or status >= 500:
        return ServiceUnavailableException(str(exc))
    return None


def call(fn: Callable[[], Any]) -> Any:
    """Run one Bedrock call; a transient failure is re-raised under its retryable ASL name."""
    try:
        return fn()
    except ClientError as exc:
        named = transient(exc)
        if named is not None:
            raise named from exc
        raise


def tags_of(bedrock: Any, arn: str) -> dict[str, str]:
    response = call(lambda: bedrock.list_tags_for_resource(resourceARN=arn))
    return {t.get("key"): t.get("value") for t in response.get("tags", [])}


def delete_with_retry(
    delete: Callable[[], Any], sleep: Callable[[float], None], attempts: int = DELETE_ATTEMPTS
) -> None:
    """One delete call, tried again (0.5 s doubling, at most 8 s) while Bedrock throttles it."""
    for attempt in range(attempts):
        try:
            delete()
            return
        except ClientError as exc:
            named = transient(exc)
            if not isinstance(named, ThrottlingException):
                if named is not None:
                    raise named from exc
                raise
            if attempt == attempts - 1:
                raise ThrottlingException(f"still throttled after {attempts} attempts: {exc}") from exc
            sleep(min(8.0, 0.5 * 2**attempt))


def release_throughput(
    bedrock: Any,
    arn: str,
    run_id: str,
    workflow: str,
    *,
    details: dict[str, Any],
    sleep: Callable[[float], None],
    tags: dict[str, str] | None = None,
    not_deletable_yet: Callable[[ClientError], None] | None = None,
) -> tuple[str, str | None]:
    """``(action, commitment)``: ``DELETED``, ``ALREADY_GONE`` or ``REFUSED`` (a commitment term) for
    the provisioned throughput ``arn`` whose ``GetProvisionedModelThroughput`` answer is ``details``.

    ``tags`` (default: read now) must carry the run's tags, else :class:`ThroughputNotOwned`. A delete
    Bedrock refuses while the throughput is still being created goes to ``not_deletable_yet`` (which
    waits, or raises); without it, the error is raised."""
    if tags is None:
        tags = tags_of(bedrock, arn)
    if not tags_contract.owned(tags, run_id, workflow):
        raise ThroughputNotOwned(tags_contract.not_owned_reason(arn, run_id, workflow))
    commitment = details.get("commitmentDuration")
    if commitment:
        return REFUSED, str(commitment)
    while True:
        try:
            delete_with_retry(lambda: bedrock.delete_provisioned_model_throughput(provisionedModelId=arn), sleep)
        except ClientError as exc:
            if is_not_found(exc):
                return ALREADY_GONE, None
            if not_deletable_yet is None:
                raise
            not_deletable_yet(exc)  # waited (else it raised): try again
            continue
        return DELETED, None


def find_deployment_by_name(bedrock: Any, name: str) -> str | None:
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


def _tagged(
    bedrock: Any, operation: str, summaries: str, arn_key: str, filters: dict[str, Any]
) -> Iterator[tuple[str, dict[str, str]]]:
    kwargs: dict[str, Any] = {"maxResults": 100, **filters}
    while True:
        page = call(functools.partial(getattr(bedrock, operation), **kwargs))
        for summary in page.get(summaries, []):
            arn = summary.get(arn_key)
            if not arn:
                continue
            try:
                yield arn, tags_of(bedrock, arn)
            except ClientError as exc:
                if not is_not_found(exc):
                    raise
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def tagged_throughputs(bedrock: Any, **filters: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """``(arn, tags)`` of every provisioned throughput the listing returns (``filters``: its parameters,
    e.g. ``creationTimeAfter``), page by page; one deleted meanwhile is skipped."""
    return _tagged(
        bedrock, "list_provisioned_model_throughputs", "provisionedModelSummaries", "provisionedModelArn", filters
    )


def tagged_deployments(bedrock: Any, **filters: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """``(arn, tags)`` of every custom model deployment the listing returns, page by page."""
    return _tagged(
        bedrock, "list_custom_model_deployments", "modelDeploymentSummaries", "customModelDeploymentArn", filters
    )


def release_deployment(
    bedrock: Any,
    arn: str,
    run_id: str,
    workflow: str,
    *,
    sleep: Callable[[float], None],
) -> tuple[str, str]:
    """Delete the run's deployment: ``("DELETED"|"ALREADY_GONE", status)``; ``DeploymentNotOwned`` if not ours."""
    try:
        tags = tags_of(bedrock, arn)
    except ClientError as exc:
        if is_not_found(exc):
            return ALREADY_GONE, "Deleted"
        raise
    if not tags_contract.owned(tags, run_id, workflow):
        raise DeploymentNotOwned(tags_contract.not_owned_reason(arn, run_id, workflow))
    try:
        delete_with_retry(lambda: bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=arn), sleep)
    except ClientError as exc:
        if is_not_found(exc):
            return ALREADY_GONE, "Deleted"
        raise
    return DELETED, "Deleted"
