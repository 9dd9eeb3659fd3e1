output "event_bus_name" {
  description = "Send events here: source shop.orders, detail-type Order Placed."
  value       = aws_cloudwatch_event_bus.orders.name
}

output "function_name" {
  description = "The consumer function."
  value       = module.consumer.function_name
}

output "buffer_queue_url" {
  description = "The consumer's buffer queue."
  value       = module.consumer.buffer_queue_url
}

output "dlq_url" {
  description = "The consumer's dead-letter queue."
  value       = module.consumer.dlq_url
}

output "rule_arns" {
  description = "The subscription rule."
  value       = module.subscription.rule_arns
}
