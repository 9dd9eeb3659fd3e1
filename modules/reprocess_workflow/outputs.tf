output "state_machine_arn" {
  description = "ARN of the reprocess state machine (StartExecution; make reprocess reads it from the stack's outputs)."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the reprocess state machine."
  value       = aws_sfn_state_machine.this.name
}

output "definition" {
  description = "The state machine definition (ASL JSON) as deployed: state_machine.asl.json with this deployment's names."
  value       = local.definition
}

output "runs_table_name" {
  description = "DynamoDB table of the run counters: one item per (run, consumer) with eligible, sent and skipped."
  value       = aws_dynamodb_table.runs.name
}

output "role_arn" {
  description = "ARN of the state machine's role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch Logs group of the executions."
  value       = aws_cloudwatch_log_group.this.name
}

output "report_location" {
  description = "Where runs write their reports: bucket and key prefix (<prefix><run>/summary.json, <prefix>map-runs/<map run id>/ for the Map Runs' results)."
  value       = { bucket = var.bucket.name, prefix = var.report_prefix }
}
