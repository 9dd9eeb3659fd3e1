# The reference pipeline deployed from the artifacts a release published to S3 (`make release-artifacts`, then
# upload; docs/terraform.md, "Releases"): nothing is built or read locally, as when the module comes from a
# registry.
provider "aws" {
  region = var.region
}

module "pipeline" {
  source = "../.."

  name_prefix = var.name_prefix

  artifacts_s3 = {
    bucket             = var.artifacts_bucket
    key_prefix         = "image-pipeline/${var.release}/"
    source_code_hashes = var.source_code_hashes
  }
  # The platform the release was built for (its manifest.json says which).
  lambda_runtime      = var.lambda_runtime
  lambda_architecture = var.lambda_architecture
}
