output "image_uri" {
  description = "URI of the evaluator image (the caller's image_uri, or the pushed \"<repository>:src-<content hash>\"). Known after the push, so functions using it wait for the build."
  value       = local.create ? terraform_data.build[0].output : var.image_uri
}

output "repository_url" {
  description = "URL of the created ECR repository; null when image_uri was given."
  value       = local.create ? aws_ecr_repository.this[0].repository_url : null
}

output "repository_arn" {
  description = "ARN of the created ECR repository; null when image_uri was given."
  value       = local.create ? aws_ecr_repository.this[0].arn : null
}

output "image_tag" {
  description = "Content-hash tag of the built image; null when image_uri was given."
  value       = local.create ? local.tag : null
}
