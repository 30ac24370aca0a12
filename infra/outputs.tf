output "table_name" {
  description = "The DynamoDB table every function uses (CLINIC_TABLE)."
  value       = aws_dynamodb_table.clinic.name
}
