terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x from 5.70 (event rule `state`, SQS-managed SSE, scaling_config) through 6.x.
      version = ">= 5.70, < 7.0"
    }
  }
}
