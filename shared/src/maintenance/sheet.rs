//! XLSX attachments read into their first worksheet's cell texts, with every size checked before it
//! is allocated: the zip container from its end record and central directory (entries, declared
//! sizes, compression ratio), then each entry inflated into nothing under a cap (a directory can lie),
//! and only then calamine, through its streaming cell reader: the sheet's declared dimension, its
//! cells' extent and their number are checked as they come, never a rows × columns grid.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

use super::limits::{self, Counter, OverLimit, check};

/// The first worksheet as calamine's range would hold it: rows from the first to the last row with a
/// non-empty cell, columns counted from the first such column; only the non-empty cells are stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sheet {
    /// Columns from the first to the last non-empty one.
    pub width: usize,
    rows: Vec<Vec<(usize, String)>>,
}

/// One row of a [`Sheet`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SheetRow<'a>(&'a [(usize, String)]);

impl SheetRow<'_> {
    /// The text of column `column` ("" for an empty cell).
    pub fn get(&self, column: usize) -> &str {
        self.0
            .binary_search_by_key(&column, |(c, _)| *c)
            .map_or("", |i| self.0[i].1.as_str())
    }
}

impl Sheet {
    pub fn rows(&self) -> impl Iterator<Item = SheetRow<'_>> {
        self.rows.iter().map(|r| SheetRow(r))
    }
}

/// The first worksheet of an XLSX file; `Ok(None)` when the bytes are not a readable workbook.
pub(crate) fn read_sheet(bytes: &[u8]) -> Result<Option<Sheet>, OverLimit> {
    check(limits::XLSX_BYTES, bytes.len() as u64)?;
    let Some(entries) = declared_entries(bytes) else {
        return Ok(None);
    };
    check(limits::ZIP_ENTRIES, entries)?;
    if !check_entries(bytes)? {
        return Ok(None);
    }
    let Ok(mut workbook) = Xlsx::new(Cursor::new(bytes)) else {
        return Ok(None);
    };
    let Some(name) = workbook.sheet_names().into_iter().next() else {
        return Ok(None);
    };
    let Ok(mut cells) = workbook.worksheet_cells_reader(&name) else {
        return Ok(None);
    };
    let declared = cells.dimensions();
    check_extent(declared.start, declared.end)?;
    let mut count = Counter::new(limits::SHEET_CELLS);
    let mut found: Vec<(u32, u32, String)> = Vec::new();
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0, 0));
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(_) => return Ok(None),
        };
        count.add(1)?;
        let value = Data::from(cell.get_value().clone());
        if value == Data::Empty {
            continue;
        }
        let (row, column) = cell.get_position();
        first = (first.0.min(row), first.1.min(column));
        last = (last.0.max(row), last.1.max(column));
        check_extent(first, last)?;
        found.push((row, column, cell_text(&value)));
    }
    if found.is_empty() {
        return Ok(Some(Sheet::default()));
    }
    found.sort_by_key(|(row, column, _)| (*row, *column));
    let mut rows = vec![Vec::new(); (last.0 - first.0 + 1) as usize];
    for (row, column, text) in found {
        rows[(row - first.0) as usize].push(((column - first.1) as usize, text));
    }
    Ok(Some(Sheet {
        width: (last.1 - first.1 + 1) as usize,
        rows,
    }))
}

/// Rows and columns from `start` to `end` (inclusive, 0-based) against the sheet limits.
fn check_extent(start: (u32, u32), end: (u32, u32)) -> Result<(), OverLimit> {
    if end.0 < start.0 || end.1 < start.1 {
        return Ok(());
    }
    check(limits::SHEET_ROWS, u64::from(end.0 - start.0) + 1)?;
    check(limits::SHEET_COLUMNS, u64::from(end.1 - start.1) + 1)
}

/// The entry count of the zip's end-of-central-directory record (read by hand, so that the zip crate
/// never builds a directory of more entries than allowed); `None` when there is no such record.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let tail_start = bytes.len().saturating_sub(22 + 65_535);
    let at = memchr::memmem::rfind(&bytes[tail_start..], EOCD)? + tail_start;
    let record = bytes.get(at..at + 22)?;
    let entries = u64::from(u16::from_le_bytes([record[10], record[11]]));
    // 0xFFFF defers to a zip64 record: more entries than any workbook has.
    Some(if entries == 0xFFFF { u64::MAX } else { entries })
}

/// Every entry's declared and actual uncompressed size and its ratio; `Ok(false)` when the container
/// cannot be read (not a workbook, encrypted, corrupt).
fn check_entries(bytes: &[u8]) -> Result<bool, OverLimit> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(false);
    };
    let mut declared_total = Counter::new(limits::ZIP_TOTAL_BYTES);
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(index) else {
            return Ok(false);
        };
        check(limits::ZIP_ENTRY_BYTES, entry.size())?;
        check_ratio(entry.size(), entry.compressed_size())?;
        declared_total.add(entry.size())?;
    }
    let mut actual_total = Counter::new(limits::ZIP_TOTAL_BYTES);
    let mut sink = vec![0u8; 16 * 1024];
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index(index) else {
            return Ok(false);
        };
        let compressed = entry.compressed_size();
        let mut capped = entry.take(limits::ZIP_ENTRY_BYTES.max + 1);
        let mut size = 0u64;
        loop {
            match capped.read(&mut sink) {
                Ok(0) => break,
                Ok(n) => {
                    size += n as u64;
                    actual_total.add(n as u64)?;
                }
                Err(_) => return Ok(false),
            }
        }
        check(limits::ZIP_ENTRY_BYTES, size).map_err(|over| OverLimit {
            at_least: true,
            ..over
        })?;
        check_ratio(size, compressed)?;
    }
    Ok(true)
}

fn check_ratio(size: u64, compressed: u64) -> Result<(), OverLimit> {
    if size <= limits::RATIO_FLOOR {
        return Ok(());
    }
    check(limits::ZIP_RATIO, size / compressed.max(1))
}

/// A cell as text; whole numbers without a decimal point (ids are often typed as numbers).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}
