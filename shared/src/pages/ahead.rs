//! *Ahead*: per rotation, the next twelve weeks, committed ones as committed and the rest marked
//! planned, each with the planner's "why this person" (the weeks come from `crate::ahead`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::now::readable;
use crate::ahead::{AheadWeek, RotationAhead};
use crate::brief::PersonCard;
use crate::mail::escape_html;
use crate::rotation::explain::Explanation;
use crate::rotation::roster::IanaTimeZone;

pub const PATH: &str = "/ahead";

/// The roster's people by id, as the pages name them.
pub type People = BTreeMap<String, PersonCard>;

/// A person by name, or their id when the table no longer has them.
pub(super) fn name(people: &People, id: Option<&str>) -> String {
    match id {
        Some(id) => people
            .get(id)
            .map_or_else(|| escape_html(id), |p| escape_html(&p.name)),
        None => "nobody".to_owned(),
    }
}

/// The mark every week carries, in words (not colour alone).
pub(super) fn mark(week: &AheadWeek) -> &'static str {
    if week.committed {
        "<span class=\"mark committed\">Committed</span>"
    } else {
        "<span class=\"mark planned\">Planned</span>"
    }
}

/// "Why this person": the chosen person's verdict first, everyone's in a disclosure.
pub(super) fn why(out: &mut String, why: Option<&Explanation>) {
    let Some(why) = why else {
        out.push_str(
            "<dt>Why</dt><dd>Committed by the weekly job; the roster can no longer replay the choice.</dd>",
        );
        return;
    };
    let chosen = why
        .people
        .iter()
        .find(|v| Some(&v.person) == why.primary.as_ref())
        .map(|v| v.verdict.to_string());
    let summary = match (chosen, &why.unstaffed_reason) {
        (Some(chosen), _) => chosen,
        (None, Some(reason)) => format!("unstaffed: {reason}"),
        (None, None) => "unstaffed".to_owned(),
    };
    let _ = write!(
        out,
        "<dt>Why</dt><dd><p class=\"why\">{}",
        escape_html(&summary)
    );
    if !why.relaxed.is_empty() {
        let relaxed: Vec<String> = why.relaxed.iter().map(ToString::to_string).collect();
        let _ = write!(
            out,
            " (rules relaxed: {})",
            escape_html(&relaxed.join(", "))
        );
    }
    out.push_str("</p><details><summary>Everyone in the rotation</summary><ul>");
    for verdict in &why.people {
        let _ = write!(
            out,
            "<li>{}: {}</li>",
            escape_html(verdict.person.as_str()),
            escape_html(&verdict.verdict.to_string())
        );
    }
    out.push_str("</ul></details></dd>");
}

/// One week as a list item: its mark, who, when, and why.
pub(super) fn week(
    out: &mut String,
    week: &AheadWeek,
    people: &People,
    zone: Option<&IanaTimeZone>,
    heading: &str,
) {
    let state = if week.committed {
        "committed"
    } else {
        "planned"
    };
    let _ = write!(
        out,
        "<li class=\"week {state}\"><h3>{} {}</h3><dl>\
         <dt>On duty</dt><dd>{}</dd><dt>Backup</dt><dd>{}</dd>\
         <dt>From</dt><dd><time datetime=\"{}\">{}</time></dd>\
         <dt>Until</dt><dd><time datetime=\"{}\">{}</time></dd>",
        heading,
        mark(week),
        name(people, week.primary.as_deref()),
        name(people, week.backup.as_deref()),
        week.start,
        escape_html(&readable(week.start, zone)),
        week.end,
        escape_html(&readable(week.end, zone)),
    );
    if let Some(reason) = &week.overridden {
        let _ = write!(out, "<dt>Changed</dt><dd>{}</dd>", escape_html(reason));
    }
    if let Some(reason) = &week.unstaffed_reason {
        let _ = write!(out, "<dt>Unstaffed</dt><dd>{}</dd>", escape_html(reason));
    }
    why(out, week.why.as_ref());
    out.push_str("</dl></li>");
}

/// The page's main content.
pub fn main(
    rotations: &[RotationAhead],
    people: &People,
    now: jiff::Timestamp,
    zone: Option<&IanaTimeZone>,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<p class=\"note\">As of <time datetime=\"{now}\">{}</time>. Times are in {}. \
         <strong>Planned</strong> weeks are what the weekly job would commit from today's roster, \
         history and overrides; they can still change. <strong>Committed</strong> weeks are handed off.</p>",
        escape_html(&readable(now, zone)),
        escape_html(zone.map_or("UTC", |z| z.name()))
    );
    if rotations.is_empty() {
        out.push_str("<p>The roster has no rotation.</p>");
    }
    for rotation in rotations {
        let id = format!("ahead-{}", escape_html(&rotation.rotation));
        let _ = write!(
            out,
            "<section class=\"duty\" aria-labelledby=\"{id}\"><h2 id=\"{id}\">{}</h2><ol class=\"weeks\">",
            escape_html(&rotation.rotation)
        );
        for w in &rotation.weeks {
            week(&mut out, w, people, zone, &escape_html(&w.week));
        }
        out.push_str("</ol></section>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rotation::explain::{PersonVerdict, Verdict};
    use crate::rotation::roster::{PersonId, RotationName};

    fn at(second: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(second).unwrap()
    }

    fn explanation(primary: &str, reason: &str) -> Explanation {
        let id = PersonId::parse(primary).unwrap();
        Explanation {
            rotation: RotationName::parse("clinic").unwrap(),
            week: "2027-W03".parse().unwrap(),
            primary: Some(id.clone()),
            backup: None,
            team: None,
            start_utc: at(1_800_000_000),
            end_utc: at(1_800_604_800),
            relaxed: Vec::new(),
            overridden: Some(reason.into()),
            unstaffed_reason: None,
            people: vec![PersonVerdict {
                person: id,
                verdict: Verdict::ChosenByOverride {
                    reason: reason.into(),
                },
            }],
        }
    }

    fn ahead_week(week: &str, committed: bool, why: Option<Explanation>) -> AheadWeek {
        AheadWeek {
            week: week.into(),
            start: at(1_800_000_000),
            end: at(1_800_604_800),
            primary: Some("asha".into()),
            backup: None,
            committed,
            overridden: None,
            unstaffed_reason: None,
            why,
        }
    }

    #[test]
    fn committed_and_planned_weeks_are_marked_in_words_with_the_why_escaped() {
        let mut people = People::new();
        people.insert(
            "asha".into(),
            PersonCard {
                id: "asha".into(),
                name: "Asha <Ops>".into(),
                email: "asha@example.net".into(),
                team: "traffic".into(),
                timezone: "UTC".into(),
                rotations: vec![],
            },
        );
        let rotations = vec![RotationAhead {
            rotation: "clinic".into(),
            weeks: vec![
                ahead_week("2027-W02", true, None),
                ahead_week(
                    "2027-W03",
                    false,
                    Some(explanation("asha", "swap <with> bruno")),
                ),
            ],
        }];
        let html = main(&rotations, &people, at(1_799_999_000), None);
        assert!(
            html.contains("<li class=\"week committed\"><h3>2027-W02 <span class=\"mark committed\">Committed</span></h3>"),
            "{html}"
        );
        assert!(
            html.contains("<li class=\"week planned\"><h3>2027-W03 <span class=\"mark planned\">Planned</span></h3>"),
            "{html}"
        );
        assert!(
            html.contains("<p class=\"why\">primary by override: swap &lt;with&gt; bruno</p>"),
            "{html}"
        );
        assert!(html.contains("Asha &lt;Ops&gt;"), "{html}");
        assert!(!html.contains("<Ops>") && !html.contains("<with>"));
        assert!(html.contains("the roster can no longer replay"), "{html}");
        assert!(
            html.contains("<time datetime=\"2027-01-15T08:00:00Z\">"),
            "{html}"
        );
    }

    #[test]
    fn a_person_the_table_no_longer_names_is_shown_by_id() {
        assert_eq!(name(&People::new(), Some("<gone>")), "&lt;gone&gt;");
        assert_eq!(name(&People::new(), None), "nobody");
    }
}
