//! Turns the raw shapes into a `Roster`, section by section in file order, collecting
//! every problem on the way; the cross-checks live here (duplicate ids, `order` against
//! who lists the rotation, VictorOps user names for rotations kept in step).

use std::collections::{BTreeMap, BTreeSet};

use super::chat::check_notices;
use super::check_people::{check_company_holiday, check_person};
use super::check_rotations::{StyleDraft, check_order, draft_rotation};
use super::ids::PersonId;
use super::model::{Person, Roster, RotationRules, Style};
use super::parse::RawRoster;
use super::problems::{Problems, RosterError, RosterIssue};

pub(super) fn validate(raw: RawRoster) -> Result<Roster, RosterError> {
    // Problems are reported in file order: rotations, company holidays, people.
    let mut problems = Problems(Vec::new());
    if raw.rotations.is_empty() {
        problems.add("rotations", RosterIssue::NoRotations);
    }
    let known_rotations: BTreeSet<String> = raw.rotations.keys().cloned().collect();
    let kept_in_step_with_victorops: BTreeSet<String> = raw
        .rotations
        .iter()
        .filter(|(_, rotation)| rotation.victorops.is_some())
        .map(|(name, _)| name.clone())
        .collect();
    let keeping_a_slack_user_group: BTreeSet<String> = raw
        .rotations
        .iter()
        .filter(|(_, rotation)| {
            rotation
                .chat
                .as_ref()
                .is_some_and(|chat| chat.slack_user_group.is_some())
        })
        .map(|(name, _)| name.clone())
        .collect();
    let (mut notices, notice_posters) =
        check_notices(&mut problems, raw.notices.unwrap_or_default());

    // Who lists which rotation, by id as written, so `order` can be checked even when
    // the person has problems of their own.
    let mut rotations_by_person: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for person in &raw.people {
        if let Some(id) = &person.id {
            rotations_by_person
                .entry(id.clone())
                .or_insert_with(|| person.rotations.clone().unwrap_or_default());
        }
    }

    let known_people: BTreeSet<&str> = raw.people.iter().filter_map(|p| p.id.as_deref()).collect();
    let mut rotations = BTreeMap::new();
    for (key, raw_rotation) in raw.rotations {
        let draft = draft_rotation(&mut problems, &key, raw_rotation);
        let swap_approver = draft.swap_approver.as_deref().and_then(|id| {
            match PersonId::parse(id)
                .ok()
                .filter(|_| known_people.contains(id))
            {
                Some(id) => Some(id),
                None => {
                    problems.add(
                        &format!("rotations.{key}"),
                        RosterIssue::UnknownSwapApprover(id.to_owned()),
                    );
                    None
                }
            }
        });
        let style = match draft.style {
            Some(StyleDraft::Fair) => Some(Style::Fair),
            Some(StyleDraft::Sequential { handoff, order }) => {
                let order = check_order(&mut problems, &key, &order, &rotations_by_person);
                handoff.map(|handoff| Style::Sequential { handoff, order })
            }
            None => None,
        };
        if let (Some(name), Some(style), Some(min_working_days), Some(backup_max_offset_hours)) = (
            draft.name,
            style,
            draft.min_working_days,
            draft.backup_max_offset_hours,
        ) {
            let rules = RotationRules {
                name: name.clone(),
                style,
                min_working_days,
                avoid_same_person: draft.avoid_same_person,
                avoid_same_team: draft.avoid_same_team,
                first_duty_backup: draft.first_duty_backup,
                backup_max_offset_hours,
                notify: draft.notify,
                victorops: draft.victorops,
                chat: draft.chat,
                swap_approver,
            };
            rotations.insert(name, rules);
        }
    }

    let mut company_holidays = Vec::new();
    for (index, holiday) in raw.company_holidays.into_iter().enumerate() {
        if let Some(holiday) = check_company_holiday(&mut problems, index, holiday) {
            company_holidays.push(holiday);
        }
    }

    let mut people: Vec<Person> = Vec::new();
    let mut person_index: BTreeMap<PersonId, usize> = BTreeMap::new();
    let mut first_index_of_id: BTreeMap<String, usize> = BTreeMap::new();
    for (index, raw_person) in raw.people.into_iter().enumerate() {
        let at = person_location(index, raw_person.id.as_deref());
        if let Some(id) = raw_person.id.as_deref() {
            match first_index_of_id.get(id) {
                Some(first) => {
                    if let Ok(id) = PersonId::parse(id) {
                        problems.add(&at, RosterIssue::DuplicatePersonId(id, *first));
                    }
                }
                None => {
                    first_index_of_id.insert(id.to_owned(), index);
                }
            }
        }
        // Clinic overrides VictorOps with this person's user name: without one it could not.
        if raw_person.victorops_user.is_none() {
            for rotation in raw_person.rotations.iter().flatten() {
                if kept_in_step_with_victorops.contains(rotation) {
                    problems.add(&at, RosterIssue::NoVictorOpsUser(rotation.clone()));
                }
            }
        }
        // Clinic puts the person on duty into the user group by their Slack id.
        if raw_person.slack_user.is_none() {
            for rotation in raw_person.rotations.iter().flatten() {
                if keeping_a_slack_user_group.contains(rotation) {
                    problems.add(&at, RosterIssue::NoSlackUser(rotation.clone()));
                }
            }
        }
        if let Some(person) = check_person(&mut problems, &at, raw_person, &known_rotations) {
            person_index
                .entry(person.id.clone())
                .or_insert(people.len());
            people.push(person);
        }
    }

    for poster in notice_posters {
        match PersonId::parse(&poster)
            .ok()
            .filter(|id| person_index.contains_key(id))
        {
            Some(id) if !notices.allow.contains(&id) => notices.allow.push(id),
            Some(_) => {}
            None => problems.add("notices", RosterIssue::NoticeNamesUnknownPerson(poster)),
        }
    }

    if !problems.0.is_empty() {
        return Err(RosterError::Invalid(problems.0));
    }
    Ok(Roster::from_checked(
        rotations,
        company_holidays,
        people,
        person_index,
        notices,
    ))
}

fn person_location(index: usize, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("people[{index}] (id {id:?})"),
        None => format!("people[{index}]"),
    }
}
