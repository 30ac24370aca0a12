# phabricator-webhook: Herald delivers task changes to POST /hooks/phabricator; the function reads the
# task through Conduit and triages it. Phorge retries a delivery that got no 2xx, so that invocation is
# synchronous: a failure answers 5xx and Phorge delivers again. The same function answers the read-only
# GET /status and GET /status/rotation.ics (its own bearer token), and runs the stale-task follow-up
# on a weekday schedule, whose failed invocations are retried once and then kept in a queue.

locals {
  phabricator_name       = "${var.name_prefix}-phabricator-webhook"
  phabricator_parameters = "${var.ssm_prefix}/phabricator-webhook"
}

resource "aws_cloudwatch_log_group" "phabricator_webhook" {
  #checkov:skip=CKV_AWS_158:no customer key: logs carry no credentials (secrets print redacted) and CloudWatch encrypts them at rest
  #checkov:skip=CKV_AWS_338:retention is the team's choice (var.log_retention_days); the audit trail of every action is kept in the table, with point-in-time recovery
  name              = "/aws/lambda/${local.phabricator_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_sqs_queue" "phabricator_webhook_failures" {
  name                      = "${local.phabricator_name}-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_iam_role" "phabricator_webhook" {
  name               = local.phabricator_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "phabricator_webhook" {
  statement {
    sid = "Table"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = local.table_arns
  }

  statement {
    sid       = "Credentials"
    actions   = ["ssm:GetParameters"]
    resources = ["${local.parameter_arn_prefix}/phabricator-webhook/*"]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.phabricator_webhook.arn}:*"]
  }

  statement {
    sid       = "FailedInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.phabricator_webhook_failures.arn]
  }
}

resource "aws_iam_role_policy" "phabricator_webhook" {
  name   = local.phabricator_name
  role   = aws_iam_role.phabricator_webhook.id
  policy = data.aws_iam_policy_document.phabricator_webhook.json
}

resource "aws_lambda_function" "phabricator_webhook" {
  #checkov:skip=CKV_AWS_117:no VPC: the functions reach only AWS APIs and public SaaS APIs (Conduit, Statuspage, VictorOps, the dead man's switch); a VPC would add NAT for nothing private
  #checkov:skip=CKV_AWS_272:no code signing: the zips are built by `make package` from the reviewed repository; signing needs an AWS Signer profile the team may not run
  #checkov:skip=CKV_AWS_173:no customer key for the environment: it holds no credential (they are SSM SecureString parameters, tests/tests/infra.rs enforces it), and Lambda encrypts it at rest
  #checkov:skip=CKV_AWS_50:no X-Ray: each run logs structured JSON with its request id; tracing would add IAM actions and cost for a handful of calls per run
  #checkov:skip=CKV_AWS_116:failed asynchronous invocations (the follow-up schedule) go to an SQS on-failure destination (aws_lambda_function_event_invoke_config), which this check does not recognise; HTTP invocations answer their caller
  function_name    = local.phabricator_name
  role             = aws_iam_role.phabricator_webhook.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = "${var.package_dir}/phabricator-webhook.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/phabricator-webhook.zip")
  # Phorge gives up on an answer after 15 s and delivers again later.
  timeout     = 15
  memory_size = 256

  reserved_concurrent_executions = var.webhook_concurrency

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.phabricator_webhook.name
  }

  environment {
    variables = {
      CLINIC_TABLE    = aws_dynamodb_table.clinic.name
      PHABRICATOR_URL = var.phabricator_url
      # The rotation feed's event UIDs end in it.
      CLINIC_MAIL_DOMAIN = var.mail_domain
      # Packaged beside the binary by `make package` (TRIAGE_RULES=path to use the team's own).
      CLINIC_TRIAGE_RULES = "/var/task/triage-rules.toml"
      # The circuits file `make package` put beside the binary (CIRCUITS=path), unless var.circuits is false.
      CLINIC_CIRCUITS                            = var.circuits ? "/var/task/circuits.toml" : ""
      CLINIC_DRY_RUN                             = var.triage_dry_run ? "1" : "0"
      PHABRICATOR_API_TOKEN_SSM_PARAMETER        = "${local.phabricator_parameters}/conduit-api-token"
      PHABRICATOR_WEBHOOK_HMAC_KEY_SSM_PARAMETER = "${local.phabricator_parameters}/webhook-hmac-key"
      # The read-only status endpoint's bearer token (GET /status).
      CLINIC_STATUS_TOKEN_SSM_PARAMETER = "${local.phabricator_parameters}/status-token"
      # Empty (no dead man's switch) unless the team keeps a ping URL for the follow-up sweep.
      CLINIC_HEALTHCHECK_URL_SSM_PARAMETER = var.healthchecks ? "${local.phabricator_parameters}/healthcheck-url" : ""
    }
  }
}

resource "aws_apigatewayv2_integration" "phabricator_webhook" {
  api_id                 = aws_apigatewayv2_api.webhooks.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.phabricator_webhook.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 15000
}

resource "aws_apigatewayv2_route" "phabricator_webhook" {
  #checkov:skip=CKV_AWS_309:Phorge cannot sign for IAM or send a bearer token: the handler verifies the HMAC-SHA256 signature of every body, in constant time, before anything else
  api_id    = aws_apigatewayv2_api.webhooks.id
  route_key = "POST /hooks/phabricator"
  target    = "integrations/${aws_apigatewayv2_integration.phabricator_webhook.id}"
}

resource "aws_lambda_permission" "phabricator_webhook" {
  statement_id  = "AllowWebhookRoute"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.phabricator_webhook.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.webhooks.execution_arn}/*/POST/hooks/phabricator"
}

# The brief and the rotation's calendar feed, read-only. Browsers and tools send the token as a
# bearer header; calendar clients, which cannot, as ?token= on the feed's URL.
resource "aws_apigatewayv2_route" "status" {
  #checkov:skip=CKV_AWS_309:calendar clients cannot sign for IAM or run an authorizer flow: the handler checks its own bearer token (CLINIC_STATUS_TOKEN), in constant time, before reading anything
  # HEAD too: calendar clients and link checkers ask with HEAD first; the handler answers it like
  # GET without the body.
  for_each = {
    brief         = "GET /status"
    calendar      = "GET /status/rotation.ics"
    brief-head    = "HEAD /status"
    calendar-head = "HEAD /status/rotation.ics"
  }
  api_id    = aws_apigatewayv2_api.webhooks.id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.phabricator_webhook.id}"
}

resource "aws_lambda_permission" "status" {
  for_each      = aws_apigatewayv2_route.status
  statement_id  = "AllowStatusRoute-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.phabricator_webhook.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.webhooks.execution_arn}/*/${replace(each.value.route_key, " ", "")}"
}

# The stale-task follow-up: weekdays (clinic duty does not run at weekends); a missed run is made up
# by the next, which follows up whatever is still due.
resource "aws_cloudwatch_event_rule" "phabricator_follow_ups" {
  name                = "${local.phabricator_name}-follow-ups"
  description         = "Follow up open clinic-duty tasks nobody touched for stale.after_days"
  schedule_expression = var.follow_up_schedule
}

resource "aws_cloudwatch_event_target" "phabricator_follow_ups" {
  rule = aws_cloudwatch_event_rule.phabricator_follow_ups.name
  arn  = aws_lambda_function.phabricator_webhook.arn
}

resource "aws_lambda_permission" "phabricator_follow_ups" {
  statement_id  = "AllowFollowUpSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.phabricator_webhook.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.phabricator_follow_ups.arn
}

resource "aws_lambda_function_event_invoke_config" "phabricator_webhook" {
  function_name                = aws_lambda_function.phabricator_webhook.function_name
  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.phabricator_webhook_failures.arn
    }
  }
}

locals {
  phabricator_alarms = {
    errors             = { namespace = "AWS/Lambda", metric = "Errors", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.phabricator_webhook.function_name } }
    throttles          = { namespace = "AWS/Lambda", metric = "Throttles", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.phabricator_webhook.function_name } }
    failed-invocations = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", dimensions = { QueueName = aws_sqs_queue.phabricator_webhook_failures.name } }
  }
}

resource "aws_cloudwatch_metric_alarm" "phabricator_webhook" {
  for_each = local.phabricator_alarms

  alarm_name          = "${local.phabricator_name}-${each.key}"
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
