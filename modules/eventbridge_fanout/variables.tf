# ---------------------------------------------------------------------------------------------------------------
# Rules and targets
# ---------------------------------------------------------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every rule name (rule name = prefix + key of var.rules)."
  type        = string
  default     = ""
}

variable "event_bus_name" {
  description = "Bus of the rules that do not name their own: `default` (where S3 sends its events) or a custom bus name."
  type        = string
  default     = "default"
}

variable "queues" {
  description = "SQS queues the rules deliver to (targets and target DLQs), keyed by a name known at plan time. The module writes one queue policy per queue that lets events.amazonaws.com send messages only from the rules that use it; it replaces any other policy on those queues."
  type = map(object({
    arn = string
    url = string
  }))
  default = {}
}

variable "rules" {
  description = "Rules keyed by a short name. Each target is either an SQS queue (`queue` = key in var.queues) or a Lambda function (`lambda_function_arn`), with its own retry policy and optional DLQ (`dead_letter_queue` = key in var.queues) and input transformer."
  type = map(object({
    description    = optional(string, "")
    event_bus_name = optional(string)
    event_pattern  = string
    state          = optional(string, "ENABLED")
    targets = map(object({
      queue                        = optional(string)
      lambda_function_arn          = optional(string)
      dead_letter_queue            = optional(string)
      maximum_event_age_in_seconds = optional(number, 86400)
      maximum_retry_attempts       = optional(number, 185)
      input_transformer = optional(object({
        input_paths    = optional(map(string), {})
        input_template = string
      }))
    }))
  }))

  validation {
    condition     = alltrue([for r in values(var.rules) : can(keys(jsondecode(r.event_pattern)))])
    error_message = "Each rule's event_pattern must be a JSON object."
  }

  validation {
    condition     = alltrue([for r in values(var.rules) : contains(["ENABLED", "DISABLED"], r.state)])
    error_message = "Each rule's state must be ENABLED or DISABLED."
  }

  validation {
    condition     = alltrue([for r in values(var.rules) : length(r.targets) >= 1 && length(r.targets) <= 5])
    error_message = "Each rule needs 1 to 5 targets."
  }

  validation {
    condition = alltrue(flatten([for r in values(var.rules) : [
      for t in values(r.targets) : (t.queue == null) != (t.lambda_function_arn == null)
    ]]))
    error_message = "Each target sets exactly one of queue or lambda_function_arn."
  }

  validation {
    condition = alltrue(flatten([for r in values(var.rules) : [
      for t in values(r.targets) : t.maximum_retry_attempts >= 0 && t.maximum_retry_attempts <= 185 && t.maximum_event_age_in_seconds >= 60 && t.maximum_event_age_in_seconds <= 86400
    ]]))
    error_message = "Retry policy: maximum_retry_attempts 0-185, maximum_event_age_in_seconds 60-86400."
  }

  validation {
    condition     = alltrue([for k in keys(var.rules) : can(regex("^[A-Za-z0-9._-]+$", k))])
    error_message = "Rule keys may contain only letters, digits, '.', '_' and '-'."
  }
}

variable "tags" {
  description = "Tags for the rules."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------------------------

variable "archives" {
  description = "Archives for replay, keyed by archive name: the bus ARN, optional event pattern and retention (0 = forever)."
  type = map(object({
    event_source_arn = string
    description      = optional(string, "")
    event_pattern    = optional(string)
    retention_days   = optional(number, 14)
  }))
  default = {}

  validation {
    condition     = alltrue([for a in values(var.archives) : a.retention_days >= 0])
    error_message = "retention_days must be >= 0."
  }
}

# ---------------------------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------------------------

variable "queue_policy_statements" {
  description = "Extra statements for the queue policies this module writes, by queue key (SQS keeps one policy per queue and this module owns it, so add statements here rather than with another aws_sqs_queue_policy). Each names its principals (type AWS, Service or * with identifiers), SQS actions and optional conditions; the resource is the queue. A queue no rule uses gets a policy with these statements only."
  type = map(list(object({
    sid    = string
    effect = optional(string, "Allow")
    principals = list(object({
      type        = string
      identifiers = list(string)
    }))
    actions = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  })))
  default = {}

  validation {
    condition = alltrue(flatten([for statements in values(var.queue_policy_statements) : [
      for s in statements : can(regex("^[A-Za-z0-9]+$", s.sid)) && s.sid != "AllowEventBridgeRules"
    ]]))
    error_message = "Each statement needs an alphanumeric sid other than AllowEventBridgeRules (the module's own statement)."
  }

  validation {
    condition = alltrue([
      for statements in values(var.queue_policy_statements) : length(distinct([for s in statements : s.sid])) == length(statements)
    ])
    error_message = "Statement sids must be unique within a queue's policy."
  }

  validation {
    condition = alltrue(flatten([for statements in values(var.queue_policy_statements) : [
      for s in statements : contains(["Allow", "Deny"], s.effect) && length(s.principals) >= 1 && alltrue([
        for p in s.principals : contains(["AWS", "Service", "*"], p.type) && length(p.identifiers) >= 1
      ]) && length(s.actions) >= 1 && alltrue([for a in s.actions : startswith(a, "sqs:")])
    ]]))
    error_message = "Each statement: effect Allow or Deny, principals of type AWS, Service or * with identifiers, and sqs:* actions only (the resource is the queue)."
  }
}

