# The resource policies that let EventBridge deliver to the targets: one SQS queue policy per queue in use and
# one Lambda permission per function target, each scoped to the ARNs of the rules that use it. The module owns
# those queue policies (SQS keeps one policy per queue): statements others need come in through
# queue_policy_statements.
locals {
  # queue key => rule keys that deliver to it, as a target or as a target DLQ. Keys are static,
  # so this works while the queue ARNs are still unknown.
  queue_rules = {
    for queue_key in keys(var.queues) : queue_key => distinct([
      for t in values(local.targets) : t.rule_key if t.queue == queue_key || t.dead_letter_queue == queue_key
    ])
  }
  used_queues = { for k, rules in local.queue_rules : k => rules if length(rules) > 0 }

  # Queues whose policy this module writes: those the rules use, and those given extra statements.
  policy_queues = toset(concat(keys(local.used_queues), keys(var.queue_policy_statements)))

  extra_statements = {
    for queue_key, statements in var.queue_policy_statements : queue_key => [
      for s in statements : merge(
        {
          Sid    = s.sid
          Effect = s.effect
          # "*" or { AWS = [...], Service = [...] }: two types, so chosen through JSON (a conditional needs one).
          Principal = jsondecode(contains([for p in s.principals : p.type], "*") ? jsonencode("*") : jsonencode({ for p in s.principals : p.type => p.identifiers }))
          Action    = s.actions
          Resource  = try(var.queues[queue_key].arn, null)
        },
        length(s.conditions) == 0 ? {} : {
          Condition = {
            for test in distinct([for c in s.conditions : c.test]) : test => {
              for c in s.conditions : c.variable => c.values if c.test == test
            }
          }
        },
      )
    ]
  }
}

# One policy per queue: EventBridge may send only on behalf of the rules that target it, then the extra
# statements given for that queue.
resource "aws_sqs_queue_policy" "this" {
  for_each = local.policy_queues

  # try(): an unknown queue key is reported by the precondition below, not as an index error.
  queue_url = try(var.queues[each.key].url, null)
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      contains(keys(local.used_queues), each.key) ? [{
        Sid       = "AllowEventBridgeRules"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = var.queues[each.key].arn
        Condition = {
          ArnEquals = {
            "aws:SourceArn" = [for rule_key in local.used_queues[each.key] : aws_cloudwatch_event_rule.this[rule_key].arn]
          }
        }
      }] : [],
      lookup(local.extra_statements, each.key, []),
    )
  })

  lifecycle {
    precondition {
      condition     = contains(keys(var.queues), each.key)
      error_message = "queue_policy_statements names queue ${each.key}, which is not a key of var.queues."
    }
  }
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
