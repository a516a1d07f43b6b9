variable "name_prefix" {
  description = "Prefix of every name: the state machine is \"<name_prefix>-evaluate\", functions \"<name_prefix>-<key with - for _>\"."
  type        = string
  nullable    = false
}

variable "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket; the functions read and write under runs/."
  type        = string
  nullable    = false
}

variable "cache_prefix" {
  description = "Key prefix of the evaluation cache in the artifacts bucket (the storage module's cache_prefix output): infer and score may read and write under it, and get it as CACHE_PREFIX."
  type        = string
  default     = "cache/"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*/$", var.cache_prefix)) && var.cache_prefix != "runs/"
    error_message = "cache_prefix must be one lowercase folder name ending in \"/\", other than runs/ (e.g. \"cache/\")."
  }
}

variable "validation_bucket_arn" {
  description = "ARN of the validation data bucket, read by plan_shards."
  type        = string
  nullable    = false
}

variable "package_filename" {
  description = "Path of the zip of the workflow_lambdas package (plan_shards, infer)."
  type        = string
  nullable    = false
}

variable "package_source_code_hash" {
  description = "Base64-encoded SHA-256 of the zip."
  type        = string
  nullable    = false
}

variable "evaluator_image_uri" {
  description = "ECR image URI of the BERTScore evaluator (score, aggregate)."
  type        = string
  nullable    = false
}

variable "evaluator_model" {
  description = "BERTScore model of the evaluator image: path is where the image holds it (BERTSCORE_MODEL: a directory, or a hub id in the image's cache), num_layers the layer whose embeddings are used (BERTSCORE_NUM_LAYERS)."
  type = object({
    path       = string
    num_layers = number
  })
  nullable = false

  validation {
    condition     = length(var.evaluator_model.path) > 0 && var.evaluator_model.num_layers >= 1 && floor(var.evaluator_model.num_layers) == var.evaluator_model.num_layers
    error_message = "evaluator_model.path must not be empty and evaluator_model.num_layers must be a whole number, at least 1."
  }
}

variable "runtime" {
  description = "Lambda runtime of the zip functions, for example \"python3.12\"."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "runtime must be a Python runtime such as \"python3.12\"."
  }
}

variable "architectures" {
  description = "Lambda architecture of every function ([\"x86_64\"] or [\"arm64\"])."
  type        = list(string)
  default     = ["x86_64"]
  nullable    = false

  validation {
    condition     = length(var.architectures) == 1 && alltrue([for a in var.architectures : contains(["x86_64", "arm64"], a)])
    error_message = "architectures must hold exactly one of \"x86_64\" or \"arm64\"."
  }
}

variable "memory_sizes" {
  description = "Memory in MB per function key (plan_shards, infer, score, aggregate); missing keys use the module defaults."
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key, mb in var.memory_sizes : contains(["plan_shards", "infer", "score", "aggregate"], key) && mb >= 128 && mb <= 10240])
    error_message = "memory_sizes keys must be plan_shards, infer, score or aggregate, with values of 128-10240 (MB)."
  }
}

variable "timeouts" {
  description = "Timeout in seconds per function key (plan_shards, infer, score, aggregate); missing keys use the module defaults."
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key, seconds in var.timeouts : contains(["plan_shards", "infer", "score", "aggregate"], key) && seconds >= 1 && seconds <= 900])
    error_message = "timeouts keys must be plan_shards, infer, score or aggregate, with values of 1-900 (seconds)."
  }
}

variable "inference_threads" {
  description = "Threads the infer function uses inside one shard (INFERENCE_CONCURRENCY)."
  type        = number
  default     = 8
  nullable    = false
}

variable "inference_max_attempts" {
  description = "Attempts per model call in the infer function, throttling included (INFERENCE_MAX_ATTEMPTS)."
  type        = number
  default     = 6
  nullable    = false
}

variable "log_level" {
  description = "Application log level of the functions' JSON logs: one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "log_retention_days" {
  description = "Retention in days of the functions' and the state machine's log groups."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "KMS key used for the buckets, logs, Lambda environment and state machine data; null for AWS-managed encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "ARN of the IAM policy set as the permissions boundary of every role of this module (state machine and functions); null sets none."
  type        = string
  default     = null
}
