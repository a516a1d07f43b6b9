output "state_machine_arn" {
  description = "ARN of the workflow to start runs on."
  value       = module.customization.state_machine_arn
}

output "training_bucket_name" {
  description = "Your training bucket, as the module uses it."
  value       = module.customization.training_bucket_name
}

output "validation_bucket_name" {
  description = "Your validation bucket, as the module uses it."
  value       = module.customization.validation_bucket_name
}

output "artifacts_bucket_name" {
  description = "Your artifacts bucket: runs write under runs/<RunId>/."
  value       = module.customization.artifacts_bucket_name
}

output "kms_key_arn" {
  description = "The key that encrypts buckets, logs, functions, state machines, ECR and the custom models."
  value       = aws_kms_key.this.arn
}

output "permissions_boundary_arn" {
  description = "The permissions boundary set on every role of the module."
  value       = aws_iam_policy.boundary.arn
}

output "bedrock_role_arn" {
  description = "Service role of the customization jobs."
  value       = module.customization.bedrock_role_arn
}

output "start_execution_example" {
  description = "AWS CLI command that starts a run."
  value       = module.customization.start_execution_example
}
