variable "function_key" {
  description = "Stable key of the function from docs/contracts.md (for example \"validate_input\"). Used in tags and by the emulator."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]*$", var.function_key))
    error_message = "function_key must be snake_case: lowercase letters, digits and underscores, starting with a letter."
  }
}

variable "name" {
  description = "Function name (also the name of its IAM role and log group suffix). The contract is \"<name_prefix>-<function key with - for _>\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,58}$", var.name))
    error_message = "name must be 1-58 characters of letters, digits, hyphens and underscores (the role name adds \"-role\" and must stay within 64)."
  }
}

variable "description" {
  description = "Function description."
  type        = string
  default     = ""
  nullable    = false
}

variable "handler" {
  description = "Handler of a zip-packaged function (\"module.function\"). Set either handler (zip) or image_command (image)."
  type        = string
  default     = null
}

variable "image_command" {
  description = "Command (handler) of a container-image function, for example [\"bertscore_evaluator.handlers.score\"]. Set either handler (zip) or image_command (image)."
  type        = list(string)
  default     = null
}

variable "filename" {
  description = "Path of the deployment zip (zip functions)."
  type        = string
  default     = null
}

variable "source_code_hash" {
  description = "Base64-encoded SHA-256 of the deployment zip (zip functions); a change redeploys the code."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Lambda runtime of a zip function."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "runtime must be a Python runtime such as \"python3.12\"."
  }
}

variable "image_uri" {
  description = "ECR image URI of a container-image function. Required when image_command is set."
  type        = string
  default     = null
}

variable "architectures" {
  description = "Instruction set of the function: [\"x86_64\"] or [\"arm64\"]. Must match the zip's wheels or the image platform."
  type        = list(string)
  default     = ["x86_64"]
  nullable    = false

  validation {
    condition     = length(var.architectures) == 1 && alltrue([for a in var.architectures : contains(["x86_64", "arm64"], a)])
    error_message = "architectures must hold exactly one of \"x86_64\" or \"arm64\"."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function (names from docs/contracts.md)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "log_level" {
  description = "Application log level of the function's JSON logs (logging_config): one of DEBUG, INFO, WARNING, ERROR, CRITICAL (WARN and FATAL in Lambda's names)."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (128-10240)."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "timeout" {
  description = "Timeout of the function in seconds (1-900)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds between 1 and 900."
  }
}

variable "policy_json" {
  description = "IAM policy document (JSON, from an aws_iam_policy_document) with the function's own permissions. Logging, X-Ray and KMS are added by this module."
  type        = string
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days (a CloudWatch Logs allowed value; 0 keeps logs forever)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the log group and the environment variables; null uses AWS-owned keys. The key policy must allow the CloudWatch Logs service principal of the region."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource of the function."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "ARN of the IAM policy set as the permissions boundary of the function's role; null sets none."
  type        = string
  default     = null
}
