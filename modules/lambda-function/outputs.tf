output "function_key" {
  description = "Stable key of the function (docs/contracts.md)."
  value       = var.function_key
}

output "arn" {
  description = "ARN of the Lambda function (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's CloudWatch Logs group."
  value       = aws_cloudwatch_log_group.this.name
}
