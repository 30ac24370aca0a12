//! Phabricator triage: Herald webhooks in, the rules file's decisions applied through Conduit, never
//! twice and never in a loop. The HTTP handler the Lambda and `clinic serve` share is
//! `crate::functions::phabricator_webhook`; Conduit's adapter is `crate::adapters::conduit`.

pub mod decide;
pub mod follow_up;
pub mod model;
pub mod ports;
pub mod rules;
pub mod service;
pub mod webhook;
