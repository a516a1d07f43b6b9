variable "name_prefix" {
  description = "Prefix of the ECR repository name (\"<name_prefix>-evaluator\")."
  type        = string
  nullable    = false
}

variable "image_uri" {
  description = "URI of an evaluator image you built and pushed yourself (it must be in an ECR repository of this account and region for Lambda). null creates the repository and builds and pushes source_dir with docker."
  type        = string
  default     = null
}

variable "source_dir" {
  description = "Docker build context of the evaluator image: the module's root directory, so that the image ships the shared run contract (lambdas/workflow_lambdas/contract and common) beside evaluator/."
  type        = string
  nullable    = false
}

variable "context_paths" {
  description = "Directories or files, relative to source_dir, that the image is built from: only these are hashed into the image tag (and the Dockerfile's .dockerignore sends only these to docker)."
  type        = list(string)
  default     = ["."]
  nullable    = false

  validation {
    condition     = length(var.context_paths) > 0 && alltrue([for p in var.context_paths : !startswith(p, "/") && !strcontains(p, "..")])
    error_message = "context_paths: give at least one path, each relative to source_dir without '..' (for example \"evaluator\")."
  }
}

variable "dockerfile" {
  description = "Dockerfile path, relative to source_dir (for example \"evaluator/Dockerfile\")."
  type        = string
  default     = "Dockerfile"
  nullable    = false
}

variable "architecture" {
  description = "Lambda architecture the image is built for: \"x86_64\" (linux/amd64) or \"arm64\" (linux/arm64)."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "build_args" {
  description = "Docker build arguments, each one an ARG of the Dockerfile (for the evaluator: BERTSCORE_MODEL_NAME, the hub id baked into the image, and BERTSCORE_NUM_LAYERS); build_and_push.sh refuses undeclared ones. They are part of the image tag's content hash."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key for ECR repository encryption; null uses AES256."
  type        = string
  default     = null
}

variable "keep_images" {
  description = "Number of tagged images the lifecycle policy keeps in the repository."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.keep_images >= 1 && floor(var.keep_images) == var.keep_images
    error_message = "keep_images must be a whole number, at least 1."
  }
}

variable "force_delete" {
  description = "Allow terraform destroy to delete the repository while it still holds images."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the repository."
  type        = map(string)
  default     = {}
  nullable    = false
}
