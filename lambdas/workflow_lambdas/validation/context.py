"""``validate_execution_input``: check an execution input before any spend and build the run context.

Every problem is collected (schema, model family, hyperparameters, names,
datasets) and reported at once: ``InvalidInput`` whose message has one line per
problem, ``field: what is wrong; how to fix``. ``validate_execution_input`` is
pure apart from ``fetch``, so the CLI can validate against local files.
"""

from __future__ import annotations

from typing import Any

from workflow_lambdas import model_families as mf
from workflow_lambdas.contract import tags
from workflow_lambdas.contract.errors import InvalidInput
from workflow_lambdas.validation.check import Env, InputCheck
from workflow_lambdas.validation.dataset_inputs import (
    LocalLabels,
    check_training_input,
    check_validation_input,
    max_prompt_chars,
)
from workflow_lambdas.validation.deployment import resolve_deployment
from workflow_lambdas.validation.evaluation_checks import evaluation_settings, judge_problems
from workflow_lambdas.validation.fetch import Fetch
from workflow_lambdas.validation.hyperparameters import hyperparameter_problems
from workflow_lambdas.validation.model_checks import base_model, distillation, inference_config, inference_model_id
from workflow_lambdas.validation.names import (
    client_request_tokens,
    deployment_name,
    execution_workflow,
    provisioned_model_name,
    region_of,
    run_suffix,
    unique_name,
)
from workflow_lambdas.validation.run_context import RunContext, Tag, ValidationDataRef
from workflow_lambdas.validation.schema_messages import json_type
from workflow_lambdas.validation.settings import Settings
from workflow_lambdas.validation.sweep import RunChoice, candidate_problems, sweep_settings


def validate_execution_input(
    raw: Any,
    *,
    settings: Settings,
    execution_name: str,
    execution_arn: str,
    fetch: Fetch,
    region: str | None = None,
) -> RunContext:
    """Validate an execution input and derive the run context, or raise ``InvalidInput``.

    ``region``: where the run's Bedrock jobs are created (the function's region: the Lambda's
    ``AWS_REGION``, or the region in the execution ARN); a known model not customizable there is a
    problem. None: the region is not checked.

    ``fetch(bucket, key)`` returns the object's bytes or None when it does not
    exist. It may return only the beginning of a large object as a ``bytes``
    subclass with a ``total_size`` attribute (the Lambda does so).
    """
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"Input: is {json_type(raw)}, not a JSON object; start the execution with a JSON object input"
        )
    check = InputCheck.of(raw)
    env = Env(settings, fetch, region, region_of(execution_arn))
    workflow_name = execution_workflow(execution_arn, execution_name, check.problems)
    suffix = run_suffix(execution_arn, execution_name)

    # model and customization type
    base = raw["BaseModelIdentifier"] if check.given("BaseModelIdentifier") else None
    ctype = raw.get("CustomizationType", mf.FINE_TUNING) if "CustomizationType" not in check.bad_top else None
    model = base_model(check, base, ctype, region)
    customization_config = distillation(check, ctype, model)
    hps = raw.get("HyperParameters", {})
    if isinstance(hps, dict) and model is not None:
        check.problems.extend(hyperparameter_problems(hps, model, check.bad_paths))

    # names and serving
    unique = raw.get("UniqueNames", True) is not False
    names = {
        field: unique_name(raw[field], suffix) if unique else raw[field]
        for field in ("JobName", "CustomModelName")
        if check.given(field) and raw[field] is not None
    }
    custom_model_name = raw["CustomModelName"] if check.given("CustomModelName") else "custom-model"
    deployment = resolve_deployment(check, env, model)

    # evaluation
    inference = inference_config(check, model)
    inference_id = inference_model_id(check, base, model)
    evaluation = evaluation_settings(check, settings)
    raw_evaluation = found if isinstance(found := raw.get("Evaluation"), dict) else {}
    check.problems.extend(judge_problems(raw_evaluation, check.bad_paths))  # also when the schema refused a sibling

    # datasets
    labels = LocalLabels()
    training_key = check_training_input(check, env, labels, model, ctype)
    validation_key, reference_key = check_validation_input(
        check, env, labels, max_prompt_chars(model, inference), evaluation.ShardSize
    )

    recipients = _recipients(check, settings)
    if "Candidates" in raw or "MaxConcurrentJobs" in raw:
        candidate_problems(check, env, RunChoice(model, ctype, deployment))

    check.problems.relabel(labels.named)
    check.warnings.relabel(labels.named)
    check.problems.raise_if_any()

    run_id = execution_name
    context = RunContext(
        RunId=run_id,
        ExecutionArn=execution_arn,
        WorkflowName=workflow_name,
        JobName=names["JobName"],
        CustomModelName=names["CustomModelName"],
        BaseModelIdentifier=base,
        CustomizationType=ctype,
        CustomizationConfig=customization_config,
        HyperParameters=dict(hps),
        TrainingDataS3Uri=f"s3://{settings.training_bucket}/{training_key}",
        OutputDataS3Uri=f"s3://{settings.artifacts_bucket}/runs/{run_id}/customization/",
        ArtifactsBucket=settings.artifacts_bucket,
        RunPrefix=f"runs/{run_id}/",
        ValidationData=ValidationDataRef(
            Bucket=settings.validation_bucket, Key=validation_key, ReferenceKey=reference_key
        ),
        InferenceModelId=inference_id,
        InferenceConfig=inference,
        Evaluation=evaluation,
        ProvisionedModelName=provisioned_model_name(custom_model_name, suffix),
        ProvisionedModelUnits=raw.get("ProvisionedModelUnits", settings.default_model_units),
        ThroughputPollSeconds=settings.throughput_poll_seconds,
        ThroughputMaxPolls=settings.throughput_max_polls,
        CustomizationTimeoutSeconds=settings.customization_timeout_seconds,
        EvaluationTimeoutSeconds=settings.evaluation_timeout_seconds,
        KeepThroughputOnWin=raw.get("KeepThroughputOnWin", True),
        KeepLosingCustomModel=raw.get("KeepLosingCustomModel", True),
        Recipients=recipients,
        RunTags=[Tag(**tag) for tag in tags.run_tags(run_id, workflow_name)],
        DeploymentRequested=deployment.requested,
        DeploymentMode=deployment.mode,
        KeepWinnerAs=deployment.keep_as,
        CustomModelDeploymentName=deployment_name(custom_model_name, suffix),
        DeploymentPollSeconds=settings.deployment_poll_seconds,
        DeploymentMaxPolls=settings.deployment_max_polls,
        ClientRequestTokens=client_request_tokens(execution_arn, execution_name),
    )
    if check.given("Candidates"):
        context._sweep = sweep_settings(raw, context, execution_name, suffix, unique)
    context._warnings.extend(check.warnings)
    return context


def _recipients(check: InputCheck, settings: Settings) -> list[str]:
    """``NotificationEmail`` (one address or a list), else the module's default recipients."""
    if check.given("NotificationEmail"):
        email = check.raw["NotificationEmail"]
        recipients = [email] if isinstance(email, str) else list(email)
    else:
        recipients = list(settings.default_recipients)
    if not recipients:
        check.warnings.add(
            "NotificationEmail",
            "no recipient is configured, no email will be sent",
            "set NotificationEmail or the module's default recipients",
        )
    return recipients
