//! The words of the swap mails: the offer (with the link to accept), the reminders 7 days and 1 day
//! before the week, the approval request, "taken", "declined" and "expired". Each is sent once under
//! its own claim (`SWAP#<id>` / `CLAIM#<what>`), so a retried run never mails twice.

use super::model::{SwapKind, SwapRequest, SwapState};
use crate::mail::{Mailbox, OutgoingMail, escape_html};
use crate::rotation::roster::{IanaTimeZone, readable};

/// What each mail is, as its claim names it (`<what>#<address>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapMail {
    Offer,
    Reminder7d,
    Reminder1d,
    Approval,
    Taken,
    Declined,
    Expired,
}

impl SwapMail {
    /// The mail a request in `state` owes its people, which the sweep sends if a failure left it
    /// unsent (its claim makes a sent one a no-op): none while open, accepted or withdrawn.
    pub fn owed_in(state: SwapState) -> Option<Self> {
        match state {
            SwapState::AwaitingApproval => Some(Self::Approval),
            SwapState::Applied => Some(Self::Taken),
            SwapState::Declined => Some(Self::Declined),
            SwapState::Expired => Some(Self::Expired),
            SwapState::Open | SwapState::Accepted | SwapState::Approved | SwapState::Withdrawn => {
                None
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Reminder7d => "reminder-7d",
            Self::Reminder1d => "reminder-1d",
            Self::Approval => "approval",
            Self::Taken => "taken",
            Self::Declined => "declined",
            Self::Expired => "expired",
        }
    }
}

/// Who a mail names, by their roster names.
pub struct Names<'a> {
    pub requester: &'a str,
    pub acceptor: Option<&'a str>,
}

fn what_is_asked(request: &SwapRequest, names: &Names<'_>) -> String {
    match request.kind {
        SwapKind::Cover { week } => format!(
            "{} asks for someone to cover their {} duty in week {week}",
            names.requester, request.rotation
        ),
        SwapKind::Swap { week, with_week } => format!(
            "{} asks to swap their {} duty in week {week} for week {with_week}",
            names.requester, request.rotation
        ),
    }
}

/// The times in the reader's zone: a person's roster timezone, UTC (and said so) for an address
/// the roster does not know, such as a notify list.
fn when(request: &SwapRequest, zone: Option<&IanaTimeZone>) -> String {
    format!(
        "The week starts {}; the request closes {}.",
        readable(request.week_starts, zone),
        readable(request.closes_at, zone)
    )
}

/// One mail, text and HTML saying the same; `link` is the request's page, `zone` its reader's.
pub fn compose(
    kind: SwapMail,
    request: &SwapRequest,
    names: &Names<'_>,
    (from, to): (Mailbox, Mailbox),
    zone: Option<&IanaTimeZone>,
    link: &str,
) -> OutgoingMail {
    let reader = to.name.clone().unwrap_or_else(|| "team".to_owned());
    let asked = what_is_asked(request, names);
    let note = if request.note.trim().is_empty() {
        String::new()
    } else {
        format!("\n\nTheir note: {}", request.note.trim())
    };
    let acceptor = names.acceptor.unwrap_or("someone");
    let (subject, body) = match kind {
        SwapMail::Offer => (
            format!("[Clinic] Can you take {}?", request.kind.describe()),
            format!(
                "{asked}.{note}\n\nYou may take it: the rotation's rules allow you that week. The first to accept \
                 wins.\n\n{}\n\nOpen the request to accept: {link}",
                when(request, zone)
            ),
        ),
        SwapMail::Reminder7d | SwapMail::Reminder1d => (
            format!(
                "[Clinic] Still open, {} before the week: {}",
                if kind == SwapMail::Reminder7d {
                    "7 days"
                } else {
                    "1 day"
                },
                request.kind.describe()
            ),
            format!(
                "Nobody has taken this yet. {asked}.{note}\n\n{}\n\nThe request: {link}",
                when(request, zone)
            ),
        ),
        SwapMail::Approval if request.approver_is_party() => (
            format!(
                "[Clinic] Needs another approver: {}",
                request.kind.describe()
            ),
            format!(
                "{asked}, and {acceptor} accepted.{note}\n\nYou are the rotation's approver and one of \
                 the two people of this swap, and nobody approves a change to their own duty: Clinic \
                 will not apply it on your approval. Decline it if it should not happen; otherwise an \
                 operator applies it (clinic rotation swap or override), or it expires. {}\n\n\
                 The request: {link}",
                when(request, zone)
            ),
        ),
        SwapMail::Approval => (
            format!("[Clinic] Approve {}?", request.kind.describe()),
            format!(
                "{asked}, and {acceptor} accepted.{note}\n\nIt is applied once you approve it. {}\n\n\
                 Approve or decline: {link}",
                when(request, zone)
            ),
        ),
        SwapMail::Taken => (
            format!("[Clinic] Taken: {}", request.kind.describe()),
            format!(
                "{asked}, and {acceptor} took it. It is applied: the overrides are recorded{}.\n\nThe request: {link}",
                match request.kind {
                    SwapKind::Cover { week } => format!(" ({acceptor} serves {week})"),
                    SwapKind::Swap { week, with_week } => format!(
                        " ({acceptor} serves {week}, {} serves {with_week})",
                        names.requester
                    ),
                }
            ),
        ),
        SwapMail::Declined => (
            format!("[Clinic] Declined: {}", request.kind.describe()),
            format!(
                "{asked}, and {acceptor} accepted, but the approver declined it. Nothing changes.\n\nThe request: {link}"
            ),
        ),
        SwapMail::Expired => (
            format!("[Clinic] Expired: {}", request.kind.describe()),
            format!(
                "Nobody took your request in time: {}. Nothing changes; you are still on duty that week.\n\n\
                 The request: {link}",
                request.kind.describe()
            ),
        ),
    };
    let text = format!("Hello {reader},\n\n{body}\n\n-- Clinic\n");
    let html = format!(
        "<!DOCTYPE html><html><body>{}</body></html>",
        text.split("\n\n")
            .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
            .collect::<String>()
    );
    OutgoingMail {
        from,
        to: vec![to],
        cc: Vec::new(),
        subject,
        text,
        html,
    }
}
