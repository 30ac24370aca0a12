//! Takes: a member of a rotation putting themselves on call in VictorOps during a committed week,
//! with a scheduled override Clinic did not create. Found from the team's schedule (whom each
//! override hands time to) and, only when the schedule shows time Clinic's own overrides do not
//! explain, from the override list (whose override it is). Pure functions; the sync acts on them.

use std::collections::BTreeSet;

use serde::Serialize;

use super::ports::{ClinicOverride, ScheduledOverride, TeamSchedule};
use crate::mail::{EmailAddress, Mailbox, OutgoingMail, escape_html};
use crate::rotation::roster::{Roster, RotationName, VictorOpsLink};
use crate::shifts::ShiftRecord;

/// One scheduled override of someone else's, handing a member time in a committed week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Take {
    pub public_id: String,
    pub week: String,
    /// The member who took the time (roster id) and their VictorOps user name.
    pub person: String,
    pub username: String,
    /// Whom Clinic had on duty for the week.
    pub instead_of: Option<String>,
    /// The part of the week the override covers.
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub policies: Vec<String>,
}

const TIME: &str = "%Y-%m-%d %H:%M";

impl Take {
    /// The claim key's part naming this take: an override reaching over two weeks is two takes.
    pub fn claim_what(&self) -> String {
        format!("victorops-take#{}#{}", self.public_id, self.week)
    }

    /// The reason recorded with the override in Clinic; it names the VictorOps override, which is
    /// how a later run knows the week's person came from this take.
    pub fn reason(&self) -> String {
        format!(
            "took the shift in VictorOps (override {}, {} to {} UTC)",
            self.public_id,
            self.start.strftime(TIME),
            self.end.strftime(TIME)
        )
    }

    pub fn describe(&self) -> String {
        format!(
            "{} (VictorOps user {}) took {} from {} to {} UTC in {} (override {}), instead of {}",
            self.person,
            self.username,
            self.week,
            self.start.strftime(TIME),
            self.end.strftime(TIME),
            self.policies.join(", "),
            self.public_id,
            self.instead_of.as_deref().unwrap_or("nobody"),
        )
    }

    /// The mail to the notify list when the take is recorded as the week's override.
    pub fn recorded_notice(&self, rotation: &str, from: Mailbox, to: EmailAddress) -> OutgoingMail {
        let text = format!(
            "Hello,\n\n{}.\n\nClinic recorded it as an override of {} in rotation {rotation}: {} now \
             serves the week, fairness counts it, and Clinic's own VictorOps overrides for the week \
             follow. To undo it, use `clinic rotation override` with the person who should serve.\n\n-- Clinic\n",
            self.describe(),
            self.week,
            self.person,
        );
        OutgoingMail {
            from,
            to: vec![Mailbox::bare(to)],
            cc: Vec::new(),
            subject: format!(
                "[Clinic] {rotation}: {} took {} in VictorOps; recorded",
                self.person, self.week
            ),
            html: format!("<p>{}</p>", escape_html(&text).replace("\n\n", "</p><p>")),
            text,
        }
    }

    /// The mail to the person whose take Clinic undoes, saying why and what to do instead.
    pub fn undone_notice(&self, rotation: &str, from: Mailbox, to: EmailAddress) -> OutgoingMail {
        let text = format!(
            "Hello,\n\nyou took {} of rotation {rotation} in VictorOps (override {}, {} to {} UTC). \
             This rotation's roster says takes in VictorOps are undone (`victorops.takes = \"undo\"`): \
             Clinic plans who serves each week and puts them on call itself, so Clinic deletes that \
             override and {} stays on call.\n\nTo serve the week instead, ask for an override in Clinic \
             (`clinic rotation override` or `clinic rotation swap`); it is recorded, counted as served, \
             and VictorOps follows.\n\n-- Clinic\n",
            self.week,
            self.public_id,
            self.start.strftime(TIME),
            self.end.strftime(TIME),
            self.instead_of.as_deref().unwrap_or("nobody"),
        );
        OutgoingMail {
            from,
            to: vec![Mailbox::bare(to)],
            cc: Vec::new(),
            subject: format!(
                "[Clinic] {rotation}: your VictorOps override for {} is undone",
                self.week
            ),
            html: format!("<p>{}</p>", escape_html(&text).replace("\n\n", "</p><p>")),
            text,
        }
    }
}

/// Time in a committed week that the schedule hands a member, and that neither Clinic's own
/// overrides nor an earlier recorded take explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexplained {
    pub week: String,
    pub person: String,
    pub username: String,
    pub instead_of: Option<String>,
    /// The user VictorOps' rotation has on call, whose time is handed over.
    pub overridden: String,
    pub policy: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
}

/// The stretches of the committed weeks not over by `now` that the schedule's overrides hand to a
/// member of `rotation` other than Clinic's person, unless Clinic's own overrides (`clinic`) put
/// that member there. A week whose person came from a recorded take keeps naming it in
/// `overridden`, so the take is seen again (and found done) rather than taken for Clinic's own.
pub fn unexplained(
    roster: &Roster,
    rotation: &str,
    link: &VictorOpsLink,
    shifts: &[ShiftRecord],
    clinic: &[ClinicOverride],
    schedule: &TeamSchedule,
    now: jiff::Timestamp,
) -> Vec<Unexplained> {
    let Ok(name) = RotationName::parse(rotation) else {
        return Vec::new();
    };
    let member = |username: &str| {
        roster
            .members(&name)
            .find(|p| p.victorops_user.as_deref() == Some(username))
            .map(|p| p.id.to_string())
    };
    let mut out = Vec::new();
    for shift in shifts.iter().filter(|s| s.end_utc > now) {
        for policy in link.policies.iter().filter_map(|p| schedule.policy(p)) {
            for overlay in &policy.overrides {
                let (start, end) = (
                    overlay.start.max(shift.start_utc),
                    overlay.end.min(shift.end_utc),
                );
                let (Some(original), Some(replacement)) = (&overlay.original, &overlay.replacement)
                else {
                    continue;
                };
                let Some(person) = member(replacement).filter(|_| start < end) else {
                    continue;
                };
                let own = clinic.iter().any(|o| {
                    o.username == *replacement
                        && o.window.overridden == *original
                        && o.window.start <= start
                        && end <= o.window.end
                        && o.policies.contains(&policy.slug)
                });
                if own {
                    continue;
                }
                out.push(Unexplained {
                    week: shift.week.clone(),
                    person,
                    username: replacement.clone(),
                    instead_of: shift.primary.clone(),
                    overridden: original.clone(),
                    policy: policy.slug.clone(),
                    start,
                    end,
                });
            }
        }
    }
    out
}

/// The takes behind `stretches`: each listed override Clinic did not create (`clinic_ids`) that
/// covers one, once per week. A stretch Clinic's person already serves is a take only when the
/// week's `overridden` reason names the override (a take recorded before); otherwise it is
/// someone's redundant override and nobody's take.
pub fn takes(
    stretches: &[Unexplained],
    shifts: &[ShiftRecord],
    listed: &[ScheduledOverride],
    clinic_ids: &BTreeSet<String>,
) -> Vec<Take> {
    let mut out: Vec<Take> = Vec::new();
    for stretch in stretches {
        let Some(found) = listed.iter().find(|o| {
            !clinic_ids.contains(&o.public_id)
                && o.user == stretch.overridden
                && o.start <= stretch.start
                && stretch.end <= o.end
        }) else {
            continue;
        };
        let recorded = shifts
            .iter()
            .find(|s| s.week == stretch.week)
            .and_then(|s| s.overridden.as_deref())
            .is_some_and(|reason| reason.contains(&format!("override {},", found.public_id)));
        if stretch.instead_of.as_deref() == Some(stretch.person.as_str()) && !recorded {
            continue;
        }
        match out
            .iter_mut()
            .find(|t| t.public_id == found.public_id && t.week == stretch.week)
        {
            Some(take) => {
                take.start = take.start.min(stretch.start);
                take.end = take.end.max(stretch.end);
                if !take.policies.contains(&stretch.policy) {
                    take.policies.push(stretch.policy.clone());
                }
            }
            None => out.push(Take {
                public_id: found.public_id.clone(),
                week: stretch.week.clone(),
                person: stretch.person.clone(),
                username: stretch.username.clone(),
                instead_of: stretch.instead_of.clone(),
                start: stretch.start,
                end: stretch.end,
                policies: vec![stretch.policy.clone()],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncall::ports::{OverrideSpan, OverrideWindow, PolicySchedule, RollSpan};
    use crate::rotation::roster::TakePolicy;

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().unwrap()
    }

    fn roster() -> Roster {
        let person = |id: &str| {
            format!(
                "[[people]]\nid = \"{id}\"\nname = \"{id}\"\nemail = \"{id}@example.org\"\nteam = \"t-{id}\"\n\
                 timezone = \"UTC\"\nholidays = \"DE\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n\
                 absences = []\nvictorops_user = \"{id}.vo\"\n\n"
            )
        };
        let text = format!(
            "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\n\
             avoid_same_team = true\nfirst_duty_backup = false\nnotify = [\"team@example.org\"]\n\
             victorops = {{ team = \"team-x\", policies = [\"pol-a\"] }}\n\n{}{}{}",
            person("alice"),
            person("bruno"),
            person("carla")
        );
        Roster::parse(&text).unwrap()
    }

    fn link() -> VictorOpsLink {
        VictorOpsLink {
            team: "team-x".into(),
            policies: vec!["pol-a".into()],
            takes: TakePolicy::Record,
        }
    }

    fn shift(primary: &str, overridden: Option<&str>) -> ShiftRecord {
        ShiftRecord {
            rotation: "ops".into(),
            week: "2027-W01".into(),
            primary: Some(primary.into()),
            backup: None,
            team: None,
            start_utc: at("2027-01-04T00:00:00Z"),
            end_utc: at("2027-01-09T00:00:00Z"),
            relaxed: Vec::new(),
            unstaffed_reason: None,
            overridden: overridden.map(str::to_owned),
            committed_at: at("2027-01-01T09:00:00Z"),
            cause: "test".into(),
            victorops_overrides: Vec::new(),
        }
    }

    fn overlay(replacement: &str, start: &str, end: &str) -> OverrideSpan {
        OverrideSpan {
            original: Some("nadia".into()),
            replacement: Some(replacement.into()),
            start: at(start),
            end: at(end),
        }
    }

    /// VictorOps' rotation has nadia all week; Clinic's override hands her week to alice, and
    /// `others` are overlays of overrides someone else made.
    fn schedule(others: Vec<OverrideSpan>) -> TeamSchedule {
        let mut overrides = vec![overlay(
            "alice.vo",
            "2027-01-04T00:00:00Z",
            "2027-01-09T00:00:00Z",
        )];
        overrides.extend(others);
        TeamSchedule {
            team: "team-x".into(),
            policies: vec![PolicySchedule {
                slug: "pol-a".into(),
                name: "A".into(),
                rolls: vec![RollSpan {
                    user: Some("nadia".into()),
                    start: at("2027-01-01T00:00:00Z"),
                    end: at("2027-01-15T00:00:00Z"),
                }],
                overrides,
            }],
        }
    }

    fn clinic() -> Vec<ClinicOverride> {
        vec![ClinicOverride {
            public_id: "ovr-clinic".into(),
            window: OverrideWindow {
                overridden: "nadia".into(),
                start: at("2027-01-04T00:00:00Z"),
                end: at("2027-01-09T00:00:00Z"),
            },
            username: "alice.vo".into(),
            policies: vec!["pol-a".into()],
            assigned: vec!["pol-a".into()],
        }]
    }

    fn listed(id: &str, start: &str, end: &str) -> ScheduledOverride {
        ScheduledOverride {
            public_id: id.into(),
            user: "nadia".into(),
            start: at(start),
            end: at(end),
            policies: vec!["pol-a".into()],
        }
    }

    fn found(
        shift: &ShiftRecord,
        schedule: &TeamSchedule,
        list: &[ScheduledOverride],
    ) -> Vec<Take> {
        let now = at("2027-01-01T09:00:00Z");
        let stretches = unexplained(
            &roster(),
            "ops",
            &link(),
            std::slice::from_ref(shift),
            &clinic(),
            schedule,
            now,
        );
        let ids = BTreeSet::from(["ovr-clinic".to_owned()]);
        takes(&stretches, std::slice::from_ref(shift), list, &ids)
    }

    #[test]
    fn clinics_own_overrides_explain_the_week_and_need_no_override_list() {
        let stretches = unexplained(
            &roster(),
            "ops",
            &link(),
            &[shift("alice", None)],
            &clinic(),
            &schedule(Vec::new()),
            at("2027-01-01T09:00:00Z"),
        );
        assert!(stretches.is_empty(), "{stretches:?}");
    }

    #[test]
    fn a_member_who_took_a_day_of_the_week_in_victorops_is_a_take_of_that_week() {
        let schedule = schedule(vec![overlay(
            "bruno.vo",
            "2027-01-05T00:00:00Z",
            "2027-01-06T00:00:00Z",
        )]);
        let list = [
            listed("ovr-clinic", "2027-01-04T00:00:00Z", "2027-01-09T00:00:00Z"),
            listed("ovr-bruno", "2027-01-05T00:00:00Z", "2027-01-06T00:00:00Z"),
        ];
        let takes = found(&shift("alice", None), &schedule, &list);
        assert_eq!(takes.len(), 1, "{takes:?}");
        let take = &takes[0];
        assert_eq!(
            (
                take.public_id.as_str(),
                take.week.as_str(),
                take.person.as_str()
            ),
            ("ovr-bruno", "2027-W01", "bruno")
        );
        assert_eq!(take.instead_of.as_deref(), Some("alice"));
        assert_eq!(take.claim_what(), "victorops-take#ovr-bruno#2027-W01");
        assert_eq!(
            take.reason(),
            "took the shift in VictorOps (override ovr-bruno, 2027-01-05 00:00 to 2027-01-06 00:00 UTC)"
        );
    }

    #[test]
    fn someone_outside_the_rotation_or_outside_the_week_is_no_take() {
        // nadia's own colleague (not a member) covering her, and a member after the shift's end.
        let schedule = schedule(vec![
            overlay("omar", "2027-01-05T00:00:00Z", "2027-01-06T00:00:00Z"),
            overlay("carla.vo", "2027-01-10T00:00:00Z", "2027-01-11T00:00:00Z"),
        ]);
        let list = [
            listed("ovr-omar", "2027-01-05T00:00:00Z", "2027-01-06T00:00:00Z"),
            listed("ovr-carla", "2027-01-10T00:00:00Z", "2027-01-11T00:00:00Z"),
        ];
        assert!(found(&shift("alice", None), &schedule, &list).is_empty());
    }

    #[test]
    fn a_take_already_recorded_is_seen_again_by_its_override_and_a_redundant_override_is_not() {
        let schedule = schedule(vec![overlay(
            "bruno.vo",
            "2027-01-05T00:00:00Z",
            "2027-01-06T00:00:00Z",
        )]);
        let list = [listed(
            "ovr-bruno",
            "2027-01-05T00:00:00Z",
            "2027-01-06T00:00:00Z",
        )];
        // The week is bruno's because Clinic recorded this take: seen, so its claim answers done.
        let reason = "took the shift in VictorOps (override ovr-bruno, 2027-01-05 00:00 to 2027-01-06 00:00 UTC)";
        let again = found(&shift("bruno", Some(reason)), &schedule, &list);
        assert_eq!(again.len(), 1);
        // The week is bruno's for another reason: his own extra override is nobody's take.
        assert!(found(&shift("bruno", Some("sick leave")), &schedule, &list).is_empty());
    }

    #[test]
    fn the_mails_say_what_happened_and_what_to_do_instead() {
        let take = Take {
            public_id: "ovr-bruno".into(),
            week: "2027-W01".into(),
            person: "bruno".into(),
            username: "bruno.vo".into(),
            instead_of: Some("alice".into()),
            start: at("2027-01-05T00:00:00Z"),
            end: at("2027-01-06T00:00:00Z"),
            policies: vec!["pol-a".into()],
        };
        let from = Mailbox::bare(EmailAddress::parse("clinic@example.org").unwrap());
        let to = EmailAddress::parse("bruno@example.org").unwrap();
        let undone = take.undone_notice("ops", from.clone(), to.clone());
        assert!(undone.subject.contains("is undone"), "{}", undone.subject);
        assert!(
            undone.text.contains("alice stays on call"),
            "{}",
            undone.text
        );
        assert!(
            undone.text.contains("clinic rotation override"),
            "{}",
            undone.text
        );
        let recorded = take.recorded_notice("ops", from, to);
        assert!(
            recorded.subject.contains("bruno took 2027-W01"),
            "{}",
            recorded.subject
        );
        assert!(
            recorded.text.contains("bruno now serves the week"),
            "{}",
            recorded.text
        );
    }
}
