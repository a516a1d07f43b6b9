"""``demo`` exit codes, ``score`` input errors and the help texts a new user reads first."""

from __future__ import annotations

import json

import pytest

from bedrock_customize import validate_command
from bedrock_customize.cli import build_parser, demo_exit_code, main
from workflow_lambdas import validate_input as vi


def one_error_line(argv, capsys, code=2) -> str:
    assert main(argv) == code
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err + captured.out, lines
    return lines[0]


@pytest.fixture(autouse=True)
def wide_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # argparse wraps at the terminal width: no hyphenated words


def help_of(*command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command[0]]
    return " ".join(sub.format_help().split())


# --- demo -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [("SUCCEEDED", 0), ("FAILED", 1), ("TIMED_OUT", 1), ("ABORTED", 1), ("RUNNING", 1), (None, 1)],
)
def test_demo_exits_0_only_when_the_run_succeeded(status, code):
    assert demo_exit_code({"execution_status": status}) == code


def test_demo_with_a_failing_job_exits_1(tmp_path, capsys):
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"customization_job": "Failed"}))
    code = main(["demo", "--faults", str(faults), "--out", str(tmp_path / "out"), "--timeout", "120"])
    out = capsys.readouterr().out
    assert "execution status : FAILED" in out
    assert code == 1


def test_demo_help_documents_every_flag():
    text = help_of("demo")
    assert "--custom-better same as --scenario better" in text
    assert "--custom-worse same as --scenario worse" in text
    assert "docs/failure-behaviour.md" in text and "README" not in text


# --- validate ---------------------------------------------------------------------------------------


NOVA = {
    "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
    "CustomModelName": "m",
    "JobName": "j",
    "TrainingDataFileName": "t.jsonl",
}


def test_local_validation_file_is_named_not_the_default_key(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "min.json").write_text(json.dumps(NOVA))
    rows = [{"id": str(i), "prompt": "p", "reference": "r"} for i in range(4)]
    rows[1]["prompt"] = ""
    (tmp_path / "badval.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows) + '{"id": "9", "prompt": "p", "reference": "r\n'
    )
    assert main(["validate", "min.json", "--validation", "badval.jsonl"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        'badval.jsonl (ValidationDataFileName) line 2: empty "prompt"; give every record a non-empty "prompt" string',
        "badval.jsonl (ValidationDataFileName) line 5: not valid JSON (Unterminated string starting at column 41); "
        'write one {"id": ..., "prompt": ..., "reference": ...} object per line',
    ]


def test_a_directory_given_as_dataset_is_called_a_directory(tmp_path, capsys):
    (tmp_path / "min.json").write_text(json.dumps(NOVA))
    line = one_error_line(["validate", str(tmp_path / "min.json"), "--training", str(tmp_path)], capsys)
    assert line == (
        f"TrainingDataFileName: the local file {tmp_path} (given with --training for t.jsonl) is a directory; "
        "give the file itself"
    )


def test_example_with_an_input_file_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "min.json").write_text(json.dumps(NOVA))
    line = one_error_line(["validate", "--example", "full", str(tmp_path / "min.json")], capsys)
    assert line.startswith("bedrock-customize: error: --example: ") and "min.json" in line
    assert capsys.readouterr().out == ""


def test_full_example_has_every_field_of_every_object():
    full = validate_command.example_input(full=True)
    for name, spec in vi.load_schema()["properties"].items():
        for sub, sub_spec in spec.get("properties", {}).items():
            if sub_spec.get("examples"):
                assert sub in full[name], f"{name}.{sub}"
    assert full["Evaluation"]["MaxConcurrency"] == 4
    assert vi.schema_problems(full) == []
    # the schema's own example object is left as it is
    assert "MaxConcurrency" not in vi.load_schema()["properties"]["Evaluation"]["examples"][0]


def test_validate_help_says_the_default_is_a_key_not_a_local_file():
    text = help_of("validate")
    assert "stands in for ValidationDataFileName (default key validation-data.json)" in text
    assert "stands in for ReferenceDataFileName (default key reference-inference.json)" in text


# --- score (no model is loaded: every case fails before) ---------------------------------------------


def test_score_help_is_plain_text():
    text = help_of("score")
    assert "``" not in text and '{"id": ..., "reference": "..."}' in text


@pytest.mark.parametrize(
    ("ref_text", "cand_text", "expected"),
    [
        (
            '{"id": "a", "reference": "r"}\n{"id": "b",\n',
            '["x", "y"]',
            "ref.json: line 2 is not JSON (Expecting property name enclosed in double quotes at column 12); "
            'write one complete JSON object per line, e.g. {"id": "1", "reference": "..."}',
        ),
        (
            '["r"]',
            '{"id": "a", "text": "o"}\n',
            "cand.json: line 1 has no string 'output'; give every line a string \"output\" "
            '(or an "error" for a failed record), e.g. {"id": "1", "output": "..."}',
        ),
        ("[]", "[]", "ref.json: holds no records (an empty JSON array); give one object per line"),
        ('["r"]', "[]", "cand.json: holds no records (an empty JSON array); give one object per line"),
    ],
)
def test_score_input_errors_have_a_fix(tmp_path, capsys, ref_text, cand_text, expected):
    (tmp_path / "ref.json").write_text(ref_text)
    (tmp_path / "cand.json").write_text(cand_text)
    line = one_error_line(
        ["score", "--references", str(tmp_path / "ref.json"), "--candidates", str(tmp_path / "cand.json")], capsys
    )
    assert line.startswith("bedrock-customize score: error: ")
    assert expected in line.replace(f"{tmp_path}/", "")
    assert capsys.readouterr().out == ""  # no "n/a" summary


def test_score_missing_file_says_what_to_do(tmp_path, capsys):
    line = one_error_line(["score", "--references", str(tmp_path / "none.json"), "--candidates", "x"], capsys)
    assert line.endswith("none.json: file not found; check the path")


@pytest.mark.parametrize("kind", ["missing", "file", "empty dir"])
def test_score_model_path_is_checked_up_front(tmp_path, capsys, kind):
    (tmp_path / "ref.json").write_text('["r"]')
    model = {"missing": tmp_path / "nothere", "file": tmp_path / "ref.json", "empty dir": tmp_path}[kind]
    refs = str(tmp_path / "ref.json")
    line = one_error_line(["score", "--references", refs, "--candidates", refs, "--model-path", str(model)], capsys)
    if kind == "empty dir":
        assert line.endswith(
            f"--model-path: {model} has no config.json; pass the directory holding the model (config.json)"
        )
    else:
        assert line.endswith(
            f"--model-path: {model} is not a directory; pass the directory holding the model (config.json) or a hub id"
        )


@pytest.mark.parametrize("value", ["roberta-large", "sentence-transformers/all-MiniLM-L6-v2"])
def test_hub_ids_are_not_taken_for_paths(value):
    from bedrock_customize.score_command import model_path_problem

    assert model_path_problem(value) is None


# --- demo --base-model / --deployment (issue 11) ---------------------------------------------------------------


def test_demo_base_model_keeps_only_the_models_hyperparameters_and_picks_its_region():
    from bedrock_customize.cli import _demo_input, demo_for_model
    from bedrock_customize.emulator import EmulatorConfig

    config = EmulatorConfig()
    nova = demo_for_model(_demo_input(None), config, "amazon.nova-2-lite-v1:0:256k", "on_demand")
    assert nova["BaseModelIdentifier"] == "amazon.nova-2-lite-v1:0:256k" and nova["Deployment"] == "on_demand"
    assert "batchSize" not in nova["HyperParameters"] and nova["HyperParameters"]["epochCount"] == "2"
    assert config.region == "us-east-1"
    llama = demo_for_model(_demo_input(None), config, "meta.llama3-1-8b-instruct-v1:0:128k", None)
    assert "Deployment" not in llama and config.region == "us-west-2"  # where Llama 3.1 can be customized


def test_demo_base_model_unknown_is_a_usage_error(capsys):
    assert main(["demo", "--base-model", "acme.nothing-v1"]) == 2
    assert "--base-model: acme.nothing-v1" in capsys.readouterr().err


def test_demo_help_documents_base_model_and_deployment():
    text = help_of("demo")
    assert "--base-model" in text and "--deployment" in text and "on_demand" in text


def test_sample_training_data_is_converted_to_the_models_format():
    from bedrock_customize import paths
    from bedrock_customize.emulator.samples import training_data_for
    from workflow_lambdas import datasets as ds

    sample = (paths.sample_data_dir() / "training.jsonl").read_bytes()
    for model in ("amazon.nova-2-lite-v1:0:256k", "amazon.nova-micro-v1:0:128k", "meta.llama3-1-8b-instruct-v1:0:128k"):
        from workflow_lambdas import model_families as mf

        family = mf.lookup(model).family
        assert ds.check_training(training_data_for(sample, model), family, "FINE_TUNING", name="t") == [], model


def test_region_for_model_is_the_catalogs_home_region():
    from bedrock_customize.emulator import region_for_model
    from workflow_lambdas import model_families as mf

    assert region_for_model("meta.llama3-3-70b-instruct-v1:0:128k") == "us-west-2"  # us-west-2 only
    assert region_for_model("amazon.nova-2-lite-v1:0:256k") == "us-east-1"
    assert region_for_model(
        "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0:200k"
    ) == ("us-west-2")
    for model in mf.BASE_MODELS.values():  # one table: every customizable model runs where it can be customized
        if model.customization_regions:
            assert region_for_model(model.identifier) in model.customization_regions, model.identifier
    # unknown, or no longer customizable anywhere: the default region (ValidateInput refuses it for that)
    assert region_for_model("acme.nothing-v1") == region_for_model("cohere.command-text-v14:7:4k") == "us-east-1"
    assert region_for_model(None) == "us-east-1"


def test_demo_without_base_model_runs_in_the_region_of_the_inputs_model():
    from bedrock_customize.cli import _demo_input, demo_for_model
    from bedrock_customize.emulator import EmulatorConfig

    config = EmulatorConfig()
    demo_for_model(_demo_input(None), config, None, None)  # the demo input: Llama 3.1 8B, us-west-2 only
    assert config.region == "us-west-2"
    config = EmulatorConfig(region="us-west-2")
    demo_for_model({"BaseModelIdentifier": "amazon.nova-micro-v1:0:128k"}, config, None, None)
    assert config.region == "us-east-1"


def test_emulator_serve_region_flag():
    import argparse

    from bedrock_customize.emulator import server

    parser = argparse.ArgumentParser()
    server.add_parser(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["emulator", "serve"]).region == "us-west-2"  # the sample input's Llama 3.1 8B
    assert parser.parse_args(["emulator", "serve", "--region", "us-east-1"]).region == "us-east-1"
    serve = next(a for a in build_parser()._actions if a.dest == "command").choices["emulator"]
    serve = next(a for a in serve._actions if a.dest == "emulator_command").choices["serve"]
    assert "--region" in serve.format_help() and "us-west-2" in serve.format_help()
