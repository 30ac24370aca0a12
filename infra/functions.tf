# What every function shares: who may assume its role, and where its alarms go.

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  table_arns = [aws_dynamodb_table.clinic.arn, "${aws_dynamodb_table.clinic.arn}/index/*"]
}

# Credentials live in SSM Parameter Store as SecureString, under one prefix, one folder per function;
# the operator writes them (docs/deploy.md) so their values never pass through Terraform's state.
locals {
  parameter_arn_prefix = "arn:aws:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${var.ssm_prefix}"
}

# The webhooks' HTTPS endpoint: one HTTP API, one route per webhook. Phorge and VictorOps cannot sign
# requests for IAM, so the routes are open to the internet and each handler verifies its delivery (the
# HMAC signature, the shared token) before reading anything; the stage throttles floods.
resource "aws_apigatewayv2_api" "webhooks" {
  name          = "${var.name_prefix}-webhooks"
  protocol_type = "HTTP"
}

resource "aws_cloudwatch_log_group" "webhooks_access" {
  #checkov:skip=CKV_AWS_158:no customer key: logs carry no credentials (secrets print redacted) and CloudWatch encrypts them at rest
  #checkov:skip=CKV_AWS_338:retention is the team's choice (var.log_retention_days); the audit trail of every action is kept in the table, with point-in-time recovery
  name              = "/aws/apigateway/${var.name_prefix}-webhooks"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "webhooks" {
  api_id      = aws_apigatewayv2_api.webhooks.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.webhook_burst_limit
    throttling_rate_limit  = var.webhook_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.webhooks_access.arn
    format = jsonencode({
      requestId = "$context.requestId"
      ip        = "$context.identity.sourceIp"
      route     = "$context.routeKey"
      status    = "$context.status"
      latency   = "$context.integrationLatency"
      error     = "$context.integrationErrorMessage"
    })
  }
}

# A webhook answering 5xx (Conduit or Statuspage down, the table throttled) is retried by its sender,
# so the function reports no error; the endpoint's 5xx rate shows it.
resource "aws_cloudwatch_metric_alarm" "webhooks_5xx" {
  alarm_name          = "${var.name_prefix}-webhooks-5xx"
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = aws_apigatewayv2_api.webhooks.id, Stage = aws_apigatewayv2_stage.webhooks.name }
  statistic           = "Sum"
  period              = 900
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
