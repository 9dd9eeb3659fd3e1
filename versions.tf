terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70, < 7.0"
    }
  }
}

# The root stack is what users apply, so it configures the provider. Region and credentials come from
# var.aws_region or the usual AWS_* environment / profile. An emulator run overrides this block with a
# generated *_override.tf file (endpoints, fake credentials); nothing else changes.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = var.tags
  }
}
