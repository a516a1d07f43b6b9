"""A sweep (``Candidates``): each candidate checked like a single run, and its own run context."""

from __future__ import annotations

from typing import Any, NamedTuple

from workflow_lambdas import model_families as mf
from workflow_lambdas.contract import tags
from workflow_lambdas.validation.check import Env, InputCheck
from workflow_lambdas.validation.deployment import Deployment, serving_mode
from workflow_lambdas.validation.hyperparameters import hyperparameter_problems
from workflow_lambdas.validation.model_checks import region_problem, unknown_model_problem
from workflow_lambdas.validation.names import (
    RESERVED_CANDIDATE_NAMES,
    candidate_tokens,
    deployment_name,
    provisioned_model_name,
    unique_name,
)
from workflow_lambdas.validation.run_context import RunContext, SweepCandidate, SweepSettings, Tag


class RunChoice(NamedTuple):
    """What the run chose, that its candidates are checked against."""

    model: mf.BaseModel | None
    ctype: str | None
    deployment: Deployment


def candidate_problems(check: InputCheck, env: Env, run: RunChoice) -> None:
    """Problems of ``Candidates`` and ``MaxConcurrentJobs``: each candidate is checked like a single run
    (model, hyperparameters laid over the run's), names are unique, the sweep fits the module's limits."""
    raw, problems = check.raw, check.problems
    if "Candidates" not in raw:
        problems.add(
            "MaxConcurrentJobs",
            "is given without Candidates",
            'leave it out, or add Candidates, e.g. [{"Name": "a", "HyperParameters": {...}}, ...]',
        )
        return
    candidates = raw["Candidates"]
    if not isinstance(candidates, list):
        return  # the schema reported it
    _sweep_problems(check, len(candidates), env.settings.max_candidates, run)
    raw_hps = raw.get("HyperParameters")
    top_hps: dict[str, Any] = raw_hps if isinstance(raw_hps, dict) else {}
    seen: dict[str, int] = {}
    for index, candidate in enumerate(candidates):
        where = f"Candidates[{index}]"
        if not isinstance(candidate, dict):
            continue
        _name_problems(check, candidate.get("Name"), index, seen)
        own_base = candidate.get("BaseModelIdentifier")
        candidate_model = run.model
        if isinstance(own_base, str) and f"{where}.BaseModelIdentifier" not in check.bad_paths:
            candidate_model = _candidate_model(check, env, own_base, f"{where}.BaseModelIdentifier", run)
        hps = candidate.get("HyperParameters")
        if isinstance(hps, dict) and candidate_model is not None:
            prefix = f"{where}."
            problems.extend(hyperparameter_problems(hps, candidate_model, check.bad_paths, prefix))
            if candidate_model is not run.model:  # the run's defaults must fit the candidate's model too
                inherited = {k: v for k, v in top_hps.items() if k not in hps}
                problems.extend(hyperparameter_problems(inherited, candidate_model, check.bad_paths, prefix))


def _sweep_problems(check: InputCheck, count: int, max_candidates: int, run: RunChoice) -> None:
    """What a sweep cannot be combined with, and its size."""
    problems = check.problems
    if count > max_candidates:
        problems.add(
            "Candidates",
            f"has {count} candidates, more than the {max_candidates} this module allows",
            f"keep at most {max_candidates} (or raise the module's max_candidates)",
        )
    if run.ctype == mf.DISTILLATION:
        problems.add(
            "Candidates",
            "cannot be combined with CustomizationType DISTILLATION",
            "sweep FINE_TUNING or CONTINUED_PRE_TRAINING candidates, or distill in a run without Candidates",
        )
    evaluation = check.raw.get("Evaluation")
    if isinstance(evaluation, dict) and evaluation.get("Judge"):
        problems.add(
            "Evaluation.Judge",
            "cannot be combined with Candidates yet (the judge compares one custom model with the base)",
            "leave Evaluation.Judge out of a sweep, or judge the winner in a run of its own",
        )
    if run.deployment.mode == "on_demand" and run.deployment.keep_as == "provisioned_throughput":
        problems.add(
            "KeepWinnerAs",
            "provisioned_throughput is not available with Candidates on the on-demand path",
            "leave KeepWinnerAs out (the winner keeps its deployment) or use Deployment provisioned",
        )


def _name_problems(check: InputCheck, name: Any, index: int, seen: dict[str, int]) -> None:
    """A candidate's name is not reserved and not another's (ignoring case); ``seen``: the names so far."""
    field = f"Candidates[{index}].Name"
    if not isinstance(name, str) or field in check.bad_paths:
        return
    key = name.lower()
    if key in RESERVED_CANDIDATE_NAMES:
        check.problems.add(field, f"{name} is reserved (the evaluation's model labels)", "pick another name")
    elif key in seen:
        check.problems.add(
            field,
            f"{name} is also the name of Candidates[{seen[key]}] (names are compared ignoring case)",
            "give every candidate its own name",
        )
    else:
        seen[key] = index


def _candidate_model(check: InputCheck, env: Env, base: str, field: str, run: RunChoice) -> mf.BaseModel | None:
    """A candidate's own base model, checked like the run's: known, customizable here, same data format,
    served the same way (on demand or provisioned) as the run."""
    model = mf.lookup(base)
    if model is None:
        if check.raw.get("AllowUnknownModel") is not True:
            check.problems.append(unknown_model_problem(base).at(field))
        return None
    if not model.customizable:
        check.problems.add(
            field,
            f"{model.identifier} ({model.display}) can no longer be customized",
            f"pick a current model instead, e.g. {mf.successors_of(model)}",
        )
        return None
    problems = check.problems
    if env.region is not None and not mf.customizable_in(model, env.region):
        problems.append(region_problem(model, env.region).at(field))
    if run.model is not None and model.family != run.model.family:
        problems.add(
            field,
            f"{model.display} reads another training data format than the run's {run.model.display}",
            f"use a {run.model.family} model (the candidates share the run's training data)",
        )
    if run.ctype and run.ctype not in mf.customization_types_for(model):
        problems.add(field, f"{model.display} does not offer {run.ctype}", f"use a model offering {run.ctype}")
    requested = check.raw.get("Deployment", env.settings.default_deployment)
    supported = env.deploy_region is not None and mf.on_demand_supported(model, env.deploy_region)
    mode = serving_mode(requested, supported)
    if mode != run.deployment.mode or (mode == "on_demand" and env.deploy_region is not None and not supported):
        problems.add(
            field,
            f"{model.display} would be served {mode.replace('_', '-')}, "
            f"the run's base model {run.deployment.mode.replace('_', '-')}",
            'pick a model served the same way, or set Deployment to "provisioned" for every candidate',
        )
    return model


def sweep_settings(
    raw: dict[str, Any], run: RunContext, execution_name: str, suffix: str, unique: bool
) -> SweepSettings:
    """``$.run.Sweep``: per candidate a run context of its own: names carry the candidate before the run
    suffix (never cut off), tokens and tags are the candidate's, output under ``customization/<name>/``."""
    top_hps = dict(raw.get("HyperParameters") or {})
    custom_model_name = raw["CustomModelName"]
    candidates: list[SweepCandidate] = []
    for candidate in raw["Candidates"]:
        name = candidate["Name"]
        tail = f"{name}-{suffix}"
        hps = {**top_hps, **candidate["HyperParameters"]}
        base = candidate.get("BaseModelIdentifier") or run.BaseModelIdentifier

        def named(value: str, tail: str = tail, name: str = name) -> str:
            return unique_name(value, tail) if unique else unique_name(value, name)

        own = run.model_copy(
            update={
                "JobName": named(raw["JobName"]),
                "CustomModelName": named(custom_model_name),
                "BaseModelIdentifier": base,
                "HyperParameters": hps,
                "OutputDataS3Uri": f"{run.OutputDataS3Uri}{name}/",
                "ProvisionedModelName": provisioned_model_name(custom_model_name, tail),
                "CustomModelDeploymentName": deployment_name(custom_model_name, tail),
                "RunTags": [*run.RunTags, Tag(**tags.candidate_tag(name))],
                "ClientRequestTokens": candidate_tokens(run.ExecutionArn, execution_name, name),
            }
        )
        candidates.append(SweepCandidate(Name=name, BaseModelIdentifier=base, HyperParameters=hps, Run=own.to_state()))
    return SweepSettings(MaxConcurrentJobs=raw.get("MaxConcurrentJobs", 2), Candidates=candidates)
