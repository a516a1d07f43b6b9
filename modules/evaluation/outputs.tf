output "state_machine_arn" {
  description = "ARN of the evaluation (child) state machine."
  value       = module.state_machine.arn
}

output "state_machine_name" {
  description = "Name of the evaluation (child) state machine."
  value       = module.state_machine.name
}

output "state_machine_role_arn" {
  description = "ARN of the evaluation state machine's role."
  value       = module.state_machine.role_arn
}

output "log_group_name" {
  description = "Log group of the evaluation state machine."
  value       = module.state_machine.log_group_name
}

output "function_arns" {
  description = "ARNs of the evaluation functions, by function key."
  value       = { for key, fn in module.function : key => fn.arn }
}

output "function_names" {
  description = "Names of the evaluation functions, by function key."
  value       = { for key, fn in module.function : key => fn.name }
}

output "function_role_arns" {
  description = "ARNs of the evaluation functions' execution roles, by function key."
  value       = { for key, fn in module.function : key => fn.role_arn }
}
