//! VictorOps kept in step with the rotation. VictorOps pages whoever its own rotation says; Clinic
//! never edits that rotation, it puts the person of each committed shift on call with scheduled
//! overrides (`sync`), and compares what VictorOps will page with Clinic's plan (`drift`).
//! VictorOps is reached through a port (`ports::VictorOpsApi`, adapter `crate::adapters::victorops`),
//! the table through `ports::OnCallLedger`.

pub mod drift;
pub mod ports;
pub mod sync;
pub mod takes;
pub mod timeline;

pub use sync::{SyncOutcome, TakeOutcome, TakeReport, VictorOpsReport, VictorOpsSync, WeekSync};
