# Each consumer's execution role: how it is made (var.iam, local.consumer_roles) and the IAM statements it holds
# on top of what lambda_with_dlq grants every function
# (its own logs and DLQ, its buffer queue for the event source mapping, traces); local.consumers passes them to
# module.consumer as policy_statements, and the idempotency table's policy as a policy document. Each role holds
# exactly the actions its code calls (lambda_src/<consumer>/permissions.py IAM_ACTIONS; tests/integration reads
# the deployed roles back and compares). The bucket's TLS-only policy and the results bus policy stay next to
# their resources in main.tf.
locals {
  # Created roles get var.iam's path, boundary and managed policies; a consumer listed in existing_role_arns
  # runs with that role and gets none of them (lambda_with_dlq then creates nothing on it).
  consumer_roles = {
    for name in ["image_resizer", "metadata_extractor", "search_indexer"] : name => {
      create_role               = !contains(keys(var.iam.existing_role_arns), name)
      existing_role_arn         = lookup(var.iam.existing_role_arns, name, null)
      role_path                 = contains(keys(var.iam.existing_role_arns), name) ? "/" : var.iam.role_path
      role_permissions_boundary = contains(keys(var.iam.existing_role_arns), name) ? null : var.iam.role_permissions_boundary
      role_managed_policy_arns  = contains(keys(var.iam.existing_role_arns), name) ? {} : var.iam.role_managed_policy_arns
    }
  }

  bucket_arn     = aws_s3_bucket.images.arn
  upload_objects = "${local.bucket_arn}/${var.upload_prefix}*"
  output_prefixes = {
    image_resizer      = var.thumbnail_prefix
    metadata_extractor = var.metadata_prefix
  }

  # What each image consumer does: read the upload (any version), write its own outputs, and announce results
  # and rejections on the results bus, only with the pipeline's source and its own detail types
  # (local.publishers). The operators are those of AWS's PutEvents example (EventBridge user guide, "Send events
  # to a custom bus in a different account"): ForAllValues:StringEquals on events:source, StringEquals on
  # events:detail-type.
  image_consumer_statements = {
    for name, prefix in local.output_prefixes : name => [
      { sid = "ReadUploads", actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = [local.upload_objects] },
      {
        # A read of a missing key answers 403 without the whole bucket's s3:ListBucket: listing the upload's own
        # versions tells a deleted upload (object_not_found) from a forbidden one.
        sid        = "ListUploadVersions"
        actions    = ["s3:ListBucketVersions"]
        resources  = [local.bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["${var.upload_prefix}*"] }]
      },
      { sid = "WriteOutputs", actions = ["s3:PutObject"], resources = ["${local.bucket_arn}/${prefix}*"] },
      {
        sid       = "PublishResults"
        actions   = ["events:PutEvents"]
        resources = [aws_cloudwatch_event_bus.results.arn]
        conditions = [
          { test = "ForAllValues:StringEquals", variable = "events:source", values = [local.pipeline_source] },
          { test = "StringEquals", variable = "events:detail-type", values = local.publishers[name] },
        ]
      },
    ]
  }

  consumer_policy_statements = {
    image_resizer      = local.image_consumer_statements.image_resizer
    metadata_extractor = local.image_consumer_statements.metadata_extractor
    search_indexer = [
      # Item reads and writes of the index table: no queries, no indexes (the handler never uses them).
      { sid = "SearchIndexItems", actions = ["dynamodb:GetItem", "dynamodb:PutItem"], resources = [aws_dynamodb_table.search_index.arn] },
      {
        # Listing an upload's versions says which one S3 serves after a permanent delete (HeadObject would need
        # the whole bucket's s3:ListBucket to tell a missing key, 404, from a forbidden one, 403); every version
        # of a dead upload's outputs is found by listing its output folder...
        sid       = "ListVersions"
        actions   = ["s3:ListBucketVersions"]
        resources = [local.bucket_arn]
        conditions = [{
          test     = "StringLike"
          variable = "s3:prefix"
          values   = concat(["${var.upload_prefix}*"], [for prefix in values(local.output_prefixes) : "${prefix}*"])
        }]
      },
      {
        # ...and deleted version by version (DeleteObjects with version ids), so nothing of it stays readable.
        sid       = "DeleteOutputVersions"
        actions   = ["s3:DeleteObjectVersion"]
        resources = [for prefix in values(local.output_prefixes) : "${local.bucket_arn}/${prefix}*"]
      },
    ]
  }
}
