# The upload API on its own: a bucket whose uploads/ takes writes only through the API's presigned POSTs, and a
# Cognito user pool whose app client's tokens the API accepts. `make build` first (dist/functions/upload_api.zip).
provider "aws" {
  region = var.aws_region
}

locals {
  issuer = "https://cognito-idp.${var.aws_region}.amazonaws.com/${aws_cognito_user_pool.users.id}"
}

resource "aws_s3_bucket" "uploads" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket; out of scope for an example.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice.
  #checkov:skip=CKV_AWS_145:SSE-S3 keeps access in IAM alone.
  #checkov:skip=CKV2_AWS_61:Lifecycle rules are the pipeline's (root stack); this example holds uploads only.
  #checkov:skip=CKV2_AWS_62:Event notifications are the pipeline's (root stack); this example has no consumers.
  bucket_prefix = "${var.name}-"
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# The bucket's own statement (TLS only) and the API's (uploads/ only through its signed POSTs), in one policy.
resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }],
      jsondecode(module.upload_api.bucket_policy_json).Statement,
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.uploads]
}

resource "aws_cognito_user_pool" "users" {
  name = "${var.name}-users"

  password_policy {
    minimum_length = 12
  }
}

resource "aws_cognito_user_pool_client" "web" {
  name         = "${var.name}-web"
  user_pool_id = aws_cognito_user_pool.users.id
}

module "upload_api" {
  source = "../../modules/upload_api"

  name     = var.name
  filename = var.function_zip
  layers   = ["arn:aws:lambda:${var.aws_region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"]

  bucket_name          = aws_s3_bucket.uploads.id
  jwt_issuer           = local.issuer
  jwt_audience         = [aws_cognito_user_pool_client.web.id]
  cors_allowed_origins = var.web_origins
}
