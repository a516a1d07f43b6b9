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
  function_keys               = ["plan_shards", "infer", "score", "aggregate"]
  function_names              = { for key in local.function_keys : key => "${var.name_prefix}-${replace(key, "_", "-")}" }

  # score is CPU-bound (BERTScore forward passes) and Lambda allocates CPU in proportion to memory
  # ("Configure Lambda function memory", AWS Lambda Developer Guide: 1,769 MB is the equivalent of one
  # vCPU, 10,240 MB the most): the default is the most, about 5.8 vCPU, which the score function's torch
  # threads use (bertscore_evaluator/cpus.py). The model itself needs well under 3 GB (roberta-large).
  default_memory_sizes = { plan_shards = 512, infer = 1024, score = 10240, aggregate = 3008 }
  default_timeouts     = { plan_shards = 300, infer = 900, score = 900, aggregate = 900 }
  memory_sizes         = merge(local.default_memory_sizes, var.memory_sizes)
  timeouts             = merge(local.default_timeouts, var.timeouts)

  definition = jsondecode(templatefile("${path.module}/statemachine.asl.json.tftpl", {
    plan_shards_function_arn = module.fn_plan_shards.arn
    infer_function_arn       = module.fn_infer.arn
    score_function_arn       = module.fn_score.arn
    aggregate_function_arn   = module.fn_aggregate.arn
  }))
}

module "fn_plan_shards" {
  source = "../lambda-function"

  function_key          = "plan_shards"
  name                  = local.function_names.plan_shards
  description           = "Splits the validation set of a run into shards under runs/<RunId>/evaluation/."
  handler               = "workflow_lambdas.plan_shards.handler"
  environment_variables = {}
  memory_size           = local.memory_sizes.plan_shards
  timeout               = local.timeouts.plan_shards
  policy_json           = data.aws_iam_policy_document.plan_shards.json

  filename         = var.package_filename
  source_code_hash = var.package_source_code_hash
  runtime          = var.runtime
  architectures    = var.architectures

  log_level                = var.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags
}

module "fn_infer" {
  source = "../lambda-function"

  function_key = "infer"
  name         = local.function_names.infer
  description  = "Runs the base and the custom model on one shard of the validation set."
  handler      = "workflow_lambdas.infer.handler"
  environment_variables = {
    INFERENCE_CONCURRENCY  = tostring(var.inference_threads)
    INFERENCE_MAX_ATTEMPTS = tostring(var.inference_max_attempts)
    CACHE_PREFIX           = var.cache_prefix
  }
  memory_size = local.memory_sizes.infer
  timeout     = local.timeouts.infer
  policy_json = data.aws_iam_policy_document.infer.json

  filename         = var.package_filename
  source_code_hash = var.package_source_code_hash
  runtime          = var.runtime
  architectures    = var.architectures

  log_level                = var.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags
}

module "fn_score" {
  source = "../lambda-function"

  function_key  = "score"
  name          = local.function_names.score
  description   = "Scores one shard of base and custom outputs against the references with BERTScore."
  image_command = ["bertscore_evaluator.handlers.score"]
  environment_variables = {
    BERTSCORE_MODEL      = var.evaluator_model.path
    BERTSCORE_NUM_LAYERS = tostring(var.evaluator_model.num_layers)
    HF_HUB_OFFLINE       = "1"
    CACHE_PREFIX         = var.cache_prefix
  }
  memory_size = local.memory_sizes.score
  timeout     = local.timeouts.score
  policy_json = data.aws_iam_policy_document.score.json

  image_uri     = var.evaluator_image_uri
  architectures = var.architectures

  log_level                = var.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags
}

module "fn_aggregate" {
  source = "../lambda-function"

  function_key  = "aggregate"
  name          = local.function_names.aggregate
  description   = "Aggregates the shard scores into the verdict and the run report."
  image_command = ["bertscore_evaluator.handlers.aggregate"]
  environment_variables = {
    BERTSCORE_MODEL      = var.evaluator_model.path
    BERTSCORE_NUM_LAYERS = tostring(var.evaluator_model.num_layers)
    HF_HUB_OFFLINE       = "1"
  }
  memory_size = local.memory_sizes.aggregate
  timeout     = local.timeouts.aggregate
  policy_json = data.aws_iam_policy_document.aggregate.json

  image_uri     = var.evaluator_image_uri
  architectures = var.architectures

  log_level                = var.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = var.tags
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
