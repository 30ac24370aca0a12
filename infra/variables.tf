variable "region" {
  description = "AWS region to deploy Clinic into."
  type        = string
  default     = "eu-west-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so several Clinic stacks can share an account."
  type        = string
  default     = "clinic"
}
