"""Report files of a run: ``scores.jsonl``, ``summary.json`` and ``report.html``.

Input is the list of scored records written by the ``score`` handler, one per
validation record::

    {"id": "r1", "prompt": "...", "reference": "...",
     "base":   {"output": "..." | null, "error": null | "...", "precision": 0.9 | null, "recall": ..., "f1": ...},
     "custom": {...}}

The HTML is self-contained (inline CSS and SVG drawn here, no script, no external
asset) and every value that comes from data is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workflow_lambdas.contract.errors import EvaluationFailed
from workflow_lambdas.contract.evaluation import DEFAULTS

from . import metrics, stats

MODELS = ("base", "custom")
METRIC_FIELDS = {name: m.field for name, m in metrics.METRICS.items()}
TOP_N = 10
MAX_TEXT = 4000  # characters of prompt/reference/output shown per record in the HTML
MAX_ERRORS_LISTED = 50


def model_score(record: Mapping[str, Any], model: str, field: str) -> float | None:
    entry = record.get(model) or {}
    value = entry.get(field)
    return None if value is None else float(value)


def difference(record: Mapping[str, Any], metric: str) -> float | None:
    field = METRIC_FIELDS[metric]
    base, custom = model_score(record, "base", field), model_score(record, "custom", field)
    return None if base is None or custom is None else custom - base


JUDGE_SHARES = {"custom": 1.0, "tie": 0.5, "base": 0.0}


def judge_share(record: Mapping[str, Any]) -> float | None:
    """The custom model's win share of a judged record (1, 0.5 or 0), None when not judged."""
    verdict = record.get("judge")
    preference = verdict.get("preference") if isinstance(verdict, Mapping) else None
    return JUDGE_SHARES.get(preference) if isinstance(preference, str) else None


def policy_differences(records: Sequence[Mapping[str, Any]], name: str) -> list[float]:
    """Per-record values the policy bootstraps for ``name``: custom - base, or for the judge the
    custom model's win share minus 0.5."""
    if name == metrics.JUDGE:
        return [s - 0.5 for r in records if (s := judge_share(r)) is not None]
    return [d for r in records if (d := difference(r, name)) is not None]


def _means(records: Sequence[Mapping[str, Any]], model: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for metric, field in METRIC_FIELDS.items():
        values = [v for r in records if (v := model_score(r, model, field)) is not None]
        if values or metric in metrics.BERTSCORE_METRICS:
            out[metric] = float(sum(values) / len(values)) if values else None
    return out


def _metric_table(records: Sequence[Mapping[str, Any]], policy: stats.Policy, outcome: stats.Outcome) -> dict[str, Any]:
    """Per metric: means over its pairs, the paired bootstrap interval, wins/losses/ties and its role."""
    roles = {policy.metric: "primary", **{g.metric: "guard" for g in policy.guards}}
    table: dict[str, Any] = {}
    for name, metric in metrics.METRICS.items():
        pairs = [
            (b, c)
            for r in records
            if (b := model_score(r, "base", metric.field)) is not None
            and (c := model_score(r, "custom", metric.field)) is not None
        ]
        if not pairs:
            continue  # a metric the scores do not carry (shards scored before it existed)
        diffs = [c - b for b, c in pairs]
        if name == policy.metric:
            d = outcome.primary
        else:
            d = next((g.decision for g in outcome.guards if g.metric == name), None) or stats.decide(diffs, policy)
        guard = next((g for g in outcome.guards if g.metric == name), None)
        table[name] = {
            "Label": metric.label,
            "Role": roles.get(name, "reported"),
            "Base": sum(b for b, _ in pairs) / len(pairs),
            "Custom": sum(c for _, c in pairs) / len(pairs),
            "Mean": d.mean,
            "Low": d.low,
            "High": d.high,
            "ConfidenceLevel": d.confidence_level,
            "Pairs": len(pairs),
            "Wins": sum(1 for x in diffs if x > 0),
            "Losses": sum(1 for x in diffs if x < 0),
            "Ties": sum(1 for x in diffs if x == 0),
            **({"MaxLoss": guard.max_loss, "GuardHolds": guard.holds} if guard else {}),
        }
    shares = [s for r in records if (s := judge_share(r)) is not None]
    if shares:
        name = metrics.JUDGE
        if name == policy.metric:
            d = outcome.primary
        else:
            d = next((g.decision for g in outcome.guards if g.metric == name), None) or stats.decide(
                [x - 0.5 for x in shares], policy
            )
        guard = next((g for g in outcome.guards if g.metric == name), None)
        table[name] = {
            "Label": f"{metrics.JUDGE_LABEL} (custom over base, ties \u00bd)",
            "Role": roles.get(name, "reported"),
            "Base": 0.5,  # even odds: the line the win rate is compared with
            "Custom": 0.5 + d.mean,
            "Mean": d.mean,
            "Low": d.low,
            "High": d.high,
            "ConfidenceLevel": d.confidence_level,
            "Pairs": len(shares),
            "Wins": sum(1 for x in shares if x == 1.0),
            "Losses": sum(1 for x in shares if x == 0.0),
            "Ties": sum(1 for x in shares if x == 0.5),
            **({"MaxLoss": guard.max_loss, "GuardHolds": guard.holds} if guard else {}),
        }
    return table


def _answer_model(answer: Mapping[str, Any]) -> str | None:
    """The model one judge answer prefers: response A is ``answer["first"]``."""
    choice, first = answer.get("answer"), answer.get("first")
    if choice == "tie":
        return "tie"
    if choice not in ("A", "B") or first not in MODELS:
        return None
    return first if choice == "A" else ("custom" if first == "base" else "base")


def judge_summary(
    records: Sequence[Mapping[str, Any]], table: Mapping[str, Any], judge: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The judge section of summary.json: win rate with its interval, ties, disagreements between the
    two orders, unparsable answers, records not judged, failed calls and the judge's token use."""
    verdicts = [r["judge"] for r in records if isinstance(r.get("judge"), Mapping)]
    if not verdicts and not judge:
        return None
    row = table.get(metrics.JUDGE) or {}
    rubric = str((judge or {}).get("Rubric") or "summary_quality")
    disagree = 0  # both answers parsed, but they prefer different models (or one says tie)
    for v in verdicts:
        answers = v.get("answers") or []
        prefs = {_answer_model(a) for a in answers}
        if len(answers) == 2 and None not in prefs and len(prefs) > 1:
            disagree += 1
    return {
        "ModelId": (judge or {}).get("ModelId"),
        "Rubric": rubric if len(rubric) <= 40 and " " not in rubric else "custom rubric text",
        "Role": row.get("Role", "reported"),
        "WinRate": row.get("Custom"),
        "Low": None if row.get("Low") is None else 0.5 + row["Low"],
        "High": None if row.get("High") is None else 0.5 + row["High"],
        "ConfidenceLevel": row.get("ConfidenceLevel"),
        "Judged": row.get("Pairs", 0),
        "CustomPreferred": row.get("Wins", 0),
        "BasePreferred": row.get("Losses", 0),
        "Ties": row.get("Ties", 0),
        "OrderDisagreements": disagree,
        "Unparsable": sum(int(v.get("unparsable") or 0) for v in verdicts),
        "NotJudged": sum(1 for v in verdicts if v.get("preference") is None),
        "FailedCalls": sum(int(v.get("errors") or 0) for v in verdicts),
        "Calls": sum(len(v.get("answers") or []) for v in verdicts),
        "InputTokens": sum(int(v.get("input_tokens") or 0) for v in verdicts),
        "OutputTokens": sum(int(v.get("output_tokens") or 0) for v in verdicts),
    }


def run_context_for_report(run: Mapping[str, Any], event: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the report header says about the run, read defensively from the run context and the
    aggregate event (``execution``: the child's own input, ``$$.Execution.Input``, with ``serving``
    ``{"Mode", "ModelId"}`` or ``throughput`` ``{"ProvisionedModelArn"}``, maybe ``customization``)."""
    event = event or {}
    child_input = found if isinstance(found := event.get("execution"), Mapping) else {}

    def pick(name: str) -> Any:
        value = event.get(name)
        return value if isinstance(value, Mapping) else child_input.get(name)

    serving, throughput = pick("serving"), pick("throughput")
    customization = pick("customization") if isinstance(pick("customization"), Mapping) else {}
    ev = found if isinstance(found := run.get("Evaluation"), Mapping) else {}
    ctx: dict[str, Any] = {
        k: run.get(k)
        for k in (
            "RunId",
            "ExecutionArn",
            "BaseModelIdentifier",
            "InferenceModelId",
            "CustomModelName",
            "JobName",
            "CustomizationType",
            "KeepThroughputOnWin",
            "KeepLosingCustomModel",
            "KeepWinnerAs",
        )
        if run.get(k) is not None
    }
    if isinstance(run.get("ValidationData"), Mapping):
        ctx["ValidationData"] = {k: run["ValidationData"].get(k) for k in ("Bucket", "Key", "ReferenceKey")}
    ctx["OnInconclusive"] = ev.get("OnInconclusive", DEFAULTS.OnInconclusive)
    arn = run.get("CustomModelArn") or (customization or {}).get("CustomModelArn")
    if arn:
        ctx["CustomModelArn"] = arn
    if isinstance(serving, Mapping) and (serving.get("Mode") or serving.get("ModelId")):
        ctx["ServingMode"] = str(serving.get("Mode") or run.get("DeploymentMode") or "")
        ctx["ServingArn"] = serving.get("ModelId")
    elif isinstance(throughput, Mapping) and throughput.get("ProvisionedModelArn"):
        ctx["ServingMode"] = "provisioned throughput"
        ctx["ServingArn"] = throughput["ProvisionedModelArn"]
    elif run.get("DeploymentMode"):
        ctx["ServingMode"] = str(run["DeploymentMode"])
    for key, name in (("evaluationArn", "EvaluationExecutionArn"), ("started", "StartedAt")):
        if isinstance(event.get(key), str):
            ctx[name] = event[key]
    return ctx


def build_summary(
    records: Sequence[Mapping[str, Any]],
    policy: stats.Policy,
    *,
    scorer: Mapping[str, Any] | None = None,
    versions: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    context: Mapping[str, Any] | None = None,
    judge: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Aggregates, intervals, verdict and counts. Raises ``EvaluationFailed`` with no usable pair
    for a metric the policy uses. ``context``: what the report header says about the run;
    ``judge``: the run's ``Evaluation.Judge`` (records then carry ``judge`` verdicts)."""
    field = METRIC_FIELDS.get(policy.metric, "f1")  # the judge decides: BERTScore F1 still shown
    paired = [r for r in records if all(model_score(r, m, field) is not None for m in MODELS)]
    if policy.metric == metrics.JUDGE:
        diffs: list[float | None] = list(policy_differences(records, metrics.JUDGE))
        if not diffs:
            raise EvaluationFailed(
                "Evaluation.Policy decides on the LLM judge, but no record was judged (every record errored "
                "for a model, or Evaluation.Judge was not set)"
            )
    else:
        diffs = [difference(r, policy.metric) for r in paired]
    per_metric = {policy.metric: [d for d in diffs if d is not None]}
    for guard in policy.guards:
        per_metric[guard.metric] = policy_differences(records, guard.metric)
        if not per_metric[guard.metric] and guard.metric == metrics.JUDGE:
            raise EvaluationFailed(
                "Evaluation.Policy guards the LLM judge, but no record was judged (set Evaluation.Judge)"
            )
        if not per_metric[guard.metric]:
            raise EvaluationFailed(
                f"Evaluation.Policy guards {guard.metric}, but no record has a {guard.metric} score for both models "
                "(scores written before that metric existed? score the run again)"
            )
    outcome = stats.decide_all(per_metric, policy)
    decision = outcome.primary
    errors = {m: sum(1 for r in records if model_score(r, m, field) is None) for m in MODELS}
    wins = sum(1 for d in diffs if d is not None and d > 0)
    losses = sum(1 for d in diffs if d is not None and d < 0)
    table = _metric_table(records, policy, outcome)
    judged = judge_summary(records, table, judge)
    return {
        "RunId": run_id,
        "Verdict": outcome.verdict,
        "VerdictReason": outcome.reason,
        "DecidedBy": outcome.decided_by,
        "Explanation": outcome.explanation,
        "Metric": policy.metric,
        "Policy": policy.as_dict(),
        # Means over the paired records (both models scored): Custom - Base == Difference.Mean.
        "Base": _means(paired, "base"),
        "Custom": _means(paired, "custom"),
        # Means over every record a model was scored on (differs when the other model errored).
        "BaseAllScored": _means(records, "base"),
        "CustomAllScored": _means(records, "custom"),
        "Difference": {
            "Mean": decision.mean,
            "Low": decision.low,
            "High": decision.high,
            "ConfidenceLevel": decision.confidence_level,
            "Wins": wins,
            "Losses": losses,
            "Ties": len(diffs) - wins - losses,
        },
        "Metrics": table,
        **({"Judge": judged} if judged else {}),  # summary.json of a run without the judge is as it was
        "Counts": {
            "Records": len(records),
            "Scored": len(paired),
            "BaseErrors": errors["base"],
            "CustomErrors": errors["custom"],
            "BothErrors": sum(1 for r in records if all(model_score(r, m, field) is None for m in MODELS)),
        },
        "Context": dict(context or {}),
        "Scorer": dict(scorer or {}),
        "Versions": dict(versions or {}),
        "GeneratedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _present_fields(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Metric names that at least one record carries (BERTScore's always)."""
    return [
        n
        for n, m in metrics.METRICS.items()
        if n in metrics.BERTSCORE_METRICS or any(m.field in (r.get(model) or {}) for r in records for model in MODELS)
    ]


def flat_record(record: Mapping[str, Any], metric: str = "F1", names: Sequence[str] | None = None) -> dict[str, Any]:
    """One line of ``scores.jsonl``: id, every metric per model, the differences, the errors."""
    names = list(names or metrics.BERTSCORE_METRICS)
    out: dict[str, Any] = {"id": record.get("id")}
    for model in MODELS:
        for name in names:
            out[f"{model}_{METRIC_FIELDS[name]}"] = model_score(record, model, METRIC_FIELDS[name])
    out["difference"] = difference(record, metric)
    for name in names:
        out[f"difference_{METRIC_FIELDS[name]}"] = difference(record, name)
    for model in MODELS:
        out[f"{model}_error"] = (record.get(model) or {}).get("error")
    out.update(_judge_fields(record))
    return out


def _judge_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """``judge_preference`` (custom | base | tie | null) and ``judge_reason`` of a judged run's record."""
    verdict = record.get("judge")
    if not isinstance(verdict, Mapping):
        return {}
    return {"judge_preference": verdict.get("preference"), "judge_reason": verdict.get("reason")}


def render_scores_jsonl(records: Sequence[Mapping[str, Any]], metric: str = "F1") -> str:
    names = _present_fields(records)
    return "".join(json.dumps(flat_record(r, metric, names), ensure_ascii=False) + "\n" for r in records)


def text_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """One line of ``records.jsonl``: the texts in full."""
    out: dict[str, Any] = {"id": record.get("id"), "prompt": record.get("prompt"), "reference": record.get("reference")}
    for model in MODELS:
        out[f"{model}_output"] = (record.get(model) or {}).get("output")
        out[f"{model}_error"] = (record.get(model) or {}).get("error")
    out.update(_judge_fields(record))
    return out


def render_records_jsonl(records: Sequence[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(text_record(r), ensure_ascii=False) + "\n" for r in records)


def render_summary_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# --- HTML -------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _e(value)
    if isinstance(value, float) and not math.isfinite(value):
        return _e(value)
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _clip(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"\u2026 ({len(text) - MAX_TEXT} more characters)"
    return text


def _axis_range(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    lo = math.floor(lo * 10) / 10
    hi = math.ceil(hi * 10) / 10
    if hi - lo < 0.1:
        lo, hi = lo - 0.05, hi + 0.05
    return lo, hi


def _svg_text(
    x: float, y: float, text: str, *, size: int = 10, anchor: str = "middle", cls: str = "", extra: str = ""
) -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{klass}{extra}>{_e(text)}</text>'


def scatter_svg(records: Sequence[Mapping[str, Any]], metric: str, size: int = 340) -> str:
    """Per-record score of the base (x) and the custom model (y), with the y = x diagonal,
    labelled axes with ticks, and the counts above, below and on the diagonal."""
    field = METRIC_FIELDS[metric]
    label = metrics.METRICS[metric].label
    points = [
        (b, c, r.get("id"))
        for r in records
        if (b := model_score(r, "base", field)) is not None and (c := model_score(r, "custom", field)) is not None
    ]
    if not points:
        return "<p>No record has scores for both models.</p>"
    pad = 48
    lo, hi = _axis_range([p[0] for p in points] + [p[1] for p in points])
    span = hi - lo
    inner = size - 2 * pad

    def sx(v: float) -> float:
        return pad + (v - lo) / span * inner

    def sy(v: float) -> float:
        return size - pad - (v - lo) / span * inner

    above = sum(1 for b, c, _ in points if c > b)
    below = sum(1 for b, c, _ in points if c < b)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" class="plot scatter" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{_e(label)}: base versus custom, per record">',
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="#fafafa" stroke="#999"/>',
        f'<line x1="{sx(lo):.1f}" y1="{sy(lo):.1f}" x2="{sx(hi):.1f}" y2="{sy(hi):.1f}" '
        'stroke="#888" stroke-dasharray="4 3"/>',
        _svg_text(size / 2, 16, f"{label}: {len(points)} records", size=12, cls="plot-title"),
        # counts above the plot area, where no point can hide them
        _svg_text(pad, pad - 6, f"custom higher: {above}", anchor="start", extra=' fill="#2a7d2a"'),
        _svg_text(size - pad, pad - 6, f"base higher: {below}", anchor="end", extra=' fill="#b22"'),
    ]
    ticks = 5
    for k in range(ticks + 1):
        v = lo + span * k / ticks
        parts.append(f'<line x1="{sx(v):.1f}" y1="{size - pad}" x2="{sx(v):.1f}" y2="{size - pad + 4}" stroke="#999"/>')
        parts.append(f'<line x1="{pad - 4}" y1="{sy(v):.1f}" x2="{pad}" y2="{sy(v):.1f}" stroke="#999"/>')
        parts.append(_svg_text(sx(v), size - pad + 15, f"{v:.2f}", cls="tick"))
        parts.append(_svg_text(pad - 6, sy(v) + 3, f"{v:.2f}", anchor="end", cls="tick"))
    parts.append(_svg_text(size / 2, size - 10, f"base model {label}", size=12, cls="axis-label x"))
    parts.append(
        _svg_text(
            14,
            size / 2,
            f"custom model {label}",
            size=12,
            cls="axis-label y",
            extra=f' transform="rotate(-90 14 {size / 2})"',
        )
    )
    with_titles = len(points) <= 2000
    for b, c, rid in points:
        colour = "#2a7d2a" if c > b else ("#b22" if c < b else "#555")
        title = f"<title>{_e(rid)}: base {b:.4f}, custom {c:.4f}</title>" if with_titles else ""
        parts.append(
            f'<circle cx="{sx(b):.1f}" cy="{sy(c):.1f}" r="2.5" fill="{colour}" fill-opacity="0.6">{title}</circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(
    diffs: Sequence[float], margin: float, width: int = 460, height: int = 260, metric: str = "F1"
) -> str:
    """Histogram of the paired differences with labelled axes (difference, records), tick values,
    bar counts, and 0 and the margin marked."""
    if not diffs:
        return ""
    label = metrics.METRICS[metric].label if metric in metrics.METRICS else metric
    bins = 30
    lo, hi = min(min(diffs), margin, 0.0), max(max(diffs), margin, 0.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    step = (hi - lo) / bins
    counts = [0] * bins
    for d in diffs:
        counts[min(bins - 1, int((d - lo) / step))] += 1
    left, right, top_pad, bottom = 50, 30, 42, 46
    inner_w, inner_h = width - left - right, height - top_pad - bottom
    top = max(counts)
    base_y = height - bottom

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * inner_w

    def sy(n: float) -> float:
        return base_y - n / top * inner_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="plot histogram" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="histogram of the differences custom minus base">',
        _svg_text(width / 2, 14, f"custom \u2212 base, {label}: {len(diffs)} records", size=12, cls="plot-title"),
        f'<line x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" stroke="#666"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{base_y}" stroke="#666"/>',
    ]
    y_ticks = sorted({0, top, *(round(top * k / 4) for k in range(1, 4))})
    for n in y_ticks:
        parts.append(f'<line x1="{left - 4}" y1="{sy(n):.1f}" x2="{left}" y2="{sy(n):.1f}" stroke="#666"/>')
        parts.append(_svg_text(left - 6, sy(n) + 3, str(n), anchor="end", cls="tick"))
    for k in range(6):
        v = lo + (hi - lo) * k / 5
        parts.append(f'<line x1="{sx(v):.1f}" y1="{base_y}" x2="{sx(v):.1f}" y2="{base_y + 4}" stroke="#666"/>')
        parts.append(_svg_text(sx(v), base_y + 15, f"{v:+.3f}", cls="tick"))
    bar_w = inner_w / bins
    for k, n in enumerate(counts):
        if n:
            x = left + k * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{sy(n):.1f}" width="{max(bar_w - 1, 1):.1f}" height="{base_y - sy(n):.1f}" '
                f'fill="#4a78b5"><title>{n} records from {lo + k * step:+.4f} '
                f"to {lo + (k + 1) * step:+.4f}</title></rect>"
            )
            parts.append(_svg_text(x + bar_w / 2, sy(n) - 2, str(n), size=8, cls="count"))
    for value, colour, text in ((0.0, "#333", "0"), (margin, "#c60", "margin")):
        if text == "margin" and margin == 0.0:
            continue
        x = sx(value)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top_pad - 8}" x2="{x:.1f}" y2="{base_y}" stroke="{colour}" '
            'stroke-dasharray="3 2"/>'
        )
        # the marker's name above the bars' counts
        parts.append(_svg_text(x, top_pad - 12, text, extra=f' fill="{colour}"'))
    parts.append(
        _svg_text(left + inner_w / 2, height - 8, f"custom \u2212 base ({label})", size=12, cls="axis-label x")
    )
    parts.append(
        _svg_text(
            14,
            top_pad + inner_h / 2,
            "records",
            size=12,
            cls="axis-label y",
            extra=f' transform="rotate(-90 14 {top_pad + inner_h / 2})"',
        )
    )
    parts.append("</svg>")
    return "".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#222}
main{max-width:1400px}
table{border-collapse:collapse;margin:.6em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f0f0f0}td.l,th.l{text-align:left}
.kv th{text-align:left;white-space:nowrap}.kv td{text-align:left}
.verdict{font-size:1.4em;font-weight:bold;padding:.3em .6em;display:inline-block;border-radius:4px;margin:.2em 0}
.CUSTOM_BETTER{background:#d8f0d8}.NOT_BETTER{background:#f6d8d8}.INCONCLUSIVE{background:#f6ecc8}
.explain{font-size:1.05em;max-width:1000px}
tr.primary td{font-weight:bold}
.plots{display:flex;flex-wrap:wrap;gap:1.2em;align-items:flex-start}figure{margin:0}
figcaption{font-size:.85em;color:#555;max-width:460px}
#records{width:100%;table-layout:fixed;font-size:.85em}
#records th{cursor:pointer;user-select:none}
#records th.sorted-asc::after{content:" \\25B2"}#records th.sorted-desc::after{content:" \\25BC"}
#records td div.t{max-height:9em;overflow:auto;white-space:pre-wrap;word-break:break-word;text-align:left}
#records td.err{color:#a00}
#records col.id{width:6em}#records col.m{width:8em}
#records td.m{white-space:nowrap}
#records col.j{width:16em}#records td.judge{text-align:left}
#records .pref{font-weight:bold}#records .pref.custom{color:#176e17}#records .pref.base{color:#b22}
.pos{color:#176e17}.neg{color:#b22}
.controls{display:flex;flex-wrap:wrap;gap:.8em;align-items:center;margin:.5em 0}
.controls input[type=search]{width:22em}
.muted{color:#666}
"""

# The records table: filters, sorts and pages the records embedded as JSON in the page. No network,
# no library; every value is written with textContent, so model text is shown, never run.
SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("records-data").textContent);
  var cols = data.columns, rows = data.rows, metricsCols = data.metrics, primary = data.primary;
  var judge = data.judge;
  var state = {q: "", outcome: "all", judge: "all", sort: null, dir: 1, page: 0, size: 50};
  var el = function (id) { return document.getElementById(id); };
  var tbody = el("records-body"), info = el("records-info");
  var textIdx = cols.filter(function (c) { return c.text; }).map(function (c) { return c.index; });
  var lower = rows.map(function (r) {
    return textIdx.map(function (i) { return r[i] == null ? "" : String(r[i]); }).join("\u0000").toLowerCase();
  });
  function diff(r, m) {
    var b = r[m.base], c = r[m.custom];
    return (b == null || c == null) ? null : c - b;
  }
  var prim = metricsCols.filter(function (m) { return m.name === primary; })[0];
  function outcome(r) {
    var d = diff(r, prim);
    if (d == null) return "errored";
    return d > 0 ? "custom" : (d < 0 ? "base" : "tie");
  }
  function sortValue(r, key) {
    if (key === "id") return r[0];
    var parts = key.split(":"), m = metricsCols[+parts[0]];
    return parts[1] === "d" ? diff(r, m) : r[parts[1] === "b" ? m.base : m.custom];
  }
  function filtered() {
    var q = state.q.toLowerCase(), out = [];
    for (var i = 0; i < rows.length; i++) {
      if (q && lower[i].indexOf(q) < 0) continue;
      if (state.outcome !== "all" && outcome(rows[i]) !== state.outcome) continue;
      if (judge && state.judge !== "all" && String(rows[i][judge.preference]) !== state.judge) continue;
      out.push(i);
    }
    if (state.sort) {
      var key = state.sort, dir = state.dir;
      out.sort(function (a, b) {
        var x = sortValue(rows[a], key), y = sortValue(rows[b], key);
        if (x == null && y == null) return a - b;
        if (x == null) return 1;
        if (y == null) return -1;
        if (x < y) return -dir;
        if (x > y) return dir;
        return a - b;
      });
    }
    return out;
  }
  function fmt(v, signed) {
    if (v == null) return "\u2013";
    var s = v.toFixed(3);
    return signed && v > 0 ? "+" + s : s;
  }
  function textCell(tr, value, err) {
    var td = document.createElement("td"), div = document.createElement("div");
    div.className = "t";
    if (err != null) { td.className = "err"; div.textContent = "error: " + err; }
    else { div.textContent = value == null ? "" : value; }
    td.appendChild(div); tr.appendChild(td);
  }
  function render() {
    var idx = filtered(), pages = Math.max(1, Math.ceil(idx.length / state.size));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * state.size, end = Math.min(idx.length, start + state.size);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var r = rows[idx[k]], tr = document.createElement("tr");
      tr.setAttribute("data-id", r[0]);
      var td = document.createElement("td"); td.className = "l"; td.textContent = r[0]; tr.appendChild(td);
      textCell(tr, r[1]); textCell(tr, r[2]); textCell(tr, r[3], r[5]); textCell(tr, r[4], r[6]);
      metricsCols.forEach(function (m) {
        var cell = document.createElement("td"), d = diff(r, m);
        cell.className = "m";
        var top = document.createElement("div"); top.textContent = fmt(r[m.base]) + " \u2192 " + fmt(r[m.custom]);
        var bottom = document.createElement("div"); bottom.textContent = fmt(d, true);
        bottom.className = d == null ? "muted" : (d > 0 ? "pos" : (d < 0 ? "neg" : "muted"));
        cell.appendChild(top); cell.appendChild(bottom); tr.appendChild(cell);
      });
      if (judge) {
        var jc = document.createElement("td"), pref = r[judge.preference];
        jc.className = "judge";
        var jp = document.createElement("div");
        jp.className = "pref " + (pref == null ? "muted" : pref);
        jp.textContent = pref == null ? "not judged" : (pref === "tie" ? "tie" : pref + " preferred");
        var jr = document.createElement("div"); jr.className = "t"; jr.textContent = r[judge.reason] || "";
        jc.appendChild(jp); jc.appendChild(jr); tr.appendChild(jc);
      }
      frag.appendChild(tr);
    }
    tbody.textContent = "";
    tbody.appendChild(frag);
    info.textContent = (idx.length ? (start + 1) + "\u2013" + end : "0") + " of " + idx.length + " records" +
      (idx.length !== rows.length ? " (filtered from " + rows.length + ")" : "") +
      ", page " + (state.page + 1) + " of " + pages;
    el("page").value = state.page + 1; el("page").max = pages;
    el("prev").disabled = state.page === 0; el("next").disabled = state.page >= pages - 1;
    var ths = document.querySelectorAll("#records th[data-sort]");
    for (var i = 0; i < ths.length; i++) {
      ths[i].classList.remove("sorted-asc", "sorted-desc");
      if (ths[i].getAttribute("data-sort") === state.sort) {
        ths[i].classList.add(state.dir > 0 ? "sorted-asc" : "sorted-desc");
      }
    }
    el("sort").value = state.sort ? state.sort + "|" + state.dir : "";
  }
  el("filter").addEventListener("input", function (e) { state.q = e.target.value; state.page = 0; render(); });
  el("outcome").addEventListener("change", function (e) { state.outcome = e.target.value; state.page = 0; render(); });
  if (judge) {
    el("judge-filter").addEventListener("change", function (e) {
      state.judge = e.target.value; state.page = 0; render();
    });
  }
  el("size").addEventListener("change", function (e) { state.size = +e.target.value; state.page = 0; render(); });
  el("prev").addEventListener("click", function () { state.page--; render(); });
  el("next").addEventListener("click", function () { state.page++; render(); });
  el("page").addEventListener("change", function (e) {
    state.page = Math.max(0, (+e.target.value || 1) - 1); render();
  });
  el("sort").addEventListener("change", function (e) {
    var v = e.target.value.split("|");
    state.sort = v[0] || null; state.dir = +(v[1] || 1); state.page = 0; render();
  });
  var ths = document.querySelectorAll("#records th[data-sort]");
  for (var i = 0; i < ths.length; i++) {
    ths[i].addEventListener("click", function (e) {
      var key = e.currentTarget.getAttribute("data-sort");
      if (state.sort === key) state.dir = -state.dir; else { state.sort = key; state.dir = key === "id" ? 1 : -1; }
      state.page = 0; render();
    });
  }
  document.getElementById("records-section").classList.add("ready");
  render();
})();
"""


def _json_for_script(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left to
    close the element or start a comment, whatever the model wrote."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def records_payload(records: Sequence[Mapping[str, Any]], names: Sequence[str], primary: str) -> dict[str, Any]:
    """What the page's table shows: each record as one row (texts clipped to ``MAX_TEXT``)."""
    rows = []
    judged = any(isinstance(r.get("judge"), Mapping) for r in records)
    for r in records:
        base, custom = r.get("base") or {}, r.get("custom") or {}
        row: list[Any] = [
            "" if r.get("id") is None else str(r.get("id")),
            _clip(r.get("prompt")),
            _clip(r.get("reference")),
            _clip(base.get("output")),
            _clip(custom.get("output")),
            None if base.get("error") is None else _clip(base.get("error")),
            None if custom.get("error") is None else _clip(custom.get("error")),
        ]
        for name in names:
            field = METRIC_FIELDS[name]
            row += [_finite(model_score(r, "base", field)), _finite(model_score(r, "custom", field))]
        if judged:
            verdict = found if isinstance(found := r.get("judge"), Mapping) else {}
            row += [verdict.get("preference"), _clip(verdict.get("reason"))]
        rows.append(row)
    labels = ["id", "prompt", "reference", "base output", "custom output"]
    columns = [{"index": i, "label": label, "text": True} for i, label in enumerate(labels)]
    columns += [{"index": 5, "label": "base error", "text": True}, {"index": 6, "label": "custom error", "text": True}]
    metric_cols = [
        {"name": n, "label": metrics.METRICS[n].label, "base": 7 + 2 * k, "custom": 8 + 2 * k}
        for k, n in enumerate(names)
    ]
    judge = None
    if judged:
        at = 7 + 2 * len(names)
        judge = {"preference": at, "reason": at + 1}
        columns += [
            {"index": at, "label": "judge preference", "text": True},
            {"index": at + 1, "label": "judge reason", "text": True},
        ]
    return {"columns": columns, "metrics": metric_cols, "primary": primary, "judge": judge, "rows": rows}


def _words(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    return "\u2013" if value is None else str(value)


def _action_policy(context: Mapping[str, Any]) -> str:
    keep_win = context.get("KeepThroughputOnWin", True)
    inconclusive = context.get("OnInconclusive") or DEFAULTS.OnInconclusive
    keep_model = context.get("KeepLosingCustomModel", True)
    win = "kept" if keep_win is not False else "released"
    inc = "kept" if inconclusive == "KEEP" else "released"
    loss_model = "kept" if keep_model is not False else "deleted"
    return (
        f"CUSTOM_BETTER: serving resource {win}; NOT_BETTER: released (custom model {loss_model}); "
        f"INCONCLUSIVE: {inc}. The release step after the verdict does this; the email says what was done."
    )


def _action_taken(context: Mapping[str, Any], verdict: str) -> str:
    """What the release step does after this verdict, by the run's own policy inputs."""
    keep_win = context.get("KeepThroughputOnWin", True) is not False
    if verdict == "CUSTOM_BETTER":
        if not keep_win:
            return "the serving resource is released (KeepThroughputOnWin false); the custom model is kept"
        if context.get("KeepWinnerAs") == "provisioned_throughput" and context.get("ServingMode") == "on_demand":
            return "a provisioned throughput is bought for the winner and the deployment deleted"
        return "the serving resource is kept, ready to serve the custom model"
    if verdict == "NOT_BETTER":
        deleted = context.get("KeepLosingCustomModel", True) is False
        return f"the serving resource is released; the custom model is {'deleted' if deleted else 'kept'}"
    if verdict == "INCONCLUSIVE":
        return "the serving resource is " + (
            "kept (OnInconclusive KEEP)" if context.get("OnInconclusive") == "KEEP" else "released"
        )
    return "\u2013"


def _kv_table(rows: Sequence[tuple[str, str]]) -> str:
    """``rows`` of (label, already-escaped HTML)."""
    return '<table class="kv">' + "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"


def cache_line(cached: Mapping[str, Any]) -> str:
    """One line on the evaluation cache (``summary["Cache"]``)."""
    hit, miss = cached.get("EmbeddingsHit", 0), cached.get("EmbeddingsMiss", 0)
    if not cached.get("Enabled", True):
        return f"off (Evaluation.Cache false): {miss} texts embedded, every base answer from the model"
    return (
        f"on: embeddings of {hit} texts from the cache, {miss} computed; "
        f"{cached.get('BaseOutputsReused', 0)} base answers reused"
    )


def _header_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    ctx = summary.get("Context") or {}
    counts = summary.get("Counts") or {}
    data = ctx.get("ValidationData") or {}
    rows: list[tuple[str, str]] = [
        ("Run id", _e(summary.get("RunId") or ctx.get("RunId") or "\u2013")),
        ("Execution ARN", _e(ctx.get("ExecutionArn") or "\u2013")),
        ("Evaluation execution ARN", _e(ctx.get("EvaluationExecutionArn") or "\u2013")),
        (
            "Base model",
            _e(ctx.get("BaseModelIdentifier") or "\u2013")
            + (f" (invoked as {_e(ctx['InferenceModelId'])})" if ctx.get("InferenceModelId") else ""),
        ),
        (
            "Custom model",
            _e(ctx.get("CustomModelName") or "\u2013")
            + (f"<br>{_e(ctx['CustomModelArn'])}" if ctx.get("CustomModelArn") else ""),
        ),
        (
            "Customization job",
            _e(ctx.get("JobName") or "\u2013")
            + (f" ({_e(ctx['CustomizationType'])})" if ctx.get("CustomizationType") else ""),
        ),
        (
            "Serving resource",
            _e(ctx.get("ServingMode") or "\u2013") + (f": {_e(ctx['ServingArn'])}" if ctx.get("ServingArn") else ""),
        ),
        ("Action for this verdict", _e(f"{summary.get('Verdict')}: {_action_taken(ctx, str(summary.get('Verdict')))}")),
        ("Action policy", _e(_action_policy(ctx))),
    ]
    files = []
    if data.get("Key"):
        files.append(f"validation s3://{data.get('Bucket', '')}/{data['Key']}")
    if data.get("ReferenceKey"):
        files.append(f"references s3://{data.get('Bucket', '')}/{data['ReferenceKey']}")
    rows.append(("Dataset", _e("; ".join(files) or "\u2013")))
    rows.append(
        (
            "Records",
            _e(
                f"{counts.get('Records')} records; {counts.get('Scored')} scored for both models; "
                f"{counts.get('BaseErrors')} base errors, {counts.get('CustomErrors')} custom errors"
            ),
        )
    )
    cached = summary.get("Cache")
    if isinstance(cached, Mapping):
        rows.append(("Evaluation cache", _e(cache_line(cached))))
    times = [f"evaluation started {ctx['StartedAt']}"] if ctx.get("StartedAt") else []
    times.append(f"report generated {summary.get('GeneratedAt')}")
    rows.append(("Timestamps", _e("; ".join(times))))
    return rows


def render_html(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> str:
    primary = str(summary.get("Metric", "F1"))
    policy = summary.get("Policy") or {}
    scorer = summary.get("Scorer") or {}
    verdict = str(summary.get("Verdict"))
    table = summary.get("Metrics") or {}
    names = [n for n in metrics.METRIC_NAMES if n in table] or [primary]
    diff = summary.get("Difference") or {}
    level = diff.get("ConfidenceLevel")
    level_text = f"{level * 100:g}%" if isinstance(level, int | float) else "?"
    decided = str(summary.get("DecidedBy") or primary)
    decided_label = metrics.label(decided)
    row_names = [n for n in metrics.POLICY_METRICS if n in table] or names

    metric_rows = "".join(
        f'<tr class="{_e(row.get("Role"))}"><td class="l">{_e(row.get("Label"))}</td>'
        f'<td class="l">{_e(row.get("Role"))}'
        + (
            f" (loss \u2264 {_num(row.get('MaxLoss'), 3)}: {'held' if row.get('GuardHolds') else 'failed'})"
            if "MaxLoss" in row
            else ""
        )
        + f"</td><td>{'0.5 (even)' if name == metrics.JUDGE else _num(row.get('Base'))}</td>"
        f"<td>{_num(row.get('Custom'))}</td>"
        f"<td>{_num(row.get('Mean'))}</td><td>[{_num(row.get('Low'))}, {_num(row.get('High'))}]</td>"
        f"<td>{_e(row.get('Wins'))} / {_e(row.get('Losses'))} / {_e(row.get('Ties'))}</td>"
        f"<td>{_e(row.get('Pairs'))}</td></tr>"
        for name in row_names
        if (row := table.get(name))
    )
    guards = policy.get("Guards") or []
    guard_text = (
        "; ".join(f"{metrics.label(str(g.get('Metric')))} may lose at most {g.get('MaxLoss')}" for g in guards)
        or "none"
    )
    primary_label = metrics.label(primary)
    policy_rows = [
        ("Primary metric", _e(primary_label)),
        ("Guards", _e(guard_text)),
        ("Margin", _num(policy.get("Margin"))),
        ("Significance required", _e(_words(policy.get("RequireSignificance")))),
        ("Minimum scored pairs", _e(policy.get("MinPairs"))),
        (
            "Bootstrap",
            _e(
                f"{policy.get('BootstrapResamples')} paired resamples, seed {policy.get('Seed')}, "
                f"{level_text} percentile interval"
            ),
        ),
        ("Decided by", _e(decided_label)),
    ]
    scorer_rows = [
        (
            "BERTScore model",
            _e(scorer.get("Name") or scorer.get("SourceModel") or scorer.get("Model") or "\u2013")
            + (f" (layer {_e(scorer['NumLayers'])})" if scorer.get("NumLayers") is not None else ""),
        ),
        ("IDF", _e(_words(scorer.get("Idf")))),
        ("Rescaled with baseline", _e(_words(scorer.get("Rescaled")))),
        *([("Scorer problem", _e(scorer["Error"]))] if scorer.get("Error") else []),
        ("ROUGE-L", "rouge-score, LCS F-measure, Porter stemmer on"),
        ("chrF", "sacrebleu sentence chrF (character 6-grams, \u03b2 = 2), divided by 100"),
        ("Versions", _e(", ".join(f"{k} {v}" for k, v in (summary.get("Versions") or {}).items()))),
    ]

    scored = policy_differences(records, primary) if primary in METRIC_FIELDS else []
    plots = "".join(f"<figure>{scatter_svg(records, n)}</figure>" for n in names)
    hist = histogram_svg(scored, float(policy.get("Margin") or 0.0), metric=primary)

    errors = [
        (r.get("id"), m, (r.get(m) or {}).get("error"))
        for r in records
        for m in MODELS
        if model_score(r, m, METRIC_FIELDS.get(primary, "f1")) is None
    ]
    error_rows = "".join(
        f'<tr><td class="l">{_e(i)}</td><td class="l">{_e(m)}</td><td class="l">{_e(err)}</td></tr>'
        for i, m, err in errors[:MAX_ERRORS_LISTED]
    )
    error_html = (
        f"<h2>Errored records ({len(errors)})</h2>"
        f'<table><tr><th class="l">id</th><th class="l">model</th><th class="l">error</th></tr>{error_rows}</table>'
        + (
            f"<p>First {MAX_ERRORS_LISTED} shown; the records table lists them all.</p>"
            if len(errors) > MAX_ERRORS_LISTED
            else ""
        )
        if errors
        else ""
    )

    payload = records_payload(records, names, primary if primary in names else names[0])
    sort_options = "".join(
        f'<option value="{k}:{part}|{d}">{_e(metrics.METRICS[n].label)} {what}</option>'
        for k, n in enumerate(names)
        for part, what, d in (
            ("d", "difference, largest gain first", -1),
            ("d", "difference, largest loss first", 1),
            ("b", "base, highest first", -1),
            ("c", "custom, highest first", -1),
        )
    )
    metric_headers = "".join(
        f'<th data-sort="{k}:d" title="base \u2192 custom, and custom \u2212 base; click to sort by the difference">'
        f"{_e(metrics.METRICS[n].label)}</th>"
        for k, n in enumerate(names)
    )
    metric_colgroup = '<col class="m">' * len(names) + ('<col class="j">' if payload.get("judge") else "")
    judge_header = (
        '<th class="l" title="the LLM judge\'s preference, both orders agreeing (else a tie), and its reason">'
        "judge</th>"
        if payload.get("judge")
        else ""
    )
    judge_filter = (
        '<label>Judge <select id="judge-filter"><option value="all">all records</option>'
        '<option value="custom">custom preferred</option><option value="base">base preferred</option>'
        '<option value="tie">tie</option><option value="null">not judged</option></select></label>'
        if payload.get("judge")
        else ""
    )
    records_html = (
        f'<section id="records-section"><h2>All records ({len(records)})</h2>'
        '<p class="muted">Every record, with the texts clipped to '
        f'{MAX_TEXT} characters: the full texts are in <a href="records.jsonl">records.jsonl</a>, every score in '
        '<a href="scores.jsonl">scores.jsonl</a>. Metric cells: base \u2192 custom, then custom \u2212 base. '
        "Click a metric header to sort by its difference.</p>"
        "<noscript><p>The table needs JavaScript (inline, no network access).</p></noscript>"
        '<div class="controls"><label>Filter <input type="search" id="filter" '
        'placeholder="text in id, prompt, reference, outputs, errors"></label>'
        f'<label>{_e(metrics.label(payload["primary"]))} <select id="outcome"><option value="all">all records</option>'
        '<option value="custom">custom higher</option><option value="base">base higher</option>'
        '<option value="tie">tie</option><option value="errored">errored</option></select></label>'
        '<label>Sort <select id="sort"><option value="">validation order</option>'
        f'<option value="id|1">id</option>{sort_options}</select></label>'
        '<label>Per page <select id="size"><option>20</option><option selected>50</option><option>100</option>'
        f"<option>500</option></select></label>{judge_filter}</div>"
        '<div class="controls"><button type="button" id="prev">\u2190 previous</button>'
        '<label>page <input type="number" id="page" min="1" value="1" style="width:5em"></label>'
        '<button type="button" id="next">next \u2192</button>'
        '<span id="records-info" aria-live="polite"></span></div>'
        f'<table id="records"><colgroup><col class="id"><col><col><col><col>{metric_colgroup}</colgroup>'
        '<thead><tr><th class="l" data-sort="id">id</th><th class="l">prompt</th><th class="l">reference</th>'
        f'<th class="l">base output</th><th class="l">custom output</th>{metric_headers}{judge_header}</tr></thead>'
        '<tbody id="records-body"></tbody></table>'
        f'<script type="application/json" id="records-data">{_json_for_script(payload)}</script>'
        f"<script>{SCRIPT}</script></section>"
    )

    explanation = summary.get("Explanation") or summary.get("VerdictReason") or ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>Evaluation {_e(summary.get('RunId') or '')}: {_e(verdict)}</title><style>{CSS}</style></head>"
        "<body><main>"
        f"<h1>Evaluation of {_e((summary.get('Context') or {}).get('CustomModelName') or 'the custom model')}"
        f" against {_e((summary.get('Context') or {}).get('BaseModelIdentifier') or 'the base model')}</h1>"
        f'<p class="verdict {_e(verdict)}">{_e(verdict)}</p>'
        f'<p class="explain" id="explanation">{_e(explanation)}</p>'
        + (
            f'<p id="verdict-reason"><b>Why:</b> {_e(summary["VerdictReason"])}</p>'
            if summary.get("VerdictReason")
            else ""
        )
        + f"<h2>Run</h2>{_kv_table(_header_rows(summary))}"
        + leaderboard_html(summary.get("Sweep"))
        + f"<h2>Metrics (means over the {_e((summary.get('Counts') or {}).get('Scored'))} records both models "
        "answered)</h2>"
        '<table id="metrics"><tr><th class="l">metric</th><th class="l">role</th><th>base</th><th>custom</th>'
        f"<th>custom \u2212 base</th><th>{_e(level_text)} interval</th><th>wins / losses / ties</th>"
        f"<th>pairs</th></tr>{metric_rows}</table>"
        f"<h2>Policy</h2>{_kv_table(policy_rows)}"
        f"{judge_html(summary.get('Judge'))}"
        f"<h2>Scoring</h2>{_kv_table(scorer_rows)}"
        f'<h2>Per-record scores</h2><div class="plots">'
        f"<figure>{hist}<figcaption>How many records gained or lost how much on the primary metric "
        f"({_e(primary_label)}).</figcaption></figure>{plots}</div>"
        '<p class="muted">Scatter plots: each point is a record; above the dashed diagonal the custom model scored '
        "higher.</p>"
        f"{records_html}{error_html}</main></body></html>\n"
    )


def candidates_interval_svg(board: Sequence[Mapping[str, Any]], width: int = 560) -> str:
    """Each candidate's mean difference vs the base model with its interval (a dot and a bar), zero marked."""
    rows = [e for e in board if isinstance((e.get("Difference") or {}).get("Mean"), int | float)]
    if not rows:
        return "<p>No candidate was scored.</p>"
    values = [v for e in rows for v in (e["Difference"].get("Low"), e["Difference"].get("High"), 0.0) if v is not None]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 0.1
    lo, hi = lo - span * 0.08, hi + span * 0.08
    left, right, step, top = 130, 30, 26, 30
    height = top + step * len(rows) + 30

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (width - left - right)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="plot candidates" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="mean difference vs the base model per candidate">',
        _svg_text(width / 2, 16, "mean difference vs base, with interval", size=12, cls="plot-title"),
        f'<line x1="{sx(0):.1f}" y1="{top - 6}" x2="{sx(0):.1f}" y2="{height - 24}" stroke="#888" '
        'stroke-dasharray="4 3"/>',
        _svg_text(sx(0), height - 10, "0 (base)"),
    ]
    for i, entry in enumerate(rows):
        diff = entry["Difference"]
        y = top + step * i + step / 2
        colour = {"CUSTOM_BETTER": "#2a7d2a", "NOT_BETTER": "#b22"}.get(str(entry.get("Verdict")), "#8d6605")
        if diff.get("Low") is not None and diff.get("High") is not None:
            parts.append(
                f'<line x1="{sx(diff["Low"]):.1f}" y1="{y:.1f}" x2="{sx(diff["High"]):.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-width="3"/>'
            )
        parts.append(f'<circle cx="{sx(diff["Mean"]):.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
        parts.append(_svg_text(left - 8, y + 4, str(entry.get("Name")), anchor="end"))
    parts.append("</svg>")
    return "".join(parts)


def leaderboard_html(sweep: Any) -> str:
    """The candidate sweep's leaderboard and interval plot (empty for a single run)."""
    if not isinstance(sweep, Mapping):
        return ""
    board = [e for e in sweep.get("Candidates") or [] if isinstance(e, Mapping)]
    rows = []
    for entry in board:
        diff = entry.get("Difference") or {}
        hps = ", ".join(f"{k}={v}" for k, v in (entry.get("HyperParameters") or {}).items()) or "\u2013"
        verdict = entry.get("Verdict")
        if verdict == "NOT_SERVED":
            status = "did not train or was not served (its error: the email and the execution output)"
            kept = "released by its own branch"
        else:
            status = "scored" if verdict != "NOT_SCORED" else f"not scored: {entry.get('Error')}"
            kept = "winner" if entry.get("Name") == sweep.get("Winner") else "released after the verdict"
        rows.append(
            f'<tr><td>{_e(entry.get("Rank"))}</td><td class="l">{_e(entry.get("Name"))}</td>'
            f'<td class="l">{_e(hps)}</td><td>{_num(entry.get("MeanF1"))}</td>'
            f"<td>{_num(diff.get('Mean'))} [{_num(diff.get('Low'))}, {_num(diff.get('High'))}]</td>"
            f"<td>{_e(entry.get('Wins'))} / {_e(entry.get('Losses'))} / {_e(entry.get('Ties'))}</td>"
            f'<td class="l">{_e(entry.get("Verdict"))}</td><td class="l">{_e(status)}</td>'
            f'<td class="l">{_e(kept)}</td></tr>'
        )
    lead = sweep.get("Lead") or {}
    if sweep.get("Winner") and sweep.get("RunnerUp"):
        lead_text = (
            f"{sweep['Winner']} leads {sweep['RunnerUp']} by {_num(lead.get('Mean'))} "
            f"[{_num(lead.get('Low'))}, {_num(lead.get('High'))}]: "
            + ("significant" if lead.get("Significant") else "not significant")
        )
    elif sweep.get("Winner"):
        lead_text = f"{sweep['Winner']} is the only candidate scored"
    else:
        lead_text = "no candidate is better than the base model: every candidate is released"
    return (
        f'<h2>Leaderboard</h2><p id="winner"><b>Winner:</b> {_e(sweep.get("Winner") or "none")}. '
        f"{_e(lead_text)}. Candidates that did not train or were not served are listed last, "
        "without scores.</p>"
        '<table id="leaderboard"><tr><th>rank</th><th class="l">candidate</th><th class="l">hyperparameters</th>'
        "<th>mean F1</th><th>difference vs base [interval]</th><th>wins / losses / ties</th>"
        '<th class="l">verdict</th><th class="l">status</th><th class="l">serving</th></tr>'
        f"{''.join(rows)}</table><figure>{candidates_interval_svg(board)}</figure>"
    )


def judge_html(judge: Mapping[str, Any] | None) -> str:
    """The judge section: model, rubric, win rate with its interval, ties, disagreements, unparsable
    answers and the tokens the judge used (its cost)."""
    if not judge:
        return ""
    level = judge.get("ConfidenceLevel")
    level_text = f"{level * 100:g}%" if isinstance(level, int | float) else "?"
    win = (
        f"{_num(judge.get('WinRate'), 3)} ({level_text} interval [{_num(judge.get('Low'), 3)}, "
        f"{_num(judge.get('High'), 3)}]) over {_e(judge.get('Judged'))} judged records"
        if judge.get("WinRate") is not None
        else "no record was judged"
    )
    tokens_in, tokens_out = int(judge.get("InputTokens") or 0), int(judge.get("OutputTokens") or 0)
    rows = [
        ("Judge model", _e(judge.get("ModelId") or "\u2013")),
        ("Rubric", _e(judge.get("Rubric"))),
        ("Role in the policy", _e(judge.get("Role"))),
        ("Win rate (custom over base, ties \u00bd)", win),
        (
            "Preferences",
            _e(
                f"custom {judge.get('CustomPreferred')}, base {judge.get('BasePreferred')}, tie {judge.get('Ties')} "
                f"(of which {judge.get('OrderDisagreements')} because the two orders disagreed)"
            ),
        ),
        ("Unparsable answers", _e(f"{judge.get('Unparsable')} of {judge.get('Calls')} answers (each counted a tie)")),
        (
            "Not judged",
            _e(f"{judge.get('NotJudged')} records (a model had no output); {judge.get('FailedCalls')} failed calls"),
        ),
        (
            "Judge tokens (cost)",
            _e(f"{tokens_in:,} input + {tokens_out:,} output = {tokens_in + tokens_out:,} tokens, from Converse usage"),
        ),
    ]
    return (
        '<section id="judge"><h2>LLM judge</h2>'
        '<p class="muted">Each record was shown to the judge twice, the base output first and then the custom '
        "output first; a record whose two answers disagree is a tie.</p>"
        f"{_kv_table(rows)}</section>"
    )


def _sub(a: Any, b: Any) -> float | None:
    return None if a is None or b is None else float(a) - float(b)


#: Content type of each report file ``render_all`` returns.
CONTENT_TYPES = {
    "summary.json": "application/json",
    "scores.jsonl": "application/x-ndjson",
    "records.jsonl": "application/x-ndjson",
    "report.html": "text/html; charset=utf-8",
}


def write_report(
    files: Mapping[str, str], put: Callable[[str, str, str, str], None], bucket: str, prefix: str
) -> dict[str, str]:
    """Write the report files under ``prefix``; the S3 URIs the aggregate result names."""
    for name, text in files.items():
        put(bucket, prefix + name, text, CONTENT_TYPES[name])
    return {
        "ReportS3Uri": f"s3://{bucket}/{prefix}report.html",
        "SummaryS3Uri": f"s3://{bucket}/{prefix}summary.json",
        "ScoresS3Uri": f"s3://{bucket}/{prefix}scores.jsonl",
    }


def verdict_result(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict part of the aggregate result, as the parent workflow reads it."""
    diff, counts = summary["Difference"], summary["Counts"]
    return {
        "Verdict": summary["Verdict"],
        "VerdictReason": summary.get("VerdictReason"),
        "DecidedBy": summary["DecidedBy"],
        "Explanation": summary["Explanation"],
        "Metric": summary["Metric"],
        "Base": summary["Base"],
        "Custom": summary["Custom"],
        "Difference": {k: diff[k] for k in ("Mean", "Low", "High", "ConfidenceLevel")},
        "Counts": {k: counts[k] for k in ("Records", "Scored", "BaseErrors", "CustomErrors")},
    }


def render_all(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The report files by name."""
    metric = str(summary.get("Metric", "F1"))
    if metric not in metrics.POLICY_METRICS:
        raise EvaluationFailed(f"unknown metric {metric!r}")
    per_record = metric if metric in METRIC_FIELDS else "F1"  # the judge decided: difference is BERTScore F1's
    return {
        "summary.json": render_summary_json(summary),
        "scores.jsonl": render_scores_jsonl(records, per_record),
        "records.jsonl": render_records_jsonl(records),
        "report.html": render_html(summary, records),
    }


def write_local(directory: str | Path, summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> Path:
    """Write the report files into ``directory`` (CLI and tests)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_all(summary, records).items():
        (out / name).write_text(text, encoding="utf-8")
    return out
