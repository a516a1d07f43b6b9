"""The one base of every function's environment settings (set by Terraform, read once per container).

A function declares its settings as the fields of a subclass of :class:`EnvSettings` (type, default,
bounds); ``from_env`` reads each field from its environment variable (``FIELD.upper()`` unless
``ENV_NAMES`` says otherwise; the first set name wins when several are given), ignores unset and blank
variables (the field keeps its default), splits list fields, and validates. Every bad or missing
variable is reported at once, one line each, naming the variable, what it holds, what it accepts and
where to fix it::

    SHARD_SIZE: 5000 is not allowed (Input should be less than or equal to 1000); set it to a whole
        number from 1 to 1000 in the function's environment (Terraform module)
    TRAINING_BUCKET: is not set; set it in the function's environment (Terraform module)

(one line each; wrapped here).

The error raised is ``ERROR`` (:class:`~workflow_lambdas.contract.errors.InvalidInput` unless the
function's contract says otherwise, e.g. the evaluator's ``EvaluationFailed``).
"""

from __future__ import annotations

import os
import re
import types
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from workflow_lambdas.contract.errors import InvalidInput

WHERE = "in the function's environment (Terraform module)"


class EnvSettings(BaseModel):
    """Settings read from the function's environment (subclass it; see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: field -> the environment variable(s) it is read from (default: the field's name in upper case).
    ENV_NAMES: ClassVar[Mapping[str, str | tuple[str, ...]]] = {}
    #: how a list or tuple field's variable is split into items.
    LIST_SEPARATOR: ClassVar[str] = r","
    #: the exception raised with every problem, one line each.
    ERROR: ClassVar[type[Exception]] = InvalidInput

    @classmethod
    def env_names(cls, field: str) -> tuple[str, ...]:
        names = cls.ENV_NAMES.get(field, field.upper())
        return (names,) if isinstance(names, str) else tuple(names)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field, info in cls.model_fields.items():
            for name in cls.env_names(field):
                raw = env.get(name)
                if raw is None or not raw.strip():
                    continue
                if _is_sequence(info.annotation):
                    values[field] = tuple(item.strip() for item in re.split(cls.LIST_SEPARATOR, raw) if item.strip())
                else:
                    values[field] = raw.strip()
                break
        try:
            return cls(**values)
        except PydanticError as exc:
            raise cls.ERROR("\n".join(cls._problem(err, values) for err in exc.errors())) from None

    @classmethod
    def _problem(cls, err: Any, values: Mapping[str, Any]) -> str:
        field = str(err["loc"][0])
        name = cls.env_names(field)[0] if field in cls.model_fields else field.upper()
        if err["type"] == "missing":
            return f"{name}: is not set; set it {WHERE}"
        return (
            f"{name}: {values.get(field, err.get('input'))} is not allowed ({err['msg']}); "
            f"set it to {cls.allowed(field)} {WHERE}"
        )

    @classmethod
    def allowed(cls, field: str) -> str:
        """What a setting accepts, from its field's type and constraints: ``a whole number from 1 to 1000``."""
        info = cls.model_fields[field]
        bounds: dict[str, Any] = {}
        for item in info.metadata:
            for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
                if getattr(item, attr, None) is not None:
                    bounds[attr] = getattr(item, attr)
        annotation = _without_none(info.annotation)
        if get_origin(annotation) is Literal:
            return " or ".join(str(a) for a in get_args(annotation))
        if annotation is bool:
            return "true or false"
        if annotation in (int, float):
            kind = "a whole number" if annotation is int else "a number"
            low = f"{bounds['ge']}" if "ge" in bounds else f"more than {bounds['gt']}" if "gt" in bounds else None
            high = f"{bounds['le']}" if "le" in bounds else f"less than {bounds['lt']}" if "lt" in bounds else None
            if low is not None and high is not None:
                return f"{kind} from {low} to {high}" if "ge" in bounds and "le" in bounds else f"{kind} {low}, {high}"
            if low is not None:
                return f"{kind} of at least {low}" if "ge" in bounds else f"{kind} {low}"
            if high is not None:
                return f"{kind} of at most {high}" if "le" in bounds else f"{kind} {high}"
            return kind
        if "min_length" in bounds and "max_length" in bounds:
            return f"a name of {bounds['min_length']} to {bounds['max_length']} characters"
        return "a valid value"


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _is_sequence(annotation: Any) -> bool:
    return get_origin(_without_none(annotation)) in (list, tuple)
