region           = "us-east-1"
name_prefix      = "acme-summarizer"
sender_email     = "ml-bot@example.com"
recipient_emails = ["ml-team@example.com"]
# Runs serve the custom model on demand where Bedrock offers it (the module's default_deployment
# "auto": per-token billing, no hourly charge), else with a no-commitment provisioned throughput
# (billed per hour per model unit); see examples/complete for the setting.
tags = {
  team = "ml-platform"
}
force_destroy = true
