data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  state_machine_name          = "${var.name_prefix}-evaluate"
  state_machine_arn           = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  state_machine_execution_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}"
  use_kms                     = var.kms_key_arn != null
  function_names              = { for key in keys(local.functions) : key => "${var.name_prefix}-${replace(key, "_", "-")}" }
  memory_sizes                = merge({ for key, fn in local.functions : key => fn.default_memory_size }, var.memory_sizes)
  timeouts                    = merge({ for key, fn in local.functions : key => fn.default_timeout }, var.timeouts)

  definition = jsondecode(templatefile("${path.module}/statemachine.asl.json.tftpl", {
    plan_shards_function_arn = module.function["plan_shards"].arn
    infer_function_arn       = module.function["infer"].arn
    score_function_arn       = module.function["score"].arn
    aggregate_function_arn   = module.function["aggregate"].arn
  }))
}

# The evaluation functions, one entry per function key: a zip function names its handler, an image
# function its image_command, and each its default memory (MB) and timeout (s) (module "function"
# below makes one lambda-function instance per entry; the key lists, the outputs, the docs generator
# and the emulator read this map).
locals {
  functions = {
    plan_shards = {
      description           = "Splits the validation set of a run into shards under runs/<RunId>/evaluation/."
      handler               = "workflow_lambdas.plan_shards.handler"
      image_command         = null
      environment_variables = {}
      policy_json           = data.aws_iam_policy_document.plan_shards.json
      default_memory_size   = 512
      default_timeout       = 300
    }
    infer = {
      description   = "Runs the base and the custom model on one shard of the validation set."
      handler       = "workflow_lambdas.infer.handler"
      image_command = null
      environment_variables = {
        INFERENCE_CONCURRENCY  = tostring(var.inference_threads)
        INFERENCE_MAX_ATTEMPTS = tostring(var.inference_max_attempts)
        CACHE_PREFIX           = var.cache_prefix
      }
      policy_json         = data.aws_iam_policy_document.infer.json
      default_memory_size = 1024
      default_timeout     = 900
    }
    score = {
      description   = "Scores one shard of base and custom outputs against the references with BERTScore."
      handler       = null
      image_command = ["bertscore_evaluator.handlers.score"]
      environment_variables = {
        BERTSCORE_MODEL      = var.evaluator_model.path
        BERTSCORE_NUM_LAYERS = tostring(var.evaluator_model.num_layers)
        HF_HUB_OFFLINE       = "1"
        CACHE_PREFIX         = var.cache_prefix
      }
      policy_json = data.aws_iam_policy_document.score.json
      # score is CPU-bound (BERTScore forward passes) and Lambda allocates CPU in proportion to memory
      # ("Configure Lambda function memory", AWS Lambda Developer Guide: 1,769 MB is the equivalent of
      # one vCPU, 10,240 MB the most): the default is the most, about 5.8 vCPU, which the score
      # function's torch threads use (bertscore_evaluator/cpus.py). The model itself needs well under
      # 3 GB (roberta-large).
      default_memory_size = 10240
      default_timeout     = 900
    }
    aggregate = {
      description   = "Aggregates the shard scores into the verdict and the run report."
      handler       = null
      image_command = ["bertscore_evaluator.handlers.aggregate"]
      environment_variables = {
        BERTSCORE_MODEL      = var.evaluator_model.path
        BERTSCORE_NUM_LAYERS = tostring(var.evaluator_model.num_layers)
        HF_HUB_OFFLINE       = "1"
      }
      policy_json         = data.aws_iam_policy_document.aggregate.json
      default_memory_size = 3008
      default_timeout     = 900
    }
  }
}

module "function" {
  source   = "../lambda-function"
  for_each = local.functions

  function_key          = each.key
  name                  = local.function_names[each.key]
  description           = each.value.description
  handler               = each.value.handler
  image_command         = each.value.image_command
  environment_variables = each.value.environment_variables
  memory_size           = local.memory_sizes[each.key]
  timeout               = local.timeouts[each.key]
  policy_json           = each.value.policy_json

  # A zip function runs the package, an image function the evaluator image.
  filename         = each.value.handler == null ? null : var.package_filename
  source_code_hash = each.value.handler == null ? null : var.package_source_code_hash
  runtime          = var.runtime
  image_uri        = each.value.handler == null ? var.evaluator_image_uri : null
  architectures    = var.architectures

  log_level                = var.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags
}

# The functions were module "fn_<key>" blocks: state moves to the for_each instances, nothing is
# destroyed or recreated on upgrade.
moved {
  from = module.fn_plan_shards
  to   = module.function["plan_shards"]
}

moved {
  from = module.fn_infer
  to   = module.function["infer"]
}

moved {
  from = module.fn_score
  to   = module.function["score"]
}

moved {
  from = module.fn_aggregate
  to   = module.function["aggregate"]
}

module "state_machine" {
  source = "../state-machine"

  name                     = local.state_machine_name
  definition               = jsonencode(local.definition)
  policy_json              = data.aws_iam_policy_document.state_machine.json
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags
}
