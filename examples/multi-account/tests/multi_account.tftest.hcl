# The root module behind for_each and an aliased provider, offline. The two mock providers answer with ARNs
# of different accounts, so the assertions show which configuration created the pipelines.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"

  mock_resource "aws_cloudwatch_event_bus" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:111111111111:event-bus/management"
    }
  }
}

mock_provider "aws" {
  alias  = "workload"
  source = "../../tests/terraform/mocks"

  mock_resource "aws_cloudwatch_event_bus" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:222222222222:event-bus/results"
    }
  }
}

variables {
  workload_role_arn = "arn:aws:iam::222222222222:role/terraform"
  artifacts_s3      = { bucket = "releases-bucket", key_prefix = "image-pipeline/1.0.0/" }
}

run "one_pipeline_per_entry" {
  command = plan
  assert {
    condition     = toset(keys(module.pipeline)) == toset(["avatars", "photos"])
    error_message = "for_each creates one pipeline per entry."
  }
  assert {
    condition     = output.function_names["avatars"]["image_resizer"] == "avatars-image-resizer" && output.function_names["photos"]["search_indexer"] == "photos-search-indexer"
    error_message = "Each pipeline's names start with its key."
  }
}

run "pipelines_are_created_with_the_workload_provider" {
  assert {
    condition     = alltrue([for name, arn in output.results_bus_arns : split(":", arn)[4] == "222222222222"])
    error_message = "Every pipeline's resources come from the aliased (workload) provider."
  }
  assert {
    condition     = alltrue([for name, p in module.pipeline : p.powertools_layer_arn == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"])
    error_message = "Region and account are read from the pipeline's own ARNs."
  }
}
