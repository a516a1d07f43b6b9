data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

module "storage" {
  source = "./modules/storage"

  name_prefix              = var.name_prefix
  existing_buckets         = var.existing_buckets
  kms_key_arn              = var.kms_key_arn
  artifact_expiration_days = var.artifact_expiration_days
  cache_expiration_days    = var.cache_expiration_days
  force_destroy            = var.force_destroy
  tags                     = local.tags
}

module "notification" {
  source = "./modules/notification"

  sender_email          = var.sender_email
  existing_identity_arn = var.ses_identity_arn
  tags                  = local.tags
}

module "lambda_package" {
  source = "./modules/lambda-package"

  source_dir        = "${path.module}/lambdas"
  requirements_file = "${path.module}/lambdas/requirements.txt"
  package_path      = var.lambda.package_path
  python_executable = var.lambda.python_executable
  python_version    = local.python_version
  architecture      = local.architecture
}

module "evaluator_image" {
  source = "./modules/evaluator-image"

  name_prefix = var.name_prefix
  image_uri   = var.evaluator_image_uri
  # The build context is the module's root: the image ships the shared run contract beside the
  # evaluator (evaluator/Dockerfile COPYs exactly these paths; evaluator/Dockerfile.dockerignore lets only
  # them through; a structure test ties the three together).
  source_dir    = path.module
  dockerfile    = "evaluator/Dockerfile"
  context_paths = ["evaluator", "lambdas/workflow_lambdas/__init__.py", "lambdas/workflow_lambdas/common", "lambdas/workflow_lambdas/contract"]
  architecture  = local.architecture
  # Exactly the ARGs evaluator/Dockerfile declares (a structure test compares them).
  build_args = {
    BERTSCORE_MODEL_NAME = var.evaluator_model.name
    BERTSCORE_NUM_LAYERS = tostring(var.evaluator_model.num_layers)
  }
  kms_key_arn  = var.kms_key_arn
  force_delete = var.force_destroy
  tags         = local.tags
}

module "fn_validate_input" {
  source = "./modules/lambda-function"

  function_key = "validate_input"
  name         = local.function_names.validate_input
  description  = "Validates the execution input and the datasets, and builds the run context."
  handler      = "workflow_lambdas.validate_input.handler"
  environment_variables = {
    TRAINING_BUCKET               = module.storage.training_bucket_name
    VALIDATION_BUCKET             = module.storage.validation_bucket_name
    ARTIFACTS_BUCKET              = module.storage.artifacts_bucket_name
    DEFAULT_MODEL_UNITS           = tostring(var.default_model_units)
    THROUGHPUT_POLL_SECONDS       = tostring(var.throughput_poll_seconds)
    THROUGHPUT_MAX_POLLS          = tostring(var.throughput_max_polls)
    DEFAULT_RECIPIENTS            = join(",", var.recipient_emails)
    SHARD_SIZE                    = tostring(var.shard_size)
    INFERENCE_MAX_CONCURRENCY     = tostring(var.inference_max_concurrency)
    SCORE_MAX_CONCURRENCY         = tostring(var.score_max_concurrency)
    CUSTOMIZATION_TIMEOUT_SECONDS = tostring(var.customization_timeout_seconds)
    EVALUATION_TIMEOUT_SECONDS    = tostring(var.evaluation_timeout_seconds)
    DEFAULT_DEPLOYMENT            = var.default_deployment
    DEPLOYMENT_POLL_SECONDS       = tostring(var.deployment_poll_seconds)
    DEPLOYMENT_MAX_POLLS          = tostring(var.deployment_max_polls)
    MAX_CANDIDATES                = tostring(var.max_candidates)
  }
  memory_size = local.memory_sizes.validate_input
  timeout     = local.timeouts.validate_input
  policy_json = data.aws_iam_policy_document.validate_input.json

  filename         = module.lambda_package.path
  source_code_hash = module.lambda_package.base64sha256
  runtime          = var.lambda.runtime
  architectures    = var.lambda.architectures

  log_level                = var.lambda.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

module "fn_custom_model_deployment" {
  source = "./modules/lambda-function"

  function_key          = "custom_model_deployment"
  name                  = local.function_names.custom_model_deployment
  description           = "Creates and polls the run's on-demand custom model deployment (tagged for the run, idempotent create); the Step Functions docs do not confirm an SDK integration for these calls."
  handler               = "workflow_lambdas.custom_model_deployment.handler"
  environment_variables = {}
  memory_size           = local.memory_sizes.custom_model_deployment
  timeout               = local.timeouts.custom_model_deployment
  policy_json           = data.aws_iam_policy_document.custom_model_deployment.json

  filename         = module.lambda_package.path
  source_code_hash = module.lambda_package.base64sha256
  runtime          = var.lambda.runtime
  architectures    = var.lambda.architectures

  log_level                = var.lambda.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

module "fn_release_throughput" {
  source = "./modules/lambda-function"

  function_key          = "release_throughput"
  name                  = local.function_names.release_throughput
  description           = "Deletes the run's provisioned throughput (only if tagged for the run, never a committed term) and optionally the losing custom model."
  handler               = "workflow_lambdas.release_throughput.handler"
  environment_variables = {}
  memory_size           = local.memory_sizes.release_throughput
  timeout               = local.timeouts.release_throughput
  policy_json           = data.aws_iam_policy_document.release_throughput.json

  filename         = module.lambda_package.path
  source_code_hash = module.lambda_package.base64sha256
  runtime          = var.lambda.runtime
  architectures    = var.lambda.architectures

  log_level                = var.lambda.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

module "fn_notify" {
  source = "./modules/lambda-function"

  function_key = "notify"
  name         = local.function_names.notify
  description  = "Emails the outcome of a run (win, loss, inconclusive or failure) with SES."
  handler      = "workflow_lambdas.notify.handler"
  environment_variables = {
    SENDER_EMAIL       = module.notification.sender_email
    DEFAULT_RECIPIENTS = join(",", var.recipient_emails)
    EVENT_BUS_NAME     = var.event_bus_name == null ? "" : var.event_bus_name
  }
  memory_size = local.memory_sizes.notify
  timeout     = local.timeouts.notify
  policy_json = data.aws_iam_policy_document.notify.json

  filename         = module.lambda_package.path
  source_code_hash = module.lambda_package.base64sha256
  runtime          = var.lambda.runtime
  architectures    = var.lambda.architectures

  log_level                = var.lambda.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

module "fn_release_stopped_run" {
  source = "./modules/lambda-function"

  function_key          = "release_stopped_run"
  name                  = local.function_names.release_stopped_run
  description           = "Safety net: deletes the provisioned throughput of a run that was stopped, timed out or failed without releasing it (only if tagged for the run, never a committed term)."
  handler               = "workflow_lambdas.release_stopped_run.handler"
  environment_variables = {}
  memory_size           = local.memory_sizes.release_stopped_run
  timeout               = local.timeouts.release_stopped_run
  policy_json           = data.aws_iam_policy_document.release_stopped_run.json

  filename         = module.lambda_package.path
  source_code_hash = module.lambda_package.base64sha256
  runtime          = var.lambda.runtime
  architectures    = var.lambda.architectures

  log_level                = var.lambda.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

module "evaluation" {
  source = "./modules/evaluation"

  name_prefix           = var.name_prefix
  artifacts_bucket_arn  = module.storage.artifacts_bucket_arn
  validation_bucket_arn = module.storage.validation_bucket_arn
  cache_prefix          = module.storage.cache_prefix

  package_filename         = module.lambda_package.path
  package_source_code_hash = module.lambda_package.base64sha256
  evaluator_image_uri      = module.evaluator_image.image_uri
  evaluator_model = {
    path       = var.evaluator_model.path
    num_layers = var.evaluator_model.num_layers
  }

  runtime                = var.lambda.runtime
  architectures          = var.lambda.architectures
  memory_sizes           = { for key, value in var.lambda.memory_size : key => value if contains(["plan_shards", "infer", "score", "aggregate"], key) }
  timeouts               = { for key, value in var.lambda.timeout : key => value if contains(["plan_shards", "infer", "score", "aggregate"], key) }
  inference_threads      = var.inference_threads
  inference_max_attempts = var.inference_max_attempts

  log_level                = var.lambda.log_level
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

locals {
  # The parent workflow; the placeholders are exactly those of docs/contracts.md.
  parent_template = jsondecode(templatefile("${path.module}/statemachine.asl.json.tftpl", {
    validate_input_function_arn          = module.fn_validate_input.arn
    custom_model_deployment_function_arn = module.fn_custom_model_deployment.arn
    release_throughput_function_arn      = module.fn_release_throughput.arn
    notify_function_arn                  = module.fn_notify.arn
    evaluation_state_machine_arn         = module.evaluation.state_machine_arn
    bedrock_role_arn                     = aws_iam_role.bedrock.arn
  }))
}

# Optional CreateModelCustomizationJob parameters, added to every createModelCustomizationJob
# state of the decoded template only when set: CustomModelKmsKeyId (custom models encrypted
# with kms_key_arn) and VpcConfig (customization_vpc_config). The template itself never holds
# them, so the local emulator, which renders the template as it is, runs without them. This
# block uses only var.* and local.parent_template: tests/terraform evaluates it with Terraform
# on a scratch copy and checks that the states and the Parameters it targets exist in the template.
locals {
  customize_model_options = {
    for name, value in {
      CustomModelKmsKeyId = var.kms_key_arn
      VpcConfig = var.customization_vpc_config == null ? null : {
        SubnetIds        = var.customization_vpc_config.subnet_ids
        SecurityGroupIds = var.customization_vpc_config.security_group_ids
      }
    } : name => value if value != null
  }

  # Every state that creates a customization job (CustomizeModel, CustomizeModelWithConfig for
  # DISTILLATION) gets the same options: found by its Resource, not listed by name.
  customize_model_states = [
    for name, state in local.parent_template.States : name
    if strcontains(lookup(state, "Resource", ""), "bedrock:createModelCustomizationJob")
  ]

  parent_definition = merge(local.parent_template, {
    States = merge(local.parent_template.States, {
      for name in local.customize_model_states : name => merge(local.parent_template.States[name], {
        Parameters = merge(local.parent_template.States[name].Parameters, local.customize_model_options)
      })
      }, {
      # The candidate sweep's customization job (inside the TrainCandidates Map) gets the same options.
      TrainCandidates = merge(local.sweep_map, {
        ItemProcessor = merge(local.sweep_map.ItemProcessor, {
          States = merge(local.sweep_map.ItemProcessor.States, {
            CandidateCustomizeModel = merge(local.sweep_map.ItemProcessor.States.CandidateCustomizeModel, {
              Parameters = merge(local.sweep_map.ItemProcessor.States.CandidateCustomizeModel.Parameters, local.customize_model_options)
            })
          })
        })
      })
    })
  })
  sweep_map = local.parent_template.States.TrainCandidates
}

module "state_machine" {
  source = "./modules/state-machine"

  name                     = local.parent_state_machine_name
  definition               = jsonencode(local.parent_definition)
  policy_json              = data.aws_iam_policy_document.parent.json
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

# A run stopped by hand (StopExecution, the console's Stop button) or timed out never reaches
# its Catch, so ReleaseAfterFailure never runs: Step Functions' own status-change event for
# the parent workflow invokes release_stopped_run instead (FAILED too, as a second chance
# when the in-workflow release itself failed; it finds nothing to do otherwise).
resource "aws_cloudwatch_event_rule" "run_stopped" {
  name        = "${var.name_prefix}-run-stopped"
  description = "Parent workflow executions that ended ABORTED, TIMED_OUT or FAILED: release their provisioned throughput."
  event_pattern = jsonencode(jsondecode(templatefile("${path.module}/run-stopped.event-pattern.json.tftpl", {
    state_machine_arn = module.state_machine.arn
  })))
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "run_stopped" {
  rule      = aws_cloudwatch_event_rule.run_stopped.name
  target_id = "release-stopped-run"
  arn       = module.fn_release_stopped_run.arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }
}

resource "aws_lambda_permission" "run_stopped" {
  statement_id  = "AllowRunStoppedRule"
  action        = "lambda:InvokeFunction"
  function_name = module.fn_release_stopped_run.name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.run_stopped.arn
}

# Status-change events are delivered on a best-effort basis: a scheduled sweep asks Step
# Functions how every run that still has a tagged throughput ended, and releases those of
# ABORTED, TIMED_OUT and FAILED runs (never a running or succeeded run's).
resource "aws_cloudwatch_event_rule" "stopped_run_sweep" {
  name                = "${var.name_prefix}-stopped-run-sweep"
  description         = "Releases the provisioned throughput of runs that ended without releasing it (safety net of the run-stopped rule)."
  schedule_expression = var.stopped_run_sweep_schedule
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "stopped_run_sweep" {
  rule      = aws_cloudwatch_event_rule.stopped_run_sweep.name
  target_id = "release-stopped-run-sweep"
  arn       = module.fn_release_stopped_run.arn
  input     = jsonencode({ Sweep = true, StateMachineArn = module.state_machine.arn })
}

resource "aws_lambda_permission" "stopped_run_sweep" {
  statement_id  = "AllowStoppedRunSweep"
  action        = "lambda:InvokeFunction"
  function_name = module.fn_release_stopped_run.name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.stopped_run_sweep.arn
}

resource "aws_lambda_function_event_invoke_config" "release_stopped_run" {
  function_name = module.fn_release_stopped_run.name
  # Each attempt waits up to its timeout for a throughput still being created: three attempts
  # cover a creation of about 45 minutes; failures are logged at ERROR by the function.
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}
