# Module-wide inputs first, then one section per section of main.tf (same titles, same order), then the inputs
# that only iam.tf uses.

variable "name" {
  description = "Name of the API and the function; also the prefix of the role and the log groups."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1-56 characters of letters, digits, '-' or '_'."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates that takes tags (function, API, stage, log groups, role)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------------------------------------------

variable "filename" {
  description = "Path to the function's deployment package (dist/functions/upload_api.zip of `make build`). Set this or s3_package."
  type        = string
  default     = null
}

variable "s3_package" {
  description = "The deployment package in S3 instead of a local file: bucket (in the function's region), key and, in a versioned bucket, the object version. Set this or filename."
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
  description = "Base64 SHA-256 of the package; null computes it from filename (or, for s3_package, leaves updates to key and version changes)."
  type        = string
  default     = null

  validation {
    condition     = var.source_code_hash == null ? true : can(regex("^[A-Za-z0-9+/]{43}=$", var.source_code_hash))
    error_message = "source_code_hash must be a base64-encoded SHA-256 (44 characters), as filebase64sha256() returns."
  }
}

variable "handler" {
  description = "Handler of the function."
  type        = string
  default     = "upload_api.app.handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must look like package.module.function."
  }
}

variable "runtime" {
  description = "Python runtime of the function; SnapStart needs python3.12 or later."
  type        = string
  default     = "python3.13"

  validation {
    condition     = can(regex("^python3\\.(1[0-9])$", var.runtime))
    error_message = "runtime must be python3.10 or later, e.g. python3.13."
  }
}

variable "architecture" {
  description = "Instruction set: arm64 or x86_64 (the zip is pure Python: either works)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB; CPU grows with it, and so does the speed of a cold start."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Function timeout in seconds (1-29: API Gateway waits at most 30 s for an integration)."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 29 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 29."
  }
}

variable "layers" {
  description = "Layer version ARNs, e.g. AWS's public Powertools layer (the zip holds only the project's code)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.layers) <= 5
    error_message = "A function can use at most 5 layers."
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

variable "log_level" {
  description = "Powertools log level."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch metrics namespace (UploadsSigned, ImagesRead, ImagesDeleted, Refused, NoRoute)."
  type        = string
  default     = "ImagePipeline"
}

variable "snap_start" {
  description = "SnapStart on published versions (Python 3.12+): the handler's before-snapshot hook imports boto3 and creates its clients, so a restored environment answers at once. The default; provisioned_concurrent_executions is the alternative."
  type        = bool
  default     = true
}

variable "provisioned_concurrent_executions" {
  description = "Provisioned concurrency on the alias, the alternative to SnapStart (set snap_start = false): environments kept initialised, charged while they exist. 0 turns it off."
  type        = number
  default     = 0

  validation {
    condition     = var.provisioned_concurrent_executions >= 0 && floor(var.provisioned_concurrent_executions) == var.provisioned_concurrent_executions
    error_message = "provisioned_concurrent_executions must be a whole number >= 0."
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

variable "alias_name" {
  description = "Name of the alias API Gateway invokes when versions are published (SnapStart or provisioned concurrency)."
  type        = string
  default     = "live"
}

variable "log_retention_days" {
  description = "Retention of the function's and the API's access log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the customer managed KMS key of both log groups; null uses CloudWatch Logs' default encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "upload_url_expires_seconds" {
  description = "How long a presigned POST is valid (a bearer credential for one key): long enough to start the upload, no longer."
  type        = number
  default     = 300

  validation {
    condition     = var.upload_url_expires_seconds >= 10 && var.upload_url_expires_seconds <= 3600 && floor(var.upload_url_expires_seconds) == var.upload_url_expires_seconds
    error_message = "upload_url_expires_seconds must be a whole number from 10 to 3600."
  }
}

variable "max_object_bytes" {
  description = "Largest upload, pinned in every POST policy (content-length-range): S3 refuses larger files before any function runs. Keep it equal to the consumers' max_object_bytes."
  type        = number
  default     = 52428800

  validation {
    condition     = var.max_object_bytes >= 1 && var.max_object_bytes <= 5368709120 && floor(var.max_object_bytes) == var.max_object_bytes
    error_message = "max_object_bytes must be a whole number from 1 to 5 GiB (the largest single POST upload)."
  }
}

variable "search_index_table" {
  description = "The pipeline's search index table (name and ARN): GET /images/{id} reads the caller's record there. null leaves that route out."
  type = object({
    name = string
    arn  = string
  })
  default = null
}

variable "thumbnail_urls" {
  description = "How GET /images/{id} links thumbnails: presigned GETs valid expires_seconds, or https://<cloudfront_domain>/<key> when a CloudFront distribution serves the thumbnail prefix."
  type = object({
    cloudfront_domain = optional(string)
    expires_seconds   = optional(number, 900)
  })
  default = {}

  validation {
    condition     = var.thumbnail_urls.cloudfront_domain == null ? true : can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", var.thumbnail_urls.cloudfront_domain))
    error_message = "thumbnail_urls.cloudfront_domain must be a host name such as d111111abcdef8.cloudfront.net (no scheme, no path)."
  }

  validation {
    condition     = var.thumbnail_urls.expires_seconds >= 60 && var.thumbnail_urls.expires_seconds <= 43200
    error_message = "thumbnail_urls.expires_seconds must be 60-43200."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------------------

variable "jwt_issuer" {
  description = "Issuer of the tokens the JWT authorizer accepts (the iss claim; API Gateway reads <issuer>/.well-known/openid-configuration for the keys). Cognito: https://cognito-idp.<region>.amazonaws.com/<user pool id>."
  type        = string

  validation {
    # http:// only on the loopback interface, for an emulator's local issuer.
    condition     = can(regex("^https://[^\\s/]+(/[^\\s]*)?$", var.jwt_issuer)) || can(regex("^http://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?(/[^\\s]*)?$", var.jwt_issuer))
    error_message = "jwt_issuer must be an https:// URL (http:// only for 127.0.0.1 or localhost, for emulators)."
  }
}

variable "jwt_audience" {
  description = "Accepted audiences: the token's aud claim, or its client_id when it has no aud (Cognito access tokens), must be one of these. Cognito: the app client id."
  type        = list(string)

  validation {
    condition     = length(var.jwt_audience) >= 1 && alltrue([for a in var.jwt_audience : length(a) > 0])
    error_message = "jwt_audience needs at least one non-empty audience."
  }
}

variable "authorization_scopes" {
  description = "OAuth scopes every route requires (the token's scope or scp claim must hold one of them); empty requires none."
  type        = list(string)
  default     = []
}

variable "cors_allowed_origins" {
  description = "Web origins of the upload page (e.g. https://app.example.com): the API's CORS configuration and, with manage_bucket_cors, the bucket's for the form POST. Empty: no browser access."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allowed_origins : can(regex("^https?://[^/\\s*]+$", o))])
    error_message = "cors_allowed_origins must be origins such as https://app.example.com (scheme and host, optional port, no path, no wildcard)."
  }
}

variable "cors_max_age_seconds" {
  description = "How long browsers may cache a preflight answer."
  type        = number
  default     = 600
}

variable "throttling" {
  description = "Default route throttling of the stage: burst_limit requests at once, rate_limit per second (each presigned POST is one request)."
  type = object({
    burst_limit = optional(number, 50)
    rate_limit  = optional(number, 25)
  })
  default = {}

  validation {
    condition     = var.throttling.burst_limit >= 1 && var.throttling.rate_limit > 0
    error_message = "throttling.burst_limit must be >= 1 and rate_limit > 0."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Bucket
# ---------------------------------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "The uploads bucket (the pipeline's images bucket): uploads go to <upload_prefix><sub>/<uuid>.<ext>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name."
  }
}

variable "upload_prefix" {
  description = "Key prefix of uploads; each caller's folder is <upload_prefix><sub>/."
  type        = string
  default     = "uploads/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.'()-]+/)+$", var.upload_prefix))
    error_message = "upload_prefix must be a non-empty folder-like prefix ending with '/' (no '*')."
  }
}

variable "thumbnail_prefix" {
  description = "Key prefix of the thumbnails the GET route links to (the role may read only there)."
  type        = string
  default     = "thumbnails/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.'()-]+/)+$", var.thumbnail_prefix))
    error_message = "thumbnail_prefix must be a non-empty folder-like prefix ending with '/'."
  }
}

variable "manage_bucket_cors" {
  description = "Write the bucket's CORS configuration (POST from cors_allowed_origins). A bucket has one: set false when its owner writes it, and add the rule there."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------------------------

variable "direct_upload_principal_arns" {
  description = "IAM principals (role, user or account root ARNs) that bucket_policy_json still lets write to the upload prefix directly, e.g. a migration role. Everyone else writes only through this API's signed POSTs."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.direct_upload_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "direct_upload_principal_arns must hold IAM ARNs: arn:<partition>:iam::<account>:root, :role/<name> or :user/<name>."
  }
}

variable "role_path" {
  description = "Path of the function's role."
  type        = string
  default     = "/"

  validation {
    condition     = length(var.role_path) <= 512 && can(regex("^(/|/[!-~]+/)$", var.role_path))
    error_message = "role_path must be / or start and end with / (printable ASCII, at most 512 characters)."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of the managed policy set as the role's permissions boundary; null sets none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be an IAM policy ARN."
  }
}
