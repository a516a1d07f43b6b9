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
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import stats
from .errors import EvaluationFailed

MODELS = ("base", "custom")
METRIC_FIELDS = {"F1": "f1", "Precision": "precision", "Recall": "recall"}
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


def _means(records: Sequence[Mapping[str, Any]], model: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for metric, field in METRIC_FIELDS.items():
        values = [v for r in records if (v := model_score(r, model, field)) is not None]
        out[metric] = float(sum(values) / len(values)) if values else None
    return {"Precision": out["Precision"], "Recall": out["Recall"], "F1": out["F1"]}


def build_summary(
    records: Sequence[Mapping[str, Any]],
    policy: stats.Policy,
    *,
    scorer: Mapping[str, Any] | None = None,
    versions: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Aggregates, interval, verdict and counts. Raises ``EvaluationFailed`` with no usable pair."""
    field = METRIC_FIELDS[policy.metric]
    paired = [r for r in records if all(model_score(r, m, field) is not None for m in MODELS)]
    diffs = [difference(r, policy.metric) for r in paired]
    decision = stats.decide([d for d in diffs if d is not None], policy)
    errors = {m: sum(1 for r in records if model_score(r, m, field) is None) for m in MODELS}
    wins = sum(1 for d in diffs if d is not None and d > 0)
    losses = sum(1 for d in diffs if d is not None and d < 0)
    return {
        "RunId": run_id,
        "Verdict": decision.verdict,
        "VerdictReason": decision.reason,
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
            "Ties": len(paired) - wins - losses,
        },
        "Counts": {
            "Records": len(records),
            "Scored": len(paired),
            "BaseErrors": errors["base"],
            "CustomErrors": errors["custom"],
            "BothErrors": sum(1 for r in records if all(model_score(r, m, field) is None for m in MODELS)),
        },
        "Scorer": dict(scorer or {}),
        "Versions": dict(versions or {}),
        "GeneratedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def flat_record(record: Mapping[str, Any], metric: str = "F1") -> dict[str, Any]:
    """One line of ``scores.jsonl``."""
    out: dict[str, Any] = {"id": record.get("id")}
    for model in MODELS:
        for field in ("precision", "recall", "f1"):
            out[f"{model}_{field}"] = model_score(record, model, field)
    out["difference"] = difference(record, metric)
    for model in MODELS:
        out[f"{model}_error"] = (record.get(model) or {}).get("error")
    return out


def render_scores_jsonl(records: Sequence[Mapping[str, Any]], metric: str = "F1") -> str:
    return "".join(json.dumps(flat_record(r, metric), ensure_ascii=False) + "\n" for r in records)


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


def _clip(text: Any) -> str:
    if text is None:
        return ""
    text = str(text)
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


def scatter_svg(records: Sequence[Mapping[str, Any]], metric: str, size: int = 420) -> str:
    """Per-record score of the base (x) and the custom model (y), with the y = x diagonal."""
    field = METRIC_FIELDS[metric]
    points = [
        (b, c, r.get("id"))
        for r in records
        if (b := model_score(r, "base", field)) is not None and (c := model_score(r, "custom", field)) is not None
    ]
    if not points:
        return "<p>No record has scores for both models.</p>"
    pad = 44
    lo, hi = _axis_range([p[0] for p in points] + [p[1] for p in points])
    span = hi - lo
    inner = size - 2 * pad

    def sx(v: float) -> float:
        return pad + (v - lo) / span * inner

    def sy(v: float) -> float:
        return size - pad - (v - lo) / span * inner

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{_e(metric)} base versus custom">',
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="#fafafa" stroke="#999"/>',
        f'<line x1="{sx(lo):.1f}" y1="{sy(lo):.1f}" x2="{sx(hi):.1f}" y2="{sy(hi):.1f}" '
        'stroke="#888" stroke-dasharray="4 3"/>',
    ]
    ticks = 5
    for k in range(ticks + 1):
        v = lo + span * k / ticks
        parts.append(f'<text x="{sx(v):.1f}" y="{size - pad + 14}" font-size="10" text-anchor="middle">{v:.2f}</text>')
        parts.append(f'<text x="{pad - 4}" y="{sy(v) + 3:.1f}" font-size="10" text-anchor="end">{v:.2f}</text>')
    parts.append(f'<text x="{size / 2}" y="{size - 8}" font-size="12" text-anchor="middle">base {_e(metric)}</text>')
    parts.append(
        f'<text x="12" y="{size / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 12 {size / 2})">custom {_e(metric)}</text>'
    )
    with_titles = len(points) <= 2000
    for b, c, rid in points:
        colour = "#2a7d2a" if c > b else ("#b22" if c < b else "#555")
        title = f"<title>{_e(rid)}: base {b:.4f}, custom {c:.4f}</title>" if with_titles else ""
        parts.append(
            f'<circle cx="{sx(b):.1f}" cy="{sy(c):.1f}" r="3" fill="{colour}" fill-opacity="0.6">{title}</circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(diffs: Sequence[float], margin: float, width: int = 420, height: int = 220) -> str:
    """Histogram of the paired differences, with 0 and the margin marked."""
    if not diffs:
        return ""
    bins = 30
    lo, hi = min(min(diffs), margin, 0.0), max(max(diffs), margin, 0.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    step = (hi - lo) / bins
    counts = [0] * bins
    for d in diffs:
        counts[min(bins - 1, int((d - lo) / step))] += 1
    pad = 30
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    top = max(counts)

    def sx(v: float) -> float:
        return pad + (v - lo) / (hi - lo) * inner_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="histogram of differences">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>',
    ]
    bar_w = inner_w / bins
    for k, n in enumerate(counts):
        if n:
            h = n / top * inner_h
            parts.append(
                f'<rect x="{pad + k * bar_w:.1f}" y="{height - pad - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="#4a78b5"><title>{n}</title></rect>'
            )
    for value, colour, label in ((0.0, "#333", "0"), (margin, "#c60", "margin")):
        x = sx(value)
        parts.append(f'<line x1="{x:.1f}" y1="{pad - 6}" x2="{x:.1f}" y2="{height - pad}" stroke="{colour}"/>')
        if label == "0" or margin != 0.0:
            parts.append(f'<text x="{x:.1f}" y="{pad - 9}" font-size="10" text-anchor="middle">{label}</text>')
    parts.append(f'<text x="{pad}" y="{height - 8}" font-size="10">{lo:.3f}</text>')
    parts.append(f'<text x="{width - pad}" y="{height - 8}" font-size="10" text-anchor="end">{hi:.3f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _record_block(record: Mapping[str, Any], metric: str) -> str:
    field = METRIC_FIELDS[metric]
    b, c = model_score(record, "base", field), model_score(record, "custom", field)
    d = difference(record, metric)
    rows = [
        ("Prompt", record.get("prompt")),
        ("Reference", record.get("reference")),
        ("Base output", (record.get("base") or {}).get("output")),
        ("Custom output", (record.get("custom") or {}).get("output")),
    ]
    body = "".join(f"<dt>{label}</dt><dd><pre>{_e(_clip(text))}</pre></dd>" for label, text in rows)
    return (
        f'<div class="rec"><h4>{_e(record.get("id"))}: base {_num(b)}, custom {_num(c)}, '
        f"difference {_num(d)}</h4><dl>{body}</dl></div>"
    )


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}
.verdict{font-size:1.4em;font-weight:bold;padding:.3em .6em;display:inline-block;border-radius:4px}
.CUSTOM_BETTER{background:#d8f0d8}.NOT_BETTER{background:#f6d8d8}.INCONCLUSIVE{background:#f6ecc8}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:6px;margin:0}
.rec{border-top:1px solid #ddd;padding:.5em 0}dt{font-weight:bold;margin-top:.4em}dd{margin-left:1em}
.plots{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}
"""


def render_html(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> str:
    metric = str(summary.get("Metric", "F1"))
    policy = summary.get("Policy") or {}
    diff = summary.get("Difference") or {}
    counts = summary.get("Counts") or {}
    scorer = summary.get("Scorer") or {}
    verdict = str(summary.get("Verdict"))

    aggregate_rows = "".join(
        f'<tr><td class="l">{_e(name)}</td><td>{_num((summary.get("Base") or {}).get(name))}</td>'
        f"<td>{_num((summary.get('Custom') or {}).get(name))}</td>"
        f"<td>{_num(_sub((summary.get('Custom') or {}).get(name), (summary.get('Base') or {}).get(name)))}</td></tr>"
        for name in ("Precision", "Recall", "F1")
    )
    level = diff.get("ConfidenceLevel")
    level_text = f"{level * 100:g}%" if isinstance(level, int | float) else "?"
    kv = [
        ("Verdict", verdict),
        *([("Why", _e(summary["VerdictReason"]))] if summary.get("VerdictReason") else []),
        ("Metric", metric),
        (
            f"Mean difference (custom \u2212 base) and {level_text} interval",
            f"{_num(diff.get('Mean'))} [{_num(diff.get('Low'))}, {_num(diff.get('High'))}]",
        ),
        ("Margin", _num(policy.get("Margin"))),
        (
            "Require significance / minimum pairs",
            f"{_e(policy.get('RequireSignificance'))} / {_e(policy.get('MinPairs'))}",
        ),
        ("Bootstrap resamples / seed", f"{_e(policy.get('BootstrapResamples'))} / {_e(policy.get('Seed'))}"),
        ("Wins / losses / ties", f"{_e(diff.get('Wins'))} / {_e(diff.get('Losses'))} / {_e(diff.get('Ties'))}"),
        ("Records / scored pairs", f"{_e(counts.get('Records'))} / {_e(counts.get('Scored'))}"),
        ("Base errors / custom errors", f"{_e(counts.get('BaseErrors'))} / {_e(counts.get('CustomErrors'))}"),
        (
            "BERTScore model (layer)",
            f"{_e(scorer.get('SourceModel') or scorer.get('Model'))} ({_e(scorer.get('NumLayers'))})",
        ),
        ("IDF / rescaled", f"{_e(scorer.get('Idf'))} / {_e(scorer.get('Rescaled'))}"),
        ("Versions", _e(", ".join(f"{k} {v}" for k, v in (summary.get("Versions") or {}).items()))),
        ("Run", _e(summary.get("RunId"))),
        ("Generated", _e(summary.get("GeneratedAt"))),
    ]
    # values above are already escaped or numeric; verdict and metric are escaped here
    kv_rows = "".join(
        f'<tr><th class="l">{_e(k)}</th><td class="l">{v if k not in ("Verdict", "Metric") else _e(v)}</td></tr>'
        for k, v in kv
    )

    scored = [(d, r) for r in records if (d := difference(r, metric)) is not None]
    gains = [r for d, r in sorted(scored, key=lambda x: -x[0]) if d > 0][:TOP_N]
    losses = [r for d, r in sorted(scored, key=lambda x: x[0]) if d < 0][:TOP_N]
    errors = [
        (r.get("id"), m, (r.get(m) or {}).get("error"))
        for r in records
        for m in MODELS
        if model_score(r, m, METRIC_FIELDS[metric]) is None
    ]
    error_rows = "".join(
        f'<tr><td class="l">{_e(i)}</td><td class="l">{_e(m)}</td><td class="l">{_e(err)}</td></tr>'
        for i, m, err in errors[:MAX_ERRORS_LISTED]
    )
    error_html = (
        f"<h2>Errored records ({len(errors)})</h2>"
        f'<table><tr><th class="l">id</th><th class="l">model</th><th class="l">error</th></tr>{error_rows}</table>'
        + (f"<p>First {MAX_ERRORS_LISTED} shown; see scores.jsonl.</p>" if len(errors) > MAX_ERRORS_LISTED else "")
        if errors
        else ""
    )

    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>BERTScore evaluation {_e(summary.get('RunId') or '')}</title><style>{CSS}</style></head><body>"
        f'<h1>BERTScore evaluation</h1><p class="verdict {_e(verdict)}">{_e(verdict)}</p>'
        f"<table>{kv_rows}</table>"
        "<h2>Mean scores over scored pairs</h2>"
        f'<table><tr><th class="l">metric</th><th>base</th><th>custom</th><th>custom \u2212 base</th></tr>'
        f"{aggregate_rows}</table>"
        f'<h2>Per-record {_e(metric)}</h2><div class="plots"><figure>{scatter_svg(records, metric)}'
        "<figcaption>Each point is a record; above the dashed line the custom model scored higher."
        f"</figcaption></figure><figure>{histogram_svg([d for d, _ in scored], float(policy.get('Margin') or 0.0))}"
        f"<figcaption>Differences custom \u2212 base ({_e(metric)}).</figcaption></figure></div>"
        f"<h2>Largest gains ({len(gains)})</h2>{''.join(_record_block(r, metric) for r in gains) or '<p>None.</p>'}"
        f"<h2>Largest losses ({len(losses)})</h2>"
        f"{''.join(_record_block(r, metric) for r in losses) or '<p>None.</p>'}"
        f"{error_html}</body></html>\n"
    )


def _sub(a: Any, b: Any) -> float | None:
    return None if a is None or b is None else float(a) - float(b)


def render_all(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The three report files by name."""
    metric = str(summary.get("Metric", "F1"))
    if metric not in METRIC_FIELDS:
        raise EvaluationFailed(f"unknown metric {metric!r}")
    return {
        "summary.json": render_summary_json(summary),
        "scores.jsonl": render_scores_jsonl(records, metric),
        "report.html": render_html(summary, records),
    }


def write_local(directory: str | Path, summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> Path:
    """Write the three report files into ``directory`` (CLI and tests)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_all(summary, records).items():
        (out / name).write_text(text, encoding="utf-8")
    return out
