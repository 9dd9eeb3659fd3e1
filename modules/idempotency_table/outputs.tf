output "table_name" {
  description = "Name of the idempotency table (the IDEMPOTENCY_TABLE environment variable)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the idempotency table."
  value       = aws_dynamodb_table.this.arn
}

output "policy_json" {
  description = "IAM policy document (JSON) granting a function the item operations Powertools idempotency needs on this table only."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.policy_statements })
}
