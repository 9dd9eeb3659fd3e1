# Module-wide inputs first, then one section per section of main.tf (same titles, same order), then the
# inputs that only iam.tf and alarms.tf use.

variable "function_name" {
  description = "Name of the Lambda function; also the prefix of its queues, role, log group and alarms."
  type        = string

  validation {
    # Leaves room for the "-buffer"/"-dlq" suffixes within SQS's 80 characters and IAM's 64 for the role.
    condition     = can(regex("^[a-zA-Z0-9_-]{1,56}$", var.function_name))
    error_message = "function_name must be 1-56 characters of letters, digits, '-' or '_'."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates that takes tags (function, event source mapping, queues, log group, role, alarms)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------------------------------------------

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
}

variable "filename" {
  description = "Path to a local deployment package (zip); its SHA-256 decides when the code is updated. Set this or s3_package."
  type        = string
  default     = null
}

variable "s3_package" {
  description = "The deployment package in S3 instead of a local file: bucket (in the function's region), key and, in a versioned bucket, the object version. Without source_code_hash the code is updated when the key or the version changes (a release publishes under a new key prefix). Set this or filename."
  type = object({
    bucket         = string
    key            = string
    object_version = optional(string)
  })
  default = null

  validation {
    condition     = var.s3_package == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_package.bucket)) && endswith(var.s3_package.key, ".zip") && !startswith(var.s3_package.key, "/")
    error_message = "s3_package needs an S3 bucket name and the key of a .zip object (no leading '/')."
  }
}

variable "source_code_hash" {
  description = "Base64 SHA-256 of the package; null computes it from `filename` (or, for s3_package, leaves updates to key and version changes). When given, no file is read at plan time."
  type        = string
  default     = null

  validation {
    condition     = var.source_code_hash == null ? true : can(regex("^[A-Za-z0-9+/]{43}=$", var.source_code_hash))
    error_message = "source_code_hash must be a base64-encoded SHA-256 (44 characters), as filebase64sha256() returns."
  }
}

variable "handler" {
  description = "Handler in module.function form, e.g. `image_resizer.app.handler`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must look like package.module.function."
  }
}

variable "runtime" {
  description = "Python runtime identifier."
  type        = string
  default     = "python3.13"

  validation {
    condition     = can(regex("^python3\\.(9|1[0-9])$", var.runtime))
    error_message = "runtime must be a Python runtime such as python3.13."
  }
}

variable "architecture" {
  description = "Instruction set: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB (128-10240)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Function timeout in seconds (1-900)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function. DLQ_URL (this module's DLQ) is always added."
  type        = map(string)
  default     = {}
}

variable "layers" {
  description = "Layer version ARNs, at most 5."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.layers) <= 5
    error_message = "A function can use at most 5 layers."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key (arn:<partition>:kms:<region>:<account>:key/<id>) that encrypts the environment variables; null uses the AWS managed key (aws/lambda). The role gets kms:Decrypt on it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias or a key id: the role's policy names it."
  }
}

variable "vpc_config" {
  description = "Run the function in your VPC: subnet_ids (private subnets whose routes reach S3, SQS, DynamoDB, EventBridge, CloudWatch Logs and X-Ray through a NAT gateway or VPC endpoints) and security_group_ids. The role gets the network-interface permissions Lambda needs. null runs it outside any VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition = var.vpc_config == null ? true : (
      length(var.vpc_config.subnet_ids) >= 1 && length(var.vpc_config.subnet_ids) <= 16 &&
      length(var.vpc_config.security_group_ids) >= 1 && length(var.vpc_config.security_group_ids) <= 5 &&
      alltrue([for id in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))]) &&
      alltrue([for id in var.vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    )
    error_message = "vpc_config needs 1-16 subnet ids (subnet-...) and 1-5 security group ids (sg-...)."
  }
}

variable "code_signing_config_arn" {
  description = "ARN of a Lambda code signing configuration: Lambda then accepts only packages signed by its signing profiles (sign the release zips with AWS Signer). null: no code signing."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null ? true : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be a code signing config ARN (arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<17 characters>)."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; null leaves the function on the unreserved pool."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null ? true : var.reserved_concurrent_executions >= 0
    error_message = "reserved_concurrent_executions must be >= 0."
  }
}

variable "provisioned_concurrent_executions" {
  description = "Provisioned concurrency on the published alias; 0 turns it off. Excludes snap_start."
  type        = number
  default     = 0

  validation {
    condition     = var.provisioned_concurrent_executions >= 0
    error_message = "provisioned_concurrent_executions must be >= 0."
  }
}

variable "snap_start" {
  description = "Enable SnapStart on published versions (Python 3.12+). Excludes provisioned concurrency."
  type        = bool
  default     = false
}

variable "alias_name" {
  description = "Name of the alias that points at the published version when provisioned concurrency or SnapStart is on."
  type        = string
  default     = "live"
}

# ---------------------------------------------------------------------------------------------------------------
# Log group
# ---------------------------------------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the function's log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "logging" {
  description = "Lambda's advanced logging controls, into this module's log group: log_format JSON or Text; with JSON, application_log_level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL: Lambda sets AWS_LAMBDA_LOG_LEVEL, which Powertools Logger follows) and system_log_level (DEBUG, INFO, WARN). null keeps Lambda's defaults (Text, nothing filtered)."
  type = object({
    log_format            = optional(string, "JSON")
    application_log_level = optional(string)
    system_log_level      = optional(string)
  })
  default = null

  validation {
    condition     = var.logging == null ? true : contains(["JSON", "Text"], var.logging.log_format)
    error_message = "logging.log_format must be JSON or Text."
  }

  validation {
    condition     = var.logging == null ? true : var.logging.log_format == "JSON" || (var.logging.application_log_level == null && var.logging.system_log_level == null)
    error_message = "logging.application_log_level and system_log_level need log_format = JSON (Lambda filters structured logs only)."
  }

  validation {
    condition = var.logging == null ? true : (
      (var.logging.application_log_level == null ? true : contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.logging.application_log_level)) &&
      (var.logging.system_log_level == null ? true : contains(["DEBUG", "INFO", "WARN"], var.logging.system_log_level))
    )
    error_message = "logging.application_log_level must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL; system_log_level DEBUG, INFO or WARN."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the customer managed KMS key for the log group; null uses CloudWatch Logs' default encryption. Its key policy must allow the logs.<region>.amazonaws.com principal (README)."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>): CloudWatch Logs accepts nothing else."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Queues
# ---------------------------------------------------------------------------------------------------------------

variable "sqs_kms_master_key_id" {
  description = "ARN of the customer managed KMS key for the buffer queue and DLQ (a key ARN, not an alias or a key id: the role's policy names it as Resource); null uses SQS-managed SSE. Its key policy must let EventBridge use it (README)."
  type        = string
  default     = null

  validation {
    condition     = var.sqs_kms_master_key_id == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.sqs_kms_master_key_id))
    error_message = "sqs_kms_master_key_id must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias or a key id: IAM policies match keys by ARN, and an alias there is a MalformedPolicyDocument."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Invocation
# ---------------------------------------------------------------------------------------------------------------

variable "invocation_mode" {
  description = "queue: EventBridge -> buffer queue -> event source mapping (recommended). async: EventBridge invokes the function directly."
  type        = string
  default     = "queue"

  validation {
    condition     = contains(["queue", "async"], var.invocation_mode)
    error_message = "invocation_mode must be queue or async."
  }
}

variable "queue" {
  description = "Queue mode settings: buffer queue and event source mapping. visibility_timeout_seconds defaults to 6x the function timeout (AWS's recommendation; lower values warn) and may not be below the function timeout (AWS's rule); max_receive_count (2-1000) is how many receives a message gets before the buffer redrives it to the DLQ. filter_patterns: Lambda filter patterns on the SQS record (messages matching none are deleted without invoking: filter in the EventBridge rule instead when a message must never be lost). metrics: [\"EventCount\"] turns on the mapping's CloudWatch metrics (charged as custom metrics)."
  type = object({
    batch_size                         = optional(number, 10)
    maximum_batching_window_in_seconds = optional(number, 0)
    maximum_concurrency                = optional(number)
    visibility_timeout_seconds         = optional(number)
    message_retention_seconds          = optional(number, 345600)
    max_receive_count                  = optional(number, 5)
    event_source_mapping_enabled       = optional(bool, true)
    filter_patterns                    = optional(list(string), [])
    metrics                            = optional(list(string), [])
  })
  default = {}

  validation {
    condition     = length(var.queue.filter_patterns) <= 10 && alltrue([for p in var.queue.filter_patterns : can(keys(jsondecode(p)))])
    error_message = "queue.filter_patterns must be at most 10 JSON objects (Lambda filter patterns, e.g. {\"body\": {\"detail-type\": [\"Object Created\"]}}); the default quota is 5."
  }

  validation {
    condition     = alltrue([for m in var.queue.metrics : contains(["EventCount"], m)])
    error_message = "queue.metrics may only hold EventCount (the value SQS mappings support and provider 5.x accepts)."
  }

  validation {
    condition     = var.queue.batch_size >= 1 && var.queue.batch_size <= 10000 && (var.queue.batch_size <= 10 || var.queue.maximum_batching_window_in_seconds >= 1)
    error_message = "queue.batch_size must be 1-10000; above 10 it needs maximum_batching_window_in_seconds >= 1."
  }

  validation {
    condition     = var.queue.maximum_batching_window_in_seconds >= 0 && var.queue.maximum_batching_window_in_seconds <= 300
    error_message = "queue.maximum_batching_window_in_seconds must be 0-300."
  }

  validation {
    condition     = var.queue.maximum_concurrency == null ? true : var.queue.maximum_concurrency >= 2 && var.queue.maximum_concurrency <= 1000
    error_message = "queue.maximum_concurrency must be between 2 and 1000."
  }

  validation {
    # 1 would send a record to the DLQ after its first failure, with no retry of a transient error.
    condition     = var.queue.max_receive_count >= 2 && var.queue.max_receive_count <= 1000 && floor(var.queue.max_receive_count) == var.queue.max_receive_count
    error_message = "queue.max_receive_count must be a whole number from 2 to 1000 (at least one retry before the DLQ)."
  }

  validation {
    condition     = var.queue.visibility_timeout_seconds == null ? true : var.queue.visibility_timeout_seconds >= 0 && var.queue.visibility_timeout_seconds <= 43200
    error_message = "queue.visibility_timeout_seconds must be 0-43200."
  }
}

variable "async" {
  description = "Async mode settings: retries and maximum event age before the event goes to the DLQ."
  type = object({
    maximum_retry_attempts       = optional(number, 2)
    maximum_event_age_in_seconds = optional(number, 3600)
  })
  default = {}

  validation {
    condition     = var.async.maximum_retry_attempts >= 0 && var.async.maximum_retry_attempts <= 2
    error_message = "async.maximum_retry_attempts must be 0-2."
  }

  validation {
    condition     = var.async.maximum_event_age_in_seconds >= 60 && var.async.maximum_event_age_in_seconds <= 21600
    error_message = "async.maximum_event_age_in_seconds must be 60-21600."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------------------------

variable "create_role" {
  description = "Create the execution role. false: use existing_role_arn, a role you manage (accounts where only the platform team creates roles); the module then creates nothing on it and attaches nothing to it, and required_policy_json lists what it needs."
  type        = bool
  default     = true
}

variable "existing_role_arn" {
  description = "ARN of the execution role to use when create_role = false (required then, and only then)."
  type        = string
  default     = null

  validation {
    condition     = var.existing_role_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.existing_role_arn))
    error_message = "existing_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<path><name>)."
  }
}

variable "role_path" {
  description = "Path of the execution role the module creates (e.g. /workloads/), for accounts whose policies or SCPs match roles by path."
  type        = string
  default     = "/"

  validation {
    condition     = length(var.role_path) <= 512 && can(regex("^(/|/[!-~]+/)$", var.role_path))
    error_message = "role_path must be / or start and end with / (printable ASCII, at most 512 characters), e.g. /workloads/images/."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of the managed policy set as the created role's permissions boundary (required by many locked-down accounts); null sets none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be an IAM policy ARN (arn:<partition>:iam::<account or aws>:policy/<name>)."
  }
}

variable "role_managed_policy_arns" {
  description = "Managed policies to attach to the created role, keyed by a name known at plan time (the ARN of a policy created in the same apply is not), e.g. { insights = \"arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy\" }."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.role_managed_policy_arns) : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", arn))])
    error_message = "role_managed_policy_arns values must be IAM policy ARNs."
  }
}

variable "policy_statements" {
  description = "Extra IAM statements for the execution role (least privilege: name the resources)."
  type = list(object({
    sid       = optional(string)
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.policy_statements : contains(["Allow", "Deny"], s.effect)])
    error_message = "Each statement's effect must be Allow or Deny."
  }
}

variable "policy_documents" {
  description = "Extra IAM policy documents (JSON) attached to the role as inline policies, keyed by a name known at plan time, e.g. the idempotency_table module's policy_json."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------------------------

variable "alarms" {
  description = "CloudWatch alarms: DLQ depth > 0, errors, throttles, oldest buffered message (queue mode), destination delivery failures (async mode)."
  type = object({
    enabled                           = optional(bool, true)
    period_seconds                    = optional(number, 300)
    evaluation_periods                = optional(number, 1)
    errors_threshold                  = optional(number, 0)
    throttles_threshold               = optional(number, 0)
    oldest_message_age_threshold_secs = optional(number, 900)
  })
  default = {}

  validation {
    condition     = var.alarms.period_seconds >= 60 && var.alarms.period_seconds % 60 == 0
    error_message = "alarms.period_seconds must be a multiple of 60."
  }
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified when an alarm fires or recovers; null creates alarms without actions."
  type        = string
  default     = null
}
