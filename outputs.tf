output "state_machine_arn" {
  description = "ARN of the parent (customize) state machine: start runs here."
  value       = module.state_machine.arn
}

output "state_machine_name" {
  description = "Name of the parent (customize) state machine."
  value       = module.state_machine.name
}

output "evaluation_state_machine_arn" {
  description = "ARN of the evaluation (child) state machine."
  value       = module.evaluation.state_machine_arn
}

output "evaluation_state_machine_name" {
  description = "Name of the evaluation (child) state machine."
  value       = module.evaluation.state_machine_name
}

output "training_bucket_name" {
  description = "Bucket for training data: upload TrainingDataFileName here."
  value       = module.storage.training_bucket_name
}

output "validation_bucket_name" {
  description = "Bucket for validation and reference data: upload ValidationDataFileName (and ReferenceDataFileName) here."
  value       = module.storage.validation_bucket_name
}

output "artifacts_bucket_name" {
  description = "Bucket where runs write their output under runs/<RunId>/ (customization output, inference, scores, report)."
  value       = module.storage.artifacts_bucket_name
}

output "function_names" {
  description = "Names of every Lambda function, by function key."
  value       = merge({ for key, fn in module.function : key => fn.name }, module.evaluation.function_names)
}

output "function_arns" {
  description = "ARNs of every Lambda function, by function key."
  value       = merge({ for key, fn in module.function : key => fn.arn }, module.evaluation.function_arns)
}

output "bedrock_role_arn" {
  description = "ARN of the service role the Bedrock customization jobs run with."
  value       = aws_iam_role.bedrock.arn
}

output "state_machine_role_arn" {
  description = "ARN of the parent state machine's role."
  value       = module.state_machine.role_arn
}

output "ecr_repository_url" {
  description = "URL of the evaluator ECR repository; null when evaluator_image_uri was given."
  value       = module.evaluator_image.repository_url
}

output "evaluator_image_uri" {
  description = "URI of the evaluator image used by the score and aggregate functions."
  value       = module.evaluator_image.image_uri
}

output "ses_identity_arn" {
  description = "ARN of the SES identity of the sender (verify the address from the email SES sent before the first run)."
  value       = module.notification.identity_arn
}

output "lambda_package_path" {
  description = "Path of the deployment zip of the zip-packaged functions."
  value       = module.lambda_package.path
}

output "start_execution_example" {
  description = "AWS CLI command that starts a run with the minimal (ancestor-compatible) input; replace the model and file names with yours."
  value = format(
    "aws stepfunctions start-execution --region %s --state-machine-arn %s --name run-$(date +%%Y%%m%%d-%%H%%M%%S) --input '%s'",
    local.region,
    module.state_machine.arn,
    jsonencode({
      BaseModelIdentifier  = "amazon.nova-micro-v1:0:128k"
      CustomModelName      = "support-summarizer"
      JobName              = "support-summarizer-job"
      HyperParameters      = { epochCount = "2", learningRate = "0.00001" }
      TrainingDataFileName = "training-data.jsonl"
    }),
  )
}
