"""The candidate sweep on the emulator: several candidates trained, one child evaluation, the winner kept."""

from __future__ import annotations

import pytest
from workflow_support import demo_input

pytestmark = pytest.mark.workflow

NOVA_2_LITE = "amazon.nova-2-lite-v1:0:256k"  # on demand in us-east-1
QUALITIES = {"good": 0.9, "bad": 0.2, "close": 0.47}  # the base answers with quality 0.45 ("better")
CANDIDATES = [
    {"Name": "good", "HyperParameters": {"learningRate": "0.00001"}},
    {"Name": "bad", "HyperParameters": {"learningRate": "0.00009"}},
    {"Name": "close", "HyperParameters": {"learningRate": "0.000005"}},
]


def sweep_input(candidates=None, **overrides):
    return demo_input(Candidates=candidates or CANDIDATES, **overrides)


def start(emulator_factory, base_model=None, **config):
    config.setdefault("candidate_qualities", dict(QUALITIES))
    emu = emulator_factory("better", base_model=base_model, **config)
    emu.upload_sample(base_model)
    return emu


def by_name(summary):
    return {c["name"]: c for c in summary["candidates"]}


@pytest.mark.parametrize("base_model", [None, NOVA_2_LITE], ids=["provisioned", "on_demand"])
def test_the_better_candidate_is_kept_and_the_others_released(emulator_factory, base_model):
    emu = start(emulator_factory, base_model)
    extra = {"BaseModelIdentifier": base_model, "HyperParameters": {"epochCount": "2"}} if base_model else {}
    summary = emu.run(sweep_input(**extra))
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["winner"] == "good" and summary["verdict"] == "CUSTOM_BETTER"
    rows = by_name(summary)
    assert [rows[n]["kept"] for n in ("good", "bad", "close")] == [True, False, False]
    assert all(r["status"] == "served" for r in rows.values())
    assert rows["good"]["mean_f1"] > rows["close"]["mean_f1"] > rows["bad"]["mean_f1"]
    assert rows["good"]["ci_low"] > 0 and rows["bad"]["ci_high"] < 0
    assert summary["leaked_throughputs"] == 0 and summary["leaked_deployments"] == 0
    resources = summary["custom_model_deployments"] if base_model else summary["provisioned_throughputs"]
    kept = "Active" if base_model else "InService"
    assert sorted(r["status"] for r in resources) == sorted(["Deleted", "Deleted", kept])
    # ONE child execution: the base model answered each validation prompt once for all candidates
    assert len(emu.child_executions()) == 1
    state = emu.final_state(summary["execution_arn"])
    records = state["evaluation"]["Result"]["Counts"]["Records"]
    assert emu.world.stats["base"].answered == records
    assert emu.world.stats["custom"].answered == 3 * records
    entered = emu.entered_states(summary["execution_arn"])
    assert "TrainCandidates" in entered and "EvaluateCandidates" in entered and "CustomizeModel" not in entered


def test_no_candidate_better_releases_all(emulator_factory):
    emu = start(emulator_factory, candidate_qualities={"good": 0.2, "bad": 0.2, "close": 0.25})
    summary = emu.run(sweep_input())
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["winner"] is None and summary["verdict"] == "NOT_BETTER"
    assert not any(c["kept"] for c in summary["candidates"])
    assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["Deleted"] * 3
    assert summary["leaked_throughputs"] == 0


def test_demo_sweep_json(tmp_path, capsys):
    """The issue's done-when: three candidates, the better one kept, the other two released, 0 leaked."""
    import json

    from bedrock_customize.cli import main

    assert main(["demo", "--sweep", "--json", "--out", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    rows = {c["name"]: c for c in summary["candidates"]}
    assert set(rows) == {"epochs-2", "epochs-5", "epochs-1"}
    assert summary["winner"] == "epochs-2" and rows["epochs-2"]["kept"]
    assert not rows["epochs-5"]["kept"] and not rows["epochs-1"]["kept"]
    assert rows["epochs-2"]["ci_low"] > 0 > rows["epochs-5"]["ci_high"]
    assert rows["epochs-1"]["ci_low"] < 0 < rows["epochs-1"]["ci_high"]  # close to the base
    assert set(rows["epochs-2"]) == {"name", "status", "mean_f1", "ci_low", "ci_high", "kept", "error", "verdict"}
    assert summary["leaked_throughputs"] == 0 and summary["leaked_deployments"] == 0
    report = (tmp_path / summary["execution_arn"].rsplit(":", 1)[-1] / "report.html").read_text()
    assert "epochs-5" in report and "Leaderboard" in report


def test_demo_sweep_with_a_failed_candidate_prints_the_leaderboard(tmp_path, capsys):
    import json

    from bedrock_customize.cli import main

    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"candidate_job_failed": "epochs-2"}))
    assert main(["demo", "--sweep", "--faults", str(faults), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    board = out[out.index("leaderboard") :].splitlines()
    assert "winner           : none" in out
    assert any(line.split()[:2] == ["epochs-2", "failed"] for line in board)
    assert any(line.split()[0] == "epochs-1" and line.rstrip().endswith("released") for line in board[1:4])
    # The report's leaderboard lists the failed candidate too, with its status and hyperparameters.
    (report,) = tmp_path.glob("run-*/report.html")
    html = report.read_text()
    row = html[html.index('<td class="l">epochs-2</td>') :].split("</tr>")[0]
    assert "did not train or was not served" in row and "epochCount=2" in row
