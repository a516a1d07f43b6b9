"""``Settings``: the environment of the ValidateInput function (set by Terraform)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from workflow_lambdas.common.errors import InvalidInput


class Settings(BaseModel):
    """Environment of the function (set by Terraform)."""

    model_config = ConfigDict(frozen=True)

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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(name.upper())
            if raw is None or not raw.strip():
                continue
            if name == "default_recipients":
                values[name] = tuple(r.strip() for r in raw.split(",") if r.strip())
            else:
                values[name] = raw.strip()
        try:
            return cls(**values)
        except PydanticError as exc:
            lines = []
            for err in exc.errors():
                name = str(err["loc"][0])
                if err["type"] == "missing":
                    lines.append(f"{name.upper()}: is not set; set it in the function's environment (Terraform module)")
                    continue
                lines.append(
                    f"{name.upper()}: {values.get(name, err.get('input'))} is not allowed ({err['msg']}); "
                    f"set it to {cls._allowed(name)} in the function's environment (Terraform module)"
                )
            raise InvalidInput("\n".join(lines)) from None

    @classmethod
    def _allowed(cls, name: str) -> str:
        """What a setting accepts, from its field constraints: ``a whole number from 1 to 1000``."""
        info = cls.model_fields[name]
        bounds: dict[str, Any] = {}
        for item in info.metadata:
            for attr in ("ge", "le", "min_length", "max_length"):
                if getattr(item, attr, None) is not None:
                    bounds[attr] = getattr(item, attr)
        if getattr(info.annotation, "__origin__", None) is Literal:
            return " or ".join(get_args(info.annotation))
        if info.annotation is int:
            if "ge" in bounds and "le" in bounds:
                return f"a whole number from {bounds['ge']} to {bounds['le']}"
            return f"a whole number of at least {bounds['ge']}" if "ge" in bounds else "a whole number"
        if "min_length" in bounds and "max_length" in bounds:
            return f"a name of {bounds['min_length']} to {bounds['max_length']} characters"
        return "a valid value"
