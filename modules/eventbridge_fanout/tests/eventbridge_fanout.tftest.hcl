mock_provider "aws" {
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/mock"
    }
  }
  mock_resource "aws_cloudwatch_event_archive" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:archive/mock"
    }
  }
}

variables {
  name_prefix = "demo-"
  queues = {
    resizer     = { arn = "arn:aws:sqs:eu-west-1:123456789012:resizer-buffer", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/resizer-buffer" }
    resizer_dlq = { arn = "arn:aws:sqs:eu-west-1:123456789012:resizer-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/resizer-dlq" }
    indexer     = { arn = "arn:aws:sqs:eu-west-1:123456789012:indexer-buffer", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/indexer-buffer" }
    unused      = { arn = "arn:aws:sqs:eu-west-1:123456789012:unused", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/unused" }
  }
  rules = {
    uploads = {
      event_pattern = "{\"source\":[\"aws.s3\"],\"detail-type\":[\"Object Created\"],\"detail\":{\"object\":{\"key\":[{\"prefix\":\"uploads/\"}]}}}"
      targets = {
        resizer = { queue = "resizer", dead_letter_queue = "resizer_dlq", maximum_retry_attempts = 10, maximum_event_age_in_seconds = 3600 }
        indexer = { queue = "indexer" }
      }
    }
    results = {
      event_bus_name = "results"
      event_pattern  = "{\"source\":[\"image-pipeline\"]}"
      targets = {
        indexer = { queue = "indexer" }
        audit = {
          lambda_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:audit"
          input_transformer = {
            input_paths    = { key = "$.detail.object.key" }
            input_template = "{\"key\": <key>}"
          }
        }
      }
    }
  }
}

run "wiring" {
  assert {
    condition     = aws_cloudwatch_event_rule.this["uploads"].name == "demo-uploads" && aws_cloudwatch_event_rule.this["uploads"].event_bus_name == "default"
    error_message = "Rules are named with the prefix and default to the default bus."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.this["results"].event_bus_name == "results" && aws_cloudwatch_event_target.this["results/indexer"].event_bus_name == "results"
    error_message = "A rule and its targets live on the rule's own bus."
  }
  assert {
    condition     = toset(keys(aws_sqs_queue_policy.this)) == toset(["resizer", "resizer_dlq", "indexer"])
    error_message = "One policy per queue in use (targets and target DLQs), none for unused queues."
  }
  assert {
    condition = alltrue([
      for k, p in aws_sqs_queue_policy.this : alltrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Allow" && s.Principal.Service == "events.amazonaws.com" && s.Action == "sqs:SendMessage" && s.Resource == var.queues[k].arn
      ])
    ])
    error_message = "Queue policies allow only events.amazonaws.com to SendMessage to that queue."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_policy.this["resizer_dlq"].policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [aws_cloudwatch_event_rule.this["uploads"].arn]
    error_message = "The target DLQ accepts messages only from the rule that uses it."
  }
  assert {
    condition     = length(jsondecode(aws_sqs_queue_policy.this["indexer"].policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]) == 2
    error_message = "A queue targeted by two rules (on two buses) gets one policy naming both rules."
  }
  assert {
    condition     = aws_sqs_queue_policy.this["indexer"].queue_url == var.queues.indexer.url
    error_message = "The policy is attached to the right queue."
  }
  assert {
    condition     = aws_cloudwatch_event_target.this["uploads/resizer"].dead_letter_config[0].arn == var.queues.resizer_dlq.arn
    error_message = "The target's DLQ is wired."
  }
  assert {
    condition     = aws_cloudwatch_event_target.this["uploads/resizer"].retry_policy[0].maximum_retry_attempts == 10 && aws_cloudwatch_event_target.this["uploads/resizer"].retry_policy[0].maximum_event_age_in_seconds == 3600
    error_message = "Each target has its own retry policy."
  }
  assert {
    condition     = aws_cloudwatch_event_target.this["uploads/indexer"].retry_policy[0].maximum_retry_attempts == 185 && length(aws_cloudwatch_event_target.this["uploads/indexer"].dead_letter_config) == 0
    error_message = "Retry defaults: 185 attempts; no DLQ unless asked."
  }
  assert {
    condition     = aws_lambda_permission.this["results/audit"].source_arn == aws_cloudwatch_event_rule.this["results"].arn && aws_lambda_permission.this["results/audit"].principal == "events.amazonaws.com"
    error_message = "Lambda targets get a permission scoped to their rule."
  }
  assert {
    condition     = length(aws_lambda_permission.this) == 1
    error_message = "Only Lambda targets get permissions."
  }
  assert {
    condition     = aws_cloudwatch_event_target.this["results/audit"].input_transformer[0].input_paths["key"] == "$.detail.object.key"
    error_message = "The input transformer is passed through."
  }
  assert {
    condition     = output.target_ids["uploads/resizer"] == "resizer"
    error_message = "Target ids are the target keys."
  }
}

run "archive" {
  variables {
    archives = {
      "demo-results" = { event_source_arn = "arn:aws:events:eu-west-1:123456789012:event-bus/results", retention_days = 7 }
    }
  }
  assert {
    condition     = aws_cloudwatch_event_archive.this["demo-results"].retention_days == 7
    error_message = "Archives are created on request."
  }
}

run "pattern_must_be_json" {
  command = plan
  variables {
    rules = {
      bad = { event_pattern = "source = aws.s3", targets = { q = { queue = "resizer" } } }
    }
  }
  expect_failures = [var.rules]
}

run "target_needs_exactly_one_destination" {
  command = plan
  variables {
    rules = {
      both = {
        event_pattern = "{\"source\":[\"aws.s3\"]}"
        targets       = { t = { queue = "resizer", lambda_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:f" } }
      }
    }
  }
  expect_failures = [var.rules]
}

run "unknown_queue_key_is_rejected" {
  command = plan
  variables {
    rules = {
      typo = { event_pattern = "{\"source\":[\"aws.s3\"]}", targets = { t = { queue = "resiser" } } }
    }
  }
  expect_failures = [aws_cloudwatch_event_target.this]
}

# A Lambda target created in the same apply: its ARN is unknown at plan, and used to fail with
# "Invalid for_each argument" because the permissions were keyed on `lambda_function_arn != null`.
run "lambda_target_created_in_the_same_apply" {
  command = plan
  module {
    source = "./tests/fixtures/lambda_in_same_apply"
  }
  assert {
    condition     = output.lambda_permission_statement_ids == { "audit/audit" = "AllowEventBridge-audit-audit" }
    error_message = "The permission is planned, keyed on the static target key."
  }
}

# The module owns the policies of its queues (a second aws_sqs_queue_policy would overwrite them or be
# overwritten), so statements others need go in through queue_policy_statements.
run "extra_queue_policy_statements" {
  variables {
    queue_policy_statements = {
      resizer_dlq = [{
        sid        = "AllowOpsToRedrive"
        principals = [{ type = "AWS", identifiers = ["arn:aws:iam::123456789012:role/ops"] }]
        actions    = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:StartMessageMoveTask"]
      }]
      unused = [{
        sid        = "DenyInsecureTransport"
        effect     = "Deny"
        principals = [{ type = "*", identifiers = ["*"] }]
        actions    = ["sqs:*"]
        conditions = [{ test = "Bool", variable = "aws:SecureTransport", values = ["false"] }]
      }]
    }
  }
  assert {
    condition     = [for s in jsondecode(aws_sqs_queue_policy.this["resizer_dlq"].policy).Statement : s.Sid] == ["AllowEventBridgeRules", "AllowOpsToRedrive"]
    error_message = "Extra statements follow the EventBridge statement in the same policy."
  }
  assert {
    condition = (
      jsondecode(aws_sqs_queue_policy.this["resizer_dlq"].policy).Statement[1].Principal == { AWS = ["arn:aws:iam::123456789012:role/ops"] } &&
      jsondecode(aws_sqs_queue_policy.this["resizer_dlq"].policy).Statement[1].Resource == var.queues.resizer_dlq.arn
    )
    error_message = "Principals are passed through; the resource is the queue."
  }
  assert {
    condition = (
      [for s in jsondecode(aws_sqs_queue_policy.this["unused"].policy).Statement : s.Sid] == ["DenyInsecureTransport"] &&
      jsondecode(aws_sqs_queue_policy.this["unused"].policy).Statement[0].Principal == "*" &&
      jsondecode(aws_sqs_queue_policy.this["unused"].policy).Statement[0].Condition.Bool["aws:SecureTransport"] == ["false"]
    )
    error_message = "A queue no rule uses gets a policy with its extra statements only."
  }
  assert {
    condition = (
      output.eventbridge_kms_key_policy_statement.Principal.Service == "events.amazonaws.com" &&
      toset(output.eventbridge_kms_key_policy_statement.Action) == toset(["kms:Decrypt", "kms:GenerateDataKey"]) &&
      toset(output.eventbridge_kms_key_policy_statement.Condition.ArnEquals["aws:SourceArn"]) == toset([for r in aws_cloudwatch_event_rule.this : r.arn])
    )
    error_message = "The key policy statement lets the module's rules use a queue key."
  }
}

run "extra_statements_are_validated" {
  command = plan
  variables {
    queue_policy_statements = {
      resizer = [
        { sid = "AllowEventBridgeRules", principals = [{ type = "AWS", identifiers = ["arn:aws:iam::123456789012:root"] }], actions = ["sqs:SendMessage"] },
        { sid = "Twice", principals = [{ type = "Robot", identifiers = ["x"] }], actions = ["s3:GetObject"] },
        { sid = "Twice", principals = [{ type = "AWS", identifiers = ["arn:aws:iam::123456789012:root"] }], actions = ["sqs:SendMessage"] },
      ]
    }
  }
  expect_failures = [var.queue_policy_statements]
}

run "extra_statements_for_an_unknown_queue_are_rejected" {
  command = plan
  variables {
    queue_policy_statements = {
      resiser = [{ sid = "Typo", principals = [{ type = "AWS", identifiers = ["arn:aws:iam::123456789012:root"] }], actions = ["sqs:SendMessage"] }]
    }
  }
  expect_failures = [aws_sqs_queue_policy.this]
}
