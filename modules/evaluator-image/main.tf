data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  create  = var.image_uri == null
  use_kms = var.kms_key_arn != null

  # Content hash of the build context and build settings: the image tag. It
  # changes only when a file, the Dockerfile, a build argument or the platform
  # changes (never timestamp()), so repeated applies are no-ops.
  source_files = sort(distinct(flatten([
    for p in var.context_paths : [
      # a file matches itself; a directory, everything below it
      for f in setunion(fileset(var.source_dir, p == "." ? "**" : p), fileset(var.source_dir, p == "." ? "**" : "${p}/**")) : f
      if !strcontains(f, "__pycache__") && !endswith(f, ".pyc") && !startswith(basename(f), ".")
    ]
  ])))
  platform = var.architecture == "arm64" ? "linux/arm64" : "linux/amd64"
  content_hash = sha1(join("", concat(
    [for f in local.source_files : "${f}:${filesha1("${var.source_dir}/${f}")};"],
    [jsonencode({ platform = local.platform, dockerfile = var.dockerfile, build_args = var.build_args })],
  )))
  tag = "src-${substr(local.content_hash, 0, 20)}"
}

resource "aws_ecr_repository" "this" {
  count = local.create ? 1 : 0

  name                 = "${var.name_prefix}-evaluator"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = local.use_kms ? "KMS" : "AES256"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  count = local.create ? 1 : 0

  repository = aws_ecr_repository.this[0].name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after one day"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last ${var.keep_images} tagged images"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["src-"]
          countType     = "imageCountMoreThan"
          countNumber   = var.keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# Lambda pulls the image with its service principal; allow it for functions of this account only.
data "aws_iam_policy_document" "lambda_pull" {
  count = local.create ? 1 : 0

  statement {
    sid     = "LambdaECRImageRetrievalPolicy"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "aws:sourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:function:${var.name_prefix}-*"]
    }
  }
}

resource "aws_ecr_repository_policy" "this" {
  count = local.create ? 1 : 0

  repository = aws_ecr_repository.this[0].name
  policy     = data.aws_iam_policy_document.lambda_pull[0].json
}

# Builds and pushes the image when its content hash changes. Needs docker (with
# buildx) and the AWS CLI on the machine that runs terraform apply.
resource "terraform_data" "build" {
  count = local.create ? 1 : 0

  triggers_replace = {
    tag        = local.tag
    repository = aws_ecr_repository.this[0].repository_url
  }

  input = "${aws_ecr_repository.this[0].repository_url}:${local.tag}"

  provisioner "local-exec" {
    interpreter = ["/bin/bash", "-c"]
    command     = "bash \"${path.module}/build_and_push.sh\""

    environment = {
      REGION          = data.aws_region.current.region
      REPOSITORY_NAME = aws_ecr_repository.this[0].name
      REGISTRY        = split("/", aws_ecr_repository.this[0].repository_url)[0]
      IMAGE           = "${aws_ecr_repository.this[0].repository_url}:${local.tag}"
      TAG             = local.tag
      PLATFORM        = local.platform
      CONTEXT_DIR     = var.source_dir
      DOCKERFILE      = "${var.source_dir}/${var.dockerfile}"
      BUILD_ARGS_JSON = jsonencode(var.build_args)
    }
  }

  depends_on = [aws_ecr_repository_policy.this, aws_ecr_lifecycle_policy.this]
}
