"""The emulator as an HTTP endpoint: ``bedrock-customize emulator serve``.

One process holds both:

- the in-process :class:`~bedrock_customize.emulator.core.Emulator` (moto's ``mock_aws`` with the
  emulator's patches, the module "deployed" from its Terraform code, Lambda handlers run in-process);
- a moto ``ThreadedMotoServer`` on 127.0.0.1 that serves the same moto backends over HTTP.

So an external client (``bedrock-customize start --endpoint-url http://127.0.0.1:PORT``, the AWS
CLI, boto3) sees the deployed buckets, functions and state machines, and an execution it starts runs
the real handlers in this process. moto's Step Functions interpreter calls AWS through boto3, which
``mock_aws`` intercepts in-process, so task states reach the patched backends either way.

Emulated model outputs are built from the reference answer of each prompt, so the emulator must
know the references: besides ``upload_sample``, it learns prompt -> reference pairs lazily, when an
unknown prompt arrives, from the normalised records (``runs/*/evaluation/records.jsonl``) that the
workflow's PlanShards step writes to the artifacts bucket from whatever validation data was uploaded.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from .config import SCENARIOS, EmulatorConfig, region_for_model
from .core import Emulator
from .faults import DOC as FAULTS_DOC

RECORDS_SUFFIX = "/evaluation/records.jsonl"


class ReferenceLearner:
    """Teach the emulated models the references of records.jsonl files in the artifacts bucket."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.lock = threading.Lock()
        self.learned: set[tuple[str, str]] = set()  # (key, ETag)

    def learn(self) -> int:
        """Read records files not read before; return how many pairs were taught."""
        assert self.emulator.deployment is not None
        bucket = self.emulator.deployment.buckets["artifacts"]
        s3 = self.emulator.client("s3")
        taught = 0
        with self.lock:
            paginator = s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix="runs/"):
                for item in page.get("Contents", []):
                    marker = (item["Key"], item.get("ETag", ""))
                    if not item["Key"].endswith(RECORDS_SUFFIX) or marker in self.learned:
                        continue
                    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    pairs = {}
                    for line in body.decode("utf-8", errors="replace").splitlines():
                        try:
                            record = json.loads(line)
                        except json.JSONDecodeError:
                            continue
                        if isinstance(record, dict) and isinstance(record.get("prompt"), str):
                            pairs[record["prompt"]] = str(record.get("reference", ""))
                    self.emulator.world.teach(pairs)
                    self.learned.add(marker)
                    taught += len(pairs)
        return taught

    def install(self) -> None:
        """Learn from new records files whenever the world meets a prompt it has no reference for.

        The world looks again after the hook even when this thread taught nothing: another thread
        may just have learnt the file while this one waited for the lock.
        """
        self.emulator.world.on_unknown_prompt = self.learn


@dataclass
class ServerHandle:
    """A running emulator server. ``stop()`` shuts the HTTP server and the emulator down."""

    emulator: Emulator
    server: Any
    host: str
    port: int
    learner: ReferenceLearner
    _stopped: bool = field(default=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def region(self) -> str:
        return self.emulator.config.region

    def client_env(self) -> dict[str, str]:
        """Environment for a separate client process (credentials are placeholders)."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            self.server.stop()
        finally:
            self.emulator.stop()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    config: EmulatorConfig | None = None, port: int = 0, host: str = "127.0.0.1", upload_sample: bool = False
) -> ServerHandle:
    """Start the emulator and an HTTP server on ``host:port`` (0: a free port); return a handle."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per HTTP request
    emulator = Emulator(config or EmulatorConfig())
    emulator.start()
    try:
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
        bound_host, bound_port = server.get_host_and_port()
        # moto's interpreter talks to localhost:$MOTO_PORT whenever calls are not intercepted in-process.
        emulator._set_env("MOTO_PORT", str(bound_port))
        learner = ReferenceLearner(emulator)
        learner.install()
        if upload_sample:
            emulator.upload_sample()
    except BaseException:
        emulator.stop()
        raise
    return ServerHandle(emulator=emulator, server=server, host=bound_host, port=int(bound_port), learner=learner)


def describe(handle: ServerHandle, sample: dict[str, str] | None) -> str:
    dep = handle.emulator.deployment
    assert dep is not None
    env = handle.client_env()
    lines = [
        f"bedrock-customize emulator listening on {handle.endpoint_url}",
        f"state machine    : {dep.parent_arn}",
        f"evaluation       : {dep.child_arn}",
        f"training bucket  : {dep.buckets['training']}",
        f"validation bucket: {dep.buckets['validation']}",
        f"artifacts bucket : {dep.buckets['artifacts']}",
    ]
    if sample:
        lines.append("sample data      : training-data.jsonl, validation-data.json, reference-inference.json")
    lines += [
        "",
        "in another shell:",
        "  export " + " ".join(f"{k}={v}" for k, v in env.items() if k != "AWS_ENDPOINT_URL"),
        f"  bedrock-customize start INPUT.json --state-machine {dep.parent_arn} \\",
        f"      --endpoint-url {handle.endpoint_url} --upload-training FILE --watch",
        f"  aws --endpoint-url {handle.endpoint_url} stepfunctions list-executions \\",
        f"      --state-machine-arn {dep.parent_arn}",
        "",
        "Ctrl-C stops the emulator (everything lives in memory).",
    ]
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    from .faults import configure

    config = configure(args.scenario, args.faults)
    config.region = args.region
    try:
        handle = start_server(config, port=args.port, host=args.host, upload_sample=not args.no_sample)
    except OSError as exc:
        raise ServeError(
            f"--port: cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); choose another port"
        ) from None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # `kill PID` stops it as Ctrl-C does
    try:
        print(describe(handle, None if args.no_sample else {"sample": "yes"}), flush=True)
        stop = threading.Event()
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        print("stopping the emulator", file=sys.stderr)
    finally:
        handle.stop()
    return 0


class ServeError(Exception):
    """A bad flag of ``emulator serve``: one line, exit 2."""


def demo_model() -> str:
    """The base model of the shipped demo input (what the sample data is for)."""
    from .. import paths

    demo = paths.sample_data_dir().parent / "examples" / "demo-input.json"
    return json.loads(demo.read_text(encoding="utf-8"))["BaseModelIdentifier"]


def add_parser(sub) -> None:
    DEMO_MODEL = demo_model()  # noqa: N806 - read once for the help text
    emulator = sub.add_parser("emulator", help="the local AWS emulator as a server")
    emulator_sub = emulator.add_subparsers(dest="emulator_command", required=True)
    serve = emulator_sub.add_parser(
        "serve",
        help="run the emulator with the module deployed, reachable at http://127.0.0.1:PORT, until Ctrl-C",
    )
    serve.add_argument("--port", type=int, default=5000, help="TCP port (5000; 0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="better",
        help="how good the emulated custom model is (better)",
    )
    serve.add_argument("--faults", metavar="FILE.json", help=f"emulated faults to inject: keys in {FAULTS_DOC}")
    serve.add_argument(
        "--region",
        default=region_for_model(DEMO_MODEL),
        help=(
            "the emulated region; ValidateInput checks each run's model against it, so use the model's home "
            f"region (default {region_for_model(DEMO_MODEL)}, where the sample input's {DEMO_MODEL} is "
            "customized; e.g. us-east-1 for Amazon Nova)"
        ),
    )
    serve.add_argument("--no-sample", action="store_true", help="do not upload the sample datasets")
    serve.set_defaults(func=cmd_serve)
