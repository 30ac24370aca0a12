//! Whether a mail announces a maintenance at all, before any window is looked for: it must say so in
//! its subject (or, for a forward or a template without a telling subject, in a labelled heading of the
//! body), and must not be one of the mails that talk about maintenance and dates without announcing one:
//! auto-replies, invoices and contracts, incident and outage reports, newsletters and digests.

use super::super::notice::Notice;

/// Words of a maintenance announcement, in the languages providers write notices in.
const ANNOUNCES: &[&str] = &[
    "maintenance",
    "planned work",
    "planned works",
    "scheduled work",
    "scheduled works",
    "planned outage",
    "planned event",
    "planned activity",
    "planned engineering",
    "engineering works",
    "network work",
    "work notification",
    "change notification",
    "wartung",
    "geplante arbeiten",
    "travaux programm",
    "travaux planifi",
    "mantenimiento",
    "manutenzione",
    "onderhoud",
    "underhåll",
    "vedlikehold",
    "konserwac",
    "bakım",
];

/// Subject words of mails that are never a notice, whatever else they say.
const NEVER: &[&str] = &[
    "out of office",
    "out-of-office",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "abwesenheit",
    "absence",
    "invoice",
    "rechnung",
    "facture",
    "receipt",
    "payment",
    "quote",
    "quotation",
    "contract",
    "renewal",
    "order confirmation",
    "newsletter",
    "digest",
    "webinar",
    "incident",
    "rfo",
    "reason for outage",
    "root cause",
    "post-mortem",
    "postmortem",
    "post mortem",
    "outage report",
    "unplanned",
    "resolved",
    "survey",
    "invit",
    "question",
    "offer",
    "% off",
    "discount",
];

/// Whether `word` starts a word of `haystack` ("maintenance" in "Maintenances", "wartung" in
/// "Wartungsarbeiten"), never inside one ("rfo" is not in "performance").
fn contains_word(haystack: &str, word: &str) -> bool {
    haystack.match_indices(word).any(|(at, _)| {
        !haystack[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
    })
}

/// Whether the mail reads as a maintenance announcement (windows are looked for only then).
pub(crate) fn announces_maintenance(notice: &Notice) -> bool {
    let subject = notice.subject.to_lowercase();
    // A reply is a person talking about a notice, not the notice (forwards are read: they carry it).
    let reply = ["re:", "aw:", "sv:", "antw:", "vs:", "odp:"];
    if reply.iter().any(|r| subject.trim_start().starts_with(r)) {
        return false;
    }
    if NEVER.iter().any(|w| contains_word(&subject, w)) {
        return false;
    }
    let body = notice.body_text().to_lowercase();
    // Auto-replies quote the mail they answer; lists and newsletters carry an unsubscribe footer.
    if body.contains("unsubscribe") && !ANNOUNCES.iter().any(|w| contains_word(&subject, w)) {
        return false;
    }
    if ANNOUNCES.iter().any(|w| contains_word(&subject, w)) {
        return true;
    }
    // No telling subject: a heading or a label of the body must say it ("Maintenance Window: ...",
    // "Planned Work Notification"), not a passing mention in a sentence.
    body.lines().take(80).any(|line| {
        let line = line.trim().trim_start_matches(['|', '#', '*']).trim();
        let heading = match line.split_once(':') {
            Some((label, _)) => label,
            None if line.split_whitespace().count() <= 6 => line,
            None => return false,
        };
        heading.len() <= 60
            && ANNOUNCES.iter().any(|w| contains_word(heading, w))
            && !NEVER.iter().any(|w| contains_word(line, w))
    })
}
