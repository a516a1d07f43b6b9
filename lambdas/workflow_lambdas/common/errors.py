"""Moved to :mod:`workflow_lambdas.contract.errors` (the one definition); imported here only until the
last importer (validate_input, datasets: being split into a package) changes its import."""

from __future__ import annotations

from workflow_lambdas.contract.errors import DatasetError, InvalidInput, WorkflowError

__all__ = ["DatasetError", "InvalidInput", "WorkflowError"]
