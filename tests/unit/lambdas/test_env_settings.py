"""workflow_lambdas.common.settings.EnvSettings: the one reader of every function's environment."""

from __future__ import annotations

from typing import ClassVar, Literal

import pytest
from pydantic import Field

from workflow_lambdas import infer, notify
from workflow_lambdas.common.settings import EnvSettings
from workflow_lambdas.contract.errors import EvaluationFailed, InvalidInput


class Example(EnvSettings):
    ENV_NAMES: ClassVar = {"region": ("AWS_REGION", "AWS_DEFAULT_REGION")}

    bucket: str = Field(min_length=3, max_length=63)
    size: int = Field(default=50, ge=1, le=1000)
    polls: int = Field(default=90, ge=1)
    share: float = Field(default=0.35, gt=0, lt=1)
    mode: Literal["auto", "on_demand"] = "auto"
    enabled: bool = True
    recipients: tuple[str, ...] = ()
    region: str = "us-east-1"


def test_values_are_read_stripped_and_blank_means_the_default():
    got = Example.from_env({"BUCKET": " my-bucket ", "SIZE": "7", "POLLS": "  ", "RECIPIENTS": "a@x.io, b@x.io,"})
    assert (got.bucket, got.size, got.polls, got.recipients) == ("my-bucket", 7, 90, ("a@x.io", "b@x.io"))


def test_the_first_set_name_of_several_wins():
    assert Example.from_env({"BUCKET": "bbb", "AWS_DEFAULT_REGION": "eu-west-1"}).region == "eu-west-1"
    both = {"BUCKET": "bbb", "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert Example.from_env(both).region == "us-west-2"


def test_every_problem_is_reported_at_once_with_what_the_variable_accepts():
    env = {"SIZE": "5000", "POLLS": "soon", "SHARE": "1", "MODE": "always", "ENABLED": "maybe"}
    with pytest.raises(InvalidInput) as caught:
        Example.from_env(env)
    lines = str(caught.value).splitlines()
    where = "in the function's environment (Terraform module)"
    assert lines[0] == f"BUCKET: is not set; set it {where}"
    assert [line.split(":")[0] for line in lines] == ["BUCKET", "SIZE", "POLLS", "SHARE", "MODE", "ENABLED"]
    assert lines[1].startswith("SIZE: 5000 is not allowed (") and lines[1].endswith(
        f"; set it to a whole number from 1 to 1000 {where}"
    )
    assert lines[2].endswith(f"set it to a whole number of at least 1 {where}")
    assert lines[3].endswith(f"set it to a number more than 0, less than 1 {where}")
    assert lines[4].endswith(f"set it to auto or on_demand {where}")
    assert lines[5].endswith(f"set it to true or false {where}")


def test_a_function_may_raise_its_own_contract_error():
    class ImageEnv(EnvSettings):
        ERROR: ClassVar = EvaluationFailed
        layers: int = Field(default=1, ge=0)

    with pytest.raises(EvaluationFailed, match=r"^LAYERS: -1 is not allowed"):
        ImageEnv.from_env({"LAYERS": "-1"})


def test_the_functions_read_their_environment_through_the_base():
    assert issubclass(infer.Settings, EnvSettings) and issubclass(notify.Settings, EnvSettings)
    got = notify.Settings.from_env({"SENDER_EMAIL": "bot@x.io", "DEFAULT_RECIPIENTS": "a@x.io; b@x.io c@x.io"})
    assert got.sender == "bot@x.io" and got.default_recipients == ["a@x.io", "b@x.io", "c@x.io"]
    assert got.event_bus is None
    with pytest.raises(InvalidInput, match=r"^INFERENCE_THROTTLE_TARGET: 2 is not allowed"):
        infer.Settings.from_env({"INFERENCE_THROTTLE_TARGET": "2"})
