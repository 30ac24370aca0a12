//! What triage knows about Phabricator, parsed at the edge: PHIDs as validated newtypes, a task and
//! its transactions as Conduit describes them, and what a human or the bot did in its history.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a PHID was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a {kind} PHID")]
pub struct PhidError {
    pub kind: &'static str,
    pub text: String,
}

macro_rules! phid {
    ($name:ident, $prefix:literal, $kind:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, PhidError> {
                let rest = text.strip_prefix($prefix).unwrap_or_default();
                let valid = !rest.is_empty()
                    && text.len() <= 64
                    && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if valid {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(PhidError {
                        kind: $kind,
                        text: text.chars().take(80).collect(),
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = PhidError;
            fn try_from(text: String) -> Result<Self, PhidError> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(phid: $name) -> String {
                phid.0
            }
        }
    };
}

phid!(TaskPhid, "PHID-TASK-", "task");
phid!(UserPhid, "PHID-USER-", "user");
phid!(ProjectPhid, "PHID-PROJ-", "project");
phid!(TransactionPhid, "PHID-XACT-", "transaction");

/// A Maniphest task as `maniphest.search` returns it, with its project and subscriber attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub phid: TaskPhid,
    pub id: u64,
    pub title: String,
    pub description: String,
    pub author: UserPhid,
    pub status: String,
    pub priority: i64,
    pub created: i64,
    pub projects: BTreeSet<ProjectPhid>,
    pub subscribers: BTreeSet<UserPhid>,
    /// The Space the task is in (`PHID-SPCE-...`), if Spaces are in use.
    pub space: Option<String>,
    /// Who may see it (`policy.view`): `public`, `users`, a project's or a custom policy's PHID.
    pub view_policy: String,
}

/// One add or remove of a project or subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeChange {
    pub added: bool,
    pub phid: String,
}

/// One transaction of a task's history. The author is kept as text: applications (Herald, for
/// instance) author transactions too, and they are never the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub phid: TransactionPhid,
    pub id: u64,
    pub author: String,
    pub kind: String,
    pub created: i64,
    pub comment: Option<String>,
    pub changes: Vec<EdgeChange>,
}

/// What a task's history says about the people on it, read once per delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFacts {
    /// Projects a person (not the bot) removed: the bot never adds them back.
    pub projects_removed_by_people: BTreeSet<ProjectPhid>,
    /// Projects the bot itself added at some point: routing happened once these include a team.
    pub projects_added_by_bot: BTreeSet<ProjectPhid>,
    /// Users a person unsubscribed (often themselves): the bot never subscribes them again.
    pub unsubscribed_by_people: BTreeSet<UserPhid>,
    /// Rules whose comment the bot already posted, recognised by the rule mark in the text.
    pub rule_comments: BTreeSet<String>,
    /// Comments by people, oldest first, for approvals.
    pub comments: Vec<(UserPhid, String)>,
    pub last_transaction_id: u64,
    /// When a person (a user other than the bot) last changed the task (epoch seconds; 0 if never).
    pub last_human_activity: i64,
    /// When the bot last posted each rule's comment (epoch seconds).
    pub rule_comment_times: BTreeMap<String, i64>,
}

/// The mark every bot comment ends with, so that the rule that wrote it is known from the task alone.
pub fn rule_mark(rule: &str) -> String {
    format!("(Clinic triage, rule `{rule}`)")
}

impl HistoryFacts {
    pub fn read(history: &[Transaction], bot: &UserPhid) -> Self {
        let mut facts = Self::default();
        let mut ordered: Vec<&Transaction> = history.iter().collect();
        ordered.sort_by_key(|t| t.id);
        for transaction in ordered {
            facts.last_transaction_id = facts.last_transaction_id.max(transaction.id);
            let by_bot = transaction.author == bot.as_str();
            // Applications (Herald, for instance) author transactions too; they are not people.
            if !by_bot && transaction.author.starts_with("PHID-USER-") {
                facts.last_human_activity = facts.last_human_activity.max(transaction.created);
            }
            if let Some(text) = &transaction.comment {
                if by_bot {
                    for rule in marked_rules(text) {
                        let at = facts.rule_comment_times.entry(rule.clone()).or_default();
                        *at = (*at).max(transaction.created);
                        facts.rule_comments.insert(rule);
                    }
                } else if let Ok(author) = UserPhid::parse(&transaction.author) {
                    facts.comments.push((author, text.clone()));
                }
            }
            if by_bot {
                if transaction.kind == "projects" {
                    facts.projects_added_by_bot.extend(
                        transaction
                            .changes
                            .iter()
                            .filter(|c| c.added)
                            .filter_map(|c| ProjectPhid::parse(&c.phid).ok()),
                    );
                }
                continue;
            }
            for change in transaction.changes.iter().filter(|c| !c.added) {
                match transaction.kind.as_str() {
                    "projects" => {
                        if let Ok(project) = ProjectPhid::parse(&change.phid) {
                            facts.projects_removed_by_people.insert(project);
                        }
                    }
                    "subscribers" => {
                        if let Ok(user) = UserPhid::parse(&change.phid) {
                            facts.unsubscribed_by_people.insert(user);
                        }
                    }
                    _ => {}
                }
            }
        }
        facts
    }
}

fn marked_rules(text: &str) -> Vec<String> {
    const OPEN: &str = "(Clinic triage, rule `";
    let mut rules = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        rest = &rest[start + OPEN.len()..];
        if let Some(end) = rest.find("`)") {
            rules.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    rules
}

/// The two-way map between the names the rules give projects and the projects' PHIDs. A project
/// may have several names in the rules (its slug and an additional hashtag, or two cases of one);
/// a subproject or milestone of a project counts as that project (a task on `#sre`'s milestone is
/// SRE work), but is never what the rules add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectDirectory {
    by_slug: BTreeMap<String, ProjectPhid>,
    by_phid: BTreeMap<ProjectPhid, BTreeSet<String>>,
}

impl ProjectDirectory {
    pub fn new(pairs: impl IntoIterator<Item = (String, ProjectPhid)>) -> Self {
        let mut directory = Self::default();
        for (slug, phid) in pairs {
            directory
                .by_phid
                .entry(phid.clone())
                .or_default()
                .insert(slug.clone());
            directory.by_slug.insert(slug, phid);
        }
        directory
    }

    /// Counts each of `descendants` as the project `slug` names (when the rules name it).
    pub fn with_descendants(
        mut self,
        slug: &str,
        descendants: impl IntoIterator<Item = ProjectPhid>,
    ) -> Self {
        if self.by_slug.contains_key(slug) {
            for phid in descendants {
                self.by_phid
                    .entry(phid)
                    .or_default()
                    .insert(slug.to_owned());
            }
        }
        self
    }

    pub fn phid(&self, slug: &str) -> Option<&ProjectPhid> {
        self.by_slug.get(slug)
    }

    /// Every name the rules give the projects `phids`.
    pub fn slugs_of<'a>(
        &self,
        phids: impl IntoIterator<Item = &'a ProjectPhid>,
    ) -> BTreeSet<String> {
        phids
            .into_iter()
            .filter_map(|p| self.by_phid.get(p))
            .flatten()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transaction(id: u64, author: &str, kind: &str) -> Transaction {
        Transaction {
            phid: TransactionPhid::parse(&format!("PHID-XACT-TASK-{id:014}")).unwrap(),
            id,
            author: author.into(),
            kind: kind.into(),
            created: 0,
            comment: None,
            changes: vec![],
        }
    }

    #[test]
    fn phids_of_the_wrong_kind_or_shape_are_refused() {
        assert!(TaskPhid::parse("PHID-TASK-5oforeqhlcfx2fn6dvoz").is_ok());
        assert!(TaskPhid::parse("PHID-PROJ-5oforeqhlcfx2fn6dvoz").is_err());
        assert!(TaskPhid::parse("PHID-TASK-").is_err());
        assert!(TaskPhid::parse("PHID-TASK-a b").is_err());
        assert!(UserPhid::parse(&format!("PHID-USER-{}", "a".repeat(80))).is_err());
    }

    #[test]
    fn removals_by_people_count_and_removals_by_the_bot_do_not() {
        let bot = UserPhid::parse("PHID-USER-bot").unwrap();
        let mut by_person = transaction(1, "PHID-USER-alice", "projects");
        by_person.changes = vec![EdgeChange {
            added: false,
            phid: "PHID-PROJ-unowned".into(),
        }];
        let mut by_bot = transaction(2, "PHID-USER-bot", "projects");
        by_bot.changes = vec![EdgeChange {
            added: false,
            phid: "PHID-PROJ-sre".into(),
        }];
        let facts = HistoryFacts::read(&[by_bot, by_person], &bot);
        let removed: Vec<_> = facts
            .projects_removed_by_people
            .iter()
            .map(|p| p.as_str())
            .collect();
        assert_eq!(removed, vec!["PHID-PROJ-unowned"]);
        assert_eq!(facts.last_transaction_id, 2);
    }

    #[test]
    fn the_bots_own_comments_are_recognised_by_their_rule_mark() {
        let bot = UserPhid::parse("PHID-USER-bot").unwrap();
        let mut comment = transaction(3, "PHID-USER-bot", "comment");
        comment.comment = Some(format!(
            "Please add details.\n\n{}",
            rule_mark("missing-info")
        ));
        let mut forged = transaction(4, "PHID-USER-mallory", "comment");
        forged.comment = Some(rule_mark("access-checklist"));
        let facts = HistoryFacts::read(&[comment, forged], &bot);
        assert_eq!(
            facts.rule_comments,
            BTreeSet::from(["missing-info".to_owned()])
        );
        assert_eq!(facts.comments.len(), 1);
    }

    #[test]
    fn the_last_activity_is_the_last_change_by_a_person_not_the_bot_or_herald() {
        let bot = UserPhid::parse("PHID-USER-bot").unwrap();
        let mut by_person = transaction(1, "PHID-USER-alice", "comment");
        by_person.created = 1_000;
        let mut by_herald = transaction(2, "PHID-HRUL-herald", "projects");
        by_herald.created = 2_000;
        let mut by_bot = transaction(3, "PHID-USER-bot", "comment");
        by_bot.created = 9_000;
        by_bot.comment = Some(rule_mark("stale-follow-up"));
        let facts = HistoryFacts::read(&[by_bot, by_person, by_herald], &bot);
        assert_eq!(facts.last_human_activity, 1_000);
        assert_eq!(facts.rule_comment_times["stale-follow-up"], 9_000);
    }
}
