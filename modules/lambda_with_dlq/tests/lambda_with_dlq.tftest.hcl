# Offline: a mocked aws provider plans and applies in memory. Defaults give the computed attributes
# values the provider accepts (a bare mock produces random strings that are not ARNs).
mock_provider "aws" {
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
      arn           = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
      qualified_arn = "arn:aws:lambda:eu-west-1:123456789012:function:mock:1"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock/invocations"
      version       = "1"
    }
  }
  mock_resource "aws_lambda_alias" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-1:123456789012:function:mock:live"
    }
  }
}

variables {
  function_name = "thumbs"
  filename      = "tests/fixtures/handler.zip"
  handler       = "fixture.app.handler"
  timeout       = 20
}

run "queue_mode_defaults" {
  assert {
    condition     = aws_sqs_queue.buffer[0].visibility_timeout_seconds == 120
    error_message = "The buffer's visibility timeout must default to 6x the function timeout."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.buffer[0].redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn
    error_message = "The buffer must redrive to the function's DLQ."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.buffer[0].redrive_policy).maxReceiveCount == 5
    error_message = "maxReceiveCount must default to 5."
  }
  assert {
    condition     = aws_sqs_queue.dlq.message_retention_seconds == 1209600 && aws_sqs_queue.dlq.sqs_managed_sse_enabled
    error_message = "The DLQ keeps messages 14 days and is encrypted."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The event source mapping must report batch item failures."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].enabled
    error_message = "The event source mapping is enabled by default."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DLQ_URL"] == aws_sqs_queue.dlq.url
    error_message = "DLQ_URL must point at the function's own DLQ."
  }
  assert {
    condition     = aws_lambda_function.this.architectures[0] == "arm64" && aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "Defaults: arm64, active tracing."
  }
  assert {
    condition     = length(aws_lambda_function_event_invoke_config.this) == 0 && length(aws_lambda_alias.this) == 0
    error_message = "Queue mode without publishing has no invoke config and no alias."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.consume_buffer[0].policy).Statement[0].Resource == [aws_sqs_queue.buffer[0].arn]
    error_message = "The role must be allowed to consume its buffer queue."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s.Resource != ["*"] if s.Sid != "WriteTraces"
    ])
    error_message = "Only X-Ray statements may use a wildcard resource."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s if s.Sid == "SendToOwnDlq"
    ]) == { Sid = "SendToOwnDlq", Effect = "Allow", Action = ["sqs:SendMessage"], Resource = [aws_sqs_queue.dlq.arn] }
    error_message = "The function may only send to its own DLQ (no reads: the code never calls them)."
  }
  assert {
    condition     = toset(jsondecode(aws_iam_role_policy.consume_buffer[0].policy).Statement[0].Action) == toset(["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"])
    error_message = "The event source mapping gets exactly what it calls on the buffer."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_depth[0].threshold == 0 && aws_cloudwatch_metric_alarm.dlq_depth[0].comparison_operator == "GreaterThanThreshold"
    error_message = "The DLQ alarm fires on the first message."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_depth[0].dimensions["QueueName"] == aws_sqs_queue.dlq.name
    error_message = "The DLQ alarm watches the DLQ."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.oldest_message_age[0].threshold == 900 && aws_cloudwatch_metric_alarm.oldest_message_age[0].metric_name == "ApproximateAgeOfOldestMessage"
    error_message = "The backlog alarm watches the age of the oldest buffered message."
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.lambda)) == toset(["errors", "throttles"])
    error_message = "Queue mode alarms on errors and throttles."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq_depth[0].alarm_actions) == 0
    error_message = "No alarm actions without a topic."
  }
}

run "queue_mode_tuned" {
  variables {
    queue = {
      batch_size                         = 50
      maximum_batching_window_in_seconds = 2
      maximum_concurrency                = 5
      visibility_timeout_seconds         = 300
      event_source_mapping_enabled       = false
    }
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:alarms"
    tags                = { team = "images" }
    policy_statements = [{
      sid       = "ReadUploads"
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::bucket/uploads/*"]
      conditions = [{
        test     = "StringEquals"
        variable = "s3:ExistingObjectTag/scan"
        values   = ["clean"]
      }]
    }]
  }

  assert {
    condition     = aws_sqs_queue.buffer[0].visibility_timeout_seconds == 300
    error_message = "An explicit visibility timeout above 6x is kept."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].scaling_config[0].maximum_concurrency == 5
    error_message = "maximum_concurrency goes to the scaling config."
  }
  assert {
    condition     = !aws_lambda_event_source_mapping.this[0].enabled
    error_message = "The mapping can be created disabled (pause a consumer)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].tags == var.tags && aws_lambda_function.this.tags == var.tags
    error_message = "The event source mapping is tagged like every other resource."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_depth[0].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:alarms"])
    error_message = "Alarms notify the given topic."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s if try(s.Sid, "") == "ReadUploads"
    ]).Condition.StringEquals["s3:ExistingObjectTag/scan"] == ["clean"]
    error_message = "Caller statements keep their conditions."
  }
}

# 6x the function timeout is AWS's recommendation, not a rule: below it the plan goes on with a warning (the
# check block), and the queue gets the value asked for.
run "visibility_timeout_below_six_times_warns" {
  command = plan
  variables {
    queue = { visibility_timeout_seconds = 119 }
  }
  expect_failures = [check.buffer_visibility_timeout]
  assert {
    condition     = aws_sqs_queue.buffer[0].visibility_timeout_seconds == 119
    error_message = "A lower explicit value is used as given."
  }
}

# What AWS enforces: CreateEventSourceMapping rejects a queue whose visibility timeout is below the function's.
run "visibility_timeout_below_the_function_timeout_is_rejected" {
  command = plan
  variables {
    queue = { visibility_timeout_seconds = 19 }
  }
  expect_failures = [aws_sqs_queue.buffer]
}

run "async_mode" {
  variables {
    invocation_mode = "async"
    async           = { maximum_retry_attempts = 1, maximum_event_age_in_seconds = 600 }
  }

  assert {
    condition     = length(aws_sqs_queue.buffer) == 0 && length(aws_lambda_event_source_mapping.this) == 0
    error_message = "Async mode has no buffer queue and no mapping."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this[0].destination_config[0].on_failure[0].destination == aws_sqs_queue.dlq.arn
    error_message = "Failed async events go to the DLQ."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this[0].maximum_retry_attempts == 1 && aws_lambda_function_event_invoke_config.this[0].maximum_event_age_in_seconds == 600
    error_message = "Retry settings are passed through."
  }
  assert {
    condition     = contains(keys(aws_cloudwatch_metric_alarm.lambda), "destination_delivery_failures") && length(aws_cloudwatch_metric_alarm.oldest_message_age) == 0
    error_message = "Async mode alarms on destination delivery failures, not on a buffer."
  }
  assert {
    condition = length(aws_iam_role_policy.consume_buffer) == 0 && one([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s.Action if s.Sid == "SendToOwnDlq"
    ]) == ["sqs:SendMessage"]
    error_message = "Async mode: no buffer permission; SendMessage on the DLQ is all the on-failure destination needs."
  }
}

run "snap_start_publishes_an_alias" {
  variables {
    snap_start = true
  }
  assert {
    condition     = aws_lambda_function.this.publish && aws_lambda_function.this.snap_start[0].apply_on == "PublishedVersions"
    error_message = "SnapStart publishes versions."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].function_name == aws_lambda_alias.this[0].arn
    error_message = "The mapping invokes the alias when versions are published."
  }
}

run "provisioned_concurrency_on_alias" {
  variables {
    provisioned_concurrent_executions = 2
  }
  assert {
    condition     = aws_lambda_provisioned_concurrency_config.this[0].qualifier == "live"
    error_message = "Provisioned concurrency is configured on the alias."
  }
}

run "snap_start_and_provisioned_concurrency_are_exclusive" {
  command = plan
  variables {
    snap_start                        = true
    provisioned_concurrent_executions = 2
  }
  expect_failures = [aws_lambda_function.this]
}

run "snap_start_needs_python_312" {
  command = plan
  variables {
    snap_start = true
    runtime    = "python3.11"
  }
  expect_failures = [aws_lambda_function.this]
}

run "invalid_inputs_fail_validation" {
  command = plan
  variables {
    architecture = "sparc"
    memory_size  = 64
    queue        = { maximum_concurrency = 1 }
  }
  expect_failures = [var.architecture, var.memory_size, var.queue]
}

run "a_single_delivery_is_rejected" {
  command = plan
  variables {
    queue = { max_receive_count = 1 }
  }
  expect_failures = [var.queue]
}

run "alarms_can_be_turned_off" {
  variables {
    alarms = { enabled = false }
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq_depth) + length(aws_cloudwatch_metric_alarm.lambda) + length(aws_cloudwatch_metric_alarm.oldest_message_age) == 0
    error_message = "alarms.enabled = false creates no alarm."
  }
}

# A given hash is used as is: the package file is not read (coalesce() evaluated filebase64sha256() anyway and
# failed when the file was not there, e.g. a package built later in the pipeline).
run "source_code_hash_does_not_read_the_file" {
  command = plan
  variables {
    filename         = "tests/fixtures/not-built-yet.zip"
    source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }
  assert {
    condition     = aws_lambda_function.this.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    error_message = "The given hash is the function's source_code_hash."
  }
}

# The keys go into the role's policy as Resource: IAM matches key ARNs only, and an alias or a bare key id
# there is a MalformedPolicyDocument on AWS (or a grant that never matches).
run "kms_keys_must_be_key_arns" {
  command = plan
  variables {
    sqs_kms_master_key_id = "alias/queues"
    kms_key_arn           = "1234abcd-12ab-34cd-56ef-1234567890ab"
    log_kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:alias/logs"
  }
  expect_failures = [var.sqs_kms_master_key_id, var.kms_key_arn, var.log_kms_key_arn]
}

run "customer_keys" {
  variables {
    sqs_kms_master_key_id = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
  }
  assert {
    condition     = aws_sqs_queue.dlq.kms_master_key_id == var.sqs_kms_master_key_id && aws_sqs_queue.buffer[0].kms_master_key_id == var.sqs_kms_master_key_id
    error_message = "Both queues use the customer key."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s.Resource if s.Sid == "UseQueueKey"
    ]) == [var.sqs_kms_master_key_id]
    error_message = "The role may use the queue key, named by its ARN."
  }
}

# The package can come from S3 (the zips a release publishes) instead of a local file: nothing is read locally.
run "package_from_s3" {
  command = plan
  variables {
    filename = null
    s3_package = {
      bucket         = "releases-bucket"
      key            = "image-pipeline/1.0.0/functions/thumbs.zip"
      object_version = "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    }
    source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }
  assert {
    condition = (
      aws_lambda_function.this.filename == null &&
      aws_lambda_function.this.s3_bucket == "releases-bucket" &&
      aws_lambda_function.this.s3_key == "image-pipeline/1.0.0/functions/thumbs.zip" &&
      aws_lambda_function.this.s3_object_version == "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" &&
      aws_lambda_function.this.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" &&
      output.deployment_package.s3_key == aws_lambda_function.this.s3_key
    )
    error_message = "The function deploys the S3 object, with the given hash."
  }
}

run "package_from_s3_without_a_hash" {
  command = plan
  variables {
    filename   = null
    s3_package = { bucket = "releases-bucket", key = "image-pipeline/1.0.0/functions/thumbs.zip" }
  }
  assert {
    condition     = output.deployment_package.source_code_hash == null && output.deployment_package.s3_object_version == null
    error_message = "Without a hash the code changes with the key (a new release prefix) or the object version."
  }
}

run "exactly_one_package_source" {
  command = plan
  variables {
    s3_package = { bucket = "releases-bucket", key = "image-pipeline/1.0.0/functions/thumbs.zip" }
  }
  expect_failures = [aws_lambda_function.this]
}

run "a_package_source_is_required" {
  command = plan
  variables {
    filename = null
  }
  expect_failures = [aws_lambda_function.this]
}

# Locked-down accounts: roles under a path, with a permissions boundary, and the managed policies the platform
# requires (keyed by a static name: the ARN of a policy created in the same apply is unknown at plan).
run "role_for_locked_down_accounts" {
  variables {
    role_path                 = "/workloads/images/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/workload-boundary"
    role_managed_policy_arns = {
      insights = "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"
    }
  }
  assert {
    condition     = aws_iam_role.this[0].path == "/workloads/images/" && aws_iam_role.this[0].permissions_boundary == var.role_permissions_boundary
    error_message = "The role gets the path and the permissions boundary."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.managed["insights"].policy_arn == "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"
    error_message = "Managed policies are attached, keyed by their static name."
  }
}

# A role the platform team manages: the module creates no role and attaches nothing to it; what the role needs
# is in required_policy_json.
run "existing_role" {
  variables {
    create_role       = false
    existing_role_arn = "arn:aws:iam::123456789012:role/platform/thumbs-exec"
    policy_documents  = { extra = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Extra\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}" }
  }
  assert {
    condition     = length(aws_iam_role.this) == 0 && length(aws_iam_role_policy.this) == 0 && length(aws_iam_role_policy.consume_buffer) == 0 && length(aws_iam_role_policy.extra) == 0 && length(aws_iam_role_policy_attachment.managed) == 0
    error_message = "Nothing is created on or attached to an existing role."
  }
  assert {
    condition     = aws_lambda_function.this.role == var.existing_role_arn && output.role_arn == var.existing_role_arn && output.role_name == "thumbs-exec"
    error_message = "The function runs with the existing role."
  }
  assert {
    condition     = toset([for s in jsondecode(output.required_policy_json).Statement : s.Sid]) == toset(["WriteOwnLogs", "SendToOwnDlq", "WriteTraces", "ConsumeBufferQueue", "Extra"])
    error_message = "required_policy_json lists everything the function needs: logs, DLQ, traces, the buffer, the extra documents."
  }
}

run "existing_role_excludes_role_settings" {
  command = plan
  variables {
    create_role               = false
    existing_role_arn         = "arn:aws:iam::123456789012:role/platform/thumbs-exec"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/workload-boundary"
  }
  expect_failures = [aws_lambda_function.this]
}

run "invalid_iam_inputs_fail_validation" {
  command = plan
  variables {
    existing_role_arn         = "thumbs-exec"
    role_path                 = "workloads"
    role_permissions_boundary = "workload-boundary"
    role_managed_policy_arns  = { bad = "ReadOnlyAccess" }
  }
  expect_failures = [var.existing_role_arn, var.role_path, var.role_permissions_boundary, var.role_managed_policy_arns]
}

# In a VPC: the subnets and security groups are passed, and the role gets the network-interface permissions
# Lambda needs (those of AWSLambdaVPCAccessExecutionRole, which have no resource-level scoping).
run "vpc_and_code_signing" {
  variables {
    vpc_config = {
      subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]
      security_group_ids = ["sg-0a1b2c3d4e5f60718"]
    }
    code_signing_config_arn = "arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f60718"
  }
  assert {
    condition     = aws_lambda_function.this.vpc_config[0].subnet_ids == toset(var.vpc_config.subnet_ids) && aws_lambda_function.this.vpc_config[0].security_group_ids == toset(var.vpc_config.security_group_ids)
    error_message = "The function runs in the given subnets and security groups."
  }
  assert {
    condition     = aws_lambda_function.this.code_signing_config_arn == var.code_signing_config_arn
    error_message = "The code signing configuration is attached."
  }
  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s.Action if s.Sid == "ManageVpcNetworkInterfaces"
    ])) == toset(["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses"])
    error_message = "The role may manage the function's network interfaces."
  }
}

run "no_vpc_by_default" {
  command = plan
  assert {
    condition     = length(aws_lambda_function.this.vpc_config) == 0 && aws_lambda_function.this.code_signing_config_arn == null
    error_message = "No VPC and no code signing unless asked."
  }
}

run "invalid_vpc_and_code_signing_inputs_fail_validation" {
  command = plan
  variables {
    vpc_config              = { subnet_ids = [], security_group_ids = ["default"] }
    code_signing_config_arn = "csc-0a1b2c3d4e5f60718"
  }
  expect_failures = [var.vpc_config, var.code_signing_config_arn]
}

# Event source mapping filters (Lambda deletes SQS messages that match no pattern, without invoking) and the
# mapping's own CloudWatch metrics.
run "event_source_mapping_filters_and_metrics" {
  variables {
    queue = {
      filter_patterns = [jsonencode({ body = { "detail-type" = ["Object Created"] } })]
      metrics         = ["EventCount"]
    }
  }
  assert {
    condition     = one(one(aws_lambda_event_source_mapping.this[0].filter_criteria).filter).pattern == jsonencode({ body = { "detail-type" = ["Object Created"] } })
    error_message = "The filter pattern is passed through."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].metrics_config[0].metrics == toset(["EventCount"])
    error_message = "The mapping's metrics are turned on."
  }
}

run "no_filters_or_metrics_by_default" {
  command = plan
  assert {
    condition     = length(aws_lambda_event_source_mapping.this[0].filter_criteria) == 0 && length(aws_lambda_event_source_mapping.this[0].metrics_config) == 0
    error_message = "No filters (every message reaches the function) and no extra metrics (they cost money) by default."
  }
}

run "invalid_filters_and_metrics_fail_validation" {
  command = plan
  variables {
    queue = {
      filter_patterns = ["body.detail-type = Object Created"]
      metrics         = ["Everything"]
    }
  }
  expect_failures = [var.queue]
}

# Lambda's advanced logging controls: JSON logs into the module's log group, filtered by level (Powertools
# Logger then follows AWS_LAMBDA_LOG_LEVEL).
run "json_logging" {
  variables {
    logging = { log_format = "JSON", application_log_level = "DEBUG", system_log_level = "WARN" }
  }
  assert {
    condition = (
      aws_lambda_function.this.logging_config[0].log_format == "JSON" &&
      aws_lambda_function.this.logging_config[0].application_log_level == "DEBUG" &&
      aws_lambda_function.this.logging_config[0].system_log_level == "WARN" &&
      aws_lambda_function.this.logging_config[0].log_group == aws_cloudwatch_log_group.this.name
    )
    error_message = "The logging config is passed through and names the module's log group."
  }
  assert {
    condition     = output.logging_config.application_log_level == "DEBUG"
    error_message = "The output reports the logging config."
  }
}

run "no_logging_config_by_default" {
  command = plan
  assert {
    condition     = length(aws_lambda_function.this.logging_config) == 0 && output.logging_config == null
    error_message = "Lambda's own defaults unless asked."
  }
}

run "invalid_logging_fails_validation" {
  command = plan
  variables {
    logging = { log_format = "Text", application_log_level = "DEBUG" }
  }
  expect_failures = [var.logging]
}

run "an_existing_role_needs_its_arn" {
  command = plan
  variables {
    create_role = false
  }
  expect_failures = [aws_lambda_function.this]
}

run "existing_role_arn_needs_create_role_false" {
  command = plan
  variables {
    existing_role_arn = "arn:aws:iam::123456789012:role/platform/thumbs-exec"
  }
  expect_failures = [aws_lambda_function.this]
}

