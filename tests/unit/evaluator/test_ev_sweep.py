"""The sweep's verdict: candidates ranked by mean F1, winner = best CUSTOM_BETTER, lead over the runner-up."""

from __future__ import annotations

import random

from bertscore_evaluator import report, stats, sweep


def _records(n=60, offsets=None, seed=3):
    rng = random.Random(seed)
    offsets = offsets or {"good": 0.2, "close": 0.005, "bad": -0.2}
    records = []
    for i in range(n):
        base = 0.5 + rng.uniform(-0.1, 0.1)
        row = {"id": i, "prompt": "p", "reference": "r", "base": {"output": "o", "error": None, "f1": base}}
        for name, offset in offsets.items():
            row[name] = {"output": "o", "error": None, "f1": base + offset + rng.uniform(-0.05, 0.05)}
        for entry in (row["base"], *(row[n] for n in offsets)):
            entry["precision"] = entry["recall"] = entry["f1"]
        records.append(row)
    return records


POLICY = stats.Policy.from_evaluation({})


def test_ranked_by_mean_and_the_best_better_candidate_wins():
    records = _records()
    board, summaries = sweep.rank(records, ["bad", "close", "good"], POLICY)
    assert [e["Name"] for e in board] == ["good", "close", "bad"]
    assert [e["Rank"] for e in board] == [1, 2, 3]
    assert board[0]["Verdict"] == "CUSTOM_BETTER" and board[2]["Verdict"] == "NOT_BETTER"
    # each candidate judged exactly like a single run's custom model
    single = report.build_summary(sweep.candidate_view(records, "close"), POLICY)
    assert summaries["close"]["Difference"] == single["Difference"]
    decision = sweep.decide(records, board, POLICY)
    assert decision["Winner"] == "good" and decision["RunnerUp"] == "close"
    assert decision["Lead"]["Significant"] is True and decision["Lead"]["Low"] > 0


def test_a_close_race_is_not_significant():
    records = _records(offsets={"a": 0.2, "b": 0.199})
    board, _ = sweep.rank(records, ["a", "b"], POLICY)
    decision = sweep.decide(records, board, POLICY)
    assert decision["Winner"] in ("a", "b") and decision["Lead"]["Significant"] is False


def test_no_candidate_better_has_no_winner():
    records = _records(offsets={"a": -0.1, "b": 0.0})
    board, _ = sweep.rank(records, ["a", "b"], POLICY)
    decision = sweep.decide(records, board, POLICY)
    assert decision["Winner"] is None and decision["Best"] == "b" and decision["Verdict"] != stats.CUSTOM_BETTER


def test_a_candidate_without_scores_cannot_win_and_is_reported():
    records = _records(offsets={"a": 0.2})
    for r in records:
        r["dead"] = {"output": None, "error": "boom", "f1": None, "precision": None, "recall": None}
    board, _ = sweep.rank(records, ["a", "dead"], POLICY)
    assert board[-1]["Name"] == "dead" and board[-1]["Verdict"] == sweep.NOT_SCORED and board[-1]["Error"]
    assert sweep.decide(records, board, POLICY)["Winner"] == "a"


def test_leaderboard_html_lists_every_candidate_and_plots_each_interval():
    records = _records()
    board, _ = sweep.rank(records, ["good", "close", "bad"], POLICY)
    html = report.leaderboard_html({**sweep.decide(records, board, POLICY), "Candidates": board})
    assert html.count("<tr><td>") == 3 and "Winner:</b> good" in html
    assert html.count("<circle") == 3 and "significant" in html
    assert report.leaderboard_html(None) == ""


def test_a_candidate_that_was_never_served_is_on_the_leaderboard_with_its_status():
    records = _records()
    board, _ = sweep.rank(records, ["good", "bad"], POLICY)
    candidates = {
        "good": {"HyperParameters": {"epochCount": "2"}},
        "bad": {"HyperParameters": {"epochCount": "5"}},
        "lost": {"HyperParameters": {"epochCount": "9"}},
    }
    missing = sweep.not_served(candidates, board)
    assert [(e["Name"], e["Verdict"], e["HyperParameters"]) for e in missing] == [
        ("lost", sweep.NOT_SERVED, {"epochCount": "9"})
    ]
    html = report.leaderboard_html({**sweep.decide(records, board, POLICY), "Candidates": board + missing})
    row = html[html.index('<td class="l">lost</td>') :].split("</tr>")[0]
    assert "did not train or was not served" in row and "released by its own branch" in row
    assert "epochCount=9" in row
    assert html.count("<circle") == 2  # only scored candidates are plotted
