output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "invoke_target_arn" {
  description = "ARN that events should invoke: the alias when versions are published, otherwise the function."
  value       = local.invoke_target_arn
}

output "deployment_package" {
  description = "Where the function's code comes from: filename, or s3_bucket, s3_key and s3_object_version; and the source_code_hash used (null when none)."
  value = {
    filename          = var.filename
    s3_bucket         = try(var.s3_package.bucket, null)
    s3_key            = try(var.s3_package.key, null)
    s3_object_version = try(var.s3_package.object_version, null)
    source_code_hash  = local.source_code_hash
  }
}

output "alias_arn" {
  description = "ARN of the alias, or null when no version is published."
  value       = local.publish ? aws_lambda_alias.this[0].arn : null
}

output "environment_variables" {
  description = "The function's environment, including DLQ_URL."
  value       = aws_lambda_function.this.environment[0].variables
}

output "logging_config" {
  description = "The function's advanced logging controls (log_format, application_log_level, system_log_level, log_group), or null when Lambda's defaults apply."
  value = var.logging == null ? null : {
    log_format            = var.logging.log_format
    application_log_level = var.logging.application_log_level
    system_log_level      = var.logging.system_log_level
    log_group             = aws_cloudwatch_log_group.this.name
  }
}

output "role_policy_json" {
  description = "The module's statements plus policy_statements (JSON): the main inline policy of the role the module creates (the buffer queue permission and policy_documents are separate policies)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.base_statements })
}

output "required_policy_json" {
  description = "Every statement the function needs in one policy document (JSON): the module's, policy_statements, the buffer queue permission and the statements of policy_documents. Attach it to an existing_role_arn."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.required_statements })
}

output "role_name" {
  description = "Name of the execution role (the created one, or the one in existing_role_arn)."
  value       = local.role_name
}

output "role_arn" {
  description = "ARN of the execution role (the created one, or existing_role_arn)."
  value       = local.role_arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "dlq_arn" {
  description = "ARN of the function's dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the function's dead-letter queue (the DLQ_URL environment variable)."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_name" {
  description = "Name of the function's dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "buffer_queue_arn" {
  description = "ARN of the buffer queue (queue mode), or null."
  value       = local.queue_mode ? aws_sqs_queue.buffer[0].arn : null
}

output "buffer_queue_url" {
  description = "URL of the buffer queue (queue mode), or null."
  value       = local.queue_mode ? aws_sqs_queue.buffer[0].url : null
}

output "buffer_queue_name" {
  description = "Name of the buffer queue (queue mode), or null."
  value       = local.queue_mode ? aws_sqs_queue.buffer[0].name : null
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping (queue mode), or null."
  value       = local.queue_mode ? aws_lambda_event_source_mapping.this[0].uuid : null
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms, by purpose."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.lambda : k => a.alarm_name },
    { for a in aws_cloudwatch_metric_alarm.dlq_depth : "dlq_depth" => a.alarm_name },
    { for a in aws_cloudwatch_metric_alarm.oldest_message_age : "oldest_message_age" => a.alarm_name },
  )
}
