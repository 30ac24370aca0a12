//! HTML bodies reduced to the text the templates are read from. A small hand-written reader rather than a
//! DOM library: notices are small and often malformed (Outlook exports, Gmail print views with a `<head>`
//! that never closes), and the parsers only need text in reading order plus the table structure.

use std::borrow::Cow;

use super::limits::{self, Counter, OverLimit, check};
use super::page::{Cell, Line, Page, Table, trim_lines as normalize};

/// Reads an HTML document into a [`Page`]. Whatever is not understood is treated as text; it fails only
/// when the document has more tags, or tables nested deeper, than [`limits`] allow (checked tag by tag,
/// before what the tag would add is built).
pub(crate) fn read_html(html: &str) -> Result<Page, OverLimit> {
    let mut page = PageBuilder::default();
    let mut tags = Counter::new(limits::HTML_TAGS);
    let bytes = html.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'<' {
            let end = find_byte(html, at, b'<').unwrap_or(bytes.len());
            page.text(&decode_entities(&html[at..end]));
            at = end;
            continue;
        }
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            at = find_str(html, at + 4, "-->").map_or(bytes.len(), |p| p + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            at = find_byte(html, at, b'>').map_or(bytes.len(), |p| p + 1);
            continue;
        }
        let Some(tag) = read_tag(html, at) else {
            // A lone '<' (as in "a < b") is text.
            page.text("<");
            at += 1;
            continue;
        };
        at = tag.end;
        tags.add(1)?;
        let name = tag.name.to_ascii_lowercase();
        if tag.closing {
            page.close(&name);
            continue;
        }
        match name.as_str() {
            // Their content is never shown; skipping it also keeps CSS and scripts out of the text.
            "script" | "style" | "xml" | "noscript" | "template" if !tag.self_closing => {
                at = skip_raw_text(html, at, &name);
            }
            "title" if !tag.self_closing => {
                let end = find_closing(html, at, "title").unwrap_or(bytes.len());
                page.title = decode_entities(&html[at..end])
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                at = skip_raw_text(html, at, "title");
            }
            _ => {
                if name == "table" {
                    check(limits::HTML_TABLE_DEPTH, page.open_tables.len() as u64 + 1)?;
                }
                page.open(&name);
                if tag.self_closing {
                    page.close(&name);
                }
            }
        }
    }
    Ok(page.finish())
}

struct Tag<'a> {
    name: &'a str,
    closing: bool,
    self_closing: bool,
    end: usize,
}

fn read_tag(html: &str, start: usize) -> Option<Tag<'_>> {
    let bytes = html.as_bytes();
    let mut at = start + 1;
    let closing = bytes.get(at) == Some(&b'/');
    if closing {
        at += 1;
    }
    let name_start = at;
    if !bytes.get(at).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while bytes
        .get(at)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_'))
    {
        at += 1;
    }
    let name = &html[name_start..at];
    // Attribute values may hold '>' inside quotes.
    let mut quote = None;
    while at < bytes.len() {
        let b = bytes[at];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => {
                let self_closing = at > start && bytes[at - 1] == b'/';
                return Some(Tag {
                    name,
                    closing,
                    self_closing,
                    end: at + 1,
                });
            }
            None if b == b'<' => {
                // Unterminated tag: end it here so the next tag is still read.
                return Some(Tag {
                    name,
                    closing,
                    self_closing: false,
                    end: at,
                });
            }
            None => {}
        }
        at += 1;
    }
    Some(Tag {
        name,
        closing,
        self_closing: false,
        end: bytes.len(),
    })
}

/// Position of an ASCII `needle` at or after `from` (memchr-backed: most of a page is text between tags).
fn find_byte(html: &str, from: usize, needle: u8) -> Option<usize> {
    match html.get(from..) {
        Some(rest) => rest.find(needle as char).map(|p| p + from),
        None => html
            .as_bytes()
            .get(from..)?
            .iter()
            .position(|&b| b == needle)
            .map(|p| p + from),
    }
}

fn find_str(haystack: &str, from: usize, needle: &str) -> Option<usize> {
    haystack.get(from..)?.find(needle).map(|p| p + from)
}

/// Position of `</name` (any case) at or after `from`.
fn find_closing(html: &str, from: usize, name: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut at = from;
    while let Some(p) = find_byte(html, at, b'<') {
        let after = &bytes[p + 1..];
        if after.first() == Some(&b'/')
            && after.len() > name.len()
            && after[1..=name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some(p);
        }
        at = p + 1;
    }
    None
}

fn skip_raw_text(html: &str, from: usize, name: &str) -> usize {
    match find_closing(html, from, name) {
        Some(p) => find_byte(html, p, b'>').map_or(html.len(), |e| e + 1),
        None => html.len(),
    }
}

/// Tags after which the following text starts on a new line.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "center"
            | "dl"
            | "dt"
            | "dd"
            | "address"
            | "caption"
            | "form"
            | "nav"
            | "main"
            | "figure"
            | "fieldset"
            | "body"
            | "html"
            | "head"
    )
}

#[derive(Default)]
struct PageBuilder {
    /// Every shown character in order, with '\n' at block and cell boundaries; cells and lines are slices of it.
    flat: String,
    title: String,
    lines: Vec<Line>,
    tables: Vec<Table>,
    /// Where the free text (outside any table cell) of the current line began.
    free_start: usize,
    open_tables: Vec<OpenTable>,
    next_table_id: u32,
}

struct OpenTable {
    id: u32,
    rows: Vec<Vec<Cell>>,
    row: Option<OpenRow>,
}

#[derive(Default)]
struct OpenRow {
    cells: Vec<Cell>,
    /// The row as a line: cell text without the text of nested tables, which get lines of their own.
    line_cells: Vec<String>,
    cell: Option<OpenCell>,
}

struct OpenCell {
    start: usize,
    line_start: usize,
}

impl PageBuilder {
    fn text(&mut self, text: &str) {
        // Most text is plain ASCII without control characters: copy it whole.
        if text.bytes().all(|b| (b' '..0x7f).contains(&b)) {
            self.flat.push_str(text);
            return;
        }
        for c in text.chars() {
            match c {
                '\r' | '\n' | '\t' | '\u{c}' | '\u{a0}' | '\u{2007}' | '\u{202f}' => {
                    self.flat.push(' ')
                }
                // Invisible characters and the replacement character left by undecodable bytes carry nothing.
                '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{fffd}' | '\u{ad}' => {}
                c if c.is_control() => {}
                c => self.flat.push(c),
            }
        }
    }

    fn in_cell(&self) -> bool {
        self.open_tables
            .last()
            .and_then(|t| t.row.as_ref())
            .is_some_and(|r| r.cell.is_some())
    }

    fn open(&mut self, name: &str) {
        match name {
            "table" => self.open_table(),
            "tr" => self.open_row(),
            "td" | "th" => self.open_cell(),
            _ if is_block(name) => self.boundary(),
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "tr" | "td" | "th" if self.open_tables.is_empty() => self.boundary(),
            "table" => self.close_table(),
            "tr" => self.close_row(),
            "td" | "th" => self.close_cell(),
            _ if is_block(name) => self.boundary(),
            _ => {}
        }
    }

    fn boundary(&mut self) {
        self.flat.push('\n');
        if !self.in_cell() {
            self.flush_free();
        }
    }

    fn flush_free(&mut self) {
        let text = normalize(&self.flat[self.free_start..]);
        if !text.is_empty() {
            self.lines.push(Line {
                cells: vec![text],
                table: None,
            });
        }
        self.flat.push('\n');
        self.free_start = self.flat.len();
    }

    fn open_table(&mut self) {
        if self.in_cell() {
            // The outer row's text so far reads before the nested table does.
            let flat = &self.flat;
            if let Some(outer) = self.open_tables.last_mut()
                && let Some(row) = outer.row.as_mut()
            {
                let mut cells = std::mem::take(&mut row.line_cells);
                if let Some(cell) = row.cell.as_ref() {
                    cells.push(normalize(&flat[cell.line_start..]));
                }
                if cells.iter().any(|c| !c.is_empty()) {
                    self.lines.push(Line {
                        cells,
                        table: Some(outer.id),
                    });
                }
            }
            self.flat.push('\n');
        } else {
            self.flush_free();
        }
        self.next_table_id += 1;
        self.open_tables.push(OpenTable {
            id: self.next_table_id,
            rows: Vec::new(),
            row: None,
        });
        self.free_start = self.flat.len();
    }

    fn open_row(&mut self) {
        if self.open_tables.is_empty() {
            self.boundary();
            return;
        }
        self.close_row();
        self.flush_free();
        if let Some(table) = self.open_tables.last_mut() {
            table.row = Some(OpenRow::default());
        }
    }

    fn open_cell(&mut self) {
        if self.open_tables.is_empty() {
            self.boundary();
            return;
        }
        if self.open_tables.last().is_some_and(|t| t.row.is_none()) {
            self.open_row();
        }
        self.close_cell();
        self.flush_free();
        let start = self.flat.len();
        if let Some(row) = self.open_tables.last_mut().and_then(|t| t.row.as_mut()) {
            row.cell = Some(OpenCell {
                start,
                line_start: start,
            });
        }
    }

    fn close_cell(&mut self) {
        let flat = &self.flat;
        let Some(row) = self.open_tables.last_mut().and_then(|t| t.row.as_mut()) else {
            return;
        };
        let Some(cell) = row.cell.take() else {
            return;
        };
        row.cells.push(Cell {
            span: cell.start..flat.len(),
        });
        row.line_cells.push(normalize(&flat[cell.line_start..]));
        self.flat.push('\n');
        self.free_start = self.flat.len();
    }

    fn close_row(&mut self) {
        self.close_cell();
        let Some(table) = self.open_tables.last_mut() else {
            return;
        };
        if let Some(row) = table.row.take() {
            if row.line_cells.iter().any(|c| !c.is_empty()) {
                self.lines.push(Line {
                    cells: row.line_cells,
                    table: Some(table.id),
                });
            }
            table.rows.push(row.cells);
        }
        self.free_start = self.flat.len();
    }

    fn close_table(&mut self) {
        if self.open_tables.is_empty() {
            return;
        }
        self.close_row();
        self.flush_free();
        if let Some(table) = self.open_tables.pop() {
            self.tables.push(Table { rows: table.rows });
        }
        let resume = self.flat.len();
        if let Some(cell) = self
            .open_tables
            .last_mut()
            .and_then(|t| t.row.as_mut())
            .and_then(|r| r.cell.as_mut())
        {
            cell.line_start = resume;
        }
        self.free_start = resume;
    }

    fn finish(mut self) -> Page {
        while !self.open_tables.is_empty() {
            self.close_table();
        }
        self.flush_free();
        Page {
            title: self.title,
            lines: self.lines,
            tables: self.tables,
            flat: self.flat,
        }
    }
}

/// Decodes character references (`&amp;`, `&#8211;`, `&#x2013;`, and the named ones notices use).
pub(crate) fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match read_reference(rest) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Reads one reference at the start of `text` (which begins with '&'): the decoded text and bytes consumed.
fn read_reference(text: &str) -> Option<(String, usize)> {
    let body = &text[1..];
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 3),
            None => (num, 10, 2),
        };
        let len = digits
            .bytes()
            .take_while(|b| (*b as char).is_digit(radix))
            .count();
        if len == 0 || len > 8 {
            return None;
        }
        let code = u32::from_str_radix(&digits[..len], radix).ok()?;
        let c = match code {
            // Windows-1252 code points are what HTML numeric references in this range mean in practice.
            0x91 | 0x92 => '\'',
            0x93 | 0x94 => '"',
            0x96 | 0x97 => '-',
            _ => char::from_u32(code).unwrap_or('\u{fffd}'),
        };
        let semi = usize::from(digits[len..].starts_with(';'));
        return Some((c.to_string(), skip + len + semi));
    }
    let len = body.bytes().take_while(u8::is_ascii_alphanumeric).count();
    if len == 0 || len > 10 {
        return None;
    }
    let name = &body[..len];
    let decoded = named_entity(name)?;
    let semi = usize::from(body[len..].starts_with(';'));
    Some((decoded.to_string(), 1 + len + semi))
}

fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "nbsp" => "\u{a0}",
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "ndash" => "\u{2013}",
        "mdash" => "\u{2014}",
        "lsquo" => "\u{2018}",
        "rsquo" => "\u{2019}",
        "sbquo" => "\u{201a}",
        "ldquo" => "\u{201c}",
        "rdquo" => "\u{201d}",
        "bdquo" => "\u{201e}",
        "hellip" => "\u{2026}",
        "bull" => "\u{2022}",
        "middot" => "\u{b7}",
        "copy" => "\u{a9}",
        "reg" => "\u{ae}",
        "trade" => "\u{2122}",
        "deg" => "\u{b0}",
        "euro" => "\u{20ac}",
        "pound" => "\u{a3}",
        "yen" => "\u{a5}",
        "cent" => "\u{a2}",
        "sect" => "\u{a7}",
        "para" => "\u{b6}",
        "laquo" => "\u{ab}",
        "raquo" => "\u{bb}",
        "times" => "\u{d7}",
        "divide" => "\u{f7}",
        "plusmn" => "\u{b1}",
        "shy" => "\u{ad}",
        "zwnj" => "\u{200c}",
        "zwj" => "\u{200d}",
        "lrm" | "rlm" => "",
        "ensp" | "emsp" | "thinsp" => " ",
        "iexcl" => "\u{a1}",
        "iquest" => "\u{bf}",
        "acute" => "\u{b4}",
        "ordm" => "\u{ba}",
        "ordf" => "\u{aa}",
        "Agrave" => "\u{c0}",
        "Aacute" => "\u{c1}",
        "Acirc" => "\u{c2}",
        "Atilde" => "\u{c3}",
        "Auml" => "\u{c4}",
        "Aring" => "\u{c5}",
        "AElig" => "\u{c6}",
        "Ccedil" => "\u{c7}",
        "Egrave" => "\u{c8}",
        "Eacute" => "\u{c9}",
        "Ecirc" => "\u{ca}",
        "Euml" => "\u{cb}",
        "Igrave" => "\u{cc}",
        "Iacute" => "\u{cd}",
        "Icirc" => "\u{ce}",
        "Iuml" => "\u{cf}",
        "Ntilde" => "\u{d1}",
        "Ograve" => "\u{d2}",
        "Oacute" => "\u{d3}",
        "Ocirc" => "\u{d4}",
        "Otilde" => "\u{d5}",
        "Ouml" => "\u{d6}",
        "Oslash" => "\u{d8}",
        "Ugrave" => "\u{d9}",
        "Uacute" => "\u{da}",
        "Ucirc" => "\u{db}",
        "Uuml" => "\u{dc}",
        "Yacute" => "\u{dd}",
        "szlig" => "\u{df}",
        "agrave" => "\u{e0}",
        "aacute" => "\u{e1}",
        "acirc" => "\u{e2}",
        "atilde" => "\u{e3}",
        "auml" => "\u{e4}",
        "aring" => "\u{e5}",
        "aelig" => "\u{e6}",
        "ccedil" => "\u{e7}",
        "egrave" => "\u{e8}",
        "eacute" => "\u{e9}",
        "ecirc" => "\u{ea}",
        "euml" => "\u{eb}",
        "igrave" => "\u{ec}",
        "iacute" => "\u{ed}",
        "icirc" => "\u{ee}",
        "iuml" => "\u{ef}",
        "ntilde" => "\u{f1}",
        "ograve" => "\u{f2}",
        "oacute" => "\u{f3}",
        "ocirc" => "\u{f4}",
        "otilde" => "\u{f5}",
        "ouml" => "\u{f6}",
        "oslash" => "\u{f8}",
        "ugrave" => "\u{f9}",
        "uacute" => "\u{fa}",
        "ucirc" => "\u{fb}",
        "uuml" => "\u{fc}",
        "yacute" => "\u{fd}",
        "yuml" => "\u{ff}",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(page: &Page) -> Vec<Vec<&str>> {
        page.lines
            .iter()
            .map(|l| l.cells.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn paragraphs_and_breaks_become_lines_and_inline_tags_do_not() {
        let page = read_html("<p>Dear <b>Acme</b>,</p><div>Start: 1<br>End:&nbsp;2</div>").unwrap();
        assert_eq!(
            cells(&page),
            vec![vec!["Dear Acme,"], vec!["Start: 1"], vec!["End: 2"]]
        );
    }

    #[test]
    fn table_rows_become_lines_with_one_entry_per_cell() {
        let page = read_html(
            "<table><tr><th>Circuit</th><th>Impact</th></tr><tr><td>A/1</td><td><p>Down</p></td></tr></table>",
        ).unwrap();
        assert_eq!(
            cells(&page),
            vec![vec!["Circuit", "Impact"], vec!["A/1", "Down"]]
        );
        assert_eq!(page.tables.len(), 1);
        assert_eq!(page.cell_text(&page.tables[0].rows[1][1]), "Down");
    }

    #[test]
    fn a_nested_table_reads_after_the_text_that_precedes_it() {
        let page = read_html(
            "<table><tr><td>Circuits</td><td><table><tr><td>C1</td></tr></table></td></tr>\
             <tr><td>Reason</td><td>Fibre</td></tr></table>",
        )
        .unwrap();
        assert_eq!(
            cells(&page),
            vec![vec!["Circuits", ""], vec!["C1"], vec!["Reason", "Fibre"]]
        );
        let outer = page.tables.iter().find(|t| t.rows.len() == 2).unwrap();
        assert_eq!(page.cell_text(&outer.rows[0][1]), "C1");
    }

    #[test]
    fn tables_nested_past_the_limit_and_too_many_tags_are_refused() {
        let deep = "<table><tr><td>".repeat(40);
        let over = read_html(&deep).unwrap_err();
        assert_eq!(over.limit, limits::HTML_TABLE_DEPTH);
        assert_eq!(over.found, 33);
        assert!(read_html(&"<table><tr><td>".repeat(32)).is_ok());
        let over = read_html(&"<td>".repeat(100_001)).unwrap_err();
        assert_eq!(over.limit, limits::HTML_TAGS);
    }

    #[test]
    fn unclosed_cells_rows_and_heads_are_tolerated() {
        let page = read_html(
            "<html><head><title>T 1</title><style>p{x:1}</style><div>Body<table><tr><td>a<td>b<tr><td>c",
        ).unwrap();
        assert_eq!(page.title, "T 1");
        assert_eq!(cells(&page), vec![vec!["Body"], vec!["a", "b"], vec!["c"]]);
    }

    #[test]
    fn entities_and_spacing_inside_a_line_are_kept_as_written() {
        let page =
            read_html("<td>/OGYX/1/&nbsp;&nbsp; /ZYO /</td> &#8211; &amp;x &copy &bogus;").unwrap();
        assert_eq!(page.lines[0].cells[0], "/OGYX/1/   /ZYO /");
        assert_eq!(page.lines[1].cells[0], "\u{2013} &x \u{a9} &bogus;");
    }

    #[test]
    fn comments_scripts_and_stray_angle_brackets_do_not_break_reading() {
        let page = read_html("a <!-- hidden --> b <script>if (a<b) {}</script> c < d <x").unwrap();
        assert_eq!(page.lines[0].cells[0], "a  b  c < d");
    }
}
