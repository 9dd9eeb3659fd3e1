# The state machine's role: exactly what the definition calls. List the upload prefix (the ItemReader), read the
# inventory (when configured), send to the consumers' buffer queues, count in the runs table, write reports,
# start and manage its own child executions (the Distributed Map), deliver logs and traces.
locals {
  kms_key_arns = distinct(compact([for name in local.consumer_names : var.consumers[name].kms_key_arn]))

  statements = concat(
    [
      {
        # The s3:listObjectsV2 ItemReader, only under the upload prefix.
        Sid       = "ListUploads"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [var.bucket.arn]
        Condition = { StringLike = { "s3:prefix" = ["${var.upload_prefix}*"] } }
      },
      {
        # The summary (aws-sdk:s3:putObject) and the Map Run's results (ResultWriter), under report_prefix only.
        Sid      = "WriteReports"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"]
        Resource = ["${var.bucket.arn}/${var.report_prefix}*"]
      },
      {
        # SendMessageBatch is authorised as sqs:SendMessage.
        Sid      = "SendToBufferQueues"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [for name in local.consumer_names : var.consumers[name].queue_arn]
      },
      {
        Sid      = "RunCounters"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = [aws_dynamodb_table.runs.arn]
      },
      {
        # The Distributed Map runs each batch as a child execution of this state machine.
        Sid      = "StartChildExecutions"
        Effect   = "Allow"
        Action   = ["states:StartExecution"]
        Resource = [local.state_machine_arn]
      },
      {
        # ...watches and stops them (a stopped run stops its children), and redrives them with the run.
        Sid      = "ManageChildExecutions"
        Effect   = "Allow"
        Action   = ["states:DescribeExecution", "states:RedriveExecution", "states:StopExecution"]
        Resource = ["arn:${local.partition}:states:${local.region}:${local.account}:execution:${var.name}/*"]
      },
      {
        # Vended log delivery (AWS's documented permissions for Step Functions logging): no resource-level scoping.
        Sid      = "DeliverLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery"]
        Resource = ["*"]
      },
    ],
    var.tracing_enabled ? [{
      # X-Ray's write APIs have no resource-level permissions.
      Sid      = "WriteTraces"
      Effect   = "Allow"
      Action   = ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      Resource = ["*"]
    }] : [],
    var.inventory == null ? [] : [{
      # The MANIFEST ItemReader reads manifest.json and the CSV files it lists.
      Sid      = "ReadInventory"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = ["${var.inventory.bucket_arn}/${var.inventory.prefix}*"]
    }],
    length(local.kms_key_arns) == 0 ? [] : [{
      # Sending to a queue encrypted with a customer managed key.
      Sid      = "UseQueueKeys"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = local.kms_key_arns
    }],
    var.kms_key_arn == null ? [] : [{
      Sid      = "UseRunsTableKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
      Resource = [var.kms_key_arn]
    }],
  )
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-role"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Only this state machine, in this account, may use the role (confused deputy).
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account }
        ArnLike      = { "aws:SourceArn" = local.state_machine_arn }
      }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}
