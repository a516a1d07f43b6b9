variable "sender_email" {
  description = "Address the notification emails are sent from. Unless existing_identity_arn is set, an SES email identity is created for it and SES sends a verification email to this address."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.sender_email))
    error_message = "sender_email must be an email address."
  }
}

variable "existing_identity_arn" {
  description = "ARN of an existing, verified SES identity (email address or domain) that covers sender_email; null creates an email identity."
  type        = string
  default     = null

  validation {
    condition     = var.existing_identity_arn == null || can(regex("^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/.+$", var.existing_identity_arn))
    error_message = "existing_identity_arn must be an SES identity ARN (arn:aws:ses:REGION:ACCOUNT:identity/NAME)."
  }
}

variable "tags" {
  description = "Tags applied to the created identity."
  type        = map(string)
  default     = {}
  nullable    = false
}
