# The weekly rotation: an EventBridge schedule runs it; it reads and writes the table, sends the
# handoff mail through SES and, when configured, keeps VictorOps in step with scheduled overrides and
# posts the handoff to the rotations' chat rooms (infra/chat.tf); with var.chat_sweep a rule every
# minute keeps the rooms' topic section and user group with the shift running. Failed asynchronous
# invocations are retried twice, then kept in a queue.

locals {
  rotation_name = "${var.name_prefix}-rotation"
}

resource "aws_cloudwatch_log_group" "rotation" {
  #checkov:skip=CKV_AWS_158:no customer key: logs carry no credentials (secrets print redacted) and CloudWatch encrypts them at rest
  #checkov:skip=CKV_AWS_338:retention is the team's choice (var.log_retention_days); the audit trail of every action is kept in the table, with point-in-time recovery
  name              = "/aws/lambda/${local.rotation_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_sqs_queue" "rotation_failures" {
  name                      = "${local.rotation_name}-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_iam_role" "rotation" {
  name               = local.rotation_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "rotation" {
  statement {
    sid = "Table"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = local.table_arns
  }

  statement {
    sid       = "HandoffMail"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.domain.arn]
  }

  statement {
    sid       = "Credentials"
    actions   = ["ssm:GetParameters"]
    resources = ["${local.parameter_arn_prefix}/rotation/*"]
  }

  statement {
    sid       = "ChatTokens"
    actions   = ["ssm:GetParameters"]
    resources = local.chat_token_arns
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.rotation.arn}:*"]
  }

  statement {
    sid       = "FailedInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.rotation_failures.arn]
  }
}

resource "aws_iam_role_policy" "rotation" {
  name   = local.rotation_name
  role   = aws_iam_role.rotation.id
  policy = data.aws_iam_policy_document.rotation.json
}

resource "aws_lambda_function" "rotation" {
  #checkov:skip=CKV_AWS_117:no VPC: the functions reach only AWS APIs and public SaaS APIs (Conduit, Statuspage, VictorOps, the dead man's switch); a VPC would add NAT for nothing private
  #checkov:skip=CKV_AWS_272:no code signing: the zips are built by `make package` from the reviewed repository; signing needs an AWS Signer profile the team may not run
  #checkov:skip=CKV_AWS_173:no customer key for the environment: it holds no credential (they are SSM SecureString parameters, tests/tests/infra.rs enforces it), and Lambda encrypts it at rest
  #checkov:skip=CKV_AWS_50:no X-Ray: each run logs structured JSON with its request id; tracing would add IAM actions and cost for a handful of calls per run
  #checkov:skip=CKV_AWS_116:failed asynchronous invocations go to an SQS on-failure destination (aws_lambda_function_event_invoke_config), which this check does not recognise
  function_name    = local.rotation_name
  role             = aws_iam_role.rotation.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = "${var.package_dir}/rotation.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/rotation.zip")
  # VictorOps' public API is rate-limited: a run waiting out 429s needs more than the mail alone.
  timeout     = 300
  memory_size = 256

  # One run at a time is enough for a weekly job; concurrent runs would still be safe.
  reserved_concurrent_executions = 2

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.rotation.name
  }

  environment {
    variables = {
      CLINIC_TABLE  = aws_dynamodb_table.clinic.name
      CLINIC_SENDER = "${var.sender_local_part}@${var.mail_domain}"
      # The reviewed roster file is packaged beside the binary by `make package`.
      CLINIC_ROSTER = "/var/task/roster.toml"
      # The brief in the handoff mail: task links, and the triage rules' stale threshold (packaged too).
      PHABRICATOR_URL     = var.phabricator_url
      CLINIC_TRIAGE_RULES = "/var/task/triage-rules.toml"
      # The circuits file `make package` put beside the binary (CIRCUITS=path), unless var.circuits is false.
      CLINIC_CIRCUITS = var.circuits ? "/var/task/circuits.toml" : ""
      # Empty (no dead man's switch) unless the team keeps a ping URL for the weekly run.
      CLINIC_HEALTHCHECK_URL_SSM_PARAMETER = var.healthchecks ? "${var.ssm_prefix}/rotation/healthcheck-url" : ""
      # VictorOps kept in step with the rotation (scheduled overrides, drift notices); off while
      # victorops_api_id is empty. The API key is a SecureString the operator writes (docs/deploy.md).
      VICTOROPS_API_URL               = var.victorops_api_id == "" ? "" : var.victorops_api_url
      VICTOROPS_API_ID                = var.victorops_api_id
      VICTOROPS_API_KEY_SSM_PARAMETER = var.victorops_api_id == "" ? "" : "${var.ssm_prefix}/rotation/victorops-api-key"
      # Chat (infra/chat.tf): the handoff posted to each rotation's rooms, the topic section and user
      # group kept; an empty value is an unset variable, so a network not configured is not posted to.
      CLINIC_SLACK_TOKEN_SSM_PARAMETER  = var.chat_slack ? local.chat_slack_token_parameter : ""
      CLINIC_MATRIX_HOMESERVER          = var.chat_matrix_homeserver
      CLINIC_MATRIX_TOKEN_SSM_PARAMETER = var.chat_matrix_homeserver == "" ? "" : local.chat_matrix_token_parameter
      # The pages (docs/web.md): the handoff mail links to ask for cover, the swaps job's mails link
      # each request, the chat post links to /now.
      CLINIC_WEB_URL = local.web_url
    }
  }
}

resource "aws_lambda_function_event_invoke_config" "rotation" {
  function_name                = aws_lambda_function.rotation.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.rotation_failures.arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "weekly_rotation" {
  name                = "${local.rotation_name}-weekly"
  description         = "Commit the coming week and send the clinic-duty handoff"
  schedule_expression = var.rotation_schedule
}

resource "aws_cloudwatch_event_target" "weekly_rotation" {
  rule = aws_cloudwatch_event_rule.weekly_rotation.name
  arn  = aws_lambda_function.rotation.arn
}

resource "aws_lambda_permission" "weekly_rotation" {
  statement_id  = "AllowWeeklySchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.rotation.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.weekly_rotation.arn
}

# Self-service swaps (docs/web.md, "Swaps and cover"): every hour, reminders 7 days and 1 day before
# an open request's week, expiry, and anything an interrupted accept left to finish. The input names
# the job and passes the rule's time, as a Scheduler input; every mail is claimed, so a retried or
# repeated hour sends nothing twice.
resource "aws_cloudwatch_event_rule" "swap_reminders" {
  name                = "${local.rotation_name}-swaps"
  description         = "Remind, expire and finish self-service swap requests"
  schedule_expression = "rate(1 hour)"
}

resource "aws_cloudwatch_event_target" "swap_reminders" {
  rule = aws_cloudwatch_event_rule.swap_reminders.name
  arn  = aws_lambda_function.rotation.arn

  input_transformer {
    input_paths    = { time = "$.time" }
    input_template = "{\"job\": \"swap-reminders\", \"scheduled_time\": <time>}"
  }
}

resource "aws_lambda_permission" "swap_reminders" {
  statement_id  = "AllowSwapSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.rotation.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.swap_reminders.arn
}

# The chat sweep: every minute when var.chat_sweep is set, the shift running now gets its handoff post
# (when the weekly run could not make it), its topic section (re-asserted when someone edited it) and its
# user group (once per shift). The input transformer turns the event into the Scheduler input naming the
# rotation-chat job, which is how the function tells it from the weekly event; each post and group
# setting is claimed, so a retried or repeated minute changes nothing twice.
resource "aws_cloudwatch_event_rule" "rotation_chat" {
  count               = var.chat_sweep ? 1 : 0
  name                = "${local.rotation_name}-chat"
  description         = "Keep the chat topic section and user group with the clinic duty running now"
  schedule_expression = "rate(1 minute)"
}

resource "aws_cloudwatch_event_target" "rotation_chat" {
  count = var.chat_sweep ? 1 : 0
  rule  = aws_cloudwatch_event_rule.rotation_chat[0].name
  arn   = aws_lambda_function.rotation.arn

  input_transformer {
    input_paths    = { time = "$.time" }
    input_template = "{\"job\": \"rotation-chat\", \"scheduled_time\": <time>}"
  }
}

resource "aws_lambda_permission" "rotation_chat" {
  count         = var.chat_sweep ? 1 : 0
  statement_id  = "AllowChatSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.rotation.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.rotation_chat[0].arn
}

# Errors and throttles of the function, and anything left in its failure queue, notify the alarm topic.
locals {
  rotation_alarms = {
    errors             = { namespace = "AWS/Lambda", metric = "Errors", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.rotation.function_name } }
    throttles          = { namespace = "AWS/Lambda", metric = "Throttles", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.rotation.function_name } }
    failed-invocations = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", dimensions = { QueueName = aws_sqs_queue.rotation_failures.name } }
  }
}

resource "aws_cloudwatch_metric_alarm" "rotation" {
  for_each = local.rotation_alarms

  alarm_name          = "${local.rotation_name}-${each.key}"
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
