"""Every error a handler raises on purpose. The class name is the Step Functions ``Error`` name.

The Lambda runtime reports a raised exception as ``errorType`` = class name; Step Functions uses it as
the error name that ``Retry``/``Catch`` match and that ``workflow_lambdas.failures`` explains, so these
names are part of the state machine contract. Keep them stable. The zip Lambdas and the evaluator image
raise the same classes (the image ships this package).
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class of every error a handler raises on purpose."""


class InvalidInput(WorkflowError):
    """The execution input, a dataset or a setting is wrong. Raised before any spend."""


class DatasetError(WorkflowError):
    """A dataset, shard, inference or scores file in S3 is missing or malformed (found after validation)."""


class ThroughputNotOwned(WorkflowError):
    """A provisioned throughput does not carry this run's tags: it is never deleted."""


class DeploymentNotOwned(WorkflowError):
    """The deployment is not tagged for this run: never deleted, never retried."""


class ThroughputStillCreating(WorkflowError):
    """A run's throughput is still being created and cannot be deleted yet: retried by Lambda."""


class ThrottlingException(WorkflowError):
    """Bedrock kept throttling a release call: raised under this name so the ASL ``Retry`` on
    ``ThrottlingException`` matches (a bare botocore ``ClientError`` would surface as ``ClientError``)."""


class ServiceUnavailableException(WorkflowError):
    """Bedrock answered a release call with a transient server error (5xx): raised under this name for
    the ASL ``Retry``."""


class InferenceFailed(WorkflowError):
    """A shard could not be processed at all (not a single-record failure)."""


class InferenceDeadline(WorkflowError):
    """The Lambda deadline came before every call of a shard was made (retryable: the Map resumes it)."""


class ModelResponseError(WorkflowError):
    """A model answered, but not with a body this adapter can read."""

    def __init__(self, family: str, field: str, detail: str | None = None) -> None:
        self.family = family
        self.field = field
        message = f"{family} response: missing or invalid field '{field}'"
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message)


class EvaluationFailed(WorkflowError):
    """Scoring or aggregation could not produce a verdict."""


class DeploymentEventError(WorkflowError):
    """The event is not one the deployment function handles."""


class StoppedRunEventError(WorkflowError):
    """The event is not a Step Functions execution status change the stopped-run release handles."""
