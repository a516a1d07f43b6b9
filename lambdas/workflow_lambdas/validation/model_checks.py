"""The base model of an input: known, customizable here, offering the customization type; distillation's
teacher; the inference settings and model id the evaluation uses."""

from __future__ import annotations

import difflib
from typing import Any

from workflow_lambdas import model_families as mf
from workflow_lambdas.validation.check import InputCheck
from workflow_lambdas.validation.problems import Problem
from workflow_lambdas.validation.run_context import InferenceSettings

DISTILLATION_EXAMPLE = (
    '{"TeacherModelIdentifier": "us.amazon.nova-premier-v1:0", "MaxResponseLengthForInference": 1000}'
)


def unknown_model_what(base: str) -> str:
    guess = mf.family_of(base)
    if guess is None:
        return "not a model this module knows"
    display = mf.FAMILY_RULES[guess].display
    return f"{mf.article(display)} {display} model this module does not know"


def unknown_model_problem(base: str) -> Problem:
    """An unknown BaseModelIdentifier: the near known id when there is one, else the short list to pick from."""
    suffixed = mf.with_context_suffix(base)
    if suffixed:
        return Problem(
            "BaseModelIdentifier",
            f"{base} has no context suffix, which customization jobs need",
            f"add the context suffix: {suffixed}",
        )
    near = mf.near_model(base)
    if near:
        return Problem("BaseModelIdentifier", f"{base} is not a model id this module knows", f"did you mean {near}?")
    guess = mf.family_of(base)
    if guess is not None:
        known = mf.models_of(guess)
        shown = difflib.get_close_matches(base, known, n=3, cutoff=0) if len(known) > 4 else known
        choices = f"use {'one of' if len(shown) == len(known) else 'a known id such as'} {', '.join(shown)}"
    else:
        families = ", ".join(f.display.removesuffix(" (legacy)") for f in mf.FAMILY_RULES.values())
        choices = f"use a model of a known family ({families}), e.g. {next(iter(mf.BASE_MODELS))}"
    return Problem(
        "BaseModelIdentifier",
        f"{base} is {unknown_model_what(base)}",
        f"{choices}, or set AllowUnknownModel to true to skip the model-specific checks",
    )


def region_problem(model: mf.BaseModel, region: str) -> Problem:
    """A model the fine-tuning table does not list for this region: where it is, and what is customizable here."""
    where = " or ".join(sorted(model.customization_regions))
    here = [m.identifier for m in mf.BASE_MODELS.values() if mf.customizable_in(m, region)]
    instead = f", or pick a model customizable in {region}, e.g. {here[0]}" if here else ""
    return Problem(
        "BaseModelIdentifier",
        f"{model.identifier} ({model.display}) cannot be customized in {region}",
        f"deploy the module in {where}, where it can be{instead}",
    )


def base_model(check: InputCheck, base: str | None, ctype: str | None, region: str | None) -> mf.BaseModel | None:
    """The run's base model, when its own rules (hyperparameters, data format) are to be checked."""
    model = _known_model(check, base) if base else None
    if model is not None and not model.customizable:
        # The ancestor's input (Cohere Command Light) parses; the model is refused in one line and its
        # own rules (hyperparameters, data format) are not checked.
        check.problems.add(
            "BaseModelIdentifier",
            f"{model.identifier} ({model.display}) can no longer be customized: the Bedrock "
            "fine-tuning table no longer lists it",
            f"pick a current model instead, e.g. {mf.successors_of(model)}, with its hyperparameters and data format",
        )
        return None
    if model is None:
        return None
    if region is not None and not mf.customizable_in(model, region):
        check.problems.append(region_problem(model, region))
    if ctype and ctype not in mf.customization_types_for(model):
        check.problems.add(
            "CustomizationType",
            f"{ctype} is not offered for {model.display}",
            f"use {' or '.join(mf.customization_types_for(model))}",
        )
    if model.note and "InferenceModelId" not in check.raw:
        check.warnings.add("InferenceModelId", model.note, "set InferenceModelId if the default id is refused")
    return model


def _known_model(check: InputCheck, base: str) -> mf.BaseModel | None:
    """The model ``base`` names; an unknown one is a problem, or a warning with AllowUnknownModel."""
    model = mf.lookup(base)
    if model is not None:
        return model
    if check.raw.get("AllowUnknownModel") is True:
        check.warnings.add(
            "BaseModelIdentifier",
            f"{base} is {unknown_model_what(base)}",
            "hyperparameters and training data format are not checked (AllowUnknownModel)",
        )
        return None
    check.problems.append(unknown_model_problem(base))
    suffixed = mf.with_context_suffix(base)
    # only the suffix is missing: check the rest against the model meant (one pass)
    return mf.lookup(suffixed) if suffixed else None


def distillation(check: InputCheck, ctype: str | None, model: mf.BaseModel | None) -> dict[str, Any] | None:
    """The job's CustomizationConfig for DISTILLATION (None otherwise), with the problems of the teacher.

    HyperParameters stay as given: botocore's CreateModelCustomizationJob shape allows hyperParameters
    with any customizationType (customizationConfig is a union beside it).
    """
    if ctype != mf.DISTILLATION:
        if check.given("Distillation"):
            check.warnings.add(
                "Distillation",
                f"is ignored: CustomizationType is {ctype or 'not valid'}",
                'set CustomizationType to "DISTILLATION" to distill, or leave Distillation out',
            )
        return None
    if "Distillation" not in check.raw:
        check.problems.add(
            "Distillation",
            "is missing: a DISTILLATION job needs a teacher model",
            f"add it, e.g. {DISTILLATION_EXAMPLE}",
        )
        return None
    if not check.given("Distillation"):
        return None  # the schema already reported it
    spec = check.raw["Distillation"]
    teacher_id = spec["TeacherModelIdentifier"]
    if model is not None:
        _teacher_problems(check, teacher_id, model)
    config: dict[str, Any] = {"TeacherModelIdentifier": teacher_id}
    if "MaxResponseLengthForInference" in spec:
        config["MaxResponseLengthForInference"] = spec["MaxResponseLengthForInference"]
    return {"DistillationConfig": {"TeacherModelConfig": config}}


def _teacher_problems(check: InputCheck, teacher_id: str, model: mf.BaseModel) -> None:
    teacher = mf.teacher_of(teacher_id)
    if teacher is not None and model.identifier in teacher.students:
        return
    paired = mf.teachers_for(model)
    what = (
        "is not a distillation teacher this module knows"
        if teacher is None
        else (f"({teacher.display}) is not paired with {model.display} as student")
    )
    fix = (
        f"use a teacher paired with {model.display}: {', '.join(paired)} (or its us. inference profile)"
        if paired
        else f"{model.display} is no distillation student; use FINE_TUNING"
    )
    check.problems.add("Distillation.TeacherModelIdentifier", f"{teacher_id} {what}", fix)


def inference_config(check: InputCheck, model: mf.BaseModel | None) -> InferenceSettings:
    """``InferenceConfig`` with its defaults; MaxTokens within what the model generates."""
    raw = check.raw
    config = InferenceSettings(**raw["InferenceConfig"]) if check.given("InferenceConfig") else InferenceSettings()
    if model is not None and config.MaxTokens > mf.max_output_tokens_for(model):
        limit = mf.max_output_tokens_for(model)
        check.problems.add(
            "InferenceConfig.MaxTokens",
            f"is {config.MaxTokens}, more than the {limit} tokens {model.display} generates",
            f"use at most {limit}",
        )
    return config


def inference_model_id(check: InputCheck, base: str | None, model: mf.BaseModel | None) -> str:
    """The model the evaluation compares against: ``InferenceModelId``, of the base model's family, or the
    base model's default."""
    if not check.given("InferenceModelId"):
        return mf.inference_model_id(base) if base else ""
    inference_id: str = check.raw["InferenceModelId"]
    other = mf.family_of(inference_id)
    base_family = (model.family if model else None) or (mf.family_of(base) if base else None)
    if other and base_family and other != base_family:
        check.problems.add(
            "InferenceModelId",
            f"{inference_id} is a {other} model, the base model is {base_family}",
            "compare against the same base model (leave InferenceModelId out for the default)",
        )
    return inference_id
