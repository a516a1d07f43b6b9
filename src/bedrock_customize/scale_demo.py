"""``demo --records N [--shard-size S]``: a run on N synthetic validation records, and what it measured.

The records are in the sample's format (``validation-data.json``: a JSON array of ``{"prompt"}``,
``reference-inference.json``: the references by position), made from the sample's dialogues with a
deterministic seed, each prompt unique (a reference number per record) so records never collide.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

from . import paths

SEED = 7
VALIDATION_KEY = "scale/validation-data.json"
REFERENCE_KEY = "scale/reference-inference.json"


def synthetic_records(count: int, seed: int = SEED) -> tuple[list[dict[str, str]], list[str]]:
    """``count`` prompts (sample format) and their references, the same for the same seed."""
    sample = paths.sample_data_dir()
    prompts = json.loads((sample / "validation-data.json").read_text(encoding="utf-8"))
    references = json.loads((sample / "reference-inference.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    out_prompts: list[dict[str, str]] = []
    out_references: list[str] = []
    for index in range(count):
        pick = rng.randrange(len(prompts))
        code = f"{index:06d}-{rng.randrange(16**4):04x}"
        prompt = prompts[pick]["prompt"]
        head, _, tail = prompt.rpartition("\n\nSummary:")
        out_prompts.append({"prompt": f"{head}\n#Person2#: Your reference number is {code}.\n\nSummary:{tail}"})
        out_references.append(f"{references[pick]} The reference number is {code}.")
    return out_prompts, out_references


def upload(emu: Any, count: int, seed: int = SEED, base_model: str | None = None) -> dict[str, str]:
    """Upload the training sample (in ``base_model``'s format when given) and ``count`` synthetic
    validation records; teach the emulated models."""
    from .emulator.samples import training_data_for

    sample = paths.sample_data_dir()
    emu.upload(
        "training", "training-data.jsonl", training_data_for((sample / "training.jsonl").read_bytes(), base_model)
    )
    prompts, references = synthetic_records(count, seed)
    emu.upload("validation", VALIDATION_KEY, json.dumps(prompts).encode("utf-8"))
    emu.upload("validation", REFERENCE_KEY, json.dumps(references).encode("utf-8"))
    emu.world.teach({p["prompt"]: r for p, r in zip(prompts, references, strict=True)})
    return {"ValidationDataFileName": VALIDATION_KEY, "ReferenceDataFileName": REFERENCE_KEY}


def state_seconds(events_by_execution: list[list[dict[str, Any]]]) -> dict[str, float]:
    """State name -> seconds between its entered and exited events, summed over every execution given."""
    totals: dict[str, float] = {}
    for events in events_by_execution:
        entered: dict[str, datetime] = {}
        for event in events:
            details = event.get("stateEnteredEventDetails")
            if details:
                entered[details["name"]] = event["timestamp"]
                continue
            details = event.get("stateExitedEventDetails")
            if details and details["name"] in entered:
                seconds = (event["timestamp"] - entered.pop(details["name"])).total_seconds()
                totals[details["name"]] = round(totals.get(details["name"], 0.0) + seconds, 3)
    return totals


def measurements(emu: Any, execution_arn: str) -> dict[str, Any]:
    """``records_scored``, ``shards``, ``max_state_bytes``, ``max_history_events``, ``state_seconds``."""
    from .emulator import limits

    state = emu.final_state(execution_arn)
    counts = (((state.get("evaluation") or {}).get("Result") or {}).get("Counts")) or {}
    run = state.get("run") or {}
    shards = None
    if run.get("ArtifactsBucket") and run.get("RunPrefix"):
        try:
            body = emu.client("s3").get_object(
                Bucket=run["ArtifactsBucket"], Key=f"{run['RunPrefix']}evaluation/manifest.json"
            )["Body"]
            shards = len(json.loads(body.read()))
        except Exception:  # noqa: BLE001 - no manifest: the run failed before PlanShards
            shards = None
    histories = [emu.history(execution_arn)] + [emu.history(arn) for arn in emu.child_executions()]
    return {
        "records_scored": counts.get("Scored"),
        "shards": shards,
        "max_state_bytes": limits.OBSERVED.max_state_bytes,
        "max_history_events": limits.OBSERVED.max_history_events,
        "state_seconds": state_seconds(histories),
    }
