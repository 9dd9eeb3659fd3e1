# The front door (var.upload_api): an HTTP API with a JWT authorizer whose function hands each signed-in user a
# presigned POST into their own folder, <upload_prefix><sub>/<uuid>.<ext>, and serves their own images. Its
# bucket policy statements join the TLS-only policy in main.tf, so the upload prefix takes writes only through
# those POSTs; it writes the bucket's CORS configuration for the upload page's origins.
locals {
  upload_api_enabled = var.upload_api != null
}

module "upload_api" {
  source = "./modules/upload_api"
  count  = local.upload_api_enabled ? 1 : 0

  name = "${var.name_prefix}-upload-api"
  tags = var.tags

  filename           = local.artifacts_from_s3 ? null : "${local.artifacts_dir}/${local.artifact_paths.upload_api}"
  s3_package         = local.artifacts_from_s3 ? { bucket = local.artifact_s3.upload_api.bucket, key = local.artifact_s3.upload_api.key, object_version = local.artifact_s3.upload_api.object_version } : null
  source_code_hash   = local.artifacts_from_s3 ? local.artifact_s3.upload_api.source_code_hash : null
  runtime            = coalesce(var.upload_api.runtime, var.lambda_runtime)
  architecture       = var.lambda_architecture
  memory_size        = var.upload_api.memory_size
  layers             = concat(local.powertools_layers, var.extra_layer_arns)
  tracing_mode       = var.tracing_mode
  log_level          = var.log_level
  metrics_namespace  = var.metrics_namespace
  log_retention_days = var.log_retention_days

  snap_start                        = var.upload_api.snap_start
  provisioned_concurrent_executions = var.upload_api.provisioned_concurrent_executions

  jwt_issuer           = var.upload_api.jwt_issuer
  jwt_audience         = var.upload_api.jwt_audience
  authorization_scopes = var.upload_api.authorization_scopes
  cors_allowed_origins = var.upload_api.cors_allowed_origins
  throttling           = var.upload_api.throttling

  bucket_name                = aws_s3_bucket.images.id
  upload_prefix              = var.upload_prefix
  thumbnail_prefix           = var.thumbnail_prefix
  max_object_bytes           = var.max_object_bytes
  upload_url_expires_seconds = var.upload_api.upload_url_expires_seconds
  search_index_table         = { name = aws_dynamodb_table.search_index.name, arn = aws_dynamodb_table.search_index.arn }
  thumbnail_urls             = { cloudfront_domain = var.upload_api.thumbnail_cloudfront_domain }

  direct_upload_principal_arns = var.upload_api.direct_upload_principal_arns
  role_path                    = var.iam.role_path
  role_permissions_boundary    = var.iam.role_permissions_boundary
}
