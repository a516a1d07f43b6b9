resource "aws_sesv2_email_identity" "sender" {
  count = var.existing_identity_arn == null ? 1 : 0

  email_identity = var.sender_email
  tags           = var.tags
}

locals {
  identity_arn = var.existing_identity_arn == null ? aws_sesv2_email_identity.sender[0].arn : var.existing_identity_arn
}
