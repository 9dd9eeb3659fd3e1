# A CloudWatch dashboard of the pipeline (enable_dashboard). One row per consumer: records processed, rejected and
# replayed as duplicates; rejections by reason; duration p50/p99 of an invocation (a batch) and of a record;
# concurrency, throttles and errors; the age of the oldest message in its buffer; its DLQ's depth. On top, the
# pipeline's upload-to-thumbnails latency. Every metric is one the code emits (Powertools' EMF in
# var.metrics_namespace, with the `service` dimension = the consumer, as POWERTOOLS_SERVICE_NAME sets it) or one
# AWS publishes (AWS/Lambda by FunctionName, AWS/SQS by QueueName): tests/integration/test_dashboard.py reads the
# deployed dashboard back and checks each against lambda_src and AWS's metric lists.

locals {
  dashboard_period = 60
  # Dashboard grid: 24 units wide; six widgets of 4 per consumer row.
  dashboard_widget         = { width = 4, height = 6 }
  dashboard_header_height  = 2
  dashboard_latency_height = 6

  dashboard_rows = {
    for index, name in keys(local.consumers) : name => {
      y        = local.dashboard_header_height + local.dashboard_latency_height + index * local.dashboard_widget.height
      function = module.consumer[name].function_name
      buffer   = module.consumer[name].buffer_queue_name
      dlq      = module.consumer[name].dlq_name
    }
  }

  dashboard_consumer_widgets = flatten([
    for name, row in local.dashboard_rows : [
      {
        title = "${name}: records"
        stat  = "Sum"
        metrics = [
          for metric in ["Processed", "Rejected", "Duplicates"] :
          [var.metrics_namespace, metric, "service", name, { label = lower(metric) }]
        ]
      },
      {
        title = "${name}: rejected by reason"
        stat  = "Sum"
        metrics = [[{
          id         = "reasons"
          label      = ""
          expression = "SEARCH('{${var.metrics_namespace},reason,service} MetricName=\"RejectedByReason\" service=\"${name}\"', 'Sum', ${local.dashboard_period})"
        }]]
      },
      {
        title = "${name}: duration (ms)"
        stat  = "p50"
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", row.function, { stat = "p50", label = "invocation p50" }],
          ["AWS/Lambda", "Duration", "FunctionName", row.function, { stat = "p99", label = "invocation p99" }],
          [var.metrics_namespace, "ProcessingTime", "service", name, { stat = "p50", label = "record p50" }],
          [var.metrics_namespace, "ProcessingTime", "service", name, { stat = "p99", label = "record p99" }],
        ]
      },
      {
        title = "${name}: concurrency, throttles, errors"
        stat  = "Maximum"
        metrics = [
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", row.function, { stat = "Maximum", label = "concurrent executions" }],
          ["AWS/Lambda", "Throttles", "FunctionName", row.function, { stat = "Sum", label = "throttles" }],
          ["AWS/Lambda", "Errors", "FunctionName", row.function, { stat = "Sum", label = "errors" }],
        ]
      },
      {
        title = "${name}: buffer, oldest message (s)"
        stat  = "Maximum"
        metrics = [
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", row.buffer, { label = "age of oldest" }],
        ]
      },
      {
        title = "${name}: DLQ depth"
        stat  = "Maximum"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", row.dlq, { label = "messages (make redrive)" }],
        ]
      },
    ]
  ])
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  count = var.enable_dashboard ? 1 : 0

  dashboard_name = "${var.name_prefix}-pipeline"
  dashboard_body = jsonencode({
    widgets = concat(
      [
        {
          type   = "text"
          x      = 0
          y      = 0
          width  = 24
          height = local.dashboard_header_height
          properties = {
            markdown = "## ${var.name_prefix}: uploads to thumbnails, metadata and the search index\nOne row per consumer. Messages in a DLQ: `make redrive CONSUMER=<consumer> DRY_RUN=1` lists them by reason (docs/operations.md)."
          }
        },
        {
          type   = "metric"
          x      = 0
          y      = local.dashboard_header_height
          width  = 24
          height = local.dashboard_latency_height
          properties = {
            title  = "Upload to thumbnails (ms, from the S3 event's time, to the second)"
            region = local.region
            view   = "timeSeries"
            period = local.dashboard_period
            stat   = "p50"
            metrics = [
              for stat in ["p50", "p90", "p99"] :
              [var.metrics_namespace, "UploadToThumbnailsLatency", "service", "image_resizer", { stat = stat, label = stat }]
            ]
          }
        },
      ],
      [
        for index, widget in local.dashboard_consumer_widgets : {
          type   = "metric"
          x      = (index % 6) * local.dashboard_widget.width
          y      = local.dashboard_rows[keys(local.consumers)[floor(index / 6)]].y
          width  = local.dashboard_widget.width
          height = local.dashboard_widget.height
          properties = {
            title   = widget.title
            region  = local.region
            view    = "timeSeries"
            period  = local.dashboard_period
            stat    = widget.stat
            metrics = widget.metrics
          }
        }
      ],
    )
  })
}
