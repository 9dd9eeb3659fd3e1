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

# No provider block: the root stack is also a module (callers use for_each, depends_on and
# providers = { aws = aws.<alias> } on it, which a provider block inside would forbid). Applied as a root
# configuration, Terraform gives it the default aws provider configuration: region and credentials from the
# usual AWS_* environment variables or profile. The examples configure the provider explicitly; an emulator
# run adds a generated provider file (endpoints, fake credentials).
