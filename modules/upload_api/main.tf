locals {
  publish = var.snap_start || var.provisioned_concurrent_executions > 0

  runtime_minor = tonumber(split(".", var.runtime)[1])

  # Conditionals, not coalesce(): only the chosen branch reads the file (see lambda_with_dlq).
  source_code_hash = (
    var.source_code_hash != null ? var.source_code_hash :
    var.filename != null ? filebase64sha256(var.filename) : null
  )

  # What API Gateway invokes: the alias of the published version when SnapStart or provisioned concurrency is on.
  invoke_arn = local.publish ? aws_lambda_alias.this[0].invoke_arn : aws_lambda_function.this.invoke_arn

  image_routes = var.search_index_table == null ? [] : ["GET /images/{id}"]
  route_keys   = concat(["POST /uploads", "DELETE /images/{id}"], local.image_routes)

  bucket_arn = "arn:${local.partition}:s3:::${var.bucket_name}"
  partition  = split(":", aws_cloudwatch_log_group.function.arn)[1]

  environment = merge(
    {
      POWERTOOLS_SERVICE_NAME      = "upload_api"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = var.log_level
      UPLOAD_BUCKET                = var.bucket_name
      UPLOAD_PREFIX                = var.upload_prefix
      MAX_OBJECT_BYTES             = tostring(var.max_object_bytes)
      UPLOAD_URL_EXPIRES_SECONDS   = tostring(var.upload_url_expires_seconds)
    },
    var.search_index_table == null ? {} : {
      SEARCH_INDEX_TABLE            = var.search_index_table.name
      THUMBNAIL_URL_EXPIRES_SECONDS = tostring(var.thumbnail_urls.expires_seconds)
      THUMBNAIL_DOMAIN              = var.thumbnail_urls.cloudfront_domain == null ? "" : var.thumbnail_urls.cloudfront_domain
    },
  )
}

# ---------------------------------------------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway: a failed request is answered, there is no event to keep in a DLQ.
  #checkov:skip=CKV_AWS_117:A VPC adds NAT or endpoint cost without isolating anything: the function only signs and reads S3 and DynamoDB.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile the user owns (lambda_with_dlq offers it for the consumers).
  #checkov:skip=CKV_AWS_115:Reserved concurrency is a variable; the API stage's throttling bounds the request rate.
  #checkov:skip=CKV_AWS_173:Environment variables hold names and limits, no secrets.
  function_name     = var.name
  description       = "Upload API: presigned POSTs into the caller's own folder, the caller's images"
  role              = aws_iam_role.this.arn
  filename          = var.filename
  s3_bucket         = try(var.s3_package.bucket, null)
  s3_key            = try(var.s3_package.key, null)
  s3_object_version = try(var.s3_package.object_version, null)
  source_code_hash  = local.source_code_hash
  handler           = var.handler
  runtime           = var.runtime
  architectures     = [var.architecture]
  memory_size       = var.memory_size
  timeout           = var.timeout
  layers            = var.layers
  publish           = local.publish

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  # The handler registers its warm-up (boto3, the clients, one presign) as a before-snapshot hook.
  dynamic "snap_start" {
    for_each = var.snap_start ? [1] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.function]

  lifecycle {
    precondition {
      condition     = (var.filename == null) != (var.s3_package == null)
      error_message = "Set exactly one of filename (a local zip) and s3_package (a zip in S3)."
    }
    precondition {
      condition     = !(var.snap_start && var.provisioned_concurrent_executions > 0)
      error_message = "snap_start and provisioned_concurrent_executions are alternatives: turn snap_start off to use provisioned concurrency."
    }
    precondition {
      condition     = !var.snap_start || local.runtime_minor >= 12
      error_message = "SnapStart for Python needs python3.12 or later: raise runtime or set snap_start = false."
    }
  }
}

resource "aws_lambda_alias" "this" {
  count = local.publish ? 1 : 0

  name             = var.alias_name
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_provisioned_concurrency_config" "this" {
  count = var.provisioned_concurrent_executions > 0 ? 1 : 0

  function_name                     = aws_lambda_function.this.function_name
  qualifier                         = aws_lambda_alias.this[0].name
  provisioned_concurrent_executions = var.provisioned_concurrent_executions
}

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days).
  #checkov:skip=CKV_AWS_158:KMS for logs is optional (log_kms_key_arn); CloudWatch Logs encrypts at rest by default.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# ---------------------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = "Upload API of ${var.bucket_name}: signed uploads into each caller's own folder"
  protocol_type = "HTTP"

  # API Gateway answers preflight requests itself and adds these headers to every response.
  dynamic "cors_configuration" {
    for_each = length(var.cors_allowed_origins) == 0 ? [] : [1]
    content {
      allow_origins = var.cors_allowed_origins
      allow_methods = ["DELETE", "GET", "POST"]
      allow_headers = ["authorization", "content-type"]
      max_age       = var.cors_max_age_seconds
    }
  }

  tags = var.tags
}

# Tokens of an OIDC issuer (Cognito: https://cognito-idp.<region>.amazonaws.com/<pool id>, audience the app
# client id): API Gateway reads the issuer's JWKS from <issuer>/.well-known/openid-configuration and checks
# signature, iss, aud (or client_id), exp, nbf and iat before the function runs.
resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_integration" "function" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = local.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = min(30000, var.timeout * 1000 + 1000)
}

resource "aws_apigatewayv2_route" "this" {
  for_each = toset(local.route_keys)

  api_id               = aws_apigatewayv2_api.this.id
  route_key            = each.value
  target               = "integrations/${aws_apigatewayv2_integration.function.id}"
  authorization_type   = "JWT"
  authorizer_id        = aws_apigatewayv2_authorizer.jwt.id
  authorization_scopes = length(var.authorization_scopes) == 0 ? null : var.authorization_scopes
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling.burst_limit
    throttling_rate_limit  = var.throttling.rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId    = "$context.requestId"
      ip           = "$context.identity.sourceIp"
      requestTime  = "$context.requestTime"
      routeKey     = "$context.routeKey"
      status       = "$context.status"
      latency      = "$context.responseLatency"
      sub          = "$context.authorizer.claims.sub"
      authorizer   = "$context.authorizer.error"
      integration  = "$context.integrationErrorMessage"
      responseSize = "$context.responseLength"
    })
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days).
  #checkov:skip=CKV_AWS_158:KMS for logs is optional (log_kms_key_arn); CloudWatch Logs encrypts at rest by default.
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# ---------------------------------------------------------------------------------------------------------------
# Bucket
# ---------------------------------------------------------------------------------------------------------------

# Browsers post the upload form straight to S3 from the web origins; thumbnails are plain GETs (no CORS needed
# for <img>). One configuration per bucket: manage_bucket_cors = false when the bucket's owner writes it.
resource "aws_s3_bucket_cors_configuration" "uploads" {
  count = var.manage_bucket_cors && length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = var.bucket_name

  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag", "Location"]
    max_age_seconds = var.cors_max_age_seconds
  }
}
