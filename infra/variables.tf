variable "region" {
  description = "AWS region to deploy Clinic into (SES inbound mail needs a region that receives mail)."
  type        = string
  default     = "eu-west-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so several Clinic stacks can share an account."
  type        = string
  default     = "clinic"
}

variable "architecture" {
  description = "Lambda architecture the zips were built for: x86_64, or arm64 where the team builds for it."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "package_dir" {
  description = "Folder holding the function zips `make package` builds (one <function>.zip each)."
  type        = string
  default     = "../dist"
}

variable "log_retention_days" {
  description = "How long function logs are kept."
  type        = number
  default     = 90
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (function errors, throttles, dead letters). Empty: no subscription."
  type        = string
  default     = ""
}

variable "mail_domain" {
  description = "Domain Clinic sends from and receives vendor mail at (verified in SES; its MX points at SES inbound)."
  type        = string
}

variable "sender_local_part" {
  description = "Local part of the From address of Clinic's mail (CLINIC_SENDER = <this>@<mail_domain>)."
  type        = string
  default     = "clinic"
}

variable "ingest_local_part" {
  description = "Local part of the address vendors' maintenance notices are sent or forwarded to."
  type        = string
  default     = "maintenance"
}

variable "rotation_schedule" {
  description = "When the weekly handoff runs (EventBridge schedule expression, UTC)."
  type        = string
  default     = "cron(0 9 ? * FRI *)"
}

variable "calendar_token" {
  description = "Random token in the calendar feed's object key: the unguessable part of its URL (at least 16 characters)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.calendar_token) >= 16
    error_message = "calendar_token must be at least 16 characters."
  }
}

variable "raw_mail_retention_days" {
  description = "How long raw inbound mail is kept in S3 (mail needing review is read from there)."
  type        = number
  default     = 180
}
