output "api_endpoint" {
  description = "POST <api_endpoint>/uploads with a Cognito token of the web client."
  value       = module.upload_api.api_endpoint
}

output "bucket_name" {
  description = "The uploads bucket: uploads/<sub>/<uuid>.<ext>, written only through the API's presigned POSTs."
  value       = aws_s3_bucket.uploads.id
}

output "jwt_issuer" {
  description = "The issuer the API's authorizer trusts (the Cognito user pool)."
  value       = local.issuer
}

output "jwt_audience" {
  description = "The audience the API's authorizer accepts (the web app client id)."
  value       = aws_cognito_user_pool_client.web.id
}
