# Stack-wide inputs first, then one section per section of main.tf: same titles, same order.

variable "name_prefix" {
  description = "Prefix of every resource name (functions, queues, tables, bus, rules, bucket prefix)."
  type        = string
  default     = "image-pipeline"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,27}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-29 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "tags" {
  description = "Tags for every resource that takes tags (set on each resource and module; a caller's provider default_tags apply as well)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------
# Images bucket
# ---------------------------------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the images bucket; null generates a unique name from name_prefix."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects (demos, emulator runs). Keep false in production."
  type        = bool
  default     = false
}

variable "upload_prefix" {
  description = "Key prefix of uploads (objects are <upload_prefix><owner>/...). Only keys in an owner's folder under it trigger the consumers."
  type        = string
  default     = "uploads/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+/)+$", var.upload_prefix))
    error_message = "upload_prefix must be a non-empty folder-like prefix ending with '/'."
  }

  validation {
    condition     = !strcontains(var.upload_prefix, "*")
    error_message = "upload_prefix must not contain '*': the upload rules match <upload_prefix>*/* with an EventBridge wildcard, where '*' is a wildcard too."
  }
}

variable "thumbnail_prefix" {
  description = "Key prefix where thumbnails are written; must not overlap the upload prefix."
  type        = string
  default     = "thumbnails/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+/)+$", var.thumbnail_prefix))
    error_message = "thumbnail_prefix must be a non-empty folder-like prefix ending with '/'."
  }
}

variable "metadata_prefix" {
  description = "Key prefix where metadata documents are written; must not overlap the upload prefix."
  type        = string
  default     = "metadata/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+/)+$", var.metadata_prefix))
    error_message = "metadata_prefix must be a non-empty folder-like prefix ending with '/'."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted object versions are removed."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be >= 1."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Results bus, tables, layer
# ---------------------------------------------------------------------------------------------------------------

variable "enable_schema_discovery" {
  description = "Run EventBridge schema discovery on the results bus (costs per event ingested; JSON Schemas are in schemas/ anyway)."
  type        = bool
  default     = false
}

variable "results_bus_extra_publisher_arns" {
  description = "IAM principals (role, user or account root ARNs) that may put events on the results bus besides the image_resizer and metadata_extractor roles. The bus policy denies everyone else."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.results_bus_extra_publisher_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "results_bus_extra_publisher_arns must hold IAM ARNs: arn:<partition>:iam::<account>:root, :role/<name> or :user/<name>."
  }
}

variable "deletion_protection" {
  description = "Protect the DynamoDB tables from deletion."
  type        = bool
  default     = false
}

variable "artifacts_dir" {
  description = "Directory with the output of `make build` (functions/<name>.zip, layers/pillow.zip); null means dist/ next to this stack. Not with artifacts_s3."
  type        = string
  default     = null
}

variable "artifacts_s3" {
  description = "Deploy from the zips a release uploaded to S3 instead of local files: bucket (in the deployment's region), key_prefix (the objects are <key_prefix>functions/<consumer>.zip and <key_prefix>layers/pillow.zip, e.g. image-pipeline/1.0.0/), and optionally, by artifact (image_resizer, metadata_extractor, search_indexer, pillow), object_versions (versioned bucket) and source_code_hashes (base64 SHA-256 from the release's manifest.json). null uses artifacts_dir."
  type = object({
    bucket             = string
    key_prefix         = string
    object_versions    = optional(map(string), {})
    source_code_hashes = optional(map(string), {})
  })
  default = null

  validation {
    condition     = var.artifacts_s3 == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_s3.bucket))
    error_message = "artifacts_s3.bucket must be an S3 bucket name."
  }

  validation {
    condition     = var.artifacts_s3 == null ? true : var.artifacts_s3.key_prefix == "" || (endswith(var.artifacts_s3.key_prefix, "/") && !startswith(var.artifacts_s3.key_prefix, "/"))
    error_message = "artifacts_s3.key_prefix must be empty or a folder-like prefix ending with '/' (no leading '/'), e.g. image-pipeline/1.0.0/."
  }

  validation {
    condition = var.artifacts_s3 == null ? true : alltrue([
      for name in concat(keys(var.artifacts_s3.object_versions), keys(var.artifacts_s3.source_code_hashes)) :
      contains(["image_resizer", "metadata_extractor", "search_indexer", "pillow"], name)
    ])
    error_message = "artifacts_s3.object_versions and source_code_hashes are keyed by artifact: image_resizer, metadata_extractor, search_indexer, pillow."
  }

  validation {
    condition     = var.artifacts_s3 == null ? true : alltrue([for h in values(var.artifacts_s3.source_code_hashes) : can(regex("^[A-Za-z0-9+/]{43}=$", h))])
    error_message = "artifacts_s3.source_code_hashes must hold base64-encoded SHA-256 values (44 characters, as in the release manifest)."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the functions and the Pillow layer (must match the build's LAMBDA_RUNTIME)."
  type        = string
  default     = "python3.13"

  validation {
    condition     = can(regex("^python3\\.(1[0-9])$", var.lambda_runtime))
    error_message = "lambda_runtime must be python3.10 or later, e.g. python3.13."
  }
}

variable "lambda_architecture" {
  description = "Architecture of the functions and the Pillow layer (must match the build's LAMBDA_ARCH): arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Consumers and routing
# ---------------------------------------------------------------------------------------------------------------

variable "use_public_powertools_layer" {
  description = "Attach AWS's public Powertools for AWS Lambda (Python) V3 layer. Turn off where it cannot be resolved (emulators) or when the functions bundle Powertools."
  type        = bool
  default     = true
}

variable "powertools_layer_version" {
  description = "Version number of the public layer AWSLambdaPowertoolsPythonV3-<runtime>-<arch> (docs/terraform.md says which Powertools release it is)."
  type        = number
  default     = 27

  validation {
    condition     = var.powertools_layer_version >= 1 && floor(var.powertools_layer_version) == var.powertools_layer_version
    error_message = "powertools_layer_version must be a positive integer."
  }
}

variable "extra_layer_arns" {
  description = "More layer version ARNs for every function (e.g. a Powertools layer you publish yourself)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.extra_layer_arns) <= 3
    error_message = "At most 3 extra layers (Lambda allows 5 including Pillow and Powertools)."
  }
}

variable "thumbnail_sizes" {
  description = "Long-edge sizes of the thumbnails, in pixels."
  type        = list(number)
  default     = [512, 256, 128, 64]

  validation {
    condition     = length(var.thumbnail_sizes) >= 1 && length(var.thumbnail_sizes) <= 10 && alltrue([for s in var.thumbnail_sizes : s >= 16 && s <= 4096 && floor(s) == s])
    error_message = "thumbnail_sizes must hold 1-10 whole sizes between 16 and 4096."
  }
}

variable "thumbnail_format" {
  description = "Thumbnail encoding: webp, jpeg or avif (smaller files, ~3x the encode time of webp: docs/image_resizer.md)."
  type        = string
  default     = "webp"

  validation {
    condition     = contains(["webp", "jpeg", "avif"], var.thumbnail_format)
    error_message = "thumbnail_format must be webp, jpeg or avif."
  }
}

variable "thumbnail_quality" {
  description = "Encoder quality of thumbnails, 1 (smallest) to 100 (best)."
  type        = number
  default     = 80

  validation {
    condition     = var.thumbnail_quality >= 1 && var.thumbnail_quality <= 100 && floor(var.thumbnail_quality) == var.thumbnail_quality
    error_message = "thumbnail_quality must be a whole number from 1 to 100."
  }
}

variable "thumbnail_cache_control" {
  description = "Cache-Control header of thumbnails. Their keys change with every object version, so they can be cached forever."
  type        = string
  default     = "public, max-age=31536000, immutable"
}

variable "max_object_bytes" {
  description = "Objects larger than this are rejected before download."
  type        = number
  default     = 52428800

  validation {
    condition     = var.max_object_bytes >= 1
    error_message = "max_object_bytes must be positive."
  }
}

variable "max_image_pixels" {
  description = "Images with more pixels are rejected before decoding (decompression bombs)."
  type        = number
  default     = 50000000

  validation {
    condition     = var.max_image_pixels >= 1
    error_message = "max_image_pixels must be positive."
  }
}

variable "image_cpu_budget_ms" {
  description = "CPU time one image may cost the image consumers (estimated before decoding, enforced while working), in milliseconds; costlier images are rejected."
  type        = number
  default     = 2000

  validation {
    condition     = var.image_cpu_budget_ms >= 100 && var.image_cpu_budget_ms <= 60000 && floor(var.image_cpu_budget_ms) == var.image_cpu_budget_ms
    error_message = "image_cpu_budget_ms must be a whole number from 100 to 60000."
  }
}

variable "image_memory_budget_mb" {
  description = "Peak memory of the image consumers' process (interpreter included) that one image may need, estimated before decoding, in MB; larger images are rejected. At most the memory_size of image_resizer and metadata_extractor."
  type        = number
  default     = 512

  validation {
    condition     = var.image_memory_budget_mb >= 256 && var.image_memory_budget_mb <= 10240 && floor(var.image_memory_budget_mb) == var.image_memory_budget_mb
    error_message = "image_memory_budget_mb must be a whole number from 256 to 10240."
  }
}

variable "include_gps_coordinates" {
  description = "Include GPS coordinates in extracted metadata (off: avatars must not reveal where people live)."
  type        = bool
  default     = false
}

variable "log_level" {
  description = "Powertools log level."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "lambda_log_format" {
  description = "Lambda's log format for the consumers: JSON or Text; null keeps Lambda's default (Text) and sets no logging config. With JSON, Lambda filters application logs at log_level (as Lambda names it: WARNING is WARN, CRITICAL is FATAL), so Lambda and Powertools agree on the level."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_log_format == null ? true : contains(["JSON", "Text"], var.lambda_log_format)
    error_message = "lambda_log_format must be JSON, Text or null."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch metrics namespace of the consumers."
  type        = string
  default     = "ImagePipeline"
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 30
}

variable "tracing_mode" {
  description = "X-Ray tracing mode of the functions: Active or PassThrough."
  type        = string
  default     = "Active"
}

variable "idempotency_ttl_seconds" {
  description = "How long a completed idempotency record suppresses duplicates."
  type        = number
  default     = 86400

  validation {
    condition     = var.idempotency_ttl_seconds >= 60
    error_message = "idempotency_ttl_seconds must be >= 60."
  }
}

variable "image_resizer" {
  description = "Function and queue settings of the image_resizer consumer."
  type = object({
    memory_size                        = optional(number, 1024)
    timeout                            = optional(number, 60)
    batch_size                         = optional(number, 5)
    maximum_batching_window_in_seconds = optional(number, 0)
    maximum_concurrency                = optional(number, 10)
    max_receive_count                  = optional(number, 5)
    reserved_concurrent_executions     = optional(number)
    provisioned_concurrent_executions  = optional(number, 0)
    snap_start                         = optional(bool, false)
  })
  default = {}
}

variable "metadata_extractor" {
  description = "Function and queue settings of the metadata_extractor consumer."
  type = object({
    memory_size                        = optional(number, 1024)
    timeout                            = optional(number, 60)
    batch_size                         = optional(number, 5)
    maximum_batching_window_in_seconds = optional(number, 0)
    maximum_concurrency                = optional(number, 10)
    max_receive_count                  = optional(number, 5)
    reserved_concurrent_executions     = optional(number)
    provisioned_concurrent_executions  = optional(number, 0)
    snap_start                         = optional(bool, false)
  })
  default = {}
}

variable "search_indexer" {
  description = "Function and queue settings of the search_indexer consumer."
  type = object({
    memory_size                        = optional(number, 256)
    timeout                            = optional(number, 30)
    batch_size                         = optional(number, 10)
    maximum_batching_window_in_seconds = optional(number, 0)
    maximum_concurrency                = optional(number, 5)
    max_receive_count                  = optional(number, 5)
    reserved_concurrent_executions     = optional(number)
    provisioned_concurrent_executions  = optional(number, 0)
    snap_start                         = optional(bool, false)
  })
  default = {}
}

variable "queue_policy_statements" {
  description = "Extra statements for the consumers' queue policies (written by the routing module, which owns them), keyed by queue: <consumer> (buffer) or <consumer>_dlq. See eventbridge_fanout's queue_policy_statements for the statement shape."
  type = map(list(object({
    sid    = string
    effect = optional(string, "Allow")
    principals = list(object({
      type        = string
      identifiers = list(string)
    }))
    actions = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  })))
  default = {}

  validation {
    condition     = alltrue([for key in keys(var.queue_policy_statements) : contains(["image_resizer", "image_resizer_dlq", "metadata_extractor", "metadata_extractor_dlq", "search_indexer", "search_indexer_dlq"], key)])
    error_message = "queue_policy_statements is keyed by queue: image_resizer, metadata_extractor, search_indexer, each optionally with _dlq."
  }
}

variable "vpc_config" {
  description = "Run every consumer in your VPC: subnet_ids (private subnets reaching S3, SQS, DynamoDB, EventBridge, CloudWatch Logs and X-Ray through a NAT gateway or VPC endpoints) and security_group_ids (egress to those). null runs them outside any VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "code_signing_config_arn" {
  description = "ARN of a Lambda code signing configuration for every consumer (sign the release zips with AWS Signer); null: no code signing."
  type        = string
  default     = null
}

variable "event_source_mapping_enabled" {
  description = "Create the consumers' event source mappings enabled. false pauses every consumer (messages wait in the buffers); emulator runs use false and poll the queues themselves."
  type        = bool
  default     = true
}

variable "event_source_mapping_metrics" {
  description = "Turn on the event source mappings' own CloudWatch metrics (EventCount: polled, filtered, invoked, failed, dropped events), charged as custom metrics."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic for alarm notifications; null creates the alarms without actions."
  type        = string
  default     = null
}

variable "enable_upload_archive" {
  description = "Archive this bucket's S3 events on the default bus so uploads can be replayed."
  type        = bool
  default     = false
}

variable "enable_results_archive" {
  description = "Archive the domain events on the results bus so the search index can be rebuilt by replay."
  type        = bool
  default     = false
}

variable "archive_retention_days" {
  description = "Retention of the archives, in days (0 = forever)."
  type        = number
  default     = 14
}

# ---------------------------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------------------------

variable "iam" {
  description = "Execution roles in locked-down accounts, for every consumer: role_path and role_permissions_boundary (a policy ARN) of the roles the stack creates, role_managed_policy_arns (static name => policy ARN) attached to each, and existing_role_arns (by consumer) to use roles you manage instead: then nothing is created on or attached to them, and the consumers output's required_policy_json says what each needs."
  type = object({
    role_path                 = optional(string, "/")
    role_permissions_boundary = optional(string)
    role_managed_policy_arns  = optional(map(string), {})
    existing_role_arns        = optional(map(string), {})
  })
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.iam.existing_role_arns) : contains(["image_resizer", "metadata_extractor", "search_indexer"], name)])
    error_message = "iam.existing_role_arns is keyed by consumer: image_resizer, metadata_extractor, search_indexer."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------------------------

variable "enable_dashboard" {
  description = "Create a CloudWatch dashboard of the pipeline (dashboard.tf): per consumer, records processed, rejected by reason and replayed, duration p50/p99, concurrency, throttles, buffer age and DLQ depth; upload-to-thumbnails latency. Dashboards are billed per month beyond the free tier's three."
  type        = bool
  default     = true
}
