//! VictorOps incidents mirrored to Statuspage: the lifecycle (UNACKED → ACKED → RESOLVED, never
//! backwards), the mapping file, the webhook's edge (`webhook`: the outgoing webhook's body;
//! `escalation`: the legacy signed form), the desk that acts on deliveries, planned downtime, and
//! the reminder sweep; `chat` posts mapped incidents in the duty rotation's rooms. Statuspage and
//! the table are reached through `ports`.

pub mod chat;
pub mod desk;
pub mod downtime;
pub mod escalation;
pub mod lifecycle;
pub mod mapping;
pub mod ports;
mod publish;
pub mod reminders;
pub mod webhook;

/// The audit actor of everything the incident desk does.
pub const ACTOR: &str = "victorops-webhook";
