"""Known Bedrock base models and the rules of their families.

Used by ``validate_input`` (and the CLI) to check an execution input before any
spend, and by the inference adapters (``family_of`` and the family constants).

The catalog (models, regions, hyperparameters, data formats) and the doc page of every fact are
recorded in docs/model-catalog.md (read 2026-12-02).

Sources: the Bedrock user guide pages "Custom model hyperparameters"
(cm-hp-nova, cm-hp-titan-text, cm-hp-meta-llama31/32, cm-hp-anth-claude-3,
cm-hp-cohere-command) and "Prepare data for fine-tuning text-to-text models",
as known in 2026. Values that could not be confirmed are marked ``UNCERTAIN``;
where in doubt the range is the permissive one, because a value Bedrock rejects
fails ``CreateModelCustomizationJob`` at once (no spend), while a valid value
rejected here would block a legitimate run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Family names: stable, imported by the inference adapters.
NOVA = "nova"
TITAN = "titan"
LLAMA = "llama"
CLAUDE = "claude"
COHERE = "cohere"
FAMILIES = (NOVA, TITAN, LLAMA, CLAUDE, COHERE)

# Customization types (the Bedrock API values).
FINE_TUNING = "FINE_TUNING"
CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
DISTILLATION = "DISTILLATION"
CUSTOMIZATION_TYPES = (FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION)

# Training data formats (one JSON object per line in every case).
PROMPT_COMPLETION = "prompt-completion"  # {"prompt": "...", "completion": "..."}
CONTINUED_INPUT = "input"  # {"input": "..."} (continued pre-training, unlabeled text)
CONVERSATION = "bedrock-conversation-2024"  # {"schemaVersion", "system": [{"text"}], "messages": [...]}
ANTHROPIC_MESSAGES = "anthropic-messages"  # {"system": "...", "messages": [{"role", "content": "..."}]}

FORMAT_HINTS = {
    PROMPT_COMPLETION: '{"prompt": "...", "completion": "..."}',
    CONTINUED_INPUT: '{"input": "..."}',
    CONVERSATION: (
        '{"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "..."}], '
        '"messages": [{"role": "user", "content": [{"text": "..."}]}, '
        '{"role": "assistant", "content": [{"text": "..."}]}]}'
    ),
    ANTHROPIC_MESSAGES: (
        '{"system": "...", "messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}'
    ),
}

GIB = 1024**3

# Amazon Nova user guide, "Preparing data for fine-tuning Understanding models" (read 2026-12-02): these
# terms are reserved keywords; a user or system prompt that starts with or contains one makes the
# training job fail on a data error.
NOVA_RESERVED_KEYWORDS = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")


@dataclass(frozen=True)
class HyperParameter:
    """One hyperparameter: Bedrock takes every value as a string."""

    name: str
    kind: str  # "int" | "float" | "bool"
    minimum: float | None = None
    maximum: float | None = None
    default: str | None = None
    exclusive_minimum: bool = False  # the value must be greater than ``minimum``

    def describe(self) -> str:
        if self.kind == "bool":
            return f'{self.name} ("true" or "false")'
        kind = "a whole number" if self.kind == "int" else "a number"
        if self.minimum == self.maximum:
            return f'{self.name} ({kind}, only "{_fmt(self.minimum)}")'
        low = f"above {_fmt(self.minimum)}" if self.exclusive_minimum else f"from {_fmt(self.minimum)}"
        return f"{self.name} ({kind} {low} to {_fmt(self.maximum)})"


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    if float(value).is_integer() and abs(value) >= 1:
        return str(int(value))
    return f"{value:g}"


@dataclass(frozen=True)
class DataRules:
    """What Bedrock accepts as training data for one customization type."""

    formats: tuple[str, ...]
    min_records: int = 1
    max_records: int = 10_000
    max_bytes: int = 1 * GIB  # UNCERTAIN: per-family file size quotas are not all documented.


@dataclass(frozen=True)
class Family:
    name: str
    display: str
    hyperparameters: tuple[HyperParameter, ...]
    data: dict[str, DataRules]  # by customization type; its keys are the allowed types
    max_output_tokens: int  # largest MaxTokens the on-demand model accepts
    legacy: bool = False
    note: str | None = None  # one clause, no final period: it is shown as "what is wrong" of a warning line
    # A family the current fine-tuning table no longer lists: the current models to pick instead.
    successors: tuple[str, ...] = ()

    @property
    def customization_types(self) -> tuple[str, ...]:
        return tuple(self.data)

    def hyperparameter(self, name: str) -> HyperParameter | None:
        return next((hp for hp in self.hyperparameters if hp.name == name), None)


@dataclass(frozen=True)
class BaseModel:
    """A base model identifier that accepts customization jobs."""

    identifier: str  # as CreateModelCustomizationJob wants it, with the ":<ctx>" suffix
    family: str
    display: str
    inference_id: str  # on-demand model id for InvokeModel / Converse
    context_tokens: int
    customization_types: tuple[str, ...] | None = None  # None: the family's types
    hyperparameter_overrides: tuple[HyperParameter, ...] = field(default_factory=tuple)
    note: str | None = None  # one clause, no final period (shown in a warning line)
    # Regions where CreateModelCustomizationJob accepts this base model ("Supported models and
    # Regions for fine-tuning", custom-model-fine-tuning). Empty: the model can no longer be
    # customized (the current table does not list it).
    customization_regions: frozenset[str] = frozenset()
    # Regions where a model customized from this base can be served by CreateCustomModelDeployment
    # ("Deploy a custom model for on-demand inference"). Empty: on-demand serving is not offered.
    on_demand_regions: frozenset[str] = frozenset()

    @property
    def customizable(self) -> bool:
        """Whether the current fine-tuning table lists this model in any region."""
        return bool(self.customization_regions)


# --- families ---------------------------------------------------------------

_NOVA = Family(
    name=NOVA,
    display="Amazon Nova",
    # Docs (cm-hp-nova) list exactly these three. The project brief mentioned a
    # fixed batchSize of 1; Bedrock's table does not list batchSize for Nova, so
    # it is rejected here as an unknown hyperparameter.
    hyperparameters=(
        HyperParameter("epochCount", "int", 1, 5, "2"),
        HyperParameter("learningRate", "float", 1e-6, 1e-4, "0.00001"),
        HyperParameter("learningRateWarmupSteps", "int", 0, 100, "10"),
    ),
    data={
        # Nova fine-tuning and distillation read the Converse-style schema only;
        # prompt/completion lines are rejected by the job (Nova user guide,
        # "Preparing data for fine-tuning Understanding models").
        # Nova: 8 to 20,000 records (UNCERTAIN on the exact bounds; 20k is the
        # default quota "sum of training and validation records").
        FINE_TUNING: DataRules(formats=(CONVERSATION,), min_records=8, max_records=20_000),
        # Distillation: prompts in the conversation schema; the assistant turn is
        # optional (the teacher answers). Up to 15,000 prompts (UNCERTAIN).
        DISTILLATION: DataRules(formats=(CONVERSATION,), min_records=100, max_records=15_000),
    },
    # Nova text models accept up to 10k output tokens since 2025 (5k before). UNCERTAIN.
    max_output_tokens=10_000,
)

_TITAN = Family(
    name=TITAN,
    display="Amazon Titan Text",
    # Titan Text Lite / Express (cm-hp-titan-text). Docs give learningRate as
    # 0.0-1; zero is meaningless, so the minimum is exclusive here.
    hyperparameters=(
        HyperParameter("epochCount", "int", 1, 10, "5"),
        HyperParameter("batchSize", "int", 1, 64, "1"),
        HyperParameter("learningRate", "float", 0.0, 1.0, "0.00001", exclusive_minimum=True),
        HyperParameter("learningRateWarmupSteps", "int", 0, 250, "5"),
    ),
    data={
        FINE_TUNING: DataRules(formats=(PROMPT_COMPLETION,), max_records=10_000),
        # Continued pre-training: unlabeled {"input": ...}; 100,000 records quota.
        CONTINUED_PRE_TRAINING: DataRules(formats=(CONTINUED_INPUT,), max_records=100_000, max_bytes=10 * GIB),
    },
    max_output_tokens=8_192,  # Express 8k; Lite accepts 4k (checked per model below)
    legacy=True,
    note="Titan Text G1 models are only offered in some (older) regions",
    # The current fine-tuning table (custom-model-fine-tuning) lists no Titan Text model.
    successors=("amazon.nova-micro-v1:0:128k", "amazon.nova-lite-v1:0:300k"),
)

_LLAMA = Family(
    name=LLAMA,
    display="Meta Llama 3.x Instruct",
    # cm-hp-meta-llama31 / cm-hp-meta-llama32: exactly these three.
    hyperparameters=(
        HyperParameter("epochCount", "int", 1, 10, "5"),
        HyperParameter("batchSize", "int", 1, 1, "1"),
        HyperParameter("learningRate", "float", 5e-6, 0.1, "0.0001"),
    ),
    data={
        # Text-to-text models accept prompt/completion lines or the Converse
        # schema ("Prepare data for fine-tuning text-to-text models").
        FINE_TUNING: DataRules(formats=(PROMPT_COMPLETION, CONVERSATION), max_records=10_000),
        # DISTILLATION: no Llama teacher/student pair could be confirmed in the docs read on
        # 2026-12-02 (docs/model-catalog.md), so it is refused at ValidateInput.
    },
    max_output_tokens=2_048,  # max_gen_len upper bound on Bedrock
    note=(
        "On-demand Llama 3.2 (and Llama 3.1 in most regions) is only reachable through a "
        "cross-region inference profile, e.g. us.meta.llama3-2-1b-instruct-v1:0"
    ),
)

_CLAUDE = Family(
    name=CLAUDE,
    display="Anthropic Claude 3 Haiku",
    # cm-hp-anth-claude-3. earlyStoppingEnabled is accepted by the API
    # (UNCERTAIN: it is not in every version of the docs table).
    hyperparameters=(
        HyperParameter("epochCount", "int", 1, 10, "2"),
        HyperParameter("batchSize", "int", 4, 256, "32"),
        HyperParameter("learningRateMultiplier", "float", 0.1, 2.0, "1"),
        HyperParameter("earlyStoppingEnabled", "bool", None, None, "true"),
        HyperParameter("earlyStoppingThreshold", "float", 0.0, 0.1, "0.001"),
        HyperParameter("earlyStoppingPatience", "int", 1, 10, "2"),
    ),
    data={
        # Fine-tuning: Anthropic Messages lines, "system" optional string,
        # alternating user/assistant turns starting with user, ending with
        # assistant, no other keys. Distillation (Claude 3 Haiku as student):
        # the Bedrock conversation schema like every distillation job.
        FINE_TUNING: DataRules(formats=(ANTHROPIC_MESSAGES,), max_records=10_000),
        # DISTILLATION: no Claude teacher/student pair could be confirmed (docs/model-catalog.md).
    },
    max_output_tokens=4_096,
    note="Claude 3 Haiku fine-tuning is offered in us-west-2",
)

_COHERE = Family(
    name=COHERE,
    display="Cohere Command (legacy)",
    # cm-hp-cohere-command: batchSize is 8 for Command, 8-32 for Command Light
    # (per-model override below).
    hyperparameters=(
        HyperParameter("epochCount", "int", 1, 100, "1"),
        HyperParameter("batchSize", "int", 8, 8, "8"),
        HyperParameter("learningRate", "float", 5e-6, 0.1, "0.00001"),
        HyperParameter("earlyStoppingThreshold", "float", 0.0, 0.1, "0.01"),
        HyperParameter("earlyStoppingPatience", "int", 1, 10, "6"),
        HyperParameter("evalPercentage", "float", 5, 50, "20"),
    ),
    data={FINE_TUNING: DataRules(formats=(PROMPT_COMPLETION,), max_records=10_000)},
    max_output_tokens=4_096,
    legacy=True,
    note=(
        "Cohere Command and Command Light are end-of-life on Bedrock, so customization and "
        "inference may no longer be available in your region"
    ),
    # The current fine-tuning table (custom-model-fine-tuning) lists no Cohere model.
    successors=("amazon.nova-micro-v1:0:128k", "meta.llama3-2-1b-instruct-v1:0:128k"),
)

FAMILY_RULES: dict[str, Family] = {f.name: f for f in (_NOVA, _TITAN, _LLAMA, _CLAUDE, _COHERE)}


# --- known base models ----------------------------------------------------------

_LLAMA_32_NOTE = "Llama 3.2 on-demand inference needs an inference profile id (us.meta..., eu.meta...)"

US_EAST_1 = "us-east-1"
US_WEST_2 = "us-west-2"
_EAST = frozenset({US_EAST_1})
_WEST = frozenset({US_WEST_2})

# The model catalog. Regions per model from the Bedrock user guide, "Supported models and Regions for
# fine-tuning" (custom-model-fine-tuning, "Single-region model support" column) and "Deploy a custom
# model for on-demand inference" (Supported base models), read 2026-12-02; see docs/model-catalog.md.
BASE_MODELS: dict[str, BaseModel] = {
    m.identifier: m
    for m in (
        BaseModel(
            "amazon.nova-micro-v1:0:128k",
            NOVA,
            "Amazon Nova Micro",
            "amazon.nova-micro-v1:0",
            128_000,
            customization_regions=_EAST,
            on_demand_regions=_EAST,
        ),
        BaseModel(
            "amazon.nova-lite-v1:0:300k",
            NOVA,
            "Amazon Nova Lite",
            "amazon.nova-lite-v1:0",
            300_000,
            customization_regions=_EAST,
            on_demand_regions=_EAST,
        ),
        BaseModel(
            "amazon.nova-pro-v1:0:300k",
            NOVA,
            "Amazon Nova Pro",
            "amazon.nova-pro-v1:0",
            300_000,
            customization_regions=_EAST,
            on_demand_regions=_EAST,
        ),
        BaseModel(
            "amazon.nova-2-lite-v1:0:256k",
            NOVA,
            "Amazon Nova 2 Lite",
            "amazon.nova-2-lite-v1:0",
            256_000,
            customization_types=(FINE_TUNING,),
            customization_regions=_EAST,
            on_demand_regions=_EAST,
        ),
        # Titan Text and Cohere Command: no longer in the fine-tuning table (no customization
        # region). Kept so that the ancestor's input parses and gets a clear "pick instead" line,
        # and so that the inference adapters still recognise the base models.
        # Titan on-demand ids have no ":0" (amazon.titan-text-express-v1).
        BaseModel(
            "amazon.titan-text-lite-v1:0:4k",
            TITAN,
            "Amazon Titan Text G1 - Lite",
            "amazon.titan-text-lite-v1",
            4_096,
        ),
        BaseModel(
            "amazon.titan-text-express-v1:0:8k",
            TITAN,
            "Amazon Titan Text G1 - Express",
            "amazon.titan-text-express-v1",
            8_192,
        ),
        BaseModel(
            "meta.llama3-1-8b-instruct-v1:0:128k",
            LLAMA,
            "Meta Llama 3.1 8B Instruct",
            "meta.llama3-1-8b-instruct-v1:0",
            128_000,
            customization_regions=_WEST,
        ),
        BaseModel(
            "meta.llama3-1-70b-instruct-v1:0:128k",
            LLAMA,
            "Meta Llama 3.1 70B Instruct",
            "meta.llama3-1-70b-instruct-v1:0",
            128_000,
            customization_regions=_WEST,
        ),
        BaseModel(
            "meta.llama3-2-1b-instruct-v1:0:128k",
            LLAMA,
            "Meta Llama 3.2 1B Instruct",
            "meta.llama3-2-1b-instruct-v1:0",
            128_000,
            note=_LLAMA_32_NOTE,
            customization_regions=_WEST,
        ),
        BaseModel(
            "meta.llama3-2-3b-instruct-v1:0:128k",
            LLAMA,
            "Meta Llama 3.2 3B Instruct",
            "meta.llama3-2-3b-instruct-v1:0",
            128_000,
            note=_LLAMA_32_NOTE,
            customization_regions=_WEST,
        ),
        # 11B / 90B are the vision models: fine-tuning only (no distillation student).
        BaseModel(
            "meta.llama3-2-11b-instruct-v1:0:128k",
            LLAMA,
            "Meta Llama 3.2 11B Vision Instruct",
            "meta.llama3-2-11b-instruct-v1:0",
            128_000,
            customization_types=(FINE_TUNING,),
            note=_LLAMA_32_NOTE,
            customization_regions=_WEST,
        ),
        BaseModel(
            "meta.llama3-2-90b-instruct-v1:0:128k",
            LLAMA,
            "Meta Llama 3.2 90B Vision Instruct",
            "meta.llama3-2-90b-instruct-v1:0",
            128_000,
            customization_types=(FINE_TUNING,),
            note=_LLAMA_32_NOTE,
            customization_regions=_WEST,
        ),
        BaseModel(
            "meta.llama3-3-70b-instruct-v1:0:128k",
            LLAMA,
            "Meta Llama 3.3 70B Instruct",
            "meta.llama3-3-70b-instruct-v1:0",
            128_000,
            customization_regions=_WEST,
            on_demand_regions=_WEST,
        ),
        BaseModel(
            "anthropic.claude-3-haiku-20240307-v1:0:200k",
            CLAUDE,
            "Anthropic Claude 3 Haiku",
            "anthropic.claude-3-haiku-20240307-v1:0",
            200_000,
            customization_regions=_WEST,
        ),
        BaseModel("cohere.command-text-v14:7:4k", COHERE, "Cohere Command", "cohere.command-text-v14", 4_096),
        BaseModel(
            "cohere.command-light-text-v14:7:4k",
            COHERE,
            "Cohere Command Light",
            "cohere.command-light-text-v14",
            4_096,
            hyperparameter_overrides=(HyperParameter("batchSize", "int", 8, 32, "8"),),
        ),
    )
}

# Per-model output limits that differ from the family's.
_MAX_OUTPUT_OVERRIDES = {"amazon.titan-text-lite-v1:0:4k": 4_096}


# --- distillation teachers ---------------------------------------------------------


@dataclass(frozen=True)
class Teacher:
    """A distillation teacher and the student base models it is paired with."""

    identifier: str  # bare model id; a cross-region profile (us.<id>) or ARN of it is accepted too
    display: str
    students: frozenset[str]


# Amazon Nova User Guide, "Customizing Amazon Nova models" (availability table, read 2026-12-02):
# Nova Premier is a distillation teacher, Nova Pro teacher and student, Nova Lite and Micro students.
# Bedrock "Choose teacher and student models for distillation" pairs each teacher with smaller students.
_NOVA_STUDENTS = frozenset({"amazon.nova-micro-v1:0:128k", "amazon.nova-lite-v1:0:300k"})
DISTILLATION_TEACHERS: dict[str, Teacher] = {
    t.identifier: t
    for t in (
        Teacher("amazon.nova-premier-v1:0", "Amazon Nova Premier", _NOVA_STUDENTS | {"amazon.nova-pro-v1:0:300k"}),
        Teacher("amazon.nova-pro-v1:0", "Amazon Nova Pro", _NOVA_STUDENTS),
    )
}


def teacher_of(identifier: object) -> Teacher | None:
    """The known teacher for a model id, foundation-model ARN or cross-region inference profile (id or ARN)."""
    if not isinstance(identifier, str):
        return None
    return DISTILLATION_TEACHERS.get(bare_model_id(identifier))


def teachers_for(student: BaseModel) -> list[str]:
    """Teacher ids paired with a student, as cross-region profiles where the teacher needs one."""
    return [t.identifier for t in DISTILLATION_TEACHERS.values() if student.identifier in t.students]


# --- identifier helpers -----------------------------------------------------------

# Cross-region inference profile prefixes: "us.amazon.nova-micro-v1:0".
_PROFILE_PREFIX = re.compile(r"^(?:us|eu|apac|us-gov|ca|jp|au|global)\.(?=[a-z]+\.)")
# The customization context suffix: ":128k", ":300k", ":4k", ":8k", ":200k" (also ":mm" for multimodal).
_CONTEXT_SUFFIX = re.compile(r":(?:\d+k|mm)$", re.IGNORECASE)
_FAMILY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^amazon\.nova-(?!canvas|reel|sonic)"), NOVA),
    (re.compile(r"^amazon\.titan-(?:text|tg1)"), TITAN),
    (re.compile(r"^meta\.llama"), LLAMA),
    (re.compile(r"^anthropic\.claude"), CLAUDE),
    (re.compile(r"^cohere\.command"), COHERE),
)


def bare_model_id(model_id: str) -> str:
    """The model id without ARN and inference profile prefixes.

    ``arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0`` and
    ``us.amazon.nova-micro-v1:0`` both give ``amazon.nova-micro-v1:0``.
    """
    value = model_id.strip()
    if value.startswith("arn:"):
        value = value.rsplit("/", 1)[-1]
    return _PROFILE_PREFIX.sub("", value)


def family_of(model_id: str) -> str | None:
    """Family name of a base, customization or on-demand model id (or ARN); None if unknown.

    Works for ``amazon.nova-micro-v1:0:128k``, ``amazon.nova-micro-v1:0``,
    ``us.amazon.nova-micro-v1:0`` and foundation-model ARNs. A provisioned
    throughput or custom model ARN carries no model name: None.
    """
    if not isinstance(model_id, str) or not model_id:
        return None
    bare = bare_model_id(model_id)
    for pattern, family in _FAMILY_PATTERNS:
        if pattern.search(bare):
            return family
    return None


def lookup(base_identifier: object) -> BaseModel | None:
    """The known base model for an identifier (ARN or bare), or None."""
    if not isinstance(base_identifier, str):
        return None
    return BASE_MODELS.get(bare_model_id(base_identifier))


def article(word: str) -> str:
    """``a`` or ``an`` before a word, by its first letter: "an Amazon Nova model", "a Meta Llama model"."""
    return "an" if word[:1].lower() in ("a", "e", "i", "o", "u") else "a"


def with_context_suffix(model_id: str) -> str | None:
    """The id with a known context suffix appended, when that is a known base model; else None.

    ``amazon.nova-micro-v1:0`` gives ``amazon.nova-micro-v1:0:128k``: the on-demand id of a model
    given where Bedrock wants the customization id.
    """
    if not isinstance(model_id, str) or not model_id.strip() or _CONTEXT_SUFFIX.search(model_id.strip()):
        return None
    suffixes = dict.fromkeys(m.group(0) for m in map(_CONTEXT_SUFFIX.search, BASE_MODELS) if m)
    return next((model_id.strip() + s for s in suffixes if lookup(model_id.strip() + s) is not None), None)


def near_model(model_id: str) -> str | None:
    """A known base model id the given one is probably meant to be, or None.

    The model's on-demand id (``cohere.command-text-v14``) or the id with another context suffix
    (``amazon.nova-micro-v1:0:300k``); not a near spelling, which is as likely another version of the
    model. Appending the missing context suffix is ``with_context_suffix``.
    """
    if not isinstance(model_id, str) or not model_id.strip():
        return None
    bare = bare_model_id(model_id)
    by_inference = next((m.identifier for m in BASE_MODELS.values() if m.inference_id == bare), None)
    if by_inference:
        return by_inference
    return with_context_suffix(_CONTEXT_SUFFIX.sub("", bare))


def models_of(family: str) -> list[str]:
    """The known base model ids of a family."""
    return [m.identifier for m in BASE_MODELS.values() if m.family == family]


def inference_model_id(base_identifier: str) -> str:
    """On-demand model id of a base model identifier.

    Known models use the registry (``cohere.command-light-text-v14:7:4k`` →
    ``cohere.command-light-text-v14``, ``amazon.titan-text-express-v1:0:8k`` →
    ``amazon.titan-text-express-v1``). Otherwise the trailing ``:<ctx>`` context
    suffix is removed (``amazon.nova-micro-v1:0:128k`` → ``amazon.nova-micro-v1:0``);
    an id without such a suffix is returned unchanged (ARN prefix removed).
    """
    known = lookup(base_identifier)
    if known is not None:
        return known.inference_id
    bare = bare_model_id(base_identifier) if base_identifier.startswith("arn:") else base_identifier.strip()
    return _CONTEXT_SUFFIX.sub("", bare)


def on_demand_supported(model: BaseModel, region: str) -> bool:
    """Whether a model customized from ``model`` in ``region`` can be deployed for on-demand inference.

    Both conditions must hold: the model is customizable in the region (the custom model lives where
    its job ran) and on-demand deployment of that base is offered there ("Deploy a custom model for
    on-demand inference").
    """
    return region in model.customization_regions and region in model.on_demand_regions


def successors_of(model: BaseModel) -> str:
    """What to pick instead of a model that can no longer be customized: ``id (region), id (region)``."""
    picks = FAMILY_RULES[model.family].successors or (next(iter(BASE_MODELS)),)
    return " or ".join(f"{pick} ({', '.join(sorted(BASE_MODELS[pick].customization_regions))})" for pick in picks)


def home_region(model: BaseModel) -> str | None:
    """The region a run of this model should be deployed in (the emulator/demo region): us-east-1 when the
    model is customizable there, else its first customization region; None when it is not customizable."""
    if US_EAST_1 in model.customization_regions:
        return US_EAST_1
    return min(model.customization_regions, default=None)


def customizable_in(model: BaseModel, region: str) -> bool:
    """Whether a customization job for ``model`` can run in ``region``."""
    return region in model.customization_regions


def family_rules(family: str) -> Family:
    return FAMILY_RULES[family]


def hyperparameters_for(model: BaseModel) -> tuple[HyperParameter, ...]:
    """The family's hyperparameters with the model's overrides applied."""
    overrides = {hp.name: hp for hp in model.hyperparameter_overrides}
    return tuple(overrides.get(hp.name, hp) for hp in FAMILY_RULES[model.family].hyperparameters)


def customization_types_for(model: BaseModel) -> tuple[str, ...]:
    return model.customization_types or FAMILY_RULES[model.family].customization_types


def max_output_tokens_for(model: BaseModel) -> int:
    return _MAX_OUTPUT_OVERRIDES.get(model.identifier, FAMILY_RULES[model.family].max_output_tokens)


def data_rules(family: str | None, customization_type: str) -> DataRules | None:
    """Training data rules for a family and type; None for an unknown family or type."""
    if family is None or family not in FAMILY_RULES:
        return None
    return FAMILY_RULES[family].data.get(customization_type)


def is_legacy(base_identifier: str) -> bool:
    family = family_of(base_identifier)
    return bool(family and FAMILY_RULES[family].legacy)
