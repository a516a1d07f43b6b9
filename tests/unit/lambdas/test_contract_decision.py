"""The keep-or-release decision is made once (workflow_lambdas.contract.decision): the evaluator writes
``Result.KeepWinner`` from it, the parent's Decide state reads only that, and the release applies it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workflow_lambdas import release_throughput as rt
from workflow_lambdas.contract import decision

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("verdict", "keep_on_win", "on_inconclusive", "keep"),
    [
        ("CUSTOM_BETTER", True, "RELEASE", True),
        ("CUSTOM_BETTER", False, "KEEP", False),
        ("INCONCLUSIVE", True, "KEEP", True),
        ("INCONCLUSIVE", True, "RELEASE", False),
        ("NOT_BETTER", True, "KEEP", False),
        (None, True, "KEEP", False),
    ],
)
def test_the_policy(verdict, keep_on_win, on_inconclusive, keep):
    got = decision.decide(verdict, keep_throughput_on_win=keep_on_win, on_inconclusive=on_inconclusive)
    assert got.keep is keep
    assert decision.keeps_winner(verdict, keep_on_win) is (verdict == "CUSTOM_BETTER" and keep_on_win)


def test_a_failed_run_releases_whatever_the_verdict():
    got = decision.decide("CUSTOM_BETTER", failed_with="States.Timeout")
    assert got == decision.Decision(False, "run failed (States.Timeout): throughput released")


def test_the_release_lambda_applies_the_same_decision():
    state = rt.StateView.model_validate(
        {
            "run": {"RunId": "r", "WorkflowName": "w", "KeepThroughputOnWin": False},
            "evaluation": {"Result": {"Verdict": "CUSTOM_BETTER"}},
        }
    )
    want = decision.decide("CUSTOM_BETTER", keep_throughput_on_win=False)
    assert rt.decide(state, "VERDICT") == (want.keep, want.why)
    assert rt.decide(state, "FAILURE")[0] is False


def _decide_state() -> dict:
    text = re.sub(r"\$\{[a-z_]+\}", "x", (ROOT / "statemachine.asl.json.tftpl").read_text(encoding="utf-8"))
    return json.loads(text)["States"]["Decide"]


def _variables(rule: dict) -> set[str]:
    found = {rule["Variable"]} if "Variable" in rule else set()
    for nested in rule.get("And", []) + rule.get("Or", []):
        found |= _variables(nested)
    return found


def test_every_keep_route_of_decide_reads_only_the_evaluators_decision():
    choices = _decide_state()["Choices"]
    keep_routes = [c for c in choices if c["Next"] in ("KeepThroughput", "ProvisionWinnerThroughput", "KeepDeployment")]
    assert len(keep_routes) == 3
    for rule in keep_routes:
        variables = _variables(rule)
        assert "$.evaluation.Result.KeepWinner" in variables
        # no second copy of the policy in the template: not the verdict, not the run's KeepThroughputOnWin
        assert not variables & {"$.evaluation.Result.Verdict", "$.run.KeepThroughputOnWin"}, rule
