"""The Terraform code against the real hashicorp/aws 6.62.0 schema (offline `validate` stand-in).

The schema extract is tests/terraform/aws_provider_schema.json (tools/extract_provider_schema.py);
the checker is tests/terraform/schema_check.py. The seeded tests write tiny configurations
into tmp_path and prove that each kind of check fails when it should, and does not fire on
valid code.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import schema_check  # noqa: E402

REPO = HERE.parent.parent


@pytest.fixture(scope="module")
def schema():
    assert schema_check.SCHEMA_PATH.exists(), "run tools/extract_provider_schema.py"
    return schema_check.load_schema()


def check(tmp_path: Path, schema: dict, code: str, files: dict[str, str] | None = None) -> list[str]:
    (tmp_path / "main.tf").write_text(textwrap.dedent(code))
    for rel, text in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text))
    return [str(v) for v in schema_check.check_tree(tmp_path, schema)]


def one(violations: list[str], *needles: str) -> str:
    hits = [v for v in violations if all(n in v for n in needles)]
    assert len(hits) == 1, f"expected one violation with {needles}, got:\n" + "\n".join(violations)
    return hits[0]


# ----------------------------------------------------------------------------- the schema file
def test_schema_extract_is_real_provider_data(schema):
    assert "6.62.0" in schema["_meta"]["source"]
    sfn = schema["resources"]["aws_sfn_state_machine"]
    assert sfn["arguments"]["definition"]["required"] is True
    assert sfn["arguments"]["role_arn"]["required"] is True
    assert sfn["blocks"]["logging_configuration"]["nesting"] == "single"
    assert "arn" in sfn["attributes"] and "arn" not in sfn["arguments"]
    lam = schema["resources"]["aws_lambda_function"]
    assert {"invoke_arn", "qualified_arn"} <= set(lam["attributes"])
    doc = schema["data_sources"]["aws_iam_policy_document"]
    assert doc["blocks"]["statement"]["nesting"] == "list"
    assert doc["blocks"]["statement"]["blocks"]["condition"]["arguments"]["test"]["required"] is True
    assert "json" in doc["attributes"]
    assert len(schema["all_types"]["resources"]) > 1500


def test_schema_extract_covers_every_type_in_the_repo(schema):
    """Every resource / data type the .tf files use has a schema (else: rerun the extractor)."""
    missing = []
    for d in schema_check.module_dirs(REPO):
        mod = schema_check.load_module(d)
        for kind, tf_type, _name in mod.resources:
            if schema_check.type_schema(schema, kind, tf_type) is None:
                missing.append(f"{kind}.{tf_type}")
    assert not missing, f"not in aws_provider_schema.json: {sorted(set(missing))}"


# ----------------------------------------------------------------------------- the real tree
def test_real_tree_conforms_to_provider_schema(schema):
    assert schema_check.module_dirs(REPO), "no .tf files found"
    violations = [str(v) for v in schema_check.check_tree(REPO, schema)]
    assert not violations, f"{len(violations)} schema violation(s):\n" + "\n".join(violations)


# ----------------------------------------------------------------------------- no false positives
VALID = """
variable "names" {
  type = map(string)
}

variable "tracing" {
  type    = bool
  default = true
}

locals {
  prefix = "demo"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    dynamic "condition" {
      for_each = [data.aws_caller_identity.current.account_id]
      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "sm" {
  for_each           = var.names
  name               = "${local.prefix}-${each.value}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_s3_bucket" "b" {
  count  = 2
  bucket = "${local.prefix}-${count.index}-${data.aws_region.current.region}"
  # checkov:skip=CKV_AWS_18:demo
  lifecycle {
    prevent_destroy = false
  }
}

resource "aws_s3_bucket_versioning" "b" {
  bucket = aws_s3_bucket.b[0].id
  dynamic "versioning_configuration" {
    for_each = ["Enabled"]
    content {
      status = versioning_configuration.value
    }
  }
}

resource "aws_sfn_state_machine" "sm" {
  for_each = var.names
  name     = each.value
  role_arn = aws_iam_role.sm[each.key].arn
  definition = templatefile("${path.module}/sm.asl.json.tftpl", {
    bucket_arn = aws_s3_bucket.b[0].arn
  })
  logging_configuration {
    level                  = "ALL"
    include_execution_data = true
    log_destination        = "${aws_cloudwatch_log_group.sm.arn}:*"
  }
  dynamic "tracing_configuration" {
    for_each = var.tracing ? [1] : []
    content {
      enabled = true
    }
  }
  depends_on = [aws_cloudwatch_log_group.sm]
}

resource "aws_cloudwatch_log_group" "sm" {
  name              = "/aws/vendedlogs/states/${local.prefix}"
  retention_in_days = 30
}

resource "terraform_data" "build" {
  triggers_replace = [aws_s3_bucket.b[0].bucket]
  provisioner "local-exec" {
    command = "echo $${HOME} ${aws_s3_bucket.b[1].arn}"
  }
}

module "child" {
  source = "./modules/child"
  name   = "x"
}

output "arns" {
  value = {
    machines = { for k, sm in aws_sfn_state_machine.sm : k => sm.arn }
    first    = aws_sfn_state_machine.sm["a"].state_machine_version_arn
    invoke   = module.child.id
    build    = terraform_data.build.output
  }
}
"""
CHILD = {
    "modules/child/main.tf": """
        variable "name" {
          type = string
        }

        variable "optional" {
          type    = string
          default = null
        }

        output "id" {
          value = var.name
        }
    """
}


def test_valid_configuration_has_no_violations(tmp_path, schema):
    assert check(tmp_path, schema, VALID, CHILD) == []


# ----------------------------------------------------------------------------- seeded mistakes
def test_unknown_resource_type(tmp_path, schema):
    v = check(tmp_path, schema, 'resource "aws_s3_buckett" "b" {\n  bucket = "x"\n}\n')
    assert "did you mean 'aws_s3_bucket'" in one(v, "aws_s3_buckett.b", "unknown resource type")


def test_unknown_data_source_type(tmp_path, schema):
    v = check(tmp_path, schema, 'data "aws_caller_identty" "c" {}\n')
    one(v, "data.aws_caller_identty.c", "unknown data source type")


def test_real_type_missing_from_extract_is_reported_as_such(tmp_path, schema):
    v = check(tmp_path, schema, 'resource "aws_instance" "i" {}\n')
    one(v, "aws_instance.i", "exists in the provider", "extract_provider_schema.py")


def test_misspelled_argument(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_sfn_state_machine" "sm" {
          definition = "{}"
          role_arn   = "arn:aws:iam::1:role/r"
          nmae       = "x"
        }
    """,
    )
    assert "did you mean 'name'" in one(v, "aws_sfn_state_machine.sm -> nmae", "unknown argument")


def test_misspelled_argument_in_nested_block(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_sfn_state_machine" "sm" {
          definition = "{}"
          role_arn   = "r"
          logging_configuration {
            levle = "ALL"
          }
        }
    """,
    )
    one(v, "logging_configuration.levle", "unknown argument")


def test_unknown_nested_block(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_sfn_state_machine" "sm" {
          definition = "{}"
          role_arn   = "r"
          loging_configuration {
            level = "ALL"
          }
        }
    """,
    )
    assert "did you mean 'logging_configuration'" in one(v, "loging_configuration", "unknown nested block")


def test_unknown_dynamic_block_and_bad_content(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_sfn_state_machine" "sm" {
          definition = "{}"
          role_arn   = "r"
          dynamic "tracing_config" {
            for_each = [1]
            content {
              enabled = true
            }
          }
          dynamic "logging_configuration" {
            for_each = [1]
            content {
              lvl = "ALL"
            }
          }
        }
    """,
    )
    one(v, "dynamic.tracing_config", "unknown nested block")
    one(v, "dynamic.logging_configuration.content.lvl", "unknown argument")


def test_deeply_nested_mistake(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        data "aws_iam_policy_document" "d" {
          statement {
            actions = ["s3:GetObject"]
            condition {
              test   = "StringEquals"
              values = ["x"]
            }
            principal {
              type        = "AWS"
              identifiers = ["*"]
            }
          }
        }
    """,
    )
    one(v, "statement.condition.variable", "missing required argument 'variable'")
    assert "did you mean 'principals'" in one(v, "statement.principal", "unknown nested block")


def test_missing_required_argument(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_sfn_state_machine" "sm" {
          name       = "x"
          definition = "{}"
        }
    """,
    )
    one(v, "aws_sfn_state_machine.sm -> role_arn", "missing required argument 'role_arn'")


def test_missing_required_nested_block_and_dynamic_satisfies_it(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_s3_bucket_versioning" "missing" {
          bucket = "b"
        }

        resource "aws_s3_bucket_versioning" "dynamic" {
          bucket = "b"
          dynamic "versioning_configuration" {
            for_each = ["Enabled"]
            content {
              status = versioning_configuration.value
            }
          }
        }

        resource "aws_s3_bucket_versioning" "dynamic_incomplete" {
          bucket = "b"
          dynamic "versioning_configuration" {
            for_each = ["Enabled"]
            content {}
          }
        }
    """,
    )
    one(v, "aws_s3_bucket_versioning.missing", "missing required nested block 'versioning_configuration'")
    one(v, "aws_s3_bucket_versioning.dynamic_incomplete", "missing required argument 'status'")
    assert not [x for x in v if "aws_s3_bucket_versioning.dynamic " in x or "aws_s3_bucket_versioning.dynamic:" in x]
    assert len(v) == 2, v


def test_block_argument_confusion_and_single_block_twice(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_sfn_state_machine" "sm" {
          definition = "{}"
          role_arn   = "r"
          logging_configuration = { level = "ALL" }
          tags {
            a = "b"
          }
          tracing_configuration {
            enabled = true
          }
          tracing_configuration {
            enabled = false
          }
        }
    """,
    )
    one(v, "logging_configuration", "is a nested block, not an argument")
    one(v, "-> tags", "is an argument, not a block")
    one(v, "tracing_configuration", "at most one")


def test_bad_attribute_references(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_s3_bucket" "b" {
          for_each = toset(["a"])
          bucket   = each.key
        }

        resource "aws_s3_bucket" "c" {
          count  = 1
          bucket = "c"
        }

        data "aws_region" "r" {}

        locals {
          ok1  = aws_s3_bucket.b["a"].arn
          bad1 = aws_s3_bucket.b["a"].bucket_arn
          bad2 = aws_s3_bucket.c[0].nope
          bad3 = "${aws_s3_bucket.b[each.key].region_name}-x"
          bad4 = data.aws_region.r.nme
          bad5 = aws_s3_bucket.missing.arn
          bad6 = [for k, b in aws_s3_bucket.b : b.nope]
        }
    """,
    )
    one(v, "aws_s3_bucket.b -> bucket_arn", "has no attribute")
    one(v, "aws_s3_bucket.c -> nope", "has no attribute")
    one(v, "aws_s3_bucket.b -> region_name", "has no attribute")
    assert "did you mean 'name'" in one(v, "data.aws_region.r -> nme", "has no attribute")
    one(v, "aws_s3_bucket.missing", "undeclared")
    # `b.nope` through a for-expression variable is out of reach of a regex check
    assert len(v) == 5, v


def test_undeclared_names_and_module_interface(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        variable "used" {
          type = string
        }

        module "child" {
          source = "./modules/child"
          nmae   = var.used
        }

        output "o" {
          value = [var.unused, local.nothing, module.child.idd, module.ghost.x]
        }
    """,
        CHILD,
    )
    one(v, "var.unused", "undeclared input variable")
    one(v, "local.nothing", "undeclared local value")
    assert "did you mean 'id'" in one(v, "module.child -> idd", "has no output")
    one(v, "module.ghost", "undeclared module")
    assert "did you mean 'name'" in one(v, "module.child -> nmae", "no input variable")
    one(v, "module.child -> name", "missing required module input")
    assert len(v) == 6, v


def test_syntax_error_is_reported_not_crashing(tmp_path, schema):
    v = check(tmp_path, schema, 'resource "aws_s3_bucket" "b" {\n  bucket = \n}\n')
    one(v, "(parse)", "hcl2 cannot parse")


def test_checker_covers_modules_and_examples(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        "",
        {
            "modules/a/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucke = "x"\n}\n',
            "examples/e/main.tf": 'resource "aws_iam_role" "r" {\n  name = "x"\n}\n',
        },
    )
    one(v, "modules/a/main.tf", "bucke")
    one(v, "examples/e/main.tf", "missing required argument 'assume_role_policy'")


def test_moved_removed_and_check_blocks(tmp_path, schema):
    v = check(
        tmp_path,
        schema,
        """
        resource "aws_s3_bucket" "new" {
          bucket = "x"
        }

        moved {
          from = aws_s3_bucket.old
          to   = aws_s3_bucket.new
        }

        removed {
          from = aws_s3_bucket.gone
          lifecycle {
            destroy = false
          }
        }

        check "bucket" {
          data "aws_s3_bucket" "probe" {
            bucket = aws_s3_bucket.new.bucket
          }
          assert {
            condition     = data.aws_s3_bucket.probe.arn != ""
            error_message = "missing"
          }
        }
    """,
    )
    assert v == []


def test_mutations_of_the_real_tree_are_caught(schema):
    """Misspell, one at a time, every argument and nested block of every real resource (in memory):
    each mutation must produce a violation, so the real-tree pass above is not vacuous."""
    import copy

    mutated = caught = 0
    missed = []
    for d in schema_check.module_dirs(REPO):
        mod = schema_check.load_module(d)
        for (kind, tf_type, name), (_path, body) in mod.resources.items():
            ts = schema_check.type_schema(schema, kind, tf_type)
            if ts is None:
                continue
            meta = schema_check.RESOURCE_META_BLOCKS if kind == "resource" else schema_check.DATA_META_BLOCKS

            def walk(b, s, top, trail, meta=meta):
                for key, _ in schema_check.body_items(b):
                    if top and (key in schema_check.META_ARGS or key in meta):
                        continue
                    if key == "dynamic":
                        continue
                    yield trail + [key]
                    if key in s.get("blocks", {}) and schema_check.is_block_list(b[key]):
                        for i, inst in enumerate(b[key]):
                            yield from walk(inst, s["blocks"][key], False, trail + [key, i])

            for trail in list(walk(body, ts, True, [])):
                bad = copy.deepcopy(body)
                parent = bad
                for step in trail[:-1]:
                    parent = parent[step]
                parent[trail[-1] + "_zz"] = parent.pop(trail[-1])
                mutated += 1
                vs = schema_check.check_body(
                    bad, ts, rel="x", address=f"{tf_type}.{name}", prefix="", top_meta_blocks=meta
                )
                if any("_zz" in v.path for v in vs):
                    caught += 1
                else:
                    missed.append(f"{kind}.{tf_type}.{name}: {trail}")
    assert mutated > 100, mutated
    print(f"{mutated} mutations, {caught} caught")
    assert not missed, missed
