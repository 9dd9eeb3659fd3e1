output "bucket_name" {
  description = "Images bucket: upload to <upload_prefix><owner>/<file>."
  value       = aws_s3_bucket.images.id
}

output "bucket_arn" {
  description = "ARN of the images bucket."
  value       = aws_s3_bucket.images.arn
}

output "upload_prefix" {
  description = "Key prefix that triggers the pipeline."
  value       = var.upload_prefix
}

output "thumbnail_prefix" {
  description = "Key prefix of the thumbnails (never matched by the upload rules)."
  value       = var.thumbnail_prefix
}

output "metadata_prefix" {
  description = "Key prefix of the metadata documents (never matched by the upload rules)."
  value       = var.metadata_prefix
}

output "results_bus_name" {
  description = "Custom bus carrying the domain events (Thumbnails Generated, Image Metadata Extracted, Image Rejected)."
  value       = aws_cloudwatch_event_bus.results.name
}

output "results_bus_arn" {
  description = "ARN of the results bus."
  value       = aws_cloudwatch_event_bus.results.arn
}

output "idempotency_table_name" {
  description = "DynamoDB table of the Powertools idempotency records."
  value       = module.idempotency.table_name
}

output "search_index_table_name" {
  description = "DynamoDB search index table (hash key pk; GSIs by_owner and by_content_hash; TTL expires_at)."
  value       = aws_dynamodb_table.search_index.name
}

output "search_index_table_arn" {
  description = "ARN of the search index table."
  value       = aws_dynamodb_table.search_index.arn
}

output "function_names" {
  description = "Lambda function names by consumer."
  value       = { for name, c in module.consumer : name => c.function_name }
}

output "buffer_queue_urls" {
  description = "Buffer queue URLs by consumer."
  value       = { for name, c in module.consumer : name => c.buffer_queue_url }
}

output "dlq_urls" {
  description = "Dead-letter queue URLs by consumer."
  value       = { for name, c in module.consumer : name => c.dlq_url }
}

output "consumers" {
  description = "Everything about each consumer: function, role (with required_policy_json, everything the role needs), log group, queues, event source mapping, alarms."
  value = {
    for name, c in module.consumer : name => {
      function_name             = c.function_name
      function_arn              = c.function_arn
      role_name                 = c.role_name
      role_arn                  = c.role_arn
      required_policy_json      = c.required_policy_json
      log_group_name            = c.log_group_name
      buffer_queue_url          = c.buffer_queue_url
      buffer_queue_arn          = c.buffer_queue_arn
      dlq_url                   = c.dlq_url
      dlq_arn                   = c.dlq_arn
      event_source_mapping_uuid = c.event_source_mapping_uuid
      alarm_names               = c.alarm_names
    }
  }
}

output "dashboard_name" {
  description = "Name of the pipeline's CloudWatch dashboard, or null when enable_dashboard is false."
  value       = var.enable_dashboard ? aws_cloudwatch_dashboard.pipeline[0].dashboard_name : null
}

output "rule_names" {
  description = "EventBridge rule names by rule key."
  value       = module.routing.rule_names
}

output "pillow_layer_arn" {
  description = "ARN of the Pillow layer version."
  value       = aws_lambda_layer_version.pillow.arn
}

output "powertools_layer_arn" {
  description = "ARN of the public Powertools layer the functions use, or null when use_public_powertools_layer is false."
  value       = var.use_public_powertools_layer ? local.powertools_layer_arn : null
}

output "artifact_sources" {
  description = "Where each artifact is deployed from, by artifact (image_resizer, metadata_extractor, search_indexer, pillow): filename (artifacts_dir), or s3_bucket, s3_key and s3_object_version (artifacts_s3)."
  value = merge(
    {
      for name, c in module.consumer : name => {
        filename          = c.deployment_package.filename
        s3_bucket         = c.deployment_package.s3_bucket
        s3_key            = c.deployment_package.s3_key
        s3_object_version = c.deployment_package.s3_object_version
      }
    },
    {
      pillow = {
        filename          = aws_lambda_layer_version.pillow.filename
        s3_bucket         = aws_lambda_layer_version.pillow.s3_bucket
        s3_key            = aws_lambda_layer_version.pillow.s3_key
        s3_object_version = aws_lambda_layer_version.pillow.s3_object_version
      }
    },
  )
}
