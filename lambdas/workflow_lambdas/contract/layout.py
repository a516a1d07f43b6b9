"""The S3 layout of a run in the artifacts bucket, and of the evaluation cache.

::

    runs/<RunId>/evaluation/records.jsonl                 PlanShards: the normalised validation records
    runs/<RunId>/evaluation/manifest.json                 PlanShards: the shard manifest
    runs/<RunId>/evaluation/shards/<NNNNN>.jsonl          PlanShards: one shard's records
    runs/<RunId>/evaluation/inference/<NNNNN>.jsonl       InferShard: base and custom outputs
    runs/<RunId>/evaluation/inference-partial/<NNNNN>.jsonl  InferShard: lines done before a deadline
    runs/<RunId>/evaluation/scores/<NNNNN>.jsonl          ScoreShard: per-record scores
    runs/<RunId>/evaluation/judge/<NNNNN>.jsonl           JudgeShard: the LLM judge's grades
    runs/<RunId>/evaluation/judge-partial/<NNNNN>.jsonl   JudgeShard: grades done before a deadline
    runs/<RunId>/report/{summary.json,scores.jsonl,report.html}   Aggregate: the report
    <cache prefix>base-outputs/<sha256>.json              InferShard: cached base-model answers
    <cache prefix>embeddings/...                          ScoreShard: cached embeddings

``RunPrefix`` of the run context is ``runs/<RunId>/`` (:func:`run_prefix`); every key of a run is
built from it here, by the Lambdas, the evaluator image and the CLI alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RUNS = "runs/"
#: The kinds of per-shard files under ``evaluation/``.
SHARD_KINDS = ("shards", "inference", "inference-partial", "scores", "judge", "judge-partial")
REPORT_FILES = ("summary.json", "scores.jsonl", "report.html")


def run_prefix(run_id: str) -> str:
    """``RunPrefix`` of a new run context."""
    return f"{RUNS}{run_id}/"


def prefix_of(run: Mapping[str, Any]) -> str:
    """The run's prefix (``RunPrefix``, else ``runs/<RunId>/``), always ending in ``/``."""
    prefix = run.get("RunPrefix") or run_prefix(str(run["RunId"]))
    return prefix if prefix.endswith("/") else prefix + "/"


def records_key(prefix: str) -> str:
    return f"{prefix}evaluation/records.jsonl"


def manifest_key(prefix: str) -> str:
    return f"{prefix}evaluation/manifest.json"


def shard_file(prefix: str, kind: str, index: int) -> str:
    """``<prefix>evaluation/<kind>/<NNNNN>.jsonl`` for one of :data:`SHARD_KINDS`."""
    if kind not in SHARD_KINDS:
        raise ValueError(f"kind: {kind!r} is not a shard file kind; use one of {', '.join(SHARD_KINDS)}")
    return f"{prefix}evaluation/{kind}/{index:05d}.jsonl"


def report_prefix(prefix: str) -> str:
    return f"{prefix}report/"
