"""``bedrock-customize validate``: the ValidateInput Lambda's checks, run locally.

The same ``validate_execution_input`` the Lambda runs, with a ``fetch`` over local files: the files
named with ``--training``/``--validation``/``--references`` stand in for the S3 objects the input
names. A dataset without a local file is not checked (and the output says so), unless
``--state-machine`` names a deployment: then its buckets and settings are used and the datasets not
given locally are read from S3, as the Lambda would.

Exit 0 when valid; exit 2 with one line per problem on stderr (``field: what is wrong; how to fix``).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow_lambdas import datasets as ds
from workflow_lambdas import validate_input as vi
from workflow_lambdas.contract.errors import InvalidInput

from . import paths
from .aws_session import Aws, describe_client_error
from .json_files import load_json_file

EXIT_OK = 0
EXIT_BAD_INPUT = 2

# Bucket names used when no deployment is named: they appear only in messages.
LOCAL_SETTINGS = vi.Settings(
    training_bucket="<training bucket>",
    validation_bucket="<validation bucket>",
    artifacts_bucket="<artifacts bucket>",
    default_recipients=("<the module's default recipients>",),  # unknown here: no "no recipient" warning
)
ROLES = {  # role -> (input field, CLI flag of validate, CLI flag of start)
    "training": (ds.TRAINING_FIELD, "--training", "--upload-training"),
    "validation": (ds.VALIDATION_FIELD, "--validation", "--upload-validation"),
    "references": (ds.REFERENCE_FIELD, "--references", "--upload-references"),
}


class UsageError(Exception):
    """A command-line mistake (missing file, bad JSON): one line, exit 2."""


# --- input and examples --------------------------------------------------------------------------------


def load_input(path: str) -> Any:
    """The execution input from a file (``-`` for stdin); UsageError naming the file otherwise."""
    return load_json_file(path, "INPUT.json", UsageError, stdin=True)


def demo_input_path() -> Path:
    """The shipped console input that runs with the bundled sample data (``demo``'s default input)."""
    return paths.sample_data_dir().parent / "examples" / "demo-input.json"


SWEEP_FIELDS = ("Candidates", "MaxConcurrentJobs")


def example_input(full: bool = False) -> dict[str, Any]:
    """An execution input to start from.

    Minimal: the shipped demo input (``demo-input.json``): the console fields of the original sample
    (the required fields plus ``HyperParameters``), for a model whose training data format is the
    bundled sample data's, so ``demo --input`` runs it as it is. Full: built from the JSON Schema's
    ``examples``: the first example of every field, and of every field of an object (such as
    ``Evaluation.MaxConcurrency``) that the object's own example leaves out.
    """
    if not full:
        return json.loads(demo_input_path().read_text(encoding="utf-8"))
    schema = vi.load_schema()
    required = set(schema.get("required", []))
    out: dict[str, Any] = {}
    for name, spec in schema["properties"].items():
        if name in SWEEP_FIELDS:
            continue  # a candidate sweep is a run of its own kind (README "A candidate sweep"), not with a judge
        if full or name in required or name == "HyperParameters":
            examples = spec.get("examples") or []
            if examples:
                out[name] = copy.deepcopy(examples[0])
            if full and isinstance(out.get(name), dict):
                for sub, sub_spec in spec.get("properties", {}).items():
                    if sub not in out[name] and sub_spec.get("examples"):
                        out[name][sub] = sub_spec["examples"][0]
    return out


# --- checking ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run: vi.RunContext | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def dataset_locations(raw: dict[str, Any], settings: vi.Settings) -> dict[str, tuple[str, Any]]:
    """(bucket, key) of each dataset the input names, by role (the keys default as in the Lambda)."""
    return {
        "training": (settings.training_bucket, raw.get("TrainingDataFileName")),
        "validation": (settings.validation_bucket, raw.get("ValidationDataFileName", vi.DEFAULT_VALIDATION_FILE)),
        "references": (settings.validation_bucket, raw.get("ReferenceDataFileName", vi.DEFAULT_REFERENCE_FILE)),
    }


def _read_local(path: Path, cap: int) -> bytes:
    with path.open("rb") as handle:
        data = vi.Fetched(handle.read(cap))
    data.total_size = path.stat().st_size
    data.source = str(path)  # problems name this file, not the S3 key it stands in for
    return data


def check_input(
    raw: Any,
    *,
    settings: vi.Settings = LOCAL_SETTINGS,
    local_files: dict[str, Path | None] | None = None,
    remote_fetch: vi.Fetch | None = None,
    execution_arn: str = "arn:aws:states:us-east-1:000000000000:execution:local:validate",
    flags: int = 1,
    region: str | None = None,
) -> Outcome:
    """Run ``validate_execution_input`` with local files (by role) and, optionally, S3 for the rest.

    ``flags`` picks the flag column of ``ROLES`` named in messages (1: validate, 2: start).
    """
    local_files = {role: path for role, path in (local_files or {}).items() if path is not None}
    outcome = Outcome()
    skipped: list[tuple[str, str, str]] = []  # field, key, flag
    absent: dict[str, str] = {}  # expected problem line -> replacement
    read_cap = {"training": vi.TRAINING_READ_CAP, "validation": vi.VALIDATION_READ_CAP}
    locations = dataset_locations(raw, settings) if isinstance(raw, dict) else {}

    def role_of(bucket: str, key: str) -> str | None:
        return next((role for role, location in locations.items() if location == (bucket, key)), None)

    def fetch(bucket: str, key: str) -> bytes | None:
        role = role_of(bucket, key)
        if role is not None and role in local_files:
            path = local_files[role]
            input_field, flag = ROLES[role][0], ROLES[role][flags]
            if not path.is_file():
                what, fix = (
                    ("is a directory", "give the file itself")
                    if path.is_dir()
                    else ("does not exist", "check the path")
                )
                absent[str(vi.missing_object(input_field, bucket, key))] = (
                    f"{input_field}: the local file {path} (given with {flag} for {key}) {what}; {fix}"
                )
                return None
            return _read_local(path, read_cap.get(role, vi.VALIDATION_READ_CAP))
        if remote_fetch is not None:
            return remote_fetch(bucket, key)
        if role is not None:
            skipped.append((ROLES[role][0], key, ROLES[role][flags]))
            return vi.NOT_CHECKED
        return None

    name = execution_arn.rsplit(":", 1)[-1]
    try:
        outcome.run = vi.validate_execution_input(
            raw, settings=settings, execution_name=name, execution_arn=execution_arn, fetch=fetch, region=region
        )
        outcome.warnings = [str(w) for w in outcome.run.warnings]
    except InvalidInput as exc:
        outcome.problems = [absent.get(line, line) for line in str(exc).splitlines()]
    for input_field, key, flag in dict.fromkeys(skipped):
        outcome.notes.append(f"{input_field}: {key} not checked (no {flag} file given)")
    return outcome


# --- deployment settings ------------------------------------------------------------------------------------


def remote_s3_fetch(aws: Aws, settings: vi.Settings) -> vi.Fetch:
    s3 = aws.client("s3")

    def fetch(bucket: str, key: str) -> bytes | None:
        cap = vi.TRAINING_READ_CAP if bucket == settings.training_bucket else vi.VALIDATION_READ_CAP
        try:
            return vi.s3_fetcher(s3, cap)(bucket, key)
        except Exception as exc:  # a botocore error other than "missing": report it as the dataset's problem
            raise UsageError(f"s3://{bucket}/{key}: cannot be read ({describe_client_error(exc)})") from None

    return fetch


# --- the command ----------------------------------------------------------------------------------------------


def print_outcome(outcome: Outcome, source: str, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    for note in outcome.notes:
        print(f"note: {note}", file=out)
    for warning in outcome.warnings:
        print(f"warning: {warning}", file=out)
    if outcome.problems:
        for line in outcome.problems:
            print(line, file=err)
        count = len(outcome.problems)
        print(f"{source}: invalid ({count} problem{'s' if count != 1 else ''})", file=out)
        return EXIT_BAD_INPUT
    print(f"{source}: valid", file=out)
    return EXIT_OK


def add_file_arguments(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    what = "uploaded to" if prefix else "the file that stands in for"
    parser.add_argument(
        f"--{prefix}training", metavar="FILE", type=Path, help=f"training data (JSONL), {what} TrainingDataFileName"
    )
    parser.add_argument(
        f"--{prefix}validation",
        metavar="FILE",
        type=Path,
        help=f"validation data, {what} ValidationDataFileName (default key validation-data.json)",
    )
    parser.add_argument(
        f"--{prefix}references",
        metavar="FILE",
        type=Path,
        help=f"reference answers, {what} ReferenceDataFileName (default key reference-inference.json)",
    )


def cmd_validate(args: argparse.Namespace) -> int:
    if args.example and args.input:
        raise UsageError(
            f"--example: prints an example and checks no file, but {args.input} was given too; "
            f"drop --example to check {args.input}, or drop {args.input} to print the example"
        )
    if args.example:
        print(json.dumps(example_input(full=args.example == "full"), indent=2))
        return EXIT_OK
    if not args.input:
        raise UsageError("INPUT.json: missing; give the execution input file (or --example to print one)")
    raw = load_input(args.input)
    local = {"training": args.training, "validation": args.validation, "references": args.references}
    if args.state_machine:
        from .deployment import find_deployment

        aws = Aws.from_args(args, arn=args.state_machine)
        deployment = find_deployment(aws, args.state_machine, args)
        outcome = check_input(
            raw,
            settings=deployment.settings,
            local_files=local,
            remote_fetch=remote_s3_fetch(aws, deployment.settings),
            execution_arn=deployment.execution_arn("validate-local"),
            region=aws.region,
        )
    else:
        # The model is checked against --region when one is given (the region the module is deployed in).
        outcome = check_input(raw, local_files=local, region=args.region)
    return print_outcome(outcome, args.input)


def add_parser(sub) -> None:
    from .aws_session import add_aws_arguments
    from .deployment import add_bucket_arguments

    parser = sub.add_parser(
        "validate",
        help="check an execution input (and datasets) as the ValidateInput state would",
        description=(
            "Check an execution input with the ValidateInput Lambda's own code. Exit 0 when valid, 2 with one "
            "line per problem otherwise. Dataset files not given are not checked, unless --state-machine names "
            "a deployment: then they are read from its buckets."
        ),
    )
    parser.add_argument("input", nargs="?", metavar="INPUT.json", help="execution input JSON file ('-' for stdin)")
    add_file_arguments(parser)
    parser.add_argument(
        "--example",
        nargs="?",
        const="minimal",
        choices=("minimal", "full"),
        help="print an execution input built from the schema's examples (minimal: the console fields)",
    )
    parser.add_argument(
        "--state-machine",
        metavar="ARN",
        help="the deployment's parent state machine: use its buckets and settings, read missing datasets from S3",
    )
    add_bucket_arguments(parser)
    add_aws_arguments(parser)
    parser.set_defaults(func=cmd_validate)
