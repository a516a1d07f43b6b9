"""Tag keys of everything billed a run creates, and the ownership rule they decide.

Every job, custom model, provisioned throughput and custom model deployment a run creates carries
``RUN_ID`` (the execution name) and ``WORKFLOW`` (the state machine name); a sweep's candidate
resources also carry ``CANDIDATE``. A release path deletes a resource only when :func:`owned` holds:
a resource without this run's tags (the user's own, another run's) is never deleted. The IAM
conditions in ``iam.tf`` (``aws:ResourceTag/bedrock-customize:run-id``) use the same keys
(tests/terraform ties them to these constants).
"""

from __future__ import annotations

from collections.abc import Mapping

RUN_ID = "bedrock-customize:run-id"
WORKFLOW = "bedrock-customize:workflow"
CANDIDATE = "bedrock-customize:candidate"


def run_tags(run_id: str, workflow: str) -> list[dict[str, str]]:
    """``RunTags`` of a run context (Bedrock's ``[{"key"|"Key", "value"|"Value"}]`` tag lists, in ASL case)."""
    return [{"Key": RUN_ID, "Value": run_id}, {"Key": WORKFLOW, "Value": workflow}]


def candidate_tag(name: str) -> dict[str, str]:
    """The tag a sweep adds to a candidate's run tags."""
    return {"Key": CANDIDATE, "Value": name}


def owned(tags: Mapping[str, str], run_id: str, workflow: str) -> bool:
    """Whether a resource with these tags belongs to this run of this workflow (and may be released)."""
    return tags.get(RUN_ID) == run_id and tags.get(WORKFLOW) == workflow


def not_owned_reason(arn: str, run_id: str, workflow: str) -> str:
    """The readable cause when a release path refuses a resource that is not this run's."""
    return f"{arn} is not tagged {RUN_ID}={run_id} and {WORKFLOW}={workflow}; not deleted"
