"""``bedrock-customize score`` on tmp files."""

from __future__ import annotations

import json

import pytest

from bedrock_customize import score_command

pytestmark = pytest.mark.slow

REFS = ["The parcel arrived damaged and the customer wants a refund.", "The meeting moves to Thursday."]
CUSTOM = ["The customer wants a refund for a damaged parcel.", "The meeting is moved to Thursday."]
BASE = ["Something about a parcel.", "A meeting."]


def run(argv):
    return score_command.main(["score", *argv])


def test_jsonl_files_joined_by_id(tmp_path, config, capsys):
    ref = tmp_path / "ref.jsonl"
    ref.write_text(
        "".join(json.dumps({"id": f"r{i}", "prompt": "p", "reference": r}) + "\n" for i, r in enumerate(REFS))
    )
    cand = tmp_path / "cand.jsonl"
    cand.write_text(
        json.dumps({"id": "r1", "output": CUSTOM[1]}) + "\n" + json.dumps({"id": "r0", "output": CUSTOM[0]}) + "\n"
    )
    base = tmp_path / "base.jsonl"
    base.write_text(
        json.dumps({"id": "r0", "output": BASE[0]}) + "\n" + json.dumps({"id": "r1", "error": "timeout"}) + "\n"
    )
    out = tmp_path / "out.jsonl"
    rc = run(
        [
            "--references",
            str(ref),
            "--candidates",
            str(cand),
            "--candidates-base",
            str(base),
            "--model-path",
            config.model,
            "--num-layers",
            "6",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["r0", "r1"]
    assert rows[0]["custom_f1"] > rows[0]["base_f1"]
    assert rows[0]["difference"] == pytest.approx(rows[0]["custom_f1"] - rows[0]["base_f1"])
    assert rows[1]["base_f1"] is None and rows[1]["base_error"] == "timeout" and rows[1]["difference"] is None
    text = capsys.readouterr().out
    assert "mean f1 difference" in text and "base errors: 1" in text


def test_ancestor_json_arrays_by_position_with_default_model(tmp_path, config, capsys):
    ref = tmp_path / "reference-inference.json"
    ref.write_text(json.dumps(REFS))
    cand = tmp_path / "outputs.json"
    cand.write_text(json.dumps([REFS[0], CUSTOM[1]]))
    out = tmp_path / "out.jsonl"
    assert run(["--references", str(ref), "--candidates", str(cand), "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["0", "1"]
    assert rows[0]["f1"] == pytest.approx(1.0, abs=1e-5)
    assert set(rows[0]) == {"id", "precision", "recall", "f1"}
    assert "mean precision" in capsys.readouterr().out


@pytest.mark.parametrize(
    "ref_text, cand_text, message",
    [
        ('["a", "b"]', '["x"]', "1 items but"),
        ("[1, 2]", '["x", "y"]', "item 0 is not a string"),
        ('{"id": "a", "reference": "r"}\n{broken\n', '["x", "y"]', "line 2 is not JSON"),
        ('{"reference": "r"}\n', '["x"]', "line 1 has no 'id'"),
        ("", '["x"]', "file is empty"),
        ('{"id": "a", "reference": "r"}\n', '{"id": "zz", "output": "o"}\n', "'zz' is not in"),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, ref_text, cand_text, message):
    ref = tmp_path / "ref.json"
    ref.write_text(ref_text)
    cand = tmp_path / "cand.json"
    cand.write_text(cand_text)
    assert run(["--references", str(ref), "--candidates", str(cand)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and message in err
    assert str(ref) in err or str(cand) in err


def test_missing_file_exit_2(tmp_path, capsys):
    assert run(["--references", str(tmp_path / "none.json"), "--candidates", str(tmp_path / "c.json")]) == 2
    assert "none.json: file not found" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value", [("--max-batch-tokens", "0"), ("--batch-size", "-3"), ("--batch-size", "many")])
def test_batch_limits_must_be_positive_integers(tmp_path, capsys, flag, value):
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps(REFS))
    with pytest.raises(SystemExit) as exit_info:
        run(["--references", str(ref), "--candidates", str(ref), flag, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert flag in err and value in err


def test_tiny_token_budget_gives_the_same_scores(tmp_path, config, capsys):
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps(REFS))
    cand = tmp_path / "cand.json"
    cand.write_text(json.dumps(CUSTOM))
    outs = []
    for budget in ("1", "4096"):
        out = tmp_path / f"out-{budget}.jsonl"
        argv = ["--references", str(ref), "--candidates", str(cand), "--max-batch-tokens", budget, "--out", str(out)]
        assert run(argv) == 0
        outs.append([json.loads(line)["f1"] for line in out.read_text().splitlines()])
    assert outs[0] == pytest.approx(outs[1], abs=1e-6)
