variable "name_prefix" {
  description = "Prefix of the bucket names: \"<name_prefix>-<kind>-<account id>\"."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.name_prefix) >= 3 && length(var.name_prefix) <= 32 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (it is used in bucket, ECR, IAM and Lambda names)."
  }
}

variable "existing_buckets" {
  description = "Names of buckets you already own, per kind (training, validation, artifacts). A kind left null gets a new bucket. Existing buckets are used as they are: this module does not change their policy, encryption or lifecycle."
  type = object({
    training   = optional(string)
    validation = optional(string)
    artifacts  = optional(string)
  })
  default  = {}
  nullable = false
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS default encryption of the created buckets; null uses SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "artifact_expiration_days" {
  description = "Days after which objects under runs/ in the artifacts bucket (customization output, inference results, reports) expire."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.artifact_expiration_days >= 1 && floor(var.artifact_expiration_days) == var.artifact_expiration_days
    error_message = "artifact_expiration_days must be a whole number of days, at least 1."
  }
}

variable "cache_expiration_days" {
  description = "Days after which an entry of the evaluation cache (cache/ in a created artifacts bucket: reference and output embeddings, base-model outputs at temperature 0) expires, counted from when it was written."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.cache_expiration_days >= 1 && floor(var.cache_expiration_days) == var.cache_expiration_days
    error_message = "cache_expiration_days must be a whole number of days, at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent (overwritten or deleted) object versions expire in the created buckets."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete created buckets that still hold objects."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the created buckets."
  type        = map(string)
  default     = {}
  nullable    = false
}
