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
  description = "Address the notification emails come from; SES sends it a verification link on the first apply."
  type        = string
  nullable    = false
}

variable "recipient_emails" {
  description = "Default recipients of the notification emails."
  type        = list(string)
  nullable    = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "force_destroy" {
  description = "Let terraform destroy remove buckets and the ECR repository with their content (handy for a trial)."
  type        = bool
  default     = false
  nullable    = false
}

variable "evaluator_image_uri" {
  description = "Evaluator image already in ECR (for example from CI); null builds evaluator/ with docker during apply."
  type        = string
  default     = null
}
