"""Aggregate statistics and the verdict policy (numpy only, no model).

Policy (``run.Evaluation``): ``Metric`` (F1 | Precision | Recall), ``Margin``,
``ConfidenceLevel`` (strictly between 0 and 1), ``BootstrapResamples`` (an integer, at
least 100), ``RequireSignificance`` (default true), ``Seed`` (an integer, at least 0),
``MinPairs`` (default 10). With ``lo, hi`` the paired-bootstrap percentile interval of
``mean(custom - base)``:

* fewer than ``MinPairs`` records scored for both models -> ``INCONCLUSIVE`` (the
  ``Decision.reason`` says so): a percentile bootstrap of one or two pairs has an
  interval that cannot contain the spread it never saw (one positive pair would
  otherwise be ``CUSTOM_BETTER`` even with significance required);
* ``lo > margin``  -> ``CUSTOM_BETTER``
* ``hi <= margin`` -> ``NOT_BETTER``
* otherwise ``INCONCLUSIVE`` when significance is required, else
  ``CUSTOM_BETTER`` if ``mean > margin`` else ``NOT_BETTER``.

With ``RequireSignificance: false`` and ``Margin: 0`` this is the ancestor's rule
(``mean(custom F1) > mean(base F1)``, strict). A tie is ``NOT_BETTER``.

Several metrics (``Evaluation.Policy``): ``Primary`` names the metric the rule above is
applied to (default ``Evaluation.Metric``, i.e. BERTScore F1); each of ``Guards``
(``[{"Metric": "ROUGE-L", "MaxLoss": 0.01}]``) may only veto a ``CUSTOM_BETTER``. A guard
holds when the custom model is shown to lose at most ``MaxLoss`` on it (a non-inferiority
check: the interval's low end, or the mean when significance is not required, is at least
``-MaxLoss``). A guard that does not hold turns the verdict into ``NOT_BETTER`` when the loss
is beyond doubt (the whole interval below ``-MaxLoss``, or significance not required) and
``INCONCLUSIVE`` otherwise. Every metric gets the same paired bootstrap (same seed, same
resamples). ``Outcome.decided_by`` names the metric that decided and ``Outcome.explanation``
says why in one sentence. Without ``Policy`` the verdicts are exactly the single-metric ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from workflow_lambdas.contract.errors import EvaluationFailed
from workflow_lambdas.contract.evaluation import DEFAULTS

from . import metrics

CUSTOM_BETTER = "CUSTOM_BETTER"
NOT_BETTER = "NOT_BETTER"
INCONCLUSIVE = "INCONCLUSIVE"
METRICS = metrics.POLICY_METRICS  # the LLM judge (Judge) only when the run has Evaluation.Judge
MAX_GUARDS = 5  # every metric but the primary one
# Resamples are drawn in blocks so that 10k records x 1000 resamples never holds 80 MB of indices.
_BLOCK_ELEMENTS = 2_000_000
MIN_RESAMPLES = 100
# Fewest paired records a verdict other than INCONCLUSIVE may rest on (``MinPairs``).
DEFAULT_MIN_PAIRS = DEFAULTS.MinPairs


@dataclass(frozen=True)
class Guard:
    """The custom model may not lose more than ``max_loss`` on ``metric``."""

    metric: str
    max_loss: float

    def as_dict(self) -> dict[str, Any]:
        return {"Metric": self.metric, "MaxLoss": self.max_loss}


@dataclass(frozen=True)
class Policy:
    # Defaults: workflow_lambdas.contract.evaluation (the run context's Evaluation), never our own.
    metric: str = DEFAULTS.Metric  # the primary metric
    margin: float = DEFAULTS.Margin
    confidence_level: float = DEFAULTS.ConfidenceLevel
    resamples: int = DEFAULTS.BootstrapResamples
    require_significance: bool = DEFAULTS.RequireSignificance
    seed: int = DEFAULTS.Seed
    min_pairs: int = DEFAULTS.MinPairs
    guards: tuple[Guard, ...] = ()

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise EvaluationFailed(f"Evaluation.Metric must be one of {', '.join(METRICS)}, got {self.metric!r}")
        for n, guard in enumerate(self.guards):
            where = f"Evaluation.Policy.Guards[{n}]"
            if guard.metric not in METRICS:
                raise EvaluationFailed(f"{where}.Metric must be one of {', '.join(METRICS)}, got {guard.metric!r}")
            if guard.metric == self.metric:
                raise EvaluationFailed(f"{where}.Metric {guard.metric!r} is the primary metric: guard another one")
            if not _is_real(guard.max_loss) or not 0.0 <= guard.max_loss <= 1.0:
                raise EvaluationFailed(f"{where}.MaxLoss must be a number from 0 to 1, got {guard.max_loss!r}")
        if len({g.metric for g in self.guards}) != len(self.guards):
            raise EvaluationFailed("Evaluation.Policy.Guards names a metric twice")
        if not _is_real(self.margin) or not math.isfinite(self.margin):
            raise EvaluationFailed(f"Evaluation.Margin must be a finite number, got {self.margin!r}")
        if not _is_real(self.confidence_level) or not 0.0 < self.confidence_level < 1.0:
            raise EvaluationFailed(
                f"Evaluation.ConfidenceLevel must be a number strictly between 0 and 1, got {self.confidence_level!r}"
            )
        if not _is_int(self.resamples) or self.resamples < MIN_RESAMPLES:
            raise EvaluationFailed(
                f"Evaluation.BootstrapResamples must be an integer of at least {MIN_RESAMPLES}, got {self.resamples!r}"
            )
        if not isinstance(self.require_significance, bool):
            raise EvaluationFailed(
                f"Evaluation.RequireSignificance must be true or false, got {self.require_significance!r}"
            )
        if not _is_int(self.seed) or self.seed < 0:
            raise EvaluationFailed(f"Evaluation.Seed must be an integer of at least 0, got {self.seed!r}")
        if not _is_int(self.min_pairs) or self.min_pairs < 1:
            raise EvaluationFailed(f"Evaluation.MinPairs must be an integer of at least 1, got {self.min_pairs!r}")

    @classmethod
    def from_evaluation(cls, evaluation: Mapping[str, Any] | None) -> Policy:
        """Build from the run context's ``Evaluation`` object (missing keys take defaults).

        Numbers may come as JSON numbers or numeric strings; an integer field given a
        fraction (``2.9``), a boolean or a non-number is rejected, never truncated."""
        ev = dict(evaluation or {})
        metric = str(ev.get("Metric", DEFAULTS.Metric))
        metric = metrics.canonical(metric) or metric
        raw_policy = ev.get("Policy")
        if raw_policy is not None and not isinstance(raw_policy, Mapping):
            raise EvaluationFailed(f"Evaluation.Policy must be an object, got {raw_policy!r}")
        policy = dict(raw_policy or {})
        if policy.get("Primary") is not None:
            metric = metrics.canonical(policy["Primary"]) or str(policy["Primary"])
        raw_guards = policy.get("Guards") or []
        if not isinstance(raw_guards, list) or len(raw_guards) > MAX_GUARDS:
            raise EvaluationFailed(f"Evaluation.Policy.Guards must be a list of at most {MAX_GUARDS} guards")
        guards = []
        for n, g in enumerate(raw_guards):
            if not isinstance(g, Mapping):
                raise EvaluationFailed(f"Evaluation.Policy.Guards[{n}] must be an object with Metric and MaxLoss")
            name = metrics.canonical(g.get("Metric")) or str(g.get("Metric"))
            guards.append(Guard(name, _number(g, "MaxLoss", 0.0, f"Policy.Guards[{n}].MaxLoss")))
        return cls(
            metric=metric,
            guards=tuple(guards),
            margin=_number(ev, "Margin", DEFAULTS.Margin),
            confidence_level=_number(ev, "ConfidenceLevel", DEFAULTS.ConfidenceLevel),
            resamples=_integer(ev, "BootstrapResamples", DEFAULTS.BootstrapResamples),
            require_significance=_as_bool(ev.get("RequireSignificance", DEFAULTS.RequireSignificance)),
            seed=_integer(ev, "Seed", DEFAULTS.Seed),
            min_pairs=_integer(ev, "MinPairs", DEFAULTS.MinPairs),
        )

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {
            "Metric": d["metric"],
            "Margin": d["margin"],
            "ConfidenceLevel": d["confidence_level"],
            "BootstrapResamples": d["resamples"],
            "RequireSignificance": d["require_significance"],
            "Seed": d["seed"],
            "MinPairs": d["min_pairs"],
            "Primary": self.metric,
            "Guards": [g.as_dict() for g in self.guards],
        }


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _number(ev: Mapping[str, Any], name: str, default: float, label: str | None = None) -> float:
    """``ev[name]`` as a float: a JSON number or a numeric string, never a boolean."""
    value = ev.get(name, default)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    elif _is_real(value):
        return float(value)
    raise EvaluationFailed(f"Evaluation.{label or name} must be a number, got {value!r}")


def _integer(ev: Mapping[str, Any], name: str, default: int) -> int:
    """``ev[name]`` as an int: an integer, an integral float (``1000.0``) or an integer string;
    ``2.9``, ``true`` or ``"x"`` are errors rather than silently truncated or coerced."""
    value = ev.get(name, default)
    if _is_int(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    elif _is_real(value) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    raise EvaluationFailed(f"Evaluation.{name} must be an integer, got {value!r}")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise EvaluationFailed(f"Evaluation.RequireSignificance must be true or false, got {value!r}")


@dataclass(frozen=True)
class Decision:
    verdict: str
    mean: float
    low: float
    high: float
    confidence_level: float
    pairs: int
    reason: str | None = None  # why the verdict is INCONCLUSIVE regardless of the interval


def mean(values: Sequence[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        raise EvaluationFailed("cannot average zero values")
    return float(arr.mean())


def paired_differences(base: Sequence[float | None], custom: Sequence[float | None]) -> np.ndarray:
    """``custom - base`` for the records where both models have a score."""
    if len(base) != len(custom):
        raise ValueError(f"{len(base)} base scores but {len(custom)} custom scores")
    diffs = [c - b for b, c in zip(base, custom, strict=True) if b is not None and c is not None]
    return np.asarray(diffs, dtype=np.float64)


def bootstrap_ci(
    differences: Sequence[float] | np.ndarray,
    *,
    confidence_level: float = 0.95,
    resamples: int = 1000,
    seed: int = 7,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean paired difference (resampling records)."""
    diffs = np.asarray(differences, dtype=np.float64)
    n = diffs.size
    if n == 0:
        raise EvaluationFailed("no paired scores to bootstrap")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    block = max(1, _BLOCK_ELEMENTS // n)
    for start in range(0, resamples, block):
        count = min(block, resamples - start)
        idx = rng.integers(0, n, size=(count, n))
        means[start : start + count] = diffs[idx].mean(axis=1)
    alpha = (1.0 - confidence_level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def verdict(mean_diff: float, low: float, high: float, *, margin: float, require_significance: bool) -> str:
    if low > margin:
        return CUSTOM_BETTER
    if high <= margin:
        return NOT_BETTER
    if require_significance:
        return INCONCLUSIVE
    return CUSTOM_BETTER if mean_diff > margin else NOT_BETTER


def decide(differences: Sequence[float] | np.ndarray, policy: Policy) -> Decision:
    """The verdict for paired differences (custom - base) of ``policy.metric``."""
    diffs = np.asarray(differences, dtype=np.float64)
    if diffs.size == 0:
        raise EvaluationFailed(
            "no record has a score for both models: every record errored for the base or the custom model"
        )
    if not np.all(np.isfinite(diffs)):
        raise EvaluationFailed("non-finite score difference")
    mean_diff = float(diffs.mean())
    low, high = bootstrap_ci(
        diffs, confidence_level=policy.confidence_level, resamples=policy.resamples, seed=policy.seed
    )
    reason = None
    if diffs.size < policy.min_pairs:
        # The interval is still reported, but it rests on too few records to decide anything.
        outcome = INCONCLUSIVE
        reason = (
            f"only {diffs.size} record(s) have scores for both models; at least {policy.min_pairs} (MinPairs) "
            "are needed for a verdict"
        )
    else:
        outcome = verdict(mean_diff, low, high, margin=policy.margin, require_significance=policy.require_significance)
    return Decision(
        verdict=outcome,
        mean=mean_diff,
        low=low,
        high=high,
        confidence_level=policy.confidence_level,
        pairs=int(diffs.size),
        reason=reason,
    )


# --- several metrics: the primary decides, guards may veto -------------------------------


@dataclass(frozen=True)
class GuardCheck:
    metric: str
    max_loss: float
    decision: Decision
    holds: bool  # the custom model is shown to lose at most max_loss
    clearly_fails: bool  # the loss is beyond doubt (or significance is not required)


@dataclass(frozen=True)
class Outcome:
    verdict: str
    decided_by: str  # the metric whose result set the verdict
    reason: str | None  # why, when it is not the primary metric's interval alone (MinPairs, a guard)
    explanation: str  # one sentence naming the metric that decided, for every verdict
    primary: Decision
    guards: tuple[GuardCheck, ...]


def check_guard(differences: Sequence[float] | np.ndarray, guard: Guard, policy: Policy) -> GuardCheck:
    d = decide(differences, policy)
    bound = d.low if policy.require_significance else d.mean
    holds = bound >= -guard.max_loss
    clearly = (d.high < -guard.max_loss) if policy.require_significance else not holds
    return GuardCheck(guard.metric, guard.max_loss, d, holds, clearly)


def _interval(d: Decision) -> str:
    return f"{d.mean:+.4f}, {d.confidence_level * 100:g}% interval [{d.low:+.4f}, {d.high:+.4f}]"


def decide_all(differences: Mapping[str, Sequence[float] | np.ndarray], policy: Policy) -> Outcome:
    """The verdict of ``policy`` given paired differences (custom - base) per metric name."""
    primary = decide(differences[policy.metric], policy)
    label = metrics.label(policy.metric)
    checks = tuple(check_guard(differences[g.metric], g, policy) for g in policy.guards)
    margin = f"the margin {policy.margin:g}"
    if primary.reason:
        return Outcome(primary.verdict, policy.metric, primary.reason, f"{label}: {primary.reason}", primary, checks)
    if primary.verdict != CUSTOM_BETTER:
        if primary.high <= policy.margin:
            why = f"the custom model does not beat {margin}"
        elif policy.require_significance:
            why = f"the interval straddles {margin}: not significant"
        else:
            why = f"the mean difference is not above {margin}"
        text = f"{label} decided: custom \u2212 base {_interval(primary)}; {why}."
        return Outcome(primary.verdict, policy.metric, None, text, primary, checks)
    won = f"the custom model wins {label} ({_interval(primary)}, above {margin})"
    for check in checks:
        if check.holds:
            continue
        glabel = metrics.label(check.metric)
        verdict = NOT_BETTER if check.clearly_fails else INCONCLUSIVE
        loss = "loses" if check.clearly_fails else "may lose"
        reason = (
            f"{won}, but {loss} more than the tolerated {check.max_loss:g} {glabel} "
            f"(custom \u2212 base {_interval(check.decision)})"
        )
        return Outcome(verdict, check.metric, reason, f"The guard on {glabel} decided: {reason}.", primary, checks)
    held = (
        "; guards held: " + ", ".join(f"{metrics.label(c.metric)} (loss \u2264 {c.max_loss:g})" for c in checks)
        if checks
        else ""
    )
    text = f"{label} decided: {won}{held}."
    return Outcome(CUSTOM_BETTER, policy.metric, None, text, primary, checks)
