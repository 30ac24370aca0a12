//! VictorOps incidents mirrored to Statuspage: the lifecycle (UNACKED → ACKED → RESOLVED, never
//! backwards), the mapping file, the Statuspage port and adapter, the webhook's edge and handler, and
//! the reminder sweep that runs on the same function's schedule.

pub mod desk;
pub mod downtime;
pub mod function;
pub mod http;
pub mod lifecycle;
pub mod mapping;
pub mod ports;
pub mod reminders;
pub mod statuspage;
pub mod webhook;
