# The reprocess (backfill) workflow: a Standard state machine whose Distributed Map walks a prefix of the images
# bucket (or an S3 Inventory manifest) in batches of `rate` objects a second and sends each upload to the chosen
# consumers' buffer queues (SQS SendMessageBatch, no Lambda of its own), counting per consumer in a small
# DynamoDB table and writing a summary under report_prefix. The definition is state_machine.asl.json, rendered
# with this deployment's names; docs and tools read the same file (tools/reprocess_diagram.py draws it).

locals {
  # Region, account and partition from an ARN this module creates (no data sources, as in the root stack).
  arn_parts         = split(":", aws_dynamodb_table.runs.arn)
  partition         = local.arn_parts[1]
  region            = local.arn_parts[3]
  account           = local.arn_parts[4]
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account}:stateMachine:${var.name}"

  consumer_names = sort(keys(var.consumers))
  targets        = [for name in local.consumer_names : { consumer = name, queue_url = var.consumers[name].queue_url }]

  # Every placeholder of the template sits inside a JSON string, so the file stays valid JSON for the tools; the
  # two lists go in as JSON text (escaped for a JSON string: jsonencode twice, outer quotes trimmed) and are
  # decoded by the state machine itself (States.StringToJson). The decode/encode round trip checks the result
  # is JSON at plan time.
  definition = jsonencode(jsondecode(templatefile("${path.module}/state_machine.asl.json", {
    bucket                               = var.bucket.name
    runs_table                           = aws_dynamodb_table.runs.name
    report_prefix                        = var.report_prefix
    targets_json                         = trim(jsonencode(jsonencode(local.targets)), "\"")
    names_json                           = trim(jsonencode(jsonencode(local.consumer_names)), "\"")
    names_list                           = join(", ", local.consumer_names)
    default_rate                         = tostring(var.default_rate)
    default_tolerated_failure_percentage = tostring(var.default_tolerated_failure_percentage)
    upload_prefix                        = var.upload_prefix
    upload_prefix_url                    = urlencode(var.upload_prefix)
  })))
}

# ---------------------------------------------------------------------------------------------------------------
# Run counters
# ---------------------------------------------------------------------------------------------------------------

# One item per (run, consumer): eligible, sent and skipped objects, added to by every batch (DynamoDB ADD), read
# back for the summary and by `make reprocess` to show progress. A few items per run: no TTL needed.
resource "aws_dynamodb_table" "runs" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb) unless kms_key_arn is set; the table holds counters.
  name                        = "${var.name}-runs"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "run"
  range_key                   = "consumer"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "run"
    type = "S"
  }
  attribute {
    name = "consumer"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------------------------
# State machine
# ---------------------------------------------------------------------------------------------------------------

# Under /aws/vendedlogs/, as AWS recommends for Step Functions (the log delivery's resource policy stays small).
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days); a year of execution logs is a cost the user opts into.
  #checkov:skip=CKV_AWS_158:KMS for logs is optional (log_kms_key_arn); CloudWatch Logs encrypts at rest by default.
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.logging.retention_days
  kms_key_id        = var.logging.kms_key_arn
  tags              = var.tags
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_284:Tracing is tracing_enabled (default true; the root stack passes tracing_mode == "Active"), an expression checkov cannot evaluate through the caller.
  #checkov:skip=CKV_AWS_285:Execution data (states' inputs and outputs: users' object keys) is logged when logging.include_execution_data is set; the level (ERROR by default) is logged always.
  name       = var.name
  role_arn   = aws_iam_role.this.arn
  type       = "STANDARD"
  definition = local.definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = var.logging.include_execution_data
    level                  = var.logging.level
  }

  tracing_configuration {
    enabled = var.tracing_enabled
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition = alltrue([
        for p in concat([var.upload_prefix], var.protected_prefixes) :
        !startswith(var.report_prefix, p) && !startswith(p, var.report_prefix)
      ])
      error_message = "report_prefix must not overlap upload_prefix or protected_prefixes: reports would be read as uploads, or written among outputs."
    }
  }

  # The role's permissions exist before an execution can start.
  depends_on = [aws_iam_role_policy.this]
}
