output "table_name" {
  description = "The DynamoDB table every function uses (CLINIC_TABLE)."
  value       = aws_dynamodb_table.clinic.name
}

output "calendar_object" {
  description = "Where the maintenance calendar feed is written (serve it, e.g. through a presigned URL or CloudFront)."
  value       = "s3://${aws_s3_bucket.calendar.id}/${local.calendar_key}"
  sensitive   = true
}

output "ingest_address" {
  description = "The address vendors' maintenance notices go to."
  value       = "${var.ingest_local_part}@${var.mail_domain}"
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm."
  value       = aws_sns_topic.alarms.arn
}

output "phabricator_webhook_url" {
  description = "Give this to Phorge's Herald webhook (Config > Webhooks), with the HMAC key kept in SSM."
  value       = "${aws_apigatewayv2_stage.webhooks.invoke_url}hooks/phabricator"
}

output "victorops_webhook_url" {
  description = "Give this to VictorOps' outgoing webhook, with the X-Clinic-Webhook-Token header."
  value       = "${aws_apigatewayv2_stage.webhooks.invoke_url}hooks/victorops"
}

output "victorops_api_key_parameter" {
  description = "Write the VictorOps API key here (SecureString) when victorops_api_id is set; empty when VictorOps is not kept in step."
  value       = var.victorops_api_id == "" ? "" : "${var.ssm_prefix}/rotation/victorops-api-key"
}

output "status_url" {
  description = "The read-only brief (send Authorization: Bearer <status token>; Accept: application/json for JSON); the rotation's calendar feed is <this>/rotation.ics?token=<status token>."
  value       = "${aws_apigatewayv2_stage.webhooks.invoke_url}status"
}

output "web_url" {
  description = "Clinic's pages: people sign in here with a link mailed to their roster address. Write the signing key to <ssm_prefix>/web/signing-key first (docs/deploy.md)."
  value       = "${local.web_url}/now"
}
