//! Phabricator triage: Herald webhooks in, the rules file's decisions applied through Conduit, never
//! twice and never in a loop. `function` is the HTTP handler the Lambda and `clinic serve` share.

pub mod conduit;
pub mod decide;
pub mod follow_up;
pub mod function;
pub mod model;
pub mod ports;
pub mod rules;
pub mod service;
pub mod webhook;
