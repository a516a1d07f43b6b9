locals {
  runs_objects = "${var.artifacts_bucket_arn}/runs/*"

  bedrock_invoke_resources = [
    # Base models of this region (on-demand inference).
    "arn:${local.partition}:bedrock:${local.region}::foundation-model/*",
    # The custom model's provisioned throughput (created per run by the parent workflow).
    "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:provisioned-model/*",
    # The custom model's on-demand deployment (its ARN is the modelId on the on-demand path).
    "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:custom-model-deployment/*",
    # Inference profiles of this account, for base models only served through one.
    "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:inference-profile/*",
    # The optional LLM judge (Evaluation.Judge, run by the infer function through Converse, which needs
    # bedrock:InvokeModel: "Converse", Amazon Bedrock API Reference): a foundation model or an inference
    # profile (above) or an application inference profile of this account.
    "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:application-inference-profile/*",
  ]
}

# Statements shared by the functions that work on a run's artifacts.
data "aws_iam_policy_document" "run_artifacts" {
  statement {
    sid       = "RunArtifactsReadWrite"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.runs_objects]
  }

  statement {
    # Lets a missing key answer 404 (not 403), which the resume logic relies on.
    sid       = "ListRunArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["runs/*"]
    }
  }

  dynamic "statement" {
    # Also what infer needs to call a custom model encrypted with the key (through Bedrock).
    for_each = local.use_kms ? [var.kms_key_arn] : []

    content {
      sid       = "BucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

# The evaluation cache shared by every run (base-model outputs for infer, embeddings for score):
# read, and written once per key (PutObject with If-None-Match needs s3:PutObject only: "How to
# prevent object overwrites with conditional writes", Amazon S3 User Guide). Nothing may delete or
# list it beyond a missing key answering 404.
data "aws_iam_policy_document" "evaluation_cache" {
  statement {
    sid       = "EvaluationCacheReadWrite"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${var.artifacts_bucket_arn}/${var.cache_prefix}*"]
  }

  statement {
    # A missing cache entry must answer 404 (a miss), not 403.
    sid       = "ListEvaluationCache"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.cache_prefix}*"]
    }
  }
}

data "aws_iam_policy_document" "plan_shards" {
  source_policy_documents = [data.aws_iam_policy_document.run_artifacts.json]

  statement {
    sid       = "ReadValidationData"
    actions   = ["s3:GetObject"]
    resources = ["${var.validation_bucket_arn}/*"]
  }

  statement {
    sid       = "ListValidationData"
    actions   = ["s3:ListBucket"]
    resources = [var.validation_bucket_arn]
  }
}

data "aws_iam_policy_document" "infer" {
  source_policy_documents = [data.aws_iam_policy_document.run_artifacts.json, data.aws_iam_policy_document.evaluation_cache.json]

  statement {
    sid = "InvokeModels"
    # Converse uses the InvokeModel permission.
    actions   = ["bedrock:InvokeModel"]
    resources = local.bedrock_invoke_resources
  }

  statement {
    # A cross-region inference profile (us., eu., global. ...) serves a request from the
    # foundation model of another region: allowed only through this account's profiles.
    sid       = "InvokeFoundationModelsThroughProfiles"
    actions   = ["bedrock:InvokeModel"]
    resources = ["arn:${local.partition}:bedrock:*::foundation-model/*"]

    condition {
      test     = "ArnLike"
      variable = "bedrock:InferenceProfileArn"
      values = [
        "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:inference-profile/*",
        "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:application-inference-profile/*",
      ]
    }
  }
}

data "aws_iam_policy_document" "score" {
  source_policy_documents = [data.aws_iam_policy_document.run_artifacts.json, data.aws_iam_policy_document.evaluation_cache.json]
}

data "aws_iam_policy_document" "aggregate" {
  source_policy_documents = [data.aws_iam_policy_document.run_artifacts.json]
}

# Policy of the evaluation state machine (its role, log delivery, X-Ray and the state machine
# key: ../state-machine).
data "aws_iam_policy_document" "state_machine" {
  statement {
    sid     = "InvokeFunctions"
    actions = ["lambda:InvokeFunction"]
    resources = flatten([
      for fn in module.function : [fn.arn, "${fn.arn}:*"]
    ])
  }

  # The Distributed Map "Shards" runs each shard as a child execution of this same state machine
  # ("IAM policies for using Distributed Map states", AWS Step Functions Developer Guide). The ARN is
  # built from the name: the state machine cannot reference its own ARN in its own policy.
  statement {
    sid       = "StartShardExecutions"
    actions   = ["states:StartExecution"]
    resources = [local.state_machine_arn]
  }

  statement {
    sid       = "ManageShardExecutions"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = ["${local.state_machine_execution_arn}:*"]
  }

  statement {
    # ItemReader: the shard manifest PlanShards wrote.
    sid       = "ReadShardManifest"
    actions   = ["s3:GetObject"]
    resources = ["${var.artifacts_bucket_arn}/runs/*/evaluation/manifest.json"]
  }

  statement {
    # ResultWriter: the Map Run's manifest and result files.
    sid       = "WriteMapRunResults"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
    resources = ["${var.artifacts_bucket_arn}/runs/*/evaluation/map-runs/*"]
  }

  dynamic "statement" {
    for_each = local.use_kms ? [var.kms_key_arn] : []

    content {
      sid       = "MapRunObjectsKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}
