variable "name_prefix" {
  description = "Prefix of every resource name (buckets \"<prefix>-<kind>-<account>\", functions \"<prefix>-<function>\", state machines \"<prefix>-customize\" and \"<prefix>-evaluate\")."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.name_prefix) >= 3 && length(var.name_prefix) <= 32 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (it is used in bucket, ECR, IAM and Lambda names)."
  }
}

variable "tags" {
  description = "Tags applied to every resource the module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "sender_email" {
  description = "Address the notification emails are sent from (an SES identity is created for it unless ses_identity_arn is set; one identity per address per account and region, so a second deployment with the same sender sets ses_identity_arn)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.sender_email))
    error_message = "sender_email must be an email address, for example \"ml-bot@example.com\"."
  }
}

variable "ses_identity_arn" {
  description = "ARN of an existing verified SES identity (address or domain) covering sender_email; null creates an email identity for sender_email."
  type        = string
  default     = null

  validation {
    condition     = var.ses_identity_arn == null || can(regex("^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/.+$", var.ses_identity_arn))
    error_message = "ses_identity_arn must be an SES identity ARN (arn:aws:ses:REGION:ACCOUNT:identity/NAME)."
  }
}

variable "recipient_emails" {
  description = "Default recipients of the notification emails (a run can override them with NotificationEmail)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.recipient_emails) >= 1 && alltrue([for e in var.recipient_emails : can(regex("^[^@\\s,]+@[^@\\s,]+\\.[^@\\s,]+$", e))])
    error_message = "recipient_emails must hold at least one email address, each without commas or spaces."
  }
}

variable "event_bus_name" {
  description = "EventBridge bus that also receives one event per run outcome (source \"bedrock-customize\", detail-type per outcome); null sends no events."
  type        = string
  default     = null

  validation {
    condition     = var.event_bus_name == null || can(regex("^[A-Za-z0-9._/-]{1,256}$", var.event_bus_name))
    error_message = "event_bus_name must be an EventBridge bus name such as \"default\" (letters, digits, . _ / -), or null for no events."
  }
}

variable "default_model_units" {
  description = "Model units of the provisioned throughput when a run does not set ProvisionedModelUnits."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.default_model_units >= 1 && floor(var.default_model_units) == var.default_model_units
    error_message = "default_model_units must be a whole number, at least 1."
  }
}

variable "throughput_poll_seconds" {
  description = "Seconds between two status checks of the provisioned throughput."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.throughput_poll_seconds >= 5 && var.throughput_poll_seconds <= 3600 && floor(var.throughput_poll_seconds) == var.throughput_poll_seconds
    error_message = "throughput_poll_seconds must be a whole number between 5 and 3600."
  }
}

variable "throughput_max_polls" {
  description = "Status checks of the provisioned throughput before the run gives up (and releases it)."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.throughput_max_polls >= 1 && var.throughput_max_polls <= 10000 && floor(var.throughput_max_polls) == var.throughput_max_polls
    error_message = "throughput_max_polls must be a whole number between 1 and 10000."
  }
}

variable "default_deployment" {
  description = "How a run serves its custom model when the input has no Deployment: \"auto\" (an on-demand custom model deployment where the base model and region support it, billed per token; otherwise a provisioned throughput), \"on_demand\" or \"provisioned\" (billed per hour per model unit)."
  type        = string
  default     = "auto"
  nullable    = false

  validation {
    condition     = contains(["auto", "on_demand", "provisioned"], var.default_deployment)
    error_message = "default_deployment must be \"auto\", \"on_demand\" or \"provisioned\"."
  }
}

variable "deployment_poll_seconds" {
  description = "Seconds between status checks of the on-demand custom model deployment while it is being created."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deployment_poll_seconds >= 5 && var.deployment_poll_seconds <= 3600 && floor(var.deployment_poll_seconds) == var.deployment_poll_seconds
    error_message = "deployment_poll_seconds must be a whole number between 5 and 3600."
  }
}

variable "deployment_max_polls" {
  description = "Status checks of the on-demand custom model deployment before the run gives up (and deletes it)."
  type        = number
  default     = 120
  nullable    = false

  validation {
    condition     = var.deployment_max_polls >= 1 && var.deployment_max_polls <= 10000 && floor(var.deployment_max_polls) == var.deployment_max_polls
    error_message = "deployment_max_polls must be a whole number between 1 and 10000."
  }
}

variable "max_candidates" {
  description = "Most candidates one run may sweep (Candidates in the execution input, at least 2)."
  type        = number
  default     = 6
  nullable    = false

  validation {
    condition     = var.max_candidates >= 2 && var.max_candidates <= 20 && floor(var.max_candidates) == var.max_candidates
    error_message = "max_candidates must be a whole number between 2 and 20."
  }
}

variable "customization_timeout_seconds" {
  description = "Longest time the customization job may take before the run fails (TimeoutSeconds of CustomizeModel)."
  type        = number
  default     = 172800
  nullable    = false

  validation {
    condition     = var.customization_timeout_seconds >= 600 && var.customization_timeout_seconds <= 2592000 && floor(var.customization_timeout_seconds) == var.customization_timeout_seconds
    error_message = "customization_timeout_seconds must be a whole number between 600 (10 minutes) and 2592000 (30 days)."
  }
}

variable "evaluation_timeout_seconds" {
  description = "Longest time the evaluation (child) workflow may take before the run fails and releases the throughput."
  type        = number
  default     = 21600
  nullable    = false

  validation {
    condition     = var.evaluation_timeout_seconds >= 60 && var.evaluation_timeout_seconds <= 604800 && floor(var.evaluation_timeout_seconds) == var.evaluation_timeout_seconds
    error_message = "evaluation_timeout_seconds must be a whole number between 60 and 604800 (7 days)."
  }
}

variable "shard_size" {
  description = "Validation records per shard (one infer and one score invocation each) when a run does not set Evaluation.ShardSize."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.shard_size >= 1 && var.shard_size <= 1000 && floor(var.shard_size) == var.shard_size
    error_message = "shard_size must be a whole number between 1 and 1000 (the validate_input function and Evaluation.ShardSize allow at most 1000)."
  }
}

variable "inference_max_concurrency" {
  description = "Shards that run inference at the same time when a run does not set Evaluation.MaxConcurrency (the Shards Map runs this plus Evaluation.ScoreConcurrency iterations; each infer invocation takes its share of inference_threads)."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.inference_max_concurrency >= 1 && var.inference_max_concurrency <= 40 && floor(var.inference_max_concurrency) == var.inference_max_concurrency
    error_message = "inference_max_concurrency must be a whole number between 1 and 40."
  }
}

variable "score_max_concurrency" {
  description = "Most shards a run may score at the same time (upper bound of Evaluation.ScoreConcurrency, default 40; SCORE_MAX_CONCURRENCY of validate_input). The child's Shards Map runs Evaluation.MaxConcurrency + ScoreConcurrency iterations at once, so with inference_max_concurrency at its 40 a run stays within 1,000 concurrent Lambda invocations, the default account quota."
  type        = number
  default     = 200
  nullable    = false

  validation {
    condition     = var.score_max_concurrency >= 1 && var.score_max_concurrency <= 960 && floor(var.score_max_concurrency) == var.score_max_concurrency
    error_message = "score_max_concurrency must be a whole number between 1 and 960."
  }
}

variable "inference_threads" {
  description = "Parallel model calls inside one infer invocation (INFERENCE_CONCURRENCY)."
  type        = number
  default     = 8
  nullable    = false

  validation {
    condition     = var.inference_threads >= 1 && var.inference_threads <= 64 && floor(var.inference_threads) == var.inference_threads
    error_message = "inference_threads must be a whole number between 1 and 64."
  }
}

variable "inference_max_attempts" {
  description = "Attempts per model call in the infer function, throttling retries included (INFERENCE_MAX_ATTEMPTS)."
  type        = number
  default     = 6
  nullable    = false

  validation {
    condition     = var.inference_max_attempts >= 1 && var.inference_max_attempts <= 20 && floor(var.inference_max_attempts) == var.inference_max_attempts
    error_message = "inference_max_attempts must be a whole number between 1 and 20."
  }
}

variable "log_retention_days" {
  description = "Retention in days of every log group (functions and state machines); 0 keeps logs forever."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for buckets, log groups, Lambda environments, state machines, the ECR repository and the custom models the runs create (CustomModelKmsKeyId); null uses AWS-managed encryption. Its key policy must allow the CloudWatch Logs service principal of the region, kms:Decrypt for delivery.logs.amazonaws.com (state machine log delivery), and let IAM policies of the account grant its use (examples/complete has such a key)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "evaluator_image_uri" {
  description = "URI of a prebuilt evaluator image in an ECR repository of this account and region; null creates a repository and builds and pushes evaluator/ with docker (tag = content hash)."
  type        = string
  default     = null

  validation {
    condition     = var.evaluator_image_uri == null || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", var.evaluator_image_uri))
    error_message = "evaluator_image_uri must be an ECR image URI with a tag or digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG); Lambda pulls container images from ECR only."
  }
}

variable "evaluator_model" {
  description = "BERTScore model of the evaluator: name is the hub id baked into the built image (build arg BERTSCORE_MODEL_NAME), num_layers the layer whose embeddings are used (build arg and BERTSCORE_NUM_LAYERS), path where the image holds the weights (BERTSCORE_MODEL of the functions; with evaluator_image_uri, the path or hub id inside your image)."
  type = object({
    name       = optional(string, "roberta-large")
    num_layers = optional(number, 17)
    path       = optional(string, "/opt/bertscore-model")
  })
  default  = {}
  nullable = false

  validation {
    condition     = length(var.evaluator_model.name) > 0 && length(var.evaluator_model.path) > 0 && var.evaluator_model.num_layers >= 1 && floor(var.evaluator_model.num_layers) == var.evaluator_model.num_layers
    error_message = "evaluator_model.name and evaluator_model.path must not be empty and evaluator_model.num_layers must be a whole number, at least 1 (for example { name = \"roberta-large\", num_layers = 17 })."
  }
}

variable "existing_buckets" {
  description = "Names of buckets you already own, per kind; a kind left null gets a new bucket. Existing buckets are used as they are (policy, encryption and lifecycle untouched); if they are encrypted with your own KMS key, set kms_key_arn to it."
  type = object({
    training   = optional(string)
    validation = optional(string)
    artifacts  = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in values(var.existing_buckets) : name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name))])
    error_message = "existing_buckets values must be S3 bucket names (not ARNs or s3:// URIs)."
  }
}

variable "lambda" {
  description = "Settings of the Lambda functions: runtime, architecture, memory (MB) and timeout (s) per function key, the application log level of the JSON logs (log_level), a prebuilt zip (package_path) and the Python interpreter that builds the zip."
  type = object({
    runtime           = optional(string, "python3.12")
    architectures     = optional(list(string), ["x86_64"])
    memory_size       = optional(map(number), {})
    timeout           = optional(map(number), {})
    log_level         = optional(string, "INFO")
    package_path      = optional(string)
    python_executable = optional(string, "python3")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.lambda.runtime))
    error_message = "lambda.runtime must be a Python runtime such as \"python3.12\"."
  }

  validation {
    condition     = length(var.lambda.architectures) == 1 && alltrue([for a in var.lambda.architectures : contains(["x86_64", "arm64"], a)])
    error_message = "lambda.architectures must hold exactly one of \"x86_64\" or \"arm64\"."
  }

  validation {
    condition = alltrue([
      for key in concat(keys(var.lambda.memory_size), keys(var.lambda.timeout)) :
      contains(["validate_input", "custom_model_deployment", "release_throughput", "notify", "release_stopped_run", "plan_shards", "infer", "score", "aggregate"], key)
    ])
    error_message = "lambda.memory_size and lambda.timeout keys must be function keys: validate_input, custom_model_deployment, release_throughput, notify, release_stopped_run, plan_shards, infer, score, aggregate."
  }

  validation {
    condition     = alltrue([for m in values(var.lambda.memory_size) : m >= 128 && m <= 10240]) && alltrue([for t in values(var.lambda.timeout) : t >= 1 && t <= 900])
    error_message = "lambda.memory_size values must be 128-10240 (MB) and lambda.timeout values 1-900 (seconds)."
  }

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.lambda.log_level)
    error_message = "lambda.log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "stopped_run_sweep_schedule" {
  description = "EventBridge schedule (rate() or cron()) of the sweep that releases the provisioned throughput of any run that ended ABORTED, TIMED_OUT or FAILED and still has one (the status-change event that normally triggers the release is delivered on a best-effort basis)."
  type        = string
  default     = "rate(1 hour)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.stopped_run_sweep_schedule))
    error_message = "stopped_run_sweep_schedule must be an EventBridge schedule expression such as \"rate(1 hour)\" or \"cron(0 * * * ? *)\"."
  }
}

variable "artifact_expiration_days" {
  description = "Days after which run artifacts (runs/ in a created artifacts bucket) expire."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.artifact_expiration_days >= 1 && floor(var.artifact_expiration_days) == var.artifact_expiration_days
    error_message = "artifact_expiration_days must be a whole number of days, at least 1."
  }
}

variable "cache_expiration_days" {
  description = "Days after which an entry of the evaluation cache (cache/ in a created artifacts bucket: reference and output embeddings, base-model outputs at temperature 0, shared by every run) expires, counted from when it was written. A run with Evaluation.Cache false neither reads nor writes it."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.cache_expiration_days >= 1 && floor(var.cache_expiration_days) == var.cache_expiration_days
    error_message = "cache_expiration_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete created buckets and the ECR repository while they still hold objects or images."
  type        = bool
  default     = false
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "ARN of an IAM policy set as the permissions boundary of every role the module creates (Bedrock service role, state machine roles, function roles); null sets none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)."
  }
}

variable "customization_vpc_config" {
  description = "Subnets and security groups the Bedrock customization jobs run in (VpcConfig of CreateModelCustomizationJob; the subnets need an S3 gateway endpoint or another route to S3); null runs them without a VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition = var.customization_vpc_config == null || (
      length(var.customization_vpc_config.subnet_ids) >= 1 && length(var.customization_vpc_config.subnet_ids) <= 16 &&
      alltrue([for id in var.customization_vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    )
    error_message = "customization_vpc_config.subnet_ids must hold 1-16 subnet IDs such as \"subnet-0123456789abcdef0\"."
  }

  validation {
    condition = var.customization_vpc_config == null || (
      length(var.customization_vpc_config.security_group_ids) >= 1 && length(var.customization_vpc_config.security_group_ids) <= 5 &&
      alltrue([for id in var.customization_vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    )
    error_message = "customization_vpc_config.security_group_ids must hold 1-5 security group IDs such as \"sg-0123456789abcdef0\"."
  }
}
