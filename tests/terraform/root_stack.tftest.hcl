# The root stack's wiring, offline: `terraform test -test-directory=tests/terraform` from the repository root
# (tools/terraform/check.sh runs it). Fixture zips stand in for `make build`.
mock_provider "aws" {
  source = "./tests/terraform/mocks"
}

variables {
  artifacts_dir = "tests/terraform/fixtures/dist"
}

run "defaults" {
  assert {
    condition     = module.consumer["image_resizer"].function_name == "image-pipeline-image-resizer"
    error_message = "Function names are prefix + consumer."
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer : c.event_source_mapping_uuid != null
    ])
    error_message = "Every consumer runs in queue mode."
  }
  assert {
    condition = (
      jsondecode(module.routing.event_patterns["image-resizer-uploads"]).detail.object.key == [{ wildcard = "uploads/*/*" }] &&
      jsondecode(module.routing.event_patterns["image-resizer-uploads"])["detail-type"] == ["Object Created"] &&
      jsondecode(module.routing.event_patterns["image-resizer-uploads"]).detail.bucket.name == ["images-bucket"]
    )
    error_message = "The resizer's rule matches Object Created in an owner's folder under uploads/ of this bucket only."
  }
  assert {
    condition = alltrue([
      for key in ["image-resizer-uploads", "metadata-extractor-uploads", "search-indexer-uploads"] :
      jsondecode(module.routing.event_patterns[key]).detail.object.key == [{ wildcard = "uploads/*/*" }]
    ])
    error_message = "Every upload rule matches <upload_prefix><owner>/... only (uploads/x.png has no owner folder)."
  }
  assert {
    condition     = jsondecode(module.routing.event_patterns["search-indexer-uploads"])["detail-type"] == ["Object Created", "Object Deleted"]
    error_message = "The indexer also receives deletions."
  }
  assert {
    condition = (
      jsondecode(module.routing.event_patterns["search-indexer-results"]).source == ["image-pipeline"] &&
      toset(jsondecode(module.routing.event_patterns["search-indexer-results"])["detail-type"]) == toset(["Thumbnails Generated", "Image Metadata Extracted", "Image Rejected"])
    )
    error_message = "The indexer receives the three domain events."
  }
  assert {
    condition     = length(module.routing.archive_arns) == 0 && length(aws_schemas_discoverer.results) == 0
    error_message = "No archive and no schema discovery by default."
  }
  assert {
    condition     = output.powertools_layer_arn == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:${var.powertools_layer_version}"
    error_message = "The public Powertools layer follows region, runtime and architecture."
  }
  assert {
    condition     = aws_s3_bucket_notification.images.eventbridge && aws_s3_bucket_versioning.images.versioning_configuration[0].status == "Enabled"
    error_message = "The bucket is versioned and sends its events to EventBridge."
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.images.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "The bucket denies requests without TLS."
  }
  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.images.rule : r.id] == ["expire-old-versions", "expire-old-thumbnail-versions", "expire-old-metadata-versions"]
    error_message = "One lifecycle configuration: the bucket-wide rule and one backstop rule per output prefix."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.images.rule[0].noncurrent_version_expiration[0].noncurrent_days == 30
    error_message = "Old versions of uploads expire after noncurrent_version_expiration_days (bucket-wide rule)."
  }
  assert {
    condition = alltrue([
      for i, prefix in { 1 = "thumbnails/", 2 = "metadata/" } :
      aws_s3_bucket_lifecycle_configuration.images.rule[i].filter[0].prefix == prefix &&
      aws_s3_bucket_lifecycle_configuration.images.rule[i].noncurrent_version_expiration[0].noncurrent_days == 1 &&
      aws_s3_bucket_lifecycle_configuration.images.rule[i].expiration[0].expired_object_delete_marker &&
      aws_s3_bucket_lifecycle_configuration.images.rule[i].status == "Enabled"
    ])
    error_message = "Old versions of derived outputs expire after a day; their expired delete markers are removed."
  }
}

run "environment_and_iam_follow_the_contracts" {
  assert {
    condition     = module.consumer["image_resizer"].environment_variables["THUMBNAIL_SIZES"] == "512,256,128,64" && module.consumer["image_resizer"].environment_variables["THUMBNAIL_FORMAT"] == "webp"
    error_message = "Resizer settings."
  }
  assert {
    condition     = module.consumer["metadata_extractor"].environment_variables["INCLUDE_GPS_COORDINATES"] == "false"
    error_message = "GPS coordinates are off by default."
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer :
      c.environment_variables["POWERTOOLS_SERVICE_NAME"] == name && c.environment_variables["DLQ_URL"] == c.dlq_url && c.environment_variables["IDEMPOTENCY_TTL_SECONDS"] == "86400"
    ])
    error_message = "Every consumer knows its service name, its own DLQ and the idempotency TTL."
  }
  assert {
    condition     = !contains(keys(module.consumer["search_indexer"].environment_variables), "RESULTS_BUS_NAME")
    error_message = "The indexer publishes no domain events."
  }
  assert {
    condition     = alltrue([for name, c in module.consumer : c.environment_variables["MAX_RECEIVE_COUNT"] == "5"])
    error_message = "Every consumer knows its buffer's maxReceiveCount (its last delivery)."
  }
  assert {
    condition = alltrue([
      for name in ["image_resizer", "metadata_extractor"] :
      module.consumer[name].environment_variables["IMAGE_CPU_BUDGET_MS"] == "2000" && module.consumer[name].environment_variables["IMAGE_MEMORY_BUDGET_MB"] == "512"
    ]) && !contains(keys(module.consumer["search_indexer"].environment_variables), "IMAGE_CPU_BUDGET_MS")
    error_message = "The image consumers get the image budgets; the indexer does not."
  }
  assert {
    condition = flatten([
      for s in jsondecode(module.consumer["image_resizer"].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:PutObject")
    ]) == ["arn:aws:s3:::images-bucket/thumbnails/*"]
    error_message = "The resizer writes thumbnails only."
  }
  assert {
    condition = flatten([
      for s in jsondecode(module.consumer["metadata_extractor"].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:PutObject")
    ]) == ["arn:aws:s3:::images-bucket/metadata/*"]
    error_message = "The extractor writes metadata only."
  }
  assert {
    condition = alltrue([
      for name in ["image_resizer", "metadata_extractor"] : flatten([
        for s in jsondecode(module.consumer[name].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:GetObject")
      ]) == ["arn:aws:s3:::images-bucket/uploads/*"]
    ])
    error_message = "The image consumers read uploads only."
  }
  assert {
    condition = alltrue([
      for name in ["image_resizer", "metadata_extractor"] : one([
        for s in jsondecode(module.consumer[name].role_policy_json).Statement : s if contains(s.Action, "s3:ListBucketVersions")
      ]).Condition == { StringLike = { "s3:prefix" = ["uploads/*"] } }
    ])
    error_message = "The image consumers list versions under the upload prefix only (to tell a deleted upload from a forbidden one)."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(module.consumer["search_indexer"].role_policy_json).Statement : s.Resource if contains(s.Action, "s3:DeleteObjectVersion")
    ])) == toset(["arn:aws:s3:::images-bucket/thumbnails/*", "arn:aws:s3:::images-bucket/metadata/*"])
    error_message = "The indexer deletes output versions only, never uploads."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(module.consumer["search_indexer"].role_policy_json).Statement : s.Action if s.Sid != "WriteOwnLogs" && s.Sid != "SendToOwnDlq" && s.Sid != "WriteTraces"
    ])) == toset(["dynamodb:GetItem", "dynamodb:PutItem", "s3:ListBucketVersions", "s3:DeleteObjectVersion"])
    error_message = "The indexer: index items, list versions, delete output versions; nothing else (it reads no object)."
  }
  assert {
    condition = one([
      for s in jsondecode(module.consumer["search_indexer"].role_policy_json).Statement : s if contains(s.Action, "dynamodb:PutItem")
    ]).Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/mock"]
    error_message = "The indexer's index statement names the table only (no index/*)."
  }
  assert {
    condition = one([
      for s in jsondecode(module.consumer["search_indexer"].role_policy_json).Statement : s if contains(s.Action, "s3:ListBucketVersions")
    ]).Condition == { StringLike = { "s3:prefix" = ["uploads/*", "thumbnails/*", "metadata/*"] } }
    error_message = "The indexer lists versions of uploads (the read-back) and outputs (cleanup) only."
  }
  assert {
    condition = alltrue([
      for name, types in { image_resizer = ["Thumbnails Generated", "Image Rejected"], metadata_extractor = ["Image Metadata Extracted", "Image Rejected"] } :
      one([for s in jsondecode(module.consumer[name].role_policy_json).Statement : s if contains(s.Action, "events:PutEvents")]).Condition == {
        "ForAllValues:StringEquals" = { "events:source" = ["image-pipeline"] }
        StringEquals                = { "events:detail-type" = types }
      }
    ])
    error_message = "Each producer may put only its own detail types, with the pipeline's source."
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer : !contains(flatten([for s in jsondecode(c.role_policy_json).Statement : s.Action]), "s3:*")
    ])
    error_message = "No consumer gets s3:*."
  }
}

run "emulator_switches" {
  variables {
    event_source_mapping_enabled = false
    use_public_powertools_layer  = false
    enable_results_archive       = true
  }
  assert {
    condition     = output.powertools_layer_arn == null
    error_message = "No public layer when switched off."
  }
  assert {
    condition     = length(module.routing.archive_arns) == 1
    error_message = "The results archive is created on request."
  }
}

# The mock gives every role the same ARN, so this checks the shape; tests/integration/test_iam.py checks the
# deployed policy names exactly the two producer roles.
run "results_bus_admits_the_producers_only" {
  variables {
    results_bus_extra_publisher_arns = ["arn:aws:iam::123456789012:role/replayer"]
  }

  assert {
    condition     = aws_cloudwatch_event_bus_policy.results.event_bus_name == aws_cloudwatch_event_bus.results.name
    error_message = "The policy is on the results bus."
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_bus_policy.results.policy).Statement[0] == {
      Sid       = "DenyOtherPublishers"
      Effect    = "Deny"
      Principal = "*"
      Action    = "events:PutEvents"
      Resource  = aws_cloudwatch_event_bus.results.arn
      Condition = {
        ArnNotEquals = {
          "aws:PrincipalArn" = [
            module.consumer["image_resizer"].role_arn,
            module.consumer["metadata_extractor"].role_arn,
            "arn:aws:iam::123456789012:role/replayer",
          ]
        }
      }
    }
    error_message = "Everyone but the producers and the extra publishers is denied."
  }
  assert {
    condition = {
      for s in jsondecode(aws_cloudwatch_event_bus_policy.results.policy).Statement : s.Sid => [s.Principal.AWS, s.Condition] if s.Effect == "Allow" && s.Sid != "AllowExtraPublishers"
      } == {
      AllowImageResizer = [module.consumer["image_resizer"].role_arn, {
        "ForAllValues:StringEquals" = { "events:source" = ["image-pipeline"] }
        StringEquals                = { "events:detail-type" = ["Thumbnails Generated", "Image Rejected"] }
      }]
      AllowMetadataExtractor = [module.consumer["metadata_extractor"].role_arn, {
        "ForAllValues:StringEquals" = { "events:source" = ["image-pipeline"] }
        StringEquals                = { "events:detail-type" = ["Image Metadata Extracted", "Image Rejected"] }
      }]
    }
    error_message = "The bus allows each producer its own detail types only, as its IAM policy does."
  }
  assert {
    condition     = one([for s in jsondecode(aws_cloudwatch_event_bus_policy.results.policy).Statement : s.Principal.AWS if s.Sid == "AllowExtraPublishers"]) == ["arn:aws:iam::123456789012:role/replayer"]
    error_message = "Extra publishers are allowed on request."
  }
}

run "no_extra_publishers_by_default" {
  assert {
    condition     = length(jsondecode(aws_cloudwatch_event_bus_policy.results.policy).Statement) == 3
    error_message = "By default the bus policy has the deny and one allow per producer."
  }
}

run "invalid_inputs_fail_validation" {
  command = plan
  variables {
    upload_prefix                    = "up*loads/"
    image_cpu_budget_ms              = 50
    image_memory_budget_mb           = 100
    results_bus_extra_publisher_arns = ["arn:aws:sts::123456789012:assumed-role/x/session"]
  }
  expect_failures = [var.upload_prefix, var.image_cpu_budget_ms, var.image_memory_budget_mb, var.results_bus_extra_publisher_arns]
}

run "memory_budget_above_an_image_consumer_memory_is_rejected" {
  command = plan
  variables {
    image_memory_budget_mb = 2048
    image_resizer          = { memory_size = 4096 }
  }
  expect_failures = [terraform_data.image_budgets]
}

run "overlapping_prefixes_are_rejected" {
  command = plan
  variables {
    thumbnail_prefix = "uploads/thumbs/"
  }
  expect_failures = [aws_s3_bucket.images]
}

# The root stack configures no provider (it is a module too), so its tags are set on each resource and module
# instead of provider default_tags.
run "tags_are_set_without_default_tags" {
  command = plan
  variables {
    tags = { project = "images", cost-center = "42" }
  }
  assert {
    condition = alltrue([
      aws_s3_bucket.images.tags == var.tags,
      aws_cloudwatch_event_bus.results.tags == var.tags,
      aws_dynamodb_table.search_index.tags == var.tags,
    ])
    error_message = "The root's own resources carry var.tags."
  }
}

# Deploying from a release's zips in S3: no local dist/ exists (a module downloaded from a registry has none),
# and nothing local is read.
run "artifacts_from_s3" {
  command = plan
  variables {
    artifacts_dir = null
    artifacts_s3 = {
      bucket          = "releases-bucket"
      key_prefix      = "image-pipeline/1.0.0/"
      object_versions = { pillow = "L4kqtJlcpXroDTDmJ" }
      source_code_hashes = {
        image_resizer = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        pillow        = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
      }
    }
  }
  assert {
    condition = (
      aws_lambda_layer_version.pillow.filename == null &&
      aws_lambda_layer_version.pillow.s3_bucket == "releases-bucket" &&
      aws_lambda_layer_version.pillow.s3_key == "image-pipeline/1.0.0/layers/pillow.zip" &&
      aws_lambda_layer_version.pillow.s3_object_version == "L4kqtJlcpXroDTDmJ" &&
      aws_lambda_layer_version.pillow.source_code_hash == "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
    )
    error_message = "The layer comes from <key_prefix>layers/pillow.zip with its version and hash."
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer :
      c.deployment_package.filename == null && c.deployment_package.s3_bucket == "releases-bucket" &&
      c.deployment_package.s3_key == "image-pipeline/1.0.0/functions/${name}.zip"
    ])
    error_message = "Each function comes from <key_prefix>functions/<consumer>.zip."
  }
  assert {
    condition     = module.consumer["image_resizer"].deployment_package.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" && module.consumer["search_indexer"].deployment_package.source_code_hash == null
    error_message = "Hashes from the release manifest are passed per artifact."
  }
}

run "one_artifact_source_only" {
  command = plan
  variables {
    artifacts_s3 = { bucket = "releases-bucket", key_prefix = "image-pipeline/1.0.0/" }
  }
  expect_failures = [aws_lambda_layer_version.pillow]
}

run "artifacts_s3_is_validated" {
  command = plan
  variables {
    artifacts_dir = null
    artifacts_s3 = {
      bucket             = "Not_A_Bucket"
      key_prefix         = "/no-leading-slash"
      object_versions    = { image_resiser = "v1" }
      source_code_hashes = { pillow = "not-base64-sha256" }
    }
  }
  expect_failures = [var.artifacts_s3]
}

# Locked-down accounts: created roles get the path, boundary and managed policies; a consumer with an existing
# role gets none of it, and the results bus policy admits that role.
run "iam_for_locked_down_accounts" {
  command = plan
  variables {
    iam = {
      role_path                 = "/workloads/"
      role_permissions_boundary = "arn:aws:iam::123456789012:policy/workload-boundary"
      role_managed_policy_arns  = { insights = "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy" }
      existing_role_arns        = { metadata_extractor = "arn:aws:iam::123456789012:role/platform/extractor" }
    }
  }
  assert {
    condition     = module.consumer["metadata_extractor"].role_arn == "arn:aws:iam::123456789012:role/platform/extractor" && module.consumer["metadata_extractor"].role_name == "extractor"
    error_message = "The extractor runs with the existing role."
  }
  assert {
    condition     = contains(flatten([for s in jsondecode(output.consumers["metadata_extractor"].required_policy_json).Statement : s.Action]), "events:PutEvents")
    error_message = "required_policy_json includes the consumer's own statements."
  }
  assert {
    condition     = contains(jsondecode(aws_cloudwatch_event_bus_policy.results.policy).Statement[0].Condition.ArnNotEquals["aws:PrincipalArn"], "arn:aws:iam::123456789012:role/platform/extractor")
    error_message = "The results bus admits the existing role."
  }
}

run "iam_existing_roles_are_keyed_by_consumer" {
  command = plan
  variables {
    iam = { existing_role_arns = { image_resiser = "arn:aws:iam::123456789012:role/x" } }
  }
  expect_failures = [var.iam]
}

run "consumers_in_a_vpc_with_code_signing" {
  command = plan
  variables {
    vpc_config              = { subnet_ids = ["subnet-0a1b2c3d4e5f60718"], security_group_ids = ["sg-0a1b2c3d4e5f60718"] }
    code_signing_config_arn = "arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f60718"
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer : contains([for s in jsondecode(c.role_policy_json).Statement : s.Sid], "ManageVpcNetworkInterfaces")
    ])
    error_message = "Every consumer's role may manage its network interfaces in the VPC."
  }
}

# JSON logs filtered by Lambda at the level Powertools logs at (Lambda's name for it).
run "json_logs_at_the_powertools_level" {
  command = plan
  variables {
    lambda_log_format = "JSON"
    log_level         = "WARNING"
  }
  assert {
    condition = alltrue([
      for name, c in module.consumer : c.logging_config.log_format == "JSON" && c.logging_config.application_log_level == "WARN" && c.environment_variables["POWERTOOLS_LOG_LEVEL"] == "WARNING"
    ])
    error_message = "Lambda filters at WARN, Powertools logs at WARNING."
  }
}

run "no_logging_config_by_default" {
  command = plan
  assert {
    condition     = alltrue([for name, c in module.consumer : c.logging_config == null])
    error_message = "Without lambda_log_format the functions keep Lambda's defaults (and the emulator, which drops LoggingConfig, plans clean)."
  }
}

run "extra_queue_policy_statements" {
  command = plan
  variables {
    queue_policy_statements = {
      search_indexer_dlq = [{
        sid        = "AllowOpsToRedrive"
        principals = [{ type = "AWS", identifiers = ["arn:aws:iam::123456789012:role/ops"] }]
        actions    = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:StartMessageMoveTask"]
      }]
    }
  }
  assert {
    condition     = contains(keys(module.routing.queue_policy_queue_urls), "search_indexer_dlq")
    error_message = "The DLQ's policy (EventBridge plus the extra statement) is written by the routing module."
  }
}


run "dashboard_has_a_row_per_consumer" {
  assert {
    condition     = length(aws_cloudwatch_dashboard.pipeline) == 1 && output.dashboard_name == "image-pipeline-pipeline"
    error_message = "The dashboard is on by default."
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.pipeline[0].dashboard_body).widgets) == 2 + 6 * length(module.consumer)
    error_message = "A header, the latency graph and six widgets per consumer."
  }
  assert {
    condition = alltrue([
      for w in jsondecode(aws_cloudwatch_dashboard.pipeline[0].dashboard_body).widgets :
      w.x + w.width <= 24 && try(w.properties.region, w.type) == (w.type == "metric" ? "eu-west-1" : "text")
    ])
    error_message = "Widgets fit the 24-unit grid; metric widgets name the stack's region."
  }
  assert {
    condition = alltrue(flatten([
      for name, c in module.consumer : [
        for resource in [c.function_name, c.buffer_queue_name, c.dlq_name] :
        strcontains(aws_cloudwatch_dashboard.pipeline[0].dashboard_body, jsonencode(resource))
      ]
    ]))
    error_message = "Every consumer's function, buffer and DLQ are on the dashboard."
  }
}

run "dashboard_is_opt_out" {
  command = plan
  variables {
    enable_dashboard = false
  }
  assert {
    condition     = length(aws_cloudwatch_dashboard.pipeline) == 0 && output.dashboard_name == null
    error_message = "enable_dashboard = false creates no dashboard."
  }
}
