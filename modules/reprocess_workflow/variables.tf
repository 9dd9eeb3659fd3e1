# Inputs of the whole module first, then one section per section of main.tf (same titles, same order), then IAM.

variable "name" {
  description = "Name of the state machine; the runs table is <name>-runs, the role <name>-role, the log group /aws/vendedlogs/states/<name>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,70}$", var.name))
    error_message = "name must be 1-70 letters, digits, '-' or '_' (a state machine name, with room for the suffixes)."
  }
}

variable "bucket" {
  description = "The images bucket: name and ARN. Uploads are listed under upload_prefix; reports are written under report_prefix."
  type = object({
    name = string
    arn  = string
  })

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket.arn)) && endswith(var.bucket.arn, ":::${var.bucket.name}")
    error_message = "bucket.arn must be the S3 ARN of bucket.name (arn:<partition>:s3:::<name>)."
  }
}

variable "upload_prefix" {
  description = "Key prefix of uploads (objects are <upload_prefix><owner>/...): the prefix a run walks must start with it, and only keys in an owner's folder are sent, as the upload rules route them."
  type        = string
  default     = "uploads/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.'()-]+/)+$", var.upload_prefix))
    error_message = "upload_prefix must be a folder-like prefix ending with '/', without '*' (a wildcard in the state machine's key patterns)."
  }
}

variable "consumers" {
  description = "The consumers a run may feed, by name (the names a run's input chooses from): the URL and ARN of each one's buffer queue, and the customer managed KMS key that encrypts it, if any."
  type = map(object({
    queue_url   = string
    queue_arn   = string
    kms_key_arn = optional(string)
  }))

  validation {
    condition     = length(var.consumers) >= 1 && alltrue([for name in keys(var.consumers) : can(regex("^[a-z][a-z0-9_]{0,63}$", name))])
    error_message = "consumers needs at least one entry, keyed by consumer names of lower-case letters, digits and '_'."
  }

  validation {
    condition     = alltrue([for c in values(var.consumers) : can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", c.queue_arn)) && can(regex("^https?://", c.queue_url))])
    error_message = "Each consumer needs a buffer queue ARN (arn:<partition>:sqs:<region>:<account>:<name>) and its URL."
  }
}

variable "report_prefix" {
  description = "Key prefix in the images bucket for each run's summary (<report_prefix><run>/summary.json) and the Map Runs' results (<report_prefix>map-runs/<map run id>/). Must not overlap upload_prefix or protected_prefixes."
  type        = string
  default     = "reprocess/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.'()-]+/)+$", var.report_prefix))
    error_message = "report_prefix must be a folder-like prefix ending with '/'."
  }
}

variable "protected_prefixes" {
  description = "Other key prefixes of the bucket that reports must not be written among (the consumers' output prefixes)."
  type        = list(string)
  default     = []
}

variable "default_rate" {
  description = "Objects a second a run sends when its input names no rate (a ceiling: each second's batch is sent, then the run waits a second)."
  type        = number
  default     = 50

  validation {
    condition     = var.default_rate >= 1 && var.default_rate <= 1000 && floor(var.default_rate) == var.default_rate
    error_message = "default_rate must be a whole number from 1 to 1000."
  }
}

variable "default_tolerated_failure_percentage" {
  description = "Percentage of objects whose batch may fail before a run fails, when its input names none."
  type        = number
  default     = 0

  validation {
    condition     = var.default_tolerated_failure_percentage >= 0 && var.default_tolerated_failure_percentage <= 100
    error_message = "default_tolerated_failure_percentage must be between 0 and 100."
  }
}

variable "inventory" {
  description = "Where S3 Inventory reports of the bucket are delivered (bucket ARN, key prefix): runs may then walk a manifest.json there instead of listing a prefix. null: manifests cannot be read."
  type = object({
    bucket_arn = string
    prefix     = optional(string, "")
  })
  default = null

  validation {
    condition     = var.inventory == null ? true : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.inventory.bucket_arn))
    error_message = "inventory.bucket_arn must be an S3 bucket ARN."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------
# Run counters
# ---------------------------------------------------------------------------------------------------------------

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for the runs table; null uses the AWS managed key (aws/dynamodb)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "deletion_protection_enabled" {
  description = "Protect the runs table from deletion."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------------------
# State machine
# ---------------------------------------------------------------------------------------------------------------

variable "logging" {
  description = "Execution logging to CloudWatch Logs: level (ALL, ERROR, FATAL or OFF), include_execution_data (inputs and outputs of states, including object keys), retention_days of the log group, and kms_key_arn for it."
  type = object({
    level                  = optional(string, "ERROR")
    include_execution_data = optional(bool, false)
    retention_days         = optional(number, 30)
    kms_key_arn            = optional(string)
  })
  default = {}

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.logging.level)
    error_message = "logging.level must be ALL, ERROR, FATAL or OFF."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.logging.retention_days)
    error_message = "logging.retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tracing_enabled" {
  description = "X-Ray tracing of executions."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------------------------

variable "role_path" {
  description = "Path of the state machine's role."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must start and end with '/'."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of a permissions boundary policy for the state machine's role; null: none."
  type        = string
  default     = null
}
