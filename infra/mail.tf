# Mail: the domain Clinic sends from (DKIM-signed), and inbound vendor notices. SES stores each inbound
# mail whole in S3 (its Lambda action carries no body); the object's creation runs maintenance-mail.
# One-time steps outside Terraform: publish the DKIM CNAMEs and an MX record pointing at
# inbound-smtp.<region>.amazonaws.com (docs/deploy.md).

resource "aws_sesv2_email_identity" "domain" {
  email_identity = var.mail_domain
}

resource "aws_s3_bucket" "inbound_mail" {
  #checkov:skip=CKV_AWS_18:no access-log bucket: only the functions and SES write here; CloudTrail data events can be enabled account-wide where required
  #checkov:skip=CKV_AWS_144:no cross-region replica: the feed is rebuilt from the table on every change, and raw mail is a short-lived input kept for review
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) rather than KMS: SES receipt rules and feed readers would need a customer key whose policy admits them, for no added protection here
  bucket_prefix = "${var.name_prefix}-inbound-mail-"
}

resource "aws_s3_bucket_public_access_block" "inbound_mail" {
  bucket                  = aws_s3_bucket.inbound_mail.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "inbound_mail" {
  bucket = aws_s3_bucket.inbound_mail.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "inbound_mail" {
  bucket = aws_s3_bucket.inbound_mail.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "inbound_mail" {
  bucket = aws_s3_bucket.inbound_mail.id

  rule {
    id     = "expire-old-raw-mail"
    status = "Enabled"

    filter {
      prefix = "inbound/"
    }

    expiration {
      days = var.raw_mail_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "inbound_mail" {
  statement {
    sid       = "SesStoresInboundMail"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.inbound_mail.arn}/inbound/*"]

    principals {
      type        = "Service"
      identifiers = ["ses.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.inbound_mail.arn, "${aws_s3_bucket.inbound_mail.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "inbound_mail" {
  bucket = aws_s3_bucket.inbound_mail.id
  policy = data.aws_iam_policy_document.inbound_mail.json
}

resource "aws_ses_receipt_rule_set" "clinic" {
  rule_set_name = "${var.name_prefix}-inbound"
}

resource "aws_ses_active_receipt_rule_set" "clinic" {
  rule_set_name = aws_ses_receipt_rule_set.clinic.rule_set_name
}

resource "aws_ses_receipt_rule" "maintenance_notices" {
  name          = "${var.name_prefix}-maintenance-notices"
  rule_set_name = aws_ses_receipt_rule_set.clinic.rule_set_name
  recipients    = ["${var.ingest_local_part}@${var.mail_domain}"]
  enabled       = true
  scan_enabled  = true
  tls_policy    = "Require"

  s3_action {
    bucket_name       = aws_s3_bucket.inbound_mail.id
    object_key_prefix = "inbound/"
    position          = 1
  }

  depends_on = [aws_s3_bucket_policy.inbound_mail]
}
