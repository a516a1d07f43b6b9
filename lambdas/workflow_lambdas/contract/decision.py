"""The keep-or-release decision of a run, made in one place.

A run keeps what serves its custom model only when the verdict and the run's policy say so:

- a failed run releases everything;
- ``CUSTOM_BETTER`` keeps, unless ``KeepThroughputOnWin`` is false;
- ``INCONCLUSIVE`` keeps only with ``Evaluation.OnInconclusive`` ``KEEP``;
- ``NOT_BETTER`` (or no usable verdict) releases.

The evaluator's Aggregate writes :func:`keeps_winner` into its result (``Result.KeepWinner``), and the
parent workflow's ``Decide`` state routes on that field alone (keep the winner's throughput, its
deployment, or buy it a throughput); every other outcome goes to the guarded release
(``workflow_lambdas.release_throughput``), which applies :func:`decide` for the rest (the INCONCLUSIVE
policy, failures). The ``Reason`` texts are the ones the emails and the report quote.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow_lambdas.contract.evaluation import DEFAULTS

CUSTOM_BETTER = "CUSTOM_BETTER"
NOT_BETTER = "NOT_BETTER"
INCONCLUSIVE = "INCONCLUSIVE"
#: ``KeepThroughputOnWin`` when the input does not say (the execution-input schema's default).
KEEP_THROUGHPUT_ON_WIN = True


@dataclass(frozen=True)
class Decision:
    keep: bool
    why: str


def keeps_winner(verdict: str | None, keep_throughput_on_win: bool = KEEP_THROUGHPUT_ON_WIN) -> bool:
    """Whether the custom model won and the run keeps what serves it."""
    return verdict == CUSTOM_BETTER and keep_throughput_on_win is not False


def decide(
    verdict: str | None,
    *,
    keep_throughput_on_win: bool = KEEP_THROUGHPUT_ON_WIN,
    on_inconclusive: str = DEFAULTS.OnInconclusive,
    failed_with: str | None = None,
) -> Decision:
    """Keep or release, and why (``failed_with``: the error of a failed run, which always releases)."""
    if failed_with is not None:
        return Decision(False, f"run failed ({failed_with}): throughput released")
    if verdict == CUSTOM_BETTER:
        if keeps_winner(verdict, keep_throughput_on_win):
            return Decision(True, "custom model is better and KeepThroughputOnWin is true: throughput kept")
        return Decision(False, "custom model is better but KeepThroughputOnWin is false: throughput released")
    if verdict == INCONCLUSIVE:
        if on_inconclusive.upper() == "KEEP":
            return Decision(True, "result inconclusive and OnInconclusive is KEEP: throughput kept")
        return Decision(False, f"result inconclusive and OnInconclusive is {on_inconclusive}: throughput released")
    if verdict == NOT_BETTER:
        return Decision(False, "custom model is not better: throughput released")
    return Decision(False, f"no usable verdict ({verdict!r}): throughput released")
