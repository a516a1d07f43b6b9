"""``bedrock-customize validate``: the shared table of bad inputs, run through the CLI with local files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from validation_cases import (
    CASES,
    SCENARIOS,
    TRAIN,
    VALID,
    VALID_SCENARIOS,
    Case,
    anthropic_rows,
    build,
    conversation_rows,
    eval_rows,
    jsonl,
    pc_rows,
)

from bedrock_customize import validate_command
from bedrock_customize.cli import main
from workflow_lambdas import model_families as mf
from workflow_lambdas import validate_input as vi

# "Field: what; fix", or for a local dataset file "path (Field) what; fix" (it names the file, not the S3 key)
PROBLEM_LINE = re.compile(r"^(?:(?P<field>[\w.\[\]]+): |\S+ \((?P<file_field>\w+)\)[ :]).+; .+$")
FLAGS = {"training": "--training", "validation": "--validation", "references": "--references"}


def field_of(line: str) -> str:
    match = PROBLEM_LINE.match(line)
    assert match, line
    return match.group("field") or match.group("file_field")


def local_wording(text: str, scenario: str, tmp_path: Path) -> str:
    """``text`` with each dataset key replaced by ``path (Field)``, as problems name the local files."""
    for role, (_bucket, key) in role_keys(scenario).items():
        text = text.replace(key, f"{tmp_path / f'{role}.data'} ({validate_command.ROLES[role][0]})")
    return text


def role_keys(scenario: str) -> dict[str, tuple[str, str]]:
    """(bucket, key) of each dataset role in the scenario's unedited input."""
    raw = SCENARIOS[scenario][0]
    return {
        "training": (TRAIN, raw["TrainingDataFileName"]),
        "validation": (VALID, raw.get("ValidationDataFileName", vi.DEFAULT_VALIDATION_FILE)),
        "references": (VALID, raw.get("ReferenceDataFileName", vi.DEFAULT_REFERENCE_FILE)),
    }


def cli_args(case: Case, tmp_path: Path) -> tuple[list[str], set[str]]:
    """Arguments for the case; the roles whose file was removed get a path that does not exist."""
    raw, files = build(case)
    (tmp_path / "input.json").write_text(json.dumps(raw))
    args, absent = [str(tmp_path / "input.json")], set()
    original = SCENARIOS[case.scenario][1]()
    for role, location in role_keys(case.scenario).items():
        path = tmp_path / f"{role}.data"
        if location in files:
            path.write_bytes(files[location])
        elif location in original:
            absent.add(role)  # the case removed it: point at a file that is not there
        else:
            continue
        args += [FLAGS[role], str(path)]
    return args, absent


def run(argv: list[str], capsys) -> tuple[int, list[str], list[str]]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_table_case_through_the_cli(case: Case, tmp_path, capsys):
    args, absent = cli_args(case, tmp_path)
    code, out, err = run(["validate", *args], capsys)
    if not case.fields:
        assert code == 0, err
        assert out[-1].endswith(": valid")
        return
    assert code == 2, (out, err)
    assert not any("Traceback" in line for line in out + err)
    assert all(PROBLEM_LINE.match(line) for line in err), err  # one line per problem, nothing else
    assert {field_of(line) for line in err} == case.fields, err
    if case.contains and "s3://" not in case.contains and not absent:  # S3 wording differs locally
        expected = local_wording(case.contains, case.scenario, tmp_path)
        assert any(expected in line for line in err), (expected, err)
    for line in err:  # a dataset problem names the local file given, never the S3 key it stands in for
        for role, (_bucket, key) in role_keys(case.scenario).items():
            if f"({validate_command.ROLES[role][0]})" in line:
                assert str(tmp_path / f"{role}.data") in line and f" {key} " not in line, line
    for role in absent:
        assert any(FLAGS[role] in line and "does not exist" in line for line in err), err
    assert out[-1] == f"{args[0]}: invalid ({len(err)} problem{'s' if len(err) != 1 else ''})"


@pytest.mark.parametrize("scenario", VALID_SCENARIOS)
def test_valid_inputs_pass_unchanged(scenario, tmp_path, capsys):
    args, _ = cli_args(Case("valid", scenario), tmp_path)
    code, out, err = run(["validate", *args], capsys)
    assert code == 0 and err == []
    assert out[-1] == f"{args[0]}: valid"
    assert not any(line.startswith("note:") for line in out)  # every dataset was checked


def test_datasets_not_given_are_skipped_and_said_so(tmp_path, capsys):
    raw, _ = build(Case("valid", "llama"))
    (tmp_path / "input.json").write_text(json.dumps(raw))
    code, out, err = run(["validate", str(tmp_path / "input.json")], capsys)
    assert code == 0 and err == []
    notes = [line for line in out if line.startswith("note:")]
    assert notes == [
        "note: TrainingDataFileName: training-data.jsonl not checked (no --training file given)",
        "note: ValidationDataFileName: validation-data.json not checked (no --validation file given)",
    ]
    assert any(line.startswith("warning: InferenceModelId:") and "inference profile" in line for line in out)


def test_references_not_given_skip_only_the_reference_check(tmp_path, capsys):
    case = Case("valid", "llama")
    args, _ = cli_args(case, tmp_path)
    args = args[: args.index("--references")]
    code, out, err = run(["validate", *args], capsys)
    assert code == 0, err
    assert "note: ReferenceDataFileName: reference-inference.json not checked (no --references file given)" in out


def test_problems_and_skipped_datasets_together(tmp_path, capsys):
    raw, _ = build(Case("valid", "nova"))
    raw["HyperParameters"]["epochCount"] = "9"
    (tmp_path / "input.json").write_text(json.dumps(raw))
    code, out, err = run(["validate", str(tmp_path / "input.json")], capsys)
    assert code == 2
    assert [line.split(":", 1)[0] for line in err] == ["HyperParameters.epochCount"]
    assert sum(line.startswith("note:") for line in out) == 2


def test_input_from_stdin(monkeypatch, capsys):
    import io

    raw, _ = build(Case("bad", "nova"))
    raw.pop("JobName")
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(raw)))
    code, _out, err = run(["validate", "-"], capsys)
    assert code == 2 and err == ['JobName: is missing; add it, e.g. "support-summarizer-job"']


def test_example_is_the_console_input_demo_runs(capsys):
    code, out, _ = run(["validate", "--example"], capsys)
    example = json.loads("\n".join(out))
    schema = vi.load_schema()
    assert code == 0
    assert set(example) == set(schema["required"]) | {"HyperParameters"}
    assert example == json.loads(validate_command.demo_input_path().read_text())  # demo's default input
    full = validate_command.example_input(full=True)
    for name, value in full.items():
        assert value == schema["properties"][name]["examples"][0] or isinstance(value, dict)
    assert set(full) == set(schema["properties"]) - set(validate_command.SWEEP_FIELDS)  # a sweep: no judge
    for candidate in (example, full):
        assert vi.schema_problems(candidate) == []


def test_full_example_passes_every_check_but_the_datasets(tmp_path, capsys):
    (tmp_path / "full.json").write_text(json.dumps(validate_command.example_input(full=True)))
    code, _out, err = run(["validate", str(tmp_path / "full.json")], capsys)
    assert code == 0, err


def test_docs_console_example_is_the_printed_example():
    docs = (Path(__file__).resolve().parents[3] / "docs" / "cli.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- BEGIN GENERATED: console-example -->\n```json\n(.*?)```\n<!-- END", docs, re.S)
    assert block, "docs/cli.md has no generated console-example block"
    assert block.group(1) == json.dumps(validate_command.example_input(), indent=2) + "\n", (
        "docs/cli.md console example is out of date: paste the output of `bedrock-customize validate --example`"
    )


def test_real_process_exit_code_and_no_traceback(tmp_path):
    """The installed entry point: exit 2, problems on stderr, no traceback."""
    (tmp_path / "input.json").write_text(json.dumps({"BaseModelIdentifier": 42}))
    result = subprocess.run(
        [sys.executable, "-m", "bedrock_customize.cli", "validate", str(tmp_path / "input.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert {line.split(":", 1)[0] for line in lines} == {
        "BaseModelIdentifier",
        "CustomModelName",
        "JobName",
        "TrainingDataFileName",
    }


def test_a_missing_context_suffix_does_not_hide_the_other_problems(tmp_path, capsys):
    raw = {
        "BaseModelIdentifier": "amazon.nova-micro-v1:0",
        "CustomModelName": "support-summarizer",
        "JobName": "bad job",
        "HyperParameters": {"epochCount": "99"},
        "TrainingDataFileName": "training-data.jsonl",
    }
    (tmp_path / "in.json").write_text(json.dumps(raw))
    code, _out, err = run(["validate", str(tmp_path / "in.json")], capsys)
    assert code == 2
    fields = sorted(line.split(":", 1)[0] for line in err)
    assert fields == ["BaseModelIdentifier", "HyperParameters.epochCount", "JobName"], err
    assert any("add the context suffix: amazon.nova-micro-v1:0:128k" in line for line in err)


def test_ancestor_input_is_refused_with_the_reason_and_what_to_pick(tmp_path, capsys):
    args, _ = cli_args(Case("ancestor", "ancestor"), tmp_path)
    code, out, err = run(["validate", *args], capsys)
    assert code == 2
    (line,) = err
    assert line.startswith("BaseModelIdentifier: cohere.command-light-text-v14:7:4k (Cohere Command Light) ")
    assert "can no longer be customized" in line and "pick a current model instead" in line


# --- the model catalog: every current model in its region ------------------------------------------------------

TRAINING_ROWS = {mf.NOVA: conversation_rows(12), mf.LLAMA: pc_rows(12), mf.CLAUDE: anthropic_rows(12)}
CURRENT = sorted(
    (identifier, region) for identifier, model in mf.BASE_MODELS.items() for region in model.customization_regions
)


def test_the_catalog_lists_the_current_fine_tuning_table():
    assert {identifier for identifier, _ in CURRENT} == {
        "amazon.nova-micro-v1:0:128k",
        "amazon.nova-lite-v1:0:300k",
        "amazon.nova-pro-v1:0:300k",
        "amazon.nova-2-lite-v1:0:256k",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "meta.llama3-1-8b-instruct-v1:0:128k",
        "meta.llama3-1-70b-instruct-v1:0:128k",
        "meta.llama3-2-1b-instruct-v1:0:128k",
        "meta.llama3-2-3b-instruct-v1:0:128k",
        "meta.llama3-2-11b-instruct-v1:0:128k",
        "meta.llama3-2-90b-instruct-v1:0:128k",
        "meta.llama3-3-70b-instruct-v1:0:128k",
    }


def _catalog_input(tmp_path: Path, identifier: str) -> list[str]:
    model = mf.BASE_MODELS[identifier]
    raw = {
        "BaseModelIdentifier": identifier,
        "CustomModelName": "catalog-check",
        "JobName": "catalog-check-job",
        "TrainingDataFileName": "train.jsonl",
        "ValidationDataFileName": "validation.jsonl",
        "InferenceModelId": model.inference_id,
    }
    (tmp_path / "input.json").write_text(json.dumps(raw))
    (tmp_path / "train.jsonl").write_bytes(jsonl(TRAINING_ROWS[model.family]))
    (tmp_path / "validation.jsonl").write_bytes(jsonl(eval_rows(10)))
    return [
        str(tmp_path / "input.json"),
        "--training",
        str(tmp_path / "train.jsonl"),
        "--validation",
        str(tmp_path / "validation.jsonl"),
    ]


@pytest.mark.parametrize(("identifier", "region"), CURRENT)
def test_every_current_model_is_accepted_in_its_region(identifier, region, tmp_path, capsys):
    code, out, err = run(["validate", *_catalog_input(tmp_path, identifier), "--region", region], capsys)
    assert code == 0, err
    assert err == []


@pytest.mark.parametrize(("identifier", "region"), CURRENT)
def test_a_current_model_outside_its_region_is_refused_with_where_it_is(identifier, region, tmp_path, capsys):
    other = "us-west-2" if region == "us-east-1" else "us-east-1"
    code, _, err = run(["validate", *_catalog_input(tmp_path, identifier), "--region", other], capsys)
    assert code == 2
    (line,) = err
    assert line.startswith(f"BaseModelIdentifier: {identifier} (")
    assert f"cannot be customized in {other}; deploy the module in {region}, where it can be" in line
    assert f"or pick a model customizable in {other}, e.g. " in line


@pytest.mark.parametrize("identifier", sorted(i for i, m in mf.BASE_MODELS.items() if not m.customizable))
def test_models_no_longer_customizable_are_refused_with_a_reason(identifier, tmp_path, capsys):
    raw = {"BaseModelIdentifier": identifier, "CustomModelName": "m", "JobName": "j", "TrainingDataFileName": "t"}
    (tmp_path / "input.json").write_text(json.dumps(raw))
    code, _, err = run(["validate", str(tmp_path / "input.json"), "--region", "us-east-1"], capsys)
    assert code == 2
    (line,) = err
    assert "can no longer be customized: the Bedrock fine-tuning table no longer lists it" in line
    assert "pick a current model instead" in line
