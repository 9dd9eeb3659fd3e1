variable "region" {
  description = "Region to deploy to (the artifacts bucket must be in it); null uses AWS_REGION / the profile's region."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "image-pipeline"
}

variable "artifacts_bucket" {
  description = "Bucket the release's artifacts were uploaded to (under image-pipeline/<release>/)."
  type        = string
}

variable "release" {
  description = "Version of the release to deploy (its key prefix is image-pipeline/<release>/), e.g. 1.0.0."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$", var.release))
    error_message = "release must be a semantic version, e.g. 1.0.0."
  }
}

variable "source_code_hashes" {
  description = "Base64 SHA-256 of each artifact, from the release's manifest.json (python -m tools.release tfvars prints them); {} redeploys only when the release changes."
  type        = map(string)
  default     = {}
}

variable "lambda_runtime" {
  description = "Runtime the release was built for (manifest.json: runtime)."
  type        = string
  default     = "python3.13"
}

variable "lambda_architecture" {
  description = "Architecture the release was built for (manifest.json: architecture)."
  type        = string
  default     = "arm64"
}
