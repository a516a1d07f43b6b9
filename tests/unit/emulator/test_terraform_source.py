"""The emulator reads what to deploy from the Terraform code."""

from __future__ import annotations

import importlib

import pytest

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


def test_reads_one_function_per_for_each_entry(tmp_path):
    """``module "function" { for_each = local.functions }``: one function per map key, each.key and
    each.value.<attr> taken from that entry (the data-driven form of the function blocks)."""
    (tmp_path / "main.tf").write_text(
        """
locals {
  functions = {
    plan = {
      handler               = "pkg.plan.handler"
      image_command         = null
      environment_variables = { SHARD_SIZE = tostring(var.shard_size) }
    }
    score = {
      handler               = null
      image_command         = ["pkg.score.handler"]
      environment_variables = {}
    }
  }
}
module "function" {
  source   = "./modules/lambda-function"
  for_each = local.functions

  function_key          = each.key
  handler               = each.value.handler
  image_command         = each.value.image_command
  environment_variables = each.value.environment_variables
  memory_size           = 256
}
"""
    )
    specs = lambda_functions(tmp_path)
    assert sorted(specs) == ["plan", "score"]
    assert (specs["plan"].handler, specs["plan"].image_command, specs["plan"].package_type) == (
        "pkg.plan.handler",
        None,
        "Zip",
    )
    assert specs["plan"].environment == {"SHARD_SIZE": "tostring(var.shard_size)"}
    assert (specs["score"].handler, specs["score"].image_command, specs["score"].entrypoint) == (
        None,
        ("pkg.score.handler",),
        "pkg.score.handler",
    )
    assert specs["score"].environment == {}


def test_a_for_each_over_anything_but_a_literal_local_map_is_refused(tmp_path):
    (tmp_path / "main.tf").write_text(
        """
module "function" {
  source   = "./modules/lambda-function"
  for_each = var.functions
  handler  = each.value.handler
}
"""
    )
    with pytest.raises(ValueError, match="for_each must be a literal map in locals"):
        lambda_functions(tmp_path)
