//! Calendars people subscribe to (docs/web.md, "Calendars"): personal feed tokens, issued and
//! revoked from the signed-in page and known to the table only by their SHA-256, and the feeds they
//! open — a person's shifts, a rotation's, or the vendor maintenance calendar.

pub mod feed;
pub mod ports;
pub mod service;

pub use ports::{FeedKind, FeedRecord, FeedTokens, Revoked};
pub use service::{Calendars, FeedError, IssueError, IssuedFeed, parse_feed_path};

#[cfg(test)]
mod tests;
