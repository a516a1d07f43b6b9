"""Structure tests of the Terraform code (no Terraform binary, no providers).

Each check lives in tfparse.py and returns a list of problems; the tests run it
on the repository and, in the "seeded" tests, on small copies with one mistake
each, to prove that the check can fail.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import tfparse

ROOT = tfparse.REPO_ROOT
MODULE_DIRS = tfparse.module_dirs(ROOT)
CONTRACTS = ROOT / "docs" / "contracts.md"

# The function maps (local.functions) that module "function" iterates over, read from the code.
ROOT_FUNCTION_MAP = tfparse.function_map(ROOT)
EVALUATION_FUNCTION_MAP = tfparse.function_map(ROOT / "modules" / "evaluation")
ROOT_FUNCTIONS = set(ROOT_FUNCTION_MAP)
EVALUATION_FUNCTIONS = set(EVALUATION_FUNCTION_MAP)
EXPECTED_MODULES = {
    "storage",
    "lambda-function",
    "lambda-package",
    "evaluation",
    "evaluator-image",
    "notification",
    "state-machine",
}


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
    """One module "function" over local.functions in the root and in modules/evaluation, no other
    lambda-function call; the handler packages are where the maps say."""
    for module_dir, keys in ((ROOT, ROOT_FUNCTIONS), (ROOT / "modules" / "evaluation", EVALUATION_FUNCTIONS)):
        specs = tfparse.lambda_functions(module_dir)
        assert {s.function_key for s in specs} == keys
        assert {s.module_name for s in specs} == {f'function["{key}"]' for key in keys}
    assert ROOT_FUNCTIONS and EVALUATION_FUNCTIONS and not ROOT_FUNCTIONS & EVALUATION_FUNCTIONS
    assert all(fn["handler"].startswith("workflow_lambdas.") for fn in ROOT_FUNCTION_MAP.values())


def test_every_handler_in_the_package_is_deployed():
    """A lambdas/workflow_lambdas module with a handler is a function of the root or evaluation map,
    or a task a deployed handler dispatches to (judge, run by infer)."""
    specs = tfparse.all_lambda_functions(ROOT)
    assert tfparse.check_unlisted_handlers(specs, ROOT / "lambdas" / "workflow_lambdas") == []


def test_seeded_undeployed_handler_is_found(tmp_path):
    package = tmp_path / "workflow_lambdas"
    _write(
        tmp_path,
        "workflow_lambdas/listed.py",
        "from workflow_lambdas import task\n\ndef handler(e, c):\n    return task.handler(e, c)\n",
    )
    _write(tmp_path, "workflow_lambdas/task.py", "def handler(event, context):\n    return event\n")
    _write(tmp_path, "workflow_lambdas/forgotten.py", "def handler(event, context):\n    return event\n")
    _write(tmp_path, "workflow_lambdas/helpers.py", "def helper():\n    return 1\n")
    specs = [tfparse.LambdaSpec('function["listed"]', "listed", "workflow_lambdas.listed.handler", None)]
    problems = tfparse.check_unlisted_handlers(specs, package)
    assert problems == [
        "workflow_lambdas.forgotten.handler: no function runs it (not in a function map, not called by a handler)"
    ]


def test_the_workflow_invokes_exactly_the_functions_its_template_names():
    """invoked_by_workflow (the parent role's InvokeFunctions statement) is true for the functions whose
    <key>_function_arn the parent template uses, false for the others (release_stopped_run: EventBridge)."""
    placeholders = tfparse.template_placeholders(ROOT / "statemachine.asl.json.tftpl")
    flags = {key: fn["invoked_by_workflow"] for key, fn in ROOT_FUNCTION_MAP.items()}
    assert flags == {key: f"{key}_function_arn" in placeholders for key in ROOT_FUNCTIONS}
    assert flags["release_stopped_run"] is False
    (parent,) = [b for b in tfparse.blocks(ROOT, "data") if b.labels == ("aws_iam_policy_document", "parent")]
    (invoke,) = [s for s in parent.body["statement"] if s.get("sid") == "InvokeFunctions"]
    assert "local.functions[key].invoked_by_workflow" in invoke["resources"]


def test_plan_shards_capacity_uses_the_default_timeouts():
    """MAX_SHARDS is computed from the plan_shards and aggregate timeouts: the defaults of the map."""
    from workflow_lambdas import plan_shards

    assert plan_shards.PLAN_TIMEOUT_SECONDS == EVALUATION_FUNCTION_MAP["plan_shards"]["default_timeout"]
    assert plan_shards.AGGREGATE_TIMEOUT_SECONDS == EVALUATION_FUNCTION_MAP["aggregate"]["default_timeout"]


def _literal_keys(module_dir: Path, variable: str) -> list[tuple[list[str], str]]:
    """(keys listed in a condition's contains([...]), error_message) of each validation of a variable."""
    block = next(b for b in tfparse.blocks(module_dir, "variable") if b.labels[0] == variable)
    found = []
    for validation in block.body.get("validation", []):
        condition = tfparse.unwrap(validation["condition"])
        for args in tfparse.find_calls(condition, "contains"):
            if args[0].startswith("["):
                keys = [tfparse.string_literal(k) for k in tfparse.split_top_level(args[0][1:-1])]
                found.append((keys, validation["error_message"]))
    return found


@pytest.mark.parametrize(
    "module, variables, keys",
    [
        (".", ["lambda"], ROOT_FUNCTIONS | EVALUATION_FUNCTIONS),
        ("modules/evaluation", ["memory_sizes", "timeouts"], EVALUATION_FUNCTIONS),
    ],
)
def test_variable_validations_list_the_function_keys_of_the_maps(module, variables, keys):
    """A validation can refer to its variable only (and runs on variables.tf alone): its literal list of
    function keys, and the error message, must be the keys of the function maps."""
    for variable in variables:
        found = [(listed, message) for listed, message in _literal_keys(ROOT / module, variable) if keys & set(listed)]
        assert len(found) == 1, (variable, found)
        ((listed, message),) = found
        assert set(listed) == keys, (variable, sorted(set(listed) ^ keys))
        assert all(key in message for key in keys), (variable, message)


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
    optional = tfparse.contract_optional_environment(CONTRACTS)
    assert tfparse.check_environment(tfparse.all_lambda_functions(ROOT), contract, optional) == []


def test_contract_environment_table_is_read():
    contract = tfparse.contract_environment(CONTRACTS)
    optional = tfparse.contract_optional_environment(CONTRACTS)
    assert {"TRAINING_BUCKET", "SHARD_SIZE"} <= contract["validate_input"]
    assert contract["notify"] == {"SENDER_EMAIL", "DEFAULT_RECIPIENTS"}
    assert "BERTSCORE_MODEL" in contract["score"] | optional["score"]
    assert all("_" in name for names in contract.values() for name in names)


def test_lambda_function_module_logs_json_at_the_configured_level():
    """Lambda's native JSON logs with the module's log level, and no logging environment of its own
    (the handlers neither read LOG_LEVEL nor SERVICE_NAME)."""
    module = ROOT / "modules" / "lambda-function"
    (function,) = [b for b in tfparse.blocks(module, "resource") if b.labels == ("aws_lambda_function", "this")]
    (logging_config,) = function.body["logging_config"]
    assert logging_config["log_format"] == "JSON"
    assert tfparse.unwrap(logging_config["application_log_level"]) == "local.application_log_level"
    assert "var.log_level" in tfparse.locals_of(module)["application_log_level"]
    dynamic = {name: spec for entry in function.body["dynamic"] for name, spec in entry.items()}
    (environment,) = dynamic["environment"]["content"]
    assert tfparse.unwrap(environment["variables"]) == "environment.value"
    sources = [*ROOT.glob("lambdas/workflow_lambdas/**/*.py"), *ROOT.glob("evaluator/bertscore_evaluator/*.py")]
    assert not [str(p) for p in sources if "LOG_LEVEL" in p.read_text() or "SERVICE_NAME" in p.read_text()]


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
    # optional names are allowed, never required
    assert tfparse.check_environment(specs[:2], {"a": {"X"}, "b": set()}, {"a": {"Z"}}) == []
    assert "missing ['Y']" in "\n".join(tfparse.check_environment(specs[:1], contract, {"a": {"Y", "Z"}}))


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_templatefile_variables_match_placeholders(module_dir):
    assert tfparse.check_templatefile_calls(module_dir) == []


def test_template_placeholders_match_contract():
    contract = tfparse.contract_placeholders(CONTRACTS)
    calls = tfparse.templatefile_calls(ROOT)
    parent = [c for c in calls if c.template.name.startswith("statemachine")]
    child = tfparse.templatefile_calls(ROOT / "modules" / "evaluation")
    assert len(parent) == 1 and parent[0].block.file.name == "main.tf"
    rules = [c for c in calls if c not in parent]
    assert [(c.template.name, set(c.variables)) for c in rules] == [
        ("run-stopped.event-pattern.json.tftpl", {"state_machine_arn"})
    ]
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


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_one_terraform_reader():
    """python-hcl2 is imported by bedrock_customize.hcl alone: the emulator, the tools (docs generator,
    provider schema, syntax check) and the tests all read Terraform through it."""
    reader = ROOT / "src" / "bedrock_customize" / "hcl.py"
    sources = [*ROOT.glob("src/**/*.py"), *ROOT.glob("tools/*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("*/*.py")]
    readers = sorted({str(p.relative_to(ROOT)) for p in sources if "hcl2" in _imported_modules(p)})
    assert readers == [str(reader.relative_to(ROOT))]


def test_one_template_renderer(tmp_path):
    """The structure tests render with the emulator's renderer: what Terraform would interpret and the
    emulator refuses (a directive, an expression) is refused here too, and escapes render alike."""
    from bedrock_customize.emulator.render import TemplateError, render_text

    template = tmp_path / "t.tftpl"
    template.write_text('{"a": "${name}", "b": "$${literal}", "c": "$$.Execution.Id"}', encoding="utf-8")
    assert tfparse.render_template(template, {"name": "x"}) == render_text(template.read_text(), {"name": "x"})
    assert json.loads(tfparse.render_template(template, {"name": "x"})) == {
        "a": "x",
        "b": "${literal}",
        "c": "$$.Execution.Id",
    }
    for text in ('{"a": "%{ if true }x%{ endif }"}', '{"a": "${upper(name)}"}'):
        template.write_text(text, encoding="utf-8")
        with pytest.raises(TemplateError):
            tfparse.render_template(template, {"name": "x"})


def test_run_stopped_pattern_selects_the_parents_unsuccessful_ends():
    template = ROOT / "run-stopped.event-pattern.json.tftpl"
    assert tfparse.template_placeholders(template) == {"state_machine_arn"}
    pattern = json.loads(tfparse.render_template(template, {"state_machine_arn": "arn:aws:states:x:1:stateMachine:p"}))
    assert pattern == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "status": ["ABORTED", "TIMED_OUT", "FAILED"],
            "stateMachineArn": ["arn:aws:states:x:1:stateMachine:p"],
        },
    }


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
    module_dir = ROOT / "modules" / "state-machine"
    (machine,) = [b for b in tfparse.blocks(module_dir, "resource") if b.labels[0] == "aws_sfn_state_machine"]
    body = machine.body
    assert body["type"] == "STANDARD"
    assert body["logging_configuration"][0]["level"] == "ALL"
    assert body["logging_configuration"][0]["include_execution_data"] is True
    assert body["tracing_configuration"][0]["enabled"] is True
    assert body["definition"] == "${var.definition}"
    (log_group,) = [b for b in tfparse.blocks(module_dir, "resource") if b.labels[0] == "aws_cloudwatch_log_group"]
    assert log_group.body["name"] == "/aws/vendedlogs/states/${var.name}"


def test_both_workflows_use_the_state_machine_module():
    """The parent (root) and the child (modules/evaluation) each call ../state-machine once, with the
    definition rendered by the templatefile() of their own main.tf; neither declares a state machine itself."""
    for module_dir, source, definition in (
        (ROOT, "./modules/state-machine", "${jsonencode(local.parent_definition)}"),
        (ROOT / "modules" / "evaluation", "../state-machine", "${jsonencode(local.definition)}"),
    ):
        assert not [b for b in tfparse.blocks(module_dir, "resource") if b.labels[0] == "aws_sfn_state_machine"]
        calls = [b for b in tfparse.blocks(module_dir, "module") if b.body.get("source") == source]
        assert len(calls) == 1, module_dir
        assert calls[0].file.name == "main.tf"
        assert calls[0].body["definition"] == definition, module_dir
        assert calls[0].body["log_retention_days"] == "${var.log_retention_days}", module_dir
        assert calls[0].body["kms_key_arn"] == "${var.kms_key_arn}", module_dir


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


# --------------------------------------------------------------------------- validations


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_validations_name_the_variable_and_cover_enums(module_dir):
    assert tfparse.check_validations(tfparse.blocks(module_dir, "variable")) == []


def test_enum_like_variables_are_recognised():
    found = {
        (d.name, b.labels[0])
        for d in MODULE_DIRS
        for b in tfparse.blocks(d, "variable")
        if tfparse.enum_choices(str(b.body.get("description", "")))
    }
    assert {
        ("evaluator-image", "architecture"),
        ("lambda-package", "architecture"),
        ("evaluation", "log_level"),
    } <= found


def test_seeded_validation_mistakes_are_found(tmp_path):
    _write(
        tmp_path,
        "variables.tf",
        """
        variable "arch" {
          description = "Either \\"x86_64\\" or \\"arm64\\"."
          type        = string
        }

        variable "level" {
          description = "One of DEBUG, INFO."
          type        = string

          validation {
            condition     = contains(["DEBUG", "INFO"], var.level)
            error_message = "Bad value"
          }
        }

        variable "mode" {
          description = "Mode: one of fast, slow."
          type        = string

          validation {
            condition     = contains(["fast", "slow"], var.other)
            error_message = "mode must be valid."
          }
        }

        variable "fine" {
          description = "Either \\"a\\" or \\"b\\"."
          type        = string

          validation {
            condition     = contains(["a", "b"], var.fine)
            error_message = "fine must be \\"a\\" or \\"b\\"."
          }
        }
        """,
    )
    problems = "\n".join(tfparse.check_validations(tfparse.blocks(tmp_path)))
    assert '"arch": enum-like (x86_64 / arm64) but no validation block' in problems
    assert '"level": error_message must start with the variable name' in problems
    assert '"level": error_message must be a sentence' in problems
    assert '"mode": validation condition does not use var.mode' in problems
    assert "no error_message lists the allowed values ['fast', 'slow']" in problems
    assert '"fine"' not in problems


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_versions_declare_lower_bounds(module_dir):
    assert tfparse.check_versions(module_dir) == []


def test_seeded_versions_mistakes_are_found(tmp_path):
    _write(
        tmp_path,
        "child/versions.tf",
        "terraform {\n  required_providers {\n"
        '    external = { source = "hashicorp/external", version = ">= 2.3" }\n  }\n}\n',
    )
    _write(tmp_path, "child/main.tf", 'data "external" "x" {\n  program = ["true"]\n}\n')
    _write(
        tmp_path,
        "main.tf",
        'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n\nresource "terraform_data" "t" {}\n\n'
        'module "child" {\n  source = "./child"\n}\n',
    )
    assert tfparse.check_versions(tmp_path) == [f"{tmp_path}: no versions.tf"]
    _write(
        tmp_path,
        "versions.tf",
        'terraform {\n  required_version = "~> 1.6"\n  required_providers {\n'
        '    aws = { source = "hashicorp/aws", version = "6.1.0" }\n  }\n}\n',
    )
    problems = "\n".join(tfparse.check_versions(tmp_path))
    assert "required_version must be a lower bound" in problems
    assert "provider 'aws' needs a lower bound version" in problems
    assert "provider 'external' is used but not in required_providers" in problems
    assert "terraform" not in problems.replace("terraform block", "")


# --------------------------------------------------------------------------- IAM

MODULES_NOT_EXAMPLES = [d for d in MODULE_DIRS if d.parent.name != "examples"]


@pytest.mark.parametrize("module_dir", MODULES_NOT_EXAMPLES, ids=_ids(MODULES_NOT_EXAMPLES))
def test_every_role_takes_the_permissions_boundary(module_dir):
    assert tfparse.check_roles_have_boundary(module_dir) == []


def test_root_passes_the_boundary_everywhere():
    text = "\n".join(p.read_text() for p in ROOT.glob("*.tf"))
    assert text.count("permissions_boundary = var.permissions_boundary_arn") == 1  # the bedrock role
    calls = [b for b in tfparse.blocks(ROOT, "module") if b.labels[0] in ("function", "evaluation", "state_machine")]
    assert {b.labels[0] for b in calls} == {"function", "evaluation", "state_machine"}
    assert calls and all(b.body.get("permissions_boundary_arn") == "${var.permissions_boundary_arn}" for b in calls)


def test_seeded_missing_boundary_is_found(tmp_path):
    _write(tmp_path, "child/variables.tf", 'variable "permissions_boundary_arn" {\n  type = string\n}\n')
    _write(
        tmp_path,
        "main.tf",
        """
        resource "aws_iam_role" "bare" {
          assume_role_policy = "{}"
        }

        resource "aws_iam_role" "bounded" {
          assume_role_policy   = "{}"
          permissions_boundary = var.permissions_boundary_arn
        }

        module "child" {
          source = "./child"
        }
        """,
    )
    problems = "\n".join(tfparse.check_roles_have_boundary(tmp_path))
    assert 'resource "aws_iam_role" "bare": no permissions_boundary' in problems
    assert "bounded" not in problems
    assert 'module "child": does not pass permissions_boundary_arn' in problems


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=_ids(MODULE_DIRS))
def test_wildcard_resources_are_explained_and_passrole_is_scoped(module_dir):
    assert tfparse.check_wildcard_resources(module_dir) == []


def test_seeded_wildcard_mistakes_are_found(tmp_path):
    _write(
        tmp_path,
        "iam.tf",
        """
        data "aws_iam_policy_document" "p" {
          statement {
            actions   = ["s3:GetObject"]
            resources = ["*"]
          }

          statement {
            # X-Ray has no resource-level permissions.
            actions   = ["xray:PutTraceSegments"]
            resources = ["*"]
          }

          dynamic "statement" {
            for_each = [1]

            content {
              actions   = ["iam:PassRole"]
              resources = ["*"]
            }
          }

          statement {
            actions   = ["iam:PassRole"]
            resources = [aws_iam_role.r.arn]
          }
        }
        """,
    )
    problems = tfparse.check_wildcard_resources(tmp_path)
    joined = "\n".join(problems)
    assert 'iam.tf:3: statement with resources ["*"] has no comment' in joined
    assert "iam.tf:8" not in joined
    assert 'iam.tf:14: iam:PassRole on resources ["*"]' in joined
    assert "iam.tf:14: iam:PassRole without an iam:PassedToService condition" in joined
    assert "iam.tf:23: iam:PassRole without an iam:PassedToService condition" in joined


def test_bedrock_role_may_invoke_a_distillation_teacher_model_or_inference_profile():
    policy = next(b for b in tfparse.blocks(ROOT, "data") if b.labels == ("aws_iam_policy_document", "bedrock"))
    statements = {s["sid"]: s for s in policy.body["statement"] if "sid" in s}
    teacher = statements["InvokeDistillationTeacher"]
    assert teacher["actions"] == ["bedrock:InvokeModel"]
    assert any(":foundation-model/" in r for r in teacher["resources"])
    assert any(":inference-profile/" in r and "${local.account_id}" in r for r in teacher["resources"])


def test_bedrock_role_vpc_statements_are_scoped_to_the_configured_network():
    policy = next(b for b in tfparse.blocks(ROOT, "data") if b.labels == ("aws_iam_policy_document", "bedrock"))
    dynamics = {
        s["content"][0]["sid"]: s for s in policy.body["dynamic"] for s in [s["statement"]] if "sid" in s["content"][0]
    }
    assert {"DescribeNetwork", "CreateJobNetworkInterfaces", "UseJobSubnetsAndSecurityGroups"} <= set(dynamics)
    assert all(
        s["for_each"] == "${local.use_vpc ? [var.customization_vpc_config] : []}"
        for k, s in dynamics.items()
        if "Network" in k or "Subnet" in k
    )
    scoped = dynamics["UseJobSubnetsAndSecurityGroups"]["content"][0]["resources"]
    assert "statement.value.subnet_ids" in scoped and "statement.value.security_group_ids" in scoped


# --------------------------------------------------------------------------- evaluator image build arguments

DOCKERFILE = ROOT / "evaluator" / "Dockerfile"


def _root_build_args() -> dict:
    call = next(b for b in tfparse.blocks(ROOT, "module") if b.labels[0] == "evaluator_image")
    return call.body["build_args"]


def test_build_args_are_the_dockerfile_args():
    assert tfparse.check_build_args(_root_build_args(), DOCKERFILE, "BERTSCORE_") == []
    assert set(_root_build_args()) == {"BERTSCORE_MODEL_NAME", "BERTSCORE_NUM_LAYERS"}


def test_seeded_build_arg_mismatch_is_found(tmp_path):
    dockerfile = _write(
        tmp_path, "Dockerfile", "FROM x\nARG BERTSCORE_MODEL_NAME=a\nARG BERTSCORE_NUM_LAYERS=1\nARG OTHER=1\n"
    )
    problems = "\n".join(tfparse.check_build_args({"BERTSCORE_MODEL": "x"}, dockerfile, "BERTSCORE_"))
    assert "build arg BERTSCORE_MODEL is not declared" in problems
    assert "ARG BERTSCORE_MODEL_NAME" in problems and "ARG BERTSCORE_NUM_LAYERS" in problems
    assert "OTHER" not in problems


def _fake_tools(tmp_path: Path) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    log = tmp_path / "docker.log"
    _write(tmp_path, "bin/aws", '#!/bin/sh\n[ "$2" = describe-images ] && exit 1\necho password\n')
    _write(tmp_path, "bin/docker", f'#!/bin/sh\necho "$@" >> "{log}"\ncat > /dev/null\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return bin_dir, log


def _build_and_push(bin_dir: Path, build_args: dict) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "REGION": "us-east-1",
        "REPOSITORY_NAME": "acme-evaluator",
        "REGISTRY": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-evaluator:src-1",
        "TAG": "src-1",
        "PLATFORM": "linux/amd64",
        "CONTEXT_DIR": str(ROOT),
        "DOCKERFILE": str(DOCKERFILE),
        "BUILD_ARGS_JSON": json.dumps(build_args),
    }
    script = ROOT / "modules" / "evaluator-image" / "build_and_push.sh"
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)


def test_build_script_passes_model_name_and_layers(tmp_path):
    bin_dir, log = _fake_tools(tmp_path)
    proc = _build_and_push(
        bin_dir, {"BERTSCORE_MODEL_NAME": "microsoft/deberta-xlarge-mnli", "BERTSCORE_NUM_LAYERS": "40"}
    )
    assert proc.returncode == 0, proc.stderr
    build = next(line for line in log.read_text().splitlines() if line.startswith("buildx build"))
    assert "--build-arg BERTSCORE_MODEL_NAME=microsoft/deberta-xlarge-mnli" in build
    assert "--build-arg BERTSCORE_NUM_LAYERS=40" in build
    assert "--provenance=false" in build


def test_build_script_refuses_an_undeclared_build_arg(tmp_path):
    bin_dir, log = _fake_tools(tmp_path)
    proc = _build_and_push(bin_dir, {"BERTSCORE_MODEL": "roberta-large"})
    assert proc.returncode == 2
    assert "build arg BERTSCORE_MODEL is not declared (ARG)" in proc.stderr
    assert not log.exists() or "buildx" not in log.read_text()


def test_build_script_says_what_to_do_without_docker(tmp_path):
    bin_dir, log = _fake_tools(tmp_path)
    (bin_dir / "docker").unlink()
    env = {
        "PATH": str(bin_dir),  # aws only: no docker, no python3
        "REGION": "us-east-1",
        "REPOSITORY_NAME": "acme-evaluator",
        "REGISTRY": "r",
        "IMAGE": "i",
        "TAG": "t",
        "PLATFORM": "linux/amd64",
        "CONTEXT_DIR": str(ROOT),
        "DOCKERFILE": str(DOCKERFILE),
    }
    script = ROOT / "modules" / "evaluator-image" / "build_and_push.sh"
    proc = subprocess.run(["/bin/bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "docker is not installed" in proc.stderr and "evaluator_image_uri" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_scoring_functions_point_at_the_baked_model():
    """The image's weights are at evaluator_model.path; BERTSCORE_MODEL must not be the hub id (offline at run time)."""
    for spec in tfparse.lambda_functions(ROOT / "modules" / "evaluation"):
        if spec.image_command:
            assert spec.environment["BERTSCORE_MODEL"] == "${var.evaluator_model.path}", spec.module_name
    # The root variable's default path is where the Dockerfile writes the weights and what it exports
    # as BERTSCORE_MODEL: both read from their sources, so moving the weights in one place fails here.
    variable = next(b for b in tfparse.blocks(ROOT, "variable") if b.labels[0] == "evaluator_model")
    (fields,) = tfparse.find_calls(tfparse.unwrap(variable.body["type"]), "object")
    path_type = tfparse.object_items(fields[0])["path"]
    (optional_args,) = tfparse.find_calls(path_type, "optional")
    default_path = tfparse.string_literal(optional_args[1])
    dockerfile = DOCKERFILE.read_text()
    written = re.findall(r"--out (\S+)", dockerfile)
    exported = re.findall(r"^\s+BERTSCORE_MODEL=(\S+)", dockerfile, flags=re.MULTILINE)
    assert written == [default_path] and exported == [default_path], (written, exported, default_path)


# --------------------------------------------------------------------------- examples


def test_complete_example_brings_its_own_resources():
    call = next(b for b in tfparse.blocks(ROOT / "examples" / "complete", "module") if b.labels[0] == "customization")
    body = call.body
    assert body["source"] == "../.."
    for name in ("existing_buckets", "kms_key_arn", "permissions_boundary_arn", "customization_vpc_config"):
        assert name in body, name
    assert set(body["existing_buckets"]) == {"training", "validation", "artifacts"}
    for example in ("basic", "complete"):
        for file in ("README.md", "terraform.tfvars", "versions.tf", "variables.tf", "outputs.tf", "main.tf"):
            assert (ROOT / "examples" / example / file).is_file(), f"examples/{example}/{file}"


# --------------------------------------------------------------------------- pre-commit


def check_precommit(config: dict, repo_root: Path) -> list[str]:
    """The usual hooks are configured; local hooks call tools that exist; ruff's rev is the pinned ruff."""
    problems = []
    hooks = {
        hook["id"]: (repo["repo"], repo.get("rev"), hook) for repo in config.get("repos", []) for hook in repo["hooks"]
    }
    for wanted in ("terraform-fmt", "ruff", "ruff-format", "check-json", "end-of-file-fixer", "asl-validator"):
        if wanted not in hooks:
            problems.append(f"hook {wanted} missing")
    pin = re.search(r'"ruff==([\d.]+)"', (repo_root / "pyproject.toml").read_text())
    if "ruff" in hooks and pin and hooks["ruff"][1] != f"v{pin.group(1)}":
        problems.append(f"ruff-pre-commit rev {hooks['ruff'][1]} != pinned ruff {pin.group(1)}")
    for hook_id, (repo, _, hook) in hooks.items():
        if repo != "local":
            continue
        for script in re.findall(r"(?:tools|tests)/[\w/]+\.py", hook["entry"]):
            if not (repo_root / script).is_file():
                problems.append(f"hook {hook_id}: {script} does not exist")
    return problems


def test_precommit_config():
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert check_precommit(config, ROOT) == []
    fmt = next(h for r in config["repos"] for h in r["hooks"] if h["id"] == "terraform-fmt")
    assert "tools/terraform.py fmt" in fmt["entry"]


def test_seeded_precommit_mistakes_are_found(tmp_path):
    (tmp_path / "pyproject.toml").write_text('dev = ["ruff==1.2.3"]\n')
    config = {
        "repos": [
            {"repo": "https://github.com/astral-sh/ruff-pre-commit", "rev": "v1.0.0", "hooks": [{"id": "ruff"}]},
            {"repo": "local", "hooks": [{"id": "terraform-fmt", "entry": "python tools/nope.py fmt"}]},
        ]
    }
    problems = "\n".join(check_precommit(config, tmp_path))
    assert "hook ruff-format missing" in problems and "hook check-json missing" in problems
    assert "rev v1.0.0 != pinned ruff 1.2.3" in problems
    assert "tools/nope.py does not exist" in problems


# Terraform variables that become validate_input's environment (main.tf) and the Settings field that reads them.
SETTINGS_OF_VARIABLES = {
    "shard_size": "shard_size",
    "inference_max_concurrency": "inference_max_concurrency",
    "score_max_concurrency": "score_max_concurrency",
    "default_model_units": "default_model_units",
    "throughput_poll_seconds": "throughput_poll_seconds",
    "throughput_max_polls": "throughput_max_polls",
    "customization_timeout_seconds": "customization_timeout_seconds",
    "evaluation_timeout_seconds": "evaluation_timeout_seconds",
}


def _tf_bounds(name: str) -> tuple[float | None, float | None]:
    text = (ROOT / "variables.tf").read_text(encoding="utf-8")
    block = text[text.index(f'variable "{name}"') :]
    block = block[: block.index("\nvariable ") if "\nvariable " in block else len(block)]
    low = [float(v) for v in re.findall(rf"var\.{name}\s*>=\s*([0-9.]+)", block)]
    high = [float(v) for v in re.findall(rf"var\.{name}\s*<=\s*([0-9.]+)", block)]
    return (max(low) if low else None), (min(high) if high else None)


@pytest.mark.parametrize("variable, field", sorted(SETTINGS_OF_VARIABLES.items()))
def test_variable_bounds_fit_the_function_settings(variable, field):
    """A value Terraform accepts must not make every run fail in ValidateInput (e.g. shard_size 2000)."""
    from workflow_lambdas.validate_input import Settings

    low, high = _tf_bounds(variable)
    assert low is not None, f"variables.tf: {variable} has no lower bound"
    meta = {type(m).__name__: m for m in Settings.model_fields[field].metadata}
    ge = getattr(meta.get("Ge"), "ge", None)
    le = getattr(meta.get("Le"), "le", None)
    if ge is not None:
        assert low >= ge, f"{variable} >= {low} but the function requires >= {ge}"
    if le is not None:
        assert high is not None and high <= le, f"{variable} <= {high} but the function allows <= {le}"
