provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project = "bedrock-customize"
    }
  }
}

module "customization" {
  source = "../.."

  name_prefix      = var.name_prefix
  sender_email     = var.sender_email
  recipient_emails = var.recipient_emails
  tags             = var.tags

  evaluator_image_uri = var.evaluator_image_uri

  log_retention_days = 30
  force_destroy      = var.force_destroy
}
