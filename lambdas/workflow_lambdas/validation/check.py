"""One validation pass: the input with what the schema refused in it, the problems and warnings found so
far, and what the input is checked against (the function's settings, datasets, regions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow_lambdas.validation.fetch import Fetch
from workflow_lambdas.validation.problems import Problems
from workflow_lambdas.validation.schema_messages import schema_problems
from workflow_lambdas.validation.settings import Settings


@dataclass
class InputCheck:
    """``bad_paths``: the fields the schema refused (``Candidates[0].Name``); ``bad_top``: their top-level
    fields. A refused field's value is not checked again (its problem is reported once)."""

    raw: dict[str, Any]
    bad_paths: set[str]
    bad_top: set[str]
    problems: Problems
    warnings: Problems = field(default_factory=Problems)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> InputCheck:
        """The pass over ``raw``, starting with its schema problems."""
        problems = Problems(schema_problems(raw))
        bad_paths = problems.fields()
        return cls(raw, bad_paths, {p.split(".")[0].split("[")[0] for p in bad_paths}, problems)

    def given(self, name: str) -> bool:
        """The input has the top-level field ``name`` and the schema accepted it."""
        return name in self.raw and name not in self.bad_top


@dataclass(frozen=True)
class Env:
    """What the input is checked against. ``region``: where the run's Bedrock jobs are created (None: not
    checked); ``deploy_region``: the region of the execution ARN, where its models are served."""

    settings: Settings
    fetch: Fetch
    region: str | None
    deploy_region: str | None
