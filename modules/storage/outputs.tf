output "training_bucket_name" {
  description = "Name of the training data bucket (created or existing)."
  value       = local.names.training
}

output "validation_bucket_name" {
  description = "Name of the validation data bucket (created or existing)."
  value       = local.names.validation
}

output "artifacts_bucket_name" {
  description = "Name of the artifacts bucket (customization output, inference, scores, reports under runs/)."
  value       = local.names.artifacts
}

output "training_bucket_arn" {
  description = "ARN of the training data bucket."
  value       = local.arns.training
}

output "validation_bucket_arn" {
  description = "ARN of the validation data bucket."
  value       = local.arns.validation
}

output "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  value       = local.arns.artifacts
}

output "created_buckets" {
  description = "Kinds (training, validation, artifacts) for which this module created the bucket, with the bucket names."
  value       = { for kind, bucket in aws_s3_bucket.this : kind => bucket.bucket }
}

output "cache_prefix" {
  description = "Key prefix of the evaluation cache in the artifacts bucket (shared by every run; entries expire after cache_expiration_days in a created bucket)."
  value       = local.cache_prefix
}
