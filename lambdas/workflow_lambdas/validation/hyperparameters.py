"""``HyperParameters`` (of the run and of each candidate) against the hyperparameters the model accepts."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Set as AbstractSet
from typing import Any

from workflow_lambdas import model_families as mf
from workflow_lambdas.validation.problems import Problem


def _hyperparameter_problem(spec: mf.HyperParameter, value: str, model: mf.BaseModel) -> Problem | None:
    field = f"HyperParameters.{spec.name}"
    text = value.strip()
    if spec.kind == "bool":
        if text.lower() in ("true", "false"):
            return None
        return Problem(field, f"is {json.dumps(value)}, not a boolean", 'use "true" or "false"')
    try:
        number = float(text)
    except ValueError:
        return Problem(field, f"is {json.dumps(value)}, not a number", f"use {spec.describe()}")
    if not math.isfinite(number):
        return Problem(field, f"is {json.dumps(value)}, not a finite number", f"use {spec.describe()}")
    if spec.kind == "int":
        try:
            int(text)
        except ValueError:
            return Problem(field, f"is {json.dumps(value)}, not a whole number", f"use {spec.describe()}")
    low, high = spec.minimum, spec.maximum
    too_low = low is not None and (number <= low if spec.exclusive_minimum else number < low)
    too_high = high is not None and number > high
    if too_low or too_high:
        return Problem(field, f"is {value}, outside the range {model.display} accepts", f"use {spec.describe()}")
    return None


def hyperparameter_problems(
    hps: dict[str, Any], model: mf.BaseModel, skip: AbstractSet[str], prefix: str = ""
) -> list[Problem]:
    """Problems of ``hps`` for ``model``; ``skip``: fields the schema refused; ``prefix``: ``Candidates[0].``."""
    specs = {hp.name: hp for hp in mf.hyperparameters_for(model)}
    problems = []
    for name, value in hps.items():
        field = f"{prefix}HyperParameters.{name}"
        if isinstance(value, bool):  # the schema reports the type; the value is still checked, in the same pass
            value = str(value).lower()
        elif isinstance(value, int | float):
            value = str(value)
        elif field in skip or not isinstance(value, str):
            continue
        spec = specs.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(specs), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(
                Problem(
                    field,
                    f"is not a hyperparameter of {model.display}",
                    f"{hint}{model.display} accepts {', '.join(s.describe() for s in specs.values())}",
                )
            )
            continue
        problem = _hyperparameter_problem(spec, value, model)
        if problem:
            problems.append(problem.at(field))
    return problems
