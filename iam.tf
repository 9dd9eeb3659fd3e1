# IAM statements of each consumer's execution role, on top of what lambda_with_dlq grants every function
# (its own logs, DLQ, buffer queue, traces); local.consumers passes them to module.consumer as
# policy_statements. The bucket's TLS-only policy stays with the bucket in main.tf.
locals {
  bucket_arn = aws_s3_bucket.images.arn

  read_uploads = {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.bucket_arn}/${var.upload_prefix}*"]
  }
  publish_results = {
    sid       = "PublishResults"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.results.arn]
  }

  consumer_policy_statements = {
    image_resizer = [
      local.read_uploads,
      local.publish_results,
      { sid = "WriteThumbnails", actions = ["s3:PutObject"], resources = ["${local.bucket_arn}/${var.thumbnail_prefix}*"] },
    ]
    metadata_extractor = [
      local.read_uploads,
      local.publish_results,
      { sid = "WriteMetadata", actions = ["s3:PutObject"], resources = ["${local.bucket_arn}/${var.metadata_prefix}*"] },
    ]
    search_indexer = [
      {
        sid       = "WriteSearchIndex"
        actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        resources = [aws_dynamodb_table.search_index.arn, "${aws_dynamodb_table.search_index.arn}/index/*"]
      },
      { sid = "HeadUploads", actions = ["s3:GetObject"], resources = ["${local.bucket_arn}/${var.upload_prefix}*"] },
      {
        # Versions too: the bucket is versioned, and a deleted image must leave no thumbnail behind.
        sid       = "CleanUpOutputs"
        actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject"]
        resources = ["${local.bucket_arn}/${var.thumbnail_prefix}*", "${local.bucket_arn}/${var.metadata_prefix}*"]
      },
      {
        sid       = "ListOutputs"
        actions   = ["s3:ListBucket", "s3:ListBucketVersions"]
        resources = [local.bucket_arn]
        conditions = [{
          test     = "StringLike"
          variable = "s3:prefix"
          values   = ["${var.thumbnail_prefix}*", "${var.metadata_prefix}*"]
        }]
      },
    ]
  }
}
