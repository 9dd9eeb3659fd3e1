# The complete reference pipeline, deployed from this directory: the root stack of the repository used as a
# module, with its main settings spelled out. Build the artifacts first (`make build` at the repository root),
# then `terraform init && terraform apply`.

# The caller configures the provider; the modules never do.
provider "aws" {
  region = var.aws_region
}

module "pipeline" {
  source = "../.."

  name_prefix = var.name_prefix

  # The artifacts of `make build` (functions/<name>.zip, layers/pillow.zip); null = <repository>/dist.
  artifacts_dir       = var.artifacts_dir
  lambda_runtime      = "python3.13"
  lambda_architecture = "arm64"

  thumbnail_sizes         = [512, 256, 128, 64]
  thumbnail_format        = "webp"
  max_object_bytes        = 52428800
  max_image_pixels        = 50000000
  image_cpu_budget_ms     = 2000
  image_memory_budget_mb  = 512 # at most the image consumers' memory_size
  include_gps_coordinates = false

  image_resizer = {
    memory_size         = 1024
    timeout             = 60
    batch_size          = 5
    maximum_concurrency = 10
  }
  metadata_extractor = {
    memory_size         = 1024
    maximum_concurrency = 10
  }
  search_indexer = {
    memory_size         = 256
    maximum_concurrency = 5
  }

  alarm_sns_topic_arn    = var.alarm_sns_topic_arn
  enable_results_archive = true
  force_destroy          = true

  tags = {
    project = "image-pipeline"
    example = "complete"
  }
}
