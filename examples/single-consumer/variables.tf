variable "aws_region" {
  description = "Region to deploy to; null uses AWS_REGION / the profile's region."
  type        = string
  default     = null
}

variable "name" {
  description = "Name of the function (and prefix of its queues, rule and bus)."
  type        = string
  default     = "order-logger"
}
