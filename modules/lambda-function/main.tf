data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  is_image       = var.image_command != null
  use_kms        = var.kms_key_arn != null
  log_group_name = "/aws/lambda/${var.name}"
  log_group_arn  = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"

  # Lambda's JSON logging filters application records by level; its names for Python's WARNING and
  # CRITICAL are WARN and FATAL ("Log-level filtering", AWS Lambda Developer Guide).
  application_log_level = lookup({ WARNING = "WARN", CRITICAL = "FATAL" }, var.log_level, var.log_level)

  tags = merge(var.tags, { "bedrock-customize:function-key" = var.function_key })
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-role"
  description          = "Execution role of the ${var.name} Lambda function."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = local.tags
}

# Permissions every function needs: its own log group, X-Ray, and the KMS key when one is set.
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid = "XRay"
    # X-Ray trace and telemetry APIs do not support resource-level permissions.
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = local.use_kms ? [var.kms_key_arn] : []

    content {
      sid       = "DecryptEnvironment"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "base" {
  name   = "logging-tracing"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.base.json
}

resource "aws_iam_role_policy" "function" {
  name   = "function"
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_338:Retention is the caller's log_retention_days (default 30 days; 365+ or 0 for audit needs).
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116:Step Functions invokes the functions synchronously and retries and catches; the one async function (release_stopped_run, from EventBridge) has retries configured by the root module and logs every failure at ERROR.
  # checkov:skip=CKV_AWS_117:The functions reach only AWS API endpoints (S3, Bedrock, SES), no VPC resources; a VPC would need NAT or endpoints for each.
  # checkov:skip=CKV_AWS_115:Concurrency is bounded by the state machines (Map MaxConcurrency); reserved concurrency would take from the account pool.
  # checkov:skip=CKV_AWS_272:The zip is built from this repository at plan time and pinned by source_code_hash; code signing needs a signer profile outside this module.
  function_name = var.name
  description   = var.description
  role          = aws_iam_role.this.arn
  architectures = var.architectures
  memory_size   = var.memory_size
  timeout       = var.timeout
  kms_key_arn   = var.kms_key_arn

  package_type     = local.is_image ? "Image" : "Zip"
  image_uri        = local.is_image ? var.image_uri : null
  filename         = local.is_image ? null : var.filename
  source_code_hash = local.is_image ? null : var.source_code_hash
  handler          = local.is_image ? null : var.handler
  runtime          = local.is_image ? null : var.runtime

  dynamic "image_config" {
    for_each = local.is_image ? [var.image_command] : []

    content {
      command = image_config.value
    }
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [var.environment_variables] : []

    content {
      variables = environment.value
    }
  }

  tracing_config {
    mode = "Active"
  }

  # JSON: every line a JSON object with level, request id and the handlers' run_id (workflow_lambdas.common.logs).
  logging_config {
    log_format            = "JSON"
    application_log_level = local.application_log_level
    system_log_level      = "INFO"
    log_group             = aws_cloudwatch_log_group.this.name
  }

  tags = local.tags

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.base, aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = (var.handler == null) != (var.image_command == null)
      error_message = "Set exactly one of handler (zip package) or image_command (container image)."
    }

    precondition {
      condition     = local.is_image ? var.image_uri != null : (var.filename != null && var.source_code_hash != null)
      error_message = "An image function needs image_uri; a zip function needs filename and source_code_hash."
    }
  }
}
