# chat: where the functions post (docs/chat.md). One bot token per network for the whole deployment,
# kept as SecureString parameters under <ssm_prefix>/chat/ and read once per cold start; the rooms
# come from the roster (each rotation's `chat`), packaged into every zip that posts.

variable "chat_slack" {
  description = "Whether the functions post to Slack: write the bot token (xoxb-...) to <ssm_prefix>/chat/slack-token first."
  type        = bool
  default     = false
}

variable "chat_matrix_homeserver" {
  description = "The Matrix homeserver the functions post to (https://matrix.example.org), empty for none: write the bot's access token to <ssm_prefix>/chat/matrix-token first."
  type        = string
  default     = ""

  validation {
    condition     = var.chat_matrix_homeserver == "" || can(regex("^https://", var.chat_matrix_homeserver))
    error_message = "chat_matrix_homeserver must be empty or an https:// URL."
  }
}

locals {
  chat_slack_token_parameter  = "${var.ssm_prefix}/chat/slack-token"
  chat_matrix_token_parameter = "${var.ssm_prefix}/chat/matrix-token"
  # Exactly the two token parameters: a function that posts may read them and nothing else under chat/.
  chat_token_arns = [
    "${local.parameter_arn_prefix}/chat/slack-token",
    "${local.parameter_arn_prefix}/chat/matrix-token",
  ]
}
