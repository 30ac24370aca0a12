//! A notice body as the provider templates are read: lines of text in reading order, where a table row
//! (or a tab-separated plain-text line) is one line with one entry per cell. HTML and plain text bodies
//! both become a `Page`, so a template can be read the same way whichever part the provider filled in.

/// One line of a body. Free text is a single cell; a table row has one cell per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub cells: Vec<String>,
    /// The HTML table the row belongs to, so rows of one table can be told from the next table's.
    pub table: Option<u32>,
}

/// A table cell: where its text (nested tables included) lies in the page's flat text. The text is only
/// assembled when asked for, since layout tables nest deeply and most cells are never read whole.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub span: std::ops::Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    pub title: String,
    pub lines: Vec<Line>,
    pub tables: Vec<Table>,
    /// All text of an HTML page in reading order, with line breaks; table cells point into it.
    pub flat: String,
}

/// Rows under a header line, with the header's column names to find a column by.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    /// Index of the first column whose header starts with one of `names` (case and spacing ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| {
            let name = squash(name);
            self.headers.iter().position(|h| squash(h) == name)
        })
    }

    pub fn column_starting(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| {
            let name = squash(name);
            self.headers
                .iter()
                .position(|h| squash(h).starts_with(&name))
        })
    }
}

impl Page {
    /// Plain text: one line per text line; tabs separate cells, as in tab-aligned plain-text tables.
    pub fn from_plain(text: &str) -> Page {
        let lines = text
            .lines()
            .filter_map(|line| {
                let cells: Vec<String> = line
                    .split('\t')
                    .map(|cell| {
                        let cell = cell.trim();
                        if cell.contains(['\u{a0}', '\u{fffd}']) {
                            cell.replace(['\u{a0}', '\u{fffd}'], " ").trim().to_string()
                        } else {
                            cell.to_string()
                        }
                    })
                    .collect();
                if cells.iter().all(String::is_empty) {
                    return None;
                }
                // Tabs used only for indentation leave empty cells at either end.
                let first = cells.iter().position(|c| !c.is_empty()).unwrap_or(0);
                let last = cells.iter().rposition(|c| !c.is_empty()).unwrap_or(0);
                Some(Line {
                    cells: cells[first..=last].to_vec(),
                    table: None,
                })
            })
            .collect();
        Page {
            title: String::new(),
            lines,
            tables: Vec::new(),
            flat: String::new(),
        }
    }

    /// The whole text of a table cell, trimmed line by line.
    pub fn cell_text(&self, cell: &Cell) -> String {
        self.flat
            .get(cell.span.clone())
            .map(trim_lines)
            .unwrap_or_default()
    }

    /// Every text line of the page, cell by cell and line break by line break, trimmed, empty ones left out.
    pub fn rows(&self) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .flat_map(|l| l.cells.iter())
            .flat_map(|c| c.lines())
            .map(str::trim)
            .filter(|r| !r.is_empty())
    }

    /// Every line's cells joined with " | ", one line per line: for free-text searches over the body.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.cells.join(" | "));
            out.push('\n');
        }
        out
    }

    /// The value of a labelled field: `Label: value` in a cell, `Label | value` in a row (also with a
    /// `:` cell between, as some templates lay it out), or `Label` alone with the value on the line below.
    pub fn field(&self, labels: &[&str]) -> Option<String> {
        self.field_at(labels).map(|(_, value)| value)
    }

    /// Like [`Page::field`], also giving the index of the line the label is on.
    pub fn field_at(&self, labels: &[&str]) -> Option<(usize, String)> {
        for (index, line) in self.lines.iter().enumerate() {
            for (cell_index, cell) in line.cells.iter().enumerate() {
                // A cell may hold several "Label: value" lines (a paragraph with line breaks).
                let rows: Vec<&str> = cell.lines().collect();
                for (row_index, row) in rows.iter().enumerate() {
                    for label in labels {
                        let Some(rest) = after_label(row, label) else {
                            continue;
                        };
                        let rest = rest.trim();
                        if !rest.is_empty() {
                            return Some((index, rest.to_string()));
                        }
                        if let Some(value) = rows.get(row_index + 1) {
                            let value = value.trim();
                            if !looks_like_label(value) {
                                return Some((index, value.to_string()));
                            }
                            continue;
                        }
                        let next_cell = line.cells[cell_index + 1..]
                            .iter()
                            .map(|c| c.trim())
                            .find(|c| !c.is_empty() && *c != ":" && *c != "-");
                        if let Some(value) = next_cell {
                            return Some((index, value.trim_start_matches(':').trim().to_string()));
                        }
                        if cell_index + 1 == line.cells.len() {
                            let below = self.lines.get(index + 1).and_then(|l| {
                                l.cells
                                    .iter()
                                    .map(|c| c.trim())
                                    .find(|c| !c.is_empty() && *c != ":")
                            });
                            if let Some(value) = below
                                && !looks_like_label(value)
                            {
                                return Some((
                                    index + 1,
                                    value.trim_start_matches(':').trim().to_string(),
                                ));
                            }
                        }
                    }
                }
            }
        }
        None
    }

    /// Every run of rows under a header line that has all of `required` among its cells.
    pub fn grids(&self, required: &[&str]) -> Vec<Grid> {
        let mut grids = Vec::new();
        let mut index = 0;
        while index < self.lines.len() {
            let line = &self.lines[index];
            let is_header = line.cells.len() >= 2
                && required
                    .iter()
                    .all(|r| line.cells.iter().any(|c| same_label(c, r)));
            if !is_header {
                index += 1;
                continue;
            }
            let mut rows = Vec::new();
            let mut next = index + 1;
            while let Some(row) = self.lines.get(next) {
                let same_table = match (line.table, row.table) {
                    (Some(a), Some(b)) => a == b,
                    // Plain-text rows drop empty trailing columns.
                    (None, None) => row.cells.len() >= 2 && row.cells.len() <= line.cells.len(),
                    _ => false,
                };
                if !same_table {
                    break;
                }
                rows.push(row.cells.clone());
                next += 1;
            }
            grids.push(Grid {
                headers: line.cells.clone(),
                rows,
            });
            index = next;
        }
        grids
    }
}

/// If `cell` starts with `label` followed by the end of the cell, a colon, `#`/`:` or a line break, the text
/// after that separator.
pub(crate) fn after_label<'a>(cell: &'a str, label: &str) -> Option<&'a str> {
    let cell = cell.trim_start();
    let mut cell_chars = cell.char_indices().peekable();
    let mut label_chars = label.chars().filter(|c| !c.is_whitespace()).peekable();
    // Compare ignoring case and whitespace, so "Start  Time" matches "Start Time".
    let mut end = 0;
    while let Some(&want) = label_chars.peek() {
        let (at, got) = cell_chars.next()?;
        if got.is_whitespace() {
            continue;
        }
        if fold(got) != fold(want) {
            return None;
        }
        label_chars.next();
        end = at + got.len_utf8();
    }
    let rest = &cell[end..];
    let trimmed = rest.trim_start_matches([' ', '\t']);
    if trimmed.is_empty() {
        return Some("");
    }
    if let Some(value) = trimmed.strip_prefix(':') {
        return Some(value.trim_start_matches(':'));
    }
    if trimmed.starts_with('\n') {
        return Some(trimmed);
    }
    None
}

/// One lower-case character per character, so that labels compare letter by letter; the Turkish dotted
/// and dotless i ("Start Tİme") fold to a plain i.
fn fold(c: char) -> char {
    match c {
        'İ' | 'ı' => 'i',
        c => c.to_lowercase().next().unwrap_or(c),
    }
}

/// A cell that is itself a label ("Start time:") rather than a value.
fn looks_like_label(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("").trim();
    first.ends_with(':') && first.len() < 60
}

/// Whether two labels are the same ignoring case, whitespace and trailing colons (`squash` without allocating).
pub(crate) fn same_label(a: &str, b: &str) -> bool {
    label_letters(a).eq(label_letters(b))
}

fn label_letters(text: &str) -> impl Iterator<Item = char> + '_ {
    text.trim_end_matches(|c: char| c == ':' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(fold)
}

/// Lower case with all whitespace removed and trailing colons dropped: for comparing labels and headers.
pub(crate) fn squash(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(fold)
        .collect();
    while out.ends_with(':') {
        out.pop();
    }
    out
}

/// Trims every line of a text and drops the empty ones; spacing inside a line is kept as written,
/// because some circuit ids carry runs of spaces (`/OGYX/123456/   /ZYO /`).
pub(crate) fn trim_lines(text: &str) -> String {
    let mut out = String::new();
    for line in text.split('\n') {
        let line = line.trim_matches(' ');
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(lines: &[&[&str]]) -> Page {
        Page {
            title: String::new(),
            lines: lines
                .iter()
                .map(|cells| Line {
                    cells: cells.iter().map(|c| c.to_string()).collect(),
                    table: Some(1),
                })
                .collect(),
            tables: Vec::new(),
            flat: String::new(),
        }
    }

    #[test]
    fn a_field_is_found_in_every_common_layout() {
        let p = page(&[
            &["Ticket: 42"],
            &["Start Time:", ":", "2021-01-01"],
            &["End  time"],
            &["tomorrow"],
            &["Reference number\nPN1"],
        ]);
        assert_eq!(p.field(&["ticket"]).as_deref(), Some("42"));
        assert_eq!(p.field(&["Start Time"]).as_deref(), Some("2021-01-01"));
        assert_eq!(p.field(&["End Time"]).as_deref(), Some("tomorrow"));
        assert_eq!(p.field(&["Reference number"]).as_deref(), Some("PN1"));
        assert_eq!(p.field(&["Start"]), None);
    }

    #[test]
    fn grid_rows_stop_at_the_end_of_their_table() {
        let mut p = page(&[&["Circuit ID", "Impact"], &["C1", "Down"], &["C2", "Down"]]);
        p.lines.push(Line {
            cells: vec!["after".into()],
            table: None,
        });
        let grids = p.grids(&["circuit id"]);
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].rows.len(), 2);
        assert_eq!(grids[0].column(&["Impact"]), Some(1));
    }

    #[test]
    fn plain_text_tabs_become_cells() {
        let p = Page::from_plain("Start\t2021-12-02 05:00:00 GMT\r\n\tindented\n");
        assert_eq!(p.lines[0].cells, vec!["Start", "2021-12-02 05:00:00 GMT"]);
        assert_eq!(p.lines[1].cells, vec!["indented"]);
    }
}
