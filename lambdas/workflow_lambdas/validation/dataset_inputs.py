"""The datasets an input names (training, validation, reference file): their keys, whether they exist, and
their contents (``training_data``, ``validation_data``). A local file standing in for one (the CLI) is named
``path (Field)`` in its problems."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

from workflow_lambdas import model_families as mf
from workflow_lambdas.validation.check import Env, InputCheck
from workflow_lambdas.validation.dataset_text import REFERENCE_FIELD, file_label
from workflow_lambdas.validation.fetch import MAX_SHARDS, NOT_CHECKED, VALIDATION_READ_CAP
from workflow_lambdas.validation.problems import DatasetProblems, Problem
from workflow_lambdas.validation.run_context import InferenceSettings
from workflow_lambdas.validation.training_data import check_training
from workflow_lambdas.validation.validation_data import DEFAULT_MAX_PROMPT_CHARS, parse_validation, references_needed

DEFAULT_VALIDATION_FILE = "validation-data.json"
DEFAULT_REFERENCE_FILE = "reference-inference.json"


class LocalLabels:
    """The names of the local files ``fetch`` read instead of S3 objects, by input field."""

    def __init__(self) -> None:
        self._by_field: dict[str, str] = {}

    def label(self, field: str, key: str, data: Any) -> str:
        """The name problems use for a dataset: its key, or ``path (Field)`` when ``fetch`` read a local file."""
        source = getattr(data, "source", None)
        label = file_label(field, key, source)
        if source:
            self._by_field[field] = label
        return label

    def named(self, problem: Problem) -> Problem:
        """A problem whose message starts with its own local file's ``path (Field)`` drops the ``Field:`` prefix."""
        label = self._by_field.get(problem.field)
        if label and problem.message.startswith(label):
            return dataclasses.replace(problem, named=True)
        return problem


def s3_key_problem(field: str, key: str, bucket: str) -> Problem | None:
    if key.startswith("s3://"):
        return Problem(
            field,
            f"{key} is an S3 URI, but a key in the bucket {bucket} is expected",
            f"upload the file to {bucket} and give its key, e.g. {key.rsplit('/', 1)[-1]}",
        )
    if key.startswith("/"):
        return Problem(field, f"{key} starts with '/'", "give the key without a leading '/'")
    return None


def missing_object(field: str, bucket: str, key: str) -> Problem:
    return Problem(
        field,
        f"s3://{bucket}/{key} does not exist (or is not readable)",
        f"upload the file to the bucket {bucket} or correct the name",
    )


def _read(check: InputCheck, env: Env, field: str, bucket: str, key: str) -> bytes | None:
    """The object ``key`` names, or None (its problem reported, or NOT_CHECKED: nothing to check)."""
    key_problem = s3_key_problem(field, key, bucket)
    if key_problem:
        check.problems.append(key_problem)
        return None
    data = env.fetch(bucket, key)
    if data is NOT_CHECKED:
        return None
    if data is None:
        check.problems.append(missing_object(field, bucket, key))
    return data


def check_training_input(
    check: InputCheck, env: Env, labels: LocalLabels, model: mf.BaseModel | None, ctype: str | None
) -> str | None:
    """The key of the training data (None when the schema refused it), with the problems of its contents."""
    if not check.given("TrainingDataFileName"):
        return None
    key: str = check.raw["TrainingDataFileName"]
    data = _read(check, env, "TrainingDataFileName", env.settings.training_bucket, key)
    if data is not None and ctype is not None:
        name = labels.label("TrainingDataFileName", key, data)
        family = model.family if model else None
        check.problems.extend(
            check_training(data, family, ctype, name=name, total_size=getattr(data, "total_size", None))
        )
    return key


class _Reference(NamedTuple):
    """The reference file the evaluation uses: ``data`` None when it is not used (not needed, missing, not
    checked); ``key`` only when it was read."""

    data: bytes | None
    name: str
    key: str | None


def check_validation_input(
    check: InputCheck, env: Env, labels: LocalLabels, max_prompt_chars: int, shard_size: int
) -> tuple[str, str | None]:
    """``(validation key, reference key or None)``, with the problems of the evaluation set."""
    key = check.raw.get("ValidationDataFileName", DEFAULT_VALIDATION_FILE)
    if "ValidationDataFileName" in check.bad_top:
        return key, None
    data = _read(check, env, "ValidationDataFileName", env.settings.validation_bucket, key)
    if data is None:
        return key, None
    name = labels.label("ValidationDataFileName", key, data)
    if getattr(data, "total_size", len(data)) > len(data):
        check.problems.add(
            "ValidationDataFileName",
            f"{name} is larger than {VALIDATION_READ_CAP // (1024 * 1024)} MiB",
            "evaluate on a smaller validation set (a few hundred to a few thousand records)",
        )
        return key, None
    reference = _reference(check, env, labels, data, name)
    try:
        records = parse_validation(
            data, reference.data, validation_name=name, reference_name=reference.name, max_prompt_chars=max_prompt_chars
        )
    except DatasetProblems as exc:
        # a reference file not used: its problem (if any) is already reported
        check.problems.extend(p for p in exc.problems if not (reference.data is None and p.field == REFERENCE_FIELD))
        return key, reference.key
    _shard_problems(check, len(records), shard_size)
    return key, reference.key


def _reference(check: InputCheck, env: Env, labels: LocalLabels, data: bytes, validation_name: str) -> _Reference:
    key = check.raw.get("ReferenceDataFileName", DEFAULT_REFERENCE_FILE)
    if not references_needed(data):
        if "ReferenceDataFileName" in check.raw:
            check.warnings.add(
                "ReferenceDataFileName",
                f"is ignored: the records of {validation_name} carry their own reference",
                "leave ReferenceDataFileName out",
            )
        return _Reference(None, key, None)
    if "ReferenceDataFileName" in check.bad_top:
        return _Reference(None, key, None)
    references = _read(check, env, "ReferenceDataFileName", env.settings.validation_bucket, key)
    if references is None:
        return _Reference(None, key, None)
    return _Reference(references, labels.label("ReferenceDataFileName", key, references), key)


def max_prompt_chars(model: mf.BaseModel | None, inference: InferenceSettings) -> int:
    """The longest prompt the evaluation sends the model (within its context, beside the output tokens)."""
    if model is None:
        return DEFAULT_MAX_PROMPT_CHARS
    # ~4 characters per token; a sanity bound, not a tokenizer.
    return min(DEFAULT_MAX_PROMPT_CHARS, max(1_000, (model.context_tokens - inference.MaxTokens) * 4))


def _shard_problems(check: InputCheck, records: int, shard_size: int) -> None:
    shards = math.ceil(records / shard_size)
    if shards > MAX_SHARDS:
        check.problems.add(
            "Evaluation.ShardSize",
            f"{records} records in shards of {shard_size} "
            f"make {shards} shards, more than the {MAX_SHARDS} one run can finish "
            "(PlanShards writes and Aggregate reads every shard within their Lambda timeouts)",
            f"use a ShardSize of at least {math.ceil(records / MAX_SHARDS)}",
        )
