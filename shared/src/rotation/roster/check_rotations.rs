//! Checks each `[rotations.NAME]` table: its style, handoff, limits, notify list and
//! VictorOps link, and, once every person has been read, its `order`.

use std::collections::{BTreeMap, BTreeSet};

use super::EmailAddress;
use super::chat::{ChatLink, check_chat};
use super::ids::{IanaTimeZone, PersonId, RotationName};
use super::model::{
    DEFAULT_BACKUP_MAX_OFFSET_HOURS, Handoff, MAX_OFFSET_DIFFERENCE_HOURS, TakePolicy,
    VictorOpsLink,
};
use super::parse::{RawHandoff, RawRotation, RawVictorOps, parse_hour_minute, parse_weekday};
use super::problems::{Problems, RosterIssue};

/// A rotation's checked fields, with `order` still as written: its entries can only be
/// judged once every person has been read.
pub(super) struct RotationDraft {
    pub(super) name: Option<RotationName>,
    pub(super) style: Option<StyleDraft>,
    pub(super) min_working_days: Option<u8>,
    pub(super) avoid_same_person: bool,
    pub(super) avoid_same_team: bool,
    pub(super) first_duty_backup: bool,
    pub(super) backup_max_offset_hours: Option<u8>,
    pub(super) notify: Vec<EmailAddress>,
    pub(super) victorops: Option<VictorOpsLink>,
    pub(super) chat: Option<ChatLink>,
    /// As written: checked against the people once they are all read.
    pub(super) swap_approver: Option<String>,
}

pub(super) enum StyleDraft {
    Fair,
    Sequential {
        handoff: Option<Handoff>,
        order: Vec<String>,
    },
}

pub(super) fn draft_rotation(
    problems: &mut Problems,
    key: &str,
    raw: RawRotation,
) -> RotationDraft {
    let at = format!("rotations.{key}");
    let name = problems.check(&at, RotationName::parse(key), RosterIssue::BadRotationName);
    let style = match problems.require(&at, "style", raw.style.as_deref()) {
        Some("fair") => {
            if raw.handoff.is_some() {
                problems.add(&at, RosterIssue::NotForFairRotations("handoff"));
            }
            if raw.order.is_some() {
                problems.add(&at, RosterIssue::NotForFairRotations("order"));
            }
            Some(StyleDraft::Fair)
        }
        Some("sequential") => {
            let handoff = problems
                .require(&at, "handoff", raw.handoff)
                .and_then(|handoff| check_handoff(problems, &format!("{at}.handoff"), handoff));
            let order = problems
                .require(&at, "order", raw.order)
                .unwrap_or_default();
            Some(StyleDraft::Sequential { handoff, order })
        }
        Some(other) => {
            problems.add(&at, RosterIssue::UnknownStyle(other.to_owned()));
            None
        }
        None => None,
    };
    let min_working_days = problems
        .require(&at, "min_working_days", raw.min_working_days)
        .and_then(|days| {
            let in_range = u8::try_from(days).ok().filter(|days| *days <= 5);
            if in_range.is_none() {
                problems.add(&at, RosterIssue::MinWorkingDaysOutOfRange(days));
            }
            in_range
        });
    let backup_max_offset_hours = match raw.backup_max_offset_hours {
        Some(hours) if (0..=MAX_OFFSET_DIFFERENCE_HOURS).contains(&hours) => {
            u8::try_from(hours).ok()
        }
        Some(hours) => {
            problems.add(&at, RosterIssue::BackupOffsetOutOfRange(hours));
            None
        }
        None if raw.first_duty_backup => Some(DEFAULT_BACKUP_MAX_OFFSET_HOURS),
        None => Some(0),
    };
    let notify = raw
        .notify
        .iter()
        .filter_map(|address| {
            problems.check(
                &at,
                EmailAddress::parse(address),
                RosterIssue::BadNotifyAddress,
            )
        })
        .collect();
    let victorops = raw
        .victorops
        .and_then(|link| check_victorops(problems, &at, link));
    let chat = raw.chat.and_then(|chat| check_chat(problems, &at, chat));
    RotationDraft {
        name,
        style,
        min_working_days,
        avoid_same_person: raw.avoid_same_person,
        avoid_same_team: raw.avoid_same_team,
        first_duty_backup: raw.first_duty_backup,
        backup_max_offset_hours,
        notify,
        victorops,
        chat,
        swap_approver: raw.swap_approver,
    }
}

fn check_victorops(problems: &mut Problems, at: &str, raw: RawVictorOps) -> Option<VictorOpsLink> {
    let team = problems
        .require(at, "victorops.team", raw.team)
        .filter(|team| {
            let valid = is_victorops_slug(team);
            if !valid {
                problems.add(
                    at,
                    RosterIssue::BadVictorOpsSlug {
                        field: "team",
                        text: team.clone(),
                    },
                );
            }
            valid
        });
    let written = problems.require(at, "victorops.policies", raw.policies)?;
    if written.is_empty() {
        problems.add(at, RosterIssue::NoVictorOpsPolicies);
    }
    let mut policies: Vec<String> = Vec::new();
    for policy in written {
        if !is_victorops_slug(&policy) {
            problems.add(
                at,
                RosterIssue::BadVictorOpsSlug {
                    field: "policies",
                    text: policy,
                },
            );
        } else if policies.contains(&policy) {
            problems.add(at, RosterIssue::VictorOpsPolicyRepeated(policy));
        } else {
            policies.push(policy);
        }
    }
    let takes = match raw.takes.as_deref() {
        None | Some("record") => TakePolicy::Record,
        Some("undo") => TakePolicy::Undo,
        Some(other) => {
            problems.add(at, RosterIssue::UnknownTakePolicy(other.to_owned()));
            TakePolicy::Record
        }
    };
    Some(VictorOpsLink {
        team: team?,
        policies,
        takes,
    })
}

/// VictorOps slugs go into URL paths: letters, digits, `-` and `_` only.
fn is_victorops_slug(text: &str) -> bool {
    (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_handoff(problems: &mut Problems, at: &str, raw: RawHandoff) -> Option<Handoff> {
    let weekday = problems
        .require(at, "weekday", raw.weekday)
        .and_then(|text| {
            let weekday = parse_weekday(&text);
            if weekday.is_none() {
                problems.add(at, RosterIssue::BadWeekday(text));
            }
            weekday
        });
    let time = problems.require(at, "time", raw.time).and_then(|text| {
        let time = parse_hour_minute(&text);
        if time.is_none() {
            problems.add(at, RosterIssue::BadTime(text));
        }
        time
    });
    let timezone = problems
        .require(at, "timezone", raw.timezone)
        .and_then(|name| problems.check(at, IanaTimeZone::parse(&name), RosterIssue::BadTimeZone));
    Some(Handoff {
        weekday: weekday?,
        time: time?,
        timezone: timezone?,
    })
}

pub(super) fn check_order(
    problems: &mut Problems,
    rotation: &str,
    order: &[String],
    rotations_by_person: &BTreeMap<String, Vec<String>>,
) -> Vec<PersonId> {
    let at = format!("rotations.{rotation}");
    if order.is_empty() {
        problems.add(&at, RosterIssue::EmptyOrder);
    }
    let mut checked = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in order {
        let Some(id) = problems.check(&at, PersonId::parse(entry), RosterIssue::BadOrderEntry)
        else {
            continue;
        };
        match rotations_by_person.get(entry.as_str()) {
            None => problems.add(&at, RosterIssue::OrderNamesUnknownPerson(entry.clone())),
            Some(rotations) if !rotations.iter().any(|name| name == rotation) => {
                problems.add(&at, RosterIssue::OrderNamesNonMember(id.clone()));
            }
            Some(_) if !seen.insert(id.clone()) => {
                problems.add(&at, RosterIssue::OrderRepeats(id.clone()))
            }
            Some(_) => checked.push(id),
        }
    }
    for (person, rotations) in rotations_by_person {
        let listed = order.iter().any(|entry| entry == person);
        if !listed
            && rotations.iter().any(|name| name == rotation)
            && let Ok(id) = PersonId::parse(person)
        {
            problems.add(&at, RosterIssue::MemberMissingFromOrder(id));
        }
    }
    checked
}
