"""No guessed response shapes: every field a template reads from an AWS API result must be in the
documented output of that API (botocore's service model, PascalCased as Step Functions returns it).

Checked for every Task state of both templates that calls AWS directly (``aws-sdk:*`` and the optimized
``bedrock:*`` / ``states:*`` integrations): the ``ResultSelector`` paths, and, for a task that keeps its
whole result (no ``ResultSelector``), every path anywhere in the template that reads below its
``ResultPath``. The optimized ``createModelCustomizationJob.sync`` is checked against the
CreateModelCustomizationJob output: the Step Functions docs ("Call Amazon Bedrock with Step Functions")
describe no other shape for it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import botocore.session
import pytest
from botocore import xform_name

from bedrock_customize import paths

TEMPLATES = ("statemachine.asl.json.tftpl", "modules/evaluation/statemachine.asl.json.tftpl")
SDK_SERVICES = {"bedrockruntime": "bedrock-runtime", "sfn": "stepfunctions"}
OPTIMIZED = {
    ("bedrock", "invokeModel"): ("bedrock-runtime", "InvokeModel"),
    ("bedrock", "createModelCustomizationJob"): ("bedrock", "CreateModelCustomizationJob"),
    # .sync:2 returns DescribeExecution's output (Output parsed as JSON)
    ("states", "startExecution"): ("stepfunctions", "DescribeExecution"),
}
RESOURCE = re.compile(r"^arn:aws:states:::(?:(?P<sdk>aws-sdk):)?(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)")


@cache
def _service(name: str):
    return botocore.session.get_session().get_service_model(name)


def output_shape(resource: str):
    """The botocore output shape of a Task resource, or None when the resource is not a direct AWS call."""
    match = RESOURCE.match(resource)
    if not match or match.group("service") == "lambda" and not match.group("sdk"):
        return None
    service, action = match.group("service"), match.group("action")
    if match.group("sdk"):
        model = _service(SDK_SERVICES.get(service, service))
        operation = next(op for op in model.operation_names if xform_name(op) == xform_name(action))
    else:
        boto, operation = OPTIMIZED[(service, action)]
        model = _service(boto)
    return model.operation_model(operation).output_shape


def _segments(path: str) -> list[str]:
    return [re.sub(r"\[.*?\]", "", part) for part in path[2:].split(".") if part]


def missing_field(shape: Any, segments: list[str]) -> str | None:
    """The first segment that the shape does not have (PascalCase member names), else None."""
    for segment in segments:
        while shape is not None and shape.type_name in ("list", "map"):
            shape = shape.member if shape.type_name == "list" else shape.value
        if shape is None or shape.type_name != "structure":
            return None  # a document, blob or string payload: not modelled further
        members = {name[:1].upper() + name[1:]: member for name, member in shape.members.items()}
        if segment not in members:
            return segment
        shape = members[segment]
    return None


def _paths(value: Any) -> list[str]:
    """JSONPaths a state reads: values of ``*.$`` keys, ``Variable`` and ``*Path`` fields, inside intrinsics too."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith(".$") or key == "Variable" or key.endswith("Path")):
                found += re.findall(r"(?<![$\w])\$(?:\.[A-Za-z0-9_]+(?:\[[^\]]*\])?)+", item)
            else:
                found += _paths(item)
    elif isinstance(value, list):
        for item in value:
            found += _paths(item)
    return found


def _tasks(definition: dict[str, Any]):
    for name, state in definition.get("States", {}).items():
        yield name, state
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _tasks(state[key])
        for branch in state.get("Branches", []):
            yield from _tasks(branch)


def unread_fields(definition: dict[str, Any]) -> list[str]:
    """``state: path`` for every read of a field that the called API's documented output lacks."""
    problems: list[str] = []
    states = list(_tasks(definition))
    for name, state in states:
        if state.get("Type") != "Task":
            continue
        shape = output_shape(state.get("Resource", ""))
        if shape is None:
            continue
        selector = state.get("ResultSelector")
        if selector is not None:
            for path in _paths(selector):
                bad = missing_field(shape, _segments(path))
                if bad:
                    problems.append(f"{name}: ResultSelector reads {path} ({bad} is not in the documented output)")
            continue
        prefix = state.get("ResultPath", "$")
        if not isinstance(prefix, str) or prefix == "$":
            continue
        for reader, other in states:
            for path in _paths({k: v for k, v in other.items() if k != "ResultPath"}):
                if path.startswith(prefix + "."):
                    bad = missing_field(shape, _segments("$" + path[len(prefix) :]))
                    if bad:
                        problems.append(f"{reader}: reads {path}, the result of {name} ({bad} is not documented)")
    return problems


@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_read_only_documented_fields(template):
    definition = json.loads((paths.module_root() / template).read_text(encoding="utf-8"))
    calls_aws = any(output_shape(s.get("Resource", "")) is not None for _, s in _tasks(definition))
    assert calls_aws or "evaluation" in template
    assert unread_fields(definition) == []


def test_the_check_catches_a_guessed_shape():
    """The ancestor read OutputModelArn and Status from the .sync result: not documented, so reported."""
    definition = {
        "States": {
            "CustomizeModel": {
                "Type": "Task",
                "Resource": "arn:aws:states:::bedrock:createModelCustomizationJob.sync",
                "ResultSelector": {"JobArn.$": "$.JobArn", "CustomModelArn.$": "$.OutputModelArn"},
                "ResultPath": "$.customization",
            },
            "GetJob": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:bedrock:getModelCustomizationJob",
                "ResultPath": "$.job",
            },
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.job.State", "StringEquals": "x", "Next": "A"}]},
            "Use": {
                "Type": "Pass",
                "Parameters": {"Arn.$": "$.job.OutputModelArn", "X.$": "States.Format('{}', $.job.Nope)"},
            },
        }
    }
    assert unread_fields(definition) == [
        "CustomizeModel: ResultSelector reads $.OutputModelArn (OutputModelArn is not in the documented output)",
        "Check: reads $.job.State, the result of GetJob (State is not documented)",
        "Use: reads $.job.Nope, the result of GetJob (Nope is not documented)",
    ]
