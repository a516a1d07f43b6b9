"""``PlanShards``: normalise the validation set and split it into shards in S3.

Event: ``{"run": <run context>}`` (other keys of the child input are ignored).
Writes ``runs/<RunId>/evaluation/records.jsonl``, ``runs/<RunId>/evaluation/shards/<NNNNN>.jsonl``
(concurrently) and the shard manifest ``runs/<RunId>/evaluation/manifest.json`` (a JSON array of
``{"Index", "Key", "Count"}``, read by the child's Distributed Map ItemReader) to the artifacts bucket
and returns ``{"RecordCount", "RecordsKey", "ManifestKey", "ShardCount"}``: constant-size, whatever
the record count (the result travels in the state; the shard list stays in S3).

The bounds of a run live here, derived from what the workflow can finish (ValidateInput refuses a run
over them before anything is spent):

* ``VALIDATION_READ_CAP``: the validation file is parsed whole, in this function's and ValidateInput's
  512 MB (module defaults): raw bytes, decoded text and parsed records take about 6x the file, so
  64 MiB leaves headroom (about 100,000 records of 600 bytes).
* ``MAX_SHARDS``: the slower of this function writing the shards (``WRITE_THREADS`` concurrent PUTs
  within half its 300 s timeout) and Aggregate reading the scores (``AGGREGATE_READ_THREADS``
  concurrent GETs within half its 900 s timeout), at a pessimistic ``S3_REQUEST_SECONDS`` each.
  The Distributed Map itself does not bound it: each shard is a child execution of its own.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas.common.aws import client
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.common.s3 import NDJSON, put_jsonl
from workflow_lambdas.contract import layout
from workflow_lambdas.contract.errors import DatasetError
from workflow_lambdas.contract.evaluation import DEFAULTS
from workflow_lambdas.validation.problems import DatasetProblems
from workflow_lambdas.validation.validation_data import parse_validation

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

logger = get_logger(__name__)

VALIDATION_READ_CAP = 64 * 1024 * 1024
WRITE_THREADS = 32
AGGREGATE_READ_THREADS = 32  # bertscore_evaluator.handlers.READ_THREADS (a test keeps them equal)
S3_REQUEST_SECONDS = 0.1  # one small PutObject/GetObject from Lambda, pessimistic
PLAN_TIMEOUT_SECONDS = 300  # modules/evaluation local.functions.plan_shards.default_timeout
AGGREGATE_TIMEOUT_SECONDS = 900  # modules/evaluation local.functions.aggregate.default_timeout


def _capacity(threads: int, timeout_seconds: int) -> int:
    """Objects ``threads`` concurrent requests move in half of ``timeout_seconds``."""
    return int(threads * (timeout_seconds / 2) / S3_REQUEST_SECONDS)


MAX_SHARDS = min(
    _capacity(WRITE_THREADS, PLAN_TIMEOUT_SECONDS), _capacity(AGGREGATE_READ_THREADS, AGGREGATE_TIMEOUT_SECONDS)
)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _ValidationData(_Loose):
    Bucket: str
    Key: str
    ReferenceKey: str | None = None


class _Evaluation(_Loose):
    ShardSize: int = Field(default=DEFAULTS.ShardSize, ge=1)


class _Run(_Loose):
    """The part of the run context this function reads."""

    RunId: str
    ArtifactsBucket: str
    RunPrefix: str
    ValidationData: _ValidationData
    Evaluation: _Evaluation = Field(default_factory=_Evaluation)


class PlanEvent(_Loose):
    run: _Run


records_key = layout.records_key
manifest_key = layout.manifest_key


def shard_key(run_prefix: str, index: int) -> str:
    return layout.shard_file(run_prefix, "shards", index)


def _read(s3: Any, bucket: str, key: str) -> bytes:
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:
        raise DatasetError(f"{key}: s3://{bucket}/{key} does not exist; upload it and start the run again") from None
    if response.get("ContentLength", 0) > VALIDATION_READ_CAP:
        raise DatasetError(
            f"{key}: larger than {VALIDATION_READ_CAP // (1024 * 1024)} MiB; use a smaller validation set"
        )
    body: bytes = response["Body"].read()
    return body


class _JsonlReader(io.RawIOBase):
    """A read-only file over rows, one JSON line each, encoded as they are read."""

    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self._rows = rows
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        target = memoryview(buffer).cast("B")
        while len(self._buffer) < len(target):
            row = next(self._rows, None)
            if row is None:
                break
            self._buffer += (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


def plan_shards(run: _Run, s3: Any) -> dict[str, Any]:
    """Read, parse, write the records and the shards; return the plan."""
    source = run.ValidationData
    validation = _read(s3, source.Bucket, source.Key)
    references = _read(s3, source.Bucket, source.ReferenceKey) if source.ReferenceKey else None
    try:
        records = parse_validation(
            validation, references, validation_name=source.Key, reference_name=source.ReferenceKey
        )
    except DatasetProblems as exc:
        raise DatasetError(str(exc)) from None

    bucket, prefix, size = run.ArtifactsBucket, run.RunPrefix, run.Evaluation.ShardSize
    all_key = records_key(prefix)
    # Streamed in multipart chunks: no second whole copy of the set as one body.
    s3.upload_fileobj(_JsonlReader(map(asdict, records)), bucket, all_key, ExtraArgs={"ContentType": NDJSON})
    starts = range(0, len(records), size)
    shards = [
        {"Index": index, "Key": shard_key(prefix, index), "Count": len(records[start : start + size])}
        for index, start in enumerate(starts)
    ]

    def write(shard: dict[str, Any]) -> None:
        start = shard["Index"] * size
        put_jsonl(s3, bucket, shard["Key"], map(asdict, records[start : start + size]))  # one shard in memory

    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        list(pool.map(write, shards))
    manifest = manifest_key(prefix)
    s3.put_object(
        Bucket=bucket,
        Key=manifest,
        Body=json.dumps(shards, separators=(",", ":")).encode("utf-8"),
        ContentType="application/json",
    )
    logger.info("run %s: %d records in %d shards", run.RunId, len(records), len(shards))
    return {"RecordCount": len(records), "RecordsKey": all_key, "ManifestKey": manifest, "ShardCount": len(shards)}


@bound
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = PlanEvent.model_validate(event)  # a malformed run context is a wiring bug: let it surface
    return plan_shards(request.run, client("s3"))
