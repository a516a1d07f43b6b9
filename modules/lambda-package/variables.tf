variable "source_dir" {
  description = "Directory holding the Python packages to ship (the repository's lambdas/ directory, with workflow_lambdas/)."
  type        = string
  nullable    = false
}

variable "requirements_file" {
  description = "pip requirements file of the runtime dependencies (pinned); null ships the sources only."
  type        = string
  default     = null
}

variable "build_dir" {
  description = "Directory where the zip is written, relative to the Terraform working directory or absolute. Zips are named by a content hash, so unchanged inputs reuse the existing file."
  type        = string
  default     = ".terraform/bedrock-customize/lambda-package"
  nullable    = false
}

variable "package_path" {
  description = "Path of a prebuilt zip to use instead of building one (for CI pipelines that build the package separately). null builds it."
  type        = string
  default     = null
}

variable "python_executable" {
  description = "Python interpreter (with pip) that runs build.py; it downloads wheels for the Lambda platform, so it needs access to the package index."
  type        = string
  default     = "python3"
  nullable    = false
}

variable "python_version" {
  description = "Python version of the Lambda runtime the wheels are chosen for, for example \"3.12\"."
  type        = string
  default     = "3.12"
  nullable    = false

  validation {
    condition     = can(regex("^3\\.[0-9]+$", var.python_version))
    error_message = "python_version must look like \"3.12\"."
  }
}

variable "architecture" {
  description = "Lambda architecture the wheels are chosen for: \"x86_64\" (manylinux2014_x86_64) or \"arm64\" (manylinux2014_aarch64)."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be \"x86_64\" or \"arm64\"."
  }
}
