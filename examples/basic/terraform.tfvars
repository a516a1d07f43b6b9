region           = "us-east-1"
name_prefix      = "acme-summarizer"
sender_email     = "ml-bot@example.com"
recipient_emails = ["ml-team@example.com"]
tags = {
  team = "ml-platform"
}
force_destroy = true
