"""``demo --records N --shard-size S``: synthetic records through the whole workflow, limits measured."""

from __future__ import annotations

import json

import pytest

from bedrock_customize import cli, scale_demo
from bedrock_customize.emulator import limits

pytestmark = pytest.mark.workflow


def test_synthetic_records_are_deterministic_unique_and_in_the_sample_format():
    prompts, references = scale_demo.synthetic_records(500)
    again, _ = scale_demo.synthetic_records(500)
    assert prompts == again and len(references) == 500
    assert len({p["prompt"] for p in prompts}) == 500
    assert all(set(p) == {"prompt"} and p["prompt"].endswith("Summary:") for p in prompts)
    assert scale_demo.synthetic_records(5, seed=8)[0] != prompts[:5]


def test_demo_with_records_runs_every_shard_and_reports_the_limits(capsys, tmp_path):
    code = cli.main(["demo", "--records", "30", "--shard-size", "3", "--json", "--out", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["execution_status"] == "SUCCEEDED"
    assert out["records_scored"] == 30 and out["shards"] == 10
    assert 0 < out["max_state_bytes"] < limits.MAX_PAYLOAD_BYTES
    assert 0 < out["max_history_events"] < limits.MAX_HISTORY_EVENTS
    assert {"ValidateInput", "Evaluate", "PlanShards", "Shards", "Aggregate"} <= set(out["state_seconds"])
    assert out["state_seconds"]["Shards"] <= out["state_seconds"]["Evaluate"]
