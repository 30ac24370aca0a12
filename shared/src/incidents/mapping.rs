//! The mapping file: which VictorOps incidents are published on Statuspage, on which components,
//! with which impact, and the reminder and auto-resolve options. docs/victorops-webhook.md, "The incident mapping file".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Statuspage component statuses Clinic may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
    UnderMaintenance,
}

impl ComponentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::DegradedPerformance => "degraded_performance",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
            Self::UnderMaintenance => "under_maintenance",
        }
    }
}

/// Statuspage's writable impact override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
        }
    }
}

/// Where and how one incident is published; stored with the incident so a later edit of the
/// mapping file does not change an incident already on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub rule: String,
    pub title: String,
    pub impact: Impact,
    pub components: BTreeMap<String, ComponentStatus>,
    /// What an incident opening inside a planned downtime window of ours on one of these components
    /// does (the rule's `during_downtime`); records stored before the option existed never opened
    /// inside one, so the default there is irrelevant and the rule's default is used.
    #[serde(default)]
    pub during_downtime: DuringDowntime,
}

/// What an incident that opens inside one of Clinic's own planned downtime windows does, when the
/// window covers one of the rule's components. Statuspage itself keeps its automation quiet during
/// a maintenance: an alert caused by planned work is expected, and a public incident for it would
/// tell subscribers of an outage they were already told about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuringDowntime {
    /// Recorded and listed in the brief, not published, and no duty mail; published after all if
    /// it is still open when the window ends.
    #[default]
    Hold,
    /// Published as any other incident.
    Publish,
}

/// Who tells people about a planned downtime window as it comes near, starts and ends. Statuspage
/// can remind its subscribers before the window and notify them at its start and end; Clinic mails
/// the announce list 7 days ahead and 1 minute before. When the announce list is also subscribed to
/// the page, both would reach the same people twice, so one of them speaks unless the operator
/// chooses both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DowntimeNotices {
    /// Clinic's timed mails only; Statuspage posts the maintenance (one notification when it is
    /// created, if `deliver_notifications`) without a prior reminder or start / end notifications.
    Clinic,
    /// Statuspage's prior reminder and start / end notifications only; Clinic sends no timed mail.
    Statuspage,
    /// Both, knowingly.
    Both,
}

impl DowntimeNotices {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clinic => "clinic",
            Self::Statuspage => "statuspage",
            Self::Both => "both",
        }
    }
}

/// The options that apply to every published incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Close the Statuspage incident (components back to operational) when VictorOps resolves.
    pub auto_resolve: bool,
    /// Statuspage's `deliver_notifications` on what Clinic posts.
    pub deliver_notifications: bool,
    pub remind_after: jiff::SignedDuration,
    pub remind_every: jiff::SignedDuration,
    pub downtime_notices: DowntimeNotices,
}

impl Options {
    /// Whether Statuspage notifies its subscribers before a window and at its start and end.
    pub fn statuspage_reminds_of_downtime(&self) -> bool {
        self.deliver_notifications && self.downtime_notices != DowntimeNotices::Clinic
    }

    /// Whether Clinic mails the announce list 7 days and 1 minute before a window (and after it).
    pub fn clinic_mails_downtime(&self) -> bool {
        self.downtime_notices != DowntimeNotices::Statuspage
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    name: String,
    routing_keys: Vec<String>,
    entities: Vec<String>,
    title: Option<String>,
    impact: Impact,
    components: BTreeMap<String, ComponentStatus>,
    during_downtime: DuringDowntime,
}

/// The validated mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub options: Options,
    rules: Vec<Rule>,
    /// Service names used by `clinic downtime schedule --services` → Statuspage component ids.
    pub services: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("the mapping file is not valid TOML for Clinic: {0}")]
    Syntax(String),
    #[error("mapping rule {rule:?}: {problem}")]
    Rule { rule: String, problem: String },
    #[error("mapping options: {0}")]
    Options(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    options: RawOptions,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    services: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    #[serde(default)]
    auto_resolve: bool,
    #[serde(default = "yes")]
    deliver_notifications: bool,
    #[serde(default = "thirty")]
    remind_after_minutes: u32,
    #[serde(default = "one_eighty")]
    remind_every_minutes: u32,
    #[serde(default = "clinic_notices")]
    downtime_notices: DowntimeNotices,
}

impl Default for RawOptions {
    fn default() -> Self {
        Self {
            auto_resolve: false,
            deliver_notifications: true,
            remind_after_minutes: thirty(),
            remind_every_minutes: one_eighty(),
            downtime_notices: clinic_notices(),
        }
    }
}

fn yes() -> bool {
    true
}
fn thirty() -> u32 {
    30
}
fn one_eighty() -> u32 {
    180
}
fn clinic_notices() -> DowntimeNotices {
    DowntimeNotices::Clinic
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    #[serde(default)]
    routing_keys: Vec<String>,
    #[serde(default)]
    entities: Vec<String>,
    title: Option<String>,
    impact: Impact,
    components: BTreeMap<String, ComponentStatus>,
    #[serde(default)]
    during_downtime: DuringDowntime,
}

impl Mapping {
    pub fn parse(text: &str) -> Result<Self, MappingError> {
        let raw: RawMapping =
            toml::from_str(text).map_err(|e| MappingError::Syntax(e.to_string()))?;
        let o = raw.options;
        if !(1..=24 * 60).contains(&o.remind_after_minutes) {
            return Err(MappingError::Options(
                "remind_after_minutes must be from 1 to 1440".into(),
            ));
        }
        if !(15..=7 * 24 * 60).contains(&o.remind_every_minutes) {
            return Err(MappingError::Options(
                "remind_every_minutes must be from 15 to 10080".into(),
            ));
        }
        if o.downtime_notices == DowntimeNotices::Statuspage && !o.deliver_notifications {
            return Err(MappingError::Options(
                "downtime_notices = \"statuspage\" with deliver_notifications = false would tell nobody \
                 of planned downtime: choose \"clinic\" or let Statuspage deliver notifications"
                    .into(),
            ));
        }
        let options = Options {
            auto_resolve: o.auto_resolve,
            deliver_notifications: o.deliver_notifications,
            remind_after: jiff::SignedDuration::from_mins(i64::from(o.remind_after_minutes)),
            remind_every: jiff::SignedDuration::from_mins(i64::from(o.remind_every_minutes)),
            downtime_notices: o.downtime_notices,
        };
        let mut rules = Vec::new();
        for r in raw.rule {
            let problem = |p: &str| MappingError::Rule {
                rule: r.name.clone(),
                problem: p.to_owned(),
            };
            if r.name.trim().is_empty() {
                return Err(problem("the rule needs a name"));
            }
            if rules.iter().any(|known: &Rule| known.name == r.name) {
                return Err(problem("two rules have this name"));
            }
            if r.routing_keys.is_empty() && r.entities.is_empty() {
                return Err(problem(
                    "give routing_keys or entities (entities = [\"*\"] matches every incident)",
                ));
            }
            if r.components.is_empty() {
                return Err(problem(
                    "components is empty: name at least one component id",
                ));
            }
            let bad_id = r
                .components
                .keys()
                .any(|id| id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()));
            if bad_id {
                return Err(problem(
                    "component ids are Statuspage ids (letters and digits)",
                ));
            }
            rules.push(Rule {
                name: r.name,
                routing_keys: r.routing_keys,
                entities: r.entities,
                title: r.title.filter(|t| !t.trim().is_empty()),
                impact: r.impact,
                components: r.components,
                during_downtime: r.during_downtime,
            });
        }
        for (name, id) in &raw.services {
            if name.trim().is_empty()
                || id.is_empty()
                || !id.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(MappingError::Options(format!(
                    "service {name:?} must name a Statuspage component id (letters and digits)"
                )));
            }
        }
        Ok(Self {
            options,
            rules,
            services: raw.services,
        })
    }

    /// The publication for an incident: the first rule whose routing keys and entity patterns
    /// (each list, when given) match; `None` means recorded but not published.
    pub fn publication(
        &self,
        routing_key: &str,
        entity_id: &str,
        display_name: &str,
    ) -> Option<Publication> {
        self.rules
            .iter()
            .find(|r| {
                (r.routing_keys.is_empty() || r.routing_keys.iter().any(|k| k == routing_key))
                    && (r.entities.is_empty() || r.entities.iter().any(|p| glob(p, entity_id)))
            })
            .map(|r| Publication {
                rule: r.name.clone(),
                title: r.title.clone().unwrap_or_else(|| display_name.to_owned()),
                impact: r.impact,
                components: r.components.clone(),
                during_downtime: r.during_downtime,
            })
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = parts.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl crate::reviewed_file::ReviewedFile for Mapping {
    const WHAT: &'static str = "mapping file";
    type Invalid = MappingError;

    fn parse_text(text: &str) -> Result<Self, MappingError> {
        Mapping::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[options]
remind_after_minutes = 30
remind_every_minutes = 240

[[rule]]
name = "database"
routing_keys = ["sre"]
entities = ["disk-space/db*"]
title = "Degraded database performance"
impact = "minor"
components = { ftgks51sfs2d = "degraded_performance" }

[[rule]]
name = "everything-else-on-sre"
routing_keys = ["sre"]
impact = "major"
components = { h7wv9qjxpl2s = "partial_outage" }
"#;

    #[test]
    fn the_first_matching_rule_decides_the_publication() {
        let m = Mapping::parse(SAMPLE).unwrap();
        let p = m
            .publication("sre", "disk-space/db01.example.org", "Disk")
            .unwrap();
        assert_eq!(p.rule, "database");
        assert_eq!(p.title, "Degraded database performance");
        let p = m
            .publication("sre", "cpu/web01", "CPU high on web01")
            .unwrap();
        assert_eq!(p.rule, "everything-else-on-sre");
        assert_eq!(p.title, "CPU high on web01");
        assert!(m.publication("network", "cpu/web01", "x").is_none());
        assert!(!m.options.auto_resolve);
        assert_eq!(m.options.remind_every, jiff::SignedDuration::from_mins(240));
    }

    #[test]
    fn a_rule_matching_nothing_in_particular_is_refused() {
        let text =
            "[[rule]]\nname = \"x\"\nimpact = \"major\"\ncomponents = { abc = \"major_outage\" }\n";
        assert!(matches!(
            Mapping::parse(text),
            Err(MappingError::Rule { .. })
        ));
    }

    #[test]
    fn unknown_keys_and_statuses_are_refused() {
        assert!(Mapping::parse("[options]\nauto_resolv = true\n").is_err());
        let text = "[[rule]]\nname = \"x\"\nentities = [\"*\"]\nimpact = \"major\"\ncomponents = { abc = \"broken\" }\n";
        assert!(Mapping::parse(text).is_err());
    }

    #[test]
    fn a_rule_holds_incidents_back_during_planned_downtime_unless_it_says_publish() {
        let text = |extra: &str| {
            format!(
                "[[rule]]\nname = \"db\"\nentities = [\"*\"]\nimpact = \"minor\"\n{extra}\
                 components = {{ abc123 = \"degraded_performance\" }}\n"
            )
        };
        let held = Mapping::parse(&text("")).unwrap();
        let p = held.publication("sre", "x", "X").unwrap();
        assert_eq!(p.during_downtime, DuringDowntime::Hold);
        let published = Mapping::parse(&text("during_downtime = \"publish\"\n")).unwrap();
        let p = published.publication("sre", "x", "X").unwrap();
        assert_eq!(p.during_downtime, DuringDowntime::Publish);
        let err = Mapping::parse(&text("during_downtime = \"mute\"\n")).unwrap_err();
        assert!(err.to_string().contains("during_downtime"), "{err}");
    }

    #[test]
    fn by_default_clinic_alone_tells_people_of_planned_downtime() {
        let options = Mapping::parse("").unwrap().options;
        assert_eq!(options.downtime_notices, DowntimeNotices::Clinic);
        assert!(options.clinic_mails_downtime());
        assert!(!options.statuspage_reminds_of_downtime());
    }

    #[test]
    fn the_operator_may_leave_downtime_notices_to_statuspage_or_choose_both() {
        let options = Mapping::parse("[options]\ndowntime_notices = \"statuspage\"\n")
            .unwrap()
            .options;
        assert!(!options.clinic_mails_downtime());
        assert!(options.statuspage_reminds_of_downtime());
        let options = Mapping::parse("[options]\ndowntime_notices = \"both\"\n")
            .unwrap()
            .options;
        assert!(options.clinic_mails_downtime() && options.statuspage_reminds_of_downtime());
    }

    #[test]
    fn leaving_downtime_notices_to_a_silenced_statuspage_is_refused() {
        let text = "[options]\ndeliver_notifications = false\ndowntime_notices = \"statuspage\"\n";
        let err = Mapping::parse(text).unwrap_err();
        assert!(err.to_string().contains("tell nobody"), "{err}");
        assert!(Mapping::parse("[options]\ndowntime_notices = \"nobody\"\n").is_err());
        // Both, with Statuspage silenced, is Clinic alone: nothing reaches anyone twice.
        let options = Mapping::parse(
            "[options]\ndeliver_notifications = false\ndowntime_notices = \"both\"\n",
        )
        .unwrap()
        .options;
        assert!(!options.statuspage_reminds_of_downtime());
    }

    #[test]
    fn globs_match_stars_anywhere() {
        assert!(glob("*", "anything"));
        assert!(glob("disk-*/db*", "disk-space/db01"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(!glob("a*b", "ab-c"));
        assert!(glob("a*b*c", "a-b-c"));
        assert!(!glob("ab*ba", "aba"));
    }
}
