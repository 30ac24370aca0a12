//! How each entity is keyed in the single table. docs/table-design.md documents the same layout (a test keeps them equal).
//!
//! | entity | PK | SK | GSI1PK / GSI1SK |
//! |---|---|---|---|
//! | roster | `ROSTER` | `META` | |
//! | rotation | `ROTATION#<name>` | `META` | |
//! | person | `PERSON#<id>` | `PROFILE` | `PEOPLE` / `<id>` |
//! | shift | `ROTATION#<name>` | `SHIFT#<iso week>` | `PERSON#<primary>` / `SHIFT#<start utc>` |
//! | override | `ROTATION#<name>` | `OVERRIDE#<iso week>` | |
//! | handoff mail claim | `ROTATION#<name>` | `CLAIM#handoff#<iso week>#<role>#<address>` | |
//! | duty-moved mail claim | `ROTATION#<name>` | `CLAIM#moved#<iso week>#<person>` | |
//! | VictorOps sync of a committed week (its overrides, the lease of the run working on it) | `ROTATION#<name>` | `VICTOROPS#<iso week>` | |
//! | plan of the weeks ahead the last weekly run saw (whose duty moved) | `ROTATION#<name>` | `PLAN` | |
//! | VictorOps drift notice claim | `ROTATION#<name>` | `CLAIM#victorops-drift#<iso week>#<address>` | |
//! | audit entry | `AUDIT#<yyyy-mm-dd>` | `<rfc3339 utc>#<id>` | `AUDITOF#<subject>` / `<rfc3339 utc>` |
//! | idempotency | `IDEMPOTENCY#<scope>#<key>` | `IDEMPOTENCY` | (TTL `expires_at`) |
//! | maintenance | `MAINT#<provider>#<id>` | `META` | `MAINTCAL#<yyyy-mm of start>` / `<start utc>#<provider>#<id>` |
//! | review item | `REVIEW#<id>` | `META` | `REVIEWS` / `<received utc>#<id>` |
//! | review item claim (its chat post in each room) | `REVIEW#<id>` | `CLAIM#chat#<room>` | |
//! | VictorOps incident | `INCIDENT#<number>` | `STATE` | `STATUSPAGE#OPEN` / `<number>` while its Statuspage incident is open |
//! | incident claim (Statuspage creation, mail, reminder slot, chat post) | `INCIDENT#<number>` | `CLAIM#<what>` | |
//! | planned downtime window | `DOWNTIME#<id>` | `WINDOW` | `DOWNTIME#PENDING` / `<start utc>#<id>` while a mail is still due |
//! | downtime claim (Statuspage maintenance, timed mail) | `DOWNTIME#<id>` | `CLAIM#<what>` | |
//! | triage state of a Phabricator task | `TASK#<task phid>` | `STATE` | |
//! | list row of an open clinic-duty task (its summary and follow-ups, written with the state) | `TASK#<task phid>` | `LISTED` | `TASKS#APPROVAL`, `TASKS#TRIAGE` or `TASKS#OPEN` / `<last activity utc>#<phid>` |
//! | delivery queued on a task another delivery holds (handled by the holder before it returns) | `TASK#<task phid>` | `QUEUED#<delivery sha-256>` | |
//! | VictorOps incident still open in VictorOps (no open Statuspage incident) | `INCIDENT#<number>` | `STATE` | `VICTOROPS#OPEN` / `<number>` |
//! | mailed sign-in link, single use | `SIGNIN#<token sha-256>` | `LINK` | (TTL `expires_at`) |
//! | browser session | `SESSION#<cookie sha-256>` | `SESSION` | (TTL `expires_at`) |
//! | sign-in attempt counter of an address or a client | `ATTEMPTS#<scope>#<sha-256>` | `WINDOW#<start utc>` | (TTL `expires_at`) |
//! | calendar feed token (whose feed, which kind, its alarm) | `FEEDTOKEN#<token sha-256>` | `FEED` | `FEEDS#<person>` / `<issued utc>#<token sha-256>` |
//! | self-service swap request (its state, who was offered it, who took it) | `SWAP#<id>` | `REQUEST` | `SWAPS` / `<week start utc>#<id>` (TTL `expires_at`) |
//! | swap mail claim (offer, reminders, approval, taken, declined, expired) | `SWAP#<id>` | `CLAIM#<mail>#<address>` | |
//! | the current notice (versioned; its history is the audit log's `notices/current`) | `NOTICE` | `CURRENT` | |
//! | notice command already handled (a Slack delivery by signature, a Matrix event), with its reply | `NOTICECMD#<slack#signature or matrix#event id>` | `HANDLED` | (TTL `expires_at`) |
//! | where the last read of a chat room's `!status` commands stopped | `ROOM#<network>:<room id>` | `CURSOR` | |
//! | reply to a `!status` command claim | `ROOM#<network>:<room id>` | `CLAIM#notice-reply#<event sha-256, 32 hex>` | |

pub const ROSTER: &str = "ROSTER";
pub const META: &str = "META";
pub const PROFILE: &str = "PROFILE";
pub const PEOPLE: &str = "PEOPLE";
pub const SHIFT_PREFIX: &str = "SHIFT#";
pub const PLAN: &str = "PLAN";
pub const OVERRIDE_PREFIX: &str = "OVERRIDE#";
pub const VICTOROPS_PREFIX: &str = "VICTOROPS#";
pub const IDEMPOTENCY: &str = "IDEMPOTENCY";
pub const TASK_STATE: &str = "STATE";
pub const TASK_LISTED: &str = "LISTED";
pub const TASK_QUEUED_PREFIX: &str = "QUEUED#";

/// A redundancy group of the circuits file: only its claims (one mail per outage) live here.
pub fn redundancy_group(name: &str) -> String {
    format!("GROUP#{name}")
}

pub fn rotation(name: &str) -> String {
    format!("ROTATION#{name}")
}

pub fn person(id: &str) -> String {
    format!("PERSON#{id}")
}

pub fn shift(week: &str) -> String {
    format!("{SHIFT_PREFIX}{week}")
}

pub fn override_of(week: &str) -> String {
    format!("{OVERRIDE_PREFIX}{week}")
}

pub fn victorops_sync(week: &str) -> String {
    format!("{VICTOROPS_PREFIX}{week}")
}

pub fn audit_day(day: jiff::civil::Date) -> String {
    format!("AUDIT#{day}")
}

pub fn audit_subject(subject: &str) -> String {
    format!("AUDITOF#{subject}")
}

pub fn idempotency(scope: &str, key: &str) -> String {
    format!("IDEMPOTENCY#{scope}#{key}")
}

pub const REVIEWS: &str = "REVIEWS";

pub fn maintenance(provider: &str, id: &str) -> String {
    format!("MAINT#{provider}#{id}")
}

pub fn maintenance_month(month: &str) -> String {
    format!("MAINTCAL#{month}")
}

pub fn review(id: &str) -> String {
    format!("REVIEW#{id}")
}

pub const INCIDENT_STATE: &str = "STATE";
pub const STATUSPAGE_OPEN: &str = "STATUSPAGE#OPEN";

pub fn incident(number: &str) -> String {
    format!("INCIDENT#{number}")
}

pub fn claim(what: &str) -> String {
    format!("CLAIM#{what}")
}

pub const DOWNTIME_WINDOW: &str = "WINDOW";
pub const DOWNTIME_PENDING: &str = "DOWNTIME#PENDING";

pub fn downtime(id: &str) -> String {
    format!("DOWNTIME#{id}")
}

pub fn task(phid: &str) -> String {
    format!("TASK#{phid}")
}

pub const VICTOROPS_OPEN: &str = "VICTOROPS#OPEN";
/// Incidents a planned downtime window holds back from Statuspage, by when Clinic first saw them
/// (`held_since`): the brief's last week of them, and the window's end releasing the open ones.
pub const INCIDENTS_HELD: &str = "INCIDENT#HELD";

/// The GSI1SK of a held incident: first-seen second, zero-padded so text order is time order.
pub fn held_since(first_seen: jiff::Timestamp, number: &str) -> String {
    format!("{:012}#{number}", first_seen.as_second().max(0))
}

/// The index partition of a list of open clinic-duty tasks.
pub fn task_list(list: crate::triage::ports::TaskList) -> &'static str {
    use crate::triage::ports::TaskList;
    match list {
        TaskList::AwaitingApproval => "TASKS#APPROVAL",
        TaskList::NeedsTriage => "TASKS#TRIAGE",
        TaskList::Open => "TASKS#OPEN",
    }
}

/// A UTC instant as fixed-width RFC 3339 text to the nanosecond, so audit entries of one second
/// order as they were written (variable-width fractions would not: `…00Z` sorts after `…00.5Z`).
pub fn precise_instant(at: jiff::Timestamp) -> String {
    format!(
        "{}.{:09}Z",
        at.strftime("%Y-%m-%dT%H:%M:%S"),
        at.subsec_nanosecond()
    )
}

/// A UTC instant as fixed-width text (whole seconds), so index sort keys order as the instants do.
pub fn instant(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub const LINK: &str = "LINK";
pub const SESSION: &str = "SESSION";

pub fn signin_link(hash: &str) -> String {
    format!("SIGNIN#{hash}")
}

pub fn session(hash: &str) -> String {
    format!("SESSION#{hash}")
}

pub fn attempts(scope: &str, subject: &str) -> String {
    format!("ATTEMPTS#{scope}#{subject}")
}

pub fn attempt_window(start: jiff::Timestamp) -> String {
    format!("WINDOW#{}", instant(start))
}

pub const FEED: &str = "FEED";

pub fn feed_token(hash: &str) -> String {
    format!("FEEDTOKEN#{hash}")
}

pub fn feeds_of(person: &str) -> String {
    format!("FEEDS#{person}")
}

pub const SWAP_REQUEST: &str = "REQUEST";
pub const SWAPS: &str = "SWAPS";

pub fn swap(id: &str) -> String {
    format!("SWAP#{id}")
}

pub const NOTICE: &str = "NOTICE";
pub const NOTICE_CURRENT: &str = "CURRENT";
pub const HANDLED: &str = "HANDLED";
pub const CURSOR: &str = "CURSOR";

pub fn notice_command(id: &str) -> String {
    format!("NOTICECMD#{id}")
}

/// A chat room's partition, by `ChatRoom`'s display (`matrix:!abc:example.org`).
pub fn room(room: &str) -> String {
    format!("ROOM#{room}")
}
