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

module "function" {
  source   = "./modules/lambda-function"
  for_each = local.functions

  function_key          = each.key
  name                  = local.function_names[each.key]
  description           = each.value.description
  handler               = each.value.handler
  environment_variables = each.value.environment_variables
  memory_size           = local.memory_sizes[each.key]
  timeout               = local.timeouts[each.key]
  policy_json           = each.value.policy_json

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

# The functions were module "fn_<key>" blocks: state moves to the for_each instances, nothing is
# destroyed or recreated on upgrade.
moved {
  from = module.fn_validate_input
  to   = module.function["validate_input"]
}

moved {
  from = module.fn_custom_model_deployment
  to   = module.function["custom_model_deployment"]
}

moved {
  from = module.fn_release_throughput
  to   = module.function["release_throughput"]
}

moved {
  from = module.fn_notify
  to   = module.function["notify"]
}

moved {
  from = module.fn_release_stopped_run
  to   = module.function["release_stopped_run"]
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

  runtime       = var.lambda.runtime
  architectures = var.lambda.architectures
  # The lambda.memory_size / lambda.timeout keys that are not root functions are the evaluation's.
  memory_sizes           = { for key, value in var.lambda.memory_size : key => value if !contains(keys(local.functions), key) }
  timeouts               = { for key, value in var.lambda.timeout : key => value if !contains(keys(local.functions), key) }
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
    validate_input_function_arn          = module.function["validate_input"].arn
    custom_model_deployment_function_arn = module.function["custom_model_deployment"].arn
    release_throughput_function_arn      = module.function["release_throughput"].arn
    notify_function_arn                  = module.function["notify"].arn
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
  arn       = module.function["release_stopped_run"].arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }
}

resource "aws_lambda_permission" "run_stopped" {
  statement_id  = "AllowRunStoppedRule"
  action        = "lambda:InvokeFunction"
  function_name = module.function["release_stopped_run"].name
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
  arn       = module.function["release_stopped_run"].arn
  input     = jsonencode({ Sweep = true, StateMachineArn = module.state_machine.arn })
}

resource "aws_lambda_permission" "stopped_run_sweep" {
  statement_id  = "AllowStoppedRunSweep"
  action        = "lambda:InvokeFunction"
  function_name = module.function["release_stopped_run"].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.stopped_run_sweep.arn
}

resource "aws_lambda_function_event_invoke_config" "release_stopped_run" {
  function_name = module.function["release_stopped_run"].name
  # Each attempt waits up to its timeout for a throughput still being created: three attempts
  # cover a creation of about 45 minutes; failures are logged at ERROR by the function.
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}
