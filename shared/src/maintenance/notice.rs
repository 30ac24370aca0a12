//! An e-mail decoded into what the parsers read: subject, date, sender addresses, and every body and
//! attachment already transfer- and charset-decoded (mail-parser does that), with HTML bodies read into
//! [`Page`]s once. A notice forwarded as an attached message/rfc822 is kept as a notice of its own.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{
    Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use super::budget::Budget;
use super::error::NoticeError;
use super::html::read_html;
use super::page::Page;
use super::sheet::{Sheet, read_sheet};

/// How deep attached messages are followed; forwards of forwards beyond this are not notices.
const MAX_ATTACHED_DEPTH: usize = 3;

#[derive(Debug, Default)]
pub(crate) struct Notice {
    pub subject: String,
    /// The Date header, Unix seconds.
    pub sent_at: Option<i64>,
    /// Addresses of From, Reply-To, Sender and Return-Path, in that order, lower case.
    pub senders: Vec<String>,
    /// The From address as written (organizer of last resort).
    pub from: Option<String>,
    pub plain: Vec<String>,
    /// The plain-text bodies read as pages (tab-separated columns become cells).
    pub plain_pages: Vec<Page>,
    pub html: Vec<Page>,
    pub calendars: Vec<String>,
    pub csv: Vec<String>,
    /// The first worksheet of each XLSX attachment.
    pub sheets: Vec<Sheet>,
    /// Messages attached whole (message/rfc822): usually the original notice, forwarded.
    pub attached: Vec<Notice>,
    /// Sender addresses quoted in the body of an inline forward ("From: NOC <noc@provider.example>").
    pub forwarded_senders: Vec<String>,
    /// Titles and text of every body, HTML then plain, for searching phrases; built on first use.
    text: OnceCell<String>,
}

impl Notice {
    pub fn read(raw: &[u8]) -> Result<Notice, NoticeError> {
        // mail-parser is trusted to be total, but a panic deep inside it must not take the caller down.
        let parsed = catch_unwind(AssertUnwindSafe(|| MessageParser::default().parse(raw)))
            .map_err(|_| NoticeError::NotAnEmail {
                reason: "the MIME structure could not be decoded",
            })?;
        let message = parsed.ok_or(NoticeError::NotAnEmail {
            reason: "it is empty or has no header section",
        })?;
        if !has_mail_headers(&message) {
            return Err(NoticeError::NotAnEmail {
                reason: "it has none of the headers an e-mail carries (From, Subject, Date, Content-Type, ...)",
            });
        }
        Notice::from_message(&message, 0, &mut Budget::new())
    }

    fn from_message(
        message: &Message<'_>,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Notice, NoticeError> {
        let mut notice = Notice {
            subject: message.subject().unwrap_or_default().trim().to_string(),
            sent_at: message
                .date()
                .filter(|d| d.is_valid())
                .map(|d| d.to_timestamp()),
            ..Notice::default()
        };
        notice.from = message.from().and_then(first_address);
        let mut senders = Vec::new();
        senders.extend(message.from().and_then(first_address));
        senders.extend(message.reply_to().and_then(first_address));
        senders.extend(message.sender().and_then(first_address));
        for value in message.header_values("Return-Path") {
            senders.extend(text_address(value));
        }
        notice.senders = senders
            .into_iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();

        for part in &message.parts {
            let content_type = part
                .content_type()
                .map(|ct| {
                    let sub = ct.subtype().unwrap_or("");
                    format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase()
                })
                .unwrap_or_default();
            let name = part.attachment_name().unwrap_or("").to_ascii_lowercase();
            match &part.body {
                PartType::Text(text) | PartType::Html(text) => {
                    let text = recovered_text(part, text);
                    if content_type == "text/html" || matches!(part.body, PartType::Html(_)) {
                        budget.html(&text)?;
                        notice.html.push(read_html(&text)?);
                    } else if content_type == "text/calendar" || name.ends_with(".ics") {
                        budget.calendar(&text)?;
                        notice.calendars.push(text.into_owned());
                    } else if content_type == "text/csv" || name.ends_with(".csv") {
                        budget.csv(text.as_bytes())?;
                        notice.csv.push(text.into_owned());
                    } else if content_type.is_empty() || content_type == "text/plain" {
                        budget.plain(&text)?;
                        notice.plain.push(text.into_owned());
                    }
                }
                PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                    if content_type.contains("calendar") || name.ends_with(".ics") {
                        let text = String::from_utf8_lossy(bytes);
                        budget.calendar(&text)?;
                        notice.calendars.push(text.into_owned());
                    } else if content_type.contains("csv") || name.ends_with(".csv") {
                        budget.csv(bytes)?;
                        notice.csv.push(String::from_utf8_lossy(bytes).into_owned());
                    } else if content_type.contains("spreadsheetml") || name.ends_with(".xlsx") {
                        budget.xlsx(bytes)?;
                        notice.sheets.extend(read_sheet(bytes)?);
                    }
                }
                PartType::Message(inner) if depth < MAX_ATTACHED_DEPTH => {
                    let original = Notice::from_message(inner, depth + 1, budget)?;
                    notice.attached.push(original);
                }
                PartType::Message(_) | PartType::Multipart(_) => {}
            }
        }
        notice.plain_pages = notice.plain.iter().map(|t| Page::from_plain(t)).collect();
        notice.forwarded_senders = notice.quoted_senders();
        Ok(notice)
    }

    /// Every body as a page: HTML ones first (richer), then plain text ones.
    pub fn pages(&self) -> impl Iterator<Item = &Page> {
        self.html.iter().chain(self.plain_pages.iter())
    }

    /// All body text, HTML and plain, for searching markers and phrases.
    pub fn body_text(&self) -> &str {
        self.text.get_or_init(|| self.all_text())
    }

    fn all_text(&self) -> String {
        let mut text = String::new();
        for page in &self.html {
            text.push_str(&page.title);
            text.push('\n');
            text.push_str(&page.text());
        }
        for plain in &self.plain {
            text.push_str(plain);
            text.push('\n');
        }
        text
    }

    /// "From:" lines of inline-forwarded messages in the bodies.
    fn quoted_senders(&self) -> Vec<String> {
        let mut found = Vec::new();
        for page in self.pages() {
            for line in &page.lines {
                for cell in &line.cells {
                    for row in cell.lines() {
                        let row = row.trim_start_matches(['>', ' ', '*']);
                        let Some(rest) = row
                            .strip_prefix("From:")
                            .or_else(|| row.strip_prefix("from:"))
                            .or_else(|| row.strip_prefix("De :"))
                            .or_else(|| row.strip_prefix("Von:"))
                        else {
                            continue;
                        };
                        if let Some(address) = address_in(rest) {
                            let address = address.to_ascii_lowercase();
                            if !found.contains(&address) {
                                found.push(address);
                            }
                        }
                    }
                }
            }
        }
        found
    }
}

/// A part whose MIME structure was broken (typically a truncated message missing its closing boundary)
/// comes back from mail-parser still transfer-encoded; decode it here so its text is still read.
fn recovered_text<'a>(part: &MessagePart<'_>, text: &'a str) -> Cow<'a, str> {
    if !part.is_encoding_problem {
        return Cow::Borrowed(text);
    }
    let encoding = part
        .content_transfer_encoding()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => decode_quoted_printable(text.as_bytes()),
        "base64" => {
            let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            match base64_decode(&compact) {
                Some(bytes) => bytes,
                None => return Cow::Borrowed(text),
            }
        }
        _ => return Cow::Borrowed(text),
    };
    let decoded = match part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .and_then(|c| charset_decoder(c.as_bytes()))
    {
        Some(decode) => decode(&bytes),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    Cow::Owned(decoded)
}

/// Quoted-printable decoding that keeps malformed escapes as written instead of giving up.
pub(crate) fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut at = 0;
    while at < input.len() {
        let b = input[at];
        if b != b'=' {
            out.push(b);
            at += 1;
            continue;
        }
        let next = input.get(at + 1).copied();
        let digits = (next.and_then(hex), input.get(at + 2).copied().and_then(hex));
        match (next, digits) {
            (Some(b'\r'), _) if input.get(at + 2) == Some(&b'\n') => at += 3,
            (Some(b'\n'), _) => at += 2,
            (_, (Some(high), Some(low))) => {
                out.push(high * 16 + low);
                at += 3;
            }
            _ => {
                out.push(b);
                at += 1;
            }
        }
    }
    out
}

fn has_mail_headers(message: &Message<'_>) -> bool {
    const MAIL_HEADERS: &[&str] = &[
        "from",
        "to",
        "subject",
        "date",
        "content-type",
        "mime-version",
        "message-id",
        "sender",
        "reply-to",
        "received",
        "return-path",
    ];
    message.headers().iter().any(|h| {
        MAIL_HEADERS
            .iter()
            .any(|m| h.name().eq_ignore_ascii_case(m))
    })
}

fn first_address(address: &Address<'_>) -> Option<String> {
    address
        .iter()
        .find_map(|a| a.address().map(str::to_string))
        .filter(|a| a.contains('@'))
}

fn text_address(value: &HeaderValue<'_>) -> Option<String> {
    match value {
        HeaderValue::Text(text) => address_in(text),
        HeaderValue::Address(address) => first_address(address),
        HeaderValue::TextList(list) => list.iter().find_map(|t| address_in(t)),
        _ => None,
    }
}

/// The first e-mail address in free text: `<a@b>` if bracketed, else the first token with an '@'.
pub(crate) fn address_in(text: &str) -> Option<String> {
    if let Some(open) = text.find('<')
        && let Some(close) = text[open..].find('>')
    {
        let inner = text[open + 1..open + close]
            .trim()
            .trim_start_matches("mailto:");
        if inner.contains('@') {
            return Some(inner.to_string());
        }
    }
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | '"' | ',' | ';')
    })
    .map(|t| {
        t.trim_start_matches("mailto:")
            .trim_matches(['.', ':', '\''])
    })
    .find(|t| {
        t.split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
    })
    .map(str::to_string)
}

/// The domain of an address, lower case.
pub(crate) fn domain_of(address: &str) -> Option<String> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().trim_end_matches('>').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_in_header_and_body_forms() {
        assert_eq!(
            address_in("NOC Seaborn <noc@seabornnetworks.com>").as_deref(),
            Some("noc@seabornnetworks.com")
        );
        assert_eq!(
            address_in(" support@example.net (Support)").as_deref(),
            Some("support@example.net")
        );
        assert_eq!(
            address_in("mailto:noc@example.org.").as_deref(),
            Some("noc@example.org")
        );
        assert_eq!(address_in("no address here"), None);
    }

    #[test]
    fn broken_quoted_printable_is_decoded_leniently() {
        assert_eq!(
            decode_quoted_printable(b"a=3Db=\r\nc =ZZ ="),
            b"a=bc =ZZ =".to_vec()
        );
    }

    #[test]
    fn bytes_without_mail_headers_are_not_a_notice() {
        assert!(matches!(
            Notice::read(b"just some words\nand more"),
            Err(NoticeError::NotAnEmail { .. })
        ));
        assert!(matches!(
            Notice::read(b""),
            Err(NoticeError::NotAnEmail { .. })
        ));
    }
}
