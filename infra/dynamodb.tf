# The one table every function shares. Its keys, indexes and TTL must equal the definition in code
# (shared/src/store/table.rs); tests/tests/infra.rs keeps the two equal.
resource "aws_dynamodb_table" "clinic" {
  #checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed key (server_side_encryption enabled); a customer key adds a key policy to run and no separation here
  name         = var.name_prefix
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "PK"
  range_key    = "SK"

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  attribute {
    name = "GSI1PK"
    type = "S"
  }

  attribute {
    name = "GSI1SK"
    type = "S"
  }

  global_secondary_index {
    name            = "GSI1"
    hash_key        = "GSI1PK"
    range_key       = "GSI1SK"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = true
}
