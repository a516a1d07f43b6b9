"""Lambda handlers of the evaluator image: ``score`` (one shard) and ``aggregate`` (the run).

Contracts: docs/contracts.md ("Handler events and results", "S3 layout").

* ``score``: ``{"run", "shard": {"Index", "Key", "Count"}}`` -> ``{"Index", "Key", "Records"}``.
  Joins the shard records and the shard's inference lines by ``id`` (never by
  position); a record without a line for a model counts as an error for that
  model. Writes ``runs/<RunId>/evaluation/scores/<NNNNN>.jsonl`` with one line per
  record carrying prompt, reference, both outputs, errors and scores.
* ``aggregate``: ``{"run", "plan": {"RecordCount", "RecordsKey", "ManifestKey", "ShardCount"}}`` -> the
  aggregate result; reads the shard manifest, then every scores shard (one object per request,
  ``READ_THREADS`` at a time, never the run as one body), checks that no record was lost,
  applies the ``run.Evaluation`` policy and writes ``runs/<RunId>/report/``.

The model is loaded lazily, once per process (``scoring.get_scorer``), and reused by
warm invocations; ``aggregate`` never loads it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workflow_lambdas.common import aws_errors
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.contract import decision, layout
from workflow_lambdas.contract.errors import DatasetError, EvaluationFailed
from workflow_lambdas.contract.evaluation import DEFAULTS

from . import cache, cpus, metrics, report, scoring, stats

__all__ = ["score", "aggregate", "DatasetError", "EvaluationFailed"]

logger = get_logger(__name__)

MODELS = ("base", "custom")
MISSING_FROM_INFERENCE = "no inference result for this record"
READ_THREADS = 32  # workflow_lambdas.plan_shards.AGGREGATE_READ_THREADS derives MAX_SHARDS from it


# --- S3 helpers -------------------------------------------------------------------------


def shard_key(run: Mapping[str, Any], kind: str, index: int) -> str:
    """``runs/<RunId>/evaluation/<kind>/<NNNNN>.jsonl`` (workflow_lambdas.contract.layout)."""
    return layout.shard_file(layout.prefix_of(run), kind, index)


def _is_missing(exc: Exception) -> str | None:
    """The error code when ``exc`` says the object (or its bucket) does not exist, else None."""
    code = aws_errors.error_code(exc)
    return code if code in aws_errors.MISSING_CODES or code == aws_errors.NO_SUCH_BUCKET else None


def _get_object(bucket: str, key: str, error: type[Exception], what: str) -> tuple[str, str | None]:
    """The object's text and ETag; a missing object raises ``error``."""
    s3 = client("s3")
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
    except s3.exceptions.NoSuchKey as exc:
        raise error(f"{what} s3://{bucket}/{key} does not exist") from exc
    except Exception as exc:
        code = _is_missing(exc)
        if code:
            raise error(f"{what} s3://{bucket}/{key} does not exist ({code})") from exc
        raise
    try:
        return body.decode("utf-8-sig"), response.get("ETag")
    except UnicodeDecodeError as exc:
        raise error(f"{what} s3://{bucket}/{key} is not UTF-8: {exc}") from exc


def _get_text(bucket: str, key: str, error: type[Exception], what: str) -> str:
    return _get_object(bucket, key, error, what)[0]


def _parse_jsonl(text: str, where: str, error: type[Exception]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise error(f"{where} line {number}: not JSON ({exc.__class__.__name__}: {exc})") from exc
        if not isinstance(row, dict):
            raise error(f"{where} line {number}: expected a JSON object")
        rows.append(row)
    return rows


def _put(bucket: str, key: str, text: str, content_type: str) -> None:
    client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)


def _require(mapping: Any, name: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or name not in mapping:
        raise EvaluationFailed(f"{where} has no {name!r}")
    return mapping[name]


# --- joining ----------------------------------------------------------------------------


def _id_key(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise DatasetError(f"{where}: 'id' must be a non-empty string or an integer, got {value!r}")
    return str(value)


def _utf8_problem(text: str) -> str | None:
    """Why ``text`` cannot be encoded as UTF-8 (a lone surrogate such as JSON's ``"\\ud83d"``), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"{exc.reason} {text[exc.start]!r} at character {exc.start}"
    return None


def _require_utf8(where: str, record_id: Any, field: str, text: Any) -> None:
    """``DatasetError`` naming the record when its ``field`` text cannot be encoded as UTF-8."""
    problem = _utf8_problem(text) if isinstance(text, str) else None
    if problem:
        raise DatasetError(
            f"{where}: record {record_id!r} has a {field!r} that is not valid UTF-8 text "
            f"({problem}): fix that record in the validation data"
        )


def _printable(text: str) -> str:
    """``text`` with anything UTF-8 cannot encode escaped (``\\ud83d``), so it can be written out."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def models_of(event: Mapping[str, Any]) -> tuple[str, ...]:
    """The model labels of a run: ``base``/``custom``, or ``base`` and each candidate of a sweep
    (``serving.Candidates``, in the event or in the child's own input ``execution``)."""
    for source in (event, event.get("execution")):
        serving = source.get("serving") if isinstance(source, Mapping) else None
        candidates = serving.get("Candidates") if isinstance(serving, Mapping) else None
        if isinstance(candidates, list) and candidates:
            return ("base", *(str(c["Name"]) for c in candidates))
    return MODELS


def join_records(
    records: list[dict[str, Any]],
    inference: list[dict[str, Any]],
    where: str = "shard",
    models: tuple[str, ...] = MODELS,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Join shard records and inference lines by id.

    Returns the records as ``{"id","prompt","reference","base":{"output","error"},"custom":{...}}``
    and the number of inference lines that matched no record (reported, not fatal).
    A model output that is not a string, or that cannot be encoded as UTF-8 (a lone
    surrogate), or a missing line, is an error for that model. When a retry left several
    lines for one (id, model), an output beats an error and the last output wins. A
    reference or prompt that cannot be encoded as UTF-8 is a ``DatasetError`` naming the record.
    """
    joined: dict[str, dict[str, Any]] = {}
    for n, rec in enumerate(records, start=1):
        key = _id_key(rec.get("id"), f"{where} record {n}")
        if key in joined:
            raise DatasetError(f"{where}: duplicate record id {rec.get('id')!r}")
        reference = rec.get("reference")
        if not isinstance(reference, str):
            raise DatasetError(f"{where}: record {rec.get('id')!r} has no string 'reference'")
        for field in ("reference", "prompt"):
            _require_utf8(where, rec.get("id"), field, rec.get(field))
        joined[key] = {
            "id": rec.get("id"),
            "prompt": rec.get("prompt"),
            "reference": reference,
            **{m: {"output": None, "error": MISSING_FROM_INFERENCE} for m in models},
        }

    unmatched = {"unknown_id": 0, "unknown_model": 0}
    for n, line in enumerate(inference, start=1):
        key = str(line.get("id"))
        model = line.get("model")
        if key not in joined:
            unmatched["unknown_id"] += 1
            continue
        if model not in models:
            unmatched["unknown_model"] += 1
            continue
        slot = joined[key][model]
        output = line.get("output")
        problem = _utf8_problem(output) if isinstance(output, str) else None
        if isinstance(output, str) and not problem and not line.get("error"):
            slot["output"], slot["error"] = output, None
        elif slot["output"] is None:
            if line.get("error"):
                err = line["error"]
            elif problem:
                err = f"inference line {n}: the output is not valid UTF-8 text ({problem})"
            else:
                err = f"inference line {n} has no string 'output'"
            slot["error"] = _printable(err) if isinstance(err, str) else json.dumps(err, default=str)
    return list(joined.values()), unmatched


def score_joined(
    joined: list[dict[str, Any]],
    config: scoring.ScorerConfig | None = None,
    idf_dict: Any = None,
    cache: Any = None,
    reused_base: set[str] | None = None,
    models: tuple[str, ...] = MODELS,
) -> list[dict[str, Any]]:
    """Add precision/recall/f1 (``None`` when errored) to every model entry, in one BERTScore call
    (a sweep's candidates too: each reference and base output is embedded once for all of them).

    With ``cache`` (a ``cache.EmbeddingCache``) each record also gets ``cache``: how many of the texts
    first met in it had their embeddings from the cache or computed, and whether its base output was a
    cached answer (its id in ``reused_base``), so the shard's counts add up over its records.
    """
    config = config or scoring.ScorerConfig.from_env()
    references = [r["reference"] for r in joined]
    candidates = {m: [r[m]["output"] if r[m]["error"] is None else None for r in joined] for m in models}
    scores = scoring.score_models(references, candidates, config=config, idf_dict=idf_dict, cache=cache)
    for i, rec in enumerate(joined):
        for m in models:
            s = scores[m][i]
            rec[m].update(s.as_dict() if s is not None else {"precision": None, "recall": None, "f1": None})
        metrics.add_text_scores(rec, models)  # ROUGE-L and chrF, in the same shard
    if cache is not None:
        _count_cache(joined, cache, reused_base or set(), models)
    return joined


def _count_cache(
    joined: list[dict[str, Any]], cache: Any, reused_base: set[str], models: tuple[str, ...] = MODELS
) -> None:
    """Per record: texts first met in it (reference, base output, custom output) by where their
    embeddings came from, and whether the base answer was reused."""
    counted: set[str] = set()
    for rec in joined:
        hit = miss = 0
        texts = [rec["reference"], *(rec[m]["output"] for m in models if rec[m]["error"] is None)]
        for text in texts:
            if not isinstance(text, str) or text in counted:
                continue
            if text in cache.hits:
                hit += 1
            elif text in cache.misses:
                miss += 1
            else:
                continue  # never embedded (blank, or its pair was not scored)
            counted.add(text)
        rec["cache"] = {
            "embeddings_hit": hit,
            "embeddings_miss": miss,
            "base_output_reused": str(rec["id"]) in reused_base and rec["base"]["error"] is None,
        }


def _cache_enabled(run: Mapping[str, Any]) -> bool:
    evaluation = run.get("Evaluation")
    if not isinstance(evaluation, Mapping):
        return DEFAULTS.Cache
    return evaluation.get("Cache", DEFAULTS.Cache) is not False


def cache_counts(records: list[dict[str, Any]], enabled: bool) -> dict[str, Any]:
    """The run's cache use, summed over its scored records (``cache`` of each; none counts 0)."""
    totals = {"Enabled": enabled, "EmbeddingsHit": 0, "EmbeddingsMiss": 0, "BaseOutputsReused": 0}
    for rec in records:
        entry = rec.get("cache")
        if not isinstance(entry, Mapping):
            continue
        totals["EmbeddingsHit"] += int(entry.get("embeddings_hit") or 0)
        totals["EmbeddingsMiss"] += int(entry.get("embeddings_miss") or 0)
        totals["BaseOutputsReused"] += 1 if entry.get("base_output_reused") else 0
    return totals


# --- global idf (only when BERTSCORE_IDF=true) ------------------------------------------

_idf_lock = threading.Lock()
_idf_cache: dict[tuple[str, str, str, scoring.ScorerConfig], Any] = {}


def _global_idf(run: Mapping[str, Any], config: scoring.ScorerConfig) -> Any:
    """IDF weights over the run's FULL reference set (``evaluation/records.jsonl``), so that a
    sharded run scores exactly like a single pass. Cached per object version (ETag): a warm
    container asks S3 for the ETag only and downloads the records once per run."""
    bucket = run["ArtifactsBucket"]
    key = layout.records_key(layout.prefix_of(run))
    with _idf_lock:
        try:
            etag = client("s3").head_object(Bucket=bucket, Key=key).get("ETag")
        except Exception as exc:
            if not _is_missing(exc):
                raise
            etag = None  # reported by the GET below, with the usual message
        cached = _idf_cache.get((bucket, key, etag, config)) if etag else None
        if cached is not None:
            return cached
        text, etag = _get_object(bucket, key, DatasetError, "records file")
        rows = _parse_jsonl(text, f"s3://{bucket}/{key}", DatasetError)
        refs = [ref for r in rows if isinstance(ref := r.get("reference"), str)]
        if len(refs) != len(rows):
            raise DatasetError(f"s3://{bucket}/{key}: a record has no string 'reference'")
        for row, ref in zip(rows, refs, strict=True):
            _require_utf8(f"s3://{bucket}/{key}", row.get("id"), "reference", ref)
        weights = scoring.compute_idf(refs, config)
        _idf_cache.clear()
        if etag:
            _idf_cache[(bucket, key, etag, config)] = weights
        return weights


# --- handlers ---------------------------------------------------------------------------


@bound
def score(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    run = _require(event, "run", "score event")
    shard = _require(event, "shard", "score event")
    bucket = _require(run, "ArtifactsBucket", "run context")
    index = int(_require(shard, "Index", "shard"))
    key = _require(shard, "Key", "shard")
    expected = shard.get("Count")

    records = _parse_jsonl(_get_text(bucket, key, DatasetError, "shard"), f"s3://{bucket}/{key}", DatasetError)
    if expected is not None and len(records) != int(expected):
        raise DatasetError(f"s3://{bucket}/{key} has {len(records)} records, the plan says {expected}")
    inference_key = shard_key(run, "inference", index)
    inference = _parse_jsonl(
        _get_text(bucket, inference_key, DatasetError, "inference file"),
        f"s3://{bucket}/{inference_key}",
        DatasetError,
    )
    models = models_of(event)
    joined, unmatched = join_records(records, inference, where=f"s3://{bucket}/{key}", models=models)
    if any(unmatched.values()):
        logger.warning("shard %s: ignored inference lines %s", index, unmatched)

    config = scoring.ScorerConfig.from_env()
    cpus.configure_torch()  # threads from the CPUs this function really has (cgroup quota), once
    idf_dict = _global_idf(run, config) if config.idf else None
    store = cache.S3Store(client("s3"), bucket) if _cache_enabled(run) else None
    # Kept: what every candidate on this validation set shares (references, base answers).
    shared = [r["reference"] for r in joined] + [r["base"]["output"] for r in joined if r["base"]["error"] is None]
    embeddings = scoring.embedding_cache(config, store, only=shared)
    reused = {
        str(line.get("id"))
        for line in inference
        if line.get("model") == "base" and line.get("cached") is True and isinstance(line.get("output"), str)
    }
    scored = score_joined(joined, config, idf_dict, embeddings, reused, models)

    scores_key = shard_key(run, "scores", index)
    _put(
        bucket,
        scores_key,
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in scored),
        "application/x-ndjson",
    )
    errors = {m: sum(1 for r in scored if r[m]["error"] is not None) for m in models}
    logger.info(
        "shard %s: %s records scored, errors %s, embeddings from cache %s, computed %s, written %s",
        index,
        len(scored),
        errors,
        len(embeddings.hits),
        len(embeddings.misses),
        embeddings.written,
    )
    return {"Index": index, "Key": scores_key, "Records": len(scored)}


def read_manifest(run: Mapping[str, Any], plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The shard list PlanShards wrote (``plan.ManifestKey``), in index order."""
    bucket = run["ArtifactsBucket"]
    key = _require(plan, "ManifestKey", "plan")
    text = _get_text(bucket, key, EvaluationFailed, "shard manifest")
    try:
        shards = json.loads(text)
    except ValueError as exc:
        raise EvaluationFailed(f"shard manifest s3://{bucket}/{key} is not JSON: {exc}") from exc
    if not isinstance(shards, list) or not all(isinstance(s, Mapping) and "Index" in s for s in shards):
        raise EvaluationFailed(f"shard manifest s3://{bucket}/{key} is not a list of shards")
    expected = plan.get("ShardCount")
    if expected is not None and len(shards) != int(expected):
        raise EvaluationFailed(f"shard manifest s3://{bucket}/{key} lists {len(shards)} shards, the plan {expected}")
    return sorted(shards, key=lambda s: int(s["Index"]))


def read_scores(run: Mapping[str, Any], plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every scored record of the run, in shard order; a lost or duplicated record is an error."""
    bucket = run["ArtifactsBucket"]
    shards = read_manifest(run, plan)
    record_count = int(_require(plan, "RecordCount", "plan"))

    def load(shard: Mapping[str, Any]) -> list[dict[str, Any]]:
        key = shard_key(run, "scores", int(shard["Index"]))
        rows = _parse_jsonl(_get_text(bucket, key, EvaluationFailed, "scores shard"), key, EvaluationFailed)
        if shard.get("Count") is not None and len(rows) != int(shard["Count"]):
            raise EvaluationFailed(f"scores shard {key} has {len(rows)} records, the plan says {shard['Count']}")
        return rows

    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        for part in pool.map(load, shards):  # in order; only the shards in flight are held as text
            for r in part:
                k = str(r.get("id"))
                if k in seen:
                    raise EvaluationFailed(f"record id {r.get('id')!r} was scored twice")
                seen.add(k)
                records.append(r)
    if len(records) != record_count:
        raise EvaluationFailed(f"scores hold {len(records)} records but the plan has {record_count}: records were lost")
    return records


def attach_judge(run: Mapping[str, Any], plan: Mapping[str, Any], records: list[dict[str, Any]]) -> None:
    """Join the LLM judge's verdicts (``evaluation/judge/<NNNNN>.jsonl``, one per shard, written by
    JudgeShard) into ``records`` as ``record["judge"]``, by id; a missing shard or record is an error."""
    bucket = run["ArtifactsBucket"]
    shards = read_manifest(run, plan)

    def load(shard: Mapping[str, Any]) -> list[dict[str, Any]]:
        key = shard_key(run, "judge", int(shard["Index"]))
        return _parse_jsonl(_get_text(bucket, key, EvaluationFailed, "judge shard"), key, EvaluationFailed)

    verdicts: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        for part in pool.map(load, shards):
            for v in part:
                verdicts[str(v.get("id"))] = {k: val for k, val in v.items() if k != "id"}
    missing = [r.get("id") for r in records if str(r.get("id")) not in verdicts]
    if missing:
        raise EvaluationFailed(f"the LLM judge has no verdict for {len(missing)} record(s), e.g. {missing[0]!r}")
    for r in records:
        r["judge"] = verdicts[str(r.get("id"))]


def _scorer_description() -> dict[str, Any]:
    try:
        return scoring.model_description(scoring.ScorerConfig.from_env())
    except EvaluationFailed as exc:  # the report still gets written; the score step used the same env
        return {"Model": os.environ.get("BERTSCORE_MODEL"), "Error": str(exc)}


@bound
def aggregate(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    run = _require(event, "run", "aggregate event")
    plan = _require(event, "plan", "aggregate event")
    bucket = _require(run, "ArtifactsBucket", "run context")
    policy = stats.Policy.from_evaluation(run.get("Evaluation"))

    records = read_scores(run, plan)
    models = models_of(event)
    if models != MODELS:
        from . import sweep

        return sweep.aggregate_sweep(event, run, records, models[1:], policy, bucket, layout.prefix_of(run), _put)
    evaluation = run.get("Evaluation") if isinstance(run.get("Evaluation"), Mapping) else {}
    judge = evaluation.get("Judge") if isinstance(evaluation.get("Judge"), Mapping) else None
    if judge:
        attach_judge(run, plan, records)
    summary = report.build_summary(
        records,
        policy,
        scorer=_scorer_description(),
        versions={**scoring.library_versions(), **metrics.library_versions()},
        run_id=run.get("RunId"),
        context=report.run_context_for_report(run, event),
        judge=judge,
    )
    summary["Cache"] = cache_counts(records, _cache_enabled(run))
    files = report.render_all(summary, records)
    uris = report.write_report(files, _put, bucket, layout.report_prefix(layout.prefix_of(run)))
    result = {**report.verdict_result(summary), "Cache": summary["Cache"], **uris}
    # The keep-or-release decision the parent's Decide state reads (workflow_lambdas.contract.decision).
    result["KeepWinner"] = decision.keeps_winner(
        result["Verdict"], run.get("KeepThroughputOnWin", decision.KEEP_THROUGHPUT_ON_WIN)
    )
    if summary.get("Judge"):
        j = summary["Judge"]
        result["Judge"] = {
            k: j.get(k)
            for k in ("WinRate", "Low", "High", "Judged", "Ties", "Unparsable", "InputTokens", "OutputTokens")
        }
    logger.info("aggregate: %s", json.dumps(result))
    return result
