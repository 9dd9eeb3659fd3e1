# Several image pipelines, one per entry of var.pipelines, in a workload account: the repository root called
# as a module with for_each and an aliased provider that assumes a role there. The modules configure no
# provider; this configuration does, once, and passes it in.

# The account Terraform runs in (state, CI). Nothing of the pipelines is created with it.
provider "aws" {
  region = var.region
}

# The workload account, reached through an assumed role (no role: the caller's own account).
provider "aws" {
  alias  = "workload"
  region = var.region

  dynamic "assume_role" {
    for_each = var.workload_role_arn == null ? [] : [var.workload_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "image-pipelines"
    }
  }

  default_tags {
    tags = { managed-by = "terraform" }
  }
}

module "pipeline" {
  source   = "../.."
  for_each = var.pipelines

  providers = {
    aws = aws.workload
  }

  name_prefix  = each.key
  artifacts_s3 = var.artifacts_s3

  thumbnail_sizes     = each.value.thumbnail_sizes
  thumbnail_format    = each.value.thumbnail_format
  alarm_sns_topic_arn = each.value.alarm_sns_topic_arn
  deletion_protection = each.value.deletion_protection

  tags = { pipeline = each.key }
}
