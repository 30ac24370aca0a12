//! Outgoing e-mail: validated addresses, MIME composition, and the port Clinic sends through.
//!
//! SES v2 is used in raw mode (no templates), so the message is composed here: multipart/alternative
//! with a text and an HTML part, both UTF-8 and quoted-printable.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

const EMAIL_MAX_LEN: usize = 254;

/// An e-mail address, checked only for shape: one `@`, a non-empty local part, a
/// dotted domain, no spaces or control characters, at most 254 characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("e-mail address is empty")]
    Empty,
    #[error("e-mail address {0:?} is longer than {EMAIL_MAX_LEN} characters")]
    TooLong(String),
    #[error("e-mail address {0:?} contains spaces or control characters")]
    Whitespace(String),
    #[error("e-mail address {0:?} contains a character that is not allowed in a plain address")]
    Special(String),
    #[error("e-mail address {0:?} needs exactly one '@'")]
    AtSigns(String),
    #[error("e-mail address {0:?} has nothing before the '@'")]
    EmptyLocalPart(String),
    #[error("e-mail address {0:?} needs a domain with a dot after the '@'")]
    BadDomain(String),
}

impl EmailAddress {
    pub fn parse(text: &str) -> Result<EmailAddress, EmailAddressError> {
        let owned = || text.to_owned();
        if text.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        if text.chars().count() > EMAIL_MAX_LEN {
            return Err(EmailAddressError::TooLong(owned()));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailAddressError::Whitespace(owned()));
        }
        // These would change the meaning of a header the address is written into.
        if text.chars().any(|c| "<>,;\"()[]\\".contains(c)) {
            return Err(EmailAddressError::Special(owned()));
        }
        let mut parts = text.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailAddressError::AtSigns(owned()));
        };
        if local.is_empty() {
            return Err(EmailAddressError::EmptyLocalPart(owned()));
        }
        let dotted = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if !dotted {
            return Err(EmailAddressError::BadDomain(owned()));
        }
        Ok(EmailAddress(owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// The deployment's mail domain (`example.org`): what Clinic's calendar feeds end their event UIDs
/// with, so they are unique to this deployment as RFC 5545 asks. A host name of dotted labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDomain(String);

impl MailDomain {
    /// Where `CLINIC_MAIL_DOMAIN` is not set (a local run): a reserved name that says so.
    pub const UNSET: &'static str = "clinic.invalid";

    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if text.len() <= 253 && text.contains('.') && text.split('.').all(label_ok) {
            Ok(Self(text))
        } else {
            Err("must be a domain name of dotted labels (letters, digits, hyphens), like example.org".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for MailDomain {
    fn default() -> Self {
        Self(Self::UNSET.to_owned())
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailAddressError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&text)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> String {
        value.0
    }
}

impl FromStr for EmailAddress {
    type Err = EmailAddressError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(text)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "EmailAddress({:?})", self.0)
    }
}

/// Text for an HTML part (element content or a quoted attribute value).
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A Message-ID that names what the mail is about (`subject`, hashed) and its attempt, so a mail
/// sent again after a lost answer carries a new id while every copy of one attempt shares one.
pub fn stable_message_id(subject: &str, tag: &str, attempt: u32) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(subject.as_bytes());
    format!(
        "{}.{tag}.{attempt}@clinic.invalid",
        &hex::encode(digest)[..20]
    )
}

/// A name and address, as shown in From/To headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl Mailbox {
    pub fn new(name: impl Into<String>, address: EmailAddress) -> Self {
        Self {
            name: Some(name.into()),
            address,
        }
    }

    pub fn bare(address: EmailAddress) -> Self {
        Self {
            name: None,
            address,
        }
    }

    fn header_value(&self) -> String {
        match &self.name {
            Some(name) => format!("{} <{}>", encode_phrase(name), self.address),
            None => self.address.to_string(),
        }
    }
}

/// A message ready to be composed and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutgoingMail {
    /// Every envelope recipient (To and Cc).
    pub fn recipients(&self) -> impl Iterator<Item = &EmailAddress> {
        self.to.iter().chain(&self.cc).map(|m| &m.address)
    }

    /// Composes the RFC 5322 message. `message_id` must be unique per message; `date` is the Date header.
    pub fn to_mime(&self, message_id: &str, date: jiff::Timestamp) -> Vec<u8> {
        let boundary = format!(
            "clinic-{}",
            &hex::encode(sha2_digest(message_id.as_bytes()))[..24]
        );
        let mut out = String::new();
        let mut header = |name: &str, value: &str| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        };
        header("From", &self.from.header_value());
        if !self.to.is_empty() {
            header("To", &join(&self.to));
        }
        if !self.cc.is_empty() {
            header("Cc", &join(&self.cc));
        }
        header("Subject", &encode_unstructured(&self.subject));
        header(
            "Date",
            &date.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        );
        header("Message-ID", &format!("<{message_id}>"));
        header("MIME-Version", "1.0");
        header("Auto-Submitted", "auto-generated");
        header(
            "Content-Type",
            &format!("multipart/alternative; boundary=\"{boundary}\""),
        );
        out.push_str("\r\n");
        for (kind, body) in [("plain", &self.text), ("html", &self.html)] {
            out.push_str(&format!("--{boundary}\r\n"));
            out.push_str(&format!("Content-Type: text/{kind}; charset=utf-8\r\n"));
            out.push_str("Content-Transfer-Encoding: quoted-printable\r\n\r\n");
            out.push_str(&quoted_printable(body));
            out.push_str("\r\n");
        }
        out.push_str(&format!("--{boundary}--\r\n"));
        out.into_bytes()
    }
}

fn join(boxes: &[Mailbox]) -> String {
    boxes
        .iter()
        .map(Mailbox::header_value)
        .collect::<Vec<_>>()
        .join(", ")
}

fn sha2_digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// Header text: left alone when it is plain ASCII, otherwise an RFC 2047 encoded-word.
fn encode_unstructured(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.is_ascii() {
        clean
    } else {
        format!(
            "=?utf-8?b?{}?=",
            base64::engine::general_purpose::STANDARD.encode(clean.as_bytes())
        )
    }
}

/// A display name: quoted when it holds specials, encoded when it is not ASCII.
fn encode_phrase(name: &str) -> String {
    if !name.is_ascii() || name.chars().any(char::is_control) {
        return encode_unstructured(name);
    }
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c))
    {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Quoted-printable (RFC 2045) with CRLF line breaks and soft breaks under 76 characters.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let normalised = text.replace("\r\n", "\n");
    for (index, line) in normalised.split('\n').enumerate() {
        if index > 0 {
            out.push_str("\r\n");
        }
        let bytes = line.as_bytes();
        let mut width = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal =
                (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece = if literal {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if width + piece.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
    }
    out
}

/// What the provider said about an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub provider_message_id: String,
}

/// Why a message was not sent. `Rejected` will fail again unchanged; `Unavailable` may pass on a retry.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail service rejected the message: {reason}")]
    Rejected {
        reason: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    #[error("the mail service could not be reached or failed: {reason}")]
    Unavailable {
        reason: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// The port Clinic sends mail through.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail, raw: Vec<u8>) -> Result<SentMail, MailError>;
}

/// One mail sent once under a claim (`crate::claim`): the claim's outcome is the Message-ID it
/// went out with. SES keeps nothing Clinic can look up, so a mail whose send may have happened
/// (its answer never came) is sent again by the next holder, as attempt n + 1.
pub struct OnceMail<'a> {
    pub mailer: &'a dyn Mailer,
    pub mail: &'a OutgoingMail,
    /// The Message-ID of attempt n.
    pub message_id: Box<dyn Fn(u32) -> String + Send + Sync + 'a>,
    /// The audit entry recorded with the outcome, given the Message-ID it went out with.
    pub audit: AuditOf<'a>,
}

/// Builds the audit entry of a sent mail from its Message-ID and the time.
pub type AuditOf<'a> =
    Box<dyn Fn(&str, jiff::Timestamp) -> crate::audit::AuditEntry + Send + Sync + 'a>;

#[async_trait]
impl crate::claim::Effect for OnceMail<'_> {
    type Error = MailError;

    async fn look_up(&self) -> Result<crate::claim::Lookup, MailError> {
        Ok(crate::claim::Lookup::Unsupported)
    }

    async fn act(
        &self,
        attempt: u32,
        now: jiff::Timestamp,
    ) -> Result<String, crate::claim::Failure<MailError>> {
        let message_id = (self.message_id)(attempt);
        match self
            .mailer
            .send(self.mail, self.mail.to_mime(&message_id, now))
            .await
        {
            Ok(_) => Ok(message_id),
            Err(e @ MailError::Rejected { .. }) => Err(crate::claim::Failure::Refused(e)),
            // Throttled, failing or unreachable: whether SES took it is not known.
            Err(e @ MailError::Unavailable { .. }) => Err(crate::claim::Failure::Unknown(e)),
        }
    }

    fn audit(&self, outcome: &str, _found: bool, now: jiff::Timestamp) -> crate::audit::AuditEntry {
        (self.audit)(outcome, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    #[test]
    fn addresses_that_would_break_a_header_are_refused() {
        for bad in [
            "",
            "a",
            "a@b",
            "a @b.org",
            "@b.org",
            "a@.org",
            "a@b.org.",
            "x<y>@b.org",
            "a@b@c.org",
            "a,b@c.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn quoted_printable_keeps_lines_short_and_escapes_non_ascii() {
        let long = "é".repeat(60);
        let encoded = quoted_printable(&format!("{long}\nend = fine \n"));
        for line in encoded.split("\r\n") {
            assert!(line.len() <= 76, "{line}");
        }
        assert!(encoded.contains("=C3=A9"));
        assert!(encoded.contains("end =3D fine=20"));
    }

    #[test]
    fn a_composed_message_has_both_parts_and_encoded_headers() {
        let mail = OutgoingMail {
            from: Mailbox::new("Clinic", address("clinic@example.org")),
            to: vec![Mailbox::new("Zoë Ruiz, SRE", address("zoe@example.org"))],
            cc: vec![Mailbox::bare(address("team@example.org"))],
            subject: "Handoff — 2027-W01".into(),
            text: "Hello\nplain".into(),
            html: "<p>Hello</p>".into(),
        };
        let raw =
            String::from_utf8(mail.to_mime("abc@clinic", jiff::Timestamp::UNIX_EPOCH)).unwrap();
        assert!(raw.contains("Subject: =?utf-8?b?"));
        assert!(raw.contains("To: =?utf-8?b?"));
        assert!(raw.contains("Cc: team@example.org"));
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(raw.contains("Content-Type: text/html; charset=utf-8"));
        assert!(raw.contains("Message-ID: <abc@clinic>"));
        assert!(raw.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"));
        assert!(raw.is_ascii());
        assert_eq!(mail.recipients().count(), 2);
    }
}
