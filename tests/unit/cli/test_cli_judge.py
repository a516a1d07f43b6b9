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
