"""The report header says what the release step does after this run's verdict (issue 14's done-when)."""

from __future__ import annotations

import pytest

from bertscore_evaluator import report, stats


def _page(verdict_records, **run) -> str:
    context = report.run_context_for_report({"RunId": "r", "CustomModelName": "m", **run})
    summary = report.build_summary(verdict_records, stats.Policy(resamples=200), run_id="r", context=context)
    return report.render_html(summary, verdict_records)


def _records(gain: float) -> list[dict]:
    def entry(f1):
        return {"output": "o", "error": None, "precision": f1, "recall": f1, "f1": f1}

    return [
        {
            "id": i,
            "prompt": "p",
            "reference": "r",
            "base": entry(0.5 + 0.001 * i),
            "custom": entry(0.5 + 0.001 * i + gain),
        }
        for i in range(20)
    ]


@pytest.mark.parametrize(
    ("gain", "run", "action"),
    [
        (0.1, {}, "CUSTOM_BETTER: the serving resource is kept, ready to serve the custom model"),
        (
            0.1,
            {"KeepThroughputOnWin": False},
            "CUSTOM_BETTER: the serving resource is released (KeepThroughputOnWin false)",
        ),
        (
            0.1,
            {"KeepWinnerAs": "provisioned_throughput", "DeploymentMode": "on_demand"},
            "CUSTOM_BETTER: a provisioned throughput is bought",
        ),
        (
            0.1,
            {"KeepWinnerAs": "provisioned_throughput", "DeploymentMode": "provisioned"},
            "CUSTOM_BETTER: the serving resource is kept",
        ),
        (-0.1, {}, "NOT_BETTER: the serving resource is released; the custom model is kept"),
        (
            -0.1,
            {"KeepLosingCustomModel": False},
            "NOT_BETTER: the serving resource is released; the custom model is deleted",
        ),
    ],
)
def test_the_header_names_the_action_for_the_verdict(gain, run, action):
    page = _page(_records(gain), **run)
    assert "<th>Action for this verdict</th>" in page and action in page
