//! Notices people post, statusbot-style: "what is supposed to be happening right now" in a line.
//! Allow-listed roster people post `alert`, `notice` or `ok` from the CLI, the web page, a Slack
//! slash command or a Matrix `!status` message; the one current notice stands at the top of the
//! brief, the pages and the channel topic until `ok` or its expiry (docs/notices.md).

pub mod command;
pub mod model;
pub mod ports;
pub mod room;
pub mod service;

#[cfg(test)]
mod memory;
#[cfg(test)]
mod tests;

pub use command::{Command, CommandError, FieldError};
pub use model::{Level, Notice, NoticeText, TaskRef, Via};
pub use ports::{Board, BoardWrite, HandledCommand, NoticeBoard, RoomCursors};
pub use room::{NoticeStore, RoomCommand, RoomError, RoomRead, room_commands};
pub use service::{NoticeError, Posted, Poster, current, run, sweep_expired};
