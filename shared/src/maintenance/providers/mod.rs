//! One reader per provider template. Each turns a [`Notice`] into drafts of the maintenances it announces;
//! required fields a template did not yield are reported by `Draft::finish`, so a reader fills in what
//! it finds and never fails by itself. An empty list means "recognised, but announces no maintenance".

use super::model::{Draft, Status};
use super::notice::Notice;
use super::page::Page;
use super::provider_id::ProviderId;

mod apple;
mod aquacomms;
mod att;
mod aws;
mod bso;
mod cirion;
mod cogent;
mod colt;
mod crowncastle;
mod equinix;
mod flag;
mod gcx;
mod google;
mod gtt;
mod hgc;
mod lumen;
mod megaport;
mod momentum;
mod netflix;
mod pccw;
mod retn;
mod seaborn;
mod sparkle;
mod summitig;
mod tata;
mod telstra;
mod telxius;
mod turkcell;
mod verizon;
mod vodafone;
mod windstream;
mod zayo;

/// The template reader of a provider; `None` for providers that only send BCOP iCalendar notices.
pub(crate) fn reader(provider: ProviderId) -> Option<fn(&Notice) -> Vec<Draft>> {
    Some(match provider {
        ProviderId::Apple => apple::read,
        ProviderId::AquaComms => aquacomms::read,
        ProviderId::Att => att::read,
        ProviderId::Aws => aws::read,
        ProviderId::Bso => bso::read,
        ProviderId::Cogent => cogent::read,
        ProviderId::Colt => colt::read,
        ProviderId::CrownCastle => crowncastle::read,
        ProviderId::Equinix => equinix::read,
        ProviderId::GlobalCloudXchange => gcx::read,
        ProviderId::Google => google::read,
        ProviderId::Gtt => gtt::read,
        ProviderId::Hgc => hgc::read,
        ProviderId::Lumen => lumen::read,
        ProviderId::Megaport => megaport::read,
        ProviderId::Momentum => momentum::read,
        ProviderId::Netflix => netflix::read,
        ProviderId::Pccw => pccw::read,
        ProviderId::Seaborn => seaborn::read,
        ProviderId::Sparkle => sparkle::read,
        ProviderId::Tata => tata::read,
        ProviderId::Telstra => telstra::read,
        ProviderId::Turkcell => turkcell::read,
        ProviderId::Verizon => verizon::read,
        ProviderId::Windstream => windstream::read,
        ProviderId::Zayo => zayo::read,
        ProviderId::SummitIg => summitig::read,
        ProviderId::Retn => retn::read,
        ProviderId::Telxius => telxius::read,
        ProviderId::Vodafone => vodafone::read,
        ProviderId::Cirion => cirion::read,
        ProviderId::Flag => flag::read,
        ProviderId::Arelion
        | ProviderId::EuNetworks
        | ProviderId::Ntt
        | ProviderId::PacketFabric
        | ProviderId::Generic => {
            return None;
        }
    })
}

/// The first value of a labelled field in any body of the notice (HTML bodies first).
fn field(notice: &Notice, labels: &[&str]) -> Option<String> {
    notice.pages().find_map(|page| page.field(labels))
}

/// The addressee of a "Dear Acme Corp," salutation.
fn salutation(notice: &Notice) -> Option<String> {
    notice.pages().find_map(salutation_in)
}

fn salutation_in(page: &Page) -> Option<String> {
    page.lines
        .iter()
        .flat_map(|l| l.cells.iter())
        .flat_map(|c| c.lines())
        .find_map(|line| {
            let rest = line.trim().strip_prefix("Dear ")?;
            let (name, _) = rest.split_once(',')?;
            let name = name.trim();
            (!name.is_empty()).then(|| name.to_string())
        })
}

/// The status a subject or headline announces, by the words providers use for it; `None` when it says
/// nothing about status.
fn status_in_words(text: &str) -> Option<Status> {
    let text = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["cancel", "withdrawn"]) {
        Some(Status::Cancelled)
    } else if has(&[
        "completed",
        "completion",
        "has ended",
        "closed",
        "successful",
    ]) {
        Some(Status::Completed)
    } else if has(&[
        "reschedul",
        "re-schedul",
        "postpone",
        "amend",
        "revised",
        "correction",
        "extension",
        "update",
    ]) {
        Some(Status::ReScheduled)
    } else if has(&[
        "in progress",
        "in-process",
        "has begun",
        "has started",
        "about to start",
        "commencing",
    ]) {
        Some(Status::InProcess)
    } else if has(&["tentative", "proposed"]) {
        Some(Status::Tentative)
    } else if has(&[
        "scheduled",
        "reminder",
        "planned",
        "emergency",
        "notification",
        "notice",
        "new",
    ]) {
        Some(Status::Confirmed)
    } else {
        None
    }
}

/// Splits a list of circuit ids written "A, B" or "A / B" or one per line.
fn split_ids(text: &str) -> Vec<String> {
    text.split([',', '\n', ';'])
        .map(|s| s.trim().trim_end_matches('/').trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_cover_the_usual_subject_vocabulary() {
        assert_eq!(
            status_in_words("CANCELLED - Fibre work"),
            Some(Status::Cancelled)
        );
        assert_eq!(
            status_in_words("Reminder: planned work"),
            Some(Status::Confirmed)
        );
        assert_eq!(
            status_in_words("Maintenance completed"),
            Some(Status::Completed)
        );
        assert_eq!(
            status_in_words("Rescheduled maintenance"),
            Some(Status::ReScheduled)
        );
        assert_eq!(status_in_words("Hello"), None);
    }
}
