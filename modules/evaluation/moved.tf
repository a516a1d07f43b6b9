# The evaluation state machine, its role, policy and log group moved into ../state-machine:
# existing deployments keep them (no destroy / create).
moved {
  from = aws_cloudwatch_log_group.state_machine
  to   = module.state_machine.aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.state_machine
  to   = module.state_machine.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.state_machine
  to   = module.state_machine.aws_iam_role_policy.this
}

moved {
  from = aws_sfn_state_machine.this
  to   = module.state_machine.aws_sfn_state_machine.this
}
