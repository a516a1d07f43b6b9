"""Benchmark: the inference fan-out (child workflow ``Infer`` Map) versus one call at a time.

Runs on the local emulator, through the real rendered child template: the run context comes from
the real ``validate_input`` handler, a provisioned throughput is bought from the emulated Bedrock,
and the child state machine is started directly; the clock runs from the ``Infer`` Map state's
entry to its exit (read from the execution history); scoring is not run.

Emulated Bedrock, per model (base and custom): ``--latency-ms`` per answered call, a quota of
``--max-rps`` calls per second (token bucket, one second of burst) and a probability
``--throttle-rate`` that any call is refused with a ThrottlingException. Refused calls answer at
once and use no quota.

Prints the wall time, the ideal lower bound for these settings,

    ideal = max(calls x latency / (shards in parallel x threads per shard),   # concurrency bound
                max over models of (calls of the model - burst) / max_rps)     # quota bound

their ratio, records lost (expected lines missing or duplicated; must be 0), error lines, what the
emulated models saw, and the ancestor's way (one call at a time, base then custom, same retry
policy so that it loses nothing either) timed on the first ``--sequential`` records and scaled to N.
The last line is ``result: ratio=<wall/ideal> lost=<records lost> sequential_speedup=<seq/ours>``.

    python benchmarks/fanout.py [--n 2000] [--latency-ms 100] [--throttle-rate 0.2] [--max-rps 50]

Prompts are synthetic (seeded); nothing is read from outside the repository.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in ("src", "lambdas", "evaluator"):
    if str(ROOT / extra) not in sys.path:
        sys.path.insert(0, str(ROOT / extra))

from bedrock_customize import paths  # noqa: E402
from bedrock_customize.emulator import Emulator, EmulatorConfig, ModelBehaviour  # noqa: E402

BASE_MODEL = "meta.llama3-1-8b-instruct-v1:0:128k"
NAMES = ["Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Julia", "Kenji", "Lena"]
THINGS = ["invoice", "delivery", "meeting", "laptop", "refund", "contract", "flight", "order", "ticket", "budget"]
STATES = ["late", "missing", "damaged", "cancelled", "urgent", "ready", "confusing", "expensive"]
ACTIONS = ["call back tomorrow", "send an email", "check the records", "visit the branch", "wait a week"]


def synthetic_records(n: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        a, b = rng.sample(NAMES, 2)
        thing, state, action = rng.choice(THINGS), rng.choice(STATES), rng.choice(ACTIONS)
        dialogue = (
            f"#Person1#: Hi {b}, it is {a}. My {thing} is {state} again.\n"
            f"#Person2#: I am sorry, {a}. Let me look at case {i}.\n"
            f"#Person1#: Thanks. What happens now?\n#Person2#: I will {action}."
        )
        records.append(
            {
                "id": f"bench-{i:05d}",
                "prompt": f"Summarize the following conversation.\n\n{dialogue}\n\nSummary:",
                "reference": f"{a} tells {b} that the {thing} is {state}; {b} will {action}.",
            }
        )
    return records


def _history_seconds(emu: Emulator, arn: str, state: str) -> tuple[float | None, float | None]:
    entered = exited = None
    for event in emu.history(arn):
        if event.get("stateEnteredEventDetails", {}).get("name") == state and entered is None:
            entered = event["timestamp"].timestamp()
        if event.get("stateExitedEventDetails", {}).get("name") == state:
            exited = event["timestamp"].timestamp()
    return entered, exited


def run_fanout(emu: Emulator, records: list[dict], args: argparse.Namespace) -> dict:
    from workflow_lambdas.validate_input import handler as validate

    data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
    emu.upload("training", "training-data.jsonl", (paths.sample_data_dir() / "training.jsonl").read_bytes())
    emu.upload("validation", "bench.jsonl", data)
    emu.teach_from_validation_jsonl(data)

    name = f"bench-{uuid.uuid4().hex[:8]}"
    execution_input = {
        "BaseModelIdentifier": BASE_MODEL,
        "CustomModelName": "bench-model",
        "JobName": "bench-job",
        "HyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00005"},
        "TrainingDataFileName": "training-data.jsonl",
        "ValidationDataFileName": "bench.jsonl",
        "Evaluation": {"ShardSize": args.shard_size, "MaxConcurrency": args.max_concurrency},
    }
    arn_prefix = f"arn:aws:states:{emu.config.region}:{emu.config.account_id}:execution:{emu.config.name_prefix}"
    run = validate(
        {"Input": execution_input, "ExecutionArn": f"{arn_prefix}-customize:{name}", "ExecutionName": name}, None
    )

    bedrock = emu.client("bedrock")
    foundation = f"arn:aws:bedrock:{emu.config.region}::foundation-model/{run['InferenceModelId']}"
    throughput = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName=run["ProvisionedModelName"], modelId=foundation
    )["provisionedModelArn"]
    while bedrock.get_provisioned_model_throughput(provisionedModelId=throughput)["status"] != "InService":
        time.sleep(0.05)

    sfn = emu.client("stepfunctions")
    child = sfn.start_execution(
        stateMachineArn=emu.deployment.child_arn,
        name=f"{name}-evaluate",
        input=json.dumps({"run": run, "serving": {"Mode": "provisioned", "ModelId": throughput}}),
    )["executionArn"]
    started = time.monotonic()
    status = "RUNNING"
    while True:
        entered, exited = _history_seconds(emu, child, "Infer")
        status = sfn.describe_execution(executionArn=child)["status"]
        if exited is not None or status != "RUNNING":
            break
        if time.monotonic() - started > args.timeout:
            raise SystemExit(f"the Infer state did not finish within {args.timeout} s")
        time.sleep(0.5)
    if status == "RUNNING":
        sfn.stop_execution(executionArn=child, error="BenchmarkDone", cause="stopped after the Infer state")
    if exited is None:
        raise SystemExit(f"the child execution ended ({status}) before the Infer state exited")

    # every line of every shard, against what was asked
    s3 = emu.client("s3")
    bucket = run["ArtifactsBucket"]
    lines = []
    token = None
    while True:
        kwargs = {"Bucket": bucket, "Prefix": f"{run['RunPrefix']}evaluation/inference/"}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode("utf-8")
            lines += [json.loads(x) for x in body.splitlines() if x.strip()]
        token = page.get("NextContinuationToken")
        if not token:
            break
    expected = {(r["id"], m) for r in records for m in ("base", "custom")}
    seen = Counter((x.get("id"), x.get("model")) for x in lines if "output" in x or "error" in x)
    lost = len(expected - set(seen)) + sum(c - 1 for c in seen.values() if c > 1) + len(set(seen) - expected)
    errors = Counter(x["error"]["type"] for x in lines if "error" in x)
    return {
        "wall": exited - entered,
        "lost": lost,
        "errors": errors,
        "lines": len(lines),
        "run": run,
        "arn": throughput,
    }


def run_sequential(emu: Emulator, records: list[dict], fanout: dict) -> dict:
    """The ancestor's way: one call at a time, base then custom, with the same retry policy."""
    from workflow_lambdas import adapters, infer

    settings = infer.Settings.from_env()
    runtime = infer.runtime_client(settings)
    run = fanout["run"]
    models = {"base": run["InferenceModelId"], "custom": fanout["arn"]}
    family = "llama"
    errors = 0
    started = time.monotonic()
    for record in records:
        for model in ("base", "custom"):
            result = infer.call_with_retry(
                lambda m=model, p=record["prompt"]: adapters.invoke(
                    runtime, family, models[m], p, run["InferenceConfig"]
                ),
                settings,
            )
            errors += result.error is not None
    return {"wall": time.monotonic() - started, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="prompts (each runs on both models)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="emulated latency of an answered call")
    parser.add_argument("--throttle-rate", type=float, default=0.2, help="probability that a call is throttled")
    parser.add_argument("--max-rps", type=float, default=50.0, help="quota per model, calls per second (0: none)")
    parser.add_argument("--shard-size", type=int, default=100)
    parser.add_argument("--max-concurrency", type=int, default=4, help="shards in parallel (Map MaxConcurrency)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent calls per shard (INFERENCE_CONCURRENCY)")
    parser.add_argument("--sequential", type=int, default=200, help="records timed one call at a time")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    for name in ("n", "shard_size", "max_concurrency", "threads", "sequential"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: must be at least 1")
    if not 0 <= args.throttle_rate < 1:
        parser.error("--throttle-rate: use a probability from 0 up to (not including) 1, e.g. 0.2")
    logging.basicConfig(level=logging.WARNING)
    for handler in logging.getLogger().handlers:  # the handlers set their own loggers' levels
        handler.setLevel(logging.WARNING)

    max_rps = args.max_rps or None

    def behaviour(quality: float) -> ModelBehaviour:
        return ModelBehaviour(
            quality=quality, latency_ms=args.latency_ms, throttle_rate=args.throttle_rate, max_rps=max_rps
        )

    # Scoring is not measured: the score function "crashes" at once, so the child stops right after
    # Infer instead of loading BERTScore.
    config = EmulatorConfig(
        base=behaviour(0.45),
        custom=behaviour(0.85),
        inference_threads=args.threads,
        log_level="ERROR",
        crash_functions=("score",),
    )
    records = synthetic_records(args.n)
    calls = 2 * args.n
    shards = -(-args.n // args.shard_size)
    parallel = min(args.max_concurrency, shards) * args.threads
    concurrency_bound = calls * args.latency_ms / 1000.0 / parallel
    burst = max(1.0, max_rps) if max_rps else 0.0
    quota_bound = max(0.0, args.n - burst) / max_rps if max_rps else 0.0
    ideal = max(concurrency_bound, quota_bound)

    print(
        f"fan-out: N={args.n} prompts x 2 models = {calls} calls, {shards} shards of {args.shard_size}, "
        f"MaxConcurrency {args.max_concurrency} x {args.threads} threads = {parallel} calls in flight"
    )
    print(
        f"emulated Bedrock per model: latency {args.latency_ms:.0f} ms, throttle rate {args.throttle_rate:.0%}, "
        f"quota {f'{max_rps:g} calls/s' if max_rps else 'none'}"
    )
    with Emulator(config) as emu:
        fanout = run_fanout(emu, records, args)
        stats = {kind: emu.world.stats[kind] for kind in ("base", "custom")}
        attempts = sum(s.calls for s in stats.values())
        throttled = sum(s.throttled for s in stats.values())
        rate_limited = sum(s.rate_limited for s in stats.values())
        answered = sum(s.answered for s in stats.values())
        max_in_flight = {k: s.max_in_flight for k, s in stats.items()}

        sample = records[: min(args.sequential, args.n)]
        seq = run_sequential(emu, sample, fanout)
    seq_scaled = seq["wall"] * args.n / len(sample)

    wall = fanout["wall"]
    ratio = wall / ideal if ideal else float("inf")
    speedup = seq_scaled / wall if wall else float("inf")
    print(
        f"requests to the models: {attempts} ({answered} answered, {throttled} refused by throttle rate, "
        f"{rate_limited} by quota: {(throttled + rate_limited) / max(1, attempts):.1%} throttled); "
        f"most calls in flight per model {max_in_flight}"
    )
    print(f"lines written       : {fanout['lines']} (expected {calls})")
    print(f"error lines         : {sum(fanout['errors'].values())} {dict(fanout['errors']) or ''}".rstrip())
    print(f"records lost        : {fanout['lost']}")
    print(
        f"ideal lower bound   : {ideal:.2f} s  (concurrency bound {concurrency_bound:.2f} s, "
        f"quota bound {quota_bound:.2f} s)"
    )
    print(f"fan-out wall time   : {wall:.2f} s  (Infer Map state, entered to exited)")
    print(f"ratio wall/ideal    : {ratio:.3f}  (target <= 1.3)")
    print(
        f"one call at a time  : {seq['wall']:.2f} s for {len(sample)} records ({seq['errors']} errors), "
        f"scaled to N: {seq_scaled:.1f} s"
    )
    print(f"result: ratio={ratio:.3f} lost={fanout['lost']} sequential_speedup={speedup:.1f}")
    return 0 if fanout["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
