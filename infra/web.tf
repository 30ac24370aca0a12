# web: the pages people open in a browser (docs/web.md): sign-in by a link mailed to their roster
# address, the session, the now page. A function of its own on the same HTTP API, one route per page:
# it alone holds the key that signs sessions and may mail sign-in links, and the webhooks' functions
# keep neither. Invoked synchronously by API Gateway only, so it has no failure queue.

locals {
  web_name       = "${var.name_prefix}-web"
  web_parameters = "${var.ssm_prefix}/web"
  # Where people open the pages: the custom domain when one is set, else the stage's own URL.
  web_url = var.web_url != "" ? var.web_url : trimsuffix(aws_apigatewayv2_stage.webhooks.invoke_url, "/")
}

resource "aws_cloudwatch_log_group" "web" {
  #checkov:skip=CKV_AWS_158:no customer key: logs carry no credentials (tokens are never logged, only people's ids) and CloudWatch encrypts them at rest
  #checkov:skip=CKV_AWS_338:retention is the team's choice (var.log_retention_days); the audit trail of every action is kept in the table, with point-in-time recovery
  name              = "/aws/lambda/${local.web_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "web" {
  name               = local.web_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "web" {
  statement {
    sid = "Table"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = local.table_arns
  }

  statement {
    sid       = "SignInMail"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.domain.arn]
  }

  statement {
    sid       = "MaintenanceFeed"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.calendar.arn}/${local.calendar_key}"]
  }

  statement {
    sid     = "Credentials"
    actions = ["ssm:GetParameters"]
    # Exactly the parameters the function names: the signing key, the VictorOps API key an accepted
    # swap replaces overrides with, and Slack's secret when used.
    resources = concat(
      [
        "${local.parameter_arn_prefix}/web/signing-key",
        "${local.parameter_arn_prefix}/rotation/victorops-api-key",
      ],
      var.slack_commands ? ["${local.parameter_arn_prefix}/web/slack-signing-secret"] : [],
    )
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.web.arn}:*"]
  }
}

resource "aws_iam_role_policy" "web" {
  name   = local.web_name
  role   = aws_iam_role.web.id
  policy = data.aws_iam_policy_document.web.json
}

resource "aws_lambda_function" "web" {
  #checkov:skip=CKV_AWS_117:no VPC: the function reaches only AWS APIs (DynamoDB, SES, SSM); a VPC would add NAT for nothing private
  #checkov:skip=CKV_AWS_272:no code signing: the zips are built by `make package` from the reviewed repository; signing needs an AWS Signer profile the team may not run
  #checkov:skip=CKV_AWS_173:no customer key for the environment: it holds no credential (the signing key is an SSM SecureString parameter, tests/tests/infra.rs enforces it), and Lambda encrypts it at rest
  #checkov:skip=CKV_AWS_50:no X-Ray: each request logs structured JSON with its request id; tracing would add IAM actions and cost for a handful of calls per page
  #checkov:skip=CKV_AWS_116:invoked synchronously by API Gateway only: a failure answers the browser, there is no asynchronous invocation to keep
  function_name    = local.web_name
  role             = aws_iam_role.web.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = "${var.package_dir}/web.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/web.zip")
  # A page is a handful of reads; a sign-in one SES call more; an accepted swap a few VictorOps calls.
  timeout     = 10
  memory_size = 256

  reserved_concurrent_executions = var.webhook_concurrency

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.web.name
  }

  environment {
    variables = {
      CLINIC_TABLE  = aws_dynamodb_table.clinic.name
      CLINIC_SENDER = "${var.sender_local_part}@${var.mail_domain}"
      # The mailed links point here, never at a request's Host header.
      CLINIC_WEB_URL = local.web_url
      # The key signing links, sessions and CSRF tokens (openssl rand -hex 32; docs/deploy.md).
      CLINIC_WEB_SIGNING_KEY_SSM_PARAMETER = "${local.web_parameters}/signing-key"
      # With an identity provider (var.oidc_issuer), the JWT authorizer's email claim signs people in.
      CLINIC_WEB_JWT_AUTHORIZER = var.oidc_issuer == "" ? "0" : "1"
      # /ahead and /mine plan from the same reviewed roster as the weekly job (packaged by `make
      # package`); /mine's task links and stale threshold are the brief's.
      CLINIC_ROSTER       = "/var/task/roster.toml"
      PHABRICATOR_URL     = var.phabricator_url
      CLINIC_TRIAGE_RULES = "/var/task/triage-rules.toml"
      # Calendars (docs/web.md): the maintenance feed serves the object the maintenance-mail function
      # writes; the feeds' UIDs end in the deployment's mail domain.
      CLINIC_CALENDAR_BUCKET = aws_s3_bucket.calendar.id
      CLINIC_CALENDAR_KEY    = local.calendar_key
      CLINIC_MAIL_DOMAIN     = var.mail_domain
      # Swaps and cover (docs/web.md): an accepted swap goes through the override path and then
      # VictorOps, with the rotation function's API key; off while victorops_api_id is empty.
      VICTOROPS_API_URL               = var.victorops_api_id == "" ? "" : var.victorops_api_url
      VICTOROPS_API_ID                = var.victorops_api_id
      VICTOROPS_API_KEY_SSM_PARAMETER = var.victorops_api_id == "" ? "" : "${var.ssm_prefix}/rotation/victorops-api-key"
      # The Slack app's signing secret (docs/notices.md): POST /chat/slack/command verifies every
      # request with it. Only with var.slack_commands, so a deployment without Slack needs no parameter.
      CLINIC_SLACK_SIGNING_SECRET_SSM_PARAMETER = var.slack_commands ? "${local.web_parameters}/slack-signing-secret" : ""
    }
  }
}

resource "aws_apigatewayv2_integration" "web" {
  api_id                 = aws_apigatewayv2_api.webhooks.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.web.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 10000
}

# One route per page (clinic::functions::web::ROUTES; tests/tests/infra.rs keeps them equal).
resource "aws_apigatewayv2_route" "web" {
  #checkov:skip=CKV_AWS_309:the pages are for people's browsers: the handler signs people in itself (mailed link, signed session cookie, CSRF on every POST); an organisation with an identity provider adds a JWT authorizer instead (docs/web.md)
  for_each = {
    home                = "GET /"
    stylesheet          = "GET /style.css"
    signin              = "GET /signin"
    signin-post         = "POST /signin"
    link                = "GET /signin/link"
    link-post           = "POST /signin/link"
    now                 = "GET /now"
    ahead               = "GET /ahead"
    mine                = "GET /mine"
    maintenance         = "GET /maintenance"
    maintenance-confirm = "POST /maintenance/confirm"
    signout             = "POST /signout"
    calendars           = "GET /calendars"
    calendars-issue     = "POST /calendars/issue"
    calendars-revoke    = "POST /calendars/revoke"
    feed                = "GET /feeds/{feed}"
    swaps               = "GET /swaps"
    swaps-ask           = "POST /swaps"
    swap                = "GET /swaps/{id}"
    swap-accept         = "POST /swaps/{id}/accept"
    swap-approve        = "POST /swaps/{id}/approve"
    swap-decline        = "POST /swaps/{id}/decline"
    swap-withdraw       = "POST /swaps/{id}/withdraw"
    notices             = "GET /notices"
    notices-post        = "POST /notices"
    slack-command       = "POST /chat/slack/command"
  }
  api_id    = aws_apigatewayv2_api.webhooks.id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.web.id}"
  # Behind the organisation's identity provider when var.oidc_issuer is set (docs/web.md); never the
  # feeds: calendar clients send no token of a provider, the feed's own token is in its path.
  # Nor the Slack command: Slack signs it (X-Slack-Signature), it carries no provider's token.
  authorization_type = var.oidc_issuer == "" || contains(["feed", "slack-command"], each.key) ? "NONE" : "JWT"
  authorizer_id      = var.oidc_issuer == "" || contains(["feed", "slack-command"], each.key) ? null : aws_apigatewayv2_authorizer.oidc[0].id
}

# API Gateway checks the provider's token (signature by its published keys, issuer, audience, expiry)
# before the function runs, and passes its claims; the handler matches the verified email to the roster.
resource "aws_apigatewayv2_authorizer" "oidc" {
  count            = var.oidc_issuer == "" ? 0 : 1
  api_id           = aws_apigatewayv2_api.webhooks.id
  authorizer_type  = "JWT"
  name             = "${local.web_name}-oidc"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.oidc_issuer
    audience = var.oidc_audience
  }
}

resource "aws_lambda_permission" "web" {
  for_each      = aws_apigatewayv2_route.web
  statement_id  = "AllowWebRoute-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.web.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.webhooks.execution_arn}/*/${replace(each.value.route_key, " ", "")}"
}

locals {
  web_alarms = {
    errors    = { metric = "Errors" }
    throttles = { metric = "Throttles" }
  }
}

resource "aws_cloudwatch_metric_alarm" "web" {
  for_each = local.web_alarms

  alarm_name          = "${local.web_name}-${each.key}"
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.web.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
