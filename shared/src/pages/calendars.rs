//! *Calendars*: the reader's feed tokens (what each opens, when issued, its alarm) with a revoke
//! button each, and the form that issues a new one. A feed's address is shown once, right after it
//! is issued: the table keeps only the token's hash, so no page can show it again.

use std::fmt::Write as _;

use crate::calendars::{FeedKind, FeedRecord};
use crate::mail::escape_html;

pub const PATH: &str = "/calendars";
pub const ISSUE_PATH: &str = "/calendars/issue";
pub const REVOKE_PATH: &str = "/calendars/revoke";

/// What the page lists and offers.
pub struct CalendarList<'a> {
    pub feeds: &'a [FeedRecord],
    pub rotations: &'a [String],
    pub maintenance: bool,
    pub csrf: &'a str,
    /// Shown once above the list: the feed just revoked.
    pub revoked: bool,
}

fn alarm_text(minutes: Option<u16>) -> String {
    match minutes {
        None => "no alarm".to_owned(),
        Some(0) => "alarm at the start".to_owned(),
        Some(m) => format!("alarm {m} minutes before"),
    }
}

pub fn main(list: &CalendarList<'_>) -> String {
    let csrf = escape_html(list.csrf);
    let mut out = String::new();
    if list.revoked {
        out.push_str("<p class=\"note\" role=\"status\">The feed was revoked: its address now answers 404.</p>\n");
    }
    out.push_str("<section aria-labelledby=\"feeds\"><h2 id=\"feeds\">Your feeds</h2>\n");
    if list.feeds.is_empty() {
        out.push_str("<p>You have no calendar feeds yet.</p>\n");
    } else {
        out.push_str("<ul class=\"feeds\">\n");
        for feed in list.feeds {
            let _ = writeln!(
                out,
                "<li><span>{} · issued {} · {}</span> \
                 <form method=\"post\" action=\"{REVOKE_PATH}\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <input type=\"hidden\" name=\"feed\" value=\"{}\">\
                 <button type=\"submit\" aria-label=\"Revoke the feed {} issued {}\">Revoke</button></form></li>",
                escape_html(&feed.kind.describe()),
                feed.issued_at.strftime("%Y-%m-%d %H:%M UTC"),
                alarm_text(feed.alarm_minutes),
                escape_html(&feed.hash),
                escape_html(&feed.kind.describe()),
                feed.issued_at.strftime("%Y-%m-%d %H:%M UTC"),
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    let _ = write!(
        out,
        "<section aria-labelledby=\"new\"><h2 id=\"new\">A new feed</h2>\n\
         <form method=\"post\" action=\"{ISSUE_PATH}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p><label for=\"kind\">Calendar</label> <select id=\"kind\" name=\"kind\">\
         <option value=\"personal\">My shifts</option>"
    );
    for rotation in list.rotations {
        let name = escape_html(rotation);
        let _ = write!(
            out,
            "<option value=\"team:{name}\">Rotation {name}</option>"
        );
    }
    if list.maintenance {
        out.push_str("<option value=\"maintenance\">Vendor maintenance</option>");
    }
    out.push_str(
        "</select></p>\
         <p><label for=\"alarm\">Alarm, minutes before each shift (empty for none)</label> \
         <input id=\"alarm\" name=\"alarm\" inputmode=\"numeric\" pattern=\"[0-9]*\" size=\"5\"></p>\
         <p><button type=\"submit\">Issue a feed</button></p></form></section>\n",
    );
    out
}

/// The kind named by the form's `kind` field.
pub fn parse_kind(value: &str) -> Option<FeedKind> {
    match value {
        "personal" => Some(FeedKind::Personal),
        "maintenance" => Some(FeedKind::Maintenance),
        other => other
            .strip_prefix("team:")
            .filter(|r| !r.is_empty())
            .map(|rotation| FeedKind::Team {
                rotation: rotation.to_owned(),
            }),
    }
}

/// The page right after issuing: the address, once.
pub fn issued(url: &str, kind: &FeedKind) -> String {
    let url = escape_html(url);
    format!(
        "<p role=\"status\">Your feed of <strong>{}</strong> is ready. Subscribe to this address in your \
         calendar app. It is shown only this once: keep it private, anyone who has it can read the feed.</p>\n\
         <p><label for=\"url\">Feed address</label><br><input id=\"url\" readonly size=\"60\" value=\"{url}\"></p>\n\
         <p><a href=\"{url}\">Open the feed</a> · <a href=\"{PATH}\">Back to your calendars</a></p>\n",
        escape_html(&kind.describe())
    )
}
