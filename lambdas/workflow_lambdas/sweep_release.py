"""The release of a candidate sweep's resources (``release_throughput`` with a sweep state).

A sweep's state has ``run.Sweep`` (the candidates, each with a run context of its own) and, once
the Map ``TrainCandidates`` ended, ``candidates`` (one result per candidate: ``Status`` SERVED or
FAILED, its ``throughput`` or ``deployment``, ``customization``). Every candidate is released
through ``release_throughput.release`` with a single-run view of its own (its run context, its
resources, a verdict of its own), so the guards are exactly a single run's: only a resource tagged
with the run, never a committed term, already-gone is fine.

Per candidate: the winner (``evaluation.Result.Winner``) is treated as ``CUSTOM_BETTER`` (kept
unless ``KeepThroughputOnWin`` is false), every other served candidate as ``NOT_BETTER``
(released; its custom model deleted when ``KeepLosingCustomModel`` is false), a candidate that
failed as a failure (released). On ``FAILURE`` every candidate is released except a winner the
verdict already kept. Without ``candidates`` (the Map itself failed) the candidates' resources are
found by their run-unique names.

One candidate's error does not stop the others' release: every candidate is tried, then the first
error is raised (a transient one under its retryable name), so the state machine's ``Retry`` runs
the release again and the candidates already released are ``ALREADY_GONE``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from workflow_lambdas import release_throughput as rt

logger = logging.getLogger(__name__)


def is_sweep(state: Mapping[str, Any]) -> bool:
    run = state.get("run")
    return isinstance(run, Mapping) and isinstance(run.get("Sweep"), Mapping)


def _items(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    results = state.get("candidates")
    if isinstance(results, list) and results:
        return [dict(r) for r in results if isinstance(r, Mapping)]
    return [{"Name": c["Name"], "run": c["Run"]} for c in state["run"]["Sweep"].get("Candidates", [])]


def _result_of(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    evaluation = state.get("evaluation")
    result = evaluation.get("Result") if isinstance(evaluation, Mapping) else None
    return result if isinstance(result, Mapping) else None


def release_candidates(
    state: Mapping[str, Any], reason: str, *, bedrock: Any, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    result = _result_of(state)
    winner = result.get("Winner") if result else None
    outcomes: list[dict[str, Any]] = []
    errors: list[Exception] = []
    kept: dict[str, Any] | None = None
    for item in _items(state):
        name = item.get("Name")
        served = item.get("Status") == "SERVED"
        if result is not None and served and name == winner:
            verdict, why = "CUSTOM_BETTER", "VERDICT"
        elif result is not None and served and reason == "VERDICT":
            verdict, why = "NOT_BETTER", "VERDICT"
        else:
            verdict, why = None, "FAILURE"
        view = {
            "run": item.get("run"),
            "throughput": item.get("throughput"),
            "deployment": item.get("deployment"),
            "customization": item.get("customization"),
            "evaluation": {"Result": {"Verdict": verdict}} if verdict else None,
            "error": item.get("error") or state.get("error") or {"Error": "CandidateFailed"},
        }
        try:
            released = rt.release(
                rt.ReleaseEvent.model_validate({"State": view, "Reason": why}), bedrock=bedrock, sleep=sleep
            )
        except Exception as exc:  # noqa: BLE001 - every candidate is tried; the first error is raised below
            logger.warning("candidate %s: release failed: %s", name, exc)
            errors.append(exc)
            outcomes.append({"Name": name, "Action": "ERROR", "Reason": f"{type(exc).__name__}: {exc}"})
            continue
        if why == "FAILURE" and verdict is None and not served:
            released["Reason"] = released["Reason"].replace("run failed", "candidate failed", 1)
        outcomes.append({"Name": name, "Status": item.get("Status"), **released})
        if released.get("Action") == "KEPT":
            kept = {"Name": name, **released}
    if errors:
        raise errors[0]
    logger.info("sweep release (%s): %s", reason, [(o["Name"], o["Action"]) for o in outcomes])
    if kept is not None:
        summary = {k: v for k, v in kept.items() if k != "Name"}
        summary["Reason"] = f"candidate {kept['Name']} won: {summary['Reason']}; every other candidate released"
    else:
        why_all = (
            "run failed"
            if reason == "FAILURE"
            else (f"candidate {winner} won but is not kept" if winner else "no candidate is better than the base model")
        )
        summary = {
            "Action": "DELETED",
            "ProvisionedModelArn": None,
            "Reason": f"{why_all}: every candidate released",
            "ThroughputStatus": None,
            "CustomModelDeleted": any(o.get("CustomModelDeleted") for o in outcomes),
        }
    summary.update({"Winner": winner, "Kept": kept["Name"] if kept else None, "Candidates": outcomes})
    return summary
