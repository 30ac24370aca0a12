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

variable "follow_up_schedule" {
  description = "When the stale-task follow-up runs (EventBridge schedule expression, UTC)."
  type        = string
  default     = "cron(0 7 ? * MON-FRI *)"
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

variable "ssm_prefix" {
  description = "SSM Parameter Store path under which the credentials are kept (SecureString), one folder per function: <prefix>/<function>/<name>."
  type        = string
  default     = "/clinic"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_./-]*[A-Za-z0-9_-]$", var.ssm_prefix))
    error_message = "ssm_prefix must start with / and not end with /."
  }
}

variable "healthchecks" {
  description = "Whether the scheduled jobs ping a dead man's switch; the ping URLs are then kept at <ssm_prefix>/rotation/healthcheck-url, <ssm_prefix>/victorops-webhook/healthcheck-url and <ssm_prefix>/phabricator-webhook/healthcheck-url."
  type        = bool
  default     = false
}

variable "webhook_burst_limit" {
  description = "Requests the webhook endpoint takes in a burst before throttling."
  type        = number
  default     = 50
}

variable "webhook_rate_limit" {
  description = "Requests per second the webhook endpoint takes in steady state."
  type        = number
  default     = 20
}

variable "webhook_concurrency" {
  description = "Concurrent executions reserved for (and capping) each webhook function."
  type        = number
  default     = 10
}

variable "phabricator_url" {
  description = "Base URL of the Phabricator/Phorge whose Conduit API the triage uses."
  type        = string
}

variable "triage_dry_run" {
  description = "Evaluate and audit the triage rules without editing any task (a first week's trial)."
  type        = bool
  default     = false
}

variable "statuspage_api_url" {
  description = "Statuspage API base URL."
  type        = string
  default     = "https://api.statuspage.io/v1"
}

variable "statuspage_page_id" {
  description = "The Statuspage page incidents are mirrored to."
  type        = string
}

variable "duty_rotation" {
  description = "The roster's rotation whose person on duty gets incident mail and reminders."
  type        = string
}

variable "victorops_api_url" {
  description = "VictorOps' public API base the rotation keeps in step (scheduled overrides, drift check)."
  type        = string
  default     = "https://api.victorops.com/api-public"
}

variable "victorops_api_id" {
  description = "The VictorOps organisation's API id (X-VO-Api-Id). Empty: VictorOps is not kept in step. Its API key is kept at <ssm_prefix>/rotation/victorops-api-key."
  type        = string
  default     = ""
}

variable "maintenance_notices" {
  description = "Whether the person on duty is mailed when a vendor maintenance that matters starts and when it ends (a rule every minute invokes maintenance-mail). Needs the circuits file for outages; maintenances that affect service count without it."
  type        = bool
  default     = false
}

variable "chat_sweep" {
  description = "Whether a rule every minute invokes the rotation function to keep each rotation's chat rooms with the shift running now: the handoff post made up when the weekly run could not post it, Clinic's topic section re-asserted when someone edited it, the Slack user group set at the shift's start (docs/chat.md#the-sweep). Needs chat_slack or chat_matrix_homeserver."
  type        = bool
  default     = false
}

variable "circuits" {
  description = "Whether `make package` shipped the team's circuits file (CIRCUITS=path; the brief's, /status' and the calendar's outages of redundancy groups). false when it was packaged with CIRCUITS= (none)."
  type        = bool
  default     = true
}

variable "web_url" {
  description = "Where people open Clinic's pages (a custom domain on the HTTP API, e.g. https://clinic.example.org); empty: the API stage's own URL. The mailed sign-in links point here."
  type        = string
  default     = ""
}

variable "slack_commands" {
  description = "Serve Slack's slash command for notices (POST /chat/slack/command, docs/notices.md): the web function then reads the app's signing secret from <ssm_prefix>/web/slack-signing-secret, which must exist first."
  type        = bool
  default     = false
}

variable "oidc_issuer" {
  description = "An OIDC identity provider's issuer URL (e.g. https://login.example.org/): when set, API Gateway's JWT authorizer guards every page and its verified email claim signs people in instead of mailed links (docs/web.md)."
  type        = string
  default     = ""
}

variable "oidc_audience" {
  description = "The audiences (client ids) the JWT authorizer accepts, with oidc_issuer."
  type        = list(string)
  default     = []
}
