"""``demo --judge``: the input it runs and the lines it prints (no emulator)."""

from __future__ import annotations

import json

from bedrock_customize import cli


def test_judge_flag_adds_the_demo_judge_and_keeps_the_inputs_own():
    plain = {"BaseModelIdentifier": "x", "Evaluation": {"ShardSize": 20}}
    judged = cli.with_judge(plain)
    assert judged["Evaluation"] == {"ShardSize": 20, "Judge": cli.DEMO_JUDGE}
    assert plain == {"BaseModelIdentifier": "x", "Evaluation": {"ShardSize": 20}}  # not changed in place
    own = {"Evaluation": {"Judge": {"ModelId": "us.amazon.nova-pro-v1:0"}}}
    assert cli.with_judge(own)["Evaluation"]["Judge"] == {"ModelId": "us.amazon.nova-pro-v1:0"}


def test_reasons_show_one_of_each_preference_first(tmp_path):
    rows = [
        {"id": "a", "judge_preference": "custom", "judge_reason": "A."},
        {"id": "b", "judge_preference": "custom", "judge_reason": "B."},
        {"id": "c", "judge_preference": "tie", "judge_reason": "C."},
        {"id": "d", "judge_preference": "base", "judge_reason": "D."},
        {"id": "e", "judge_preference": None, "judge_reason": "not judged"},
    ]
    (tmp_path / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert [r["id"] for r in cli.judge_reasons(tmp_path)] == ["a", "d", "c"]
    assert cli.judge_reasons(tmp_path / "missing") == []


def test_summary_lines_name_win_rate_interval_ties_unparsable_and_tokens():
    summary = {
        "judge": {
            "WinRate": 0.75,
            "Low": 0.6,
            "High": 0.875,
            "Judged": 40,
            "Ties": 4,
            "Unparsable": 1,
            "InputTokens": 12345,
            "OutputTokens": 678,
        },
        "judge_reasons": [{"id": "r1", "preference": "custom", "reason": "The custom output is faithful."}],
    }
    lines = cli._judge_lines(summary)
    assert lines[0] == (
        "judge win rate   : 0.750 [0.600, 0.875] (custom over base, ties count half; 40 judged, 4 ties, "
        "1 unparsable answers)"
    )
    assert lines[1] == "judge tokens     : 12,345 input + 678 output"
    assert lines[2] == "judge reason     : r1: custom preferred: The custom output is faithful."
    assert cli._judge_lines({"judge": None}) == []


def test_demo_help_documents_the_judge_flag(capsys):
    try:
        cli.main(["demo", "--help"])
    except SystemExit:
        pass
    assert "--judge" in capsys.readouterr().out


JUDGE_RESULT = {
    "WinRate": 0.8,
    "Low": 0.7,
    "High": 0.9,
    "Judged": 40,
    "Ties": 6,
    "Unparsable": 1,
    "InputTokens": 20000,
    "OutputTokens": 1500,
}


def _state(metric="F1", **result):
    return {
        "run": {"RunId": "r1", "CustomModelName": "m", "Evaluation": {"Metric": "F1"}},
        "evaluation": {
            "Result": {
                "Verdict": "CUSTOM_BETTER",
                "Metric": metric,
                "Base": {"F1": 0.6},
                "Custom": {"F1": 0.9},
                "Difference": {"Mean": 0.3, "Low": 0.25, "High": 0.35, "ConfidenceLevel": 0.95},
                **result,
            }
        },
    }


def test_report_command_and_email_show_the_judge_win_rate_and_tokens():
    from bedrock_customize.report_command import outcome_lines
    from workflow_lambdas import notify

    lines = outcome_lines({"executionArn": "arn", "status": "SUCCEEDED"}, _state(Judge=JUDGE_RESULT))
    assert (
        "judge     : win rate 0.8000 [0.7000, 0.9000] (custom over base, ties half; 6 ties, 1 unparsable; "
        "21,500 judge tokens)"
    ) in lines
    rows = dict((k, v) for k, v, _ in notify._facts(_state(Judge=JUDGE_RESULT), "CUSTOM_BETTER", notify.Settings()))
    assert rows["LLM judge win rate"] == (
        "0.800 (interval 0.700 to 0.900; 6 ties, 1 unparsable answers; 21,500 judge tokens)"
    )
    assert "Mean F1 (base)" in rows
    judged = dict(
        (k, v) for k, v, _ in notify._facts(_state("Judge", Judge=JUDGE_RESULT), "CUSTOM_BETTER", notify.Settings())
    )
    assert "Mean Judge (base)" not in judged and "LLM judge win rate" in judged
    plain = dict((k, v) for k, v, _ in notify._facts(_state(), "CUSTOM_BETTER", notify.Settings()))
    assert "LLM judge win rate" not in plain
    assert not any(x.startswith("judge") for x in outcome_lines({"executionArn": "a", "status": "SUCCEEDED"}, _state()))
