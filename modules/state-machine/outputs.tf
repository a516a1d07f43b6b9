output "arn" {
  description = "ARN of the state machine."
  value       = aws_sfn_state_machine.this.arn
}

output "name" {
  description = "Name of the state machine."
  value       = aws_sfn_state_machine.this.name
}

output "role_arn" {
  description = "ARN of the state machine's role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the state machine's role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the state machine's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the state machine's log group."
  value       = aws_cloudwatch_log_group.this.arn
}
