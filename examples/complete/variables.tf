variable "aws_region" {
  description = "Region to deploy to; null uses AWS_REGION / the profile's region."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "image-pipeline-demo"
}

variable "artifacts_dir" {
  description = "Directory with the output of `make build`; null means the repository's dist/."
  type        = string
  default     = null
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic for the consumers' alarms; null creates alarms without actions."
  type        = string
  default     = null
}
