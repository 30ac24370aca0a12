//! Self-service swaps and cover (docs/web.md, "Swaps and cover"): a person on duty asks for cover of
//! their week or a swap with another; it is offered to exactly the people the planner's rules allow;
//! the first to accept wins (one conditional write) and it is applied through the operators'
//! override path, VictorOps included. The rotation function's `swaps` job sends the reminders and
//! expires what nobody took.

pub mod mails;
pub mod model;
pub mod offers;
pub mod ports;
pub mod service;

#[cfg(test)]
mod tests;

pub use model::{BadSwapId, Button, Refusal, SwapId, SwapKind, SwapRequest, SwapState};
pub use ports::SwapLedger;
pub use service::{ActError, AskError, Swaps, SweepReport};

/// The Scheduler job name of the sweep (reminders, expiry) the rotation function answers to.
pub const JOB: &str = "swap-reminders";

/// The *Swaps* page, where a person asks for cover (the handoff mail links to it).
pub const LIST_PATH: &str = "/swaps";
