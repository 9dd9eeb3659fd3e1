# The resource policies that let EventBridge deliver to the targets: one SQS queue policy per queue in use and
# one Lambda permission per function target, each scoped to the ARNs of the rules that use it.
locals {
  # queue key => rule keys that deliver to it, as a target or as a target DLQ. Keys are static,
  # so this works while the queue ARNs are still unknown.
  queue_rules = {
    for queue_key in keys(var.queues) : queue_key => distinct([
      for t in values(local.targets) : t.rule_key if t.queue == queue_key || t.dead_letter_queue == queue_key
    ])
  }
  used_queues = { for k, rules in local.queue_rules : k => rules if length(rules) > 0 }
}

# One policy per queue: EventBridge may send only on behalf of the rules that target it.
resource "aws_sqs_queue_policy" "this" {
  for_each = local.used_queues

  queue_url = var.queues[each.key].url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowEventBridgeRules"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = var.queues[each.key].arn
      Condition = {
        ArnEquals = {
          "aws:SourceArn" = [for rule_key in each.value : aws_cloudwatch_event_rule.this[rule_key].arn]
        }
      }
    }]
  })
}

# Keyed on the static target keys: a target without `queue` is a Lambda target (the rules' validation allows
# exactly one of the two), which is known at plan even when the function is created in the same apply and its
# ARN is not.
resource "aws_lambda_permission" "this" {
  for_each = { for k, t in local.targets : k => t if t.queue == null }

  statement_id  = "AllowEventBridge-${replace(each.key, "/", "-")}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.lambda_function_arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.value.rule_key].arn
}
