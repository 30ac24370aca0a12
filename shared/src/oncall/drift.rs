//! Drift: who VictorOps will page in the coming weeks, against who Clinic has on duty (its committed
//! shifts, then its plan). Every stretch of a Clinic shift in which a policy pages someone else, or
//! nobody, is a difference; the weekly job mails them to the rotation's `notify` list once a week.

use std::collections::BTreeSet;

use serde::Serialize;

use super::ports::TeamSchedule;
use super::timeline::paged;
use crate::mail::{EmailAddress, Mailbox, OutgoingMail, escape_html};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan::{self, Override};
use crate::rotation::roster::{PersonId, Roster};
use crate::shifts::ShiftRecord;
use crate::store::StoreError;

/// One week as Clinic has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClinicWeek {
    pub week: String,
    /// A committed shift (Clinic has overridden VictorOps for it), or only planned so far.
    pub committed: bool,
    pub person: Option<String>,
    /// The person's VictorOps user name, from the roster.
    pub username: Option<String>,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum WeeksError {
    #[error("cannot plan rotation {rotation}: {source}")]
    Plan {
        rotation: String,
        #[source]
        source: plan::PlanError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Clinic's weeks whose windows reach into `[from, to)`: the committed shifts, then the plan from the
/// table's history and overrides for the weeks after the last committed one that start from `from`.
pub fn clinic_weeks(
    roster: &Roster,
    rotation: &str,
    shifts: &[ShiftRecord],
    overrides: &[Override],
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> Result<Vec<ClinicWeek>, WeeksError> {
    let username = |id: Option<&str>| {
        id.and_then(|id| PersonId::parse(id).ok())
            .and_then(|id| roster.person(&id))
            .and_then(|p| p.victorops_user.clone())
    };
    let reaches = |start: jiff::Timestamp, end: jiff::Timestamp| end > from && start < to;
    let mut weeks: Vec<ClinicWeek> = shifts
        .iter()
        .filter(|s| reaches(s.start_utc, s.end_utc))
        .map(|s| ClinicWeek {
            week: s.week.clone(),
            committed: true,
            person: s.primary.clone(),
            username: username(s.primary.as_deref()),
            start: s.start_utc,
            end: s.end_utc,
        })
        .collect();

    let served = shifts
        .iter()
        .map(ShiftRecord::served)
        .collect::<Result<Vec<_>, _>>()?;
    let utc_date = |t: jiff::Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
    // A week's window may begin before its Monday in UTC (a zone ahead of UTC): plan from the week
    // before `from`, unless a later week is committed already.
    let first_asked = IsoWeek::containing(utc_date(from));
    let first_asked = first_asked.previous().unwrap_or(first_asked);
    let start = served
        .iter()
        .map(|s| s.week)
        .max()
        .and_then(IsoWeek::next)
        .map_or(first_asked, |after| after.max(first_asked));
    let last = IsoWeek::containing(utc_date(to));
    let last = last.next().unwrap_or(last);
    if start <= last {
        let planned = plan::plan_between(roster, rotation, &served, overrides, start, last)
            .map_err(|source| WeeksError::Plan {
                rotation: rotation.to_owned(),
                source,
            })?;
        for week in planned.weeks {
            let name = week.week.to_string();
            // A planned week already under way was never handed off: nobody has it on duty.
            let ahead = week.start_utc >= from && week.start_utc < to;
            if ahead && !weeks.iter().any(|w| w.week == name) {
                let person = week.primary.as_ref().map(ToString::to_string);
                weeks.push(ClinicWeek {
                    week: name,
                    committed: false,
                    username: username(person.as_deref()),
                    person,
                    start: week.start_utc,
                    end: week.end_utc,
                });
            }
        }
    }
    weeks.sort_by_key(|w| w.start);
    Ok(weeks)
}

/// A stretch of a Clinic week in which a policy does not page Clinic's person (alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub week: String,
    pub committed: bool,
    pub policy: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub clinic: Option<String>,
    pub clinic_user: Option<String>,
    /// Who VictorOps pages then (empty: nobody).
    pub victorops: Vec<String>,
}

const TIME: &str = "%Y-%m-%d %H:%M";

impl Difference {
    /// One line for a person.
    pub fn describe(&self) -> String {
        let pages = if self.victorops.is_empty() {
            "nobody".to_owned()
        } else {
            self.victorops.join(" and ")
        };
        let clinic = match (&self.clinic, &self.clinic_user) {
            (None, _) => "nobody (the week is unstaffed)".to_owned(),
            (Some(id), Some(user)) if user == id => id.clone(),
            (Some(id), Some(user)) => format!("{id} (VictorOps user {user})"),
            (Some(id), None) => format!("{id}, who has no victorops_user in the roster"),
        };
        format!(
            "{} ({}), policy {}, {} to {} UTC: VictorOps pages {pages}; Clinic has {clinic}",
            self.week,
            if self.committed {
                "committed"
            } else {
                "planned"
            },
            self.policy,
            self.start.strftime(TIME),
            self.end.strftime(TIME),
        )
    }
}

/// Everything the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftReport {
    pub rotation: String,
    pub team: String,
    pub from: jiff::Timestamp,
    pub to: jiff::Timestamp,
    pub weeks: Vec<ClinicWeek>,
    pub differences: Vec<Difference>,
    /// Policies the roster names that the team's schedule does not have.
    pub missing_policies: Vec<String>,
}

impl DriftReport {
    pub fn count(&self) -> usize {
        self.differences.len() + self.missing_policies.len()
    }

    /// The lines a person reads, one per difference.
    pub fn lines(&self) -> Vec<String> {
        let missing = self.missing_policies.iter().map(|p| {
            format!(
                "policy {p}: VictorOps team {} has no such escalation policy (roster victorops.policies)",
                self.team
            )
        });
        missing
            .chain(self.differences.iter().map(Difference::describe))
            .collect()
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "{}: VictorOps team {} from {} to {} UTC against {} Clinic week(s): ",
            self.rotation,
            self.team,
            self.from.strftime(TIME),
            self.to.strftime(TIME),
            self.weeks.len()
        );
        if self.count() == 0 {
            out.push_str("no difference\n");
            return out;
        }
        out.push_str(&format!("{} difference(s)\n", self.count()));
        for line in self.lines() {
            out.push_str(&format!("  {line}\n"));
        }
        out
    }

    /// The weekly notice for the rotation's notify list.
    pub fn notice(&self, from: Mailbox, to: EmailAddress) -> OutgoingMail {
        let intro = format!(
            "Hello,\n\nVictorOps (team {}) does not page whom Clinic has on duty for {} in {} place(s) \
             between {} and {} UTC:",
            self.team,
            self.rotation,
            self.count(),
            self.from.strftime(TIME),
            self.to.strftime(TIME),
        );
        let outro = "Clinic never edits VictorOps rotations. For committed weeks it puts the person on duty \
             on call with scheduled overrides; a difference there means someone changed the rotation or \
             an override in VictorOps (`clinic rotation sync` puts Clinic's person back on call). For \
             planned weeks the overrides are created when the week is committed; a difference there is \
             VictorOps' own rotation. To change who serves a week, use `clinic rotation override` or \
             `clinic rotation swap` rather than editing VictorOps.\n\n-- Clinic";
        let lines = self.lines();
        let text = format!(
            "{intro}\n\n{}\n\n{outro}\n",
            lines
                .iter()
                .map(|l| format!("- {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let html = format!(
            "<p>{}</p><ul>{}</ul><p>{}</p>",
            escape_html(&intro).replace("\n\n", "</p><p>"),
            lines
                .iter()
                .map(|l| format!("<li>{}</li>", escape_html(l)))
                .collect::<String>(),
            escape_html(outro).replace("\n\n", "</p><p>"),
        );
        OutgoingMail {
            from,
            to: vec![Mailbox::bare(to)],
            cc: Vec::new(),
            subject: format!(
                "[Clinic] {}: VictorOps differs from the rotation ({} difference(s))",
                self.rotation,
                self.count()
            ),
            text,
            html,
        }
    }
}

/// Compares Clinic's weeks with the team's schedule over `[from, to)`.
pub fn compare(
    rotation: &str,
    weeks: Vec<ClinicWeek>,
    schedule: &TeamSchedule,
    policies: &[String],
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> DriftReport {
    let mut differences = Vec::new();
    let missing_policies = policies
        .iter()
        .filter(|p| schedule.policy(p).is_none())
        .cloned()
        .collect();
    for week in &weeks {
        let (start, end) = (week.start.max(from), week.end.min(to));
        for policy in policies.iter().filter_map(|p| schedule.policy(p)) {
            for span in paged(policy, start, end) {
                let differs = match (&week.person, &week.username) {
                    (None, _) => !span.users.is_empty(),
                    (Some(_), None) => true,
                    (Some(_), Some(user)) => span.users != BTreeSet::from([user.clone()]),
                };
                if differs {
                    differences.push(Difference {
                        week: week.week.clone(),
                        committed: week.committed,
                        policy: policy.slug.clone(),
                        start: span.start,
                        end: span.end,
                        clinic: week.person.clone(),
                        clinic_user: week.username.clone(),
                        victorops: span.users.into_iter().collect(),
                    });
                }
            }
        }
    }
    DriftReport {
        rotation: rotation.to_owned(),
        team: schedule.team.clone(),
        from,
        to,
        weeks,
        differences,
        missing_policies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncall::ports::{OverrideSpan, PolicySchedule, RollSpan};

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().unwrap()
    }

    fn week(name: &str, committed: bool, user: Option<&str>, start: &str, end: &str) -> ClinicWeek {
        ClinicWeek {
            week: name.into(),
            committed,
            person: user.map(|u| format!("{u}-id")),
            username: user.map(str::to_owned),
            start: at(start),
            end: at(end),
        }
    }

    fn schedule() -> TeamSchedule {
        TeamSchedule {
            team: "team-x".into(),
            policies: vec![PolicySchedule {
                slug: "pol-a".into(),
                name: "A".into(),
                rolls: vec![
                    RollSpan {
                        user: Some("jdoe".into()),
                        start: at("2027-01-04T00:00:00Z"),
                        end: at("2027-01-11T00:00:00Z"),
                    },
                    RollSpan {
                        user: Some("bkim".into()),
                        start: at("2027-01-11T00:00:00Z"),
                        end: at("2027-01-18T00:00:00Z"),
                    },
                ],
                overrides: vec![OverrideSpan {
                    original: Some("jdoe".into()),
                    replacement: Some("asmith".into()),
                    start: at("2027-01-04T00:00:00Z"),
                    end: at("2027-01-09T00:00:00Z"),
                }],
            }],
        }
    }

    #[test]
    fn a_week_in_step_has_no_difference_and_a_week_off_lists_every_stretch() {
        let weeks = vec![
            // Committed, and the override makes VictorOps page asmith: in step.
            week(
                "2027-W01",
                true,
                Some("asmith"),
                "2027-01-04T00:00:00Z",
                "2027-01-09T00:00:00Z",
            ),
            // Planned for ana, VictorOps' rotation has bkim.
            week(
                "2027-W02",
                false,
                Some("ana"),
                "2027-01-11T00:00:00Z",
                "2027-01-16T00:00:00Z",
            ),
        ];
        let policies = vec!["pol-a".to_owned(), "pol-gone".to_owned()];
        let report = compare(
            "ops",
            weeks,
            &schedule(),
            &policies,
            at("2027-01-04T00:00:00Z"),
            at("2027-01-18T00:00:00Z"),
        );
        assert_eq!(report.missing_policies, vec!["pol-gone".to_owned()]);
        assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
        let only = &report.differences[0];
        assert_eq!((only.week.as_str(), only.committed), ("2027-W02", false));
        assert_eq!(only.victorops, vec!["bkim".to_owned()]);
        assert_eq!(
            only.describe(),
            "2027-W02 (planned), policy pol-a, 2027-01-11 00:00 to 2027-01-16 00:00 UTC: VictorOps pages \
             bkim; Clinic has ana-id (VictorOps user ana)"
        );
        assert_eq!(report.count(), 2);
        let mail = report.notice(
            Mailbox::bare(EmailAddress::parse("clinic@example.org").unwrap()),
            EmailAddress::parse("team@example.org").unwrap(),
        );
        assert!(mail.subject.contains("2 difference(s)"), "{}", mail.subject);
        assert!(mail.text.contains("- 2027-W02 (planned)"), "{}", mail.text);
        assert!(mail.html.contains("<li>policy pol-gone"), "{}", mail.html);
    }

    #[test]
    fn a_removed_override_and_a_gap_in_the_rotation_are_differences_of_a_committed_week() {
        let mut schedule = schedule();
        schedule.policies[0].overrides.clear();
        schedule.policies[0].rolls.pop();
        let weeks = vec![
            week(
                "2027-W01",
                true,
                Some("asmith"),
                "2027-01-04T00:00:00Z",
                "2027-01-09T00:00:00Z",
            ),
            week(
                "2027-W02",
                true,
                None,
                "2027-01-11T00:00:00Z",
                "2027-01-16T00:00:00Z",
            ),
            week(
                "2027-W03",
                true,
                Some("bkim"),
                "2027-01-17T00:00:00Z",
                "2027-01-18T00:00:00Z",
            ),
        ];
        let report = compare(
            "ops",
            weeks,
            &schedule,
            &["pol-a".to_owned()],
            at("2027-01-04T00:00:00Z"),
            at("2027-01-18T00:00:00Z"),
        );
        let found: Vec<_> = report
            .differences
            .iter()
            .map(|d| (d.week.as_str(), d.victorops.clone()))
            .collect();
        // W02 is unstaffed and VictorOps pages nobody either: no difference.
        assert_eq!(
            found,
            vec![("2027-W01", vec!["jdoe".to_owned()]), ("2027-W03", vec![])]
        );
        assert!(
            report.text().contains("VictorOps pages nobody"),
            "{}",
            report.text()
        );
    }
}
