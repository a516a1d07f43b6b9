variable "name" {
  description = "Name of the state machine; its role is \"<name>-sfn\" and its log group \"/aws/vendedlogs/states/<name>\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,60}$", var.name))
    error_message = "name must be 1-60 characters of letters, digits, hyphens and underscores (the role name adds \"-sfn\" and must stay within 64)."
  }
}

variable "definition" {
  description = "Amazon States Language definition (JSON string), rendered by the caller from its template."
  type        = string
  nullable    = false

  validation {
    condition     = can(jsondecode(var.definition).StartAt)
    error_message = "definition must be a JSON state machine definition with StartAt (jsonencode the rendered template)."
  }
}

variable "policy_json" {
  description = "IAM policy document (JSON, from an aws_iam_policy_document) with the state machine's own permissions. Log delivery, X-Ray and the KMS key are added by this module; their Sids (LogDelivery, XRay, StateMachineKey) must not be reused."
  type        = string
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the state machine's log group in days (a CloudWatch Logs allowed value, validated by the caller; 0 keeps logs forever)."
  type        = number
  default     = 30
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key for the log group and the state machine data (customer-managed encryption); null uses AWS-owned keys."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "ARN of the IAM policy set as the permissions boundary of the state machine's role; null sets none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource of the state machine."
  type        = map(string)
  default     = {}
  nullable    = false
}
