"""Every error name a Retry or Catch of either template matches is an error something can raise.

The templates are rendered as the emulator renders them (the same ``templatefile`` variables, from the
Terraform code). Each non-``States.*`` name in an ``ErrorEquals`` must be one of:

- on a Lambda task, a plain name: an exception class defined and constructed (raised, or returned by a
  classifier whose caller raises it) in the shipped package of the function the task invokes; the Lambda
  runtime reports ``errorType`` as the class name;
- ``Lambda.<name>``: an error shape of botocore's ``lambda`` model, or one of the names the Step Functions
  guide says Step Functions reports for Lambda service errors ("Handle Lambda service exceptions",
  bp-lambda-serviceexception: ClientExecutionTimeoutException, ServiceException, AWSLambdaException,
  SdkClientException, Unknown for unhandled errors and timeouts, TooManyRequestsException);
- ``Bedrock.<shape>`` on a Bedrock task, ``StepFunctions.<shape>`` on a Step Functions task: an error shape
  of that service in botocore's model (Step Functions names a service integration's errors
  ``<Service>.<Exception>``).

A name nothing raises makes a Retry or Catch that never fires: the test fails and names it.
"""

from __future__ import annotations

import ast
import functools

import botocore.session
import pytest

from bedrock_customize import paths
from bedrock_customize.emulator.render import render_file
from bedrock_customize.emulator.terraform_source import lambda_functions, template_calls

ROOT = paths.module_root()
TEMPLATES = {
    "customize": ROOT / "statemachine.asl.json.tftpl",
    "evaluate": ROOT / "modules" / "evaluation" / "statemachine.asl.json.tftpl",
}


def _image_sources() -> list:
    """What evaluator/Dockerfile copies of the repository's Python (bertscore_evaluator and the shared
    run contract): the evaluator functions raise what these files define."""
    sources = []
    for line in (ROOT / "evaluator" / "Dockerfile").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["COPY"]:
            sources += [ROOT / s for s in words[1:-1] if s.endswith(".py") or (ROOT / s).is_dir()]
    return sources


PACKAGES = {
    "workflow_lambdas": [ROOT / "lambdas" / "workflow_lambdas"],
    "bertscore_evaluator": _image_sources(),
}
# From the Step Functions guide, "Handle Lambda service exceptions" (not in botocore's lambda model: they
# are the Java SDK's client-side names and Step Functions' name for an unhandled function error).
LAMBDA_INTEGRATION_ERRORS = frozenset(
    {"ClientExecutionTimeoutException", "AWSLambdaException", "SdkClientException", "Unknown"}
)
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
# Names the templates use that this test cannot tie to anything: findings for the template owner.
# strict: once a name is removed (or becomes tied), its mark must go. Empty since the undocumented
# StepFunctions.ThrottlingException / ServiceUnavailableException (Evaluate) and Sandbox.Timedout
# (InferShard) were replaced by StepFunctions.ExecutionLimitExceeded and Lambda.Unknown.
UNTIED_TODAY: dict[str, str] = {}
REMOVED_UNDOCUMENTED = (
    "StepFunctions.ThrottlingException",
    "StepFunctions.ServiceUnavailableException",
    "Sandbox.Timedout",
)


@functools.cache
def service_errors(service: str) -> frozenset[str]:
    model = botocore.session.get_session().get_service_model(service)
    return frozenset(shape.name for shape in model.error_shapes)


def _variable_value(name: str) -> str:
    if name.endswith("_function_arn"):
        return LAMBDA_ARN + name.removesuffix("_function_arn")
    return f"arn:aws:placeholder:us-east-1:123456789012:{name}"


@functools.cache
def rendered(workflow: str) -> dict:
    template = TEMPLATES[workflow].resolve()
    [call] = [c for c in template_calls(ROOT) if c.template.resolve() == template]
    return render_file(template, {name: _variable_value(name) for name in call.variables})


def error_names(states: dict, workflow: str) -> list[tuple[str, str, str, str]]:
    """(workflow, state, resource, name) for every non-States.* ErrorEquals name, nested states included."""
    found = []
    for state_name, state in states.items():
        for rule in [*state.get("Retry", []), *state.get("Catch", [])]:
            for name in rule["ErrorEquals"]:
                if not name.startswith("States."):
                    found.append((workflow, state_name, str(state.get("Resource", "")), name))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                found += error_names(state[key]["States"], workflow)
        for branch in state.get("Branches", []):
            found += error_names(branch["States"], workflow)
    return found


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


@functools.cache
def raised_exception_classes(package: str) -> frozenset[str]:
    """Exception classes defined in the package and constructed outside their own definition."""
    files = sorted({f for root in PACKAGES[package] for f in ([root] if root.is_file() else root.rglob("*.py"))})
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in files]
    bases: dict[str, list[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]

    def is_exception(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name in seen:
            return False
        builtin = getattr(__builtins__, name, None) if not isinstance(__builtins__, dict) else __builtins__.get(name)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return True
        return any(is_exception(b, seen | {name}) for b in bases.get(name, []))

    exceptions = {name for name in bases if is_exception(name)}
    constructed = {_called_name(node) for tree in trees for node in ast.walk(tree) if isinstance(node, ast.Call)} - {
        None
    }
    return frozenset(exceptions & constructed)


def function_package(resource: str) -> str | None:
    """The shipped package of the Lambda function a task resource invokes (None: not a Lambda task)."""
    if not resource.startswith(LAMBDA_ARN):
        return None
    return function_packages()[resource.removeprefix(LAMBDA_ARN)]


@functools.cache
def function_packages() -> dict[str, str]:
    """Function key -> the package of its handler, from the Terraform code (parsed once)."""
    return {key: spec.entrypoint.split(".", 1)[0] for key, spec in lambda_functions(ROOT).items()}


def why_untied(resource: str, name: str) -> str | None:
    """None when the name is tied to something that raises it; else why not."""
    package = function_package(resource)
    service, _, error = name.partition(".")
    if not error:
        if package is None:
            return f"a plain name on a non-Lambda task ({resource})"
        if name in raised_exception_classes(package):
            return None
        return f"no exception class {name} is constructed in {package}"
    if service == "Lambda":
        if package is None:
            return f"a Lambda error on a non-Lambda task ({resource})"
        if error in service_errors("lambda") | LAMBDA_INTEGRATION_ERRORS:
            return None
        return f"{error} is neither a lambda error shape nor a documented Lambda integration error"
    if service == "Bedrock":
        if ":bedrock:" not in resource:
            return f"a Bedrock error on a non-Bedrock task ({resource})"
        model = "bedrock-runtime" if resource.endswith(":invokeModel") else "bedrock"
        return None if error in service_errors(model) else f"{error} is not an error shape of botocore's {model}"
    if service == "StepFunctions":
        if ":states:::states:" not in resource:
            return f"a StepFunctions error on a non-Step-Functions task ({resource})"
        ok = error in service_errors("stepfunctions")
        return None if ok else f"{error} is not an error shape of botocore's stepfunctions model"
    return f"{service}: no service this test knows how to tie"


CASES = sorted({case for workflow in TEMPLATES for case in error_names(rendered(workflow)["States"], workflow)})


def _param(case: tuple[str, str, str, str]):
    workflow, state, _resource, name = case
    marks = [pytest.mark.xfail(strict=True, reason=UNTIED_TODAY[name])] if name in UNTIED_TODAY else []
    return pytest.param(*case, id=f"{workflow}-{state}-{name}", marks=marks)


@pytest.mark.parametrize(("workflow", "state", "resource", "name"), [_param(c) for c in CASES])
def test_every_error_name_is_raised_by_something(workflow, state, resource, name):
    assert why_untied(resource, name) is None, f"{workflow} {state}: {name}: {why_untied(resource, name)}"


def test_both_templates_name_errors_of_every_kind():
    names = {name for *_rest, name in CASES}
    assert {"InferenceDeadline", "ThrottlingException", "ServiceUnavailableException"} <= names
    assert any(n.startswith("Lambda.") for n in names) and any(n.startswith("Bedrock.") for n in names)
    assert set(UNTIED_TODAY) <= names  # a finding whose name left the templates must leave UNTIED_TODAY
    assert not names & set(REMOVED_UNDOCUMENTED)
    assert ("customize", "Evaluate", "StepFunctions.ExecutionLimitExceeded") in {(w, s, n) for w, s, _r, n in CASES}


@pytest.mark.parametrize(
    ("resource", "name", "why"),
    [
        (LAMBDA_ARN + "infer", "NoSuchErrorAnywhere", "no exception class NoSuchErrorAnywhere"),
        (LAMBDA_ARN + "infer", "WorkflowError", "no exception class WorkflowError"),  # defined, never raised
        (LAMBDA_ARN + "score", "InferenceDeadline", "constructed in bertscore_evaluator"),  # another package's
        (LAMBDA_ARN + "infer", "Lambda.NoSuchException", "neither a lambda error shape"),
        ("arn:aws:states:::bedrock:createModelCustomizationJob.sync", "Bedrock.NoSuchException", "not an error"),
        ("arn:aws:states:::bedrock:createModelCustomizationJob.sync", "Lambda.ServiceException", "non-Lambda"),
        ("arn:aws:states:::states:startExecution.sync:2", "Bedrock.ThrottlingException", "non-Bedrock"),
        ("arn:aws:states:::states:startExecution.sync:2", "S3.NoSuchKey", "no service"),
    ],
)
def test_a_name_nothing_raises_is_reported(resource, name, why):
    found = why_untied(resource, name)
    assert found is not None and why in found, found


def test_the_evaluator_functions_raise_the_shared_contract_classes():
    """The image ships workflow_lambdas.contract: the evaluator's EvaluationFailed is the contract's class."""
    assert "EvaluationFailed" in raised_exception_classes("bertscore_evaluator")
    assert "InferenceDeadline" not in raised_exception_classes("bertscore_evaluator")  # defined there, raised by infer
    assert ROOT / "lambdas" / "workflow_lambdas" / "contract" in PACKAGES["bertscore_evaluator"]


def test_tied_names_of_each_kind_pass():
    assert why_untied(LAMBDA_ARN + "infer", "InferenceDeadline") is None
    assert why_untied(LAMBDA_ARN + "release_throughput", "ServiceUnavailableException") is None  # a classifier's
    assert why_untied(LAMBDA_ARN + "infer", "Lambda.TooManyRequestsException") is None  # botocore shape
    assert why_untied(LAMBDA_ARN + "infer", "Lambda.Unknown") is None  # documented integration name
    get_throughput = "arn:aws:states:::aws-sdk:bedrock:getProvisionedModelThroughput"
    assert why_untied(get_throughput, "Bedrock.ThrottlingException") is None
    assert why_untied("arn:aws:states:::states:startExecution.sync:2", "StepFunctions.ExecutionLimitExceeded") is None
