# The IAM policy a function needs on this table, as the policy_json output.
locals {
  # Exactly what Powertools idempotency calls, on this table only.
  policy_statements = concat(
    [{
      Sid      = "IdempotencyRecords"
      Effect   = "Allow"
      Action   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      Resource = [aws_dynamodb_table.this.arn]
    }],
    var.kms_key_arn == null ? [] : [{
      Sid      = "IdempotencyTableKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
      Resource = [var.kms_key_arn]
    }],
  )
}
