output "bucket_name" {
  description = "Upload images to s3://<bucket_name>/uploads/<owner>/<file>."
  value       = module.pipeline.bucket_name
}

output "artifact_sources" {
  description = "The S3 objects each function and the Pillow layer are deployed from."
  value       = module.pipeline.artifact_sources
}
