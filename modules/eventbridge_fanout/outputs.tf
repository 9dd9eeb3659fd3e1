output "rule_arns" {
  description = "Rule ARNs by rule key."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.arn }
}

output "rule_names" {
  description = "Rule names by rule key."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.name }
}

output "event_patterns" {
  description = "Event pattern (JSON) of each rule, by rule key."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.event_pattern }
}

output "target_ids" {
  description = "Target ids by \"<rule key>/<target key>\"."
  value       = { for k, t in aws_cloudwatch_event_target.this : k => t.target_id }
}

output "queue_policy_queue_urls" {
  description = "URLs of the queues whose policy this module manages, by queue key."
  value       = { for k, p in aws_sqs_queue_policy.this : k => p.queue_url }
}

output "archive_arns" {
  description = "Archive ARNs by archive name."
  value       = { for k, a in aws_cloudwatch_event_archive.this : k => a.arn }
}

output "lambda_permission_statement_ids" {
  description = "Statement ids of the Lambda permissions this module adds, by \"<rule key>/<target key>\"."
  value       = { for k, p in aws_lambda_permission.this : k => p.statement_id }
}

output "eventbridge_kms_key_policy_statement" {
  description = "A statement for the key policy of a customer managed KMS key that encrypts the target queues: events.amazonaws.com may use the key (kms:GenerateDataKey, kms:Decrypt) on behalf of this module's rules. Add it to the key's policy (jsonencode it with the rest); SQS-managed SSE needs nothing."
  value = {
    Sid       = "AllowEventBridgeRulesToUseTheKey"
    Effect    = "Allow"
    Principal = { Service = "events.amazonaws.com" }
    Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
    Resource  = "*"
    Condition = { ArnEquals = { "aws:SourceArn" = [for r in aws_cloudwatch_event_rule.this : r.arn] } }
  }
}

