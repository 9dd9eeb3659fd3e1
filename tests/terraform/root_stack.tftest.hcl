# The root stack's wiring, offline: `terraform test -test-directory=tests/terraform` from the repository root
# (tools/terraform/check.sh runs it). Fixture zips stand in for `make build`.
mock_provider "aws" {
  mock_resource "aws_cloudwatch_event_bus" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:event-bus/image-pipeline-results"
    }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/mock"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::images-bucket"
      id  = "images-bucket"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mock-role"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:mock-queue"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mock-queue"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mock"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock/invocations"
      version    = "$LATEST"
    }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-1:123456789012:layer:image-pipeline-pillow:1"
    }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mock"
    }
  }
}

variables {
  artifacts_dir = "tests/terraform/fixtures/dist"
}

run "defaults" {
  assert {
    condition     = module.consumer["image_resizer"].function_name == "image-pipeline-image-resizer"
    error_message = "Function names are prefix + consumer."
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer : c.event_source_mapping_uuid != null
    ])
    error_message = "Every consumer runs in queue mode."
  }
  assert {
    condition = (
      jsondecode(module.routing.event_patterns["image-resizer-uploads"]).detail.object.key[0].prefix == "uploads/" &&
      jsondecode(module.routing.event_patterns["image-resizer-uploads"])["detail-type"] == ["Object Created"] &&
      jsondecode(module.routing.event_patterns["image-resizer-uploads"]).detail.bucket.name == ["images-bucket"]
    )
    error_message = "The resizer's rule matches Object Created under uploads/ of this bucket only."
  }
  assert {
    condition     = jsondecode(module.routing.event_patterns["search-indexer-uploads"])["detail-type"] == ["Object Created", "Object Deleted"]
    error_message = "The indexer also receives deletions."
  }
  assert {
    condition = (
      jsondecode(module.routing.event_patterns["search-indexer-results"]).source == ["image-pipeline"] &&
      length(jsondecode(module.routing.event_patterns["search-indexer-results"])["detail-type"]) == 3
    )
    error_message = "The indexer receives the three domain events."
  }
  assert {
    condition     = length(module.routing.archive_arns) == 0 && length(aws_schemas_discoverer.results) == 0
    error_message = "No archive and no schema discovery by default."
  }
  assert {
    condition     = output.powertools_layer_arn == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:${var.powertools_layer_version}"
    error_message = "The public Powertools layer follows region, runtime and architecture."
  }
  assert {
    condition     = aws_s3_bucket_notification.images.eventbridge && aws_s3_bucket_versioning.images.versioning_configuration[0].status == "Enabled"
    error_message = "The bucket is versioned and sends its events to EventBridge."
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.images.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "The bucket denies requests without TLS."
  }
}

run "environment_and_iam_follow_the_contracts" {
  assert {
    condition     = module.consumer["image_resizer"].environment_variables["THUMBNAIL_SIZES"] == "512,256,128,64" && module.consumer["image_resizer"].environment_variables["THUMBNAIL_FORMAT"] == "webp"
    error_message = "Resizer settings."
  }
  assert {
    condition     = module.consumer["metadata_extractor"].environment_variables["INCLUDE_GPS_COORDINATES"] == "false"
    error_message = "GPS coordinates are off by default."
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer :
      c.environment_variables["POWERTOOLS_SERVICE_NAME"] == name && c.environment_variables["DLQ_URL"] == c.dlq_url && c.environment_variables["IDEMPOTENCY_TTL_SECONDS"] == "86400"
    ])
    error_message = "Every consumer knows its service name, its own DLQ and the idempotency TTL."
  }
  assert {
    condition     = !contains(keys(module.consumer["search_indexer"].environment_variables), "RESULTS_BUS_NAME")
    error_message = "The indexer publishes no domain events."
  }
  assert {
    condition = flatten([
      for s in jsondecode(module.consumer["image_resizer"].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:PutObject")
    ]) == ["arn:aws:s3:::images-bucket/thumbnails/*"]
    error_message = "The resizer writes thumbnails only."
  }
  assert {
    condition = flatten([
      for s in jsondecode(module.consumer["metadata_extractor"].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:PutObject")
    ]) == ["arn:aws:s3:::images-bucket/metadata/*"]
    error_message = "The extractor writes metadata only."
  }
  assert {
    condition = alltrue([
      for name in ["image_resizer", "metadata_extractor"] : flatten([
        for s in jsondecode(module.consumer[name].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:GetObject")
      ]) == ["arn:aws:s3:::images-bucket/uploads/*"]
    ])
    error_message = "The image consumers read uploads only."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(module.consumer["search_indexer"].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:DeleteObject")
    ])) == toset(["arn:aws:s3:::images-bucket/thumbnails/*", "arn:aws:s3:::images-bucket/metadata/*"])
    error_message = "The indexer deletes outputs only, never uploads."
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer : !contains(flatten([for s in jsondecode(c.role_policy_json).Statement : s.Action]), "s3:*")
    ])
    error_message = "No consumer gets s3:*."
  }
}

run "emulator_switches" {
  variables {
    event_source_mapping_enabled = false
    use_public_powertools_layer  = false
    enable_results_archive       = true
  }
  assert {
    condition     = output.powertools_layer_arn == null
    error_message = "No public layer when switched off."
  }
  assert {
    condition     = length(module.routing.archive_arns) == 1
    error_message = "The results archive is created on request."
  }
}

run "overlapping_prefixes_are_rejected" {
  command = plan
  variables {
    thumbnail_prefix = "uploads/thumbs/"
  }
  expect_failures = [aws_s3_bucket.images]
}
