//! Vendor maintenance notifications: an RFC 5322 e-mail in, the maintenances it announces out, in the
//! shape of circuit-maintenance-parser's output. BCOP iCalendar parts are read whoever sent them; other
//! notices are read by the template of the provider that sent them, recognised from the mail itself.
//!
//! Entry points: [`parse_notice`], [`detect_provider`], [`read_notice`], and [`parse_files_cli`] for the
//! `clinic maintenance parse` command.

mod budget;
pub mod calendar_feed;
pub mod chat;
pub mod circuits;
pub mod confirm;
mod datetime;
mod detect;
mod error;
mod generic;
mod html;
mod ical;
pub mod ingest;
pub mod lifecycle;
pub mod limits;
mod model;
mod notice;
pub mod outage_mail;
mod page;
pub mod ports;
mod provider_id;
mod providers;
mod sheet;
mod structure;
mod zones;

#[cfg(test)]
mod tests;

pub use error::{Field, NoticeError};
pub use model::{Circuit, Impact, Maintenance, ReadingKind, Status};
pub use provider_id::ProviderId;

use detect::{by_sender, by_wording};
use model::{Defaults, Draft};
use notice::Notice;

/// Notices larger than this are refused before any parsing: no provider sends one, and it bounds the
/// memory and time a single mail can take.
pub const MAX_NOTICE_BYTES: usize = 10 * 1024 * 1024;

/// The maintenances announced by one e-mail (raw RFC 5322 bytes). An empty list means the mail was
/// recognised but announces nothing to track.
pub fn parse_notice(raw: &[u8]) -> Result<Vec<Maintenance>, NoticeError> {
    read_notice(raw).maintenances
}

/// The provider a notice is read as (for diagnostics): the one whose format produced the maintenances,
/// or, when none could, the most likely sender. `None` when nothing about the mail is recognised.
pub fn detect_provider(raw: &[u8]) -> Option<ProviderId> {
    read_notice(raw).provider
}

/// A notice as read: which provider's format was used, and what it gave.
#[derive(Debug)]
pub struct NoticeReading {
    pub provider: Option<ProviderId>,
    pub maintenances: Result<Vec<Maintenance>, NoticeError>,
}

/// Reads one e-mail; [`parse_notice`] and [`detect_provider`] are views of this.
pub fn read_notice(raw: &[u8]) -> NoticeReading {
    if raw.len() > MAX_NOTICE_BYTES {
        let error = NoticeError::TooLarge {
            size: raw.len(),
            limit: MAX_NOTICE_BYTES,
        };
        return NoticeReading {
            provider: None,
            maintenances: Err(error),
        };
    }
    if let Err(over) = structure::check(raw) {
        return NoticeReading {
            provider: None,
            maintenances: Err(over.into()),
        };
    }
    match Notice::read(raw) {
        Ok(notice) => interpret(&notice),
        Err(error) => NoticeReading {
            provider: None,
            maintenances: Err(error),
        },
    }
}

/// Tries the readings of a notice from the most to the least certain: a BCOP calendar, the template of
/// the provider that sent it, an original attached as a message, and templates recognised by wording.
fn interpret(notice: &Notice) -> NoticeReading {
    let senders = by_sender(notice);
    let mut first_failure: Option<(ProviderId, NoticeError)> = None;

    let notes: Vec<Draft> = notice
        .calendars
        .iter()
        .flat_map(|c| ical::read_calendar(c).maintenance_notes())
        .collect();
    if !notes.is_empty() {
        let provider = senders
            .first()
            .copied()
            .or_else(|| by_wording(notice).first().map(|(p, _)| *p))
            .unwrap_or(ProviderId::Generic);
        // A generic sender's contact is its From address.
        let organizer = match provider {
            ProviderId::Generic => notice
                .from
                .as_deref()
                .unwrap_or(provider.default_organizer()),
            _ => provider.default_organizer(),
        };
        match finish(notes, provider, organizer, notice) {
            Ok(maintenances) => {
                return NoticeReading {
                    provider: Some(provider),
                    maintenances: Ok(maintenances),
                };
            }
            Err(error) => first_failure = Some((provider, error)),
        }
    }

    for &provider in &senders {
        if let Some(reading) = try_template(provider, notice, &mut first_failure) {
            return reading;
        }
    }
    for original in &notice.attached {
        let reading = interpret(original);
        match reading.maintenances {
            Ok(_) => return reading,
            Err(error) => {
                if let (None, Some(provider)) = (&first_failure, reading.provider) {
                    first_failure = Some((provider, error));
                }
            }
        }
    }
    // Only now is the wording searched: most notices are settled by their sender.
    for (provider, _) in by_wording(notice) {
        if senders.contains(&provider) {
            continue;
        }
        if let Some(reading) = try_template(provider, notice, &mut first_failure) {
            return reading;
        }
    }
    // No template reads it (a new vendor, or a known one whose layout drifted): the labelled windows.
    if let Some(reading) = read_generic(notice, &senders) {
        return reading;
    }
    match first_failure {
        Some((provider, error)) => NoticeReading {
            provider: Some(provider),
            maintenances: Err(error),
        },
        None => NoticeReading {
            provider: None,
            maintenances: Err(NoticeError::Unrecognised {
                sender: notice
                    .senders
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no sender address".to_string()),
            }),
        },
    }
}

/// The maintenances of a provider's template, or `None` (remembering the first failure) when the template
/// does not yield them.
fn try_template(
    provider: ProviderId,
    notice: &Notice,
    first_failure: &mut Option<(ProviderId, NoticeError)>,
) -> Option<NoticeReading> {
    let read = providers::reader(provider)?;
    match finish(read(notice), provider, provider.default_organizer(), notice) {
        Ok(maintenances) => Some(NoticeReading {
            provider: Some(provider),
            maintenances: Ok(maintenances),
        }),
        Err(error) => {
            first_failure.get_or_insert((provider, error));
            None
        }
    }
}

/// The template-free reading of a notice, or `None` when it finds no complete maintenance. A known
/// provider's notice keeps its provider's name; any other is named after the sender's organisation.
fn read_generic(notice: &Notice, senders: &[ProviderId]) -> Option<NoticeReading> {
    let mut drafts = generic::read(notice);
    if drafts.is_empty() {
        return None;
    }
    let provider = senders.first().copied().unwrap_or(ProviderId::Generic);
    if provider != ProviderId::Generic {
        for draft in &mut drafts {
            draft.provider = Some(provider.to_string());
        }
    }
    let organizer = notice
        .from
        .as_deref()
        .unwrap_or(provider.default_organizer());
    let mut maintenances = finish(drafts, provider, organizer, notice).ok()?;
    for m in &mut maintenances {
        m.reading = ReadingKind::Generic;
    }
    Some(NoticeReading {
        provider: Some(provider),
        maintenances: Ok(maintenances),
    })
}

/// The generic reading alone, templates bypassed: for measuring what it reads of notices templates
/// cover. `None` when it reads nothing.
pub fn read_generic_only(raw: &[u8]) -> Option<Vec<Maintenance>> {
    if raw.len() > MAX_NOTICE_BYTES || structure::check(raw).is_err() {
        return None;
    }
    let notice = Notice::read(raw).ok()?;
    let senders = by_sender(&notice);
    read_generic(&notice, &senders)?.maintenances.ok()
}

fn finish(
    drafts: Vec<Draft>,
    provider: ProviderId,
    organizer: &str,
    notice: &Notice,
) -> Result<Vec<Maintenance>, NoticeError> {
    let defaults = Defaults {
        provider,
        organizer,
        sent_at: notice.sent_at,
        subject: Some(notice.subject.as_str()),
        body_status: notice
            .pages()
            .find_map(|page| model::status_asserted(&page.text())),
    };
    drafts.into_iter().map(|d| d.finish(&defaults)).collect()
}
