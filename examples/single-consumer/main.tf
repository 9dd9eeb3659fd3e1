# One consumer reused on its own: an SQS-buffered function (lambda_with_dlq) subscribed to a custom bus by
# eventbridge_fanout. Plain `terraform init && terraform apply`; the function package is function.zip,
# built from src/ (rebuild: `python -m tools.terraform.example_zip` at the repository root).
provider "aws" {
  region = var.aws_region
}

resource "aws_cloudwatch_event_bus" "orders" {
  name = "${var.name}-orders"
}

module "consumer" {
  source = "../../modules/lambda_with_dlq"

  function_name = var.name
  filename      = "${path.module}/function.zip"
  handler       = "app.handler"
  runtime       = "python3.13"
  architecture  = "arm64"
  timeout       = 10

  invocation_mode = "queue"
  queue = {
    batch_size          = 10
    maximum_concurrency = 2
  }
}

module "subscription" {
  source = "../../modules/eventbridge_fanout"

  name_prefix    = "${var.name}-"
  event_bus_name = aws_cloudwatch_event_bus.orders.name
  queues = {
    buffer = { arn = module.consumer.buffer_queue_arn, url = module.consumer.buffer_queue_url }
    dlq    = { arn = module.consumer.dlq_arn, url = module.consumer.dlq_url }
  }
  rules = {
    "order-placed" = {
      description   = "Order Placed events -> ${var.name}"
      event_pattern = jsonencode({ source = ["shop.orders"], "detail-type" = ["Order Placed"] })
      targets = {
        consumer = { queue = "buffer", dead_letter_queue = "dlq", maximum_retry_attempts = 20 }
      }
    }
  }
}
