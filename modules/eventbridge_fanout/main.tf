locals {
  targets = merge([
    for rule_key, rule in var.rules : {
      for target_key, target in rule.targets : "${rule_key}/${target_key}" => merge(target, {
        rule_key   = rule_key
        target_key = target_key
      })
    }
  ]...)
}

# ---------------------------------------------------------------------------------------------------------------
# Rules and targets
# ---------------------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.rules

  name           = "${var.name_prefix}${each.key}"
  description    = each.value.description
  event_bus_name = coalesce(each.value.event_bus_name, var.event_bus_name)
  event_pattern  = each.value.event_pattern
  state          = each.value.state
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.targets

  rule           = aws_cloudwatch_event_rule.this[each.value.rule_key].name
  event_bus_name = aws_cloudwatch_event_rule.this[each.value.rule_key].event_bus_name
  target_id      = each.value.target_key
  # try(): an unknown queue key is reported by the precondition below, not as an index error.
  arn = each.value.queue != null ? try(var.queues[each.value.queue].arn, null) : each.value.lambda_function_arn

  retry_policy {
    maximum_event_age_in_seconds = each.value.maximum_event_age_in_seconds
    maximum_retry_attempts       = each.value.maximum_retry_attempts
  }

  dynamic "dead_letter_config" {
    for_each = each.value.dead_letter_queue == null ? [] : [each.value.dead_letter_queue]
    content {
      arn = try(var.queues[dead_letter_config.value].arn, null)
    }
  }

  dynamic "input_transformer" {
    for_each = each.value.input_transformer == null ? [] : [each.value.input_transformer]
    content {
      input_paths    = input_transformer.value.input_paths
      input_template = input_transformer.value.input_template
    }
  }

  lifecycle {
    precondition {
      condition     = each.value.queue == null || contains(keys(var.queues), coalesce(each.value.queue, "-"))
      error_message = "Target ${each.key} names a queue that is not a key of var.queues."
    }
    precondition {
      condition     = each.value.dead_letter_queue == null || contains(keys(var.queues), coalesce(each.value.dead_letter_queue, "-"))
      error_message = "Target ${each.key} names a dead_letter_queue that is not a key of var.queues."
    }
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_archive" "this" {
  for_each = var.archives

  name             = each.key
  description      = each.value.description
  event_source_arn = each.value.event_source_arn
  event_pattern    = each.value.event_pattern
  retention_days   = each.value.retention_days
}
