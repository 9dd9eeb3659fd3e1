terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The lowest version whose features the modules use (aws_lambda_event_source_mapping.metrics_config,
      # 5.79; tests/terraform/test_provider_versions.py keeps this equal to the newest such feature). 6.x is
      # allowed, untested here: UPGRADING.md lists the 6.x changes that touch these modules.
      version = ">= 5.79, < 7.0"
    }
  }
}
