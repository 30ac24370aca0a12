# maintenance-mail: runs on each inbound mail object, keeps the maintenances in the table and writes the
# calendar feed to its own bucket at an unguessable key.

locals {
  maintenance_name = "${var.name_prefix}-maintenance-mail"
  calendar_key     = "feeds/${var.calendar_token}/maintenance.ics"
}

resource "aws_s3_bucket" "calendar" {
  #checkov:skip=CKV_AWS_18:no access-log bucket: only the functions and SES write here; CloudTrail data events can be enabled account-wide where required
  #checkov:skip=CKV_AWS_144:no cross-region replica: the feed is rebuilt from the table on every change, and raw mail is a short-lived input kept for review
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) rather than KMS: SES receipt rules and feed readers would need a customer key whose policy admits them, for no added protection here
  #checkov:skip=CKV2_AWS_62:nothing reacts to the feed being written; readers fetch it
  bucket_prefix = "${var.name_prefix}-calendar-"
}

resource "aws_s3_bucket_public_access_block" "calendar" {
  bucket                  = aws_s3_bucket.calendar.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "calendar" {
  bucket = aws_s3_bucket.calendar.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "calendar" {
  bucket = aws_s3_bucket.calendar.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "calendar" {
  bucket = aws_s3_bucket.calendar.id

  rule {
    id     = "expire-old-feed-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_cloudwatch_log_group" "maintenance_mail" {
  #checkov:skip=CKV_AWS_158:no customer key: logs carry no credentials (secrets print redacted) and CloudWatch encrypts them at rest
  #checkov:skip=CKV_AWS_338:retention is the team's choice (var.log_retention_days); the audit trail of every action is kept in the table, with point-in-time recovery
  name              = "/aws/lambda/${local.maintenance_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_sqs_queue" "maintenance_mail_failures" {
  name                      = "${local.maintenance_name}-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_iam_role" "maintenance_mail" {
  name               = local.maintenance_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "maintenance_mail" {
  statement {
    sid = "Table"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = local.table_arns
  }

  statement {
    sid       = "OutageMail"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.domain.arn]
  }

  statement {
    sid       = "ReadInboundMail"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.inbound_mail.arn}/inbound/*"]
  }

  statement {
    sid       = "WriteCalendar"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.calendar.arn}/${local.calendar_key}"]
  }

  statement {
    sid       = "ChatTokens"
    actions   = ["ssm:GetParameters"]
    resources = local.chat_token_arns
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.maintenance_mail.arn}:*"]
  }

  statement {
    sid       = "FailedInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.maintenance_mail_failures.arn]
  }
}

resource "aws_iam_role_policy" "maintenance_mail" {
  name   = local.maintenance_name
  role   = aws_iam_role.maintenance_mail.id
  policy = data.aws_iam_policy_document.maintenance_mail.json
}

resource "aws_lambda_function" "maintenance_mail" {
  #checkov:skip=CKV_AWS_117:no VPC: the functions reach only AWS APIs and public SaaS APIs (Conduit, Statuspage, VictorOps, the dead man's switch); a VPC would add NAT for nothing private
  #checkov:skip=CKV_AWS_272:no code signing: the zips are built by `make package` from the reviewed repository; signing needs an AWS Signer profile the team may not run
  #checkov:skip=CKV_AWS_173:no customer key for the environment: it holds no credential (they are SSM SecureString parameters, tests/tests/infra.rs enforces it), and Lambda encrypts it at rest
  #checkov:skip=CKV_AWS_50:no X-Ray: each run logs structured JSON with its request id; tracing would add IAM actions and cost for a handful of calls per run
  #checkov:skip=CKV_AWS_116:failed asynchronous invocations go to an SQS on-failure destination (aws_lambda_function_event_invoke_config), which this check does not recognise
  function_name    = local.maintenance_name
  role             = aws_iam_role.maintenance_mail.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = "${var.package_dir}/maintenance-mail.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/maintenance-mail.zip")
  timeout          = 60
  memory_size      = 256

  # Vendor mail arrives a few notices at a time; a flood (a mail loop) cannot take the account's concurrency.
  reserved_concurrent_executions = 10

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.maintenance_mail.name
  }

  environment {
    variables = {
      CLINIC_TABLE           = aws_dynamodb_table.clinic.name
      CLINIC_CALENDAR_BUCKET = aws_s3_bucket.calendar.id
      CLINIC_CALENDAR_KEY    = local.calendar_key
      # The calendar's event UIDs end in it.
      CLINIC_MAIL_DOMAIN = var.mail_domain
      # The circuits file `make package` put beside the binary (CIRCUITS=path), unless var.circuits is false.
      CLINIC_CIRCUITS = var.circuits ? "/var/task/circuits.toml" : ""
      # With the circuits file: the person on duty there is mailed of each outage it reveals.
      CLINIC_DUTY_ROTATION = var.duty_rotation
      CLINIC_SENDER        = "${var.sender_local_part}@${var.mail_domain}"
      # Chat (infra/chat.tf): the duty rotation's rooms are in the roster `make package` put beside
      # the binary; an empty value is an unset variable, so a network not configured is not posted to.
      CLINIC_ROSTER                     = "/var/task/roster.toml"
      CLINIC_SLACK_TOKEN_SSM_PARAMETER  = var.chat_slack ? local.chat_slack_token_parameter : ""
      CLINIC_MATRIX_HOMESERVER          = var.chat_matrix_homeserver
      CLINIC_MATRIX_TOKEN_SSM_PARAMETER = var.chat_matrix_homeserver == "" ? "" : local.chat_matrix_token_parameter
    }
  }
}

resource "aws_lambda_function_event_invoke_config" "maintenance_mail" {
  function_name                = aws_lambda_function.maintenance_mail.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.maintenance_mail_failures.arn
    }
  }
}

resource "aws_lambda_permission" "inbound_mail" {
  statement_id   = "AllowInboundMailBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.maintenance_mail.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.inbound_mail.arn
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "inbound_mail" {
  bucket = aws_s3_bucket.inbound_mail.id

  lambda_function {
    lambda_function_arn = aws_lambda_function.maintenance_mail.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "inbound/"
  }

  depends_on = [aws_lambda_permission.inbound_mail]
}

# Start and end notices of the maintenances that matter (they affect service, or take part in an
# outage of a redundancy group), mailed to the person on duty: every minute when var.maintenance_notices
# is set. A notice is claimed per maintenance and slot, so a retried or repeated minute sends nothing twice.
resource "aws_cloudwatch_event_rule" "maintenance_notices" {
  count               = var.maintenance_notices ? 1 : 0
  name                = "${local.maintenance_name}-notices"
  description         = "Mail the person on duty when a vendor maintenance that matters starts and ends"
  schedule_expression = "rate(1 minute)"
}

resource "aws_cloudwatch_event_target" "maintenance_notices" {
  count = var.maintenance_notices ? 1 : 0
  rule  = aws_cloudwatch_event_rule.maintenance_notices[0].name
  arn   = aws_lambda_function.maintenance_mail.arn
}

resource "aws_lambda_permission" "maintenance_notices" {
  count         = var.maintenance_notices ? 1 : 0
  statement_id  = "AllowNoticeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.maintenance_mail.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.maintenance_notices[0].arn
}

# Errors and throttles of the function, and anything left in its failure queue, notify the alarm topic.
locals {
  maintenance_mail_alarms = {
    errors             = { namespace = "AWS/Lambda", metric = "Errors", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.maintenance_mail.function_name } }
    throttles          = { namespace = "AWS/Lambda", metric = "Throttles", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.maintenance_mail.function_name } }
    failed-invocations = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", dimensions = { QueueName = aws_sqs_queue.maintenance_mail_failures.name } }
  }
}

resource "aws_cloudwatch_metric_alarm" "maintenance_mail" {
  for_each = local.maintenance_mail_alarms

  alarm_name          = "${local.maintenance_name}-${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
