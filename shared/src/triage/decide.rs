//! The rules applied to one task: a pure function from what the task looks like now, what its history
//! says people did, and what the bot already did, to the decisions still missing. Running it again on
//! the result decides nothing new, which is what makes retries and repeated deliveries harmless.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::model::{UserPhid, rule_mark};
use super::rules::{AccessRequestRule, QuotaRule, Rules};

/// The task as the rules see it: tags by slug, people by PHID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub title: String,
    pub description: String,
    /// The author's user name when known (for addressing them), else their PHID.
    pub author: String,
    pub tags: BTreeSet<String>,
    pub subscribers: BTreeSet<UserPhid>,
    pub priority: i64,
    pub created: i64,
}

/// What the bot must not undo or repeat, from the task's history and the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// Tags a person removed.
    pub removed_tags: BTreeSet<String>,
    /// People a person unsubscribed.
    pub unsubscribed: BTreeSet<UserPhid>,
    /// Rules whose comment is already on the task.
    pub comments_posted: BTreeSet<String>,
    /// Comments by known people (approvers, the person on duty), oldest first: (user name, text).
    pub comments: Vec<(String, String)>,
    /// The bot routed the task before (it added a team's tag or the unowned tag at some point):
    /// from then on its tags are people's to change, and routing adds nothing more.
    pub routed: bool,
}

/// The person on clinic duty now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDuty {
    pub username: String,
    pub phid: UserPhid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Action {
    AddTag(String),
    RemoveTag(String),
    Comment(String),
    Subscribe(UserPhid),
}

/// One thing a rule decided, with the reason a person reads in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub rule: String,
    pub action: Action,
    pub why: String,
}

/// The evaluation: either hands off, or the decisions still missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    HandsOff { project: String },
    Decisions(Vec<Decision>),
}

/// Applies every rule to `task`; `now` is in epoch seconds, like Conduit's dates.
pub fn decide(
    rules: &Rules,
    task: &TaskView,
    memory: &Memory,
    on_duty: Option<&OnDuty>,
    now: i64,
) -> Verdict {
    if let Some(project) = rules.hands_off.iter().find(|p| task.tags.contains(*p)) {
        return Verdict::HandsOff {
            project: project.clone(),
        };
    }
    let mut plan = Plan {
        rules,
        memory,
        tags: task.tags.clone(),
        decisions: Vec::new(),
    };
    let text = format!("{}\n{}", task.title, task.description).to_lowercase();

    if let Some(rule) = &rules.mailing_lists
        && task.tags.contains(&rule.tag)
    {
        plan.add_tag(
            "mailing-list",
            &rules.sre_tag,
            format!("mailing-list requests (#{}) need SRE", rule.tag),
        );
    }
    let sre = plan.tags.contains(&rules.sre_tag);

    if sre
        && let Some(rule) = rules.not_sre.as_ref().filter(|r| r.enabled)
        && let Some(phrase) = rule.phrases.iter().find(|p| contains_term(&text, p))
    {
        let why = format!("the task mentions {phrase:?}, which is not SRE work");
        plan.comment("not-sre", rule.comment.replace("{phrase}", phrase), &why);
        plan.decisions.push(Decision {
            rule: "not-sre".into(),
            action: Action::RemoveTag(rules.sre_tag.clone()),
            why,
        });
        return Verdict::Decisions(plan.decisions);
    }

    if sre {
        route(&mut plan, &text);
        if let Some(rule) = &rules.production_error
            && let Some(phrase) = rule.phrases.iter().find(|p| contains_term(&text, p))
        {
            plan.add_tag(
                "production-error",
                &rule.tag,
                format!("the task points at a recent deployment ({phrase:?})"),
            );
        }
    }

    let access: Vec<&AccessRequestRule> = rules
        .access_requests
        .iter()
        .filter(|r| plan.tags.contains(&r.tag) && r.requires.iter().all(|t| plan.tags.contains(t)))
        .collect();
    if sre || !access.is_empty() {
        missing_info(&mut plan, task, &access, now);
    }
    let mut subscribe_why = Vec::new();
    for rule in &access {
        if access_request(&mut plan, rule) {
            subscribe_why.push(format!("every approval of #{} is present", rule.tag));
        }
    }
    if let Some(rule) = &rules.quota_requests
        && plan.tags.contains(&rule.tag)
        && quota_request(&mut plan, rule, task, on_duty)
    {
        subscribe_why.push("the quota request has its approval".to_owned());
    }
    if sre && task.priority == rules.clinic_duty.needs_triage_priority {
        subscribe_why.push("a new #sre task needs triage".to_owned());
    }
    if let (Some(person), Some(why)) = (on_duty, subscribe_why.first()) {
        let subscribed =
            task.subscribers.contains(&person.phid) || memory.unsubscribed.contains(&person.phid);
        if !subscribed {
            plan.decisions.push(Decision {
                rule: "clinic-duty".into(),
                action: Action::Subscribe(person.phid.clone()),
                why: format!("{} is on clinic duty and {why}", person.username),
            });
        }
    }
    Verdict::Decisions(plan.decisions)
}

struct Plan<'a> {
    rules: &'a Rules,
    memory: &'a Memory,
    /// The task's tags as they will be once the decisions so far are applied.
    tags: BTreeSet<String>,
    decisions: Vec<Decision>,
}

impl Plan<'_> {
    /// Adds `tag` unless it is there already or a person removed it.
    fn add_tag(&mut self, rule: &str, tag: &str, why: String) -> bool {
        if self.tags.contains(tag) || self.memory.removed_tags.contains(tag) {
            return false;
        }
        self.tags.insert(tag.to_owned());
        self.decisions.push(Decision {
            rule: rule.into(),
            action: Action::AddTag(tag.to_owned()),
            why,
        });
        true
    }

    /// Posts the rule's comment unless it was posted before; the text ends with the rule's mark.
    fn comment(&mut self, rule: &str, text: String, why: &str) {
        if self.memory.comments_posted.contains(rule) {
            return;
        }
        self.decisions.push(Decision {
            rule: rule.into(),
            action: Action::Comment(format!("{}\n\n{}", text.trim_end(), rule_mark(rule))),
            why: why.to_owned(),
        });
    }

    /// The approvers' user names that approved, per the configured phrases.
    fn approvals_by(&self, approvers: &[String]) -> BTreeSet<String> {
        approvals_by(self.rules, self.memory, approvers)
    }
}

fn approvals_by(rules: &Rules, memory: &Memory, approvers: &[String]) -> BTreeSet<String> {
    memory
        .comments
        .iter()
        .filter(|(author, text)| {
            approvers.contains(author) && is_approval(text, &rules.approval_phrases)
        })
        .map(|(author, _)| author.clone())
        .collect()
}

/// The approvals the access requests that apply to a task with `tags` still lack, as `#tag: what`:
/// what the brief lists under "access requests waiting for approvals".
pub fn pending_approvals(rules: &Rules, tags: &BTreeSet<String>, memory: &Memory) -> Vec<String> {
    rules
        .access_requests
        .iter()
        .filter(|r| tags.contains(&r.tag) && r.requires.iter().all(|t| tags.contains(t)))
        .flat_map(|rule| {
            rule.approvals
                .iter()
                .filter(|a| approvals_by(rules, memory, &a.approvers).is_empty())
                .map(move |a| format!("#{}: {}", rule.tag, a.name))
        })
        .collect()
}

fn route(plan: &mut Plan<'_>, text: &str) {
    if plan.memory.routed {
        return;
    }
    let routing = &plan.rules.routing;
    let has_team = plan.tags.contains(&routing.unowned_tag)
        || routing.teams.iter().any(|t| plan.tags.contains(&t.tag));
    if has_team {
        return;
    }
    let mut matched = false;
    for team in &routing.teams {
        let by_keyword = team.keywords.iter().find(|k| contains_term(text, k));
        let by_project = team.projects.iter().find(|p| plan.tags.contains(*p));
        let why = match (by_keyword, by_project) {
            (Some(k), _) => format!("the task mentions {k:?}"),
            (None, Some(p)) => format!("the task is in #{p}"),
            (None, None) => continue,
        };
        matched |= plan.add_tag("routing", &team.tag, why);
    }
    if !matched {
        let why = "no team's keywords or projects match this #sre task".to_owned();
        plan.add_tag("routing", &routing.unowned_tag.clone(), why);
    }
}

fn missing_info(plan: &mut Plan<'_>, task: &TaskView, access: &[&AccessRequestRule], now: i64) {
    let Some(rule) = &plan.rules.missing_info else {
        return;
    };
    let new = now.saturating_sub(task.created) <= i64::from(rule.new_within_days) * 86_400;
    if !new {
        return;
    }
    let mut missing = Vec::new();
    if task.description.trim().chars().count() < rule.min_description_chars {
        missing.push(format!(
            "- a description of what is needed and why (at least {} characters)",
            rule.min_description_chars
        ));
    }
    if !access.is_empty() && !has_needed_by(&task.description, &rule.needed_by_label) {
        missing.push(format!(
            "- the date the access is needed by, as a line `{}: YYYY-MM-DD`",
            rule.needed_by_label
        ));
    }
    if missing.is_empty() {
        return;
    }
    let text = rule
        .comment
        .replace("{author}", &task.author)
        .replace("{missing}", &missing.join("\n"));
    let why = format!("the new task lacks {} thing(s) triage needs", missing.len());
    plan.comment("missing-info", text, &why);
}

/// Returns whether every approval is present (and the "all approved" comment is decided or posted).
fn access_request(plan: &mut Plan<'_>, rule: &AccessRequestRule) -> bool {
    let checklist_rule = format!("access-checklist:{}", rule.tag);
    let lines: Vec<String> = rule
        .approvals
        .iter()
        .map(|a| format!("- [ ] {} ({})", a.name, mentions(plan.rules, &a.approvers)))
        .collect();
    let text = format!(
        "This #{} request needs these approvals before SRE can grant it; approvers, please comment \"approved\":\n{}",
        rule.tag,
        lines.join("\n")
    );
    plan.comment(
        &checklist_rule,
        text,
        &format!("#{} requests need approvals", rule.tag),
    );

    let mut given = Vec::new();
    for approval in &rule.approvals {
        match plan.approvals_by(&approval.approvers).into_iter().next() {
            Some(by) => given.push(format!("- [x] {} (@{by})", approval.name)),
            None => return false,
        }
    }
    let done_rule = format!("access-approved:{}", rule.tag);
    let text = format!(
        "Every approval this request needs is here:\n{}\nThe person on clinic duty can grant the access now.",
        given.join("\n")
    );
    plan.comment(
        &done_rule,
        text,
        &format!("every approval of #{} is present", rule.tag),
    );
    true
}

/// Returns whether the request has the approval it needs besides the clinic-duty person's.
fn quota_request(
    plan: &mut Plan<'_>,
    rule: &QuotaRule,
    task: &TaskView,
    on_duty: Option<&OnDuty>,
) -> bool {
    let fields = &rule.fields;
    let current = field_number(&task.description, &fields.current);
    let requested = field_number(&task.description, &fields.requested);
    let storage = field_number(&task.description, &fields.storage_gb);
    let floating = field_number(&task.description, &fields.floating_ips);
    let mut reasons = Vec::new();
    if let (Some(current), Some(requested)) = (current, requested)
        && requested > current * rule.max_increase_factor
    {
        reasons.push(format!(
            "{requested} requested is more than {} times the current {current}",
            rule.max_increase_factor
        ));
    }
    if let Some(gb) = storage.filter(|gb| *gb > rule.max_storage_gb) {
        reasons.push(format!(
            "{gb} GB of storage is more than {} GB",
            rule.max_storage_gb
        ));
    }
    if let Some(ips) = floating.filter(|n| *n > 0.0) {
        reasons.push(format!("it asks for {ips} floating IP(s)"));
    }
    let unreadable = current.is_none() || requested.is_none();
    if unreadable {
        reasons.push(format!(
            "the `{}` and `{}` fields could not be read",
            fields.current, fields.requested
        ));
    }
    if !reasons.is_empty() {
        plan.add_tag(
            "quota-meeting",
            &rule.meeting_tag,
            format!("the weekly meeting reviews it: {}", reasons.join("; ")),
        );
    }
    let meeting = if reasons.is_empty() {
        String::new()
    } else {
        format!(
            "\nIt goes to the weekly meeting (#{}) because {}.",
            rule.meeting_tag,
            reasons.join("; ")
        )
    };
    plan.comment(
        "quota-checklist",
        format!(
            "Quota requests need one approval besides the clinic-duty person's before they are granted \
             (approvers: {}).{meeting}",
            mentions(plan.rules, &rule.approvers)
        ),
        "quota requests need a second approval",
    );
    let approvers: Vec<String> = rule
        .approvers
        .iter()
        .filter(|a| on_duty.is_none_or(|d| d.username != **a))
        .cloned()
        .collect();
    let Some(by) = plan.approvals_by(&approvers).into_iter().next() else {
        return false;
    };
    plan.comment(
        "quota-approved",
        format!(
            "{} approved this quota request; it can be granted.",
            mentions(plan.rules, std::slice::from_ref(&by))
        ),
        &format!("{by} approved, besides the person on clinic duty"),
    );
    true
}

/// The approvers as a comment names them: @mentioned (which subscribes them) or, with
/// `mention_approvers = false`, by plain user name.
fn mentions(rules: &Rules, names: &[String]) -> String {
    let at = if rules.mention_approvers { "@" } else { "" };
    names
        .iter()
        .map(|n| format!("{at}{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `term` occurs in `text` (both lower-case) as whole words.
fn contains_term(text: &str, term: &str) -> bool {
    let term = term.trim().to_lowercase();
    if term.is_empty() {
        return false;
    }
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    text.match_indices(&term).any(|(at, _)| {
        boundary(text[..at].chars().next_back()) && boundary(text[at + term.len()..].chars().next())
    })
}

/// Whether a comment approves: one of its lines starts with an approval phrase.
pub fn is_approval(comment: &str, phrases: &[String]) -> bool {
    comment.lines().any(|line| {
        let line = line.trim().to_lowercase();
        phrases.iter().any(|p| {
            let p = p.to_lowercase();
            line.strip_prefix(&p)
                .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_alphanumeric()))
        })
    })
}

/// The value of a `**Label**: value` or `Label: value` line, as a number (its leading digits).
fn field_value<'a>(description: &'a str, label: &str) -> Option<&'a str> {
    let label = label.to_lowercase();
    description.lines().find_map(|line| {
        let cleaned = line.trim().trim_start_matches(['-', '*', ' ']);
        let (name, value) = cleaned.split_once(':')?;
        let name = name.trim().trim_matches('*').trim().to_lowercase();
        (name == label).then(|| value.trim().trim_start_matches('*').trim())
    })
}

fn field_number(description: &str, label: &str) -> Option<f64> {
    let value = field_value(description, label)?;
    let digits: String = value
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().ok().filter(|n: &f64| n.is_finite())
}

fn has_needed_by(description: &str, label: &str) -> bool {
    field_value(description, label).is_some_and(|value| {
        value
            .split_whitespace()
            .next()
            .is_some_and(|d| d.parse::<jiff::civil::Date>().is_ok())
    })
}

/// The decisions grouped per rule, in the order the rules first decided something.
pub fn by_rule(decisions: &[Decision]) -> BTreeMap<usize, (String, Vec<&Decision>)> {
    let mut groups: BTreeMap<usize, (String, Vec<&Decision>)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for decision in decisions {
        let index = match order.iter().position(|r| *r == decision.rule) {
            Some(i) => i,
            None => {
                order.push(decision.rule.clone());
                order.len() - 1
            }
        };
        groups
            .entry(index)
            .or_insert_with(|| (decision.rule.clone(), Vec::new()))
            .1
            .push(decision);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::parse(include_str!("../../data/triage-rules.toml")).unwrap()
    }

    fn task(title: &str, description: &str, tags: &[&str]) -> TaskView {
        TaskView {
            title: title.into(),
            description: description.into(),
            author: "requester".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            subscribers: BTreeSet::new(),
            priority: 50,
            created: 1_000_000,
        }
    }

    const NOW: i64 = 1_000_100;
    const LONG: &str = "A description long enough for triage, explaining exactly what is needed and why it matters.";

    fn decisions(verdict: Verdict) -> Vec<Decision> {
        match verdict {
            Verdict::Decisions(d) => d,
            other => panic!("expected decisions, got {other:?}"),
        }
    }

    fn actions(verdict: Verdict) -> Vec<Action> {
        decisions(verdict).into_iter().map(|d| d.action).collect()
    }

    fn on_duty() -> OnDuty {
        OnDuty {
            username: "akaur".into(),
            phid: UserPhid::parse("PHID-USER-akaur").unwrap(),
        }
    }

    #[test]
    fn an_sre_task_mentioning_a_teams_keyword_gets_that_teams_tag() {
        let t = task("Elevated 503s from the text cluster", LONG, &["sre"]);
        assert_eq!(
            actions(decide(&rules(), &t, &Memory::default(), None, NOW)),
            vec![Action::AddTag("traffic".into())]
        );
    }

    #[test]
    fn an_sre_task_no_team_matches_gets_sre_unowned_unless_a_person_removed_it() {
        let t = task("Something odd", LONG, &["sre"]);
        assert_eq!(
            actions(decide(&rules(), &t, &Memory::default(), None, NOW)),
            vec![Action::AddTag("sre-unowned".into())]
        );
        let memory = Memory {
            removed_tags: BTreeSet::from(["sre-unowned".to_owned()]),
            ..Memory::default()
        };
        assert_eq!(actions(decide(&rules(), &t, &memory, None, NOW)), vec![]);
    }

    #[test]
    fn once_the_bot_has_routed_a_task_its_tags_are_peoples_and_routing_adds_nothing() {
        // A person took the team tag off again: Clinic must not answer with `sre-unowned`.
        let t = task("Elevated 503s from the text cluster", LONG, &["sre"]);
        let memory = Memory {
            removed_tags: BTreeSet::from(["traffic".to_owned()]),
            routed: true,
            ..Memory::default()
        };
        assert_eq!(actions(decide(&rules(), &t, &memory, None, NOW)), vec![]);
        let unrouted = Memory {
            removed_tags: BTreeSet::from(["traffic".to_owned()]),
            ..Memory::default()
        };
        assert_eq!(
            actions(decide(&rules(), &t, &unrouted, None, NOW)),
            vec![Action::AddTag("sre-unowned".into())]
        );
    }

    #[test]
    fn approvers_are_mentioned_unless_the_rules_say_to_name_them_plainly() {
        let description = format!("{LONG}\nNeeded by: 2027-02-01");
        let t = task("Access for bob", &description, &["sre-access-requests"]);
        let checklist = |rules: &Rules| -> String {
            decisions(decide(rules, &t, &Memory::default(), None, NOW))
                .into_iter()
                .find_map(|d| match d.action {
                    Action::Comment(text) if d.rule.starts_with("access-checklist") => Some(text),
                    _ => None,
                })
                .expect("a checklist comment")
        };
        assert!(checklist(&rules()).contains("@mgr-ops"));
        let mut plain = rules();
        plain.mention_approvers = false;
        let text = checklist(&plain);
        assert!(
            text.contains("mgr-ops") && !text.contains("@mgr-ops"),
            "{text}"
        );
    }

    #[test]
    fn keywords_match_whole_words_only() {
        assert!(contains_term("the cdn is slow", "cdn"));
        assert!(!contains_term("the cdnjs mirror", "cdn"));
        assert!(contains_term(
            "since the deploy, errors",
            "since the deploy"
        ));
        assert!(!contains_term("since the deployment", "since the deploy"));
    }

    #[test]
    fn a_task_in_a_hands_off_project_is_never_touched() {
        let t = task("Buy disks", "", &["sre", "procurement"]);
        assert_eq!(
            decide(&rules(), &t, &Memory::default(), Some(&on_duty()), NOW),
            Verdict::HandsOff {
                project: "procurement".into()
            }
        );
    }

    #[test]
    fn a_mailing_list_request_gets_sre_and_then_a_team() {
        let t = task("Create list foo", LONG, &["wikimedia-mailing-lists"]);
        assert_eq!(
            actions(decide(&rules(), &t, &Memory::default(), None, NOW)),
            vec![
                Action::AddTag("sre".into()),
                Action::AddTag("sre-unowned".into())
            ]
        );
    }

    #[test]
    fn a_task_pointing_at_a_recent_deployment_gets_the_production_error_tag() {
        let t = task("Errors since the deploy", LONG, &["sre", "traffic"]);
        assert_eq!(
            actions(decide(&rules(), &t, &Memory::default(), None, NOW)),
            vec![Action::AddTag("wikimedia-production-error".into())]
        );
    }

    #[test]
    fn a_short_new_task_gets_one_request_addressed_to_its_author() {
        let t = task("Help", "pls", &["sre", "traffic"]);
        let found = decisions(decide(&rules(), &t, &Memory::default(), None, NOW));
        assert_eq!(found.len(), 1);
        let Action::Comment(text) = &found[0].action else {
            panic!("{found:?}")
        };
        assert!(text.starts_with("Hi @requester"), "{text}");
        assert!(text.ends_with(&rule_mark("missing-info")), "{text}");
        let memory = Memory {
            comments_posted: BTreeSet::from(["missing-info".to_owned()]),
            ..Memory::default()
        };
        assert_eq!(actions(decide(&rules(), &t, &memory, None, NOW)), vec![]);
        let old = TaskView {
            created: NOW - 30 * 86_400,
            ..t
        };
        assert_eq!(
            actions(decide(&rules(), &old, &Memory::default(), None, NOW)),
            vec![]
        );
    }

    #[test]
    fn an_access_request_gets_a_checklist_and_when_approved_a_comment_and_the_person_on_duty() {
        let description = format!("{LONG}\nNeeded by: 2027-01-15");
        let t = task("Access for bob", &description, &["sre-access-requests"]);
        let first = decisions(decide(&rules(), &t, &Memory::default(), None, NOW));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].rule, "access-checklist:sre-access-requests");

        let memory = Memory {
            comments_posted: BTreeSet::from(["access-checklist:sre-access-requests".to_owned()]),
            comments: vec![
                ("mgr-ops".into(), "Approved, thanks".into()),
                ("someone".into(), "approved".into()),
            ],
            ..Memory::default()
        };
        assert_eq!(
            actions(decide(&rules(), &t, &memory, Some(&on_duty()), NOW)),
            vec![]
        );
        let mut memory = memory;
        memory
            .comments
            .push(("sre-director".into(), "+1 from me".into()));
        let done = decisions(decide(&rules(), &t, &memory, Some(&on_duty()), NOW));
        let rules_hit: Vec<_> = done.iter().map(|d| d.rule.as_str()).collect();
        assert_eq!(
            rules_hit,
            vec!["access-approved:sre-access-requests", "clinic-duty"]
        );
    }

    #[test]
    fn an_access_request_is_pending_until_every_approval_is_there() {
        let tags = BTreeSet::from(["sre-access-requests".to_owned()]);
        let mut memory = Memory::default();
        assert_eq!(
            pending_approvals(&rules(), &tags, &memory),
            vec![
                "#sre-access-requests: the requester's manager",
                "#sre-access-requests: an SRE director"
            ]
        );
        memory.comments.push(("mgr-ops".into(), "Approved".into()));
        memory.comments.push(("someone".into(), "+1".into()));
        assert_eq!(
            pending_approvals(&rules(), &tags, &memory),
            vec!["#sre-access-requests: an SRE director"]
        );
        memory
            .comments
            .push(("sre-director".into(), "approved".into()));
        assert!(pending_approvals(&rules(), &tags, &memory).is_empty());
        let nda_without_sre = BTreeSet::from(["wmf-nda-requests".to_owned()]);
        assert!(pending_approvals(&rules(), &nda_without_sre, &Memory::default()).is_empty());
    }

    #[test]
    fn an_access_request_without_a_needed_by_date_is_asked_for_one() {
        let t = task("Access for bob", LONG, &["ldap-access-requests"]);
        let found = decisions(decide(&rules(), &t, &Memory::default(), None, NOW));
        let Action::Comment(text) = &found[0].action else {
            panic!("{found:?}")
        };
        assert!(text.contains("Needed by: YYYY-MM-DD"), "{text}");
    }

    #[test]
    fn an_nda_request_needs_sre_as_well() {
        let t = task("NDA for carol", LONG, &["wmf-nda-requests"]);
        assert_eq!(
            actions(decide(&rules(), &t, &Memory::default(), None, NOW)),
            vec![]
        );
    }

    #[test]
    fn a_new_sre_task_needing_triage_gets_the_person_on_duty_unless_they_left() {
        let mut t = task("Elevated 503s", LONG, &["sre", "traffic"]);
        t.priority = 90;
        assert_eq!(
            actions(decide(
                &rules(),
                &t,
                &Memory::default(),
                Some(&on_duty()),
                NOW
            )),
            vec![Action::Subscribe(on_duty().phid)]
        );
        let memory = Memory {
            unsubscribed: BTreeSet::from([on_duty().phid]),
            ..Memory::default()
        };
        assert_eq!(
            actions(decide(&rules(), &t, &memory, Some(&on_duty()), NOW)),
            vec![]
        );
    }

    #[test]
    fn not_sre_work_is_untagged_with_a_reason_only_when_enabled() {
        let t = task("Fix my user script", LONG, &["sre", "traffic"]);
        assert_eq!(
            actions(decide(&rules(), &t, &Memory::default(), None, NOW)),
            vec![]
        );
        let mut enabled = rules();
        if let Some(rule) = enabled.not_sre.as_mut() {
            rule.enabled = true;
        }
        let found = actions(decide(&enabled, &t, &Memory::default(), None, NOW));
        assert_eq!(found.len(), 2);
        assert_eq!(found[1], Action::RemoveTag("sre".into()));
    }

    fn quota(description: &str) -> TaskView {
        task(
            "Quota for tools",
            description,
            &["cloud-vps-quota-requests"],
        )
    }

    #[test]
    fn a_big_quota_request_is_flagged_for_the_meeting_and_a_small_one_is_not() {
        let small = quota(
            "**Current quota**: 8 cores\n**Requested quota**: 16 cores\n**Storage (GB)**: 100\n**Floating IPs**: 0",
        );
        let found = actions(decide(&rules(), &small, &Memory::default(), None, NOW));
        assert_eq!(found.len(), 1, "{found:?}");
        for big in [
            "Current quota: 8\nRequested quota: 17\nStorage (GB): 0\nFloating IPs: 0",
            "Current quota: 8\nRequested quota: 9\nStorage (GB): 301\nFloating IPs: 0",
            "Current quota: 8\nRequested quota: 9\nStorage (GB): 1\nFloating IPs: 1",
        ] {
            let found = actions(decide(&rules(), &quota(big), &Memory::default(), None, NOW));
            assert_eq!(
                found[0],
                Action::AddTag("wmcs-weekly-meeting".into()),
                "{big}"
            );
        }
    }

    #[test]
    fn a_quota_approval_by_the_person_on_duty_alone_is_not_enough() {
        let t = quota("Current quota: 8\nRequested quota: 10");
        let duty = OnDuty {
            username: "wmcs-alice".into(),
            phid: UserPhid::parse("PHID-USER-alice").unwrap(),
        };
        let mut memory = Memory {
            comments_posted: BTreeSet::from(["quota-checklist".to_owned()]),
            comments: vec![("wmcs-alice".into(), "approved".into())],
            ..Memory::default()
        };
        assert_eq!(
            actions(decide(&rules(), &t, &memory, Some(&duty), NOW)),
            vec![]
        );
        memory.comments.push(("wmcs-bob".into(), "Approved".into()));
        let rules_hit: Vec<_> = decisions(decide(&rules(), &t, &memory, Some(&duty), NOW))
            .into_iter()
            .map(|d| d.rule)
            .collect();
        assert_eq!(rules_hit, vec!["quota-approved", "clinic-duty"]);
    }

    #[test]
    fn a_negated_or_embedded_approval_word_does_not_count() {
        let phrases = rules().approval_phrases;
        assert!(is_approval("Approved.", &phrases));
        assert!(!is_approval("not approved yet", &phrases));
        assert!(!is_approval("approvedish", &phrases));
    }

    proptest::proptest! {
        #[test]
        fn deciding_never_panics_on_any_description(description in ".{0,300}", title in ".{0,80}") {
            let mut t = task(&title, &description, &["sre", "sre-access-requests", "cloud-vps-quota-requests"]);
            t.priority = 90;
            let _ = decide(&rules(), &t, &Memory::default(), Some(&on_duty()), NOW);
        }
    }
}
