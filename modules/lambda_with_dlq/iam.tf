# The execution role and its inline policies: the module's own statements (logs, DLQ, traces, keys) plus
# policy_statements, the buffer queue permission on its own, one policy per policy_documents entry, and the
# managed policies of role_managed_policy_arns. With create_role = false the module creates none of it and uses
# existing_role_arn (accounts where roles come from the platform team): required_policy_json says what that role
# needs. (A boolean, as in terraform-aws-modules, because checkov reads `existing_role_arn == null` in a module
# as false and would silently skip every resource counted on it.)
locals {
  role_arn  = var.create_role ? aws_iam_role.this[0].arn : var.existing_role_arn
  role_name = var.create_role ? aws_iam_role.this[0].name : reverse(split("/", coalesce(var.existing_role_arn, "-")))[0]

  base_statements = concat(
    [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
      },
      {
        # The handler sends permanent failures to its DLQ at once (SendMessage only: it never reads the queue);
        # Lambda's own deliveries to it (the function's dead_letter_config, async mode's on-failure
        # destination) are made with this role and need nothing more.
        Sid      = "SendToOwnDlq"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.dlq.arn]
      },
    ],
    var.tracing_mode == "Active" ? [{
      # X-Ray's write APIs have no resource-level permissions.
      Sid      = "WriteTraces"
      Effect   = "Allow"
      Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      Resource = ["*"]
    }] : [],
    var.vpc_config == null ? [] : [{
      # What AWSLambdaVPCAccessExecutionRole grants for the function's network interfaces (Lambda creates them
      # with this role); these actions take no resource-level scoping that would fit every VPC.
      Sid      = "ManageVpcNetworkInterfaces"
      Effect   = "Allow"
      Action   = ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses"]
      Resource = ["*"]
    }],
    var.sqs_kms_master_key_id == null ? [] : [{
      Sid      = "UseQueueKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = [var.sqs_kms_master_key_id]
    }],
    var.kms_key_arn == null ? [] : [{
      Sid      = "DecryptEnvironment"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = [var.kms_key_arn]
    }],
    [for s in var.policy_statements : merge(
      {
        Effect   = s.effect
        Action   = s.actions
        Resource = s.resources
      },
      s.sid == null ? {} : { Sid = s.sid },
      length(s.conditions) == 0 ? {} : {
        Condition = {
          for test in distinct([for c in s.conditions : c.test]) : test => {
            for c in s.conditions : c.variable => c.values if c.test == test
          }
        }
      },
    )],
  )

  consume_buffer_statement = {
    Sid      = "ConsumeBufferQueue"
    Effect   = "Allow"
    Action   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    Resource = [for q in aws_sqs_queue.buffer : q.arn]
  }

  # Everything the function needs, in one document (for a role the module does not create).
  required_statements = concat(
    local.base_statements,
    local.queue_mode ? [local.consume_buffer_statement] : [],
    flatten([for name in sort(keys(var.policy_documents)) : jsondecode(var.policy_documents[name]).Statement]),
  )
}

resource "aws_iam_role" "this" {
  count = var.create_role ? 1 : 0

  name                 = "${var.function_name}-role"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

moved {
  from = aws_iam_role.this
  to   = aws_iam_role.this[0]
}

resource "aws_iam_role_policy" "this" {
  count = var.create_role ? 1 : 0

  name   = "${var.function_name}-least-privilege"
  role   = aws_iam_role.this[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.base_statements })
}

moved {
  from = aws_iam_role_policy.this
  to   = aws_iam_role_policy.this[0]
}

# Its own policy, so the function (which needs only the DLQ permission at creation) does not wait for the
# buffer queue: only the event source mapping needs this one.
resource "aws_iam_role_policy" "consume_buffer" {
  count = var.create_role && local.queue_mode ? 1 : 0

  name   = "${var.function_name}-consume-buffer"
  role   = aws_iam_role.this[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.consume_buffer_statement] })
}

resource "aws_iam_role_policy" "extra" {
  for_each = var.create_role ? var.policy_documents : {}

  name   = "${var.function_name}-${each.key}"
  role   = aws_iam_role.this[0].id
  policy = each.value
}

# Keyed by a name known at plan: the ARN of a policy created in the same apply is not.
resource "aws_iam_role_policy_attachment" "managed" {
  for_each = var.create_role ? var.role_managed_policy_arns : {}

  role       = aws_iam_role.this[0].name
  policy_arn = each.value
}
