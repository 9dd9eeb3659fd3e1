variable "region" {
  description = "Region of both provider configurations; null uses AWS_REGION / the profile's region."
  type        = string
  default     = null
}

variable "workload_role_arn" {
  description = "Role to assume in the workload account the pipelines are deployed to; null deploys to the caller's own account."
  type        = string
  default     = null

  validation {
    condition     = var.workload_role_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.workload_role_arn))
    error_message = "workload_role_arn must be an IAM role ARN."
  }
}

variable "pipelines" {
  description = "One pipeline per entry, keyed by its name prefix (3-29 lowercase letters, digits or '-'): thumbnail sizes and format, alarm topic, deletion protection of its tables."
  type = map(object({
    thumbnail_sizes     = optional(list(number), [512, 256, 128, 64])
    thumbnail_format    = optional(string, "webp")
    alarm_sns_topic_arn = optional(string)
    deletion_protection = optional(bool, true)
  }))
  default = {
    avatars = { thumbnail_sizes = [256, 128, 64] }
    photos  = {}
  }
}

variable "artifacts_s3" {
  description = "The release in S3 every pipeline deploys (bucket in the workload account's region, key prefix of the version; see the root module's artifacts_s3)."
  type = object({
    bucket             = string
    key_prefix         = string
    object_versions    = optional(map(string), {})
    source_code_hashes = optional(map(string), {})
  })
}
