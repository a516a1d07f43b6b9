data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  kinds = ["training", "validation", "artifacts"]

  # The evaluation cache in the artifacts bucket (reference and output embeddings, base-model outputs
  # at temperature 0), shared by every run. The one definition of the prefix: the evaluation module's
  # IAM and the CACHE_PREFIX of its functions come from the cache_prefix output.
  cache_prefix = "cache/"

  # Computed once: which kinds get a bucket created here, and the name of every bucket.
  created = {
    for kind in local.kinds : kind => "${var.name_prefix}-${kind}-${data.aws_caller_identity.current.account_id}"
    if var.existing_buckets[kind] == null
  }
}

locals {
  # Names come from the resources for created buckets, so consumers wait for them.
  names = merge(
    { for kind in local.kinds : kind => var.existing_buckets[kind] if var.existing_buckets[kind] != null },
    { for kind, bucket in aws_s3_bucket.this : kind => bucket.bucket },
  )
  arns = { for kind, name in local.names : kind => "arn:${data.aws_partition.current.partition}:s3:::${name}" }
}

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket; left to the account's logging setup (CloudTrail data events).
  # checkov:skip=CKV_AWS_144:Cross-region replication is not needed for re-creatable training inputs and run artifacts.
  # checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications; the workflow is started explicitly.
  for_each = local.created

  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { "bedrock-customize:bucket" = each.key })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this

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

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # S3 rejects policies while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "housekeeping"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = each.key == "artifacts" ? ["runs/"] : []

    content {
      id     = "expire-run-artifacts"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.artifact_expiration_days
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "artifacts" ? [local.cache_prefix] : []

    content {
      # Cache entries are written once and never refreshed: each expires this many days after it was
      # written, and the next run that needs it recomputes it.
      id     = "expire-evaluation-cache"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.cache_expiration_days
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "artifacts" ? ["runs/"] : []

    content {
      id     = "remove-expired-delete-markers"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        expired_object_delete_marker = true
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "artifacts" ? [local.cache_prefix] : []

    content {
      id     = "remove-expired-cache-delete-markers"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        expired_object_delete_marker = true
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
