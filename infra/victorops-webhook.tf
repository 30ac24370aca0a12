# victorops-webhook: VictorOps' outgoing webhook posts incident events to POST /hooks/victorops; the
# function keeps each incident's lifecycle and mirrors it to Statuspage. The same function sweeps
# every minute (an EventBridge schedule) for reminders and planned-downtime mails.

locals {
  victorops_name       = "${var.name_prefix}-victorops-webhook"
  victorops_parameters = "${var.ssm_prefix}/victorops-webhook"
}

resource "aws_cloudwatch_log_group" "victorops_webhook" {
  #checkov:skip=CKV_AWS_158:no customer key: logs carry no credentials (secrets print redacted) and CloudWatch encrypts them at rest
  #checkov:skip=CKV_AWS_338:retention is the team's choice (var.log_retention_days); the audit trail of every action is kept in the table, with point-in-time recovery
  name              = "/aws/lambda/${local.victorops_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_sqs_queue" "victorops_webhook_failures" {
  name                      = "${local.victorops_name}-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_iam_role" "victorops_webhook" {
  name               = local.victorops_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "victorops_webhook" {
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
    sid       = "DutyMail"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.domain.arn]
  }

  statement {
    sid       = "Credentials"
    actions   = ["ssm:GetParameters"]
    resources = ["${local.parameter_arn_prefix}/victorops-webhook/*"]
  }

  statement {
    sid       = "ChatTokens"
    actions   = ["ssm:GetParameters"]
    resources = local.chat_token_arns
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.victorops_webhook.arn}:*"]
  }

  statement {
    sid       = "FailedInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.victorops_webhook_failures.arn]
  }
}

resource "aws_iam_role_policy" "victorops_webhook" {
  name   = local.victorops_name
  role   = aws_iam_role.victorops_webhook.id
  policy = data.aws_iam_policy_document.victorops_webhook.json
}

resource "aws_lambda_function" "victorops_webhook" {
  #checkov:skip=CKV_AWS_117:no VPC: the functions reach only AWS APIs and public SaaS APIs (Conduit, Statuspage, VictorOps, the dead man's switch); a VPC would add NAT for nothing private
  #checkov:skip=CKV_AWS_272:no code signing: the zips are built by `make package` from the reviewed repository; signing needs an AWS Signer profile the team may not run
  #checkov:skip=CKV_AWS_173:no customer key for the environment: it holds no credential (they are SSM SecureString parameters, tests/tests/infra.rs enforces it), and Lambda encrypts it at rest
  #checkov:skip=CKV_AWS_50:no X-Ray: each run logs structured JSON with its request id; tracing would add IAM actions and cost for a handful of calls per run
  #checkov:skip=CKV_AWS_116:failed asynchronous invocations go to an SQS on-failure destination (aws_lambda_function_event_invoke_config), which this check does not recognise
  function_name    = local.victorops_name
  role             = aws_iam_role.victorops_webhook.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = "${var.package_dir}/victorops-webhook.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/victorops-webhook.zip")
  # Statuspage is paced and retried on 420/429 within one invocation.
  timeout     = 30
  memory_size = 256

  reserved_concurrent_executions = var.webhook_concurrency

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.victorops_webhook.name
  }

  environment {
    variables = {
      CLINIC_TABLE         = aws_dynamodb_table.clinic.name
      CLINIC_SENDER        = "${var.sender_local_part}@${var.mail_domain}"
      STATUSPAGE_API_URL   = var.statuspage_api_url
      STATUSPAGE_PAGE_ID   = var.statuspage_page_id
      CLINIC_DUTY_ROTATION = var.duty_rotation
      # Packaged beside the binary by `make package` (INCIDENT_MAPPING=path to use the team's own).
      CLINIC_INCIDENT_MAPPING                = "/var/task/incident-mapping.toml"
      VICTOROPS_WEBHOOK_SECRET_SSM_PARAMETER = "${local.victorops_parameters}/webhook-secret"
      STATUSPAGE_API_KEY_SSM_PARAMETER       = "${local.victorops_parameters}/statuspage-api-key"
      # Empty (no dead man's switch) unless the team keeps a ping URL for the reminder sweep.
      CLINIC_HEALTHCHECK_URL_SSM_PARAMETER = var.healthchecks ? "${local.victorops_parameters}/healthcheck-url" : ""
      # Chat (infra/chat.tf): the duty rotation's rooms are in the roster `make package` put beside
      # the binary; an empty value is an unset variable, so a network not configured is not posted to.
      CLINIC_ROSTER                     = "/var/task/roster.toml"
      CLINIC_SLACK_TOKEN_SSM_PARAMETER  = var.chat_slack ? local.chat_slack_token_parameter : ""
      CLINIC_MATRIX_HOMESERVER          = var.chat_matrix_homeserver
      CLINIC_MATRIX_TOKEN_SSM_PARAMETER = var.chat_matrix_homeserver == "" ? "" : local.chat_matrix_token_parameter
    }
  }
}

resource "aws_apigatewayv2_integration" "victorops_webhook" {
  api_id                 = aws_apigatewayv2_api.webhooks.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.victorops_webhook.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "victorops_webhook" {
  #checkov:skip=CKV_AWS_309:VictorOps' outgoing webhook cannot sign for IAM: the handler checks its shared token (or the escalation webhook's signature), in constant time, before anything else
  api_id    = aws_apigatewayv2_api.webhooks.id
  route_key = "POST /hooks/victorops"
  target    = "integrations/${aws_apigatewayv2_integration.victorops_webhook.id}"
}

resource "aws_lambda_permission" "victorops_webhook" {
  statement_id  = "AllowWebhookRoute"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.victorops_webhook.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.webhooks.execution_arn}/*/POST/hooks/victorops"
}

# The reminder sweep: every minute; a missed minute is made up by the next, so no retries.
resource "aws_cloudwatch_event_rule" "victorops_reminders" {
  name                = "${local.victorops_name}-reminders"
  description         = "Remind people of open incidents and send planned-downtime mails"
  schedule_expression = "rate(1 minute)"
}

resource "aws_cloudwatch_event_target" "victorops_reminders" {
  rule = aws_cloudwatch_event_rule.victorops_reminders.name
  arn  = aws_lambda_function.victorops_webhook.arn
}

resource "aws_lambda_permission" "victorops_reminders" {
  statement_id  = "AllowReminderSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.victorops_webhook.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.victorops_reminders.arn
}

resource "aws_lambda_function_event_invoke_config" "victorops_webhook" {
  function_name                = aws_lambda_function.victorops_webhook.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 300

  destination_config {
    on_failure {
      destination = aws_sqs_queue.victorops_webhook_failures.arn
    }
  }
}

locals {
  victorops_alarms = {
    errors             = { namespace = "AWS/Lambda", metric = "Errors", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.victorops_webhook.function_name } }
    throttles          = { namespace = "AWS/Lambda", metric = "Throttles", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.victorops_webhook.function_name } }
    failed-invocations = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", dimensions = { QueueName = aws_sqs_queue.victorops_webhook_failures.name } }
  }
}

resource "aws_cloudwatch_metric_alarm" "victorops_webhook" {
  for_each = local.victorops_alarms

  alarm_name          = "${local.victorops_name}-${each.key}"
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
