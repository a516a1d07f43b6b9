locals {
  build = var.package_path == null
}

# Runs at plan time: builds (or finds, by content hash) the zip and returns its path and hashes.
data "external" "build" {
  count = local.build ? 1 : 0

  program = [var.python_executable, "${path.module}/build.py", "--external"]

  query = {
    source_dir     = var.source_dir
    requirements   = var.requirements_file == null ? "" : var.requirements_file
    build_dir      = var.build_dir
    python_version = var.python_version
    architecture   = var.architecture
  }
}

locals {
  path         = local.build ? data.external.build[0].result.path : var.package_path
  base64sha256 = local.build ? data.external.build[0].result.base64sha256 : filebase64sha256(var.package_path)
}
