"""``PlanShards``: normalise the validation set and split it into shards in S3.

Event: ``{"run": <run context>}`` (other keys of the child input are ignored).
Writes ``runs/<RunId>/evaluation/records.jsonl`` and
``runs/<RunId>/evaluation/shards/<NNNNN>.jsonl`` to the artifacts bucket and
returns ``{"RecordCount", "RecordsKey", "Shards": [{"Index", "Key", "Count"}]}``
(locations only, never record content: the result travels in the state).
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas import datasets as ds
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.errors import DatasetError
from workflow_lambdas.common.s3 import put_jsonl

logger = logging.getLogger(__name__)

READ_CAP = 64 * 1024 * 1024


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _ValidationData(_Loose):
    Bucket: str
    Key: str
    ReferenceKey: str | None = None


class _Evaluation(_Loose):
    ShardSize: int = Field(default=50, ge=1)


class _Run(_Loose):
    """The part of the run context this function reads."""

    RunId: str
    ArtifactsBucket: str
    RunPrefix: str
    ValidationData: _ValidationData
    Evaluation: _Evaluation = Field(default_factory=_Evaluation)


class PlanEvent(_Loose):
    run: _Run


def records_key(run_prefix: str) -> str:
    return f"{run_prefix}evaluation/records.jsonl"


def shard_key(run_prefix: str, index: int) -> str:
    return f"{run_prefix}evaluation/shards/{index:05d}.jsonl"


def _read(s3: Any, bucket: str, key: str) -> bytes:
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:
        raise DatasetError(f"{key}: s3://{bucket}/{key} does not exist; upload it and start the run again") from None
    if response.get("ContentLength", 0) > READ_CAP:
        raise DatasetError(f"{key}: larger than {READ_CAP // (1024 * 1024)} MiB; use a smaller validation set")
    return response["Body"].read()


def plan_shards(run: _Run, s3: Any) -> dict[str, Any]:
    """Read, parse, write the records and the shards; return the plan."""
    source = run.ValidationData
    validation = _read(s3, source.Bucket, source.Key)
    references = _read(s3, source.Bucket, source.ReferenceKey) if source.ReferenceKey else None
    try:
        records = ds.parse_validation(
            validation, references, validation_name=source.Key, reference_name=source.ReferenceKey
        )
    except ds.DatasetProblems as exc:
        raise DatasetError(str(exc)) from None

    bucket, prefix, size = run.ArtifactsBucket, run.RunPrefix, run.Evaluation.ShardSize
    all_key = records_key(prefix)
    put_jsonl(s3, bucket, all_key, map(asdict, records))
    shards = []
    for index, start in enumerate(range(0, len(records), size)):
        chunk = records[start : start + size]
        key = shard_key(prefix, index)
        put_jsonl(s3, bucket, key, map(asdict, chunk))
        shards.append({"Index": index, "Key": key, "Count": len(chunk)})
    logger.info("run %s: %d records in %d shards", run.RunId, len(records), len(shards))
    return {"RecordCount": len(records), "RecordsKey": all_key, "Shards": shards}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    request = PlanEvent.model_validate(event)  # a malformed run context is a wiring bug: let it surface
    return plan_shards(request.run, client("s3"))
