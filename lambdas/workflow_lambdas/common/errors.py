"""Domain errors. The class name is the Step Functions ``Error`` name.

The Lambda runtime reports a raised exception as ``errorType`` = class name;
Step Functions uses it as the error name that ``Retry``/``Catch`` match, so
these names are part of the state machine contract. Keep them stable.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class of every error a handler raises on purpose."""


class InvalidInput(WorkflowError):
    """The execution input, a dataset or a setting is wrong. Raised before any spend."""


class DatasetError(WorkflowError):
    """A dataset in S3 is missing or malformed (found after validation)."""


class ThroughputNotOwned(WorkflowError):
    """A provisioned throughput does not carry this run's tags: it is never deleted."""


class InferenceFailed(WorkflowError):
    """A shard could not be processed at all (not a single-record failure)."""


class EvaluationFailed(WorkflowError):
    """Scoring or aggregation could not produce a verdict."""
