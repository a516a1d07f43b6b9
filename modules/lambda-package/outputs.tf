output "path" {
  description = "Path of the deployment zip (use as aws_lambda_function.filename)."
  value       = local.path
}

output "base64sha256" {
  description = "Base64-encoded SHA-256 of the zip (use as aws_lambda_function.source_code_hash)."
  value       = local.base64sha256
}
