region           = "us-east-1"
name_prefix      = "acme-support"
sender_email     = "ml-bot@example.com"
recipient_emails = ["ml-team@example.com", "support-leads@example.com"]

# How a run serves its custom model for the evaluation (and keeps a winner). "auto": an on-demand
# custom model deployment where the base model and region support it (Nova Micro/Lite/Pro and
# Nova 2 Lite in us-east-1, Llama 3.3 70B in us-west-2): billed per token, no hourly charge;
# elsewhere a no-commitment provisioned throughput, billed per hour per model unit while it exists.
default_deployment = "auto"

# An SES identity you already verified (a domain covers every address in it):
# ses_identity_arn = "arn:aws:ses:us-east-1:123456789012:identity/example.com"

# Run the customization jobs in your VPC (subnets need an S3 gateway endpoint):
# customization_vpc_config = {
#   subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
#   security_group_ids = ["sg-0123456789abcdef0"]
# }

# An evaluator image your CI already pushed (skips the docker build during apply):
# evaluator_image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-evaluator:src-0123456789abcdef0123"

evaluator_model = {
  name       = "microsoft/deberta-xlarge-mnli"
  num_layers = 40
}

log_retention_days = 365
tags = {
  team        = "ml-platform"
  cost-center = "ml-1234"
}
force_destroy = false
