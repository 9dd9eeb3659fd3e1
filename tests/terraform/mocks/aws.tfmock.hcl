# Computed attributes of the aws provider's resources for terraform test's mock providers: a bare mock yields
# random strings that the provider rejects as ARNs. Shared by tests/terraform/root_stack.tftest.hcl and the
# examples' tests (mock_provider "aws" { source = "<path to this directory>" }).
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
mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock:live/invocations"
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
