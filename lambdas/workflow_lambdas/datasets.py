"""Dataset checks shared by the Lambdas (S3 bytes) and the CLI (local file bytes).

Nothing here talks to AWS. ``check_training`` returns problems; ``parse_validation``
returns the normalised evaluation records or raises ``DatasetProblems``.
The checks live in ``workflow_lambdas.validation`` (``training_data``, ``validation_data``,
``dataset_text``); this module keeps the names the CLI and the other Lambdas use.
"""

from __future__ import annotations

from workflow_lambdas.validation.dataset_text import (
    REFERENCE_FIELD,
    TRAINING_FIELD,
    VALIDATION_FIELD,
    file_label,
    where,
)
from workflow_lambdas.validation.problems import DatasetProblems, Problem
from workflow_lambdas.validation.training_data import check_training
from workflow_lambdas.validation.validation_data import (
    DEFAULT_MAX_PROMPT_CHARS,
    EvalRecord,
    parse_validation,
    references_needed,
)

__all__ = [
    "DEFAULT_MAX_PROMPT_CHARS",
    "REFERENCE_FIELD",
    "TRAINING_FIELD",
    "VALIDATION_FIELD",
    "DatasetProblems",
    "EvalRecord",
    "Problem",
    "check_training",
    "file_label",
    "parse_validation",
    "references_needed",
    "where",
]
