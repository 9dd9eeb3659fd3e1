output "bucket_name" {
  description = "Upload images to s3://<bucket_name>/uploads/<owner>/<file>."
  value       = module.pipeline.bucket_name
}

output "consumers" {
  description = "Functions, queues, DLQs and alarms of the three consumers."
  value       = module.pipeline.consumers
}

output "search_index_table_name" {
  description = "Search index table."
  value       = module.pipeline.search_index_table_name
}

output "results_bus_name" {
  description = "Bus of the domain events."
  value       = module.pipeline.results_bus_name
}
