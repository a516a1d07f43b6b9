locals {
  # Bring your own identity, or have one created for the sender address (decided once).
  create = var.existing_identity_arn == null
}

resource "aws_sesv2_email_identity" "sender" {
  count = local.create ? 1 : 0

  email_identity = var.sender_email
  tags           = var.tags
}

locals {
  identity_arn = local.create ? aws_sesv2_email_identity.sender[0].arn : var.existing_identity_arn
}
