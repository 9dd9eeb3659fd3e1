# The reprocess (backfill) workflow (modules/reprocess_workflow): a Step Functions state machine that sends every
# upload under a prefix, or in an S3 Inventory manifest, to the chosen consumers' buffer queues, so each consumer's
# concurrency limit, retries, DLQ and idempotency apply as for a live upload. `make reprocess` starts it.

module "reprocess" {
  source = "./modules/reprocess_workflow"
  count  = var.reprocess_workflow.enabled ? 1 : 0

  name          = "${var.name_prefix}-reprocess"
  bucket        = { name = aws_s3_bucket.images.id, arn = aws_s3_bucket.images.arn }
  upload_prefix = var.upload_prefix
  # Static keys, as for module.routing: the state machine waits for the queues only, not every consumer resource.
  consumers = {
    image_resizer      = { queue_url = module.consumer["image_resizer"].buffer_queue_url, queue_arn = module.consumer["image_resizer"].buffer_queue_arn }
    metadata_extractor = { queue_url = module.consumer["metadata_extractor"].buffer_queue_url, queue_arn = module.consumer["metadata_extractor"].buffer_queue_arn }
    search_indexer     = { queue_url = module.consumer["search_indexer"].buffer_queue_url, queue_arn = module.consumer["search_indexer"].buffer_queue_arn }
  }
  report_prefix                        = var.reprocess_workflow.report_prefix
  protected_prefixes                   = [var.thumbnail_prefix, var.metadata_prefix]
  default_rate                         = var.reprocess_workflow.default_rate
  default_tolerated_failure_percentage = var.reprocess_workflow.default_tolerated_failure_percentage
  inventory                            = var.reprocess_workflow.inventory
  deletion_protection_enabled          = var.deletion_protection
  tracing_enabled                      = var.tracing_mode == "Active"
  logging                              = { retention_days = var.log_retention_days }
  role_path                            = var.iam.role_path
  role_permissions_boundary            = var.iam.role_permissions_boundary
  tags                                 = var.tags
}
