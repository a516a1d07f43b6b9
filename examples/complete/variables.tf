variable "region" {
  description = "AWS region to deploy to (it must offer Bedrock model customization for the base models you use, for example us-east-1)."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "name_prefix" {
  description = "Prefix of every resource name (3-32 lowercase letters, digits and hyphens)."
  type        = string
  nullable    = false
}

variable "sender_email" {
  description = "Address the notification emails come from."
  type        = string
  nullable    = false
}

variable "ses_identity_arn" {
  description = "ARN of an existing verified SES identity (for example your domain) covering sender_email; null creates an email identity."
  type        = string
  default     = null
}

variable "recipient_emails" {
  description = "Default recipients of the notification emails."
  type        = list(string)
  nullable    = false
}

variable "customization_vpc_config" {
  description = "Subnets (with an S3 gateway endpoint) and security groups the customization jobs run in; null runs them without a VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "evaluator_image_uri" {
  description = "Evaluator image your CI built and pushed to ECR; null builds it from evaluator/ with docker during apply."
  type        = string
  default     = null
}

variable "evaluator_model" {
  description = "BERTScore model of the evaluator image (name: hub id baked in, num_layers, path in the image)."
  type = object({
    name       = optional(string, "roberta-large")
    num_layers = optional(number, 17)
    path       = optional(string, "/opt/bertscore-model")
  })
  default  = {}
  nullable = false
}

variable "default_deployment" {
  description = "How runs serve the custom model unless the input says otherwise: auto (on-demand deployment where supported, else a provisioned throughput), on_demand or provisioned."
  type        = string
  default     = "auto"
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of every log group in days."
  type        = number
  default     = 365
  nullable    = false
}

variable "tags" {
  description = "Extra tags for every resource of the module."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "force_destroy" {
  description = "Let terraform destroy remove buckets and the ECR repository with their content."
  type        = bool
  default     = false
  nullable    = false
}
