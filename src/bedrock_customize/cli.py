"""``bedrock-customize``: run a customization on the local emulator, score offline, and more."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from . import paths
from .emulator.config import SCENARIOS
from .json_files import load_json_file

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A user mistake: printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), for every subcommand too."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def _demo_input(path: str | None) -> dict[str, Any]:
    if path:
        data = load_json_file(path, "--input", CliError)
    else:
        data = json.loads((paths.sample_data_dir().parent / "examples" / "demo-input.json").read_text())
    if not isinstance(data, dict):
        raise CliError("--input: the execution input must be a JSON object; wrap the fields in {...}")
    return data


def demo_for_model(execution_input: dict[str, Any], config: Any, base_model: str | None, deployment: str | None):
    """``demo --base-model/--deployment``: the input and emulator region for that model.

    The demo's hyperparameters are kept only where the model has them (each family names its own);
    the emulated region is one where the model can be customized (model_families), so ``auto`` picks
    on-demand where the catalog says it is offered there.
    """
    from workflow_lambdas import model_families as mf

    if base_model:
        model = mf.lookup(base_model)
        if model is None:
            raise CliError(f"--base-model: {base_model} is not a model this module can customize; see docs/cli.md")
        names = {spec.name for spec in mf.hyperparameters_for(model)}
        hps = {k: v for k, v in (execution_input.get("HyperParameters") or {}).items() if k in names}
        execution_input = dict(execution_input, BaseModelIdentifier=base_model, HyperParameters=hps)
        regions = sorted(model.customization_regions)
        if regions and config.region not in regions:
            config.region = regions[0]
    if deployment:
        execution_input = dict(execution_input, Deployment=deployment)
    return execution_input


def _print_summary(summary: dict[str, Any], out) -> None:
    scores = summary["scores"]

    def fmt(value: Any) -> str:
        return f"{value:.4f}" if isinstance(value, int | float) else "n/a"

    lines = [
        "",
        "== bedrock-customize demo: result ==",
        f"execution status : {summary['execution_status']}" + (f" ({summary['error']})" if summary["error"] else ""),
        f"verdict          : {summary['verdict'] or 'n/a'}",
        f"mean F1          : base {fmt(scores['base_f1'])}   custom {fmt(scores['custom_f1'])}",
    ]
    diff = scores.get("difference") or {}
    if diff:
        lines.append(
            f"difference       : {fmt(diff.get('Mean'))} "
            f"[{fmt(diff.get('Low'))}, {fmt(diff.get('High'))}] at {diff.get('ConfidenceLevel', 'n/a')}"
        )
    lines.append(f"serving          : {summary.get('deployment_mode') or 'n/a'}")
    for dep in summary.get("custom_model_deployments") or []:
        action = "kept" if dep["status"] != "Deleted" else "deleted"
        lines.append(f"deployment       : {action} ({dep['status']}) {dep['arn']}")
    for pt in summary["provisioned_throughputs"]:
        action = "kept" if pt["status"] != "Deleted" else "deleted"
        lines.append(f"throughput       : {action} ({pt['status']}) {pt['arn']}")
    if not summary["provisioned_throughputs"]:
        lines.append("throughput       : none was created")
    lines.append(f"leaked throughput: {summary['leaked_throughputs']}")
    lines.append(f"leaked deployment: {summary.get('leaked_deployments', 0)}")
    for email in summary["emails"]:
        lines.append(f"email            : to {', '.join(email['to'])}: {email['subject']}")
    if not summary["emails"]:
        failure = (summary.get("notification") or {}).get("Error")
        lines.append(
            f"email            : none sent ({failure}; the outcome is in the execution output)"
            if failure
            else "email            : none sent"
        )
    lines.append(f"report           : {summary['report'] or 'n/a'}")
    if summary.get("report_local"):
        lines.append(f"report (local)   : {summary['report_local']}")
    print("\n".join(lines), file=out)


def cmd_demo(args: argparse.Namespace) -> int:
    from .emulator import Emulator
    from .emulator.faults import configure

    execution_input = _demo_input(args.input)
    config = configure(args.scenario, args.faults)
    if args.verbose:
        config.log_level = "INFO"
    execution_input = demo_for_model(execution_input, config, args.base_model, args.deployment)
    out = sys.stderr if args.json else sys.stdout
    t0 = time.monotonic()
    print(f"starting the local emulator (moto, in-process); scenario: custom model {args.scenario}", file=out)
    with Emulator(config) as emu:
        emu.upload_sample(execution_input.get("BaseModelIdentifier"))
        dep = emu.deployment
        print(f"deployed from Terraform code: {dep.parent_arn}", file=out)
        print(f"input: {json.dumps(execution_input)}", file=out)

        def on_state(workflow: str, state: str, elapsed: float) -> None:
            indent = "  " if workflow == "customize" else "      "
            print(f"[{elapsed:6.1f}s]{indent}{workflow}: {state}", file=out, flush=True)

        summary = emu.run(execution_input, timeout=args.timeout, on_state=on_state)
        run_id = summary["execution_arn"].rsplit(":", 1)[-1]
        files = emu.download_report(summary["execution_arn"], Path(args.out) / run_id)
        summary["report_local"] = str(Path(args.out) / run_id / "report.html") if files else None
    summary["elapsed_seconds"] = round(time.monotonic() - t0, 1)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        _print_summary(summary, out)
        print(f"finished in {summary['elapsed_seconds']} s", file=out)
    return demo_exit_code(summary)


def demo_exit_code(summary: dict[str, Any]) -> int:
    """0 when the run succeeded; 1 when it failed, timed out, was aborted or is still running."""
    return EXIT_OK if summary.get("execution_status") == "SUCCEEDED" else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bedrock-customize",
        description="Amazon Bedrock model customization with Step Functions: local emulator and tools.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run one complete customization on the local emulator")
    demo.add_argument("--scenario", choices=SCENARIOS, default="better", help="how good the emulated custom model is")
    demo.add_argument(
        "--custom-better",
        dest="scenario",
        action="store_const",
        const="better",
        help="same as --scenario better: the custom model wins, its throughput is kept",
    )
    demo.add_argument(
        "--custom-worse",
        dest="scenario",
        action="store_const",
        const="worse",
        help="same as --scenario worse: the custom model loses, its throughput is deleted",
    )
    demo.add_argument("--input", metavar="INPUT.json", help="execution input (default: the shipped example)")
    demo.add_argument(
        "--faults",
        metavar="FILE.json",
        help="emulated faults to inject: one JSON object, keys in docs/failure-behaviour.md (Fault injection)",
    )
    demo.add_argument(
        "--base-model",
        metavar="ID",
        help="base model to customize (its customization id, e.g. amazon.nova-2-lite-v1:0:256k); "
        "the sample data is converted to its format",
    )
    demo.add_argument(
        "--deployment",
        choices=("auto", "on_demand", "provisioned"),
        help="how the custom model is served (default: the input's Deployment, else auto)",
    )
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    demo.add_argument("--out", default="out/demo", help="where to copy the run's report files (out/demo)")
    demo.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the run (600)")
    demo.set_defaults(func=cmd_demo)

    try:
        from . import score_command
    except ImportError:  # pragma: no cover
        score_command = None
    if score_command is not None:
        score_command.add_parser(sub)

    from . import report_command, start_command, validate_command
    from .emulator import server

    validate_command.add_parser(sub)
    start_command.add_parser(sub)
    report_command.add_parser(sub)
    server.add_parser(sub)
    return parser


def _user_errors() -> tuple[type[Exception], ...]:
    """Exceptions that are the user's to fix: one line, exit 2, no traceback."""
    from .aws_session import AwsConfigError
    from .deployment import DeploymentError
    from .emulator.faults import FaultError
    from .emulator.server import ServeError
    from .report_command import ReportError
    from .start_command import StartError
    from .validate_command import UsageError

    return (CliError, UsageError, AwsConfigError, DeploymentError, ReportError, StartError, ServeError, FaultError)


def _aws_error_line(exc: Exception) -> str | None:
    """One line for a botocore error that escaped a command (credentials, endpoint, service)."""
    import botocore.exceptions as bce

    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return "AWS: no credentials found; configure them (aws configure) or pass --profile"
    if isinstance(exc, bce.EndpointConnectionError):
        return f"--endpoint-url: cannot connect ({exc}); is `bedrock-customize emulator serve` running?"
    if isinstance(exc, bce.ClientError):
        from .aws_session import describe_client_error

        operation = getattr(exc, "operation_name", "call")
        return f"AWS {operation}: {describe_client_error(exc)}"
    if isinstance(exc, bce.BotoCoreError):
        return f"AWS: {' '.join(str(exc).split())}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(message)s")
    user_errors = _user_errors()
    try:
        return int(args.func(args))
    except user_errors as exc:
        print(f"bedrock-customize: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        line = _aws_error_line(exc)
        if line is None:
            raise
        print(f"bedrock-customize: error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
