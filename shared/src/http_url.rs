//! An absolute http(s) URL, validated where it enters (configuration, a roster) and never printed
//! whole: some URLs (the dead man's switch) carry a secret in their path.

use std::fmt;

/// An absolute http(s) URL, kept as text: Clinic only passes it on to HTTP clients.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(|| {
                format!(
                    "must start with http:// or https:// (got {:?})",
                    redact(trimmed)
                )
            })?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("is not a valid URL (no host, or contains spaces)".to_owned());
        }
        Ok(Self(trimmed.trim_end_matches('/').to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// URLs such as the dead man's switch carry a secret in the path: never print them whole.
impl fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpUrl({})", redact(&self.0))
    }
}

fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{host}/…")
        }
        None => "…".to_owned(),
    }
}
