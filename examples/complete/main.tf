provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project = "bedrock-customize"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # The buckets this platform already owns (here created alongside, as your platform's would be).
  bucket_names = {
    training   = "${var.name_prefix}-datasets-train-${local.account_id}"
    validation = "${var.name_prefix}-datasets-eval-${local.account_id}"
    artifacts  = "${var.name_prefix}-ml-artifacts-${local.account_id}"
  }
}

# ---------------------------------------------------------------------------
# Customer managed KMS key with its own (custom) key policy

data "aws_iam_policy_document" "key" {
  # checkov:skip=CKV_AWS_109:A key policy: "*" is this key, and account-wide administration through IAM is the AWS default key policy.
  # checkov:skip=CKV_AWS_111:A key policy: "*" is this key; the services' statements are conditioned.
  # checkov:skip=CKV_AWS_356:A key policy: "*" is this key.
  statement {
    # Key administration and use through IAM policies of this account (the module's roles
    # get exactly the kms: actions they need, scoped to this key, in their own policies).
    sid       = "AccountIamPolicies"
    actions   = ["kms:*"]
    resources = ["*"] # In a key policy "*" means this key.

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    # Encrypted log groups (functions and state machines) of this account and region.
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"] # In a key policy "*" means this key.

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  statement {
    # Step Functions log delivery (logging level ALL with execution data) of encrypted state machines.
    sid       = "StepFunctionsLogDelivery"
    actions   = ["kms:Decrypt"]
    resources = ["*"] # In a key policy "*" means this key.

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "bedrock-customize ${var.name_prefix}: buckets, logs, functions, state machines, ECR, custom models"
  deletion_window_in_days = 30
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}-bedrock-customize"
  target_key_id = aws_kms_key.this.key_id
}

# ---------------------------------------------------------------------------
# Existing buckets (bring your own): the module uses them as they are

resource "aws_s3_bucket" "data" {
  # checkov:skip=CKV_AWS_18:Example: access logs go to the platform's central log bucket, not part of this example.
  # checkov:skip=CKV_AWS_144:Example: cross-region replication is a platform decision, not needed for the demo data.
  # checkov:skip=CKV2_AWS_62:Example: no consumer of S3 event notifications.
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "data" {
  for_each = local.bucket_names

  bucket = aws_s3_bucket.data[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  for_each = local.bucket_names

  bucket                  = aws_s3_bucket.data[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "data" {
  for_each = local.bucket_names

  bucket = aws_s3_bucket.data[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  for_each = local.bucket_names

  bucket = aws_s3_bucket.data[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  for_each = local.bucket_names

  bucket = aws_s3_bucket.data[each.key].id

  rule {
    id     = "housekeeping"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.data]
}

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.data

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  for_each = local.bucket_names

  bucket = aws_s3_bucket.data[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # Encryption and the public access block are in place before the module gets the names (above).
  depends_on = [aws_s3_bucket_public_access_block.data, aws_s3_bucket_server_side_encryption_configuration.data]
}

# ---------------------------------------------------------------------------
# Permissions boundary (a custom policy of the platform team) for every role the module creates

data "aws_iam_policy_document" "boundary" {
  # checkov:skip=CKV_AWS_109:A permissions boundary grants nothing; it caps the roles' own ARN-scoped policies.
  # checkov:skip=CKV_AWS_111:A permissions boundary grants nothing; it caps the roles' own ARN-scoped policies.
  # checkov:skip=CKV_AWS_356:A permissions boundary limits actions; the roles' policies scope the resources.
  statement {
    # A boundary caps what the roles' own (ARN-scoped) policies can grant: the services the
    # workflow uses, no more. It grants nothing by itself.
    sid = "WorkflowServices"
    actions = [
      "bedrock:*",
      "s3:GetObject",
      "s3:PutObject",
      "s3:ListBucket",
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "kms:DescribeKey",
      "kms:CreateGrant",
      "logs:*",
      "xray:*",
      "ses:SendEmail",
      "states:StartExecution",
      "states:DescribeExecution",
      "states:StopExecution",
      "events:PutTargets",
      "events:PutRule",
      "events:DescribeRule",
      "events:PutEvents",
      "lambda:InvokeFunction",
      "ec2:Describe*",
      "ec2:CreateNetworkInterface",
      "ec2:CreateNetworkInterfacePermission",
      "ec2:DeleteNetworkInterface",
      "ec2:DeleteNetworkInterfacePermission",
      "ec2:CreateTags",
    ]
    resources = ["*"] # A boundary limits actions; the roles' policies scope the resources.
  }

  statement {
    # Roles of this deployment may pass only the Bedrock customization role.
    sid       = "PassOnlyTheCustomizationRole"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-bedrock-customization"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["bedrock.amazonaws.com"]
    }
  }

  statement {
    # Keep data in this platform's buckets only.
    sid           = "NoOtherBuckets"
    effect        = "Deny"
    actions       = ["s3:*"]
    not_resources = flatten([for name in values(local.bucket_names) : ["arn:${local.partition}:s3:::${name}", "arn:${local.partition}:s3:::${name}/*"]])
  }
}

resource "aws_iam_policy" "boundary" {
  name        = "${var.name_prefix}-bedrock-customize-boundary"
  description = "Permissions boundary of the roles of the ${var.name_prefix} bedrock-customize deployment."
  policy      = data.aws_iam_policy_document.boundary.json
}

# ---------------------------------------------------------------------------
# The module, with everything brought in

module "customization" {
  source = "../.."

  name_prefix      = var.name_prefix
  sender_email     = var.sender_email
  recipient_emails = var.recipient_emails
  ses_identity_arn = var.ses_identity_arn
  tags             = var.tags

  # Serve custom models on demand where Bedrock offers it (per token, no hourly charge).
  default_deployment = var.default_deployment

  # The names come from the bucket policies, so the module waits for the policies (which wait
  # for the public access blocks), without a module-wide depends_on (that would defer every data
  # source inside the module, the zip build and the IAM documents included, to apply time).
  existing_buckets = {
    training   = aws_s3_bucket_policy.data["training"].bucket
    validation = aws_s3_bucket_policy.data["validation"].bucket
    artifacts  = aws_s3_bucket_policy.data["artifacts"].bucket
  }
  kms_key_arn              = aws_kms_key.this.arn
  permissions_boundary_arn = aws_iam_policy.boundary.arn
  customization_vpc_config = var.customization_vpc_config
  evaluator_image_uri      = var.evaluator_image_uri
  evaluator_model          = var.evaluator_model

  log_retention_days = var.log_retention_days
  lambda = {
    architectures = ["arm64"]
    log_level     = "INFO"
    memory_size   = { score = 4096 }
  }
  shard_size                = 25
  inference_max_concurrency = 8
  throughput_max_polls      = 120
  force_destroy             = var.force_destroy

}
