"""Structure tests of the Terraform code (no Terraform binary, no providers).

Each check lives in tfparse.py and returns a list of problems; the tests run it
on the repository and, in the "seeded" tests, on small copies with one mistake
each, to prove that the check can fail.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import tfparse

ROOT = tfparse.REPO_ROOT
MODULE_DIRS = tfparse.module_dirs(ROOT)
CONTRACTS = ROOT / "docs" / "contracts.md"

ROOT_FUNCTIONS = {"validate_input", "release_throughput", "notify"}
EVALUATION_FUNCTIONS = {"plan_shards", "infer", "score", "aggregate"}
EXPECTED_MODULES = {"storage", "lambda-function", "lambda-package", "evaluation", "evaluator-image", "notification"}


def _ids(paths):
    return [str(p.relative_to(ROOT)) or "root" for p in paths]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- layout


def test_expected_modules_exist():
    present = {p.name for p in (ROOT / "modules").iterdir() if p.is_dir()}
    assert EXPECTED_MODULES <= present
    for name in EXPECTED_MODULES:
        for file in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (ROOT / "modules" / name / file).is_file(), f"modules/{name}/{file} missing"


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_every_tf_file_parses(module_dir):
    assert tfparse.blocks(module_dir), f"{module_dir} has no blocks"


# --------------------------------------------------------------------------- variables and outputs


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_variables_typed_and_described(module_dir):
    assert tfparse.check_variables(tfparse.blocks(module_dir, "variable")) == []


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_outputs_described(module_dir):
    assert tfparse.check_outputs(tfparse.blocks(module_dir, "output")) == []


def test_seeded_variable_mistakes_are_found(tmp_path):
    _write(
        tmp_path,
        "variables.tf",
        """
        variable "no_description" {
          type = string
        }

        variable "no_type" {
          description = "has no type"
        }

        variable "any_type" {
          description = "any is not allowed"
          type        = any
        }

        variable "nested_any" {
          description = "nor inside a type"
          type        = map(any)
        }

        variable "fine" {
          description = "the word many in a default is fine"
          type        = object({ a = optional(string, "many") })
        }
        """,
    )
    problems = tfparse.check_variables(tfparse.blocks(tmp_path))
    joined = "\n".join(problems)
    assert len(problems) == 4, joined
    assert '"no_description": no description' in joined
    assert '"no_type": no type' in joined
    assert '"any_type": type uses any' in joined
    assert '"nested_any": type uses any' in joined


def test_seeded_output_without_description_is_found(tmp_path):
    _write(
        tmp_path,
        "outputs.tf",
        """
        output "described" {
          description = "ok"
          value       = 1
        }

        output "bare" {
          value = 2
        }
        """,
    )
    problems = tfparse.check_outputs(tfparse.blocks(tmp_path))
    assert len(problems) == 1 and '"bare"' in problems[0]


# --------------------------------------------------------------------------- lambda functions


def test_lambda_modules_declared_where_expected():
    root = {s.function_key for s in tfparse.lambda_functions(ROOT)}
    evaluation = {s.function_key for s in tfparse.lambda_functions(ROOT / "modules" / "evaluation")}
    assert root == ROOT_FUNCTIONS
    assert evaluation == EVALUATION_FUNCTIONS


def test_lambda_modules_well_formed():
    assert tfparse.check_lambda_specs(tfparse.all_lambda_functions(ROOT)) == []


def test_lambda_entry_points_match_contract():
    contract = tfparse.contract_functions(CONTRACTS)
    specs = {s.function_key: s for s in tfparse.all_lambda_functions(ROOT)}
    assert set(specs) == set(contract)
    for key, spec in specs.items():
        assert spec.entry_point == contract[key]["entry_point"], key
        expected_kind = "image" if spec.image_command else "zip"
        assert contract[key]["package"] == expected_kind, key


def test_lambda_environment_matches_contract():
    contract = tfparse.contract_environment(CONTRACTS)
    assert tfparse.check_environment(tfparse.all_lambda_functions(ROOT), contract) == []


def test_lambda_function_module_adds_common_environment():
    text = (ROOT / "modules" / "lambda-function" / "main.tf").read_text()
    assert "LOG_LEVEL" in text and "SERVICE_NAME" in text


def test_handlers_exist_in_sources():
    """Needs the handler modules of lambdas/ and evaluator/: fails until they are written."""
    assert tfparse.check_handlers(tfparse.all_lambda_functions(ROOT), ROOT) == []


def test_seeded_lambda_module_mistakes_are_found(tmp_path):
    _write(
        tmp_path,
        "main.tf",
        """
        module "fn_no_key" {
          source  = "./m"
          handler = "pkg.mod.handler"
        }

        module "fn_wrong" {
          source       = "./m"
          function_key = "other"
          handler      = "pkg.mod.handler"
        }

        module "fn_both" {
          source        = "./m"
          function_key  = "both"
          handler       = "pkg.mod.handler"
          image_command = ["pkg.mod.handler"]
        }

        module "fn_neither" {
          source       = "./m"
          function_key = "neither"
        }

        module "fn_ok" {
          source        = "./m"
          function_key  = "ok"
          image_command = ["pkg.mod.handler"]
        }

        module "fn_env_expr" {
          source                = "./m"
          function_key          = "env_expr"
          handler               = "pkg.mod.handler"
          environment_variables = local.env
        }

        module "not_a_function" {
          source = "./m"
        }
        """,
    )
    specs = tfparse.lambda_functions(tmp_path)
    assert {s.module_name for s in specs} == {"fn_no_key", "fn_wrong", "fn_both", "fn_neither", "fn_ok", "fn_env_expr"}
    problems = "\n".join(tfparse.check_lambda_specs(specs))
    assert '"fn_env_expr": environment_variables must be a literal object' in problems
    assert '"fn_no_key": no function_key' in problems
    assert "'other' does not match" in problems
    assert '"fn_both": needs exactly one' in problems
    assert '"fn_neither": needs exactly one' in problems
    assert "fn_ok" not in problems


def test_seeded_missing_handlers_are_found(tmp_path):
    package = tmp_path / "lambdas" / "workflow_lambdas"
    _write(tmp_path, "lambdas/workflow_lambdas/__init__.py", "")
    _write(tmp_path, "lambdas/workflow_lambdas/present.py", "def handler(event, context):\n    return event\n")
    _write(tmp_path, "lambdas/workflow_lambdas/wrong_name.py", "def other(event, context):\n    return event\n")
    _write(tmp_path, "evaluator/bertscore_evaluator/handlers.py", "from .core import score\n")
    assert package.is_dir()
    specs = [
        tfparse.LambdaSpec("fn_present", "present", "workflow_lambdas.present.handler", None),
        tfparse.LambdaSpec("fn_missing", "missing", "workflow_lambdas.missing.handler", None),
        tfparse.LambdaSpec("fn_wrong_name", "wrong_name", "workflow_lambdas.wrong_name.handler", None),
        tfparse.LambdaSpec("fn_score", "score", None, ["bertscore_evaluator.handlers.score"]),
        tfparse.LambdaSpec("fn_aggregate", "aggregate", None, ["bertscore_evaluator.handlers.aggregate"]),
    ]
    problems = "\n".join(tfparse.check_handlers(specs, tmp_path))
    assert "fn_present" not in problems
    assert "fn_score" not in problems  # re-exported by an import counts
    assert "fn_missing: workflow_lambdas.missing.handler: no module file" in problems
    assert "wrong_name.py does not define handler" in problems
    assert "handlers.py does not define aggregate" in problems


def test_seeded_environment_mismatch_is_found():
    contract = {"a": {"X", "Y"}, "b": set()}
    specs = [
        tfparse.LambdaSpec("fn_a", "a", "p.m.h", None, {"X": "1", "Z": "2"}),
        tfparse.LambdaSpec("fn_b", "b", "p.m.h", None, {}),
        tfparse.LambdaSpec("fn_c", "c", "p.m.h", None, {}),
    ]
    problems = "\n".join(tfparse.check_environment(specs, contract))
    assert "fn_a" in problems and "missing ['Y'], extra ['Z']" in problems
    assert "fn_b" not in problems
    assert "fn_c: function key 'c' not in the contract" in problems


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_templatefile_variables_match_placeholders(module_dir):
    assert tfparse.check_templatefile_calls(module_dir) == []


def test_template_placeholders_match_contract():
    contract = tfparse.contract_placeholders(CONTRACTS)
    parent = tfparse.templatefile_calls(ROOT)
    child = tfparse.templatefile_calls(ROOT / "modules" / "evaluation")
    assert len(parent) == 1 and parent[0].block.file.name == "main.tf"
    assert len(child) == 1 and child[0].block.file.name == "main.tf"
    assert set(parent[0].variables) == contract["parent"]
    assert set(child[0].variables) == contract["child"]
    assert parent[0].template == ROOT / "statemachine.asl.json.tftpl"
    assert child[0].template == ROOT / "modules" / "evaluation" / "statemachine.asl.json.tftpl"


@pytest.mark.parametrize(
    "template", [ROOT / "statemachine.asl.json.tftpl", ROOT / "modules/evaluation/statemachine.asl.json.tftpl"]
)
def test_templates_render_to_json(template):
    names = tfparse.template_placeholders(template)
    rendered = tfparse.render_template(template, {n: f"arn:aws:test:{n}" for n in names})
    definition = json.loads(rendered)
    assert "StartAt" in definition and definition["StartAt"] in definition["States"]


def test_seeded_template_mismatch_is_found(tmp_path):
    _write(tmp_path, "t.tftpl", '{"a": "${alpha}", "b": "${beta}", "c": "$${literal}"}')
    _write(
        tmp_path,
        "main.tf",
        """
        locals {
          ok      = jsondecode(templatefile("${path.module}/t.tftpl", { alpha = "x", beta = module.m.arn }))
          missing = jsondecode(templatefile("${path.module}/t.tftpl", { alpha = "x" }))
          extra = templatefile("${path.module}/t.tftpl", {
            alpha = "x"
            beta  = "y"
            gamma = { nested = "z, with a comma" }
          })
          absent = templatefile("${path.module}/nope.tftpl", {})
        }
        """,
    )
    assert tfparse.template_placeholders(tmp_path / "t.tftpl") == {"alpha", "beta"}
    calls = tfparse.templatefile_calls(tmp_path)
    assert [sorted(c.variables) for c in calls] == [
        ["alpha", "beta"],
        ["alpha"],
        ["alpha", "beta", "gamma"],
        [],
    ]
    problems = tfparse.check_templatefile_calls(tmp_path)
    joined = "\n".join(problems)
    assert len(problems) == 3, joined
    assert "uses ['beta'] not passed" in joined
    assert "passes ['gamma'] unused" in joined
    assert "nope.tftpl does not exist" in joined


def test_object_items_and_calls_parse_nested_expressions():
    expr = 'jsondecode(templatefile("${path.module}/x.tftpl", {a = f(1, [2, 3]), "b" = "s,}", c = {d = 1}}))'
    (args,) = tfparse.find_calls(expr, "templatefile")
    assert args[0] == '"${path.module}/x.tftpl"'
    assert tfparse.object_items(args[1]) == {"a": "f(1, [2, 3])", "b": '"s,}"', "c": "{d = 1}"}


# --------------------------------------------------------------------------- conventions


def test_no_timestamp_and_no_policy_attachments():
    for module_dir in MODULE_DIRS:
        for block in tfparse.blocks(module_dir):
            for value in tfparse.iter_strings(block.body):
                assert not re.search(r"\btimestamp\s*\(", value), f"{block.where()}: timestamp() makes plans unstable"
            if block.kind == "resource":
                assert not block.labels[0].endswith("policy_attachment"), f"{block.where()}: use aws_iam_role_policy"


def test_state_machines_log_and_trace():
    for module_dir in (ROOT, ROOT / "modules" / "evaluation"):
        machines = [b for b in tfparse.blocks(module_dir, "resource") if b.labels[0] == "aws_sfn_state_machine"]
        assert len(machines) == 1, module_dir
        body = machines[0].body
        assert body["type"] == "STANDARD"
        assert body["logging_configuration"][0]["level"] == "ALL"
        assert body["logging_configuration"][0]["include_execution_data"] is True
        assert body["tracing_configuration"][0]["enabled"] is True
        assert body["definition"].startswith("${jsonencode(local.")


def test_lambda_requirements_are_pinned():
    lines = [
        line.strip()
        for line in (ROOT / "lambdas" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines and all(re.match(r"^[A-Za-z0-9_.-]+==[\w.]+$", line) for line in lines), lines
    assert not any(line.lower().startswith(("boto3", "botocore")) for line in lines)


def test_example_has_tfvars():
    text = (ROOT / "examples" / "basic" / "terraform.tfvars").read_text()
    for name in ("name_prefix", "sender_email", "recipient_emails", "region"):
        assert re.search(rf"^{name}\s*=", text, re.M), name
