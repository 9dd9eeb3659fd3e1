variable "aws_region" {
  description = "Region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the API and prefix of everything else."
  type        = string
  default     = "upload-api-example"
}

variable "function_zip" {
  description = "The function package of `make build` (run from the repository root)."
  type        = string
  default     = "../../dist/functions/upload_api.zip"
}

variable "web_origins" {
  description = "Origins of the upload page (web/), e.g. https://app.example.com."
  type        = list(string)
  default     = []
}
