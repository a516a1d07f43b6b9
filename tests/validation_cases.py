"""The table of bad execution inputs and bad datasets, shared by three suites.

- tests/unit/lambdas/test_validate_input.py: every case through ``validate_execution_input`` (the Lambda's code);
- tests/unit/cli/test_cli_validate.py: every case through ``bedrock-customize validate`` with local files;
- tests/workflow/test_bad_inputs.py: a subset fed to the parent state machine on the emulator.

Files are keyed by (bucket, key) with the buckets of ``ENV``; ``Case.fields`` is the exact set of input fields
the problem lines name (empty: the input is valid).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from workflow_lambdas.plan_shards import MAX_SHARDS

ENV = {
    "TRAINING_BUCKET": "bc-training",
    "VALIDATION_BUCKET": "bc-validation",
    "ARTIFACTS_BUCKET": "bc-artifacts",
    "DEFAULT_MODEL_UNITS": "1",
    "THROUGHPUT_POLL_SECONDS": "60",
    "THROUGHPUT_MAX_POLLS": "90",
    "DEFAULT_RECIPIENTS": "ml-team@example.com, lead@example.com",
    "SHARD_SIZE": "50",
}
TRAIN, VALID = ENV["TRAINING_BUCKET"], ENV["VALIDATION_BUCKET"]
EXEC_NAME = "nightly-2026-01-15"
EXEC_ARN = f"arn:aws:states:us-east-1:123456789012:execution:bc-customize:{EXEC_NAME}"

# The ancestor's input, exactly.
ANCESTOR_INPUT = {
    "BaseModelIdentifier": "cohere.command-light-text-v14:7:4k",
    "CustomModelName": "support-summarizer",
    "JobName": "support-summarizer-job",
    "HyperParameters": {
        "evalPercentage": "20.0",
        "epochCount": "1",
        "batchSize": "8",
        "earlyStoppingPatience": "6",
        "earlyStoppingThreshold": "0.01",
        "learningRate": "0.00001",
    },
    "TrainingDataFileName": "training-data.jsonl",
}
# A current model reading the same prompt/completion data and ancestor-style evaluation files
# (Meta Llama 3.2 1B: customizable in us-west-2 per "Supported models and Regions for fine-tuning").
LLAMA_INPUT = {
    "BaseModelIdentifier": "meta.llama3-2-1b-instruct-v1:0:128k",
    "CustomModelName": "support-summarizer",
    "JobName": "support-summarizer-job",
    "HyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00005"},
    "TrainingDataFileName": "training-data.jsonl",
}
NOVA_INPUT = {
    "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
    "CustomModelName": "ticket-triage",
    "JobName": "ticket-triage-job",
    "HyperParameters": {"epochCount": "2", "learningRate": "0.00001", "learningRateWarmupSteps": "10"},
    "TrainingDataFileName": "nova/train.jsonl",
    "ValidationDataFileName": "nova/validation.jsonl",
    "InferenceConfig": {"MaxTokens": 300, "Temperature": 0.2},
    "Evaluation": {"Metric": "Recall", "Margin": 0.01, "ShardSize": 4, "OnInconclusive": "KEEP"},
    "NotificationEmail": "owner@example.com",
    "ProvisionedModelUnits": 2,
}
CLAUDE_INPUT = {
    "BaseModelIdentifier": "anthropic.claude-3-haiku-20240307-v1:0:200k",
    "CustomModelName": "claims-writer",
    "JobName": "claims-writer-job",
    "HyperParameters": {"epochCount": "2", "batchSize": "16", "earlyStoppingEnabled": "true"},
    "TrainingDataFileName": "claude/train.jsonl",
    "ValidationDataFileName": "claude/validation.jsonl",
}

SUBJECTS = ["a late parcel", "a double charge", "a locked account", "a broken charger", "a missing invoice"]


def jsonl(rows: list) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def pc_rows(n: int) -> list[dict]:
    return [
        {
            "prompt": f"Summarize the chat.\nCustomer {i}: I have {SUBJECTS[i % 5]}.\nAgent: Checking now.",
            "completion": f"Customer {i} reports {SUBJECTS[i % 5]}.",
        }
        for i in range(n)
    ]


def conversation_rows(n: int) -> list[dict]:
    return [
        {
            "schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": "Triage support tickets."}],
            "messages": [
                {"role": "user", "content": [{"text": f"Ticket {i}: {SUBJECTS[i % 5]}."}]},
                {"role": "assistant", "content": [{"text": f"Category: {SUBJECTS[i % 5].split()[-1]}"}]},
            ],
        }
        for i in range(n)
    ]


def anthropic_rows(n: int) -> list[dict]:
    return [
        {
            "system": "Write claim summaries.",
            "messages": [
                {"role": "user", "content": f"Claim {i}: {SUBJECTS[i % 5]}."},
                {"role": "assistant", "content": f"Claim about {SUBJECTS[i % 5]}."},
            ],
        }
        for i in range(n)
    ]


def eval_rows(n: int) -> list[dict]:
    return [
        {"id": f"t-{i:03d}", "prompt": f"Ticket {i}: {SUBJECTS[i % 5]}.", "reference": f"About {SUBJECTS[i % 5]}."}
        for i in range(n)
    ]


def ancestor_files() -> dict[tuple[str, str], bytes]:
    prompts = [
        {"prompt": f"Summarize the following chat.\\n\\nCustomer: {s}.\\nAgent: noted.\\n\\nSummary: "}
        for s in SUBJECTS
    ]
    return {
        (TRAIN, "training-data.jsonl"): jsonl(pc_rows(40)),
        (VALID, "validation-data.json"): json.dumps(prompts, indent=4).encode(),
        (VALID, "reference-inference.json"): json.dumps(
            [f"The customer has {s}." for s in SUBJECTS], indent=4
        ).encode(),
    }


def nova_files() -> dict[tuple[str, str], bytes]:
    return {
        (TRAIN, "nova/train.jsonl"): jsonl(conversation_rows(12)),
        (VALID, "nova/validation.jsonl"): jsonl(eval_rows(10)),
    }


def claude_files() -> dict[tuple[str, str], bytes]:
    return {
        (TRAIN, "claude/train.jsonl"): jsonl(anthropic_rows(5)),
        (VALID, "claude/validation.jsonl"): jsonl(eval_rows(3)),
    }


SCENARIOS: dict[str, tuple[dict, Callable[[], dict]]] = {
    "ancestor": (ANCESTOR_INPUT, ancestor_files),  # parses, but Cohere can no longer be customized
    "llama": (LLAMA_INPUT, ancestor_files),
    "nova": (NOVA_INPUT, nova_files),
    "claude": (CLAUDE_INPUT, claude_files),
}


VALID_SCENARIOS = ("llama", "nova", "claude")


@dataclass
class Case:
    name: str
    scenario: str
    edit: Callable[[dict], object] | None = None
    edit_files: Callable[[dict], object] | None = None
    fields: set[str] = field(default_factory=set)
    contains: str = ""


def _set(**values):
    return lambda raw: raw.update(values)


def _hp(**values):
    return lambda raw: raw["HyperParameters"].update(values)


def _drop(name):
    return lambda raw: raw.pop(name)


def _file(key, data):
    def edit(files):
        files[key] = data

    return edit


def _remove(key):
    return lambda files: files.pop(key)


def _corrupt_line(key, number):
    def edit(files):
        lines = files[key].split(b"\n")
        lines[number - 1] = lines[number - 1][:25]
        files[key] = b"\n".join(lines)

    return edit


A_TRAIN, A_VALID, A_REF = (
    (TRAIN, "training-data.jsonl"),
    (VALID, "validation-data.json"),
    (VALID, "reference-inference.json"),
)
N_TRAIN, N_VALID = (TRAIN, "nova/train.jsonl"), (VALID, "nova/validation.jsonl")

CASES = [
    # schema: missing and mistyped fields
    Case(
        "missing base model",
        "llama",
        _drop("BaseModelIdentifier"),
        fields={"BaseModelIdentifier"},
        contains="is missing",
    ),
    Case("missing training file name", "llama", _drop("TrainingDataFileName"), fields={"TrainingDataFileName"}),
    Case("missing job name", "nova", _drop("JobName"), fields={"JobName"}),
    Case(
        "base model not a string",
        "llama",
        _set(BaseModelIdentifier=42),
        fields={"BaseModelIdentifier"},
        contains="is a number",
    ),
    Case(
        "hyperparameter as number",
        "llama",
        _hp(epochCount=1),
        fields={"HyperParameters.epochCount"},
        contains='write it as a string: "1"',
    ),
    Case("hyperparameters as list", "llama", _set(HyperParameters=["epochCount=1"]), fields={"HyperParameters"}),
    Case(
        "misspelt top-level field",
        "nova",
        _set(HyperParameter={}),
        fields={"HyperParameter"},
        contains="did you mean HyperParameters?",
    ),
    Case("unknown customization type", "llama", _set(CustomizationType="SFT"), fields={"CustomizationType"}),
    Case("unique names not boolean", "nova", _set(UniqueNames="yes"), fields={"UniqueNames"}),
    Case("bad metric", "nova", _set(Evaluation={"Metric": "BLEU"}), fields={"Evaluation.Metric"}),
    Case(
        "confidence out of range",
        "nova",
        _set(Evaluation={"ConfidenceLevel": 1.5}),
        fields={"Evaluation.ConfidenceLevel"},
    ),
    Case("unknown evaluation option", "nova", _set(Evaluation={"Tie": "KEEP"}), fields={"Evaluation.Tie"}),
    Case(
        "cache switch not boolean",
        "nova",
        _set(Evaluation={"Cache": "off"}),
        fields={"Evaluation.Cache"},
        contains='Evaluation.Cache: is a string ("off"), expected boolean; use boolean, e.g. false',
    ),
    Case("cache switch off", "nova", _set(Evaluation={"Cache": False}), fields=set()),
    Case("zero model units", "nova", _set(ProvisionedModelUnits=0), fields={"ProvisionedModelUnits"}),
    Case("bad email", "nova", _set(NotificationEmail="owner-at-example"), fields={"NotificationEmail"}),
    Case("bad email in list", "nova", _set(NotificationEmail=["a@example.com", "nope"]), fields={"NotificationEmail"}),
    Case(
        "max tokens beyond the family",
        "llama",
        _set(InferenceConfig={"MaxTokens": 5000}),
        fields={"InferenceConfig.MaxTokens"},
    ),
    # hyperparameters
    Case(
        "epoch count below range",
        "llama",
        _hp(epochCount="0"),
        fields={"HyperParameters.epochCount"},
        contains="from 1 to 10)",
    ),
    Case("nova learning rate above range", "nova", _hp(learningRate="0.01"), fields={"HyperParameters.learningRate"}),
    Case("nova epochs above range", "nova", _hp(epochCount="6"), fields={"HyperParameters.epochCount"}),
    Case(
        "non-numeric batch size",
        "llama",
        _hp(batchSize="eight"),
        fields={"HyperParameters.batchSize"},
        contains="not a number",
    ),
    Case(
        "fractional epoch count",
        "llama",
        _hp(epochCount="1.5"),
        fields={"HyperParameters.epochCount"},
        contains="not a whole number",
    ),
    Case("nan learning rate", "llama", _hp(learningRate="nan"), fields={"HyperParameters.learningRate"}),
    Case(
        "batch size not offered for nova",
        "nova",
        _hp(batchSize="1"),
        fields={"HyperParameters.batchSize"},
        contains="is not a hyperparameter of Amazon Nova Micro",
    ),
    Case(
        "misspelt hyperparameter",
        "nova",
        _hp(epochs="2"),
        fields={"HyperParameters.epochs"},
        contains="did you mean epochCount?",
    ),
    Case("claude boolean", "claude", _hp(earlyStoppingEnabled="yes"), fields={"HyperParameters.earlyStoppingEnabled"}),
    Case("claude batch size below range", "claude", _hp(batchSize="2"), fields={"HyperParameters.batchSize"}),
    Case(
        "llama batch size other than 1",
        "llama",
        _hp(batchSize="8"),
        fields={"HyperParameters.batchSize"},
        contains='only "1"',
    ),
    # model and customization type
    Case(
        "ancestor input with a model that can no longer be customized",
        "ancestor",
        fields={"BaseModelIdentifier"},
        contains="cohere.command-light-text-v14:7:4k (Cohere Command Light) can no longer be customized",
    ),
    Case(
        "unknown model",
        "llama",
        _set(BaseModelIdentifier="example.text-model-v1:0:32k"),
        fields={"BaseModelIdentifier"},
        contains="AllowUnknownModel",
    ),
    Case(
        "unknown model allowed",
        "llama",
        _set(BaseModelIdentifier="example.text-model-v1:0:32k", AllowUnknownModel=True),
        fields=set(),
    ),
    Case(
        "wrong customization type for the model",
        "llama",
        _set(CustomizationType="CONTINUED_PRE_TRAINING"),
        fields={"CustomizationType", "TrainingDataFileName"},
        contains="is not offered for Meta Llama 3.2 1B Instruct",
    ),
    Case(
        "inference model of another family",
        "nova",
        _set(InferenceModelId="meta.llama3-1-8b-instruct-v1:0"),
        fields={"InferenceModelId"},
    ),
    # names
    Case("job name too long", "nova", _set(JobName="j" * 64), fields={"JobName"}, contains="64 characters long"),
    Case("model name with spaces", "nova", _set(CustomModelName="ticket triage!"), fields={"CustomModelName"}),
    Case("model name starting with dash", "nova", _set(CustomModelName="-triage"), fields={"CustomModelName"}),
    Case("empty job name", "nova", _set(JobName=""), fields={"JobName"}),
    Case(
        "training name as s3 uri",
        "nova",
        _set(TrainingDataFileName="s3://elsewhere/train.jsonl"),
        fields={"TrainingDataFileName"},
        contains="is an S3 URI",
    ),
    # training data
    Case(
        "training file missing",
        "llama",
        edit_files=_remove(A_TRAIN),
        fields={"TrainingDataFileName"},
        contains="s3://bc-training/training-data.jsonl does not exist",
    ),
    Case(
        "empty training file",
        "llama",
        edit_files=_file(A_TRAIN, b""),
        fields={"TrainingDataFileName"},
        contains="is empty",
    ),
    Case(
        "one corrupt line among good ones",
        "llama",
        edit_files=_corrupt_line(A_TRAIN, 17),
        fields={"TrainingDataFileName"},
        contains="training-data.jsonl line 17: not valid JSON",
    ),
    Case(
        "missing completion key",
        "llama",
        edit_files=_file(A_TRAIN, jsonl(pc_rows(5) + [{"prompt": "p"}] + pc_rows(3))),
        fields={"TrainingDataFileName"},
        contains='line 6: missing "completion"',
    ),
    Case(
        "empty completion",
        "llama",
        edit_files=_file(A_TRAIN, jsonl(pc_rows(2) + [{"prompt": "p", "completion": " "}])),
        fields={"TrainingDataFileName"},
        contains='line 3: empty "completion"',
    ),
    Case(
        "training JSON array instead of JSONL",
        "llama",
        edit_files=_file(A_TRAIN, json.dumps(pc_rows(5), indent=2).encode()),
        fields={"TrainingDataFileName"},
        contains="is a JSON array",
    ),
    Case(
        "training not UTF-8",
        "llama",
        edit_files=_file(A_TRAIN, jsonl(pc_rows(3)) + "Ä\n".encode("cp1252")),
        fields={"TrainingDataFileName"},
        contains="is not UTF-8 text",
    ),
    Case(
        "prompt/completion data for nova",
        "nova",
        edit_files=_file(N_TRAIN, jsonl(pc_rows(12))),
        fields={"TrainingDataFileName"},
        contains="conversation (bedrock-conversation-2024) format is expected",
    ),
    Case(
        "too few nova records",
        "nova",
        edit_files=_file(N_TRAIN, jsonl(conversation_rows(3))),
        fields={"TrainingDataFileName"},
        contains="fewer than the 8",
    ),
    # validation data
    Case("validation file missing", "llama", edit_files=_remove(A_VALID), fields={"ValidationDataFileName"}),
    Case(
        "reference file missing",
        "llama",
        edit_files=_remove(A_REF),
        fields={"ReferenceDataFileName"},
        contains="reference-inference.json does not exist",
    ),
    Case(
        "mismatched validation and reference lengths",
        "llama",
        edit_files=_file(A_REF, json.dumps(["only", "three", "refs"]).encode()),
        fields={"ReferenceDataFileName"},
        contains="has 3 references but validation-data.json has 5 prompts",
    ),
    Case(
        "references as JSONL instead of an array",
        "llama",
        edit_files=_file(A_REF, b"".join(json.dumps(f"ref {i}").encode() + b"\n" for i in range(5))),
        fields={"ReferenceDataFileName"},
        contains="is JSON Lines",
    ),
    Case(
        "duplicate ids",
        "nova",
        edit_files=_file(N_VALID, jsonl(eval_rows(4) + [eval_rows(2)[1]])),
        fields={"ValidationDataFileName"},
        contains="line 5: duplicate id (first: 't-001')",
    ),
    Case(
        "missing id",
        "nova",
        edit_files=_file(N_VALID, jsonl(eval_rows(3) + [{"prompt": "p", "reference": "r"}])),
        fields={"ValidationDataFileName"},
        contains='line 4: missing "id"',
    ),
    Case(
        "empty reference",
        "nova",
        edit_files=_file(N_VALID, jsonl(eval_rows(3) + [{"id": "x", "prompt": "p", "reference": ""}])),
        fields={"ValidationDataFileName"},
        contains='line 4: empty "reference"',
    ),
    Case(
        "empty prompt in ancestor array",
        "llama",
        edit_files=_file(
            A_VALID,
            json.dumps([{"prompt": "a"}, {"prompt": ""}, {"prompt": "c"}, {"prompt": "d"}, {"prompt": "e"}]).encode(),
        ),
        fields={"ValidationDataFileName"},
        contains='item 2: empty "prompt"',
    ),
    Case(
        "oversized prompt",
        "llama",
        edit_files=_file(A_VALID, json.dumps([{"prompt": "word " * 21_000}] + [{"prompt": "p"}] * 4).encode()),
        fields={"ValidationDataFileName"},
        contains="item 1: prompt longer than",
    ),
    Case(
        "validation not UTF-8",
        "nova",
        edit_files=_file(N_VALID, b"\xff\xfe" + jsonl(eval_rows(2))),
        fields={"ValidationDataFileName"},
    ),
    Case(
        "corrupt validation JSONL line",
        "nova",
        edit_files=_corrupt_line(N_VALID, 2),
        fields={"ValidationDataFileName"},
        contains="line 2: not valid JSON",
    ),
    Case(
        "too many shards",
        "nova",
        _set(Evaluation={"ShardSize": 1}),
        edit_files=_file(
            N_VALID, jsonl([{"id": str(i), "prompt": "p", "reference": "r"} for i in range(MAX_SHARDS + 1)])
        ),
        fields={"Evaluation.ShardSize"},
    ),
]


CASES_BY_NAME = {case.name: case for case in CASES}


def build(case: Case) -> tuple[dict, dict[tuple[str, str], bytes]]:
    """The case's execution input and dataset files."""
    base_input, base_files = SCENARIOS[case.scenario]
    raw, files = copy.deepcopy(base_input), base_files()
    if case.edit:
        case.edit(raw)
    if case.edit_files:
        case.edit_files(files)
    return raw, files
