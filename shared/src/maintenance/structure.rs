//! The MIME skeleton of a raw mail, walked before mail-parser builds anything: how deep its parts
//! nest, how many there are, how large their headers and decoded bodies would be. It follows
//! mail-parser's own reading (a boundary is found wherever `--boundary` occurs, parts of a
//! multipart/digest default to messages, base64 or quoted-printable messages are decoded and read
//! again up to three levels), so what it counts bounds what mail-parser will allocate.

use memchr::memmem;

use super::limits::{self, Counter, OverLimit};

/// How many levels of encoded message/rfc822 parts mail-parser decodes and parses again.
const ENCODED_LEVELS: u32 = 3;

/// `Err` when the mail's structure is over one of the MIME limits.
pub(crate) fn check(raw: &[u8]) -> Result<(), OverLimit> {
    let mut budget = Budget {
        parts: Counter::new(limits::MIME_PARTS),
        header_bytes: Counter::new(limits::HEADER_BYTES),
        decoded_bytes: Counter::new(limits::DECODED_BYTES),
    };
    scan(raw, 1, ENCODED_LEVELS, &mut budget)
}

/// The size of the mail's top header section, to be measured before mail-parser reads it.
pub(crate) fn header_section_len(raw: &[u8]) -> usize {
    read_head(raw, 0).end
}

struct Budget {
    parts: Counter,
    header_bytes: Counter,
    decoded_bytes: Counter,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Plain,
    Base64,
    QuotedPrintable,
}

/// What a part's header section says about it.
struct Head<'a> {
    /// Where the body starts.
    end: usize,
    media: Option<(String, String)>,
    boundary: Option<&'a [u8]>,
    encoding: Encoding,
}

/// A level of nesting: a multipart with its boundary, or a message (which ends with its parent's part).
struct Frame<'a> {
    boundary: Option<&'a [u8]>,
    digest: bool,
}

fn scan(raw: &[u8], base_depth: u64, encoded_levels: u32, b: &mut Budget) -> Result<(), OverLimit> {
    let depth =
        |stack: &[Frame<'_>]| limits::check(limits::MIME_DEPTH, base_depth + stack.len() as u64);
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut pos = 0;
    loop {
        let head = read_head(raw, pos);
        b.header_bytes.add((head.end - pos) as u64)?;
        b.parts.add(1)?;
        pos = head.end;
        let in_digest = stack.last().is_some_and(|f| f.digest);
        let media = head.media.as_ref().map(|(t, s)| (t.as_str(), s.as_str()));
        let is_message = match media {
            Some(("message", "rfc822" | "global")) => true,
            None => in_digest,
            _ => false,
        };
        if let (Some(("multipart", subtype)), Some(boundary)) = (media, head.boundary)
            && let Some(first) = find_delimiter(raw, pos, boundary)
        {
            stack.push(Frame {
                boundary: Some(boundary),
                digest: subtype == "digest",
            });
            depth(&stack)?;
            pos = skip_line_end(raw, first);
            continue;
        }
        if is_message && head.encoding == Encoding::Plain {
            stack.push(Frame {
                boundary: None,
                digest: false,
            });
            depth(&stack)?;
            continue;
        }
        // A leaf: its body runs to the innermost boundary.
        let boundary = stack.iter().rev().find_map(|f| f.boundary);
        let delimiter =
            boundary.and_then(|bd| find_delimiter(raw, pos, bd).map(|after| (bd, after)));
        let body_end = delimiter.map_or(raw.len(), |(bd, after)| after - bd.len() - 2);
        let body = &raw[pos..body_end.max(pos)];
        let decoded = match head.encoding {
            Encoding::Base64 => body.len() / 4 * 3 + 3,
            _ => body.len(),
        };
        b.decoded_bytes.add(decoded as u64)?;
        if is_message && encoded_levels > 0 {
            let inner = match head.encoding {
                Encoding::Base64 => {
                    let compact: Vec<u8> = body
                        .iter()
                        .copied()
                        .filter(|c| !c.is_ascii_whitespace())
                        .collect();
                    mail_parser::decoders::base64::base64_decode(&compact)
                }
                _ => Some(super::notice::decode_quoted_printable(body)),
            };
            if let Some(inner) = inner {
                scan(
                    &inner,
                    base_depth + stack.len() as u64 + 1,
                    encoded_levels - 1,
                    b,
                )?;
            }
        }
        let Some((_, mut after)) = delimiter else {
            return Ok(());
        };
        // After a delimiter: the next part, or (`--boundary--`) the end of this multipart and on to the
        // parent's next delimiter.
        loop {
            while stack.last().is_some_and(|f| f.boundary.is_none()) {
                stack.pop();
            }
            if !raw[after..].starts_with(b"--") {
                pos = skip_line_end(raw, after);
                break;
            }
            stack.pop();
            while stack.last().is_some_and(|f| f.boundary.is_none()) {
                stack.pop();
            }
            let Some(parent) = stack.last().and_then(|f| f.boundary) else {
                return Ok(());
            };
            match find_delimiter(raw, after + 2, parent) {
                Some(next) => after = next,
                None => return Ok(()),
            }
        }
    }
}

/// The position just after the next `--boundary` at or after `from`, wherever it occurs.
fn find_delimiter(raw: &[u8], from: usize, boundary: &[u8]) -> Option<usize> {
    if boundary.is_empty() {
        return None;
    }
    let mut at = from;
    while let Some(found) = memmem::find(raw.get(at..)?, boundary) {
        let start = at + found;
        if start >= from + 2 && raw[start - 2..start] == *b"--" {
            return Some(start + boundary.len());
        }
        at = start + 1;
    }
    None
}

/// Past spaces, tabs and carriage returns and one line feed, as mail-parser skips them.
fn skip_line_end(raw: &[u8], mut at: usize) -> usize {
    while let Some(&c) = raw.get(at) {
        match c {
            b'\r' | b' ' | b'\t' => at += 1,
            b'\n' => return at + 1,
            _ => break,
        }
    }
    at
}

/// Reads a header section from `start`: it ends at an empty line, or at a line that is neither a field
/// nor the continuation of one (a part without headers).
fn read_head<'a>(raw: &'a [u8], start: usize) -> Head<'a> {
    let mut head = Head {
        end: raw.len(),
        media: None,
        boundary: None,
        encoding: Encoding::Plain,
    };
    let mut at = start;
    // The field being read, when it is one of the two that matter: (is Content-Type, value start).
    let mut field: Option<(bool, usize)> = None;
    let finish = |field: Option<(bool, usize)>, end: usize, head: &mut Head<'a>| {
        if let Some((is_type, value)) = field {
            let value = &raw[value..end];
            if is_type {
                read_content_type(value, head);
            } else {
                head.encoding = read_encoding(value);
            }
        }
    };
    while at < raw.len() {
        let line_end = memchr::memchr(b'\n', &raw[at..]).map_or(raw.len(), |p| at + p + 1);
        let line = &raw[at..line_end];
        let text = trim_line_end(line);
        if text.is_empty() {
            finish(field, at, &mut head);
            head.end = line_end;
            return head;
        }
        if matches!(text[0], b' ' | b'\t') {
            at = line_end;
            continue;
        }
        let Some(colon) = field_name_end(text) else {
            finish(field, at, &mut head);
            head.end = at;
            return head;
        };
        finish(field, at, &mut head);
        let name = &text[..colon];
        field = if name.trim_ascii().eq_ignore_ascii_case(b"content-type") {
            Some((true, at + colon + 1))
        } else if name
            .trim_ascii()
            .eq_ignore_ascii_case(b"content-transfer-encoding")
        {
            Some((false, at + colon + 1))
        } else {
            None
        };
        at = line_end;
    }
    finish(field, raw.len(), &mut head);
    head
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// Where a field's name ends (its colon), if the line is a field.
fn field_name_end(line: &[u8]) -> Option<usize> {
    let colon = memchr::memchr(b':', line)?;
    let name = line[..colon].trim_ascii_end();
    (!name.is_empty() && name.iter().all(|c| c.is_ascii_graphic())).then_some(colon)
}

fn read_encoding(value: &[u8]) -> Encoding {
    let value = value.trim_ascii();
    if value.eq_ignore_ascii_case(b"base64") {
        Encoding::Base64
    } else if value.eq_ignore_ascii_case(b"quoted-printable") {
        Encoding::QuotedPrintable
    } else {
        Encoding::Plain
    }
}

fn read_content_type<'a>(value: &'a [u8], head: &mut Head<'a>) {
    let media_end = memchr::memchr(b';', value).unwrap_or(value.len());
    let media = String::from_utf8_lossy(value[..media_end].trim_ascii()).to_ascii_lowercase();
    let (ctype, subtype) = media.split_once('/').unwrap_or((media.as_str(), ""));
    head.media = Some((ctype.trim().to_owned(), subtype.trim().to_owned()));
    head.boundary = parameter(&value[media_end..], b"boundary");
}

/// A parameter's value (`name=value` or `name="value"`), the name in any case.
fn parameter<'a>(params: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut at = 0;
    while at + name.len() < params.len() {
        let rest = &params[at..];
        let starts = at == 0 || matches!(params[at - 1], b';' | b' ' | b'\t' | b'\r' | b'\n');
        if starts && rest[..name.len()].eq_ignore_ascii_case(name) {
            let after = rest[name.len()..].trim_ascii_start();
            if let Some(value) = after.strip_prefix(b"=") {
                let value = value.trim_ascii_start();
                return Some(match value.strip_prefix(b"\"") {
                    Some(quoted) => &quoted[..memchr::memchr(b'"', quoted).unwrap_or(quoted.len())],
                    None => {
                        let end = value
                            .iter()
                            .position(|c| matches!(c, b';' | b' ' | b'\t' | b'\r' | b'\n'))
                            .unwrap_or(value.len());
                        &value[..end]
                    }
                });
            }
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> Vec<u8> {
        let mut mail = b"From: a@b.example\r\nSubject: deep\r\n".to_vec();
        for level in 0..levels {
            mail.extend(
                format!(
                    "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
                )
                .as_bytes(),
            );
        }
        mail.extend(b"Content-Type: text/plain\r\n\r\nhello\r\n");
        mail
    }

    #[test]
    fn an_ordinary_multipart_mail_passes() {
        let mail = b"From: a@b.example\r\nContent-Type: multipart/mixed;\r\n boundary=\"xx\"\r\n\r\npreamble\r\n--xx\r\n\
Content-Type: text/plain\r\n\r\nhi\r\n--xx\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.example\r\n\r\ninner\r\n--xx--\r\n";
        assert_eq!(check(mail), Ok(()));
        assert_eq!(check(&nested(15)), Ok(()));
    }

    #[test]
    fn nesting_past_the_limit_is_refused_with_the_depth_found() {
        let over = check(&nested(40)).unwrap_err();
        assert_eq!(over.limit, limits::MIME_DEPTH);
        assert_eq!(over.found, 17);
    }

    #[test]
    fn messages_nested_without_boundaries_count_as_levels() {
        let mail = "Content-Type: message/rfc822\r\n\r\n".repeat(30);
        let over = check(format!("From: a@b.example\r\n{mail}").as_bytes()).unwrap_err();
        assert_eq!(over.limit, limits::MIME_DEPTH);
    }

    #[test]
    fn many_small_parts_are_counted_before_they_are_built() {
        let mut mail =
            b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        mail.extend("--b\r\n\r\nx\r\n".repeat(600).as_bytes());
        let over = check(&mail).unwrap_err();
        assert_eq!(over.limit, limits::MIME_PARTS);
    }

    #[test]
    fn encoded_messages_are_read_inside_too() {
        use base64::Engine as _;
        let inner = nested(15);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&inner);
        let mail = format!(
            "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n\
             Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--o--\r\n"
        );
        let over = check(mail.as_bytes()).unwrap_err();
        assert_eq!(over.limit, limits::MIME_DEPTH);
    }
}
