//! The Conduit adapter: `POST <PHABRICATOR_URL>/api/<method>`, form-encoded with the parameters as JSON
//! in `params` (the token inside, in `__conduit__`), and errors read from `error_code` even on HTTP 200.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::adapters::sdk::CallBudget;
use crate::http_url::HttpUrl;
use crate::secret::Secret;
use crate::triage::model::{
    EdgeChange, ProjectPhid, Task, TaskPhid, Transaction, TransactionPhid, UserPhid,
};
use crate::triage::ports::{Conduit, ConduitError, Edit, User};

/// Phorge gives up on a delivery after 15 s; a Conduit call must leave room for the others: it gets
/// what a table call of the webhook gets.
const TIMEOUT: Duration = CallBudget::WEBHOOK.total();
/// Opening a connection: room for one lost SYN (resent after 1 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// A task's history longer than this many pages (of 100) is read no further.
const MAX_PAGES: usize = 20;

pub struct ConduitClient {
    http: reqwest::Client,
    base: HttpUrl,
    token: Secret,
}

#[derive(Deserialize)]
struct Envelope {
    result: Option<Value>,
    error_code: Option<String>,
    error_info: Option<String>,
}

impl ConduitClient {
    pub fn new(base: HttpUrl, token: Secret) -> Result<Self, ConduitError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent("clinic-triage")
            .build()
            .map_err(|e| ConduitError::Transport {
                method: "(client)",
                message: e.to_string(),
            })?;
        Ok(Self { http, base, token })
    }

    async fn call(&self, method: &'static str, mut params: Value) -> Result<Value, ConduitError> {
        params["__conduit__"] = json!({ "token": self.token.expose() });
        let form = [
            ("params", params.to_string()),
            ("output", "json".to_owned()),
        ];
        let response = self
            .http
            .post(format!("{}/api/{method}", self.base.as_str()))
            .form(&form)
            .send()
            .await
            .map_err(|e| ConduitError::Transport {
                method,
                // reqwest's message names the URL, never the form body, so the token stays out of it.
                message: e.to_string(),
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(ConduitError::Status {
                method,
                status: status.as_u16(),
            });
        }
        let envelope: Envelope = response.json().await.map_err(|e| ConduitError::Malformed {
            method,
            reason: e.to_string(),
        })?;
        if let Some(code) = envelope.error_code {
            return Err(ConduitError::Api {
                method,
                code,
                info: envelope.error_info.unwrap_or_default(),
            });
        }
        envelope.result.ok_or(ConduitError::Malformed {
            method,
            reason: "no result and no error".into(),
        })
    }
}

fn malformed(method: &'static str, reason: impl ToString) -> ConduitError {
    ConduitError::Malformed {
        method,
        reason: reason.to_string(),
    }
}

fn data(method: &'static str, result: &Value) -> Result<Vec<Value>, ConduitError> {
    result
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| malformed(method, "no `data` list"))
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn parse_user(method: &'static str, value: &Value) -> Result<User, ConduitError> {
    let phid = text(value, "/phid").ok_or_else(|| malformed(method, "a user without phid"))?;
    let username = text(value, "/fields/username")
        .or_else(|| text(value, "/userName"))
        .ok_or_else(|| malformed(method, "a user without a user name"))?;
    Ok(User {
        phid: UserPhid::parse(phid).map_err(|e| malformed(method, e))?,
        username: username.to_owned(),
    })
}

/// A transaction from `transaction.search`.
pub fn parse_transaction(value: &Value) -> Result<Transaction, ConduitError> {
    const M: &str = "transaction.search";
    let phid = text(value, "/phid").ok_or_else(|| malformed(M, "a transaction without phid"))?;
    let comment = value
        .get("comments")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("removed") != Some(&Value::Bool(true)))
        })
        .and_then(|c| text(c, "/content/raw"))
        .map(str::to_owned);
    let changes = value
        .pointer("/fields/operations")
        .and_then(Value::as_array)
        .map(|ops| {
            ops.iter()
                .filter_map(|op| {
                    Some(EdgeChange {
                        added: text(op, "/operation")? == "add",
                        phid: text(op, "/phid")?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Transaction {
        phid: TransactionPhid::parse(phid).map_err(|e| malformed(M, e))?,
        id: value.get("id").and_then(Value::as_u64).unwrap_or_default(),
        author: text(value, "/authorPHID").unwrap_or_default().to_owned(),
        kind: text(value, "/type").unwrap_or_default().to_owned(),
        created: value
            .get("dateCreated")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
        comment,
        changes,
    })
}

/// A task from `maniphest.search` with the projects and subscribers attachments.
pub fn parse_task(value: &Value) -> Result<Task, ConduitError> {
    const M: &str = "maniphest.search";
    let phids = |pointer: &str| -> Vec<String> {
        value
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Task {
        phid: TaskPhid::parse(text(value, "/phid").unwrap_or_default())
            .map_err(|e| malformed(M, e))?,
        id: value.get("id").and_then(Value::as_u64).unwrap_or_default(),
        title: text(value, "/fields/name").unwrap_or_default().to_owned(),
        description: text(value, "/fields/description/raw")
            .unwrap_or_default()
            .to_owned(),
        author: UserPhid::parse(text(value, "/fields/authorPHID").unwrap_or_default())
            .map_err(|e| malformed(M, e))?,
        status: text(value, "/fields/status/value")
            .unwrap_or_default()
            .to_owned(),
        priority: value
            .pointer("/fields/priority/value")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
        created: value
            .pointer("/fields/dateCreated")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
        // Projects and subscribers that are not of the expected kind (a project as subscriber) are skipped.
        projects: phids("/attachments/projects/projectPHIDs")
            .iter()
            .filter_map(|p| ProjectPhid::parse(p).ok())
            .collect(),
        subscribers: phids("/attachments/subscribers/subscriberPHIDs")
            .iter()
            .filter_map(|p| UserPhid::parse(p).ok())
            .collect(),
        space: text(value, "/fields/spacePHID").map(str::to_owned),
        // A task without a readable policy is treated as restricted, never as public.
        view_policy: text(value, "/fields/policy/view")
            .unwrap_or("unknown")
            .to_owned(),
    })
}

#[async_trait]
impl Conduit for ConduitClient {
    async fn whoami(&self) -> Result<User, ConduitError> {
        let result = self.call("user.whoami", json!({})).await?;
        parse_user("user.whoami", &result)
    }

    async fn transactions(&self, task: &TaskPhid) -> Result<Vec<Transaction>, ConduitError> {
        const M: &str = "transaction.search";
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = json!({ "objectIdentifier": task.as_str(), "limit": 100 });
            if let Some(cursor) = &after {
                params["after"] = json!(cursor);
            }
            let result = self.call(M, params).await?;
            for value in data(M, &result)? {
                all.push(parse_transaction(&value)?);
            }
            after = match result.pointer("/cursor/after") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            if after.is_none() {
                break;
            }
        }
        Ok(all)
    }

    async fn task(&self, task: &TaskPhid) -> Result<Option<Task>, ConduitError> {
        const M: &str = "maniphest.search";
        let result = self
            .call(
                M,
                json!({
                    "constraints": { "phids": [task.as_str()] },
                    "attachments": { "projects": true, "subscribers": true },
                }),
            )
            .await?;
        data(M, &result)?.first().map(parse_task).transpose()
    }

    async fn projects(&self, slugs: &[String]) -> Result<Vec<(String, ProjectPhid)>, ConduitError> {
        const M: &str = "project.search";
        let result = self
            .call(
                M,
                json!({ "constraints": { "slugs": slugs }, "limit": 100 }),
            )
            .await?;
        let found = data(M, &result)?;
        // Phorge says which project each asked name matched in `maps.slugMap` (an additional
        // hashtag, another case); without it, a project's primary slug is all there is to go on.
        let slug_map = result.pointer("/maps/slugMap").and_then(Value::as_object);
        let mut pairs = Vec::new();
        for asked in slugs {
            let mapped = slug_map.and_then(|m| {
                m.get(asked.as_str())
                    .or_else(|| m.get(asked.to_lowercase().as_str()))
            });
            let phid = match mapped {
                Some(entry) => text(entry, "/projectPHID").map(str::to_owned),
                None => found
                    .iter()
                    .find(|p| {
                        text(p, "/fields/slug").is_some_and(|s| s.eq_ignore_ascii_case(asked))
                    })
                    .and_then(|p| text(p, "/phid"))
                    .map(str::to_owned),
            };
            if let Some(phid) = phid {
                let phid = ProjectPhid::parse(&phid).map_err(|e| malformed(M, e))?;
                pairs.push((asked.clone(), phid));
            }
        }
        Ok(pairs)
    }

    async fn descendants(
        &self,
        projects: &[ProjectPhid],
    ) -> Result<Vec<ProjectPhid>, ConduitError> {
        const M: &str = "project.search";
        /// Pages of 100: a project tree deeper than this is not one a team triages by.
        const MAX_PAGES: usize = 20;
        if projects.is_empty() {
            return Ok(Vec::new());
        }
        let ancestors: Vec<&str> = projects.iter().map(ProjectPhid::as_str).collect();
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = json!({ "constraints": { "ancestors": ancestors }, "limit": 100 });
            if let Some(cursor) = &after {
                params["after"] = json!(cursor);
            }
            let result = self.call(M, params).await?;
            for p in data(M, &result)? {
                let phid = ProjectPhid::parse(text(&p, "/phid").unwrap_or_default())
                    .map_err(|e| malformed(M, e))?;
                found.push(phid);
            }
            after = text(&result, "/cursor/after").map(str::to_owned);
            if after.is_none() {
                return Ok(found);
            }
        }
        Err(malformed(M, "more than 2,000 subprojects and milestones"))
    }

    async fn spaces(&self, monograms: &[String]) -> Result<Vec<(String, String)>, ConduitError> {
        const M: &str = "phid.lookup";
        if monograms.is_empty() {
            return Ok(Vec::new());
        }
        let result = self.call(M, json!({ "names": monograms })).await?;
        // PHP encodes an empty map as `[]`: a real Phorge answers that when no name matched.
        let empty = serde_json::Map::new();
        let found = match &result {
            Value::Object(found) => found,
            Value::Array(list) if list.is_empty() => &empty,
            _ => return Err(malformed(M, "the answer is not a map of names")),
        };
        Ok(monograms
            .iter()
            .filter_map(|name| {
                let phid = found.get(name).and_then(|v| text(v, "/phid"))?;
                phid.starts_with("PHID-SPCE-")
                    .then(|| (name.clone(), phid.to_owned()))
            })
            .collect())
    }

    async fn users(
        &self,
        usernames: &[String],
        phids: &[UserPhid],
    ) -> Result<Vec<User>, ConduitError> {
        const M: &str = "user.search";
        let mut constraints = serde_json::Map::new();
        if !usernames.is_empty() {
            constraints.insert("usernames".into(), json!(usernames));
        }
        if !phids.is_empty() {
            let phids: Vec<&str> = phids.iter().map(UserPhid::as_str).collect();
            constraints.insert("phids".into(), json!(phids));
        }
        let result = self
            .call(M, json!({ "constraints": constraints, "limit": 100 }))
            .await?;
        data(M, &result)?.iter().map(|u| parse_user(M, u)).collect()
    }

    async fn edit(
        &self,
        task: &TaskPhid,
        edits: &[Edit],
    ) -> Result<Vec<TransactionPhid>, ConduitError> {
        const M: &str = "maniphest.edit";
        let phids = |list: &[String]| json!(list);
        let transactions: Vec<Value> = edits
            .iter()
            .map(|edit| match edit {
                Edit::AddProjects(p) => json!({ "type": "projects.add", "value": phids(&p.iter().map(|p| p.to_string()).collect::<Vec<_>>()) }),
                Edit::RemoveProjects(p) => json!({ "type": "projects.remove", "value": phids(&p.iter().map(|p| p.to_string()).collect::<Vec<_>>()) }),
                Edit::Subscribe(u) => json!({ "type": "subscribers.add", "value": phids(&u.iter().map(|u| u.to_string()).collect::<Vec<_>>()) }),
                Edit::Comment(text) => json!({ "type": "comment", "value": text }),
            })
            .collect();
        let result = self
            .call(
                M,
                json!({ "objectIdentifier": task.as_str(), "transactions": transactions }),
            )
            .await?;
        result
            .get("transactions")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(M, "no `transactions` list"))?
            .iter()
            .map(|t| {
                TransactionPhid::parse(text(t, "/phid").unwrap_or_default())
                    .map_err(|e| malformed(M, e))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captured_transaction_search_page_is_read_with_comments_and_project_changes() {
        let page: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/phabricator/transaction-search-page.json"
        ))
        .unwrap();
        let transactions: Vec<Transaction> = page["result"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| parse_transaction(t).unwrap())
            .collect();
        let comment = transactions.iter().find(|t| t.kind == "comment").unwrap();
        assert!(comment.comment.as_deref().unwrap().contains("503"));
        let projects = transactions.iter().find(|t| t.kind == "projects").unwrap();
        assert_eq!(projects.changes.len(), 2);
        assert!(projects.changes[0].added && !projects.changes[1].added);
    }
}
