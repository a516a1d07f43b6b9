"""Domain errors of the evaluator. The class name is the Step Functions ``Error`` name.

The evaluator image does not contain ``workflow_lambdas``, so these classes are
defined here with the same names as ``workflow_lambdas.common.errors``: the Lambda
runtime reports ``errorType`` = class name, which is what ``Retry``/``Catch`` match.
"""

from __future__ import annotations


class EvaluatorError(Exception):
    """Base class of every error the evaluator raises on purpose."""


class DatasetError(EvaluatorError):
    """A shard, inference or scores file in S3 is missing or malformed."""


class EvaluationFailed(EvaluatorError):
    """Scoring or aggregation could not produce a verdict."""
