//! Clinic's crate: the clinic-duty domain, the adapters that implement its ports, and the glue that
//! wires them into the four Lambdas and the `clinic` command. Dependencies point one way — domain ←
//! adapters ← glue — and `tests/architecture.rs` keeps it so (docs/architecture.md).

// The domain: models, rules, ports and the services and jobs that drive them.
pub mod ahead;
pub mod audit;
pub mod brief;
pub mod calendars;
pub mod chat;
pub mod claim;
pub mod clock;
pub mod handoff;
pub mod holidays;
pub mod http_url;
pub mod idempotency;
pub mod incidents;
pub mod log_text;
pub mod mail;
pub mod maintenance;
pub mod notices;
pub mod oncall;
pub mod pages;
pub mod reviewed_file;
pub mod rotation;
pub mod secret;
pub mod shifts;
pub mod signin;
pub mod store;
pub mod swaps;
pub mod triage;
pub mod trigger;

// The adapters: DynamoDB, S3, SES, SSM and the SaaS APIs, behind the domain's ports.
pub mod adapters;

// The glue: configuration, the Lambdas' wiring and HTTP handlers, the command line.
pub mod cli;
pub mod config;
pub mod functions;
