"""The evaluation cache across runs on the emulator: the same validation set evaluated twice, then without it.

Run 1 fills the cache (embeddings of references and base answers, the base answers at temperature 0); run 2
evaluates a different custom model (other outputs) on the same validation set: it must call the base model
for no prompt and embed only its custom outputs. Run 3 repeats run 2 with ``Evaluation.Cache: false``: every
base prompt is sent again, nothing is read from or written to the cache, and the scores equal run 2's (1e-6).
"""

from __future__ import annotations

import json

import pytest
from workflow_support import demo_input

pytestmark = pytest.mark.workflow

RECORDS = 40  # the bundled sample


def _report_rows(emu, arn: str, name: str) -> list[dict]:
    run_id = arn.rsplit(":", 1)[-1]
    body = emu.client("s3").get_object(Bucket=emu.deployment.buckets["artifacts"], Key=f"runs/{run_id}/report/{name}")[
        "Body"
    ]
    return [json.loads(line) for line in body.read().decode().splitlines()]


def _shard_texts(emu, arn: str, roles=("reference", "base", "custom")) -> list[set[str]]:
    """The texts each shard embedded (``roles`` of its records: reference and both outputs)."""
    run_id = arn.rsplit(":", 1)[-1]
    s3 = emu.client("s3")
    bucket = emu.deployment.buckets["artifacts"]
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"runs/{run_id}/evaluation/manifest.json")["Body"].read())
    shards = []
    for shard in manifest:
        key = f"runs/{run_id}/evaluation/scores/{shard['Index']:05d}.jsonl"
        rows = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()]
        texts = {r["reference"] for r in rows} if "reference" in roles else set()
        shards.append(texts | {r[m]["output"] for r in rows for m in ("base", "custom") if m in roles})
    return shards


def _cache_objects(emu) -> int:
    s3 = emu.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=emu.deployment.buckets["artifacts"], Prefix="cache/")
    return sum(page.get("KeyCount", 0) for page in pages)


def test_a_second_run_reuses_base_answers_and_embeds_only_new_outputs_with_identical_scores(emulator):
    first = emulator.run(demo_input(), timeout=600)
    assert first["execution_status"] == "SUCCEEDED", first
    base_calls = emulator.world.stats["base"].calls
    assert base_calls == RECORDS
    first_cache = first["cache"]
    first_texts = _shard_texts(emulator, first["execution_arn"])
    assert first_cache["enabled"] is True and first_cache["base_outputs_reused"] == 0
    assert first_cache["embeddings_hit"] + first_cache["embeddings_miss"] == sum(len(t) for t in first_texts)
    kept = set().union(*_shard_texts(emulator, first["execution_arn"], ("reference", "base")))
    stored = _cache_objects(emulator)
    assert stored == len(kept) + RECORDS  # one embedding per reference or base answer, one answer per prompt

    emulator.config.custom.quality = 0.7  # another custom model: other outputs on the same prompts
    second = emulator.run(demo_input(), timeout=600)
    assert second["execution_status"] == "SUCCEEDED", second
    assert emulator.world.stats["base"].calls == base_calls  # not one base call
    second_texts = _shard_texts(emulator, second["execution_arn"])
    new = [t - kept for t in second_texts]  # the new candidate's outputs
    assert sum(len(t) for t in new) > 0
    assert len(set().union(*new)) == sum(len(t) for t in new)  # no new text in two shards: counts are exact
    assert second["cache"] == {
        "enabled": True,
        "embeddings_hit": sum(len(t) for t in second_texts) - sum(len(t) for t in new),
        "embeddings_miss": sum(len(t) for t in new),
        "base_outputs_reused": RECORDS,
    }
    assert _cache_objects(emulator) == stored  # a candidate's own outputs are not kept
    third = emulator.run(demo_input(Evaluation={"Cache": False}), timeout=600)
    assert third["execution_status"] == "SUCCEEDED", third
    assert emulator.world.stats["base"].calls == base_calls + RECORDS
    assert third["cache"]["enabled"] is False and third["cache"]["embeddings_hit"] == 0
    assert third["cache"]["base_outputs_reused"] == 0
    assert _cache_objects(emulator) == stored

    with_cache = {r["id"]: r for r in _report_rows(emulator, second["execution_arn"], "scores.jsonl")}
    without = {r["id"]: r for r in _report_rows(emulator, third["execution_arn"], "scores.jsonl")}
    assert set(with_cache) == set(without) and len(without) == RECORDS
    for key, row in without.items():
        for field in ("base_precision", "base_recall", "base_f1", "custom_precision", "custom_recall", "custom_f1"):
            assert with_cache[key][field] == pytest.approx(row[field], abs=1e-6), (key, field)
    assert second["verdict"] == third["verdict"]
    assert second["scores"]["base_f1"] == pytest.approx(third["scores"]["base_f1"], abs=1e-6)
    assert second["scores"]["custom_f1"] == pytest.approx(third["scores"]["custom_f1"], abs=1e-6)
