//! The sizes a notice may reach, each checked before the memory it stands for is allocated, so that no
//! mail up to the size limit can take the function past its memory (see docs/maintenance-mail.md for
//! the peak RSS measured on hostile inputs). A mail over one is not parsed: it becomes a review item
//! whose reason names the limit and by how much it was passed.
//!
//! The values are far above anything a provider sends (the vendor corpus' largest figures are in the
//! comments) and far below what would exhaust 128 MiB.

use std::fmt;

/// One bound on the shape of a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What is measured, as the review list says it ("MIME nesting depth").
    pub what: &'static str,
    /// The unit of `max` ("levels", "bytes").
    pub unit: &'static str,
    pub max: u64,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {} {}", self.what, self.max, self.unit)
    }
}

const fn limit(what: &'static str, unit: &'static str, max: u64) -> Limit {
    Limit { what, unit, max }
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

// The MIME structure, scanned before mail-parser builds its parts (corpus: depth 3, 6 parts, 12.5 KB
// of headers). mail-parser keeps nested messages as nested values, so depth also bounds recursion.
pub const MIME_DEPTH: Limit = limit("MIME nesting depth", "levels", 16);
pub const MIME_PARTS: Limit = limit("MIME part count", "parts", 500);
pub const HEADER_BYTES: Limit = limit("size of all header sections", "bytes", MIB);
/// Every part's body once its transfer encoding (base64, quoted-printable) is undone, nested encoded
/// messages counted again at each level (mail-parser holds them all at once).
pub const DECODED_BYTES: Limit = limit("decoded size of all MIME parts", "bytes", 16 * MIB);

// What the notice keeps for the templates to read (corpus: 111 KB of HTML, 106 cells, tables nested 8
// deep, a 862-byte CSV, a 4.8 KB XLSX).
pub const KEPT_BYTES: Limit = limit(
    "total size of the bodies and attachments read (text, HTML, calendars, CSV, XLSX)",
    "bytes",
    8 * MIB,
);
pub const HTML_BYTES: Limit = limit("size of an HTML body", "bytes", 4 * MIB);
pub const HTML_TAGS: Limit = limit("number of tags in an HTML body", "tags", 100_000);
pub const HTML_TABLE_DEPTH: Limit = limit("nesting depth of HTML tables", "levels", 32);
pub const TEXT_LINES: Limit = limit(
    "number of lines and tab-separated cells of the plain-text bodies",
    "lines and cells",
    200_000,
);
pub const CALENDAR_BYTES: Limit = limit("size of the calendar parts", "bytes", MIB);
pub const CSV_BYTES: Limit = limit("size of a CSV attachment", "bytes", MIB);
pub const CSV_ROWS: Limit = limit("number of rows of a CSV attachment", "rows", 20_000);
pub const CSV_COLUMNS: Limit = limit("number of columns of a CSV attachment", "columns", 256);

// XLSX attachments: the zip container is checked from its central directory before anything is
// inflated, then each entry is inflated into nothing with a cap, so a lying directory is caught too.
pub const XLSX_BYTES: Limit = limit("size of an XLSX attachment", "bytes", 4 * MIB);
pub const ZIP_ENTRIES: Limit = limit("number of entries of an XLSX (zip) file", "entries", 256);
pub const ZIP_ENTRY_BYTES: Limit = limit(
    "uncompressed size of an entry of an XLSX (zip) file",
    "bytes",
    8 * MIB,
);
pub const ZIP_TOTAL_BYTES: Limit = limit(
    "uncompressed size of all entries of an XLSX (zip) file",
    "bytes",
    16 * MIB,
);
/// Only entries over [`RATIO_FLOOR`] bytes are held to it: small files compress as they like.
pub const ZIP_RATIO: Limit = limit(
    "compression ratio of an entry of an XLSX (zip) file",
    "to 1",
    100,
);
pub const RATIO_FLOOR: u64 = 64 * KIB;
pub const SHEET_ROWS: Limit = limit("number of rows of an XLSX sheet", "rows", 20_000);
pub const SHEET_COLUMNS: Limit = limit("number of columns of an XLSX sheet", "columns", 256);
pub const SHEET_CELLS: Limit = limit("number of cells of an XLSX sheet", "cells", 200_000);

/// A limit passed: which, and what was found (`at_least` when counting stopped at the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    pub limit: Limit,
    pub found: u64,
    pub at_least: bool,
}

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Limit { what, unit, max } = self.limit;
        let over = self.found.saturating_sub(max);
        let (at_least, or_more) = if self.at_least {
            ("at least ", " or more")
        } else {
            ("", "")
        };
        write!(
            f,
            "the {what} is {at_least}{found} {unit}, {over}{or_more} over the limit of {max}",
            found = self.found
        )
    }
}

/// `Err` when `found` is over `limit`.
pub(crate) fn check(limit: Limit, found: u64) -> Result<(), OverLimit> {
    if found > limit.max {
        Err(OverLimit {
            limit,
            found,
            at_least: false,
        })
    } else {
        Ok(())
    }
}

/// A running count held to a limit: `add` fails as soon as the count passes it (the count found so far
/// is then a lower bound).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counter {
    limit: Limit,
    count: u64,
}

impl Counter {
    pub fn new(limit: Limit) -> Self {
        Self { limit, count: 0 }
    }

    pub fn add(&mut self, n: u64) -> Result<(), OverLimit> {
        self.count = self.count.saturating_add(n);
        if self.count > self.limit.max {
            Err(OverLimit {
                limit: self.limit,
                found: self.count,
                at_least: true,
            })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_names_the_limit_and_by_how_much() {
        let over = check(SHEET_ROWS, 1_048_576).unwrap_err();
        assert_eq!(
            over.to_string(),
            "the number of rows of an XLSX sheet is 1048576 rows, 1028576 over the limit of 20000"
        );
        let mut parts = Counter::new(MIME_PARTS);
        assert!(parts.add(500).is_ok());
        let over = parts.add(1).unwrap_err();
        assert_eq!(
            over.to_string(),
            "the MIME part count is at least 501 parts, 1 or more over the limit of 500"
        );
    }
}
