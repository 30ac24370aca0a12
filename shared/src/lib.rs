//! Clinic's domain crate: the rotation, the audit log, mail, configuration and the one DynamoDB table
//! that the clinic-duty Lambdas share. Domain code sees ports (traits); adapters live in `store` and
//! `mail`, and what every function's `main` shares lives in `lambda`.

pub mod audit;
pub mod aws;
pub mod brief;
pub mod cli;
pub mod config;
pub mod heartbeat;
pub mod holidays;
pub mod idempotency;
pub mod incidents;
pub mod lambda;
pub mod mail;
pub mod maintenance;
pub mod oncall;
pub mod pacing;
pub mod rotation;
pub mod secrets;
pub mod serve;
pub mod store;
pub mod triage;
pub mod trigger;
