locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  parent_state_machine_name = "${var.name_prefix}-customize"

  # Function names follow docs/contracts.md: "<name_prefix>-<key with - for _>".
  function_names = { for key in keys(local.functions) : key => "${var.name_prefix}-${replace(key, "_", "-")}" }
  memory_sizes   = merge({ for key, fn in local.functions : key => fn.default_memory_size }, var.lambda.memory_size)
  timeouts       = merge({ for key, fn in local.functions : key => fn.default_timeout }, var.lambda.timeout)

  # The Lambda architecture decides the wheels of the zip and the platform of the image.
  architecture   = var.lambda.architectures[0]
  python_version = trimprefix(var.lambda.runtime, "python")

  tags = merge(var.tags, { "bedrock-customize:name-prefix" = var.name_prefix })

  # Bring-your-own toggles, decided once here (the submodules decide theirs the same way:
  # storage per bucket kind, evaluator-image from evaluator_image_uri, notification from
  # ses_identity_arn).
  use_kms = var.kms_key_arn != null
  use_vpc = var.customization_vpc_config != null

  # Calls through Bedrock only: the customization role and the caller may use the key for custom models.
  bedrock_kms_via_service = "bedrock.${local.region}.amazonaws.com"

  # Bedrock ARNs the workflow works with.
  bedrock_arn_prefix         = "arn:${local.partition}:bedrock:${local.region}:${local.account_id}"
  foundation_models_arn      = "arn:${local.partition}:bedrock:${local.region}::foundation-model/*"
  custom_models_arn          = "${local.bedrock_arn_prefix}:custom-model/*"
  customization_jobs_arn     = "${local.bedrock_arn_prefix}:model-customization-job/*"
  provisioned_models_arn     = "${local.bedrock_arn_prefix}:provisioned-model/*"
  model_deployments_arn      = "${local.bedrock_arn_prefix}:custom-model-deployment/*"
  ec2_arn_prefix             = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  ses_identity_arn_prefix    = "arn:${local.partition}:ses:${local.region}:${local.account_id}:identity"
  evaluation_executions_arns = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${module.evaluation.state_machine_name}:*"
}

# The root functions, one entry per function key: module "function" (main.tf) makes one
# lambda-function instance per entry, and the key lists (names, memory sizes, timeouts, the
# outputs, the parent's InvokeFunctions statement) and the emulator read this map.
# invoked_by_workflow: the parent state machine calls the function (release_stopped_run is
# invoked by EventBridge only, so the workflow's role may not invoke it).
locals {
  functions = {
    validate_input = {
      description = "Validates the execution input and the datasets, and builds the run context."
      handler     = "workflow_lambdas.validate_input.handler"
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
      policy_json         = data.aws_iam_policy_document.validate_input.json
      default_memory_size = 512
      default_timeout     = 120
      invoked_by_workflow = true
    }
    custom_model_deployment = {
      description           = "Creates and polls the run's on-demand custom model deployment (tagged for the run, idempotent create); the Step Functions docs do not confirm an SDK integration for these calls."
      handler               = "workflow_lambdas.custom_model_deployment.handler"
      environment_variables = {}
      policy_json           = data.aws_iam_policy_document.custom_model_deployment.json
      default_memory_size   = 256
      default_timeout       = 60
      invoked_by_workflow   = true
    }
    release_throughput = {
      description           = "Deletes the run's provisioned throughput (only if tagged for the run, never a committed term) and optionally the losing custom model."
      handler               = "workflow_lambdas.release_throughput.handler"
      environment_variables = {}
      policy_json           = data.aws_iam_policy_document.release_throughput.json
      default_memory_size   = 256
      default_timeout       = 60
      invoked_by_workflow   = true
    }
    notify = {
      description = "Emails the outcome of a run (win, loss, inconclusive or failure) with SES."
      handler     = "workflow_lambdas.notify.handler"
      environment_variables = {
        SENDER_EMAIL       = module.notification.sender_email
        DEFAULT_RECIPIENTS = join(",", var.recipient_emails)
        EVENT_BUS_NAME     = var.event_bus_name == null ? "" : var.event_bus_name
      }
      policy_json         = data.aws_iam_policy_document.notify.json
      default_memory_size = 256
      default_timeout     = 60
      invoked_by_workflow = true
    }
    release_stopped_run = {
      description           = "Safety net: deletes the provisioned throughput of a run that was stopped, timed out or failed without releasing it (only if tagged for the run, never a committed term)."
      handler               = "workflow_lambdas.release_stopped_run.handler"
      environment_variables = {}
      policy_json           = data.aws_iam_policy_document.release_stopped_run.json
      default_memory_size   = 256
      # It may wait for a throughput Bedrock is still creating before it can delete it.
      default_timeout     = 900
      invoked_by_workflow = false
    }
  }
}
