mock_provider "aws" {
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/idempotency"
    }
  }
}

variables {
  name = "idempotency"
}

run "powertools_layout" {
  assert {
    condition     = aws_dynamodb_table.this.hash_key == "id" && one(aws_dynamodb_table.this.attribute).name == "id" && one(aws_dynamodb_table.this.attribute).type == "S"
    error_message = "Powertools expects a string partition key named id."
  }
  assert {
    condition     = aws_dynamodb_table.this.ttl[0].attribute_name == "expiration" && aws_dynamodb_table.this.ttl[0].enabled
    error_message = "TTL must be on, on the expiration attribute."
  }
  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "On-demand billing."
  }
  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].enabled
    error_message = "PITR and SSE are on by default."
  }
  assert {
    condition     = jsondecode(output.policy_json).Statement[0].Resource == [aws_dynamodb_table.this.arn]
    error_message = "The policy is scoped to this table."
  }
  assert {
    condition     = toset(jsondecode(output.policy_json).Statement[0].Action) == toset(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"])
    error_message = "The policy grants exactly the item operations idempotency needs."
  }
  assert {
    condition     = length(jsondecode(output.policy_json).Statement) == 1
    error_message = "No KMS statement without a customer key."
  }
}

run "customer_key" {
  variables {
    kms_key_arn                 = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    deletion_protection_enabled = true
  }
  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == var.kms_key_arn && aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "The customer key and deletion protection are applied."
  }
  assert {
    condition     = jsondecode(output.policy_json).Statement[1].Resource == [var.kms_key_arn]
    error_message = "Functions get to use the customer key."
  }
}

run "invalid_inputs_fail_validation" {
  command = plan
  variables {
    name        = "a"
    kms_key_arn = "alias/mine"
  }
  expect_failures = [var.name, var.kms_key_arn]
}

# An alias ARN is not the key: IAM grants on it do not cover using the key.
run "alias_arn_is_rejected" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:alias/idempotency"
  }
  expect_failures = [var.kms_key_arn]
}
