locals {
  alarms_enabled = var.alarms.enabled
  alarm_actions  = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  lambda_alarms = local.alarms_enabled ? merge(
    {
      errors = {
        metric    = "Errors"
        threshold = var.alarms.errors_threshold
        what      = "invocation errors"
      }
      throttles = {
        metric    = "Throttles"
        threshold = var.alarms.throttles_threshold
        what      = "throttled invocations"
      }
    },
    local.queue_mode ? {} : {
      destination_delivery_failures = {
        metric    = "DestinationDeliveryFailures"
        threshold = 0
        what      = "failed deliveries to the on-failure destination"
      }
    },
  ) : {}
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  count = local.alarms_enabled ? 1 : 0

  alarm_name          = "${var.function_name}-dlq-not-empty"
  alarm_description   = "Messages in the DLQ of ${var.function_name}: inspect the reason attribute, fix, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each = local.lambda_alarms

  alarm_name          = "${var.function_name}-${replace(each.key, "_", "-")}"
  alarm_description   = "More than ${each.value.threshold} ${each.value.what} of ${var.function_name} in ${var.alarms.period_seconds} s."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  count = local.alarms_enabled && local.queue_mode ? 1 : 0

  alarm_name          = "${var.function_name}-buffer-backlog"
  alarm_description   = "The oldest message in ${var.function_name}'s buffer is older than ${var.alarms.oldest_message_age_threshold_secs} s: the consumer is falling behind or paused."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.buffer[0].name }
  statistic           = "Maximum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.oldest_message_age_threshold_secs
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
