output "bucket_names" {
  description = "Images bucket of each pipeline: upload to s3://<bucket>/uploads/<owner>/<file>."
  value       = { for name, p in module.pipeline : name => p.bucket_name }
}

output "results_bus_arns" {
  description = "Results bus ARN of each pipeline (in the workload account)."
  value       = { for name, p in module.pipeline : name => p.results_bus_arn }
}

output "function_names" {
  description = "Consumer function names of each pipeline."
  value       = { for name, p in module.pipeline : name => p.function_names }
}
