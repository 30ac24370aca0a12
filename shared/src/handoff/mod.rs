//! The weekly handoff job: commits the coming week of every rotation exactly once, and mails the
//! incoming, outgoing and backup people and the notify list. It drives the pure planner in
//! `rotation` through the ports in `ports`.

pub mod chat;
pub mod chat_post;
pub mod chat_report;
pub mod duty_moved;
pub mod job;
pub mod mail;
pub mod ports;
