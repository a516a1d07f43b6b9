"""The emulator reads what to deploy from the Terraform code."""

from __future__ import annotations

import importlib

from bedrock_customize import paths
from bedrock_customize.emulator import Emulator, EmulatorConfig
from bedrock_customize.emulator.terraform_source import lambda_functions, template_calls


def test_every_function_in_terraform_has_an_importable_handler():
    specs = lambda_functions(paths.module_root())
    assert {"validate_input", "release_throughput", "notify", "plan_shards", "infer", "score", "aggregate"} <= set(
        specs
    )
    for spec in specs.values():
        module_name, _, attr = spec.entrypoint.rpartition(".")
        assert callable(getattr(importlib.import_module(module_name), attr)), spec.entrypoint


def test_emulator_knows_every_environment_variable_terraform_sets():
    emulator = Emulator(EmulatorConfig(evaluator_model="/models/minilm"))  # not started: no AWS mock needed
    known = set(emulator._environment_values({k: k for k in ("training", "validation", "artifacts")}))
    for spec in lambda_functions(paths.module_root()).values():
        assert set(spec.environment) <= known, (spec.key, set(spec.environment) - known)


def test_reads_functions_and_templates_from_a_module_copy(tmp_path):
    (tmp_path / "main.tf").write_text(
        """
locals {
  definition = jsondecode(templatefile("${path.module}/sm.asl.json.tftpl", {
    a_function_arn = module.fn_a.arn
  }))
}
module "fn_a" {
  source                = "./modules/lambda-function"
  function_key          = "a"
  handler               = "pkg.a.handler"
  environment_variables = { X = "1", Y = var.y }
}
module "other" {
  source = "./modules/storage"
}
"""
    )
    [call] = template_calls(tmp_path)
    assert call.variables == ("a_function_arn",)
    assert call.template == tmp_path / "sm.asl.json.tftpl"
    specs = lambda_functions(tmp_path)
    assert list(specs) == ["a"]
    assert specs["a"].handler == "pkg.a.handler"
    assert set(specs["a"].environment) == {"X", "Y"}
