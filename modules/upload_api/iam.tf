# The function's role and what it holds: exactly the actions of lambda_src/upload_api/permissions.py
# (tests/integration compares the deployed role with it); the permission API Gateway invokes it with; and the
# bucket policy statements (bucket_policy_json) that make this role's signed POSTs the only way into uploads/.
locals {
  upload_objects = "${local.bucket_arn}/${var.upload_prefix}*"

  statements = concat(
    [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.function.arn}:*"]
      },
      {
        # Presigned POSTs are signed with this role: S3 checks s3:PutObject when the browser posts the form.
        # Only by POST: the function itself can never put an object (it signs; the client uploads).
        Sid       = "SignUploadPosts"
        Effect    = "Allow"
        Action    = ["s3:PutObject"]
        Resource  = [local.upload_objects]
        Condition = { StringEquals = { "s3:authType" = "POST" } }
      },
      {
        # DELETE /images/{id}: is the key there (a listing of that one key's name), then a delete marker.
        Sid       = "ListOwnKey"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [local.bucket_arn]
        Condition = { StringLike = { "s3:prefix" = ["${var.upload_prefix}*"] } }
      },
      {
        Sid      = "DeleteUploads"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = [local.upload_objects]
      },
    ],
    var.search_index_table == null ? [] : [
      {
        # GET /images/{id}: the caller's record (one item by key; no queries) and presigned thumbnail GETs.
        Sid      = "ReadImageRecords"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = [var.search_index_table.arn]
      },
      {
        Sid      = "SignThumbnailGets"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.bucket_arn}/${var.thumbnail_prefix}*"]
      },
    ],
    var.tracing_mode == "Active" ? [{
      # X-Ray's write APIs have no resource-level permissions.
      Sid      = "WriteTraces"
      Effect   = "Allow"
      Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      Resource = ["*"]
    }] : [],
  )

  # For the bucket's policy (the caller owns it and merges these in): writes under the upload prefix only by
  # this role, only by POST; direct_upload_principal_arns keep direct writes (e.g. a migration role).
  bucket_policy_statements = [
    {
      Sid       = "DenyUploadsExceptSignedPosts"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:PutObject"
      Resource  = local.upload_objects
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = concat([aws_iam_role.this.arn], var.direct_upload_principal_arns) } }
    },
    {
      Sid       = "DenyUploadApiWritesOtherThanPost"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:PutObject"
      Resource  = local.upload_objects
      Condition = {
        ArnEquals       = { "aws:PrincipalArn" = aws_iam_role.this.arn }
        StringNotEquals = { "s3:authType" = "POST" }
      }
    },
  ]
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-role"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}

# API Gateway may invoke the function (or its alias) from this API's routes only.
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = local.publish ? aws_lambda_alias.this[0].name : null
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
