# Planning from a release in S3 with a mock provider: no dist/ exists anywhere and nothing local is read.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"
}

variables {
  artifacts_bucket = "my-artifacts-eu-west-1"
  release          = "1.0.0"
  source_code_hashes = {
    pillow = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  }
}

run "plans_from_the_release" {
  command = plan
  assert {
    condition = alltrue([
      for name, a in output.artifact_sources :
      a.filename == null && a.s3_bucket == "my-artifacts-eu-west-1" && startswith(a.s3_key, "image-pipeline/1.0.0/")
    ])
    error_message = "Every artifact comes from the release's prefix in the bucket."
  }
  assert {
    condition     = output.artifact_sources["pillow"].s3_key == "image-pipeline/1.0.0/layers/pillow.zip" && output.artifact_sources["image_resizer"].s3_key == "image-pipeline/1.0.0/functions/image_resizer.zip"
    error_message = "The keys follow the layout of dist/."
  }
}

run "release_must_be_a_version" {
  command = plan
  variables {
    release = "latest"
  }
  expect_failures = [var.release]
}
