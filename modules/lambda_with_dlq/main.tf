locals {
  queue_mode = var.invocation_mode == "queue"
  publish    = var.provisioned_concurrent_executions > 0 || var.snap_start

  # The buffer's visibility timeout: AWS *recommends* at least 6x the function timeout (room for the poller to
  # retry a throttled batch before the message reappears), which is the default; a lower explicit value only
  # warns (check block below). AWS *enforces* at least the function timeout (CreateEventSourceMapping fails
  # otherwise), which is a precondition.
  visibility_timeout = coalesce(var.queue.visibility_timeout_seconds, 6 * var.timeout)

  runtime_minor = tonumber(split(".", var.runtime)[1])

  # Conditionals, not coalesce(): a function's arguments are all evaluated, so coalesce() read the file (and
  # failed when it was missing) even when a hash was given; only the chosen branch of a conditional counts.
  # A package in S3 without a hash is redeployed when its key or object version changes.
  source_code_hash = (
    var.source_code_hash != null ? var.source_code_hash :
    var.filename != null ? filebase64sha256(var.filename) : null
  )

  # What events and the event source mapping invoke: the alias when versions are published.
  invoke_target_arn = local.publish ? aws_lambda_alias.this[0].arn : aws_lambda_function.this.arn
}

# ---------------------------------------------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:A VPC is optional (vpc_config): the consumers only call AWS APIs, and a VPC adds NAT or endpoint cost without isolating anything.
  #checkov:skip=CKV_AWS_272:Code signing is optional (code_signing_config_arn): it needs a signing profile the user owns.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is a variable; a default would fail on new accounts whose unreserved pool is at the minimum of 10.
  #checkov:skip=CKV_AWS_173:Environment variables hold names and limits, no secrets; a customer key is optional (kms_key_arn).
  function_name                  = var.function_name
  description                    = var.description
  role                           = local.role_arn
  filename                       = var.filename
  s3_bucket                      = try(var.s3_package.bucket, null)
  s3_key                         = try(var.s3_package.key, null)
  s3_object_version              = try(var.s3_package.object_version, null)
  source_code_hash               = local.source_code_hash
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  layers                         = var.layers
  kms_key_arn                    = var.kms_key_arn
  reserved_concurrent_executions = var.reserved_concurrent_executions
  publish                        = local.publish
  code_signing_config_arn        = var.code_signing_config_arn

  environment {
    variables = merge(var.environment_variables, { DLQ_URL = aws_sqs_queue.dlq.url })
  }

  tracing_config {
    mode = var.tracing_mode
  }

  # Failed asynchronous invocations land in the same DLQ as the handler's permanent failures.
  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  # Advanced logging controls (JSON logs, level filtering) into the module's log group.
  dynamic "logging_config" {
    for_each = var.logging == null ? [] : [var.logging]
    content {
      log_format            = logging_config.value.log_format
      log_group             = aws_cloudwatch_log_group.this.name
      application_log_level = logging_config.value.application_log_level
      system_log_level      = logging_config.value.system_log_level
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  dynamic "snap_start" {
    for_each = var.snap_start ? [1] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

  tags = var.tags

  # The role's policy must exist before the first invocation, and the log group before the first log line
  # (otherwise Lambda creates it without retention).
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]

  lifecycle {
    precondition {
      condition     = var.create_role == (var.existing_role_arn == null)
      error_message = "Set existing_role_arn exactly when create_role = false."
    }
    precondition {
      condition     = var.create_role || (var.role_path == "/" && var.role_permissions_boundary == null && length(var.role_managed_policy_arns) == 0)
      error_message = "role_path, role_permissions_boundary and role_managed_policy_arns configure the role this module creates; with create_role = false, set them on your role instead."
    }
    precondition {
      condition     = (var.filename == null) != (var.s3_package == null)
      error_message = "Set exactly one of filename (a local zip) and s3_package (a zip in S3)."
    }
    precondition {
      condition     = !(var.snap_start && var.provisioned_concurrent_executions > 0)
      error_message = "snap_start and provisioned_concurrent_executions are mutually exclusive."
    }
    precondition {
      condition     = !var.snap_start || local.runtime_minor >= 12
      error_message = "SnapStart for Python needs python3.12 or later."
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

# ---------------------------------------------------------------------------------------------------------------
# Log group
# ---------------------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days); a year of debug logs is a cost the user opts into.
  #checkov:skip=CKV_AWS_158:KMS for logs is optional (log_kms_key_arn); CloudWatch Logs encrypts at rest by default.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# ---------------------------------------------------------------------------------------------------------------
# Queues
# ---------------------------------------------------------------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.function_name}-dlq"
  message_retention_seconds         = 1209600 # 14 days, the SQS maximum: time to investigate and redrive
  sqs_managed_sse_enabled           = var.sqs_kms_master_key_id == null ? true : null
  kms_master_key_id                 = var.sqs_kms_master_key_id
  kms_data_key_reuse_period_seconds = var.sqs_kms_master_key_id == null ? null : 300
  tags                              = var.tags
}

resource "aws_sqs_queue" "buffer" {
  count = local.queue_mode ? 1 : 0

  name                              = "${var.function_name}-buffer"
  visibility_timeout_seconds        = local.visibility_timeout
  message_retention_seconds         = var.queue.message_retention_seconds
  sqs_managed_sse_enabled           = var.sqs_kms_master_key_id == null ? true : null
  kms_master_key_id                 = var.sqs_kms_master_key_id
  kms_data_key_reuse_period_seconds = var.sqs_kms_master_key_id == null ? null : 300
  # Inline rather than a separate aws_sqs_queue_redrive_policy: a second SetQueueAttributes racing the routing
  # module's queue policy on the same queue was seen to lose the redrive policy (on the emulator).
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.queue.max_receive_count
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.visibility_timeout >= var.timeout
      error_message = "queue.visibility_timeout_seconds (${local.visibility_timeout} s) must be at least the function timeout (${var.timeout} s): AWS rejects the event source mapping otherwise."
    }
  }
}

# A warning, not an error: 6x is AWS's recommendation for SQS event source mappings. Below it, a batch that
# Lambda throttles or retries may become visible again while still in flight, and be processed twice (the
# consumers are idempotent, so this costs time, not correctness).
check "buffer_visibility_timeout" {
  assert {
    # (Below the function timeout the buffer's precondition fails instead.)
    condition     = !local.queue_mode || local.visibility_timeout < var.timeout || local.visibility_timeout >= 6 * var.timeout
    error_message = "queue.visibility_timeout_seconds (${local.visibility_timeout} s) is below 6x the function timeout (${6 * var.timeout} s), AWS's recommendation for SQS event source mappings: throttled or retried batches may be delivered twice."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Invocation
# ---------------------------------------------------------------------------------------------------------------

resource "aws_lambda_event_source_mapping" "this" {
  count = local.queue_mode ? 1 : 0

  event_source_arn                   = aws_sqs_queue.buffer[0].arn
  function_name                      = local.invoke_target_arn
  enabled                            = var.queue.event_source_mapping_enabled
  batch_size                         = var.queue.batch_size
  maximum_batching_window_in_seconds = var.queue.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  tags                               = var.tags

  dynamic "scaling_config" {
    for_each = var.queue.maximum_concurrency == null ? [] : [var.queue.maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }

  # Lambda deletes the messages that match none of the patterns, without invoking the function.
  dynamic "filter_criteria" {
    for_each = length(var.queue.filter_patterns) == 0 ? [] : [var.queue.filter_patterns]
    content {
      dynamic "filter" {
        for_each = filter_criteria.value
        content {
          pattern = filter.value
        }
      }
    }
  }

  dynamic "metrics_config" {
    for_each = length(var.queue.metrics) == 0 ? [] : [var.queue.metrics]
    content {
      metrics = metrics_config.value
    }
  }

  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy.consume_buffer]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count = local.queue_mode ? 0 : 1

  function_name                = aws_lambda_function.this.function_name
  qualifier                    = local.publish ? aws_lambda_alias.this[0].name : null
  maximum_retry_attempts       = var.async.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq.arn
    }
  }
}
