"""``sweep_release``: every candidate released through the single run's release, only a winner kept."""

from __future__ import annotations

import pytest

from workflow_lambdas import release_throughput as rt
from workflow_lambdas import sweep_release
from workflow_lambdas.contract.errors import ThroughputNotOwned


def _run(name):
    return {"RunId": "r1", "WorkflowName": "wf", "ProvisionedModelName": f"pt-{name}", "CustomModelName": f"m-{name}"}


def _state(winner="a", statuses=("SERVED", "SERVED", "FAILED")):
    names = ["a", "b", "c"]
    return {
        "run": {**_run("run"), "Sweep": {"Candidates": [{"Name": n, "Run": _run(n)} for n in names]}},
        "candidates": [
            {"Name": n, "Status": s, "run": _run(n), "throughput": {"ProvisionedModelArn": f"arn-{n}"}}
            for n, s in zip(names, statuses, strict=True)
        ],
        "evaluation": {"Result": {"Verdict": "CUSTOM_BETTER" if winner else "NOT_BETTER", "Winner": winner}},
    }


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def fake_release(event, *, bedrock, sleep):
        verdict = event.State.evaluation.Result.Verdict if event.State.evaluation else None
        seen.append((event.State.run.ProvisionedModelName, event.Reason, verdict))
        if event.State.run.ProvisionedModelName == "pt-boom":
            raise ThroughputNotOwned("not ours")
        keep = event.Reason == "VERDICT" and verdict == "CUSTOM_BETTER"
        return {
            "Action": "KEPT" if keep else "DELETED",
            "ProvisionedModelArn": "x",
            "Reason": "why",
            "ThroughputStatus": None,
            "CustomModelDeleted": False,
        }

    monkeypatch.setattr(rt, "release", fake_release)
    return seen


def test_the_winner_is_judged_better_the_others_lost_or_failed(calls):
    out = sweep_release.release_candidates(_state(), "VERDICT", bedrock=None)
    assert calls == [("pt-a", "VERDICT", "CUSTOM_BETTER"), ("pt-b", "VERDICT", "NOT_BETTER"), ("pt-c", "FAILURE", None)]
    assert out["Kept"] == "a" and out["Action"] == "KEPT" and out["Winner"] == "a"
    assert [c["Action"] for c in out["Candidates"]] == ["KEPT", "DELETED", "DELETED"]


def test_a_failure_after_the_verdict_keeps_only_the_winner(calls):
    sweep_release.release_candidates(_state(), "FAILURE", bedrock=None)
    assert [c[1] for c in calls] == ["VERDICT", "FAILURE", "FAILURE"]


def test_a_failure_before_any_verdict_releases_every_candidate_by_name(calls):
    state = _state()
    del state["candidates"], state["evaluation"]
    out = sweep_release.release_candidates(state, "FAILURE", bedrock=None)
    assert calls == [("pt-a", "FAILURE", None), ("pt-b", "FAILURE", None), ("pt-c", "FAILURE", None)]
    assert out["Kept"] is None and out["Action"] == "DELETED"


def test_no_winner_releases_all(calls):
    out = sweep_release.release_candidates(_state(winner=None), "VERDICT", bedrock=None)
    assert [c[2] for c in calls] == ["NOT_BETTER", "NOT_BETTER", None]
    assert out["Kept"] is None and "no candidate is better" in out["Reason"]


def test_one_candidates_error_does_not_stop_the_others(calls):
    state = _state()
    state["candidates"][1]["run"]["ProvisionedModelName"] = "pt-boom"
    with pytest.raises(ThroughputNotOwned):
        sweep_release.release_candidates(state, "VERDICT", bedrock=None)
    assert [c[0] for c in calls] == ["pt-a", "pt-boom", "pt-c"]  # c was still released


def test_the_handler_sends_a_sweep_state_to_the_sweep_release(calls, monkeypatch):
    monkeypatch.setattr(rt, "client", lambda name: None)
    out = rt.handler({"State": _state(), "Reason": "VERDICT"})
    assert out["Kept"] == "a" and len(calls) == 3
