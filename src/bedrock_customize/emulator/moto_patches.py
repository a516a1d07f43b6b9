"""Patches that close moto 5.2.5's gaps for this project. Test/emulator code only.

Each patch is applied once per process and is tied to the pinned moto version:
:func:`apply` refuses another moto version, so an upgrade is a deliberate change.

1. Step Functions service integrations: moto's ``_normalise_parameters`` /
   ``_normalise_response`` are no-ops, so PascalCase ASL parameters never reach
   botocore's camelCase members and outputs keep botocore casing. We map names
   through the operation's shapes both ways and turn datetimes into ISO strings.
2. ``arn:aws:states:::bedrock:createModelCustomizationJob.sync``: moto routes
   Bedrock to an "unsupported" class that cannot ``.sync``; we add an
   integration that creates the job and polls it by name until it ends.
3. Bedrock control plane: provisioned throughput and custom model deployment
   APIs (missing in moto), tags on both, ``clientRequestToken`` idempotency of the
   job create, job lookup and custom model deletion by ARN (moto never decodes it).
4. bedrock-runtime: InvokeModel with family-shaped bodies, Converse.
5. Lambda without Docker: the real handler runs in-process.
6. Wait states: seconds scaled by the emulator's ``wait_scale``.
7. Step Functions "Execution Status Change" events on the default bus when an
   execution ends (moto emits none), as AWS does for every standard workflow.
8. EventBridge rule targets that are Lambda functions (moto delivers only to
   logs, SQS and buses): invoked asynchronously in-process, with Lambda's two
   retries on error; every attempt is recorded in ``ASYNC_INVOCATIONS``.
9. Service limits (256 KiB payloads, 25,000 history events): ``limits.py``.
10. Distributed Map: ResultWriter files, failure tolerance, per-iteration histories: ``distributed_map.py``.
11. The interpreter's own clients: moto builds a new boto3 client for every Lambda task, S3 ItemReader /
   ResultWriter and service integration call (``boto_client_for``), about as costly as the emulated
   call itself; they are cached per (region, service, endpoint) and forgotten when the emulator stops.
12. ASL parsing: the ANTLR parse tree of a definition is kept (by its text) instead of parsed again on
   every create_state_machine and execution; each execution still gets fresh evaluation components.
13. S3 requests are atomic, as each S3 request is: moto 5.2.5 is not thread-safe on one key. Two concurrent
   PutObject calls on the same key (two runs writing one content-addressed evaluation cache entry) let the
   second replace the first's key and close its buffer while the first still computes its ETag
   (``ValueError: I/O operation on closed file``), and ``If-None-Match: *`` is a check-then-write that both
   can pass. Every bucket and object request is served under one lock, so one conditional write wins and
   the other gets 412, as in S3.
14. The interpreter's own waits. A ``.sync`` task (a customization job, a child execution) checked its
   resource every 0.5 s, so a job that ends at its first poll and a child that has just ended each cost a
   run up to half a second of idle; the checks now start 20 ms apart and double up to 0.5 s, and a check
   is made as soon as any execution ends. A Retry's interval is a wait of the service, scaled by
   ``wait_scale`` as Wait states are (patch 6).
15. One botocore data loader per process. Every boto3 Session (moto resets the default one when a mock
   starts; the handlers, the interpreter and moto's own backends create clients) built its own loader and
   read and parsed the service models again: about 180 ms per fresh session and client, 28 ms with one
   shared loader. The loader only reads the installed, read-only model files, so one instance serves every
   session; boto3's data path is added to it once instead of once per session.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import logging
import threading
import time as _time
import traceback
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import moto

from . import bedrock as emulated
from . import distributed_map, limits

SUPPORTED_MOTO = "5.2.5"

_applied = False
_lock = threading.Lock()

# Lambda registry: function name -> "package.module.function"; filled by the deployer.
LAMBDA_ENTRYPOINTS: dict[str, str] = {}
# Optional per-function fault hooks: function name -> callable(event) run before the handler.
LAMBDA_FAULTS: dict[str, Callable[[dict[str, Any]], None]] = {}
# Wait states: real seconds = seconds * WAIT_SCALE[0]
WAIT_SCALE = [0.0]
# Asynchronous (EventBridge) Lambda invocations, oldest first: function name, event, result or error.
# Both lists are read and written only under ``_async`` (threads start before they are listed, so a
# waiter never joins an unstarted thread); ``_async_pending`` counts executions that have ended but
# whose status-change event may still start invocations (a waiter must not miss those).
ASYNC_INVOCATIONS: list[dict[str, Any]] = []
ASYNC_THREADS: list[threading.Thread] = []
_async = threading.Condition(threading.RLock())
_async_pending = [0]
# Every execution's end is counted and announced (patch 14): a ``.sync`` check and the emulator's run
# waiter wake on it instead of sleeping out their poll interval.
_ended = threading.Condition()
_ended_count = [0]
SYNC_CHECK_SECONDS = (0.02, 0.5)  # the first interval between a .sync task's checks, and the longest
ASYNC_RETRY_DELAYS = (60.0, 120.0)  # Lambda's two retries of a failed asynchronous invocation
STATUS_CHANGE = "Step Functions Execution Status Change"


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        return value.isoformat()
    if hasattr(value, "read") and callable(value.read):
        data = value.read()
        return data.decode("utf-8") if isinstance(data, bytes) else data
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


_operation_cache: dict[tuple[str, str], Any] = {}


def _operation_model(service: str, snake_action: str):
    key = (service, snake_action)
    if key not in _operation_cache:
        import botocore.session
        from botocore import xform_name

        model = botocore.session.get_session().get_service_model(service)
        name = next((op for op in model.operation_names if xform_name(op) == snake_action), None)
        _operation_cache[key] = model.operation_model(name) if name else None
    return _operation_cache[key]


def _patch_service_normalisation() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        op = _operation_model(
            self._get_boto_service_name(boto_service_name), self._get_boto_service_action(service_action_name)
        )
        if op is not None and op.input_shape is not None:
            self._to_boto_request(parameters, op.input_shape)

    def _normalise_response(self, response, boto_service_name=None, service_action_name=None):
        op = _operation_model(
            self._get_boto_service_name(boto_service_name), self._get_boto_service_action(service_action_name)
        )
        if isinstance(response, dict):
            response.pop("ResponseMetadata", None)
            if op is not None and op.output_shape is not None:
                self._from_boto_response(response, op.output_shape)
            converted = _to_jsonable(response)
            response.clear()
            response.update(converted)

    StateTaskService._normalise_parameters = _normalise_parameters
    StateTaskService._normalise_response = _normalise_response


def _patch_bedrock_integration() -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory as factory,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils import boto_client
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    supported = {
        "createmodelcustomizationjob": {
            "BaseModelIdentifier",
            "ClientRequestToken",
            "CustomModelKmsKeyId",
            "CustomModelName",
            "CustomModelTags",
            "CustomizationType",
            "HyperParameters",
            "JobName",
            "JobTags",
            "OutputDataConfig",
            "RoleArn",
            "TrainingDataConfig",
            "ValidationDataConfig",
            "VpcConfig",
            "CustomizationConfig",
        },
        "invokemodel": {
            "Accept",
            "Body",
            "ContentType",
            "ModelId",
            "Input",
            "Output",
            "Trace",
            "GuardrailIdentifier",
            "GuardrailVersion",
        },
    }

    class StateTaskServiceBedrock(StateTaskServiceAwsSdk):
        """The optimized Bedrock integration, with ``.sync`` for customization jobs."""

        def __init__(self):
            StateTaskServiceCallback.__init__(
                self,
                supported_integration_patterns={ResourceCondition.WaitForTaskToken, ResourceCondition.Sync},
            )

        def _get_supported_parameters(self):
            return supported.get(self.resource.api_action.lower())

        def _validate_service_integration_is_supported(self):
            if self._get_supported_parameters() is None:
                raise ValueError(f"The resource provided {self.resource.resource_arn} not recognized.")

        def _get_sfn_resource_type(self) -> str:
            return "bedrock"

        def _get_boto_service_name(self, boto_service_name=None) -> str:
            if (boto_service_name or self.resource.api_action).lower() == "invokemodel":
                return "bedrock-runtime"
            return "bedrock"

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            client = boto_client.boto_client_for(  # looked up per call: the cached one (patch 11)
                service=self._get_boto_service_name(),
                region=resource_runtime_part.region,
                state_credentials=state_credentials,
            )
            response = getattr(client, self._get_boto_service_action())(**normalised_parameters) or {}
            response.pop("ResponseMetadata", None)
            env.stack.append(response)

        def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            env.stack.pop()  # the create response
            job_name = normalised_parameters["jobName"]
            account = resource_runtime_part.account
            region = resource_runtime_part.region

            def _resolve():
                from moto.bedrock.models import bedrock_backends

                backend = bedrock_backends[account][region]
                job = backend.get_model_customization_job(job_name)
                emulated.active_world().advance_job(job, backend)
                if job.status == "InProgress":
                    return None
                description = job.to_dict()
                self._normalise_response(description, service_action_name="get_model_customization_job")
                if job.status == "Completed" or not emulated.active_world().config.sync_fails_on_job_failure:
                    return description
                raise FailureEventException(
                    FailureEvent(
                        env=env,
                        error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                        event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(
                            taskFailedEventDetails=TaskFailedEventDetails(
                                resource=self._get_sfn_resource(),
                                resourceType=self._get_sfn_resource_type(),
                                error=StatesErrorNameType.StatesTaskFailed.to_name(),
                                cause=to_json_str(description),
                            )
                        ),
                    )
                )

            return _resolve

    original = factory.state_task_service_for

    def state_task_service_for(service_name: str):
        if service_name == "bedrock":
            return StateTaskServiceBedrock()
        return original(service_name)

    factory.state_task_service_for = state_task_service_for
    state_task_factory.state_task_service_for = state_task_service_for

    # The aws-sdk integration names errors "<Service>.<Code>": give Bedrock its AWS spelling.
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )

    aws_sdk._SERVICE_ERROR_NAMES.setdefault("bedrock", "Bedrock")

    # Real AWS reports a service error as "<Service>.<ErrorCode>" (e.g. Bedrock.ThrottlingException);
    # moto uses the botocore exception class name, which is "ClientError" for modeled-less codes.
    def _normalise_exception_name(norm_service_name: str, ex: Exception) -> str:
        code = getattr(ex, "response", {}).get("Error", {}).get("Code") or ex.__class__.__name__
        name = f"{norm_service_name}.{code}"
        return name if name.endswith("Exception") else name + "Exception"

    StateTaskServiceAwsSdk._normalise_exception_name = staticmethod(_normalise_exception_name)


def _patch_bedrock_control_plane() -> None:
    from moto.bedrock.responses import BedrockResponse

    def _region_account(self):
        return self.region, self.current_account

    def create_provisioned_model_throughput(self):
        region, account = _region_account(self)
        body = json.loads(self.body or "{}")
        return json.dumps(emulated.active_world().create_throughput(region, account, body))

    def get_provisioned_model_throughput(self):
        identifier = unquote(self.uri_match.get("provisionedModelId") or self.path.split("/")[-1])
        return json.dumps(emulated.active_world().get_throughput(identifier))

    def delete_provisioned_model_throughput(self):
        identifier = unquote(self.uri_match.get("provisionedModelId") or self.path.split("/")[-1])
        emulated.active_world().delete_throughput(identifier)
        return json.dumps({})

    def list_provisioned_model_throughputs(self):
        return json.dumps({"provisionedModelSummaries": emulated.active_world().list_throughputs()})

    def create_custom_model_deployment(self):
        region, account = _region_account(self)
        body = json.loads(self.body or "{}")
        return json.dumps(emulated.active_world().create_deployment(region, account, body))

    def get_custom_model_deployment(self):
        identifier = unquote(self.path.split("/")[-1])
        return json.dumps(emulated.active_world().get_deployment(identifier))

    def delete_custom_model_deployment(self):
        identifier = unquote(self.path.split("/")[-1])
        emulated.active_world().delete_deployment(identifier)
        return json.dumps({})

    def list_custom_model_deployments(self):
        return json.dumps({"modelDeploymentSummaries": emulated.active_world().list_deployments()})

    original_create_job = BedrockResponse.create_model_customization_job

    def create_model_customization_job(self):
        # Bedrock: a create with the clientRequestToken of an earlier one returns that job (idempotent retry).
        body = json.loads(self.body or "{}")
        token = body.get("clientRequestToken")
        world = emulated.active_world()
        known = world.job_for_token(token)
        if known is not None:
            return json.dumps({"jobArn": known})
        world.check_job_request(body)
        response = original_create_job(self)
        world.remember_job(token, json.loads(response)["jobArn"], body.get("customizationConfig"))
        return response

    original_list_tags = BedrockResponse.list_tags_for_resource

    def list_tags_for_resource(self):
        arn = json.loads(self.body or "{}").get("resourceARN", "")
        world = emulated.active_world()
        tags = world.throughput_tags(arn)
        if tags is None:
            tags = world.deployment_tags(arn)
        if tags is not None:
            return json.dumps({"tags": tags})
        return original_list_tags(self)

    def get_model_customization_job(self):
        # moto never URL-decodes the identifier, so an ARN fails; look up by the name it ends with.
        identifier = unquote(self.path.split("/")[-1])
        if identifier.startswith("arn:"):
            identifier = identifier.rsplit("/", 1)[-1]
        job = self.bedrock_backend.get_model_customization_job(job_identifier=identifier)
        description = dict(job.to_dict())
        config = emulated.active_world().customization_config_of(description.get("jobArn", ""))
        if config is not None:
            description["customizationConfig"] = config
        return json.dumps(description)

    def delete_custom_model(self):
        # moto neither URL-decodes the identifier nor accepts an ARN here (Bedrock takes a name or an ARN).
        identifier = unquote(self.path.split("/")[-1])
        model = self.bedrock_backend.get_custom_model(model_identifier=identifier)
        self.bedrock_backend.delete_custom_model(model_identifier=model.model_name)
        return json.dumps({})

    BedrockResponse.delete_custom_model = delete_custom_model
    BedrockResponse.create_model_customization_job = create_model_customization_job
    BedrockResponse.create_custom_model_deployment = create_custom_model_deployment
    BedrockResponse.get_custom_model_deployment = get_custom_model_deployment
    BedrockResponse.delete_custom_model_deployment = delete_custom_model_deployment
    BedrockResponse.list_custom_model_deployments = list_custom_model_deployments
    BedrockResponse.create_provisioned_model_throughput = create_provisioned_model_throughput
    BedrockResponse.get_provisioned_model_throughput = get_provisioned_model_throughput
    BedrockResponse.delete_provisioned_model_throughput = delete_provisioned_model_throughput
    BedrockResponse.list_provisioned_model_throughputs = list_provisioned_model_throughputs
    BedrockResponse.list_tags_for_resource = list_tags_for_resource
    BedrockResponse.get_model_customization_job = get_model_customization_job


def _patch_bedrock_runtime() -> None:
    from moto.bedrockruntime.responses import BedrockRuntimeResponse
    from moto.core.responses import ActionResult

    def invoke_model(self):
        model_id = unquote(self._get_param("modelId"))
        body = self.body if isinstance(self.body, str | bytes) else self._get_param("body")
        result = emulated.invoke_model(model_id, body)
        return ActionResult({"body": json.dumps(result), "contentType": "application/json"})

    def converse(self):
        model_id = unquote(self._get_param("modelId"))
        request = json.loads(self.body or "{}")
        return ActionResult(emulated.converse(model_id, request))

    BedrockRuntimeResponse.invoke_model = invoke_model
    BedrockRuntimeResponse.converse = converse


class LambdaContext:
    """The parts of the Lambda context object our handlers and Powertools-style code read."""

    def __init__(self, function_name: str, arn: str, memory: int, timeout: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "emulator"
        self._deadline = _dt.datetime.now() + _dt.timedelta(seconds=timeout)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - _dt.datetime.now()).total_seconds() * 1000))


_handler_cache: dict[str, Callable[..., Any]] = {}


def _resolve_handler(entrypoint: str) -> Callable[..., Any]:
    found = _handler_cache.get(entrypoint)
    if found is None:
        module_name, _, attr = entrypoint.rpartition(".")
        found = getattr(importlib.import_module(module_name), attr)
        _handler_cache[entrypoint] = found
    return found


def invoke_in_process(fn: Any, event: dict[str, Any]) -> Any:
    """Run the registered handler of moto Lambda function ``fn`` (raises what the handler raises)."""
    entrypoint = LAMBDA_ENTRYPOINTS.get(fn.function_name)
    if entrypoint is None:
        raise RuntimeError(f"emulator: no handler registered for Lambda function {fn.function_name}")
    context = LambdaContext(fn.function_name, fn.function_arn, int(fn.memory_size or 128), int(fn.timeout or 3))
    fault = LAMBDA_FAULTS.get(fn.function_name)
    if fault is not None:
        fault(event)
    return _resolve_handler(entrypoint)(event, context)


def _patch_lambda() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        fn = self.get_function(function_name, qualifier)
        event = json.loads(body) if body else {}
        try:
            return json.dumps(invoke_in_process(fn, event)).encode("utf-8")
        except Exception as exc:  # the Lambda runtime reports every exception this way
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_exception(exc)[-5:],
                }
            ).encode("utf-8")

    LambdaSimpleBackend.invoke = invoke


def invoke_async(function_arn: str, event: dict[str, Any]) -> threading.Thread:
    """An asynchronous invocation (InvocationType=Event): a thread, with Lambda's retries on error."""
    import time

    from moto.awslambda_simple.models import lambda_simple_backends

    parts = function_arn.split(":")
    region, account, name = parts[3], parts[4], parts[6]

    def run() -> None:
        fn = lambda_simple_backends[account][region].get_function(name, None)
        for attempt in range(len(ASYNC_RETRY_DELAYS) + 1):
            record: dict[str, Any] = {"function": name, "event": event, "attempt": attempt + 1}
            try:
                record["result"] = invoke_in_process(fn, json.loads(json.dumps(event)))
            except Exception as exc:  # recorded like Lambda's async error metrics
                record["error"] = f"{type(exc).__name__}: {exc}"
            with _async:
                ASYNC_INVOCATIONS.append(record)
            if "error" not in record or attempt == len(ASYNC_RETRY_DELAYS):
                return
            time.sleep(ASYNC_RETRY_DELAYS[attempt] * WAIT_SCALE[0])

    thread = threading.Thread(target=run, name=f"async-{name}", daemon=True)
    with _async:  # started before it is listed: a waiter never sees an unstarted thread
        thread.start()
        ASYNC_THREADS.append(thread)
    return thread


def wait_for_async_invocations(timeout: float) -> list[dict[str, Any]]:
    """Wait (at most ``timeout`` seconds) until no asynchronous invocation runs or is about to start.

    Returns every attempt recorded so far, oldest first. Loops until quiet: an invocation that ends
    while others are joined, or an execution that ends meanwhile, may start more.
    """
    deadline = _time.monotonic() + timeout
    while True:
        with _async:
            while _async_pending[0] and _async.wait(max(0.0, deadline - _time.monotonic())):
                pass
            alive = [t for t in ASYNC_THREADS if t.is_alive()]
            if not alive and not _async_pending[0]:
                return list(ASYNC_INVOCATIONS)
        if _time.monotonic() >= deadline:
            with _async:
                return list(ASYNC_INVOCATIONS)
        for thread in alive:
            thread.join(max(0.0, deadline - _time.monotonic()))


def clear_async_invocations() -> None:
    with _async:
        ASYNC_THREADS.clear()
        ASYNC_INVOCATIONS.clear()


def _patch_events_lambda_targets() -> None:
    import copy

    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        targets = list(self.targets)  # one snapshot: put_targets/remove_targets may run meanwhile
        is_lambda = [parse_arn(t["Arn"]).service == "lambda" for t in targets]
        if not any(is_lambda):
            return original(self, original_event, transform_input)
        # moto raises NotImplementedError for a Lambda target: hand it a copy of the rule without them
        # (never the shared rule with its targets swapped, which another thread would see).
        others = copy.copy(self)
        others.targets = [t for t, lam in zip(targets, is_lambda, strict=True) if not lam]
        if others.targets:
            original(others, original_event, transform_input)
        if not self.event_pattern.matches_event(original_event):
            return
        for target, lam in zip(targets, is_lambda, strict=True):
            if lam:
                invoke_async(target["Arn"], dict(original_event))

    Rule.send_to_targets = send_to_targets


def _epoch_ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if isinstance(value, _dt.datetime) else None


def _patch_execution_status_events() -> None:
    from moto.events.models import events_backends
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self):
        # Counted before the status leaves RUNNING (in ``original``) until the event's invocations are
        # listed: whoever sees the run ended and waits for asynchronous invocations waits for these too.
        with _async:
            _async_pending[0] += 1
        try:
            original(self)
            try:
                _emit_status_change(self.execution)
            except Exception:  # noqa: BLE001 - an observer must never break the execution it observes
                logging.getLogger(__name__).exception("emulator: could not emit the status-change event")
        finally:
            with _async:
                _async_pending[0] -= 1
                _async.notify_all()
            with _ended:
                _ended_count[0] += 1
                _ended.notify_all()

    def _emit_status_change(execution):
        status = execution.exec_status.value if execution.exec_status is not None else None
        detail = {
            "executionArn": execution.exec_arn,
            "stateMachineArn": execution.state_machine.arn,
            "name": execution.name,
            "status": status,
            "startDate": _epoch_ms(execution.start_date),
            "stopDate": _epoch_ms(execution.stop_date),
            "input": json.dumps(execution.input_data),
            "output": json.dumps(execution.output) if execution.output is not None else None,
            "error": None if execution.error is None else str(execution.error),
            "cause": None if execution.cause is None else str(execution.cause),
        }
        backend = events_backends[execution.account_id][execution.region_name]
        backend.put_events(
            [
                {
                    "Source": "aws.states",
                    "DetailType": STATUS_CHANGE,
                    "Detail": json.dumps(detail, default=str),
                    "Resources": [execution.exec_arn],
                    "EventBusName": "default",
                }
            ]
        )

    BaseExecutionWorkerCommunication.terminated = terminated


def _patch_wait() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    def _wait_interval(self, env, wait_seconds):
        scaled = float(wait_seconds) * WAIT_SCALE[0]
        if scaled > 0:
            env.program_state_event.wait(scaled)

    WaitFunction._wait_interval = _wait_interval


def executions_ended() -> int:
    """How many executions have ended in this process: pass it to :func:`wait_for_an_execution_end`."""
    with _ended:
        return _ended_count[0]


def wait_for_an_execution_end(since: int, timeout: float) -> None:
    """Sleep ``timeout`` seconds, or less when an execution ends after :func:`executions_ended` said ``since``."""
    deadline = _time.monotonic() + timeout
    with _ended:
        while _ended_count[0] == since:
            left = deadline - _time.monotonic()
            if left <= 0 or not _ended.wait(left):
                return


def _patch_interpreter_waits() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback,
    )
    from moto.stepfunctions.parser.utils import TMP_THREADS

    class _RetryClock:
        """``time`` as retrier_decl sees it: its only use is the sleep of a Retry's interval."""

        def __getattr__(self, name: str) -> Any:
            return getattr(_time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            scaled = float(seconds) * WAIT_SCALE[0]
            if scaled > 0:
                _time.sleep(scaled)

    retrier_decl.time = _RetryClock()

    def _eval_sync(self, env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint):
        # moto 5.2.5's StateTaskServiceCallback._eval_sync, with the fixed 0.5 s sleep between checks
        # replaced by a doubling interval that an execution's end cuts short.
        callback_output = None
        if callback_endpoint is not None:

            def _local_update_wait_for_task_token():
                nonlocal callback_output
                callback_output = self._eval_wait_for_task_token(
                    env=env,
                    timeout_seconds=timeout_seconds,
                    callback_endpoint=callback_endpoint,
                    heartbeat_endpoint=heartbeat_endpoint,
                )

            thread = threading.Thread(
                target=_local_update_wait_for_task_token,
                name=f"WaitForTaskToken_SyncTask_{self.resource.resource_arn}",
                daemon=True,
            )
            TMP_THREADS.append(thread)
            thread.start()

        sync_result = None
        interval, longest = SYNC_CHECK_SECONDS
        while env.is_running():
            since = executions_ended()
            sync_result = sync_resolver()
            if callback_output or sync_result:
                break
            wait_for_an_execution_end(since, interval)
            interval = min(longest, interval * 2)
        return callback_output or sync_result

    callback.StateTaskServiceCallback._eval_sync = _eval_sync


_PARSE_TREES_KEPT = 32
_parse_trees: dict[str, Any] = {}
_parse_trees_lock = threading.Lock()


def _patch_asl_parse_cache() -> None:
    """moto parses a definition with ANTLR on create_state_machine and again on every execution
    (0.2-0.3 s of CPU for the parent workflow each time). The ANTLR parse tree of a definition is
    kept (by its text); each call still builds fresh evaluation components from it with a new
    Preprocessor, so no execution shares state with another. A definition with syntax errors is
    parsed (and rejected) every time, as before."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original = AmazonStateLanguageParser.parse

    def parse(definition: str):
        with _parse_trees_lock:
            tree = _parse_trees.get(definition)
        if tree is None:
            program, tree = original(definition)
            with _parse_trees_lock:
                if len(_parse_trees) >= _PARSE_TREES_KEPT:
                    _parse_trees.pop(next(iter(_parse_trees)))  # the oldest
                _parse_trees[definition] = tree
            return program, tree
        return Preprocessor().visit(tree), tree

    AmazonStateLanguageParser.parse = staticmethod(parse)


_interpreter_clients: dict[tuple[str, str, bool], Any] = {}
_interpreter_clients_lock = threading.Lock()


def clear_interpreter_clients() -> None:
    """Forget the cached interpreter clients (the emulator calls this when it starts and stops)."""
    with _interpreter_clients_lock:
        _interpreter_clients.clear()


def _patch_interpreter_clients() -> None:
    import sys

    from moto.core.models import botocore_stubber
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory  # noqa: F401
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: F401
        state_task_service_factory,
    )
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for

    def cached_client_for(region: str, service: str, state_credentials: Any = None):
        # moto 5.2.5's boto_client_for ignores state_credentials: the key needs only these.
        key = (region, service, bool(botocore_stubber.enabled))
        with _interpreter_clients_lock:
            found = _interpreter_clients.get(key)
            if found is None:
                found = original(region=region, service=service, state_credentials=state_credentials)
                _interpreter_clients[key] = found
            return found

    boto_client.boto_client_for = cached_client_for
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = cached_client_for


_s3_request_lock = threading.RLock()


def _patch_s3_atomic_requests() -> None:
    from moto.s3.responses import S3Response

    def atomic(original: Callable[..., Any]) -> Callable[..., Any]:
        def serve(self, *args, **kwargs):
            with _s3_request_lock:
                return original(self, *args, **kwargs)

        return serve

    S3Response._key_response = atomic(S3Response._key_response)
    S3Response._bucket_response = atomic(S3Response._bucket_response)


def _patch_shared_botocore_loader() -> None:
    import functools
    import os

    import boto3.session
    import botocore.loaders
    import botocore.session

    shared = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
    botocore.loaders.create_loader = shared
    botocore.session.create_loader = shared  # the name botocore's Session calls
    boto3_data = os.path.join(os.path.dirname(boto3.session.__file__), "data")

    def setup_loader(self: boto3.session.Session) -> None:
        # boto3 1.x appends its data path to the session's loader; the loader is shared now: once.
        self._loader = self._session.get_component("data_loader")
        if boto3_data not in self._loader.search_paths:
            self._loader.search_paths.append(boto3_data)

    boto3.session.Session._setup_loader = setup_loader


def apply() -> None:
    """Apply every patch once (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        if moto.__version__ != SUPPORTED_MOTO:
            raise RuntimeError(
                f"the emulator patches moto {SUPPORTED_MOTO} internals; found moto {moto.__version__}. "
                "Upgrade deliberately: re-check every patch in bedrock_customize/emulator/moto_patches.py."
            )
        _patch_service_normalisation()
        _patch_bedrock_integration()
        _patch_bedrock_control_plane()
        _patch_bedrock_runtime()
        _patch_lambda()
        _patch_wait()
        _patch_events_lambda_targets()
        _patch_execution_status_events()
        limits.apply()  # the service's payload and history limits (emulator/limits.py)
        distributed_map.apply()  # Distributed Map gaps: results to S3, failure tolerance (emulator/distributed_map.py)
        _patch_interpreter_clients()
        _patch_asl_parse_cache()
        _patch_s3_atomic_requests()
        _patch_interpreter_waits()
        _patch_shared_botocore_loader()
        _applied = True
