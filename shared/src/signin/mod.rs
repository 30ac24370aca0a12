//! Sign-in without an operator: magic links mailed to the roster's addresses, sessions held in a
//! signed cookie and known to the table by hash, CSRF tokens for every form (docs/web.md).

pub mod ports;
pub mod service;
pub mod token;

pub use service::{LinkRequest, NewSession, SignIn, SignInError, SignedIn};

#[cfg(test)]
mod tests;
