"""The project's sample training data in the format a base model's family trains on.

The sample is prompt/completion JSONL (Llama, Titan, Cohere); Nova trains on the Bedrock conversation
format (``bedrock-conversation-2024``), Claude 3 Haiku on Anthropic messages. The format each family
needs comes from ``workflow_lambdas.model_families`` (one table), not from here.
"""

from __future__ import annotations

import json

from workflow_lambdas import model_families as mf

SYSTEM = "You summarize conversations in one or two sentences."


def _record(prompt: str, completion: str, data_format: str) -> dict:
    if data_format == mf.CONVERSATION:
        return {
            "schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": SYSTEM}],
            "messages": [
                {"role": "user", "content": [{"text": prompt}]},
                {"role": "assistant", "content": [{"text": completion}]},
            ],
        }
    if data_format == mf.ANTHROPIC_MESSAGES:
        return {
            "system": SYSTEM,
            "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}],
        }
    return {"prompt": prompt, "completion": completion}


def training_data_for(sample: bytes, base_model: str | None) -> bytes:
    """``sample`` (prompt/completion JSONL) converted to the training format of ``base_model``'s family."""
    model = mf.lookup(base_model) if base_model else None
    if model is None:
        return sample
    rules = mf.data_rules(model.family, mf.FINE_TUNING)
    formats = rules.formats if rules else ()
    if not formats or mf.PROMPT_COMPLETION in formats:
        return sample
    lines = []
    for line in sample.decode("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            lines.append(json.dumps(_record(record["prompt"], record["completion"], formats[0]), ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")
