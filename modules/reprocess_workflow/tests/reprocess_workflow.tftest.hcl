# The module's wiring, offline (mock provider): the rendered definition, the role's scope, the input checks.
mock_provider "aws" {
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/reprocess-runs"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/reprocess-role"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/reprocess"
    }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = {
      arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:reprocess"
    }
  }
}

variables {
  name   = "reprocess"
  bucket = { name = "images-bucket", arn = "arn:aws:s3:::images-bucket" }
  consumers = {
    image_resizer      = { queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/resizer-buffer", queue_arn = "arn:aws:sqs:eu-west-1:123456789012:resizer-buffer" }
    metadata_extractor = { queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/extractor-buffer", queue_arn = "arn:aws:sqs:eu-west-1:123456789012:extractor-buffer" }
  }
  protected_prefixes = ["thumbnails/", "metadata/"]
}

run "defaults" {
  assert {
    condition     = aws_sfn_state_machine.this.type == "STANDARD" && aws_sfn_state_machine.this.definition == output.definition
    error_message = "A Standard state machine deploying the rendered definition."
  }
  assert {
    condition = (
      strcontains(output.definition, "resizer-buffer") && strcontains(output.definition, "extractor-buffer") &&
      !strcontains(output.definition, "$${")
    )
    error_message = "Every placeholder is filled in, with each consumer's buffer queue."
  }
  assert {
    condition     = jsondecode(output.definition).StartAt == jsondecode(file("${path.module}/state_machine.asl.json")).StartAt
    error_message = "The rendered definition is state_machine.asl.json (what the docs' diagram is drawn from)."
  }
  assert {
    condition = (
      toset(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SendToBufferQueues"]).Resource) ==
      toset(["arn:aws:sqs:eu-west-1:123456789012:extractor-buffer", "arn:aws:sqs:eu-west-1:123456789012:resizer-buffer"])
    )
    error_message = "The role sends to the chosen consumers' buffer queues only."
  }
  assert {
    condition = (
      one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ListUploads"]).Condition.StringLike["s3:prefix"] == ["uploads/*"] &&
      one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WriteReports"]).Resource == ["arn:aws:s3:::images-bucket/reprocess/*"]
    )
    error_message = "The role lists the upload prefix and writes under report_prefix only."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadInventory"]) == 0
    error_message = "No inventory reads unless an inventory location is configured."
  }
  assert {
    condition     = aws_dynamodb_table.runs.hash_key == "run" && aws_dynamodb_table.runs.range_key == "consumer"
    error_message = "One counter item per (run, consumer)."
  }
  assert {
    condition     = output.report_location == { bucket = "images-bucket", prefix = "reprocess/" }
    error_message = "Reports go under reprocess/ of the images bucket."
  }
}

run "inventory_can_be_read_when_configured" {
  variables {
    inventory = { bucket_arn = "arn:aws:s3:::inventory-bucket", prefix = "images/" }
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadInventory"]).Resource == ["arn:aws:s3:::inventory-bucket/images/*"]
    error_message = "The role reads the inventory location only."
  }
}

run "invalid_inputs_fail_validation" {
  command = plan
  variables {
    name                                 = "has spaces"
    default_rate                         = 0
    default_tolerated_failure_percentage = 101
    consumers                            = {}
    upload_prefix                        = "uploads/*/"
  }
  expect_failures = [var.name, var.default_rate, var.default_tolerated_failure_percentage, var.consumers, var.upload_prefix]
}

run "reports_among_outputs_are_rejected" {
  command = plan
  variables {
    report_prefix = "thumbnails/"
  }
  expect_failures = [aws_sfn_state_machine.this]
}
