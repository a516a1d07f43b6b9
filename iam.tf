# IAM of the workflow: the Bedrock customization service role, the policies of
# the root functions (their roles live in modules/lambda-function) and the policy
# of the parent state machine (its role lives in modules/state-machine). Every "*"
# resource is an API without resource-level permissions and says so.

locals {
  training_objects   = "${module.storage.training_bucket_arn}/*"
  validation_objects = "${module.storage.validation_bucket_arn}/*"
  runs_objects       = "${module.storage.artifacts_bucket_arn}/runs/*"
}

# ---------------------------------------------------------------------------
# Bedrock model customization service role (passed in CreateModelCustomizationJob)

data "aws_iam_policy_document" "bedrock_assume" {
  statement {
    sid     = "BedrockAssume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["bedrock.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.customization_jobs_arn]
    }
  }
}

resource "aws_iam_role" "bedrock" {
  name                 = "${var.name_prefix}-bedrock-customization"
  description          = "Service role of the Bedrock model customization jobs started by ${local.parent_state_machine_name}."
  assume_role_policy   = data.aws_iam_policy_document.bedrock_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = local.tags
}

data "aws_iam_policy_document" "bedrock" {
  # The datasets, the buckets' key, and the key the job encrypts the custom model with
  # (CustomModelKmsKeyId).
  source_policy_documents = [
    data.aws_iam_policy_document.read_datasets.json,
    data.aws_iam_policy_document.bucket_key.json,
    data.aws_iam_policy_document.custom_model_key.json,
  ]

  statement {
    sid       = "WriteCustomizationOutput"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.runs_objects]
  }

  # A DISTILLATION job invokes its teacher as this role: a foundation model, or a cross-Region inference
  # profile plus the model in each of its Regions (Bedrock user guide, "Choose teacher and student models
  # for distillation"). The teacher is an execution input, so any model or system profile of the account.
  statement {
    sid     = "InvokeDistillationTeacher"
    actions = ["bedrock:InvokeModel"]
    resources = [
      "arn:${local.partition}:bedrock:*::foundation-model/*",
      "arn:${local.partition}:bedrock:*:${local.account_id}:inference-profile/*",
    ]
  }

  statement {
    sid       = "ListArtifactsBucket"
    actions   = ["s3:ListBucket"]
    resources = [module.storage.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["runs/*"]
    }
  }

  # customization_vpc_config: the job's network interfaces in the caller's subnets
  # (https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-model-customization.html).
  dynamic "statement" {
    for_each = local.use_vpc ? [var.customization_vpc_config] : []

    content {
      sid = "DescribeNetwork"
      # EC2 Describe* APIs do not support resource-level permissions.
      actions = [
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
      ]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.use_vpc ? [var.customization_vpc_config] : []

    content {
      sid       = "CreateJobNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterface"]
      resources = ["${local.ec2_arn_prefix}:network-interface/*"]

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/BedrockManaged"
        values   = ["true"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:RequestTag/BedrockModelCustomizationJobArn"
        values   = [local.customization_jobs_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = local.use_vpc ? [var.customization_vpc_config] : []

    content {
      sid     = "UseJobSubnetsAndSecurityGroups"
      actions = ["ec2:CreateNetworkInterface"]
      resources = concat(
        [for id in statement.value.subnet_ids : "${local.ec2_arn_prefix}:subnet/${id}"],
        [for id in statement.value.security_group_ids : "${local.ec2_arn_prefix}:security-group/${id}"],
      )
    }
  }

  dynamic "statement" {
    for_each = local.use_vpc ? [var.customization_vpc_config] : []

    content {
      sid     = "ManageJobNetworkInterfaces"
      actions = ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]
      # The interfaces do not exist before the job (and DeleteNetworkInterfacePermission has no
      # resource type): scoped by the conditions to Bedrock-managed interfaces of the job subnets.
      resources = ["*"]

      condition {
        test     = "ArnEquals"
        variable = "ec2:Subnet"
        values   = [for id in statement.value.subnet_ids : "${local.ec2_arn_prefix}:subnet/${id}"]
      }

      condition {
        test     = "ArnLike"
        variable = "ec2:ResourceTag/BedrockModelCustomizationJobArn"
        values   = [local.customization_jobs_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "ec2:ResourceTag/BedrockManaged"
        values   = ["true"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.use_vpc ? [var.customization_vpc_config] : []

    content {
      sid       = "TagJobNetworkInterfaces"
      actions   = ["ec2:CreateTags"]
      resources = ["${local.ec2_arn_prefix}:network-interface/*"]

      condition {
        test     = "StringEquals"
        variable = "ec2:CreateAction"
        values   = ["CreateNetworkInterface"]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "aws:TagKeys"
        values   = ["BedrockManaged", "BedrockModelCustomizationJobArn"]
      }
    }
  }
}

resource "aws_iam_role_policy" "bedrock" {
  name   = "customization-data"
  role   = aws_iam_role.bedrock.id
  policy = data.aws_iam_policy_document.bedrock.json
}

# ---------------------------------------------------------------------------
# Statements more than one policy grants (each policy takes them with source_policy_documents)

# The Bedrock role and validate_input read the datasets.
data "aws_iam_policy_document" "read_datasets" {
  statement {
    sid       = "ReadDatasets"
    actions   = ["s3:GetObject"]
    resources = [local.training_objects, local.validation_objects]
  }

  statement {
    # Lets a missing dataset answer 404 instead of 403, for a readable error.
    sid       = "ListDatasetBuckets"
    actions   = ["s3:ListBucket"]
    resources = [module.storage.training_bucket_arn, module.storage.validation_bucket_arn]
  }
}

# The buckets' KMS key (kms_key_arn), for the Bedrock role and validate_input.
data "aws_iam_policy_document" "bucket_key" {
  dynamic "statement" {
    for_each = local.use_kms ? [var.kms_key_arn] : []

    content {
      sid       = "BucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

# Custom models encrypted with kms_key_arn, through Bedrock only: the Bedrock role writes them,
# the parent workflow (CreateModelCustomizationJob with CustomModelKmsKeyId, provisioned throughput
# of such a model) must be able to grant Bedrock the key's use.
data "aws_iam_policy_document" "custom_model_key" {
  dynamic "statement" {
    for_each = local.use_kms ? [var.kms_key_arn] : []

    content {
      sid       = "CustomModelKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.bedrock_kms_via_service]
      }
    }
  }
}

# What the release functions delete, by function and Sid: only resources tagged by this module
# (the code checks the run id and workflow too).
locals {
  run_tagged_statements = {
    release_throughput = {
      DeleteRunThroughput     = { actions = ["bedrock:DeleteProvisionedModelThroughput"], resources = [local.provisioned_models_arn] }
      ReleaseRunDeployment    = { actions = ["bedrock:GetCustomModelDeployment", "bedrock:DeleteCustomModelDeployment"], resources = [local.model_deployments_arn] }
      DeleteLosingCustomModel = { actions = ["bedrock:DeleteCustomModel"], resources = [local.custom_models_arn] }
    }
    release_stopped_run = {
      ReleaseRunThroughputs = { actions = ["bedrock:DeleteProvisionedModelThroughput"], resources = [local.provisioned_models_arn] }
      ReleaseRunDeployments = { actions = ["bedrock:GetCustomModelDeployment", "bedrock:DeleteCustomModelDeployment"], resources = [local.model_deployments_arn] }
    }
  }
}

data "aws_iam_policy_document" "run_tagged" {
  for_each = local.run_tagged_statements

  dynamic "statement" {
    for_each = each.value

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources

      condition {
        test     = "StringLike"
        variable = "aws:ResourceTag/bedrock-customize:run-id"
        values   = ["*"]
      }
    }
  }
}

# ---------------------------------------------------------------------------
# Function policies (attached inline by modules/lambda-function)

data "aws_iam_policy_document" "validate_input" {
  source_policy_documents = [data.aws_iam_policy_document.read_datasets.json, data.aws_iam_policy_document.bucket_key.json]
}

# Action, resource and condition names: Service Authorization Reference, "Actions, resources, and
# condition keys for Amazon Bedrock" (custom-model-deployment resource type).
data "aws_iam_policy_document" "custom_model_deployment" {
  statement {
    # CreateCustomModelDeployment authorizes on the custom model and the new deployment (tagged on create).
    sid       = "DeployRunCustomModel"
    actions   = ["bedrock:CreateCustomModelDeployment", "bedrock:TagResource"]
    resources = [local.custom_models_arn, local.model_deployments_arn]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/bedrock-customize:workflow"
      values   = [local.parent_state_machine_name]
    }
  }

  statement {
    sid       = "PollRunDeployment"
    actions   = ["bedrock:GetCustomModelDeployment"]
    resources = [local.model_deployments_arn]
  }
}

data "aws_iam_policy_document" "release_throughput" {
  source_policy_documents = [data.aws_iam_policy_document.run_tagged["release_throughput"].json]

  statement {
    sid = "ReadRunThroughput"
    actions = [
      "bedrock:GetProvisionedModelThroughput",
      "bedrock:ListTagsForResource",
    ]
    resources = [local.provisioned_models_arn, local.model_deployments_arn, local.custom_models_arn]
  }

  statement {
    # List operations have no resource-level permissions in Bedrock (a deployment whose create response was lost).
    sid       = "FindRunDeployment"
    actions   = ["bedrock:ListCustomModelDeployments"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "release_stopped_run" {
  source_policy_documents = [data.aws_iam_policy_document.run_tagged["release_stopped_run"].json]

  statement {
    # List operations have no resource-level permissions in Bedrock.
    sid       = "FindRunThroughputs"
    actions   = ["bedrock:ListProvisionedModelThroughputs", "bedrock:ListCustomModelDeployments"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadRunThroughputs"
    actions   = ["bedrock:GetProvisionedModelThroughput", "bedrock:ListTagsForResource"]
    resources = [local.provisioned_models_arn, local.model_deployments_arn]
  }

  statement {
    # The scheduled sweep asks how each tagged run ended.
    sid       = "DescribeRuns"
    actions   = ["states:DescribeExecution"]
    resources = ["arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.parent_state_machine_name}:*"]
  }
}

data "aws_iam_policy_document" "notify" {
  statement {
    # In the SES sandbox SES also authorises each recipient's identity; a run may name its own
    # recipients (NotificationEmail), so every identity of the account is allowed, and the
    # condition keeps the sender fixed.
    sid       = "SendFromSender"
    actions   = ["ses:SendEmail"]
    resources = [module.notification.identity_arn, "${local.ses_identity_arn_prefix}/*"]

    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.sender_email]
    }
  }

  dynamic "statement" {
    # One event per run outcome, only on the bus named by event_bus_name.
    for_each = var.event_bus_name == null ? [] : [var.event_bus_name]
    content {
      sid       = "PutOutcomeEvents"
      actions   = ["events:PutEvents"]
      resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${statement.value}"]
    }
  }
}

# ---------------------------------------------------------------------------
# Parent state machine policy (its role, log delivery, X-Ray and the state machine key:
# modules/state-machine)

data "aws_iam_policy_document" "parent" {
  # CreateModelCustomizationJob with CustomModelKmsKeyId, and provisioned throughput of a
  # custom model encrypted with the key, need the caller to grant Bedrock the key's use.
  source_policy_documents = [data.aws_iam_policy_document.custom_model_key.json]

  statement {
    sid     = "InvokeFunctions"
    actions = ["lambda:InvokeFunction"]
    resources = flatten([
      # Not release_stopped_run: EventBridge invokes it, never the workflow (invoked_by_workflow).
      for key, fn in module.function : [fn.arn, "${fn.arn}:*"] if local.functions[key].invoked_by_workflow
    ])
  }

  statement {
    sid       = "RunCustomizationJobs"
    actions   = ["bedrock:CreateModelCustomizationJob"]
    resources = [local.customization_jobs_arn, local.custom_models_arn, local.foundation_models_arn]
  }

  statement {
    sid       = "TrackCustomizationJobs"
    actions   = ["bedrock:GetModelCustomizationJob", "bedrock:StopModelCustomizationJob"]
    resources = [local.customization_jobs_arn]
  }

  statement {
    # Jobs, custom models and throughputs are created with the run tags.
    sid       = "TagRunResources"
    actions   = ["bedrock:TagResource"]
    resources = [local.customization_jobs_arn, local.custom_models_arn, local.provisioned_models_arn]
  }

  statement {
    sid       = "CreateThroughput"
    actions   = ["bedrock:CreateProvisionedModelThroughput"]
    resources = [local.provisioned_models_arn, local.custom_models_arn]
  }

  statement {
    sid       = "PollThroughput"
    actions   = ["bedrock:GetProvisionedModelThroughput"]
    resources = [local.provisioned_models_arn]
  }

  statement {
    sid       = "PassBedrockRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.bedrock.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["bedrock.amazonaws.com"]
    }
  }

  statement {
    sid       = "StartEvaluation"
    actions   = ["states:StartExecution"]
    resources = [module.evaluation.state_machine_arn]
  }

  statement {
    sid       = "TrackEvaluation"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = [local.evaluation_executions_arns]
  }

  statement {
    # startExecution.sync:2 waits through this Step Functions managed rule.
    sid       = "SyncEventsRule"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]
  }
}
