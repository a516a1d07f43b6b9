locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  parent_state_machine_name = "${var.name_prefix}-customize"

  # Function names follow docs/contracts.md: "<name_prefix>-<key with - for _>".
  root_function_keys = ["validate_input", "custom_model_deployment", "release_throughput", "notify", "release_stopped_run"]
  function_names     = { for key in local.root_function_keys : key => "${var.name_prefix}-${replace(key, "_", "-")}" }

  default_memory_sizes = { validate_input = 512, custom_model_deployment = 256, release_throughput = 256, notify = 256, release_stopped_run = 256 }
  # release_stopped_run may wait for a throughput Bedrock is still creating before it can delete it.
  default_timeouts = { validate_input = 120, custom_model_deployment = 60, release_throughput = 60, notify = 60, release_stopped_run = 900 }
  memory_sizes     = merge(local.default_memory_sizes, var.lambda.memory_size)
  timeouts         = merge(local.default_timeouts, var.lambda.timeout)

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
