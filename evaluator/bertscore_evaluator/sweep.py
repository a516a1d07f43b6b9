"""The verdict of a candidate sweep: every candidate against the base model, ranked, one winner.

The scored records of a sweep carry ``base`` and one entry per candidate (named after it), scored
in one BERTScore call per shard (``handlers.score_joined``: each reference and base output is
embedded once for every candidate). Each candidate is judged exactly like a single run's custom
model: ``report.build_summary`` on the view ``{"base": ..., "custom": <candidate>}`` under the run's
policy (paired bootstrap interval against the base, guards). Candidates are ranked by the mean of
the primary metric (BERTScore F1 unless ``Evaluation.Policy`` says otherwise); the winner is the
best-ranked candidate whose own verdict is ``CUSTOM_BETTER``. Whether its lead over the runner-up
(the next candidate in the ranking) is significant is the same paired bootstrap on
``winner - runner-up`` (same seed, resamples and confidence level): significant when the interval's
low end is above 0.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from workflow_lambdas.contract import layout
from workflow_lambdas.contract.errors import EvaluationFailed

from . import metrics, report, scoring, stats

logger = logging.getLogger(__name__)

NOT_SCORED = "NOT_SCORED"
#: A candidate of the run that reached no evaluation: its job or its serving resource failed (its own
#: branch released what it created; its error is in the parent's output and the email).
NOT_SERVED = "NOT_SERVED"


def candidate_view(records: Sequence[Mapping[str, Any]], name: str) -> list[dict[str, Any]]:
    """The records as a single run's: ``base`` and this candidate as ``custom``."""
    missing = {
        "output": None,
        "error": f"no result for candidate {name}",
        "precision": None,
        "recall": None,
        "f1": None,
    }
    return [
        {
            "id": r.get("id"),
            "prompt": r.get("prompt"),
            "reference": r.get("reference"),
            "base": r.get("base"),
            "custom": r.get(name) or missing,
        }
        for r in records
    ]


def lead(records: Sequence[Mapping[str, Any]], first: str, second: str, policy: stats.Policy) -> dict[str, Any]:
    """Paired bootstrap interval of ``first - second`` on the primary metric (records both scored)."""
    field = report.METRIC_FIELDS[policy.metric]
    diffs = [
        a - b
        for r in records
        if (a := report.model_score(r, first, field)) is not None
        and (b := report.model_score(r, second, field)) is not None
    ]
    if not diffs:
        return {"Mean": None, "Low": None, "High": None, "Pairs": 0, "Significant": False}
    low, high = stats.bootstrap_ci(
        diffs, confidence_level=policy.confidence_level, resamples=policy.resamples, seed=policy.seed
    )
    mean = sum(diffs) / len(diffs)
    return {
        "Mean": mean,
        "Low": low,
        "High": high,
        "ConfidenceLevel": policy.confidence_level,
        "Pairs": len(diffs),
        "Significant": bool(len(diffs) >= policy.min_pairs and low > 0),
    }


def rank(
    records: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    policy: stats.Policy,
    **summary_args: Any,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """``(leaderboard, summaries)``: one entry per candidate, best first, and each candidate's summary."""
    summaries: dict[str, dict[str, Any]] = {}
    board: list[dict[str, Any]] = []
    for name in names:
        try:
            summary = report.build_summary(candidate_view(records, name), policy, **summary_args)
        except EvaluationFailed as exc:  # e.g. every call of this candidate errored: it cannot win
            board.append({"Name": name, "Verdict": NOT_SCORED, "Mean": None, "MeanF1": None, "Error": str(exc)})
            continue
        summaries[name] = summary
        diff, counts = summary["Difference"], summary["Counts"]
        board.append(
            {
                "Name": name,
                "Verdict": summary["Verdict"],
                "Explanation": summary["Explanation"],
                "Metric": summary["Metric"],
                "Mean": summary["Custom"].get(summary["Metric"]),
                "MeanF1": summary["CustomAllScored"].get("F1"),
                "BaseMean": summary["Base"].get(summary["Metric"]),
                "Difference": {k: diff[k] for k in ("Mean", "Low", "High", "ConfidenceLevel")},
                "Wins": diff["Wins"],
                "Losses": diff["Losses"],
                "Ties": diff["Ties"],
                "Scored": counts["Scored"],
                "Errors": counts["CustomErrors"],
            }
        )
    board.sort(key=lambda e: (e["Mean"] is None, -(e["Mean"] or 0.0)))
    for position, entry in enumerate(board, start=1):
        entry["Rank"] = position
    return board, summaries


def decide(records: Sequence[Mapping[str, Any]], board: list[dict[str, Any]], policy: stats.Policy) -> dict[str, Any]:
    """Winner (best-ranked CUSTOM_BETTER), runner-up and whether the lead is significant."""
    winner = next((e for e in board if e["Verdict"] == stats.CUSTOM_BETTER), None)
    scored = [e for e in board if e["Mean"] is not None]
    out: dict[str, Any] = {"Winner": winner["Name"] if winner else None, "RunnerUp": None, "Lead": None}
    if winner is not None:
        others = [e for e in scored if e["Name"] != winner["Name"]]
        if others:
            out["RunnerUp"] = others[0]["Name"]
            out["Lead"] = lead(records, winner["Name"], others[0]["Name"], policy)
    if winner is not None:
        out["Verdict"] = stats.CUSTOM_BETTER
        out["Best"] = winner["Name"]
    else:
        best = scored[0] if scored else None
        out["Verdict"] = best["Verdict"] if best else stats.NOT_BETTER
        out["Best"] = best["Name"] if best else None
    return out


def not_served(candidates: Mapping[str, Mapping[str, Any]], board: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The run's candidates that were never scored (not trained or not served), for the leaderboard."""
    scored = {e.get("Name") for e in board}
    return [
        {
            "Name": name,
            "Verdict": NOT_SERVED,
            "Rank": None,
            "Mean": None,
            "MeanF1": None,
            "HyperParameters": dict(candidate.get("HyperParameters") or {}),
        }
        for name, candidate in candidates.items()
        if name not in scored
    ]


def aggregate_sweep(
    event: Mapping[str, Any],
    run: Mapping[str, Any],
    records: list[dict[str, Any]],
    names: Sequence[str],
    policy: stats.Policy,
    bucket: str,
    run_prefix: str,
    put: Callable[[str, str, str, str], None],
) -> dict[str, Any]:
    """The sweep's aggregate result and report files (the best candidate's report, with the leaderboard)."""
    from .handlers import _scorer_description  # the same scorer description as a single run's

    context = report.run_context_for_report(run, event)
    board, summaries = rank(
        records,
        names,
        policy,
        scorer=_scorer_description(),
        versions={**scoring.library_versions(), **metrics.library_versions()},
        run_id=run.get("RunId"),
        context=context,
    )
    decision = decide(records, board, policy)
    if decision["Best"] is None:
        raise EvaluationFailed(
            "no candidate could be scored: " + "; ".join(f"{e['Name']}: {e.get('Error')}" for e in board)
        )
    best = decision["Best"]
    candidates = {c.get("Name"): c for c in (run.get("Sweep") or {}).get("Candidates", [])}
    for entry in board:
        entry["HyperParameters"] = (candidates.get(entry["Name"]) or {}).get("HyperParameters", {})
    summary = dict(summaries[best])
    summary["Sweep"] = {**decision, "Candidates": board + not_served(candidates, board)}
    view = candidate_view(records, best)
    files = report.render_all(summary, view)
    prefix = layout.report_prefix(run_prefix)
    uris = report.write_report(files, put, bucket, prefix)
    put(bucket, prefix + "sweep.json", json.dumps(summary["Sweep"], indent=2) + "\n", "application/json")
    result = {
        **report.verdict_result(summary),
        "Verdict": decision["Verdict"],
        "Winner": decision["Winner"],
        "Best": best,
        "RunnerUp": decision["RunnerUp"],
        "Lead": decision["Lead"],
        "Candidates": [
            {
                k: e.get(k)
                for k in ("Name", "Rank", "Verdict", "Mean", "MeanF1", "Difference", "Wins", "Losses", "Ties", "Errors")
            }
            for e in board
        ],
        **uris,
        "SweepS3Uri": f"s3://{bucket}/{prefix}sweep.json",
    }
    logger.info("aggregate (sweep): %s", json.dumps(result))
    return result
