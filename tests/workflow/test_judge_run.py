"""The optional LLM judge on the emulator: JudgeShard in every shard iteration, the win rate in the
verdict, the report and the files; throttled and unparsable judge answers lose no record."""

from __future__ import annotations

import json

import pytest
from workflow_support import demo_input

from bedrock_customize.emulator import ModelBehaviour, distributed_map

pytestmark = pytest.mark.workflow

N = 40  # the sample's validation records (2 shards of 20)
JUDGE = {"ModelId": "amazon.nova-pro-v1:0", "Rubric": "summary_quality"}


def _run(emu, evaluation: dict) -> tuple[dict, dict]:
    summary = emu.run(demo_input(Evaluation={"ShardSize": 20, **evaluation}), timeout=300)
    sfn = emu.client("stepfunctions")
    output = json.loads(sfn.describe_execution(executionArn=summary["execution_arn"])["output"])
    return summary, output


def _read(emu, uri: str) -> str:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return emu.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def _judge_lines(emu, run: dict) -> list[dict]:
    s3 = emu.client("s3")
    prefix = f"{run['RunPrefix']}evaluation/judge/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=run["ArtifactsBucket"], Prefix=prefix)["Contents"]]
    assert len(keys) == 2, keys  # one file per shard
    return [json.loads(x) for k in sorted(keys) for x in _read(emu, f"s3://{run['ArtifactsBucket']}/{k}").splitlines()]


def test_judge_guard_holds_for_a_better_model_and_the_report_shows_win_rate_and_reasons(emulator_factory):
    emu = emulator_factory("better")
    emu.upload_sample()
    summary, output = _run(emu, {"Judge": JUDGE, "Policy": {"Guards": [{"Metric": "Judge", "MaxLoss": 0.1}]}})

    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["verdict"] == "CUSTOM_BETTER"
    child = output["evaluation"]["ExecutionArn"]
    assert {"JudgeEnabled", "JudgeShard", "ShardDone"} <= distributed_map.iteration_states(child)
    assert emu.world.stats["judge"].answered == 2 * N  # both orders of every record, through Converse

    lines = _judge_lines(emu, output["run"])
    assert len(lines) == N and all(len(x["answers"]) == 2 for x in lines)
    assert {a["first"] for x in lines for a in x["answers"]} == {"base", "custom"}
    assert sum(x["preference"] == "custom" for x in lines) > N // 2

    result = output["evaluation"]["Result"]
    judge = result["Judge"]
    assert judge["Judged"] == N and judge["Unparsable"] == 0
    assert 0.5 < judge["Low"] <= judge["WinRate"] <= judge["High"]
    assert judge["InputTokens"] > 0 and judge["OutputTokens"] > 0
    assert "guards held: LLM judge win rate" in result["Explanation"]

    scores = [json.loads(x) for x in _read(emu, result["ScoresS3Uri"]).splitlines()]
    assert {s["id"] for s in scores} == {x["id"] for x in lines}
    assert all(s["judge_preference"] in {"custom", "base", "tie"} and s["judge_reason"] for s in scores)
    assert any("The custom output" in s["judge_reason"] for s in scores)  # "Response A/B" named as models
    html = _read(emu, result["ReportS3Uri"])
    assert '<section id="judge">' in html and "Judge tokens (cost)" in html
    assert "judge preference" in html and "judge reason" in html
    # the header names both models (the custom model by name and ARN) and the action for the verdict
    assert output["run"]["BaseModelIdentifier"] in html and output["customization"]["CustomModelArn"] in html
    assert "CUSTOM_BETTER: the serving resource is kept" in html


def test_judge_decides_against_a_worse_model_through_throttling_and_unparsable_answers(emulator_factory, monkeypatch):
    emu = emulator_factory("worse", judge=ModelBehaviour(throttle_rate=0.3), judge_unparsable_rate=0.1)
    monkeypatch.setenv("INFERENCE_MAX_ATTEMPTS", "12")
    monkeypatch.setenv("INFERENCE_BACKOFF_BASE_SECONDS", "0.02")
    emu.upload_sample()
    summary, output = _run(emu, {"Judge": JUDGE, "Policy": {"Primary": "Judge"}})

    assert summary["execution_status"] == "SUCCEEDED", summary
    assert emu.world.throttled["judge"] > 0
    result = output["evaluation"]["Result"]
    assert result["Verdict"] == "NOT_BETTER" and result["DecidedBy"] == "Judge"
    lines = _judge_lines(emu, output["run"])
    assert len(lines) == N  # no record lost to throttling
    unparsable = sum(x["unparsable"] for x in lines)
    assert unparsable > 0 and result["Judge"]["Unparsable"] == unparsable
    for x in lines:  # an unparsable answer is a tie for its order: the record cannot be a clear preference
        if x["unparsable"]:
            assert x["preference"] == "tie"
    assert result["Judge"]["WinRate"] < 0.5


def test_demo_judge_prints_the_win_rate_and_reasons(tmp_path, capsys):
    from bedrock_customize.cli import main

    assert main(["demo", "--judge", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "LLM judge on (emulated amazon.nova-pro-v1:0)" in out
    (win,) = [line for line in out.splitlines() if line.startswith("judge win rate   : ")]
    rate = float(win.split(": ", 1)[1].split()[0])
    assert 0.5 < rate <= 1.0 and "40 judged" in win
    reasons = [line for line in out.splitlines() if line.startswith("judge reason     : ")]
    assert len(reasons) == 3 and all("preferred: " in r or ": tie: " in r for r in reasons)
    assert "judge tokens     : " in out
    (page,) = tmp_path.glob("*/report.html")
    html = page.read_text(encoding="utf-8")
    assert '<section id="judge">' in html and "judge reason" in html
