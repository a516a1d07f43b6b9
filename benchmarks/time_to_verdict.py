"""Benchmark: projected time to verdict on AWS, before (sequential Infer then Score Maps) and after.

Runs the whole workflow on the local emulator for ``--n`` synthetic records (1,000; ``--n 10000``
for the larger run) in shards of the module's default size, and measures per shard, in-process:

* infer compute: the infer function's own time with the emulated models answering at once (the
  Bedrock wait is added below from the assumed latency), per record;
* score compute: the score function (BERTScore with the shipped all-MiniLM-L6-v2, one torch
  thread), per record, the first shard (model load) left out; scaled to the module's default
  evaluator model (roberta-large, layer 17) by the ratio of encoder FLOPs per token;
* plan and aggregate: PlanShards and Aggregate as measured.

The emulated run uses ``MaxConcurrency`` 1 and ``ScoreConcurrency`` 1 so that one shard infers while
one scores and the timings are compute, not queueing behind each other.

It then prints the projected AWS time to verdict for 1k / 10k / 100k records with every assumption
(``projection`` below, a pure function the unit tests check):

* before: the old design, an Infer Map and then a Score Map, each ``MaxConcurrency`` 4 shards, 8
  model calls per infer invocation, score function 3,008 MB;
* after: one Distributed Map iteration per shard (infer, then score), ``MaxConcurrency`` 4 +
  ``ScoreConcurrency`` 40 iterations, each infer taking its share of the 4 x 8 call budget
  (``workflow_lambdas.infer.shard_threads``), score function 10,240 MB;

Lambda CPU is proportional to memory: 1,769 MB is one vCPU ("Configure Lambda function memory",
AWS Lambda Developer Guide), at most 6. The last line is
``result: projected_10k_minutes=<after> speedup_vs_before=<before/after>`` (target: at most 15
minutes, at least 3x).

    python benchmarks/time_to_verdict.py [--n 1000] [--latency 1.0] [--rpm 2000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

os.environ.setdefault("LOG_LEVEL", "WARNING")  # the handlers' loggers read it at import
ROOT = Path(__file__).resolve().parents[1]
for extra in ("src", "lambdas", "evaluator"):
    if str(ROOT / extra) not in sys.path:
        sys.path.insert(0, str(ROOT / extra))

from workflow_lambdas.infer import shard_threads  # noqa: E402

MB_PER_VCPU = 1769  # "Configure Lambda function memory": 1,769 MB = the equivalent of one vCPU
MAX_VCPU = 6.0  # ... and at most 6 vCPUs (10,240 MB)
# roberta-large (the module's default evaluator_model, layer 17): hidden 1024, intermediate 4096.
DEFAULT_SCORER = {"layers": 17, "hidden": 1024, "intermediate": 4096}


@dataclass(frozen=True)
class Measured:
    """What the emulator run measured (seconds)."""

    infer_per_record: float  # the infer function's own compute, no Bedrock wait
    score_per_record: float  # BERTScore with the emulator's model on one local thread
    plan: float
    aggregate: float
    flop_ratio: float  # encoder FLOPs per token: default evaluator model / emulator's model


@dataclass(frozen=True)
class Assumptions:
    latency: float = 1.0  # seconds per Bedrock call (a summary of ~100 tokens)
    rpm: float = 2000.0  # base model on-demand requests per minute (account quota, Service Quotas)
    infer_cold_start: float = 1.0  # zip function
    score_cold_start: float = 10.0  # container image with torch and the model
    iteration_overhead: float = 0.2  # Step Functions per Map iteration step (child execution, transitions)
    parallel_efficiency: float = 0.75  # torch speed-up per extra vCPU
    local_thread_vcpus: float = 1.0  # one local core = one Lambda vCPU


@dataclass(frozen=True)
class Design:
    name: str
    pipelined: bool  # one Map iteration infers then scores (after) or two Maps in a row (before)
    shard_size: int = 50
    inference_shards: int = 4  # Evaluation.MaxConcurrency
    inference_threads: int = 8  # inference_threads (INFERENCE_CONCURRENCY)
    score_concurrency: int = 0  # Evaluation.ScoreConcurrency (after only)
    score_memory_mb: int = 3008


BEFORE = Design("before", pipelined=False, score_memory_mb=3008)
AFTER = Design("after", pipelined=True, score_concurrency=40, score_memory_mb=10240)


@dataclass
class Projection:
    seconds: float
    shards: int
    per_shard_infer: float
    per_shard_score: float
    threads_per_shard: int
    shards_at_once: int
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def minutes(self) -> float:
        return self.seconds / 60.0


def vcpus(memory_mb: float) -> float:
    return min(MAX_VCPU, memory_mb / MB_PER_VCPU)


def speedup(vcpu: float, efficiency: float) -> float:
    """How much faster than one vCPU torch runs on ``vcpu`` (threads = CPUs, ``cpus.py``)."""
    return 1.0 + max(0.0, vcpu - 1.0) * efficiency if vcpu >= 1 else vcpu


def projection(n: int, design: Design, measured: Measured, assumptions: Assumptions) -> Projection:
    """Projected seconds from PlanShards to the verdict for ``n`` records."""
    a, d = assumptions, design
    shards = max(1, math.ceil(n / d.shard_size))
    s = min(d.shard_size, n)
    calls = 2 * s  # base and custom
    if d.pipelined:
        map_concurrency = d.inference_shards + d.score_concurrency
        slots = min(map_concurrency, shards)
        threads = shard_threads(d.inference_threads, d.inference_shards, map_concurrency, shards)
    else:
        slots = min(d.inference_shards, shards)
        threads = d.inference_threads
    infer = measured.infer_per_record * s + math.ceil(calls / threads) * a.latency
    cpu = speedup(vcpus(d.score_memory_mb), a.parallel_efficiency) / a.local_thread_vcpus
    score = measured.score_per_record * measured.flop_ratio * s / cpu
    quota = n * 60.0 / a.rpm  # the base model's calls cannot go faster than its quota
    waves = math.ceil(shards / slots)
    parts = {"plan": measured.plan, "aggregate": measured.aggregate}
    if d.pipelined:
        parts["cold starts"] = a.infer_cold_start + a.score_cold_start
        parts["shards"] = max(waves * (infer + score + 2 * a.iteration_overhead), quota + score + a.iteration_overhead)
    else:
        parts["cold starts"] = a.infer_cold_start + a.score_cold_start
        parts["infer map"] = max(waves * (infer + a.iteration_overhead), quota)
        parts["score map"] = waves * (score + a.iteration_overhead)
    return Projection(sum(parts.values()), shards, infer, score, threads, slots, parts)


def assumption_lines(assumptions: Assumptions, measured: Measured, designs: tuple[Design, ...]) -> list[str]:
    lines = ["assumptions:"]
    lines += [f"  {name} = {value}" for name, value in asdict(assumptions).items()]
    lines.append(f"  lambda vCPU = memory / {MB_PER_VCPU} MB, at most {MAX_VCPU:g} (Configure Lambda function memory)")
    for d in designs:
        v = vcpus(d.score_memory_mb)
        lines.append(
            f"  {d.name}: {'one Map, infer then score per shard' if d.pipelined else 'Infer Map, then Score Map'}; "
            f"ShardSize {d.shard_size}, MaxConcurrency {d.inference_shards}, inference_threads {d.inference_threads}, "
            f"ScoreConcurrency {d.score_concurrency}, score memory {d.score_memory_mb} MB = {v:.2f} vCPU "
            f"(x{speedup(v, assumptions.parallel_efficiency):.2f} of one)"
        )
    lines.append("measured on the emulator (seconds):")
    lines += [f"  {name} = {value:.4g}" for name, value in asdict(measured).items()]
    return lines


# --- the emulator run -------------------------------------------------------------------------------


def flop_ratio(model_dir: str, layers: int) -> float:
    config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))

    def per_token(layer_count: int, hidden: int, intermediate: int) -> int:
        return layer_count * (4 * hidden * hidden + 2 * hidden * intermediate)

    emulator = per_token(layers, config["hidden_size"], config["intermediate_size"])
    default = per_token(DEFAULT_SCORER["layers"], DEFAULT_SCORER["hidden"], DEFAULT_SCORER["intermediate"])
    return default / emulator


def measure(n: int, shard_size: int) -> Measured:
    from bedrock_customize import scale_demo
    from bedrock_customize.emulator import Emulator, EmulatorConfig, moto_patches
    from bedrock_customize.emulator.core import default_evaluator_model
    from bedrock_customize.validate_command import demo_input_path

    timings: dict[str, list[tuple[float, int]]] = {}
    lock = threading.Lock()
    original = moto_patches.invoke_in_process

    def timed(fn, event):
        start = time.perf_counter()
        try:
            return original(fn, event)
        finally:
            step = fn.function_name.rsplit("-", 1)[-1]
            records = int((event.get("shard") or {}).get("Count") or 0) if isinstance(event, dict) else 0
            with lock:
                timings.setdefault(step, []).append((time.perf_counter() - start, records))

    moto_patches.invoke_in_process = timed
    config = EmulatorConfig.scenario("better", shard_size=shard_size)
    try:
        with Emulator(config) as emu:
            execution_input = json.loads(demo_input_path().read_text(encoding="utf-8"))
            execution_input.update(scale_demo.upload(emu, n, base_model=execution_input.get("BaseModelIdentifier")))
            execution_input["Evaluation"] = {"ShardSize": shard_size, "MaxConcurrency": 1, "ScoreConcurrency": 1}
            summary = emu.run(execution_input, timeout=max(1800.0, n * 2.0))
    finally:
        moto_patches.invoke_in_process = original
    if summary["execution_status"] != "SUCCEEDED":
        raise SystemExit(f"the emulated run failed: {summary['error']}: {summary['cause']}")

    def per_record(step: str, skip_first: bool) -> float:
        rows = timings.get(step) or []
        rows = rows[1:] if skip_first and len(rows) > 1 else rows
        return statistics.median(seconds / max(1, records) for seconds, records in rows)

    model = config.evaluator_model or default_evaluator_model()
    return Measured(
        infer_per_record=per_record("infer", skip_first=True),
        score_per_record=per_record("score", skip_first=True),
        plan=sum(s for s, _ in timings.get("shards", [])),
        aggregate=sum(s for s, _ in timings.get("aggregate", [])),
        flop_ratio=flop_ratio(model, config.evaluator_num_layers),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="records of the emulated run (1000; 10000 for the big one)")
    parser.add_argument("--shard-size", type=int, default=50, help="records per shard (the module's default 50)")
    defaults = Assumptions()
    parser.add_argument("--latency", type=float, default=defaults.latency, help="seconds per Bedrock call")
    parser.add_argument(
        "--rpm", type=float, default=defaults.rpm, help="base model on-demand requests per minute (your quota)"
    )
    parser.add_argument("--score-cold-start", type=float, default=defaults.score_cold_start)
    args = parser.parse_args(argv)

    assumptions = replace(defaults, latency=args.latency, rpm=args.rpm, score_cold_start=args.score_cold_start)
    before = replace(BEFORE, shard_size=args.shard_size)
    after = replace(AFTER, shard_size=args.shard_size)
    t0 = time.perf_counter()
    measured = measure(args.n, args.shard_size)
    print(f"emulated run: {args.n} records in shards of {args.shard_size}, {time.perf_counter() - t0:.1f} s")
    for line in assumption_lines(assumptions, measured, (before, after)):
        print(line)
    print(f"{'records':>8} {'design':>7} {'minutes':>8} {'per-shard infer s':>18} {'per-shard score s':>18} parts (s)")
    results: dict[tuple[int, str], Projection] = {}
    for n in (1_000, 10_000, 100_000):
        for design in (before, after):
            p = projection(n, design, measured, assumptions)
            results[(n, design.name)] = p
            parts = ", ".join(f"{k} {v:.0f}" for k, v in p.parts.items())
            print(
                f"{n:>8} {design.name:>7} {p.minutes:>8.1f} {p.per_shard_infer:>18.1f} {p.per_shard_score:>18.1f} "
                f"{parts} ({p.shards_at_once} shards at once, {p.threads_per_shard} calls each)"
            )
    after_10k = results[(10_000, "after")].minutes
    ratio = results[(10_000, "before")].minutes / after_10k
    print(f"result: projected_10k_minutes={after_10k:.1f} speedup_vs_before={ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
