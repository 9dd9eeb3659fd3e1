output "api_endpoint" {
  description = "Base URL of the API's $default stage (POST <endpoint>/uploads)."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API (for more Lambda permissions or IAM policies)."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "route_keys" {
  description = "The routes, each behind the JWT authorizer."
  value       = sort(local.route_keys)
}

output "authorizer_id" {
  description = "ID of the JWT authorizer."
  value       = aws_apigatewayv2_authorizer.jwt.id
}

output "function_name" {
  description = "Name of the API's function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the API's function."
  value       = aws_lambda_function.this.arn
}

output "invoke_target_arn" {
  description = "ARN API Gateway invokes: the alias when versions are published (SnapStart, provisioned concurrency), otherwise the function."
  value       = local.publish ? aws_lambda_alias.this[0].arn : aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's role: the only principal bucket_policy_json lets write to the upload prefix (besides direct_upload_principal_arns)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's role."
  value       = aws_iam_role.this.name
}

output "role_policy_json" {
  description = "The role's inline policy (JSON)."
  value       = aws_iam_role_policy.this.policy
}

output "bucket_policy_json" {
  description = "A bucket policy document (JSON) with the statements that allow writes to the upload prefix only through this API's presigned POSTs: merge it into the bucket's policy (source_policy_documents of aws_iam_policy_document, or concat the Statement lists)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.bucket_policy_statements })
}

output "log_group_names" {
  description = "The function's and the API's access log groups."
  value       = { function = aws_cloudwatch_log_group.function.name, access = aws_cloudwatch_log_group.access.name }
}
