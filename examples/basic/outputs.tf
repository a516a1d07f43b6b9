output "state_machine_arn" {
  description = "ARN of the workflow to start runs on."
  value       = module.customization.state_machine_arn
}

output "training_bucket_name" {
  description = "Upload the training data (JSONL) here."
  value       = module.customization.training_bucket_name
}

output "validation_bucket_name" {
  description = "Upload the validation (and reference) data here."
  value       = module.customization.validation_bucket_name
}

output "artifacts_bucket_name" {
  description = "Run outputs and reports appear here under runs/<RunId>/."
  value       = module.customization.artifacts_bucket_name
}

output "evaluator_image_uri" {
  description = "Evaluator image the scoring functions run."
  value       = module.customization.evaluator_image_uri
}

output "start_execution_example" {
  description = "AWS CLI command that starts a run."
  value       = module.customization.start_execution_example
}
