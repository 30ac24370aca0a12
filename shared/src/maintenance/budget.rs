//! What a notice keeps of a mail (its bodies and the attachments the templates read), held to the
//! [limits](super::limits) as the notice is built: each body or attachment is measured before it is
//! copied, split into lines or read as a table.

use super::limits::{self, Counter, OverLimit, check};

/// The running totals of one mail, forwarded originals included.
pub(crate) struct Budget {
    kept: Counter,
    calendars: Counter,
    text_lines: Counter,
}

impl Budget {
    pub fn new() -> Self {
        Self {
            kept: Counter::new(limits::KEPT_BYTES),
            calendars: Counter::new(limits::CALENDAR_BYTES),
            text_lines: Counter::new(limits::TEXT_LINES),
        }
    }

    pub fn html(&mut self, html: &str) -> Result<(), OverLimit> {
        check(limits::HTML_BYTES, html.len() as u64)?;
        self.kept.add(html.len() as u64)
    }

    /// A plain-text body: its lines and tab-separated cells each become a string of their own.
    pub fn plain(&mut self, text: &str) -> Result<(), OverLimit> {
        self.kept.add(text.len() as u64)?;
        let pieces = memchr::memchr2_iter(b'\n', b'\t', text.as_bytes()).count() + 1;
        self.text_lines.add(pieces as u64)
    }

    pub fn calendar(&mut self, text: &str) -> Result<(), OverLimit> {
        self.kept.add(text.len() as u64)?;
        self.calendars.add(text.len() as u64)
    }

    pub fn csv(&mut self, bytes: &[u8]) -> Result<(), OverLimit> {
        check(limits::CSV_BYTES, bytes.len() as u64)?;
        self.kept.add(bytes.len() as u64)?;
        let (rows, columns) = csv_shape(bytes);
        check(limits::CSV_ROWS, rows)?;
        check(limits::CSV_COLUMNS, columns)
    }

    pub fn xlsx(&mut self, bytes: &[u8]) -> Result<(), OverLimit> {
        check(limits::XLSX_BYTES, bytes.len() as u64)?;
        self.kept.add(bytes.len() as u64)
    }
}

/// Rows and the widest row's columns, as a CSV reader would split them (quoted fields may hold
/// separators and line breaks); the separator is a tab when the first line has one, as Colt's reader
/// decides.
fn csv_shape(bytes: &[u8]) -> (u64, u64) {
    let first_line = &bytes[..memchr::memchr(b'\n', bytes).unwrap_or(bytes.len())];
    let separator = if first_line.contains(&b'\t') {
        b'\t'
    } else {
        b','
    };
    let (mut rows, mut widest, mut columns) = (0u64, 0u64, 1u64);
    let mut quoted = false;
    let mut row_has_content = false;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                if row_has_content {
                    rows += 1;
                    widest = widest.max(columns);
                }
                columns = 1;
                row_has_content = false;
                continue;
            }
            b if b == separator && !quoted => columns += 1,
            b'\r' => continue,
            _ => {}
        }
        row_has_content = true;
    }
    if row_has_content {
        rows += 1;
        widest = widest.max(columns);
    }
    (rows, widest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_is_measured_as_a_reader_splits_it() {
        assert_eq!(csv_shape(b"a,b,c\r\n1,\"x,\ny\",3\n\n4\n"), (3, 3));
        assert_eq!(csv_shape(b"a\tb,c\n"), (1, 2));
        assert_eq!(csv_shape(b""), (0, 0));
    }

    #[test]
    fn a_million_empty_cells_are_over_the_column_limit() {
        let csv = ",".repeat(999_999);
        let over = Budget::new().csv(csv.as_bytes()).unwrap_err();
        assert_eq!(over.limit, limits::CSV_COLUMNS);
        assert_eq!(over.found, 1_000_000);
    }
}
