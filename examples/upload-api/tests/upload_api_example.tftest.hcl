# The module on its own, offline: a mock provider, the module's fixture zip for the package.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"

  mock_resource "aws_cognito_user_pool" {
    defaults = {
      id = "eu-west-1_AbCdEf123"
    }
  }
}

variables {
  function_zip = "../../modules/upload_api/tests/fixtures/handler.zip"
  web_origins  = ["https://app.example.com"]
}

run "cognito_issuer_and_bucket_policy" {
  assert {
    condition     = output.jwt_issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    error_message = "The authorizer trusts the user pool as issuer."
  }
  assert {
    condition     = [for s in jsondecode(aws_s3_bucket_policy.uploads.policy).Statement : s.Sid] == ["DenyInsecureTransport", "DenyUploadsExceptSignedPosts", "DenyUploadApiWritesOtherThanPost"]
    error_message = "The bucket's policy holds its own statement and the API's."
  }
}
