"""Emulated Amazon Bedrock: what moto 5.2.5 lacks or gets wrong.

- Provisioned throughput create/get/delete/list, with tags and status
  transitions (Creating -> InService | Failed, or never leaving Creating).
- Custom model deployments (on-demand inference) create/get/delete/list, with
  tags and status transitions (Creating -> Active | Failed, or never leaving
  Creating); the deployment ARN is a ``modelId`` for InvokeModel/Converse.
- ``clientRequestToken`` on every create (job, throughput, deployment): the same
  token returns the resource the first call created, as the service does.
- Customization jobs that move from InProgress to a configured outcome, a
  custom model only when the job completes, and the right ``outputModelArn``.
- bedrock-runtime ``InvokeModel`` answers shaped like each model family's real
  response (Nova, Titan, Llama, Claude, Cohere) and ``Converse``, with
  configurable quality, latency, throttling and poison records.

State lives in one :class:`BedrockWorld` per emulator; moto's response
classes reach it through :func:`active_world`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import JsonRESTError

from workflow_lambdas.contract import tags as tag_keys

from .config import EmulatorConfig, ModelBehaviour

CANDIDATE_TAG = tag_keys.CANDIDATE

_FILLER = ("the", "a", "talk", "about", "some", "thing", "people", "said", "then", "it", "was", "day")

_world_lock = threading.Lock()
_world: BedrockWorld | None = None


def active_world() -> BedrockWorld:
    if _world is None:
        raise RuntimeError("the Bedrock emulator is not started")
    return _world


def set_active_world(world: BedrockWorld | None) -> None:
    global _world
    with _world_lock:
        _world = world


class ThrottlingException(JsonRESTError):
    code = 429

    def __init__(self, message: str = "Too many requests, please wait before trying again.") -> None:
        super().__init__("ThrottlingException", message)


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


class ResourceNotFoundException(JsonRESTError):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class ServiceQuotaExceededException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ServiceQuotaExceededException", message)


def job_failure_message(training_data_config: dict | None) -> str:
    """What GetModelCustomizationJob's ``failureMessage`` says for the ``customization_job: Failed`` fault:
    a data-validation failure naming the training file, as a real job that rejects its data reports it."""
    uri = (training_data_config or {}).get("s3Uri") or (training_data_config or {}).get("S3Uri") or "the training data"
    return (
        f"Data validation failed for {uri}: line 3: the record has no 'prompt' field. "
        "Fix the dataset format and create a new customization job."
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Throughput:
    arn: str
    name: str
    model_arn: str
    model_units: int
    commitment: str | None
    tags: dict[str, str]
    status: str = "Creating"
    polls: int = 0
    created: str = field(default_factory=_now)
    deleted: bool = False

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "modelUnits": self.model_units,
            "desiredModelUnits": self.model_units,
            "provisionedModelName": self.name,
            "provisionedModelArn": self.arn,
            "modelArn": self.model_arn,
            "desiredModelArn": self.model_arn,
            "foundationModelArn": self.model_arn,
            "status": self.status,
            "creationTime": self.created,
            "lastModifiedTime": self.created,
        }
        if self.commitment:
            out["commitmentDuration"] = self.commitment
        return out


@dataclass
class CustomModelDeployment:
    """One on-demand deployment; ``describe()`` is GetCustomModelDeployment's output (botocore shape)."""

    arn: str
    name: str
    model_arn: str
    tags: dict[str, str]
    description: str | None = None
    status: str = "Creating"
    polls: int = 0
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)
    failure_message: str | None = None
    deleted: bool = False

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "customModelDeploymentArn": self.arn,
            "modelDeploymentName": self.name,
            "modelArn": self.model_arn,
            "createdAt": self.created,
            "status": self.status,
            "lastUpdatedAt": self.updated,
        }
        if self.description:
            out["description"] = self.description
        if self.failure_message:
            out["failureMessage"] = self.failure_message
        return out

    def summary(self) -> dict[str, Any]:
        """One ``modelDeploymentSummaries`` entry of ListCustomModelDeployments (botocore shape)."""
        out = {
            "customModelDeploymentArn": self.arn,
            "customModelDeploymentName": self.name,
            "modelArn": self.model_arn,
            "createdAt": self.created,
            "status": self.status,
            "lastUpdatedAt": self.updated,
        }
        if self.failure_message:
            out["failureMessage"] = self.failure_message
        return out


def family_of_model_id(model_id: str) -> str:
    bare = model_id.split("/")[-1]
    for prefix in ("us.", "eu.", "apac.", "global."):
        if bare.startswith(prefix):
            bare = bare[len(prefix) :]
    table = (
        ("amazon.nova", "nova"),
        ("amazon.titan-text", "titan"),
        ("meta.llama", "llama"),
        ("anthropic.claude", "claude"),
        ("cohere.command", "cohere"),
    )
    for prefix, family in table:
        if bare.startswith(prefix):
            return family
    raise ValidationException(f"The provided model identifier is invalid: {model_id}")


class TokenBucket:
    """A per-model quota: ``rate`` calls per second, at most ``capacity`` saved up.

    ``clock`` is injectable so tests can drive time by hand.
    """

    def __init__(self, rate: float, capacity: float | None = None, clock=time.monotonic) -> None:
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        self.clock = clock
        self.tokens = self.capacity
        self.stamp = clock()

    def take(self) -> bool:
        """Spend one call of quota if there is one (not thread safe: hold the world lock)."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class RuntimeStats:
    """What the emulated models saw, per model kind (``base`` / ``custom``)."""

    calls: int = 0  # every call that reached a model, refused or not
    answered: int = 0
    throttled: int = 0  # refused by throttle_rate
    rate_limited: int = 0  # refused by max_rps
    in_flight: int = 0
    max_in_flight: int = 0


class BedrockWorld:
    """The emulated Bedrock account: throughputs, job progress, model behaviour."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.throughputs: dict[str, Throughput] = {}
        self.deployments: dict[str, CustomModelDeployment] = {}
        # clientRequestToken -> ARN, per create API (idempotency, as the service keeps it)
        self.tokens: dict[tuple[str, str], str] = {}
        self.create_calls: dict[str, int] = {"job": 0, "throughput": 0, "deployment": 0}
        self.job_polls: dict[str, int] = {}
        # job ARN -> the customizationConfig it was created with (moto drops it; botocore's
        # GetModelCustomizationJob output returns it)
        self.customization_configs: dict[str, dict[str, Any]] = {}
        self.oracle: dict[str, str] = {}
        self.rng = random.Random(config.seed)
        # per model kind; "judge" (the LLM judge) appears with its first call
        self.stats: dict[str, RuntimeStats] = {"base": RuntimeStats(), "custom": RuntimeStats()}
        self.buckets: dict[str, TokenBucket] = {}
        self.delete_calls: list[str] = []
        # Called (outside the lock) when a prompt has no known reference, e.g. to learn more pairs with
        # teach(); the lookup is then tried once more.
        self.on_unknown_prompt: Callable[[], object] | None = None

    # -- references the emulated models "know" -------------------------------------------
    def teach(self, pairs: dict[str, str]) -> None:
        """Register prompt -> reference pairs: emulated outputs are derived from them."""
        with self.lock:
            self.oracle.update({p.strip(): r for p, r in pairs.items()})

    # -- provisioned throughput ------------------------------------------------------------
    def create_throughput(self, region: str, account: str, body: dict[str, Any]) -> dict[str, Any]:
        token = body.get("clientRequestToken")
        with self.lock:
            self.create_calls["throughput"] += 1
            if token and ("throughput", token) in self.tokens:
                return {"provisionedModelArn": self.tokens[("throughput", token)]}
        if self.config.create_throughput_error:
            raise ServiceQuotaExceededException(
                "The request exceeds the provisioned throughput quota for this model (emulated fault)."
            )
        for required in ("modelUnits", "provisionedModelName", "modelId"):
            if required not in body:
                raise ValidationException(f"1 validation error detected: {required} must not be null")
        with self.lock:
            for existing in self.throughputs.values():
                if existing.name == body["provisionedModelName"] and not existing.deleted:
                    raise JsonRESTError("ResourceInUseException", "A provisioned model with this name exists")
            arn = f"arn:aws:bedrock:{region}:{account}:provisioned-model/{secrets.token_hex(6)}"
            tags = {t["key"]: t["value"] for t in body.get("tags") or []}
            self.throughputs[arn] = Throughput(
                arn=arn,
                name=body["provisionedModelName"],
                model_arn=body["modelId"],
                model_units=int(body["modelUnits"]),
                commitment=body.get("commitmentDuration"),
                tags=tags,
            )
            if token:
                self.tokens[("throughput", token)] = arn
            return {"provisionedModelArn": arn}

    def _find(self, identifier: str) -> Throughput:
        with self.lock:
            pt = self.throughputs.get(identifier)
            if pt is None:
                pt = next((p for p in self.throughputs.values() if p.name == identifier and not p.deleted), None)
            if pt is None or pt.deleted:
                raise ResourceNotFoundException(f"Provisioned model {identifier} not found")
            return pt

    def get_throughput(self, identifier: str) -> dict[str, Any]:
        with self.lock:
            pt = self._find(identifier)
            pt.polls += 1
            if pt.status == "Creating" and pt.polls >= self.config.throughput_polls:
                outcome = self.config.throughput_outcome
                if self._candidate_never_ready(pt.tags):
                    outcome = "never_in_service"
                if outcome != "never_in_service":
                    pt.status = outcome
            return pt.describe()

    def delete_throughput(self, identifier: str) -> None:
        with self.lock:
            self.delete_calls.append(identifier)
            if self.config.throttle_first_delete and len(self.delete_calls) == 1:
                raise ThrottlingException("Rate exceeded (emulated fault on the first deletion)")
            pt = self._find(identifier)
            if pt.commitment:
                raise ValidationException("A provisioned throughput with a commitment term cannot be deleted")
            pt.deleted = True
            pt.status = "Deleted"

    def list_throughputs(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "provisionedModelName": p.name,
                    "provisionedModelArn": p.arn,
                    "modelArn": p.model_arn,
                    "desiredModelArn": p.model_arn,
                    "foundationModelArn": p.model_arn,
                    "modelUnits": p.model_units,
                    "desiredModelUnits": p.model_units,
                    "status": p.status,
                    "creationTime": p.created,
                    "lastModifiedTime": p.created,
                }
                for p in self.throughputs.values()
                if not p.deleted
            ]

    def throughput_tags(self, arn: str) -> list[dict[str, str]] | None:
        with self.lock:
            pt = self.throughputs.get(arn)
            if pt is None:
                return None
            if pt.deleted:
                raise ResourceNotFoundException(f"Provisioned model {arn} not found")
            return [{"key": k, "value": v} for k, v in pt.tags.items()]

    # -- custom model deployments (on-demand inference) ------------------------------------------
    def create_deployment(self, region: str, account: str, body: dict[str, Any]) -> dict[str, Any]:
        token = body.get("clientRequestToken")
        with self.lock:
            self.create_calls["deployment"] += 1
            if token and ("deployment", token) in self.tokens:
                return {"customModelDeploymentArn": self.tokens[("deployment", token)]}
        if self.config.create_deployment_error:
            raise ServiceQuotaExceededException(
                "The request exceeds the custom model deployment quota for this account (emulated fault)."
            )
        for required in ("modelDeploymentName", "modelArn"):
            if required not in body:
                raise ValidationException(f"1 validation error detected: {required} must not be null")
        with self.lock:
            for existing in self.deployments.values():
                if existing.name == body["modelDeploymentName"] and not existing.deleted:
                    raise JsonRESTError("ConflictException", "A custom model deployment with this name exists")
            arn = f"arn:aws:bedrock:{region}:{account}:custom-model-deployment/{secrets.token_hex(6)}"
            self.deployments[arn] = CustomModelDeployment(
                arn=arn,
                name=body["modelDeploymentName"],
                model_arn=body["modelArn"],
                tags={t["key"]: t["value"] for t in body.get("tags") or []},
                description=body.get("description"),
            )
            if token:
                self.tokens[("deployment", token)] = arn
            return {"customModelDeploymentArn": arn}

    def _find_deployment(self, identifier: str) -> CustomModelDeployment:
        with self.lock:
            dep = self.deployments.get(identifier)
            if dep is None:
                dep = next((d for d in self.deployments.values() if d.name == identifier and not d.deleted), None)
            if dep is None or dep.deleted:
                raise ResourceNotFoundException(f"Custom model deployment {identifier} not found")
            return dep

    def get_deployment(self, identifier: str) -> dict[str, Any]:
        with self.lock:
            dep = self._find_deployment(identifier)
            dep.polls += 1
            if dep.status == "Creating" and dep.polls >= self.config.deployment_polls:
                outcome = self.config.deployment_outcome
                if self._candidate_never_ready(dep.tags):
                    outcome = "never_active"
                if outcome == "Failed":
                    dep.status = "Failed"
                    dep.failure_message = "Emulated failure: the deployment could not be created."
                    dep.updated = _now()
                elif outcome == "Active":
                    dep.status = "Active"
                    dep.updated = _now()
            return dep.describe()

    def delete_deployment(self, identifier: str) -> None:
        with self.lock:
            self.delete_calls.append(identifier)
            if self.config.throttle_first_delete and len(self.delete_calls) == 1:
                raise ThrottlingException("Rate exceeded (emulated fault on the first deletion)")
            dep = self._find_deployment(identifier)
            dep.deleted = True

    def list_deployments(self) -> list[dict[str, Any]]:
        with self.lock:
            return [d.summary() for d in self.deployments.values() if not d.deleted]

    def deployment_tags(self, arn: str) -> list[dict[str, str]] | None:
        with self.lock:
            dep = self.deployments.get(arn)
            if dep is None:
                return None
            if dep.deleted:
                raise ResourceNotFoundException(f"Custom model deployment {arn} not found")
            return [{"key": k, "value": v} for k, v in dep.tags.items()]

    # -- candidate sweep ---------------------------------------------------------------------
    def _candidate_never_ready(self, tags: dict[str, str]) -> bool:
        name = self.config.candidate_never_ready
        return name is not None and tags.get(CANDIDATE_TAG) == name

    def _candidate_behaviour(self, tags: dict[str, str], behaviour: ModelBehaviour) -> ModelBehaviour:
        """A sweep candidate's custom model answers with the quality the demo knob gives its name."""
        quality = self.config.candidate_qualities.get(tags.get(CANDIDATE_TAG, ""))
        return behaviour if quality is None else dataclasses.replace(behaviour, quality=quality)

    # -- customization jobs ----------------------------------------------------------------
    def job_for_token(self, token: str | None) -> str | None:
        """The job ARN an earlier create with this ``clientRequestToken`` returned (None: first call)."""
        with self.lock:
            self.create_calls["job"] += 1
            return self.tokens.get(("job", token)) if token else None

    def remember_job(self, token: str | None, arn: str, customization_config: dict[str, Any] | None = None) -> None:
        with self.lock:
            if token:
                self.tokens[("job", token)] = arn
            if customization_config is not None:
                self.customization_configs[arn] = customization_config

    def check_job_request(self, body: dict[str, Any]) -> None:
        """What Bedrock refuses before creating a job that moto would accept.

        A DISTILLATION job needs customizationConfig.distillationConfig.teacherModelConfig (botocore's
        CreateModelCustomizationJob shape; Bedrock user guide, "Submit a model distillation job"); the
        shape itself (teacherModelIdentifier required, maxResponseLengthForInference an integer) is checked
        by botocore's parameter validation before the request gets here."""
        teacher = ((body.get("customizationConfig") or {}).get("distillationConfig") or {}).get("teacherModelConfig")
        if body.get("customizationType") == "DISTILLATION" and not teacher:
            raise ValidationException(
                "customizationConfig.distillationConfig.teacherModelConfig is required "
                "for customizationType DISTILLATION"
            )

    def customization_config_of(self, arn: str) -> dict[str, Any] | None:
        with self.lock:
            return self.customization_configs.get(arn)

    def advance_job(self, job: Any, backend: Any) -> None:
        """Move a moto job forward one poll; fix what moto gets wrong on completion."""
        with self.lock:
            if job.status != "InProgress":
                return
            polls = self.job_polls.get(job.job_name, 0) + 1
            self.job_polls[job.job_name] = polls
            if polls < self.config.job_polls:
                return
            job.status = self.config.job_outcome
            failed = self.config.candidate_job_failed
            job_tags = {t.get("key"): t.get("value") for t in (getattr(job, "job_tags", None) or [])}
            if failed is not None and job_tags.get(CANDIDATE_TAG) == failed:
                job.status = "Failed"
            job.end_time = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            model = backend.custom_models.get(job.custom_model_name)
            if job.status == "Completed" and model is not None:
                job.output_model_arn = model.model_arn
                job.output_model_name = model.model_name
                job.failure_message = None
            else:
                job.failure_message = (
                    job_failure_message(job.training_data_config) if job.status == "Failed" else "The job was stopped."
                )
                backend.custom_models.pop(job.custom_model_name, None)

    # -- runtime ---------------------------------------------------------------------------
    def resolve(self, model_id: str) -> tuple[str, str, ModelBehaviour]:
        """(kind, family, behaviour) for a model id or provisioned throughput ARN."""
        if ":provisioned-model/" in model_id:
            with self.lock:
                pt = self.throughputs.get(model_id)
            if pt is None or pt.deleted:
                raise ResourceNotFoundException(f"Provisioned model {model_id} not found")
            if pt.status != "InService":
                raise JsonRESTError("ModelNotReadyException", f"Provisioned model {model_id} is {pt.status}")
            base_id = self._base_of_custom_model(pt.model_arn)
            return "custom", family_of_model_id(base_id), self._candidate_behaviour(pt.tags, self.config.custom)
        if ":custom-model-deployment/" in model_id:
            with self.lock:
                dep = self.deployments.get(model_id)
            if dep is None or dep.deleted:
                raise ResourceNotFoundException(f"Custom model deployment {model_id} not found")
            if dep.status != "Active":
                raise JsonRESTError("ModelNotReadyException", f"Custom model deployment {model_id} is {dep.status}")
            behaviour = self._candidate_behaviour(dep.tags, self.config.custom)
            return "custom", family_of_model_id(self._base_of_custom_model(dep.model_arn)), behaviour
        return "base", family_of_model_id(model_id), self.config.base

    def _base_of_custom_model(self, model_arn: str) -> str:
        from moto.bedrock.models import bedrock_backends

        backend = bedrock_backends[self.config.account_id][self.config.region]
        for model in list(backend.custom_models.values()):  # other runs' jobs add models meanwhile
            if model.model_arn == model_arn or model.model_name == model_arn:
                return str(model.base_model_name or model.base_model_arn)
        return model_arn

    @property
    def calls(self) -> dict[str, int]:
        return {kind: st.calls for kind, st in self.stats.items()}

    @property
    def throttled(self) -> dict[str, int]:
        """Calls refused with a ThrottlingException (throttle_rate or max_rps), per kind."""
        return {kind: st.throttled + st.rate_limited for kind, st in self.stats.items()}

    def _bucket(self, kind: str, behaviour: ModelBehaviour) -> TokenBucket | None:
        if behaviour.max_rps is None:
            return None
        bucket = self.buckets.get(kind)
        if bucket is None or bucket.rate != behaviour.max_rps:
            bucket = self.buckets[kind] = TokenBucket(behaviour.max_rps, behaviour.burst)
        return bucket

    def admit(self, kind: str, behaviour: ModelBehaviour) -> None:
        """Count one call; refuse it with a ThrottlingException as configured (no latency, no quota)."""
        with self.lock:
            stats = self.stats[kind]
            stats.calls += 1
            if behaviour.throttle_rate > 0 and self.rng.random() < behaviour.throttle_rate:
                stats.throttled += 1
                raise ThrottlingException()
            bucket = self._bucket(kind, behaviour)
            if bucket is not None and not bucket.take():
                stats.rate_limited += 1
                raise ThrottlingException("Too many requests, please wait before trying again. (rate limit)")

    def generate(self, model_id: str, prompt: str) -> tuple[str, int, int]:
        kind, _family, behaviour = self.resolve(model_id)
        self.admit(kind, behaviour)
        if behaviour.poison_marker and behaviour.poison_marker in prompt:
            raise ValidationException("Input is too long for requested model (emulated poison record).")
        stats = self.stats[kind]
        with self.lock:
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            if behaviour.latency_ms:
                time.sleep(behaviour.latency_ms / 1000.0)
            text = self._answer(kind, prompt, behaviour.quality)
        finally:
            with self.lock:
                stats.in_flight -= 1
                stats.answered += 1
        return text, len(prompt.split()), len(text.split())

    def judge(self, model_id: str, system: str, prompt: str, parts: tuple[str, str, str]) -> tuple[str, int, int]:
        """One judgement by the emulated LLM judge: the answer text and its token counts."""
        self.resolve(model_id)  # an unknown model or a throughput not in service fails as for inference
        behaviour = self.config.judge
        with self.lock:
            self.stats.setdefault("judge", RuntimeStats())
        self.admit("judge", behaviour)
        stats = self.stats["judge"]
        with self.lock:
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            if behaviour.latency_ms:
                time.sleep(behaviour.latency_ms / 1000.0)
            text = judge_answer(system + "\n" + prompt, *parts, config=self.config)
        finally:
            with self.lock:
                stats.in_flight -= 1
                stats.answered += 1
        return text, len(system.split()) + len(prompt.split()), len(text.split())

    def _answer(self, kind: str, prompt: str, quality: float) -> str:
        reference = self.reference_for(prompt)
        seed = int.from_bytes(hashlib.sha256(f"{kind}\0{prompt}".encode()).digest()[:8], "big")
        rng = random.Random(seed)
        if reference is None:
            words = prompt.split()[-40:]
            return " ".join(words[: max(3, int(len(words) * quality))])
        out = []
        for word in reference.split():
            if rng.random() < quality:
                out.append(word)
            elif rng.random() < 0.5:
                out.append(rng.choice(_FILLER))
        return " ".join(out) or rng.choice(_FILLER)

    def reference_for(self, prompt: str) -> str | None:
        """The reference answer of a prompt, or None when the emulated models do not know it."""
        found = self._known_reference(prompt)
        if found is None and self.on_unknown_prompt is not None:
            self.on_unknown_prompt()
            found = self._known_reference(prompt)
        return found

    def _known_reference(self, prompt: str) -> str | None:
        key = prompt.strip()
        with self.lock:
            found = self.oracle.get(key)
            if found is not None:
                return found
            # Prompts wrapped in a chat template still contain the original prompt.
            for known, reference in self.oracle.items():
                if known and known in prompt:
                    return reference
        return None


# -- the emulated LLM judge ----------------------------------------------------------------

_JUDGE_PARTS = re.compile(
    r"<reference>\n?(.*?)\n?</reference>.*?<response_a>\n?(.*?)\n?</response_a>.*?<response_b>\n?(.*?)\n?</response_b>",
    re.S,
)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def overlap_f1(reference: str, candidate: str) -> float:
    """Word-overlap F1 (clipped counts): a cheap similarity that ranks outputs as BERTScore does here."""
    ref, cand = Counter(_words(reference)), Counter(_words(candidate))
    common = sum((ref & cand).values())
    if not common:
        return 0.0
    precision, recall = common / sum(cand.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def judge_answer(request_text: str, reference: str, a: str, b: str, *, config: EmulatorConfig) -> str:
    """The judge's answer, deterministic for a given request: the response closer to the reference,
    with seeded noise, in the answer format the request asks for (JSON, ``[[A]]`` or a keyed line)."""
    seed = int.from_bytes(hashlib.sha256(f"{config.seed}\0{request_text}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    if config.judge_unparsable_rate and rng.random() < config.judge_unparsable_rate:
        return "Both responses have merits and I would rather not pick one of them."
    sim_a, sim_b = overlap_f1(reference, a), overlap_f1(reference, b)
    delta = sim_a - sim_b + rng.gauss(0.0, config.judge_noise)
    if abs(delta) <= config.judge_tie_band:
        choice, reason = "tie", f"Both responses cover the reference about equally ({sim_a:.2f} vs {sim_b:.2f})."
    else:
        choice = "A" if delta > 0 else "B"
        other = "B" if choice == "A" else "A"
        hi, lo = (sim_a, sim_b) if choice == "A" else (sim_b, sim_a)
        reason = (
            f"Response {choice} keeps more of the reference's content than Response {other} "
            f"({hi:.2f} vs {lo:.2f} word overlap) and invents less."
        )
    if '"preference"' in request_text:
        return json.dumps({"preference": choice, "reason": reason})
    if "[[A]]" in request_text:
        return f"{reason} [[{'C' if choice == 'tie' else choice}]]"
    return f"Preference: {choice}\nReason: {reason}"


# -- request/response shapes of the model families (InvokeModel) ---------------------------


def _text_of_content(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, dict) and "text" in block:
            parts.append(block["text"])
    return "\n".join(parts)


#: Keys each family's InvokeModel body may carry (Bedrock rejects others: "extraneous key").
_BODY_KEYS: dict[str, frozenset[str]] = {
    "nova": frozenset({"schemaVersion", "messages", "system", "inferenceConfig", "toolConfig"}),
    "claude": frozenset(
        {"anthropic_version", "max_tokens", "messages", "system", "temperature", "top_p", "top_k", "stop_sequences"}
    ),
    "titan": frozenset({"inputText", "textGenerationConfig"}),
    "llama": frozenset({"prompt", "max_gen_len", "temperature", "top_p", "images"}),
    "cohere": frozenset(
        {"prompt", "max_tokens", "temperature", "p", "k", "stop_sequences", "return_likelihoods", "stream"}
        | {"num_generations", "logit_bias", "truncate"}
    ),
}
_CONFIG_KEYS: dict[str, tuple[str, frozenset[str]]] = {
    "nova": (
        "inferenceConfig",
        frozenset({"maxTokens", "max_new_tokens", "temperature", "topP", "topK", "stopSequences"}),
    ),
    "titan": ("textGenerationConfig", frozenset({"maxTokenCount", "temperature", "topP", "stopSequences"})),
}


def _check_body(family: str, body: dict[str, Any]) -> None:
    extra = sorted(set(body) - _BODY_KEYS[family])
    if extra:
        raise ValidationException(f"Malformed input request: extraneous key [{extra[0]}] is not permitted")
    if family in _CONFIG_KEYS:
        name, allowed = _CONFIG_KEYS[family]
        config = body.get(name, {})
        if not isinstance(config, dict):
            raise ValidationException(f"Malformed input request: {name} must be an object")
        extra = sorted(set(config) - allowed)
        if extra:
            raise ValidationException(f"Malformed input request: extraneous key [{name}.{extra[0]}] is not permitted")
    if family == "claude" and body.get("anthropic_version") != "bedrock-2023-05-31":
        raise ValidationException("Malformed input request: anthropic_version must be bedrock-2023-05-31")
    if family == "cohere" and not 0 <= float(body.get("p", 0.75)) <= 0.99:
        raise ValidationException("Malformed input request: p must be between 0 and 0.99")


def prompt_of_invoke_body(family: str, body: dict[str, Any]) -> str:
    """Extract the prompt as the real model would read it; reject malformed bodies."""
    if not isinstance(body, dict):
        raise ValidationException("Malformed input request: the body must be a JSON object")
    if family not in _BODY_KEYS:
        raise ValidationException(f"Unsupported model family {family}")
    try:
        if family == "nova":
            if "messages" not in body:
                raise KeyError("messages")
            prompt = "\n".join(_text_of_content(m["content"]) for m in body["messages"] if m["role"] == "user")
        elif family == "claude":
            if body.get("anthropic_version") is None or "max_tokens" not in body:
                raise KeyError("anthropic_version/max_tokens")
            prompt = "\n".join(_text_of_content(m["content"]) for m in body["messages"] if m["role"] == "user")
        elif family == "titan":
            prompt = str(body["inputText"])
        else:
            prompt = str(body["prompt"])
    except (KeyError, TypeError) as exc:
        raise ValidationException(f"Malformed input request for {family}: missing {exc}") from exc
    _check_body(family, body)
    return prompt


def invoke_response_body(family: str, text: str, in_tokens: int, out_tokens: int) -> dict[str, Any]:
    if family == "nova":
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": in_tokens, "outputTokens": out_tokens, "totalTokens": in_tokens + out_tokens},
        }
    if family == "claude":
        return {
            "id": f"msg_{secrets.token_hex(8)}",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": in_tokens, "output_tokens": out_tokens},
        }
    if family == "titan":
        return {
            "inputTextTokenCount": in_tokens,
            "results": [{"tokenCount": out_tokens, "outputText": text, "completionReason": "FINISH"}],
        }
    if family == "llama":
        return {
            "generation": text,
            "prompt_token_count": in_tokens,
            "generation_token_count": out_tokens,
            "stop_reason": "stop",
        }
    if family == "cohere":
        return {
            "id": secrets.token_hex(8),
            "prompt": "",
            "generations": [{"id": secrets.token_hex(8), "text": text, "finish_reason": "COMPLETE"}],
        }
    raise ValidationException(f"Unsupported model family {family}")


def invoke_model(model_id: str, body: bytes | str) -> dict[str, Any]:
    world = active_world()
    _kind, family, _ = world.resolve(model_id)
    try:
        payload = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ValidationException("Malformed input request, please reformat your input and try again.") from exc
    prompt = prompt_of_invoke_body(family, payload)
    text, in_tokens, out_tokens = world.generate(model_id, prompt)
    return invoke_response_body(family, text, in_tokens, out_tokens)


def converse(model_id: str, request: dict[str, Any]) -> dict[str, Any]:
    world = active_world()
    _kind, family, _ = world.resolve(model_id)
    if family == "cohere":
        raise ValidationException(
            "This model doesn't support the Converse API (legacy Cohere Command: use InvokeModel)."
        )
    messages = request.get("messages") or []
    prompt = "\n".join(_text_of_content(m.get("content")) for m in messages if m.get("role") == "user")
    if not prompt:
        raise ValidationException("messages must contain at least one user message with text")
    started = time.monotonic()
    judged = _JUDGE_PARTS.search(prompt)
    if judged:  # a request to compare two responses: the emulated LLM judge answers it
        system = "\n".join(b.get("text", "") for b in request.get("system") or [] if isinstance(b, dict))
        text, in_tokens, out_tokens = world.judge(model_id, system, prompt, judged.groups())
    else:
        text, in_tokens, out_tokens = world.generate(model_id, prompt)
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": in_tokens, "outputTokens": out_tokens, "totalTokens": in_tokens + out_tokens},
        "metrics": {"latencyMs": max(1, int((time.monotonic() - started) * 1000))},
    }
