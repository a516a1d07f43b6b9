output "identity_arn" {
  description = "ARN of the SES identity the sender address belongs to (resource of ses:SendEmail)."
  value       = local.identity_arn
}

output "sender_email" {
  description = "Sender address of the notification emails."
  value       = var.sender_email
}
