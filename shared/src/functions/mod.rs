//! The five Lambdas' wiring, one module each named after its function, and what they share: the
//! runtime glue (`lambda`) and the HTTP handler interface that `clinic serve` also routes to (`http`).

pub mod event_chat;
pub mod http;
pub mod lambda;
pub mod maintenance_mail;
pub mod phabricator_webhook;
pub mod rotation;
pub mod rotation_notices;
pub mod victorops_webhook;
pub mod web;
