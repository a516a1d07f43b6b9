"""The optional LLM judge: a Bedrock model compares the base and the custom output of every record.

Runs in the ``infer`` function (event ``{"Task": "judge", "run", "shard": {"Index", "Key", "Count"}}``,
child state ``JudgeShard`` after ``ScoreShard``), with the same bounded, throttle-adaptive call
runner as inference (:func:`workflow_lambdas.call_scheduler.run_calls`: our own retries with full-jitter
backoff, concurrency cut when a quota is reached, a Lambda-deadline stop that saves the finished
calls and fails with ``InferenceDeadline`` so the Map's retry resumes).

For each record the judge sees the prompt, the reference and the two outputs twice, once in each
order (base as response A, then custom as response A), through Converse (``system`` = the rubric
and the answer format, one user message = the record). Each answer is parsed into A, B or tie and
mapped back to a model; the record's preference is the model both orders prefer, and a **tie**
when the two orders disagree (position bias removed) or both say tie. An answer that cannot be
parsed counts as unparsable and as a tie for its order; it never fails the shard. A record where a
model has no output (an inference error) is not judged (``preference`` null, ``skipped`` says why).

Reads ``runs/<RunId>/evaluation/scores/<NNNNN>.jsonl`` (prompt, reference, both outputs), writes
``runs/<RunId>/evaluation/judge/<NNNNN>.jsonl``: one line per record, in shard order::

    {"id", "preference": "custom" | "base" | "tie" | null, "reason": "<one sentence>",
     "answers": [{"first": "base" | "custom", "answer": "A" | "B" | "tie" | null, "reason", "error"?}, x2],
     "unparsable": 0..2, "input_tokens", "output_tokens", "skipped"?: "..."}

Converse needs the ``bedrock:InvokeModel`` permission ("Converse", Amazon Bedrock API Reference).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas import adapters, call_scheduler, infer, model_families
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.common.s3 import put_jsonl, read_text_if_exists
from workflow_lambdas.contract import layout
from workflow_lambdas.contract.errors import DatasetError, InferenceDeadline, InferenceFailed, InvalidInput
from workflow_lambdas.contract.evaluation import DEFAULT_RUBRIC

logger = get_logger(__name__)

ORDERS = ("base", "custom")  # which model is response A: base first, then custom first
MAX_TEXT_CHARS = 8000  # of each text shown to the judge (a summary pair fits; a runaway output is clipped)
MAX_ANSWER_TOKENS = 300
MAX_REASON_CHARS = 300
MAX_RAW_CHARS = 500

RUBRICS: dict[str, str] = {
    "summary_quality": (
        "You are reviewing two summaries written for the same prompt. Judge which one a careful reader "
        "would rather have: it must be faithful to the prompt's source text (no invented or wrong facts), "
        "cover the key points the reference summary covers, and be clear and concise. A longer summary is "
        "not better for being longer; wording that differs from the reference is fine when the meaning "
        "is the same. If neither is better, say tie."
    ),
}
ANSWER_FORMAT = (
    "Answer with one JSON object and nothing else, in this form: "
    '{"preference": "A" | "B" | "tie", "reason": "<one sentence saying why>"}'
)


class JudgeSettings(BaseModel):
    """``run.Evaluation.Judge`` (validated by ValidateInput)."""

    model_config = ConfigDict(extra="ignore")

    ModelId: str = Field(min_length=1)
    Rubric: str = DEFAULT_RUBRIC


class JudgeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Task: str = "judge"
    run: dict[str, Any]
    shard: infer.Shard
    #: Shards of the run: the judge takes the same share of the call budget as an infer invocation.
    shardCount: int | None = Field(default=None, ge=0)


# --------------------------------------------------------------------------- prompt and parsing


def rubric_text(rubric: str) -> str:
    """A shipped rubric by name, else the caller's own rubric text."""
    return RUBRICS.get(rubric.strip(), rubric.strip())


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + " [...]"


def judge_prompt(prompt: str, reference: str, response_a: str, response_b: str) -> str:
    """The user message: the record with the two responses in the order given."""
    return (
        "Prompt given to both models:\n<prompt>\n"
        f"{_clip(prompt)}\n</prompt>\n\n"
        "Reference answer written by a person:\n<reference>\n"
        f"{_clip(reference)}\n</reference>\n\n"
        f"Response A:\n<response_a>\n{_clip(response_a)}\n</response_a>\n\n"
        f"Response B:\n<response_b>\n{_clip(response_b)}\n</response_b>\n\n"
        "Which response is better by the rubric? " + ANSWER_FORMAT
    )


def converse_request(model_id: str, rubric: str, user_text: str) -> dict[str, Any]:
    """Keyword arguments of ``bedrock-runtime.converse`` for one judgement (temperature 0)."""
    return {
        "modelId": model_id,
        "system": [{"text": f"{rubric_text(rubric)}\n\n{ANSWER_FORMAT}"}],
        "messages": [{"role": "user", "content": [{"text": user_text}]}],
        "inferenceConfig": {"maxTokens": MAX_ANSWER_TOKENS, "temperature": 0.0},
    }


_CHOICES = {
    "a": "A",
    "response a": "A",
    "response_a": "A",
    "[[a]]": "A",
    "b": "B",
    "response b": "B",
    "response_b": "B",
    "[[b]]": "B",
    "tie": "tie",
    "[[c]]": "tie",
    "[[tie]]": "tie",
    "equal": "tie",
    "neither": "tie",
    "both": "tie",
    "none": "tie",
    "draw": "tie",
    "same": "tie",
}
_PREFERENCE_KEYS = ("preference", "preferred", "winner", "choice", "better", "answer", "verdict")
_JSON_OBJECT = re.compile(r"\{[^{}]*\}", re.S)
_KEYED = re.compile(
    r"(?:preferred response|better response|preference|preferred|winner|choice|verdict)"
    r"\W{0,6}(response[ _]?[ab]|[ab]|tie)\b",
    re.I,
)
_BRACKETED = re.compile(r"\[\[\s*(a|b|c|tie)\s*\]\]", re.I)


def _choice(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return _CHOICES.get(value.strip().strip(".\"'` ").lower())


def _one_sentence(text: str) -> str:
    text = " ".join(str(text).split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= MAX_REASON_CHARS else sentence[: MAX_REASON_CHARS - 1] + "\u2026"


def parse_answer(text: Any) -> tuple[str | None, str]:
    """``(choice, reason)`` of a judge answer; choice ``A``, ``B``, ``tie`` or None (unparsable).

    Accepts the JSON object the format asks for, inside code fences or prose too, other key names
    (``winner``, ``choice``...), ``Response A``, MT-Bench style ``[[A]]`` and a keyed phrase
    (``Preference: B``). Never raises."""
    if not isinstance(text, str) or not text.strip():
        return None, ""
    candidates = []
    stripped = text.strip()
    if stripped.startswith("{"):
        candidates.append(stripped)
    candidates += _JSON_OBJECT.findall(text)
    for candidate in candidates:
        try:
            obj = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        lowered = {str(k).strip().lower(): v for k, v in obj.items()}
        for key in _PREFERENCE_KEYS:
            choice = _choice(lowered.get(key))
            if choice:
                reason = lowered.get("reason") or lowered.get("explanation") or lowered.get("rationale") or ""
                return choice, _one_sentence(reason) if isinstance(reason, str) else ""
    for pattern in (_BRACKETED, _KEYED):
        match = pattern.search(text)
        if match:
            choice = _choice(match.group(1)) or ("tie" if match.group(1).lower() == "c" else None)
            if choice:
                rest = (text[: match.start()] + " " + text[match.end() :]).strip(" :.-\n")
                return choice, _one_sentence(rest) if rest else ""
    return None, ""


def model_of(choice: str | None, first: str) -> str | None:
    """The model a choice prefers when ``first`` was response A: ``base``, ``custom``, ``tie`` or None."""
    if choice is None:
        return None
    if choice == "tie":
        return "tie"
    other = "custom" if first == "base" else "base"
    return first if choice == "A" else other


def _named(reason: str, first: str) -> str:
    """The reason with "Response A/B" replaced by the model each letter stood for."""
    second = "custom" if first == "base" else "base"
    out = re.sub(r"\b[Rr]esponse[ _]?A\b", f"the {first} output", reason)
    out = re.sub(r"\b[Rr]esponse[ _]?B\b", f"the {second} output", out)
    return out[:1].upper() + out[1:]


def combine(answers: list[dict[str, Any]]) -> tuple[str, str]:
    """``(preference, reason)`` of a record from its answers in both orders.

    Both orders prefer the same model: that model. Anything else (they disagree, one is a tie, one
    could not be parsed or failed): a tie. An unparsable answer or a failed call is a tie for its order.
    """
    prefs = [model_of(a.get("answer"), a["first"]) or "tie" for a in answers]
    reasons = [_named(a.get("reason") or "", a["first"]) for a in answers]
    if len(set(prefs)) == 1:
        pref = prefs[0]
        reason = next((r for r in reasons if r), "")
        if not reason:
            reason = "the judge gave no reason" if pref != "tie" else "the judge found no difference"
        return pref, reason
    shown = "; ".join(
        f"{a['first']} first: {p}" + ("" if a.get("answer") else " (unparsable)" if not a.get("error") else " (failed)")
        for a, p in zip(answers, prefs, strict=True)
    )
    return "tie", f"The two orders disagree ({shown}), so the record is a tie."


# --------------------------------------------------------------------------- a shard


def output_key(prefix: str, index: int) -> str:
    return layout.shard_file(prefix, "judge", index)


def partial_key(prefix: str, index: int) -> str:
    return layout.shard_file(prefix, "judge-partial", index)


def scores_key(prefix: str, index: int) -> str:
    return layout.shard_file(prefix, "scores", index)


def _read_rows(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    body = read_text_if_exists(s3, bucket, key)
    if body is None:
        raise DatasetError(f"scores shard s3://{bucket}/{key} does not exist: ScoreShard must run before JudgeShard")
    rows = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DatasetError(f"s3://{bucket}/{key} line {number}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise DatasetError(f"s3://{bucket}/{key} line {number}: not a JSON object")
        rows.append(row)
    return rows


def _output(row: Mapping[str, Any], model: str) -> str | None:
    entry = row.get(model) or {}
    output = entry.get("output")
    return output if isinstance(output, str) and entry.get("error") is None else None


def _complete(s3: Any, bucket: str, key: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    body = read_text_if_exists(s3, bucket, key)
    if body is None:
        return None
    try:
        lines = [json.loads(x) for x in body.splitlines() if x.strip()]
    except ValueError:
        return None
    if [json.dumps(x.get("id")) for x in lines] != [json.dumps(r.get("id")) for r in rows]:
        return None
    return lines


def _read_partial(s3: Any, bucket: str, key: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Answers saved by an invocation that ran out of time, by (id, first)."""
    body = read_text_if_exists(s3, bucket, key)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for line in (body or "").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict) or item.get("first") not in ORDERS or "text" not in item:
            continue
        error = item.get("error")
        if isinstance(error, dict) and error.get("type") in call_scheduler.RETRYABLE_CODES:
            continue  # a busy judge, not an answer: asked again
        found[(json.dumps(item.get("id")), item["first"])] = item
    return found


def _call_line(record_id: Any, first: str, result: call_scheduler.CallResult) -> dict[str, Any]:
    line: dict[str, Any] = {"id": record_id, "first": first}
    if result.error is not None:
        line["text"], line["error"] = None, result.error
    else:
        line["text"] = result.output
    line.update(input_tokens=result.input_tokens, output_tokens=result.output_tokens, attempts=result.attempts)
    return line


def _verdict(row: Mapping[str, Any], calls: dict[str, dict[str, Any]] | None, skipped: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.get("id")}
    if skipped:
        return {**out, "preference": None, "reason": skipped, "answers": [], "unparsable": 0, "skipped": skipped}
    assert calls is not None
    answers = []
    unparsable = 0
    tokens = {"input_tokens": 0, "output_tokens": 0}
    for first in ORDERS:
        call = calls[first]
        for k in tokens:
            tokens[k] += int(call.get(k) or 0)
        if call.get("error"):
            answers.append({"first": first, "answer": None, "reason": "", "error": call["error"]})
            continue
        choice, reason = parse_answer(call.get("text"))
        answer: dict[str, Any] = {"first": first, "answer": choice, "reason": reason}
        if choice is None:
            unparsable += 1
            answer["raw"] = str(call.get("text") or "")[:MAX_RAW_CHARS]
        answers.append(answer)
    preference, reason = combine(answers)
    errors = [a["error"] for a in answers if a.get("error")]
    out.update(preference=preference, reason=reason, answers=answers, unparsable=unparsable, **tokens)
    if errors:
        out["errors"] = len(errors)
    return out


def _check_not_misconfigured(lines: list[dict[str, Any]], model_id: str) -> None:
    """Every judge call refused for access or validation reasons: the judge is misconfigured, not busy."""
    errors = [c["error"] for c in lines if c.get("error")]
    if not lines or len(errors) != len(lines):
        return
    codes = {e["type"] for e in errors}
    if codes <= infer.ACCESS_CODES | infer.VALIDATION_CODES:
        raise InferenceFailed(
            f"every judge call ({len(lines)}) to {model_id} failed: {errors[0]['type']}: {errors[0]['message']}; "
            "check Evaluation.Judge.ModelId (model access, region, inference profile) and the infer function's IAM"
        )


def judge_shard(
    event: JudgeEvent,
    *,
    s3: Any,
    runtime: Any,
    settings: infer.Settings,
    remaining_ms: Callable[[], int] | None = None,
    clock: Callable[[], float] = time.monotonic,
    rng: Any = None,
) -> dict[str, Any]:
    run, shard = event.run, event.shard
    evaluation = run.get("Evaluation") or {}
    if not evaluation.get("Judge"):
        raise InvalidInput("JudgeShard ran for a run without Evaluation.Judge; set it or skip the step")
    judge = JudgeSettings.model_validate(evaluation["Judge"])
    bucket = run["ArtifactsBucket"]
    prefix = layout.prefix_of(run)
    key = output_key(prefix, shard.Index)
    deadline = None
    if remaining_ms is not None:
        deadline = clock() + remaining_ms() / 1000.0 - settings.deadline_margin

    rows = _read_rows(s3, bucket, scores_key(prefix, shard.Index))
    if shard.Count is not None and shard.Count != len(rows):
        raise DatasetError(f"scores shard {shard.Index} holds {len(rows)} records, the plan says {shard.Count}")
    existing = _complete(s3, bucket, key, rows)
    if existing is not None:
        logger.info("shard %d already judged (%s): skipping", shard.Index, key)
        return _result(shard.Index, key, existing, skipped=True)

    jobs: list[tuple[dict[str, Any], str]] = []
    skipped: dict[str, str] = {}
    for row in rows:
        missing = [m for m in ("base", "custom") if _output(row, m) is None]
        if missing or not isinstance(row.get("reference"), str):
            skipped[json.dumps(row.get("id"))] = (
                f"not judged: the {' and the '.join(missing)} model had no output" if missing else "no reference"
            )
            continue
        jobs += [(row, first) for first in ORDERS]

    saved_key = partial_key(prefix, shard.Index)
    saved = _read_partial(s3, bucket, saved_key)
    todo = [(r, f) for r, f in jobs if (json.dumps(r.get("id")), f) not in saved]

    def call(row: dict[str, Any], first: str) -> Callable[[], adapters.Completion]:
        a, b = (_output(row, "base"), _output(row, "custom"))
        assert a is not None and b is not None  # jobs hold only rows with both outputs (above)
        if first == "custom":
            a, b = b, a
        text = judge_prompt(str(row.get("prompt") or ""), row["reference"], a, b)
        request = converse_request(judge.ModelId, judge.Rubric, text)
        family = model_families.family_of(judge.ModelId) or "judge"
        return lambda: adapters.parse_converse(family, runtime.converse(**request))

    results = call_scheduler.run_calls([call(r, f) for r, f in todo], settings, deadline=deadline, clock=clock, rng=rng)
    fresh = {
        (json.dumps(r.get("id")), f): _call_line(r.get("id"), f, res)
        for (r, f), res in zip(todo, results, strict=True)
        if res is not None
    }
    done = {**saved, **fresh}
    if len(done) < len(jobs):
        put_jsonl(s3, bucket, saved_key, done.values())
        raise InferenceDeadline(
            f"judge shard {shard.Index}: {len(jobs) - len(done)} of {len(jobs)} judge calls not made before the "
            f"Lambda deadline ({len(done)} saved to s3://{bucket}/{saved_key}); the retry resumes from there"
        )
    _check_not_misconfigured(list(done.values()), judge.ModelId)

    lines = []
    for row in rows:
        rid = json.dumps(row.get("id"))
        if rid in skipped:
            lines.append(_verdict(row, None, skipped[rid]))
        else:
            lines.append(_verdict(row, {f: done[(rid, f)] for f in ORDERS}, None))
    put_jsonl(s3, bucket, key, lines)
    result = _result(shard.Index, key, lines, skipped=False)
    logger.info("judge shard %d: %s -> s3://%s/%s", shard.Index, result, bucket, key)
    return result


def _result(index: int, key: str, lines: list[dict[str, Any]], *, skipped: bool) -> dict[str, Any]:
    """The step's small result (the verdicts are in S3)."""
    counts = {p: sum(1 for x in lines if x.get("preference") == p) for p in ("custom", "base", "tie")}
    return {
        "Index": index,
        "Key": key,
        "Records": len(lines),
        "Preferences": counts,
        "Unparsable": sum(int(x.get("unparsable") or 0) for x in lines),
        "Skipped": skipped,
    }


@bound
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    parsed = JudgeEvent.model_validate(event)
    settings = infer.Settings.from_env()
    evaluation = parsed.run.get("Evaluation") or {}
    threads = call_scheduler.shard_threads(
        settings.concurrency, evaluation.get("MaxConcurrency"), evaluation.get("MapConcurrency"), parsed.shardCount
    )
    if threads != settings.concurrency:
        settings = settings.model_copy(update={"concurrency": threads})
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return judge_shard(
        parsed,
        s3=client("s3"),
        runtime=infer.runtime_client(settings),
        settings=settings,
        remaining_ms=remaining if callable(remaining) else None,
    )
