# The reference pipeline: S3 uploads -> EventBridge (default bus) -> one buffer queue per consumer ->
# image_resizer, metadata_extractor, search_indexer. Consumers publish results to a custom bus that the
# search_indexer also consumes. Every consumer is isolated: own queue, DLQ, role, alarms, concurrency.

locals {
  # Artifacts: the zips of `make build` under artifacts_dir (default dist/ next to this stack), or the same
  # layout under a release's key prefix in S3 (artifacts_s3). Nothing local is read in S3 mode, so the module
  # plans where no dist/ exists (downloaded from a registry).
  artifacts_from_s3 = var.artifacts_s3 != null
  artifacts_dir     = coalesce(var.artifacts_dir, "${path.module}/dist")
  artifact_paths = {
    image_resizer      = "functions/image_resizer.zip"
    metadata_extractor = "functions/metadata_extractor.zip"
    search_indexer     = "functions/search_indexer.zip"
    upload_api         = "functions/upload_api.zip"
    pillow             = "layers/pillow.zip"
  }
  artifact_s3 = local.artifacts_from_s3 ? {
    for name, path in local.artifact_paths : name => {
      bucket           = var.artifacts_s3.bucket
      key              = "${var.artifacts_s3.key_prefix}${path}"
      object_version   = lookup(var.artifacts_s3.object_versions, name, null)
      source_code_hash = lookup(var.artifacts_s3.source_code_hashes, name, null)
    }
  } : {}

  # Region, account and partition from an ARN this stack creates: no data sources, same on provider 5 and 6.
  arn_parts = split(":", aws_cloudwatch_event_bus.results.arn)
  partition = local.arn_parts[1]
  region    = local.arn_parts[3]
  account   = local.arn_parts[4]

  # AWS's public Powertools layer, per runtime and architecture (e.g. ...PythonV3-python313-arm64:<n>).
  powertools_layer_arn = "arn:aws:lambda:${local.region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-${replace(var.lambda_runtime, ".", "")}-${var.lambda_architecture}:${var.powertools_layer_version}"
  powertools_layers    = var.use_public_powertools_layer ? [local.powertools_layer_arn] : []

  common_env = {
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
    IDEMPOTENCY_TABLE            = module.idempotency.table_name
    IDEMPOTENCY_TTL_SECONDS      = tostring(var.idempotency_ttl_seconds)
    UPLOAD_PREFIX                = var.upload_prefix
  }
  image_env = {
    MAX_OBJECT_BYTES       = tostring(var.max_object_bytes)
    MAX_IMAGE_PIXELS       = tostring(var.max_image_pixels)
    IMAGE_CPU_BUDGET_MS    = tostring(var.image_cpu_budget_ms)
    IMAGE_MEMORY_BUDGET_MB = tostring(var.image_memory_budget_mb)
    RESULTS_BUS_NAME       = aws_cloudwatch_event_bus.results.name
  }
  image_consumers = ["image_resizer", "metadata_extractor"]

  # Lambda's advanced logging controls, at the level Powertools logs at (Lambda's names for two of them).
  lambda_logging = var.lambda_log_format == null ? null : {
    log_format            = var.lambda_log_format
    application_log_level = var.lambda_log_format == "JSON" ? lookup({ WARNING = "WARN", CRITICAL = "FATAL" }, var.log_level, var.log_level) : null
  }

  # The pipeline's domain events, as in lambda_src/consumer_core/event_types.py (PIPELINE_SOURCE, PUBLISHERS;
  # tests/terraform keeps them equal): their source, and the detail types each producer may put on the results
  # bus. The producers' IAM conditions, the bus policy and the indexer's results rule are built from these.
  pipeline_source = "image-pipeline"
  publishers = {
    image_resizer      = ["Thumbnails Generated", "Image Rejected"]
    metadata_extractor = ["Image Metadata Extracted", "Image Rejected"]
  }
  # Static keys, as for module.routing's queues: the bus policy waits for the two roles, not for every consumer.
  publisher_role_arns = {
    image_resizer      = module.consumer["image_resizer"].role_arn
    metadata_extractor = module.consumer["metadata_extractor"].role_arn
  }

  consumers = {
    image_resizer = {
      description = "Thumbnails for every upload"
      settings    = var.image_resizer
      layers      = concat([aws_lambda_layer_version.pillow.arn], local.powertools_layers, var.extra_layer_arns)
      env = merge(local.image_env, {
        THUMBNAIL_PREFIX        = var.thumbnail_prefix
        THUMBNAIL_SIZES         = join(",", [for s in var.thumbnail_sizes : tostring(s)])
        THUMBNAIL_FORMAT        = var.thumbnail_format
        THUMBNAIL_QUALITY       = tostring(var.thumbnail_quality)
        THUMBNAIL_CACHE_CONTROL = var.thumbnail_cache_control
      })
      statements = local.consumer_policy_statements.image_resizer
    }
    metadata_extractor = {
      description = "Metadata document for every upload"
      settings    = var.metadata_extractor
      layers      = concat([aws_lambda_layer_version.pillow.arn], local.powertools_layers, var.extra_layer_arns)
      env = merge(local.image_env, {
        METADATA_PREFIX         = var.metadata_prefix
        INCLUDE_GPS_COORDINATES = tostring(var.include_gps_coordinates)
      })
      statements = local.consumer_policy_statements.metadata_extractor
    }
    search_indexer = {
      description = "Search index record for every upload, kept in sync with results and deletions"
      settings    = var.search_indexer
      layers      = concat(local.powertools_layers, var.extra_layer_arns)
      env = {
        SEARCH_INDEX_TABLE = aws_dynamodb_table.search_index.name
        # The indexer cleans up a deleted upload's outputs, so it needs to know where they are.
        THUMBNAIL_PREFIX = var.thumbnail_prefix
        METADATA_PREFIX  = var.metadata_prefix
      }
      statements = local.consumer_policy_statements.search_indexer
    }
  }

  # Routing: the S3 events of uploads to this bucket, and the detail types each consumer receives. Only keys in
  # an owner's folder (<upload_prefix><owner>/...) match: an EventBridge wildcard, so `uploads/x.png` (no owner)
  # reaches no consumer. upload_prefix may not contain `*`, which would be a wildcard too.
  s3_pattern = {
    source = ["aws.s3"]
    detail = {
      bucket = { name = [aws_s3_bucket.images.id] }
      object = { key = [{ wildcard = "${var.upload_prefix}*/*" }] }
    }
  }
  upload_rules = {
    image_resizer      = ["Object Created"]
    metadata_extractor = ["Object Created"]
    search_indexer     = ["Object Created", "Object Deleted"]
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Images bucket
# ---------------------------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "images" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket the user owns; CloudTrail data events are the alternative.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice outside this pipeline.
  #checkov:skip=CKV_AWS_145:SSE-S3 keeps every consumer's access in IAM alone; a KMS key would need key policies per role.
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? "${var.name_prefix}-images-" : null
  force_destroy = var.force_destroy
  tags          = var.tags

  lifecycle {
    precondition {
      condition = alltrue([
        for p in [var.thumbnail_prefix, var.metadata_prefix] :
        !startswith(p, var.upload_prefix) && !startswith(var.upload_prefix, p)
      ]) && var.thumbnail_prefix != var.metadata_prefix
      error_message = "thumbnail_prefix and metadata_prefix must not overlap upload_prefix (outputs would re-trigger the consumers) or each other."
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "images" {
  bucket = aws_s3_bucket.images.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "images" {
  bucket                  = aws_s3_bucket.images.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "images" {
  bucket = aws_s3_bucket.images.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "images" {
  bucket = aws_s3_bucket.images.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_policy" "images" {
  bucket = aws_s3_bucket.images.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }],
      # With the upload API (upload_api.tf): writes to the upload prefix only through its signed POSTs.
      flatten([for api in module.upload_api : jsondecode(api.bucket_policy_json).Statement]),
    )
  })

  # S3 rejects bucket policies while the public access block is being written.
  depends_on = [aws_s3_bucket_public_access_block.images]
}

# One configuration with every rule: the provider polls a new configuration until it reads back unchanged
# (~55 s on the emulator), once per resource, however many rules it has.
resource "aws_s3_bucket_lifecycle_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    expiration {
      expired_object_delete_marker = true
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Derived outputs: the search_indexer deletes every version of a dead upload's outputs itself; these rules
  # are the backstop for anything it missed (old versions after a day, delete markers left alone).
  rule {
    id     = "expire-old-thumbnail-versions"
    status = "Enabled"
    filter {
      prefix = var.thumbnail_prefix
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "expire-old-metadata-versions"
    status = "Enabled"
    filter {
      prefix = var.metadata_prefix
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.images]
}

# Every S3 event of the bucket goes to the default bus; the rules below pick what each consumer needs.
resource "aws_s3_bucket_notification" "images" {
  bucket      = aws_s3_bucket.images.id
  eventbridge = true
}

# ---------------------------------------------------------------------------------------------------------------
# Results bus, tables, layer
# ---------------------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_bus" "results" {
  name = "${var.name_prefix}-results"
  tags = var.tags
}

# Only the producers publish here, each only its own detail types with the pipeline's source (the same
# conditions as their IAM statements: in one account, an Allow in either policy would be enough on its own).
# Every other principal is denied, whatever its IAM policies say, unless listed in results_bus_extra_publisher_arns.
resource "aws_cloudwatch_event_bus_policy" "results" {
  event_bus_name = aws_cloudwatch_event_bus.results.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "DenyOtherPublishers"
        Effect    = "Deny"
        Principal = "*"
        Action    = "events:PutEvents"
        Resource  = aws_cloudwatch_event_bus.results.arn
        Condition = {
          ArnNotEquals = {
            "aws:PrincipalArn" = concat(values(local.publisher_role_arns), var.results_bus_extra_publisher_arns)
          }
        }
      }],
      [for name, detail_types in local.publishers : {
        Sid       = "Allow${join("", [for word in split("_", name) : title(word)])}"
        Effect    = "Allow"
        Principal = { AWS = local.publisher_role_arns[name] }
        Action    = "events:PutEvents"
        Resource  = aws_cloudwatch_event_bus.results.arn
        Condition = {
          "ForAllValues:StringEquals" = { "events:source" = [local.pipeline_source] }
          StringEquals                = { "events:detail-type" = detail_types }
        }
      }],
      length(var.results_bus_extra_publisher_arns) == 0 ? [] : [{
        Sid       = "AllowExtraPublishers"
        Effect    = "Allow"
        Principal = { AWS = var.results_bus_extra_publisher_arns }
        Action    = "events:PutEvents"
        Resource  = aws_cloudwatch_event_bus.results.arn
      }],
    )
  })
}

resource "aws_schemas_discoverer" "results" {
  count = var.enable_schema_discovery ? 1 : 0

  source_arn  = aws_cloudwatch_event_bus.results.arn
  description = "Schemas of the ${var.name_prefix} domain events"
  tags        = var.tags
}

module "idempotency" {
  source = "./modules/idempotency_table"

  name                        = "${var.name_prefix}-idempotency"
  deletion_protection_enabled = var.deletion_protection
  tags                        = var.tags
}

# One record per image, written only by the search_indexer; the layout is search_indexer.table_schema's
# TABLE_SCHEMA (a test keeps them equal). Queries: by key (pk), an owner's images newest first (by_owner),
# byte-identical images (by_content_hash). GSIs are sparse: items without the key attributes stay out.
resource "aws_dynamodb_table" "search_index" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb); the index holds key names and image summaries, no secrets.
  name                        = "${var.name_prefix}-search-index"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "owner"
    type = "S"
  }
  attribute {
    name = "uploaded_at"
    type = "S"
  }
  attribute {
    name = "sha256"
    type = "S"
  }

  global_secondary_index {
    name            = "by_owner"
    hash_key        = "owner"
    range_key       = "uploaded_at"
    projection_type = "ALL"
  }
  global_secondary_index {
    name            = "by_content_hash"
    hash_key        = "sha256"
    range_key       = "uploaded_at"
    projection_type = "ALL"
  }

  # Tombstones of deleted images expire by themselves.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}

resource "aws_lambda_layer_version" "pillow" {
  layer_name               = "${var.name_prefix}-pillow"
  description              = "Pillow, and pyspng + numpy unless PNG_DECODER=0, for ${var.lambda_runtime} ${var.lambda_architecture} (make build)"
  filename                 = local.artifacts_from_s3 ? null : "${local.artifacts_dir}/${local.artifact_paths.pillow}"
  s3_bucket                = try(local.artifact_s3.pillow.bucket, null)
  s3_key                   = try(local.artifact_s3.pillow.key, null)
  s3_object_version        = try(local.artifact_s3.pillow.object_version, null)
  source_code_hash         = local.artifacts_from_s3 ? local.artifact_s3.pillow.source_code_hash : filebase64sha256("${local.artifacts_dir}/${local.artifact_paths.pillow}")
  compatible_runtimes      = [var.lambda_runtime]
  compatible_architectures = [var.lambda_architecture]

  lifecycle {
    precondition {
      condition     = var.artifacts_dir == null || var.artifacts_s3 == null
      error_message = "Set artifacts_dir (local zips) or artifacts_s3 (a release in S3), not both."
    }
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Consumers and routing
# ---------------------------------------------------------------------------------------------------------------

# Checks across variables, at plan time (a variable's validation sees only that variable before Terraform 1.9).
resource "terraform_data" "image_budgets" {
  lifecycle {
    precondition {
      condition     = alltrue([for name in local.image_consumers : var.image_memory_budget_mb <= local.consumers[name].settings.memory_size])
      error_message = "image_memory_budget_mb (${var.image_memory_budget_mb} MB) must not exceed the memory_size of an image consumer (image_resizer: ${var.image_resizer.memory_size} MB, metadata_extractor: ${var.metadata_extractor.memory_size} MB): an image that fits the budget must fit the function."
    }
  }
}

module "consumer" {
  source   = "./modules/lambda_with_dlq"
  for_each = local.consumers

  function_name    = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description      = each.value.description
  filename         = local.artifacts_from_s3 ? null : "${local.artifacts_dir}/${local.artifact_paths[each.key]}"
  s3_package       = local.artifacts_from_s3 ? { bucket = local.artifact_s3[each.key].bucket, key = local.artifact_s3[each.key].key, object_version = local.artifact_s3[each.key].object_version } : null
  source_code_hash = local.artifacts_from_s3 ? local.artifact_s3[each.key].source_code_hash : null
  handler          = "${each.key}.app.handler"
  runtime          = var.lambda_runtime
  architecture     = var.lambda_architecture
  memory_size      = each.value.settings.memory_size
  timeout          = each.value.settings.timeout
  layers           = each.value.layers
  tracing_mode     = var.tracing_mode
  logging          = local.lambda_logging

  vpc_config              = var.vpc_config
  code_signing_config_arn = var.code_signing_config_arn

  environment_variables = merge(
    local.common_env,
    {
      POWERTOOLS_SERVICE_NAME = each.key
      # The runtime sends a record that fails transiently on its last delivery to the DLQ (retries_exhausted).
      MAX_RECEIVE_COUNT = tostring(each.value.settings.max_receive_count)
    },
    each.value.env,
  )
  policy_statements = each.value.statements
  policy_documents  = { idempotency = module.idempotency.policy_json }

  invocation_mode = "queue"
  queue = {
    batch_size                         = each.value.settings.batch_size
    maximum_batching_window_in_seconds = each.value.settings.maximum_batching_window_in_seconds
    maximum_concurrency                = each.value.settings.maximum_concurrency
    max_receive_count                  = each.value.settings.max_receive_count
    event_source_mapping_enabled       = var.event_source_mapping_enabled
    metrics                            = var.event_source_mapping_metrics ? ["EventCount"] : []
  }

  reserved_concurrent_executions    = each.value.settings.reserved_concurrent_executions
  provisioned_concurrent_executions = each.value.settings.provisioned_concurrent_executions
  snap_start                        = each.value.settings.snap_start

  log_retention_days  = var.log_retention_days
  alarm_sns_topic_arn = var.alarm_sns_topic_arn
  tags                = var.tags

  create_role               = local.consumer_roles[each.key].create_role
  existing_role_arn         = local.consumer_roles[each.key].existing_role_arn
  role_path                 = local.consumer_roles[each.key].role_path
  role_permissions_boundary = local.consumer_roles[each.key].role_permissions_boundary
  role_managed_policy_arns  = local.consumer_roles[each.key].role_managed_policy_arns
}

module "routing" {
  source = "./modules/eventbridge_fanout"

  name_prefix             = "${var.name_prefix}-"
  tags                    = var.tags
  queue_policy_statements = var.queue_policy_statements
  # Static keys on purpose: indexing module.consumer with a for-loop variable makes Terraform wait for every
  # resource of every consumer (functions, mappings, alarms) before routing starts; a static key waits for the
  # named output only, so the queue policies and targets go ahead as soon as the queues exist (~25 s sooner).
  queues = {
    image_resizer          = { arn = module.consumer["image_resizer"].buffer_queue_arn, url = module.consumer["image_resizer"].buffer_queue_url }
    image_resizer_dlq      = { arn = module.consumer["image_resizer"].dlq_arn, url = module.consumer["image_resizer"].dlq_url }
    metadata_extractor     = { arn = module.consumer["metadata_extractor"].buffer_queue_arn, url = module.consumer["metadata_extractor"].buffer_queue_url }
    metadata_extractor_dlq = { arn = module.consumer["metadata_extractor"].dlq_arn, url = module.consumer["metadata_extractor"].dlq_url }
    search_indexer         = { arn = module.consumer["search_indexer"].buffer_queue_arn, url = module.consumer["search_indexer"].buffer_queue_url }
    search_indexer_dlq     = { arn = module.consumer["search_indexer"].dlq_arn, url = module.consumer["search_indexer"].dlq_url }
  }

  rules = merge(
    {
      for name, detail_types in local.upload_rules : "${replace(name, "_", "-")}-uploads" => {
        description   = "S3 ${join(" and ", detail_types)} under ${var.upload_prefix}<owner>/ -> ${name}"
        event_pattern = jsonencode(merge(local.s3_pattern, { "detail-type" = detail_types }))
        targets = {
          (name) = { queue = name, dead_letter_queue = "${name}_dlq" }
        }
      }
    },
    {
      "search-indexer-results" = {
        description    = "Domain events of the pipeline -> search_indexer"
        event_bus_name = aws_cloudwatch_event_bus.results.name
        event_pattern = jsonencode({
          source        = [local.pipeline_source]
          "detail-type" = sort(distinct(flatten(values(local.publishers))))
        })
        targets = {
          search_indexer = { queue = "search_indexer", dead_letter_queue = "search_indexer_dlq" }
        }
      }
    },
  )

  archives = merge(
    var.enable_upload_archive ? {
      "${var.name_prefix}-uploads" = {
        description      = "S3 events of ${aws_s3_bucket.images.id}, for replay"
        event_source_arn = "arn:${local.partition}:events:${local.region}:${local.account}:event-bus/default"
        event_pattern    = jsonencode(local.s3_pattern)
        retention_days   = var.archive_retention_days
      }
    } : {},
    var.enable_results_archive ? {
      "${var.name_prefix}-results" = {
        description      = "Domain events, for rebuilding the search index"
        event_source_arn = aws_cloudwatch_event_bus.results.arn
        retention_days   = var.archive_retention_days
      }
    } : {},
  )
}
