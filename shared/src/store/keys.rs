//! How each entity is keyed in the single table. README's "DynamoDB design" documents the same layout.
//!
//! | entity | PK | SK | GSI1PK / GSI1SK |
//! |---|---|---|---|
//! | roster | `ROSTER` | `META` | |
//! | rotation | `ROTATION#<name>` | `META` | |
//! | person | `PERSON#<id>` | `PROFILE` | `PEOPLE` / `<id>` |
//! | shift | `ROTATION#<name>` | `SHIFT#<iso week>` | `PERSON#<primary>` / `SHIFT#<start utc>` |
//! | override | `ROTATION#<name>` | `OVERRIDE#<iso week>` | |
//! | handoff mail | `ROTATION#<name>` | `HANDOFF#<iso week>#<role>#<address>` | |
//! | audit entry | `AUDIT#<yyyy-mm-dd>` | `<rfc3339 utc>#<id>` | `AUDITOF#<subject>` / `<rfc3339 utc>` |
//! | idempotency | `IDEMPOTENCY#<scope>#<key>` | `IDEMPOTENCY` | (TTL `expires_at`) |
//! | triage state of a Phabricator task | `TASK#<task phid>` | `STATE` | |

pub const ROSTER: &str = "ROSTER";
pub const META: &str = "META";
pub const PROFILE: &str = "PROFILE";
pub const PEOPLE: &str = "PEOPLE";
pub const SHIFT_PREFIX: &str = "SHIFT#";
pub const OVERRIDE_PREFIX: &str = "OVERRIDE#";
pub const HANDOFF_PREFIX: &str = "HANDOFF#";
pub const IDEMPOTENCY: &str = "IDEMPOTENCY";
pub const TASK_STATE: &str = "STATE";

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

pub fn handoff_week(week: &str) -> String {
    format!("{HANDOFF_PREFIX}{week}#")
}

pub fn handoff_mail(week: &str, role: &str, address: &str) -> String {
    format!("{HANDOFF_PREFIX}{week}#{role}#{address}")
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

pub fn task(phid: &str) -> String {
    format!("TASK#{phid}")
}
