"""The metrics a run is judged on, and the text metrics beside BERTScore.

One registry (``METRICS``) names every metric the policy (``Evaluation.Policy``) may use: the
three BERTScore components and two surface-overlap metrics computed with the libraries made for
them (pinned in ``evaluator/requirements.txt``):

* ``ROUGE-L``: the F-measure of the longest common subsequence of words, Google's
  ``rouge-score`` package (``RougeScorer(["rougeL"], use_stemmer=True)``, the setting of the
  summarization papers). Its tokenizer keeps ASCII letters and digits only, so text in other
  scripts scores 0: prefer chrF or BERTScore for such data.
* ``chrF``: character n-gram F-score (n = 6, beta = 2) of ``sacrebleu``, divided by 100 so that
  every metric lies in [0, 1] and a margin or a tolerated loss means the same on each.

Scores are per record and per model (``None`` when the model errored on the record); they
are computed in the ``score`` step next to BERTScore, so they are sharded with it. Nothing
heavy is imported at module import: the libraries load on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    name: str  # as written in Evaluation.Metric / Evaluation.Policy
    field: str  # key of the per-record score in a scored record's model entry
    label: str  # as shown to a reader
    family: str  # BERTScore | ROUGE | chrF


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("F1", "f1", "BERTScore F1", "BERTScore"),
        Metric("Precision", "precision", "BERTScore precision", "BERTScore"),
        Metric("Recall", "recall", "BERTScore recall", "BERTScore"),
        Metric("ROUGE-L", "rouge_l", "ROUGE-L F-measure", "ROUGE"),
        Metric("chrF", "chrf", "chrF", "chrF"),
    )
}
# The order of tables and files: the BERTScore components first, as before.
METRIC_NAMES = tuple(METRICS)
BERTSCORE_METRICS = tuple(n for n, m in METRICS.items() if m.family == "BERTScore")
TEXT_METRICS = tuple(n for n, m in METRICS.items() if m.family != "BERTScore")
# The optional LLM judge (Evaluation.Judge) is a run-level metric, not a per-model score: its per-record
# value is the custom model's win share (1 custom preferred, 0.5 tie, 0 base preferred) and the
# policy's "difference" is that share minus 0.5, so Margin and MaxLoss are distances from even odds.
JUDGE = "Judge"
JUDGE_LABEL = "LLM judge win rate"
POLICY_METRICS = (*METRIC_NAMES, JUDGE)


def canonical(name: Any) -> str | None:
    """The policy name for ``name`` in any letter case (``"rouge-l"`` -> ``"ROUGE-L"``), else None."""
    if not isinstance(name, str):
        return None
    return {n.lower(): n for n in POLICY_METRICS}.get(name.strip().lower())


def label(name: str) -> str:
    """How a reader sees a policy metric's name."""
    if name in METRICS:
        return METRICS[name].label
    return JUDGE_LABEL if name == JUDGE else name


_lock = threading.Lock()
_scorers: dict[str, Any] = {}


def _rouge() -> Any:
    with _lock:
        if "rouge" not in _scorers:
            from rouge_score import rouge_scorer

            _scorers["rouge"] = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
        return _scorers["rouge"]


def _chrf() -> Any:
    with _lock:
        if "chrf" not in _scorers:
            from sacrebleu.metrics.chrf import CHRF

            _scorers["chrf"] = CHRF()
        return _scorers["chrf"]


def rouge_l(reference: str, candidate: str) -> float:
    """ROUGE-L F-measure of ``candidate`` against ``reference`` (0 for a blank side)."""
    if not reference.strip() or not candidate.strip():
        return 0.0
    return float(_rouge().score(reference, candidate)["rougeL"].fmeasure)


def chrf(reference: str, candidate: str) -> float:
    """sacrebleu's sentence chrF of ``candidate`` against ``reference``, on [0, 1]."""
    if not reference.strip() or not candidate.strip():
        return 0.0
    return float(_chrf().sentence_score(candidate, [reference]).score) / 100.0


TEXT_SCORERS = {"rouge_l": rouge_l, "chrf": chrf}


def add_text_scores(record: Mapping[str, Any], models: tuple[str, ...]) -> None:
    """Set ``rouge_l`` and ``chrf`` on each model entry of a joined record (``None`` when errored)."""
    reference = record["reference"]
    for model in models:
        entry = record[model]
        ok = entry.get("error") is None and isinstance(entry.get("output"), str)
        for field, scorer in TEXT_SCORERS.items():
            entry[field] = scorer(reference, entry["output"]) if ok else None


def library_versions() -> dict[str, str | None]:
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for dist in ("rouge-score", "sacrebleu"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions
