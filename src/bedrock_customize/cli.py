"""``bedrock-customize``: run a customization on the local emulator, score offline, and more."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from .emulator.config import SCENARIOS
from .emulator.faults import DOC as FAULTS_DOC
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


DEMO_JUDGE = {"ModelId": "amazon.nova-pro-v1:0", "Rubric": "summary_quality"}
JUDGE_REASONS_SHOWN = 3


def with_judge(execution_input: dict[str, Any]) -> dict[str, Any]:
    """``demo --judge``: the input with ``Evaluation.Judge`` (the input's own judge is kept)."""
    evaluation = dict(execution_input.get("Evaluation") or {})
    evaluation.setdefault("Judge", dict(DEMO_JUDGE))
    return {**execution_input, "Evaluation": evaluation}


def judge_reasons(report_dir: Path, limit: int = JUDGE_REASONS_SHOWN) -> list[dict[str, Any]]:
    """A few judged records of the downloaded ``scores.jsonl``: id, preference, reason (custom preferred first)."""
    path = report_dir / "scores.jsonl"
    if not path.is_file():
        return []
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    judged = [r for r in rows if r.get("judge_preference")]
    order = {"custom": 0, "base": 1, "tie": 2}
    judged.sort(key=lambda r: order.get(r["judge_preference"], 3))
    picked = {}
    for r in judged:  # one of each preference first, then the rest in order
        picked.setdefault(r["judge_preference"], r)
    shown = list(picked.values()) + [r for r in judged if r not in picked.values()]
    return [
        {"id": r.get("id"), "preference": r["judge_preference"], "reason": r.get("judge_reason")} for r in shown[:limit]
    ]


def _judge_lines(summary: dict[str, Any]) -> list[str]:
    judge = summary.get("judge")
    if not judge:
        return []

    def fmt(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, int | float) else "n/a"

    tokens_in, tokens_out = int(judge.get("InputTokens") or 0), int(judge.get("OutputTokens") or 0)
    lines = [
        f"judge win rate   : {fmt(judge.get('WinRate'))} [{fmt(judge.get('Low'))}, {fmt(judge.get('High'))}] "
        f"(custom over base, ties count half; {judge.get('Judged')} judged, {judge.get('Ties')} ties, "
        f"{judge.get('Unparsable')} unparsable answers)",
        f"judge tokens     : {tokens_in:,} input + {tokens_out:,} output",
    ]
    for item in summary.get("judge_reasons") or []:
        preference = "tie" if item["preference"] == "tie" else f"{item['preference']} preferred"
        lines.append(f"judge reason     : {item['id']}: {preference}: {item['reason']}")
    return lines


def _demo_input(path: str | None) -> dict[str, Any]:
    if path:
        data = load_json_file(path, "--input", CliError)
    else:
        from .validate_command import demo_input_path

        data = json.loads(demo_input_path().read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise CliError("--input: the execution input must be a JSON object; wrap the fields in {...}")
    return data


def demo_for_model(execution_input: dict[str, Any], config: Any, base_model: str | None, deployment: str | None):
    """``demo --base-model/--deployment``: the input and emulator region for that model.

    The demo's hyperparameters are kept only where the model has them (each family names its own);
    the emulated region is the run's model's home region (``region_for_model``: where it can be
    customized, as ValidateInput checks), so ``auto`` picks on-demand where the catalog says it is
    offered there. That holds for the model of ``--input`` too, not only for ``--base-model``.
    """
    from workflow_lambdas import model_families as mf

    from .emulator.config import region_for_model

    if base_model:
        model = mf.lookup(base_model)
        if model is None:
            raise CliError(f"--base-model: {base_model} is not a model this module can customize; see docs/cli.md")
        names = {spec.name for spec in mf.hyperparameters_for(model)}
        hps = {k: v for k, v in (execution_input.get("HyperParameters") or {}).items() if k in names}
        execution_input = dict(execution_input, BaseModelIdentifier=base_model, HyperParameters=hps)
    config.region = region_for_model(execution_input.get("BaseModelIdentifier"))
    if deployment:
        execution_input = dict(execution_input, Deployment=deployment)
    return execution_input


# ``demo --sweep``: three candidates and the emulated quality of each one's custom model (the demo knob:
# the base model answers with quality 0.45 in the default scenario): one clearly better, one worse,
# one close to the base.
SWEEP_CANDIDATES = (
    ("epochs-2", {"epochCount": "2"}, 0.85),
    ("epochs-5", {"epochCount": "5"}, 0.25),
    ("epochs-1", {"epochCount": "1"}, 0.47),
)


def sweep_demo(execution_input: dict[str, Any], config: Any) -> dict[str, Any]:
    """The demo input with ``Candidates``, and the emulator's quality per candidate."""
    config.candidate_qualities = {name: quality for name, _hps, quality in SWEEP_CANDIDATES}
    candidates = [{"Name": name, "HyperParameters": dict(hps)} for name, hps, _q in SWEEP_CANDIDATES]
    return {**execution_input, "Candidates": candidates}


def leaderboard_lines(summary: dict[str, Any]) -> list[str]:
    """The sweep's leaderboard: one line per candidate, best mean F1 first."""
    rows = summary.get("candidates")
    if not rows:
        return []

    def fmt(value: Any) -> str:
        return f"{value:+.4f}" if isinstance(value, int | float) else "n/a"

    ranked = sorted(rows, key=lambda r: (r.get("mean_f1") is None, -(r.get("mean_f1") or 0.0)))
    lines = [f"winner           : {summary.get('winner') or 'none (no candidate is better than the base model)'}"]
    lines.append("leaderboard      : candidate       status   mean F1  diff vs base interval       verdict        kept")
    for row in ranked:
        f1 = f"{row['mean_f1']:.4f}" if isinstance(row.get("mean_f1"), int | float) else "   n/a"
        interval = f"[{fmt(row.get('ci_low'))}, {fmt(row.get('ci_high'))}]"
        status = row["status"] + (f" ({row['error']})" if row.get("error") else "")
        lines.append(
            f"                   {row['name']:<15} {status:<8} {f1:>7}  {interval:<27} "
            f"{row.get('verdict') or '-':<14} {'kept' if row.get('kept') else 'released'}"
        )
    return lines


def _print_summary(summary: dict[str, Any], out) -> None:
    scores = summary["scores"]

    def fmt(value: Any) -> str:
        return f"{value:.4f}" if isinstance(value, int | float) else "n/a"

    lines = [
        "",
        "== bedrock-customize demo: result ==",
        f"execution status : {summary['execution_status']}" + (f" ({summary['error']})" if summary["error"] else ""),
        *_failure_summary_lines(summary),
        f"verdict          : {summary['verdict'] or 'n/a'}",
        f"mean F1          : base {fmt(scores['base_f1'])}   custom {fmt(scores['custom_f1'])}",
    ]
    diff = scores.get("difference") or {}
    if diff:
        lines.append(
            f"difference       : {fmt(diff.get('Mean'))} "
            f"[{fmt(diff.get('Low'))}, {fmt(diff.get('High'))}] at {diff.get('ConfidenceLevel', 'n/a')}"
        )
    lines += leaderboard_lines(summary)
    lines += _judge_lines(summary)
    cached = summary.get("cache")
    if cached:
        state = "on" if cached.get("enabled") else "off"
        lines.append(
            f"cache            : {state}; embeddings {cached.get('embeddings_hit')} from the cache, "
            f"{cached.get('embeddings_miss')} computed; base answers reused {cached.get('base_outputs_reused')}"
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
    for path in summary.get("email_files") or []:
        lines.append(f"email file       : {path}")
    lines.append(f"report           : {summary['report'] or 'n/a'}")
    if summary.get("report_local"):
        lines.append(f"report (local)   : {summary['report_local']}")
    lines += summary.get("_raw_cause_lines") or []
    print("\n".join(lines), file=out)


def _failure_summary_lines(summary: dict[str, Any]) -> list[str]:
    """What failed, the service's message and the next step (report_command.failure_lines), demo-aligned."""
    failure = summary.get("failure")
    if not failure:
        return []
    lines = [f"failed           : {failure['Subject']} (state {failure['State']})"]
    lines.append(f"message          : {failure['Message'] or 'the service gave no message'}")
    lines.append(f"next step        : {failure['NextStep']}")
    if summary.get("_raw_cause_lines") is None and failure.get("RawCause"):
        lines.append("raw cause        : shown with -v (and in the email files)")
    return lines


def _describe_demo_failure(summary: dict[str, Any], state: dict[str, Any], verbose: bool) -> None:
    """Adds ``failure`` (what failed, message, next step) to a failed run's summary."""
    from workflow_lambdas.failures import describe_failure

    failure = describe_failure(state) if summary.get("execution_status") != "SUCCEEDED" else None
    summary["failure"] = None if failure is None else {**failure.as_dict(), "RawCause": failure.raw_cause}
    if failure is not None and failure.raw_cause and verbose:
        summary["_raw_cause_lines"] = ["", "raw cause (as the service returned it):", failure.raw_cause]


def write_email_files(emu: Any, state: dict[str, Any], run_id: str, run_dir: Path) -> list[str]:
    """Each email the run sent, as ``emails/<n>.subject.txt``, ``<n>.txt`` and ``<n>.html`` under ``run_dir``.

    The HTML is the body SES received; the text part (which the emulated SES does not keep) is rendered
    by the notify function's own ``render`` from the run's state."""
    from workflow_lambdas import notify

    sent = [e for e in emu.sent_emails() if run_id in str(e.get("body") or "")]
    if not sent:
        return []
    folder = run_dir / "emails"
    folder.mkdir(parents=True, exist_ok=True)
    settings = notify.Settings(region=emu.config.region)
    rendered = notify.render({k: v for k, v in state.items() if k != "notification"}, settings)
    files: list[str] = []
    for number, email in enumerate(sent, start=1):
        parts = {
            f"{number}.subject.txt": f"{email['subject']}\n",
            f"{number}.txt": rendered["Text"],
            f"{number}.html": str(email.get("body") or ""),
        }
        for name, content in parts.items():
            (folder / name).write_text(content, encoding="utf-8")
            files.append(str(folder / name))
    return files


def cmd_demo(args: argparse.Namespace) -> int:
    from .emulator import Emulator

    execution_input = _demo_input(args.input)
    config, scenario = _demo_config(args)
    if args.verbose:
        config.log_level = "INFO"
    execution_input = demo_for_model(execution_input, config, args.base_model, args.deployment)
    if args.sweep:
        execution_input = sweep_demo(execution_input, config)
    if args.judge:
        execution_input = with_judge(execution_input)
    out = sys.stderr if args.json else sys.stdout
    t0 = time.monotonic()
    judge_note = ""
    if (execution_input.get("Evaluation") or {}).get("Judge"):
        judge_note = f"; LLM judge on (emulated {execution_input['Evaluation']['Judge'].get('ModelId')})"
    print(f"starting the local emulator (moto, in-process); scenario: custom model {scenario}{judge_note}", file=out)
    with Emulator(config) as emu:
        execution_input = _demo_data(emu, args, execution_input)
        dep = emu.deployment
        print(f"deployed from Terraform code: {dep.parent_arn}", file=out)
        print(f"input: {json.dumps(execution_input)}", file=out)

        def on_state(workflow: str, state: str, elapsed: float) -> None:
            indent = "  " if workflow == "customize" else "      "
            print(f"[{elapsed:6.1f}s]{indent}{workflow}: {state}", file=out, flush=True)

        summary = emu.run(execution_input, timeout=args.timeout, on_state=on_state)
        summary.update(_scale_measurements(emu, summary["execution_arn"]))
        run_id = summary["execution_arn"].rsplit(":", 1)[-1]
        files = emu.download_report(summary["execution_arn"], Path(args.out) / run_id)
        summary["report_local"] = str(Path(args.out) / run_id / "report.html") if files else None
        if summary.get("judge"):
            summary["judge_reasons"] = judge_reasons(Path(args.out) / run_id)
        state = emu.final_state(summary["execution_arn"])
        _describe_demo_failure(summary, state, bool(args.verbose))
        summary["email_files"] = write_email_files(emu, state, run_id, Path(args.out) / run_id)
    summary["elapsed_seconds"] = round(time.monotonic() - t0, 1)
    if args.json:
        public = {k: v for k, v in summary.items() if not k.startswith("_")}
        print(json.dumps(public, indent=2, default=str))
    else:
        _print_summary(summary, out)
        print(f"finished in {summary['elapsed_seconds']} s", file=out)
    return demo_exit_code(summary)


def _demo_config(args: argparse.Namespace):
    """The emulator settings and the scenario's name: a scenario flag, else the faults file's
    ``custom_model``, else ``better``; a flag and a faults file that disagree is a usage error."""
    from .emulator.faults import apply_faults, configure, load_faults

    faults = load_faults(args.faults) if args.faults else {}
    from_file = faults.get("custom_model")
    if args.scenario and from_file and args.scenario != from_file:
        raise CliError(
            f"--faults: custom_model {from_file!r} disagrees with the scenario flag ({args.scenario!r}); drop one"
        )
    scenario = args.scenario or from_file or "better"
    return apply_faults(configure(scenario), faults), scenario


def quiet_progress_bars() -> None:
    """No weight-loading progress bars on stderr (transformers, Hugging Face Hub, tqdm); ``-v`` keeps them."""
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except ImportError:  # pragma: no cover
        pass
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass


def _demo_data(emu, args: argparse.Namespace, execution_input: dict[str, Any]) -> dict[str, Any]:
    """Upload the demo's data: the sample, or ``--records N`` synthetic records in shards of ``--shard-size``."""
    if args.records is None:
        emu.upload_sample(execution_input.get("BaseModelIdentifier"))
    else:
        from . import scale_demo

        execution_input = {
            **execution_input,
            **scale_demo.upload(emu, args.records, base_model=execution_input.get("BaseModelIdentifier")),
        }
    if args.shard_size is not None:
        evaluation = dict(execution_input.get("Evaluation") or {})
        evaluation["ShardSize"] = args.shard_size
        execution_input["Evaluation"] = evaluation
    return execution_input


def _scale_measurements(emu, execution_arn: str) -> dict[str, Any]:
    """records_scored, shards, max_state_bytes, max_history_events, state_seconds (see scale_demo)."""
    from . import scale_demo

    return scale_demo.measurements(emu, execution_arn)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_scale_arguments(demo: argparse.ArgumentParser) -> None:
    demo.add_argument(
        "--records",
        type=_positive_int,
        metavar="N",
        help="run on N synthetic validation records in the sample's format (deterministic) instead of the sample",
    )
    demo.add_argument(
        "--shard-size",
        type=_positive_int,
        metavar="S",
        help="records per shard (Evaluation.ShardSize; default: the module's shard_size)",
    )


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

    demo = sub.add_parser(
        "demo",
        help="run one complete customization on the local emulator",
        description=(
            "One complete run on the local emulator. Faults to inject (--faults FILE.json) and what each does: "
            f"{FAULTS_DOC}."
        ),
    )
    scenario = demo.add_mutually_exclusive_group()
    scenario.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default=None,
        help="how good the emulated custom model is (default: the faults file's custom_model, else better)",
    )
    scenario.add_argument(
        "--custom-better",
        dest="scenario",
        action="store_const",
        const="better",
        help="same as --scenario better: the custom model wins, its throughput is kept",
    )
    scenario.add_argument(
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
        help=f"emulated faults to inject: one JSON object, keys in {FAULTS_DOC}",
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
    demo.add_argument(
        "--sweep",
        action="store_true",
        help="a candidate sweep: three candidates (one clearly better, one worse, one close to the base), "
        "one evaluation, only the winner kept; prints the leaderboard",
    )
    demo.add_argument(
        "--judge",
        action="store_true",
        help=f"turn the LLM judge on (Evaluation.Judge, model {DEMO_JUDGE['ModelId']} emulated, rubric "
        "summary_quality) and print its win rate and reasons",
    )
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    demo.add_argument("--out", default="out/demo", help="where to copy the run's report files (out/demo)")
    demo.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the run (600)")
    _add_scale_arguments(demo)
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
    if not args.verbose:
        quiet_progress_bars()
    user_errors = _user_errors()
    try:
        return int(args.func(args))
    except user_errors as exc:
        for line in str(exc).splitlines() or [""]:
            print(f"bedrock-customize: error: {line}", file=sys.stderr)
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
