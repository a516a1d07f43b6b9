"""``Settings``: the environment of the ValidateInput function (set by Terraform)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workflow_lambdas.common.settings import EnvSettings


class Settings(EnvSettings):
    """Environment of the function (set by Terraform); ``from_env`` reports every bad variable at once."""

    training_bucket: str = Field(min_length=3, max_length=63)
    validation_bucket: str = Field(min_length=3, max_length=63)
    artifacts_bucket: str = Field(min_length=3, max_length=63)
    default_model_units: int = Field(default=1, ge=1)
    throughput_poll_seconds: int = Field(default=60, ge=1)
    throughput_max_polls: int = Field(default=90, ge=1)
    default_recipients: tuple[str, ...] = ()
    shard_size: int = Field(default=50, ge=1, le=1000)
    inference_max_concurrency: int = Field(default=4, ge=1, le=40)
    # Upper bound of Evaluation.ScoreConcurrency (Terraform score_max_concurrency): with the 40 inference
    # shards at most, a run's Shards Map stays within 1,000 concurrent iterations.
    score_max_concurrency: int = Field(default=200, ge=1, le=960)
    customization_timeout_seconds: int = Field(default=172800, ge=1)
    evaluation_timeout_seconds: int = Field(default=21600, ge=1)
    default_deployment: Literal["auto", "on_demand", "provisioned"] = "auto"
    deployment_poll_seconds: int = Field(default=30, ge=1)
    deployment_max_polls: int = Field(default=120, ge=1)
    max_candidates: int = Field(default=6, ge=2, le=20)
