# Offline: a mocked aws provider plans and applies in memory, with ARNs the provider accepts.
mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/uploads-role"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/uploads"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:uploads"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:uploads/invocations"
      version    = "1"
    }
  }
  mock_resource "aws_lambda_alias" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:uploads:live"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:uploads:live/invocations"
    }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "a1b2c3d4e5"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
      api_endpoint  = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    }
  }
  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      invoke_url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/"
    }
  }
}

variables {
  name         = "uploads"
  filename     = "tests/fixtures/handler.zip"
  bucket_name  = "images-bucket"
  jwt_issuer   = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
  jwt_audience = ["4hfl5cv2example"]
}

run "defaults_snapstart_jwt_routes" {
  assert {
    condition     = aws_lambda_function.this.snap_start[0].apply_on == "PublishedVersions" && aws_lambda_function.this.publish
    error_message = "SnapStart is on by default, on published versions."
  }
  assert {
    condition     = aws_apigatewayv2_integration.function.integration_uri == aws_lambda_alias.this[0].invoke_arn
    error_message = "With SnapStart, API Gateway invokes the alias of the published version (SnapStart never applies to $LATEST)."
  }
  assert {
    condition     = aws_lambda_permission.api.qualifier == "live" && aws_lambda_permission.api.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/*"
    error_message = "The invoke permission is for the alias, from this API only."
  }
  assert {
    condition     = length(aws_lambda_provisioned_concurrency_config.this) == 0
    error_message = "No provisioned concurrency by default."
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.authorizer_type == "JWT" && aws_apigatewayv2_authorizer.jwt.identity_sources == toset(["$request.header.Authorization"])
    error_message = "A JWT authorizer reads the Authorization header."
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer == var.jwt_issuer && aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].audience == toset(var.jwt_audience)
    error_message = "Issuer and audience come from the variables."
  }
  assert {
    condition     = toset(keys(aws_apigatewayv2_route.this)) == toset(["POST /uploads", "DELETE /images/{id}"])
    error_message = "Without a search index there is no GET route."
  }
  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.this : r.authorization_type == "JWT" && r.authorizer_id == aws_apigatewayv2_authorizer.jwt.id])
    error_message = "Every route is behind the JWT authorizer."
  }
  assert {
    condition     = aws_apigatewayv2_integration.function.payload_format_version == "2.0" && aws_apigatewayv2_integration.function.integration_type == "AWS_PROXY"
    error_message = "A Lambda proxy integration with payload 2.0 (what the Powertools resolver reads)."
  }
  assert {
    condition     = length(aws_apigatewayv2_api.this.cors_configuration) == 0 && length(aws_s3_bucket_cors_configuration.uploads) == 0
    error_message = "No CORS without web origins."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["UPLOAD_BUCKET"] == "images-bucket" && aws_lambda_function.this.environment[0].variables["MAX_OBJECT_BYTES"] == "52428800" && aws_lambda_function.this.environment[0].variables["UPLOAD_URL_EXPIRES_SECONDS"] == "300"
    error_message = "The function learns the bucket, the size limit and the expiry from its environment."
  }
  assert {
    condition     = aws_apigatewayv2_stage.default.name == "$default" && aws_apigatewayv2_stage.default.auto_deploy && aws_apigatewayv2_stage.default.default_route_settings[0].throttling_rate_limit == 25
    error_message = "One auto-deployed $default stage, throttled."
  }
}

run "least_privilege_role" {
  command = plan

  variables {
    search_index_table = { name = "images-search-index", arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/images-search-index" }
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SignUploadPosts"]) == {
      Sid       = "SignUploadPosts", Effect = "Allow", Action = ["s3:PutObject"], Resource = ["arn:aws:s3:::images-bucket/uploads/*"]
      Condition = { StringEquals = { "s3:authType" = "POST" } }
    }
    error_message = "The role may put objects under uploads/ only by POST (the signed form), nowhere else."
  }
  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action])) == toset(["logs:CreateLogStream", "logs:PutLogEvents", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "dynamodb:GetItem", "s3:GetObject", "xray:PutTelemetryRecords", "xray:PutTraceSegments"])
    error_message = "Exactly the actions of lambda_src/upload_api/permissions.py plus logs and traces."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "SignThumbnailGets"]) == ["arn:aws:s3:::images-bucket/thumbnails/*"]
    error_message = "Thumbnail GETs are signed for the thumbnail prefix only."
  }
  assert {
    condition     = toset(keys(aws_apigatewayv2_route.this)) == toset(["POST /uploads", "GET /images/{id}", "DELETE /images/{id}"])
    error_message = "With a search index, GET /images/{id} is routed too."
  }
}

run "bucket_policy_and_cors" {
  variables {
    cors_allowed_origins         = ["https://app.example.com"]
    direct_upload_principal_arns = ["arn:aws:iam::123456789012:role/migration"]
  }

  assert {
    condition = one([for s in jsondecode(output.bucket_policy_json).Statement : s if s.Sid == "DenyUploadsExceptSignedPosts"]).Condition == {
      ArnNotEquals = { "aws:PrincipalArn" = ["arn:aws:iam::123456789012:role/uploads-role", "arn:aws:iam::123456789012:role/migration"] }
    }
    error_message = "Writes to uploads/ are denied to everyone but the API's role and the listed direct writers."
  }
  assert {
    condition = one([for s in jsondecode(output.bucket_policy_json).Statement : s if s.Sid == "DenyUploadApiWritesOtherThanPost"]).Condition == {
      ArnEquals = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/uploads-role" }, StringNotEquals = { "s3:authType" = "POST" }
    }
    error_message = "The API's role writes only through signed POSTs."
  }
  assert {
    condition     = aws_apigatewayv2_api.this.cors_configuration[0].allow_origins == toset(["https://app.example.com"])
    error_message = "The API allows the web origins."
  }
  assert {
    condition     = tolist(aws_s3_bucket_cors_configuration.uploads[0].cors_rule)[0].allowed_methods == toset(["POST"]) && tolist(aws_s3_bucket_cors_configuration.uploads[0].cors_rule)[0].allowed_origins == toset(["https://app.example.com"])
    error_message = "The bucket accepts the form POST from the web origins only."
  }
}

run "provisioned_concurrency_instead" {
  variables {
    snap_start                        = false
    provisioned_concurrent_executions = 2
  }

  assert {
    condition     = length(aws_lambda_function.this.snap_start) == 0 && aws_lambda_provisioned_concurrency_config.this[0].provisioned_concurrent_executions == 2
    error_message = "Provisioned concurrency is the alternative to SnapStart."
  }
  assert {
    condition     = aws_apigatewayv2_integration.function.integration_uri == aws_lambda_alias.this[0].invoke_arn
    error_message = "Provisioned concurrency lives on the alias, which API Gateway invokes."
  }
}

run "neither_invokes_latest" {
  variables {
    snap_start = false
  }

  assert {
    condition     = !aws_lambda_function.this.publish && length(aws_lambda_alias.this) == 0 && aws_apigatewayv2_integration.function.integration_uri == aws_lambda_function.this.invoke_arn
    error_message = "Without SnapStart or provisioned concurrency, API Gateway invokes the function itself."
  }
}

run "snapstart_and_provisioned_concurrency_exclude_each_other" {
  command = plan
  variables {
    provisioned_concurrent_executions = 1
  }
  expect_failures = [aws_lambda_function.this]
}

run "snapstart_needs_python_312" {
  command = plan
  variables {
    runtime = "python3.11"
  }
  expect_failures = [aws_lambda_function.this]
}

run "issuer_must_be_https" {
  command = plan
  variables {
    jwt_issuer = "http://issuer.example.com"
  }
  expect_failures = [var.jwt_issuer]
}

run "loopback_issuer_for_emulators" {
  command = plan
  variables {
    jwt_issuer = "http://127.0.0.1:8123"
  }
}

run "origins_are_origins" {
  command = plan
  variables {
    cors_allowed_origins = ["https://app.example.com/upload"]
  }
  expect_failures = [var.cors_allowed_origins]
}

run "audience_required" {
  command = plan
  variables {
    jwt_audience = []
  }
  expect_failures = [var.jwt_audience]
}
