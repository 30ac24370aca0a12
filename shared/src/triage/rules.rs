//! The triage rules file (TOML): which tags mean what, how tasks are routed to teams, which comments
//! the bot writes and who approves what. Read and validated once at start-up; every problem is
//! reported at once, with where it is.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// The whole rules file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The tag that marks SRE work (rules 1, 3, 4, 6, 7 and the clinic-duty subscription need it).
    #[serde(default = "default_sre")]
    pub sre_tag: String,
    /// Rule 2: tasks in any of these projects are never touched.
    #[serde(default)]
    pub hands_off: Vec<String>,
    /// Rule 2 by Space: tasks in any of these Spaces (by monogram, `S4`) are never touched.
    #[serde(default)]
    pub hands_off_spaces: Vec<String>,
    /// The view policies (`policy.view`) under which a task's title may appear in a mail, a chat
    /// post or `/status`; any other task shows as "T123 (restricted)". Phorge's `public` only, by
    /// default; an organisation whose every reader is a Phorge user may add `users`.
    #[serde(default = "default_visible_policies")]
    pub visible_policies: Vec<String>,
    /// Whether checklist and approval comments @mention the approvers. Phorge subscribes whoever a
    /// comment mentions, so the approvers then get mail about every later change of the task: on
    /// (the default) asks them directly; off names them without `@`, and they are told otherwise.
    #[serde(default = "default_true")]
    pub mention_approvers: bool,
    /// Lines that start with one of these (case-insensitive) count as an approval when an approver writes them.
    #[serde(default = "default_approval_phrases")]
    pub approval_phrases: Vec<String>,
    pub clinic_duty: ClinicDutyRule,
    pub routing: RoutingRule,
    #[serde(default)]
    pub mailing_lists: Option<MailingListRule>,
    #[serde(default)]
    pub production_error: Option<ProductionErrorRule>,
    #[serde(default)]
    pub missing_info: Option<MissingInfoRule>,
    #[serde(default)]
    pub access_requests: Vec<AccessRequestRule>,
    #[serde(default)]
    pub not_sre: Option<NotSreRule>,
    #[serde(default)]
    pub quota_requests: Option<QuotaRule>,
    /// Open clinic-duty tasks nobody touched for a while: listed in the brief, and followed up once.
    #[serde(default)]
    pub stale: StaleRule,
}

/// A task no person touched for `after_days` is stale: the brief lists it and, with `follow_up`, the
/// scheduled sweep comments on it once per such period (never on tasks in a `hands_off` project).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaleRule {
    #[serde(default = "default_stale_days")]
    pub after_days: u32,
    #[serde(default)]
    pub follow_up: bool,
    /// `{days}` is replaced with the days since a person last touched the task.
    #[serde(default = "default_stale_comment")]
    pub comment: String,
}

impl Default for StaleRule {
    fn default() -> Self {
        Self {
            after_days: default_stale_days(),
            follow_up: false,
            comment: default_stale_comment(),
        }
    }
}

impl StaleRule {
    pub fn after(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_hours(i64::from(self.after_days) * 24)
    }
}

/// Who is on clinic duty: the rotation's shift covering now, mapped to a Phabricator user name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicDutyRule {
    pub rotation: String,
    /// Subscribe the person on duty to `sre` tasks at this priority value (Phorge's "Needs Triage" is 90).
    #[serde(default = "default_needs_triage")]
    pub needs_triage_priority: i64,
    /// Roster person id -> Phabricator user name, where they differ (otherwise the id is the user name).
    #[serde(default)]
    pub usernames: BTreeMap<String, String>,
}

/// Rule 1: team tags for `sre` tasks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub unowned_tag: String,
    #[serde(default)]
    pub teams: Vec<TeamRoute>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRoute {
    pub tag: String,
    /// Words or phrases in the title or description (whole words, case-insensitive).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Other projects on the task that mean this team.
    #[serde(default)]
    pub projects: Vec<String>,
}

/// Rule 5: mailing-list requests get the `sre` tag.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailingListRule {
    pub tag: String,
}

/// Rule 6: tasks pointing at a recent deployment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductionErrorRule {
    pub tag: String,
    pub phrases: Vec<String>,
}

/// Rule 4: ask the author, once, for what triage needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingInfoRule {
    pub min_description_chars: usize,
    /// Only tasks created this recently are "new".
    #[serde(default = "default_new_within_days")]
    pub new_within_days: u32,
    /// Access requests must carry a line starting with this label, followed by a date (YYYY-MM-DD).
    #[serde(default = "default_needed_by")]
    pub needed_by_label: String,
    /// `{author}` is replaced with the author's user name, `{missing}` with the list of what is missing.
    pub comment: String,
}

/// Rule 3: one access-request type, by its tag.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRequestRule {
    pub tag: String,
    /// Other tags the task must carry too for the rule to apply (`wmf-nda-requests` needs `sre`).
    #[serde(default)]
    pub requires: Vec<String>,
    pub approvals: Vec<Approval>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// What the approval is, as the checklist shows it ("the requester's manager").
    pub name: String,
    /// Phabricator user names whose approval counts.
    pub approvers: Vec<String>,
}

/// Rule 7 (off by default): not SRE work.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotSreRule {
    #[serde(default)]
    pub enabled: bool,
    pub phrases: Vec<String>,
    /// The comment; `{phrase}` is replaced with the phrase that matched.
    pub comment: String,
}

/// Rule 8: Cloud VPS quota requests.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaRule {
    pub tag: String,
    /// Added to requests the weekly meeting must review.
    pub meeting_tag: String,
    /// People whose approval counts (the person on clinic duty's own does not).
    pub approvers: Vec<String>,
    #[serde(default = "default_factor")]
    pub max_increase_factor: f64,
    #[serde(default = "default_storage")]
    pub max_storage_gb: f64,
    #[serde(default)]
    pub fields: QuotaFields,
}

/// The labels of the request template's fields in the description (`**Label**: value` or `Label: value`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotaFields {
    pub current: String,
    pub requested: String,
    pub storage_gb: String,
    pub floating_ips: String,
}

impl Default for QuotaFields {
    fn default() -> Self {
        Self {
            current: "Current quota".into(),
            requested: "Requested quota".into(),
            storage_gb: "Storage (GB)".into(),
            floating_ips: "Floating IPs".into(),
        }
    }
}

fn default_visible_policies() -> Vec<String> {
    vec!["public".into()]
}
fn default_true() -> bool {
    true
}
fn default_sre() -> String {
    "sre".into()
}
fn default_approval_phrases() -> Vec<String> {
    vec!["approved".into(), "i approve".into(), "+1".into()]
}
fn default_needs_triage() -> i64 {
    90
}
fn default_new_within_days() -> u32 {
    7
}
fn default_needed_by() -> String {
    "Needed by".into()
}
fn default_stale_days() -> u32 {
    14
}
fn default_stale_comment() -> String {
    "Nobody has touched this task for {days} days. Is it still needed? Please update it, or close it if it \
     is done; clinic duty will follow up."
        .into()
}
fn default_factor() -> f64 {
    2.0
}
fn default_storage() -> f64 {
    300.0
}

/// Why a rules file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("the rules file is not valid TOML for Clinic's rules: {0}")]
    Syntax(String),
    #[error("the rules file has problems: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl Rules {
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let rules: Rules = toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        let problems = rules.problems();
        if problems.is_empty() {
            Ok(rules)
        } else {
            Err(RulesError::Invalid(problems))
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let slug = |place: &str, value: &str, problems: &mut Vec<String>| {
            let ok = !value.is_empty()
                && value.len() <= 128
                && value
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_.".contains(c));
            if !ok {
                problems.push(format!("{place}: {value:?} is not a project slug"));
            }
        };
        slug("sre_tag", &self.sre_tag, &mut problems);
        for tag in &self.hands_off {
            slug("hands_off", tag, &mut problems);
        }
        for space in &self.hands_off_spaces {
            let digits = space.strip_prefix('S').unwrap_or_default();
            if digits.is_empty() || digits.len() > 9 || !digits.chars().all(|c| c.is_ascii_digit())
            {
                problems.push(format!(
                    "hands_off_spaces: {space:?} is not a Space monogram (S and its number, like \"S4\")"
                ));
            }
        }
        if self.visible_policies.iter().any(|p| p.trim().is_empty()) {
            problems.push("visible_policies: contains an empty policy".into());
        }
        slug(
            "routing.unowned_tag",
            &self.routing.unowned_tag,
            &mut problems,
        );
        for (i, team) in self.routing.teams.iter().enumerate() {
            slug(&format!("routing.teams[{i}].tag"), &team.tag, &mut problems);
            for project in &team.projects {
                slug(
                    &format!("routing.teams[{i}].projects"),
                    project,
                    &mut problems,
                );
            }
        }
        if let Some(rule) = &self.mailing_lists {
            slug("mailing_lists.tag", &rule.tag, &mut problems);
        }
        if let Some(rule) = &self.production_error {
            slug("production_error.tag", &rule.tag, &mut problems);
        }
        for (i, rule) in self.access_requests.iter().enumerate() {
            slug(
                &format!("access_requests[{i}].tag"),
                &rule.tag,
                &mut problems,
            );
            for tag in &rule.requires {
                slug(
                    &format!("access_requests[{i}].requires"),
                    tag,
                    &mut problems,
                );
            }
        }
        if let Some(rule) = &self.quota_requests {
            slug("quota_requests.tag", &rule.tag, &mut problems);
            slug(
                "quota_requests.meeting_tag",
                &rule.meeting_tag,
                &mut problems,
            );
        }

        let empty_words = |place: &str, words: &[String], problems: &mut Vec<String>| {
            if words.iter().any(|w| w.trim().is_empty()) {
                problems.push(format!("{place}: contains an empty phrase"));
            }
        };
        empty_words("approval_phrases", &self.approval_phrases, &mut problems);
        for (i, team) in self.routing.teams.iter().enumerate() {
            empty_words(
                &format!("routing.teams[{i}].keywords"),
                &team.keywords,
                &mut problems,
            );
            if team.keywords.is_empty() && team.projects.is_empty() {
                problems.push(format!(
                    "routing.teams[{i}] ({}): give keywords or projects, or it never matches",
                    team.tag
                ));
            }
        }
        if let Some(rule) = &self.production_error {
            empty_words("production_error.phrases", &rule.phrases, &mut problems);
        }
        if let Some(rule) = &self.not_sre {
            empty_words("not_sre.phrases", &rule.phrases, &mut problems);
            if rule.comment.trim().is_empty() {
                problems.push("not_sre.comment: must say why the task is not SRE work".into());
            }
        }
        if self.approval_phrases.is_empty() {
            problems.push("approval_phrases: at least one phrase is needed".into());
        }
        for (i, rule) in self.access_requests.iter().enumerate() {
            if rule.approvals.is_empty() {
                problems.push(format!(
                    "access_requests[{i}] ({}): lists no approvals",
                    rule.tag
                ));
            }
            for approval in &rule.approvals {
                if approval.approvers.is_empty() {
                    problems.push(format!(
                        "access_requests[{i}] ({}): approval {:?} has no approvers",
                        rule.tag, approval.name
                    ));
                }
            }
        }
        if let Some(rule) = &self.quota_requests {
            if rule.approvers.is_empty() {
                problems.push("quota_requests.approvers: at least one approver is needed".into());
            }
            if !(rule.max_increase_factor.is_finite() && rule.max_increase_factor >= 1.0) {
                problems.push("quota_requests.max_increase_factor: must be at least 1".into());
            }
            if !(rule.max_storage_gb.is_finite() && rule.max_storage_gb >= 0.0) {
                problems.push("quota_requests.max_storage_gb: must be a number of GB".into());
            }
        }
        if let Some(rule) = &self.missing_info
            && rule.comment.trim().is_empty()
        {
            problems.push("missing_info.comment: must not be empty".into());
        }
        if !(1..=365).contains(&self.stale.after_days) {
            problems.push("stale.after_days: must be from 1 to 365 days".into());
        }
        if self.stale.follow_up && self.stale.comment.trim().is_empty() {
            problems.push("stale.comment: a follow-up needs a comment".into());
        }
        problems
    }

    /// Every project slug the rules name, to resolve to PHIDs in one `project.search`.
    pub fn slugs(&self) -> BTreeSet<String> {
        let mut slugs = BTreeSet::from([self.sre_tag.clone(), self.routing.unowned_tag.clone()]);
        slugs.extend(self.hands_off.iter().cloned());
        for team in &self.routing.teams {
            slugs.insert(team.tag.clone());
            slugs.extend(team.projects.iter().cloned());
        }
        slugs.extend(self.mailing_lists.iter().map(|r| r.tag.clone()));
        slugs.extend(self.production_error.iter().map(|r| r.tag.clone()));
        for rule in &self.access_requests {
            slugs.insert(rule.tag.clone());
            slugs.extend(rule.requires.iter().cloned());
        }
        if let Some(rule) = &self.quota_requests {
            slugs.insert(rule.tag.clone());
            slugs.insert(rule.meeting_tag.clone());
        }
        slugs
    }

    /// Every user name the rules name (approvers), to resolve to PHIDs in one `user.search`.
    pub fn usernames(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for rule in &self.access_requests {
            for approval in &rule.approvals {
                names.extend(approval.approvers.iter().cloned());
            }
        }
        if let Some(rule) = &self.quota_requests {
            names.extend(rule.approvers.iter().cloned());
        }
        names
    }

    /// The Phabricator user name of a roster person.
    pub fn username_of(&self, person: &str) -> String {
        self.clinic_duty
            .usernames
            .get(person)
            .cloned()
            .unwrap_or_else(|| person.to_owned())
    }
}

impl crate::reviewed_file::ReviewedFile for Rules {
    const WHAT: &'static str = "triage rules";
    const VERB: &'static str = "are";
    type Invalid = RulesError;

    fn parse_text(text: &str) -> Result<Self, RulesError> {
        Rules::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_file_is_valid() {
        let rules = Rules::parse(include_str!("../../data/triage-rules.toml")).unwrap();
        assert_eq!(rules.sre_tag, "sre");
        assert_eq!(rules.hands_off, vec!["procurement".to_owned()]);
        assert!(rules.not_sre.as_ref().is_some_and(|r| !r.enabled));
        assert!(rules.slugs().contains("sre-unowned"));
    }

    #[test]
    fn every_problem_in_a_rules_file_is_listed_at_once() {
        let text = r#"
            sre_tag = "has space"
            approval_phrases = []
            [clinic_duty]
            rotation = "sre-clinic"
            [routing]
            unowned_tag = "sre-unowned"
            [[routing.teams]]
            tag = "traffic"
            [[access_requests]]
            tag = "sre-access-requests"
            approvals = [{ name = "manager", approvers = [] }]
        "#;
        let RulesError::Invalid(problems) = Rules::parse(text).unwrap_err() else {
            panic!("expected problems");
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn a_rules_file_without_a_stale_section_lists_stale_tasks_after_two_weeks_and_follows_up_never()
    {
        let text = r#"
            [clinic_duty]
            rotation = "sre-clinic"
            [routing]
            unowned_tag = "sre-unowned"
        "#;
        let rules = Rules::parse(text).unwrap();
        assert_eq!((rules.stale.after_days, rules.stale.follow_up), (14, false));
        let zero = format!("{text}\n[stale]\nafter_days = 0\nfollow_up = true\ncomment = \" \"\n");
        let RulesError::Invalid(problems) = Rules::parse(&zero).unwrap_err() else {
            panic!("expected problems");
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn unknown_keys_are_refused_rather_than_ignored() {
        let text = r#"
            hands_of = ["procurement"]
            [clinic_duty]
            rotation = "sre-clinic"
            [routing]
            unowned_tag = "sre-unowned"
        "#;
        assert!(matches!(Rules::parse(text), Err(RulesError::Syntax(_))));
    }
}
