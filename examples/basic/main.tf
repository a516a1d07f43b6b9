terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
    external = {
      source  = "hashicorp/external"
      version = ">= 2.3"
    }
  }
}

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

  log_retention_days = 30
  force_destroy      = var.force_destroy
}
