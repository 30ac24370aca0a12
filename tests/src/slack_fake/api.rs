//! The Web API methods the fake answers, in Slack's documented request and answer shapes
//! (`tests/fixtures/slack/`): `auth.test`, `chat.postMessage`, `conversations.history`,
//! `conversations.info`, `conversations.setTopic`, `usergroups.users.update`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

/// The bot the fake's token belongs to (what `auth.test` answers).
pub const BOT_USER_ID: &str = "U0CLINICBOT";
pub const BOT_ID: &str = "B0CLINICBOT";
const TEAM_ID: &str = "T0CLINIC01";
/// Slack cuts a topic at 250 characters and a message's text at 40,000.
const MAX_TOPIC: usize = 250;
const MAX_TEXT: usize = 40_000;
/// `conversations.history`'s `limit`: 100 when not given, at most 999.
const DEFAULT_HISTORY: usize = 100;
const MAX_HISTORY: usize = 999;

#[derive(Debug, Clone, Serialize)]
pub struct Channel {
    pub name: String,
    /// Whether the bot is in the channel: posting to one it is not in is `not_in_channel`.
    pub member: bool,
    pub topic: String,
    /// Oldest first.
    pub messages: Vec<Value>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Workspace {
    pub channels: BTreeMap<String, Channel>,
    /// User group id -> its members' ids, in the order last set.
    pub usergroups: BTreeMap<String, Vec<String>>,
    #[serde(skip)]
    next_ts: u64,
}

/// A method's arguments as Slack reads them: form fields or a JSON object's members.
pub struct Arguments(pub BTreeMap<String, Value>);

impl Arguments {
    fn text(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.text(name).as_deref(), Some("true" | "1"))
    }
}

pub fn failed(error: &str) -> Value {
    json!({"ok": false, "error": error})
}

/// Slack's user ids: `U` or `W` and upper-case letters and digits.
fn is_user_id(text: &str) -> bool {
    (9..=21).contains(&text.len())
        && (text.starts_with('U') || text.starts_with('W'))
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Workspace {
    pub fn add_channel(&mut self, id: &str, name: &str, member: bool) {
        self.channels.insert(
            id.to_owned(),
            Channel {
                name: name.to_owned(),
                member,
                topic: String::new(),
                messages: Vec::new(),
            },
        );
    }

    pub fn add_usergroup(&mut self, id: &str) {
        self.usergroups.entry(id.to_owned()).or_default();
    }

    /// `1700000000.000100`, `1700000000.000200`, ...: unique and increasing, as Slack's are.
    fn next_ts(&mut self) -> String {
        self.next_ts += 1;
        let micros = self.next_ts * 100;
        format!(
            "{}.{:06}",
            1_700_000_000 + micros / 1_000_000,
            micros % 1_000_000
        )
    }

    /// The answer to `method`; an unknown method is `unknown_method`, as Slack says.
    pub fn call(&mut self, method: &str, args: &Arguments) -> Value {
        match method {
            "auth.test" => json!({
                "ok": true, "url": "https://clinic-test.slack.com/", "team": "Clinic Test",
                "user": "clinic", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
            }),
            "chat.postMessage" => self.post_message(args),
            "conversations.history" => self.history(args),
            "conversations.info" => self.info(args),
            "conversations.setTopic" => self.set_topic(args),
            "usergroups.users.update" => self.update_usergroup(args),
            _ => failed("unknown_method"),
        }
    }

    fn channel(&mut self, args: &Arguments, needs_member: bool) -> Result<&mut Channel, Value> {
        let id = args
            .text("channel")
            .ok_or_else(|| failed("channel_not_found"))?;
        let channel = self
            .channels
            .get_mut(&id)
            .ok_or_else(|| failed("channel_not_found"))?;
        if needs_member && !channel.member {
            return Err(failed("not_in_channel"));
        }
        Ok(channel)
    }

    fn post_message(&mut self, args: &Arguments) -> Value {
        let text = args.text("text").unwrap_or_default();
        if text.trim().is_empty() {
            return failed("no_text");
        }
        if text.chars().count() > MAX_TEXT {
            return failed("msg_too_long");
        }
        let metadata = match args.0.get("metadata") {
            None => None,
            // Form callers send the metadata as a JSON string.
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v) => Some(v),
                Err(_) => return failed("invalid_metadata_format"),
            },
            Some(v) => Some(v.clone()),
        };
        if let Some(m) = &metadata
            && (!m["event_type"].is_string() || !m["event_payload"].is_object())
        {
            return failed("invalid_metadata_format");
        }
        let ts = self.next_ts();
        let channel_id = args.text("channel").unwrap_or_default();
        let channel = match self.channel(args, true) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let mut message = json!({
            "type": "message", "subtype": "bot_message", "text": text, "user": BOT_USER_ID,
            "bot_id": BOT_ID, "app_id": "A0CLINICAPP", "team": TEAM_ID, "ts": ts,
        });
        if let Some(m) = metadata {
            message["metadata"] = m;
        }
        channel.messages.push(message.clone());
        json!({"ok": true, "channel": channel_id, "ts": ts, "message": message})
    }

    fn history(&mut self, args: &Arguments) -> Value {
        let limit = args
            .text("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(DEFAULT_HISTORY)
            .clamp(1, MAX_HISTORY);
        let with_metadata = args.flag("include_all_metadata");
        let channel = match self.channel(args, true) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let newest_first: Vec<Value> = channel
            .messages
            .iter()
            .rev()
            .take(limit)
            .map(|m| {
                let mut m = m.clone();
                if !with_metadata && let Some(o) = m.as_object_mut() {
                    o.remove("metadata");
                }
                m
            })
            .collect();
        let has_more = channel.messages.len() > limit;
        json!({
            "ok": true, "messages": newest_first, "has_more": has_more, "pin_count": 0,
            "response_metadata": {"next_cursor": if has_more { "bmV4dF90czox" } else { "" }},
        })
    }

    fn info(&mut self, args: &Arguments) -> Value {
        let id = args.text("channel").unwrap_or_default();
        let channel = match self.channel(args, false) {
            Ok(c) => c,
            Err(e) => return e,
        };
        json!({"ok": true, "channel": {
            "id": id, "name": channel.name, "is_channel": true, "is_member": channel.member,
            "topic": {"value": channel.topic, "creator": BOT_USER_ID, "last_set": 1_700_000_000},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }})
    }

    fn set_topic(&mut self, args: &Arguments) -> Value {
        let Some(topic) = args.text("topic") else {
            return failed("invalid_arguments");
        };
        if topic.chars().count() > MAX_TOPIC {
            return failed("too_long");
        }
        let id = args.text("channel").unwrap_or_default();
        let channel = match self.channel(args, true) {
            Ok(c) => c,
            Err(e) => return e,
        };
        channel.topic = topic.clone();
        json!({"ok": true, "channel": {"id": id, "name": channel.name,
               "topic": {"value": topic, "creator": BOT_USER_ID, "last_set": 1_700_000_000}}})
    }

    fn update_usergroup(&mut self, args: &Arguments) -> Value {
        let Some(group) = args.text("usergroup") else {
            return failed("invalid_arguments");
        };
        let users: Vec<String> = args
            .text("users")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if users.is_empty() {
            return failed("no_users_provided");
        }
        if !users.iter().all(|u| is_user_id(u)) {
            return failed("invalid_users");
        }
        let Some(members) = self.usergroups.get_mut(&group) else {
            return failed("no_such_subteam");
        };
        *members = users.clone();
        json!({"ok": true, "usergroup": {
            "id": group, "team_id": TEAM_ID, "is_usergroup": true, "users": users,
            "user_count": users.len(),
        }})
    }
}
