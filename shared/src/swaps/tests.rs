//! The swaps' pure parts: the state machine's refusals and the rules of who is offered.

use std::collections::BTreeMap;

use super::model::*;
use super::offers::{Neighbourhood, NotOffered};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan::could_serve;
use crate::rotation::roster::{PersonId, Roster};

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn week(text: &str) -> IsoWeek {
    text.parse().unwrap()
}

fn request(approver: Option<&str>) -> SwapRequest {
    SwapRequest {
        id: SwapId::parse("0123456789abcdef0123456789abcdef").unwrap(),
        rotation: "ops".into(),
        kind: SwapKind::Cover {
            week: week("2027-W03"),
        },
        requester: "alice".into(),
        note: String::new(),
        offered: vec!["bruno".into(), "carla".into()],
        state: SwapState::Open,
        accepted_by: None,
        approver: approver.map(str::to_owned),
        decided_by: None,
        created_at: at("2027-01-04T10:00:00Z"),
        week_starts: at("2027-01-18T00:00:00Z"),
        closes_at: at("2027-01-18T00:00:00Z"),
        updated_at: at("2027-01-04T10:00:00Z"),
        version: 1,
    }
}

#[test]
fn a_swap_id_is_exactly_32_lower_case_hex_digits() {
    assert!(SwapId::parse("0123456789abcdef0123456789abcdef").is_ok());
    for bad in [
        "",
        "0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0",
        "../../../etc/passwd0123456789abc",
        "0123456789abcdef0123456789abcdeg",
    ] {
        assert!(SwapId::parse(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(SwapId::from_random(&[0xab; 32]).as_str().len(), 32);
}

#[test]
fn only_someone_offered_can_accept_and_only_while_open_and_before_it_closes() {
    let open = request(None);
    let now = at("2027-01-05T10:00:00Z");
    assert_eq!(open.accept("dmitri", now), Err(Refusal::NotOffered));
    assert_eq!(open.accept("alice", now), Err(Refusal::NotOffered));
    assert_eq!(
        open.accept("bruno", at("2027-01-18T00:00:00Z")),
        Err(Refusal::Expired)
    );
    let taken = open.accept("bruno", now).unwrap();
    assert_eq!(taken.state, SwapState::Accepted);
    assert_eq!(taken.accepted_by.as_deref(), Some("bruno"));
    assert_eq!(taken.version, 2);
    assert_eq!(taken.accept("carla", now), Err(Refusal::Taken));
    let applied = taken.applied(now).unwrap();
    assert_eq!(applied.state, SwapState::Applied);
    assert_eq!(applied.accept("carla", now), Err(Refusal::Taken));
    assert_eq!(
        applied.withdraw("alice", now),
        Err(Refusal::Closed("applied"))
    );
    assert!(applied.expire(at("2027-02-01T00:00:00Z")).is_none());
}

#[test]
fn with_an_approver_an_accepted_request_waits_for_the_approver_alone() {
    let now = at("2027-01-05T10:00:00Z");
    let waiting = request(Some("erin")).accept("carla", now).unwrap();
    assert_eq!(waiting.state, SwapState::AwaitingApproval);
    assert!(
        waiting.applied(now).is_none(),
        "not applied before approval"
    );
    for someone in ["alice", "carla", "bruno"] {
        assert_eq!(waiting.approve(someone, now), Err(Refusal::NotApprover));
        assert_eq!(waiting.decline(someone, now), Err(Refusal::NotApprover));
    }
    let approved = waiting.approve("erin", now).unwrap();
    assert_eq!(approved.state, SwapState::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("erin"));
    assert!(approved.applied(now).is_some());
    let declined = waiting.decline("erin", now).unwrap();
    assert_eq!(declined.state, SwapState::Declined);
    assert!(declined.applied(now).is_none());
    assert_eq!(
        request(Some("erin")).approve("erin", now),
        Err(Refusal::NotAwaitingApproval)
    );
}

#[test]
fn an_approver_never_approves_a_swap_of_their_own_but_may_decline_it() {
    let now = at("2027-01-05T10:00:00Z");
    // Erin approves the rotation and asks for cover herself; Bruno accepts.
    let mut own = request(Some("erin"));
    own.requester = "erin".into();
    let own = own.accept("bruno", now).unwrap();
    assert_eq!(own.state, SwapState::AwaitingApproval);
    assert!(own.approver_is_party());
    assert_eq!(own.approve("erin", now), Err(Refusal::OwnSwap));
    assert!(Refusal::OwnSwap.is_forbidden());
    assert_eq!(own.decline("erin", now).unwrap().state, SwapState::Declined);
    // Erin accepts Alice's request: she is the acceptor, so she cannot approve it either.
    let mut offered_to_erin = request(Some("erin"));
    offered_to_erin.offered.push("erin".into());
    let accepted = offered_to_erin.accept("erin", now).unwrap();
    assert!(accepted.approver_is_party());
    assert_eq!(accepted.approve("erin", now), Err(Refusal::OwnSwap));
    assert_eq!(accepted.approve("alice", now), Err(Refusal::NotApprover));
    // Someone else's swap she approves as before.
    let others = request(Some("erin")).accept("bruno", now).unwrap();
    assert!(!others.approver_is_party());
    assert_eq!(
        others.approve("erin", now).unwrap().state,
        SwapState::Approved
    );
}

#[test]
fn only_the_requester_withdraws_and_an_unanswered_request_expires_when_it_closes() {
    let open = request(None);
    let now = at("2027-01-05T10:00:00Z");
    assert_eq!(open.withdraw("bruno", now), Err(Refusal::NotRequester));
    assert_eq!(
        open.withdraw("alice", now).unwrap().state,
        SwapState::Withdrawn
    );
    assert!(open.expire(at("2027-01-17T23:59:59Z")).is_none());
    let expired = open.expire(at("2027-01-18T00:00:00Z")).unwrap();
    assert_eq!(expired.state, SwapState::Expired);
    assert_eq!(expired.accept("bruno", now), Err(Refusal::Expired));
}

#[test]
fn a_request_round_trips_through_its_stored_shape() {
    let mut swap = request(Some("erin"));
    swap.kind = SwapKind::Swap {
        week: week("2027-W03"),
        with_week: week("2027-W05"),
    };
    let json = serde_json::to_value(&swap).unwrap();
    assert_eq!(json["kind"], "swap");
    assert_eq!(json["with_week"], "2027-W05");
    assert_eq!(json["state"], "open");
    let back: SwapRequest = serde_json::from_value(json).unwrap();
    assert_eq!(back, swap);
}

const ROSTER: &str = r#"
[rotations.ops]
style = "fair"
min_working_days = 3
avoid_same_person = true
avoid_same_team = true

[[people]]
id = "alice"
name = "Alice"
email = "alice@example.org"
team = "red"
timezone = "Europe/Berlin"
holidays = "DE"
role = "engineer"
rotations = ["ops"]

[[people]]
id = "bruno"
name = "Bruno"
email = "bruno@example.org"
team = "blue"
timezone = "Europe/Rome"
holidays = "IT"
role = "engineer"
rotations = ["ops"]

[[people]]
id = "carla"
name = "Carla"
email = "carla@example.org"
team = "green"
timezone = "Europe/Madrid"
holidays = "ES"
role = "engineer"
rotations = ["ops"]
absences = [{ from = "2027-01-18", to = "2027-01-22" }]

[[people]]
id = "dmitri"
name = "Dmitri"
email = "dmitri@example.org"
team = "red"
timezone = "Europe/Warsaw"
holidays = "PL"
role = "engineer"
rotations = ["ops"]

[[people]]
id = "erin"
name = "Erin"
email = "erin@example.org"
team = "yellow"
timezone = "Europe/Paris"
holidays = "FR"
role = "manager"
rotations = ["ops"]

[[people]]
id = "femi"
name = "Femi"
email = "femi@example.org"
team = "purple"
timezone = "Europe/London"
holidays = "GB"
role = "engineer"
rotations = ["ops"]

[[people]]
id = "gita"
name = "Gita"
email = "gita@example.org"
team = "orange"
timezone = "Europe/London"
holidays = "GB"
role = "engineer"
rotations = ["ops"]
"#;

fn id(text: &str) -> PersonId {
    PersonId::parse(text).unwrap()
}

#[test]
fn cover_is_offered_to_everyone_the_rules_allow_and_to_nobody_else() {
    let roster = Roster::parse(ROSTER).unwrap();
    let rules = roster.rotation("ops").unwrap();
    let w = week("2027-W03");
    // Bruno serves the week before, Gita the week after.
    let serving: BTreeMap<IsoWeek, Option<PersonId>> = [
        (week("2027-W02"), Some(id("bruno"))),
        (w, Some(id("alice"))),
        (week("2027-W04"), Some(id("gita"))),
    ]
    .into_iter()
    .collect();
    let neighbourhood = Neighbourhood {
        roster: &roster,
        rules,
        serving,
        could_serve: [(w, could_serve(&roster, "ops", w).unwrap())]
            .into_iter()
            .collect(),
    };
    let verdicts: BTreeMap<String, Result<(), NotOffered>> = neighbourhood
        .cover(&id("alice"), w)
        .into_iter()
        .map(|(p, v)| (p.to_string(), v))
        .collect();
    assert_eq!(verdicts["alice"], Err(NotOffered::Requester));
    assert_eq!(
        verdicts["bruno"],
        Err(NotOffered::SamePersonNextTo(week("2027-W02")))
    );
    assert!(
        matches!(verdicts["carla"], Err(NotOffered::CannotServe(_))),
        "absent all week: {:?}",
        verdicts["carla"]
    );
    // Dmitri's team is Alice's, but Alice would no longer serve: red serves neither neighbour.
    assert_eq!(verdicts["dmitri"], Ok(()));
    assert!(
        matches!(verdicts["erin"], Err(NotOffered::CannotServe(_))),
        "a manager: {:?}",
        verdicts["erin"]
    );
    assert_eq!(verdicts["femi"], Ok(()));
    assert_eq!(
        verdicts["gita"],
        Err(NotOffered::SamePersonNextTo(week("2027-W04")))
    );
}

#[test]
fn a_swap_is_allowed_only_when_both_may_serve_the_other_week() {
    let roster = Roster::parse(ROSTER).unwrap();
    let rules = roster.rotation("ops").unwrap();
    let (w3, w5) = (week("2027-W03"), week("2027-W05"));
    let serving: BTreeMap<IsoWeek, Option<PersonId>> = [
        (week("2027-W02"), Some(id("bruno"))),
        (w3, Some(id("alice"))),
        (week("2027-W04"), Some(id("femi"))),
        (w5, Some(id("gita"))),
        (week("2027-W06"), Some(id("dmitri"))),
    ]
    .into_iter()
    .collect();
    let neighbourhood = Neighbourhood {
        roster: &roster,
        rules,
        serving,
        could_serve: [w3, w5]
            .into_iter()
            .map(|w| (w, could_serve(&roster, "ops", w).unwrap()))
            .collect(),
    };
    // Alice in W05 would follow nobody of red but precede Dmitri (red): refused for her.
    assert_eq!(
        neighbourhood.swap(&id("alice"), w3, &id("gita"), w5),
        Err((id("alice"), NotOffered::SameTeamNextTo(week("2027-W06"))))
    );
    assert_eq!(
        neighbourhood.swap(&id("alice"), w3, &id("alice"), w5),
        Err((id("alice"), NotOffered::Requester))
    );
}
