//! Where a function posts its event posts (incidents, maintenance, the review list): the chat
//! networks ([`ChatConfig`]) and the rooms of the duty rotation, as the roster (`CLINIC_ROSTER`)
//! names them. Without a roster, or a rotation without chat settings, there is no room and nothing
//! is posted.

use super::chat::chat;
use super::variables::Variables;
use super::{ChatConfig, vars};
use crate::chat::{ChatRoom, rooms_of};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventChat {
    pub networks: ChatConfig,
    pub rooms: Vec<ChatRoom>,
}

/// Reads the chat networks and the rooms of `rotation` in the roster. A roster that cannot be read,
/// or one without `rotation`, is a problem: posts would silently go nowhere.
pub(super) fn event_chat(variables: &mut Variables<'_>, rotation: Option<&str>) -> EventChat {
    let networks = chat(variables);
    let roster = variables.optional_parsed(vars::ROSTER, |path: &str| {
        use crate::reviewed_file::ReviewedFile as _;
        crate::rotation::roster::Roster::load(std::path::Path::new(path))
            .map_err(|e| format!("names a roster Clinic cannot use: {e}"))
    });
    let rooms = match (roster, rotation) {
        (Some(roster), Some(rotation)) => match roster.rotation(rotation) {
            Some(rules) => rules.chat.as_ref().map(rooms_of).unwrap_or_default(),
            None => {
                variables.problem(
                    vars::DUTY_ROTATION,
                    format!(
                        "names {rotation:?}, which the roster in {} does not have (it has {})",
                        vars::ROSTER,
                        roster.rotation_list()
                    ),
                );
                Vec::new()
            }
        },
        _ => Vec::new(),
    };
    EventChat { networks, rooms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;
    use crate::config::{FromVariables, MaintenanceMailConfig, VictorOpsWebhookConfig};

    fn roster_file(text: &str) -> tempfile_path::Path {
        tempfile_path::Path::with(text)
    }

    /// A roster file written for one test, removed after it.
    mod tempfile_path {
        pub struct Path(pub std::path::PathBuf);
        impl Path {
            pub fn with(text: &str) -> Self {
                let path = std::env::temp_dir().join(format!(
                    "clinic-event-chat-{}.toml",
                    uuid::Uuid::new_v4().simple()
                ));
                std::fs::write(&path, text).unwrap();
                Self(path)
            }
            pub fn as_str(&self) -> &str {
                self.0.to_str().unwrap()
            }
        }
        impl Drop for Path {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    /// The example roster, its clinic-duty rotation talking in one Slack channel and one Matrix room.
    /// The demo roster, whose sre-clinic rotation names a Slack channel and a Matrix room.
    fn example_roster() -> String {
        let path = format!("{}/../events/roster.toml", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    const WEBHOOK: &[(&str, &str)] = &[
        ("CLINIC_TABLE", "t-able"),
        ("CLINIC_SENDER", "c@example.org"),
        ("VICTOROPS_WEBHOOK_SECRET", "0123456789abcdef"),
        ("STATUSPAGE_API_URL", "https://api.statuspage.io/v1"),
        ("STATUSPAGE_API_KEY", "key"),
        ("STATUSPAGE_PAGE_ID", "page1"),
        ("CLINIC_INCIDENT_MAPPING", "mapping.toml"),
    ];

    #[test]
    fn the_duty_rotations_rooms_come_from_the_roster_and_an_unknown_rotation_is_a_problem() {
        let roster = roster_file(&example_roster());
        let with = |rotation: &'static str| {
            let mut vars: Vec<(&str, &str)> = WEBHOOK.to_vec();
            vars.push(("CLINIC_DUTY_ROTATION", rotation));
            vars.push(("CLINIC_ROSTER", roster.as_str()));
            VictorOpsWebhookConfig::from_lookup(lookup(&vars))
        };
        let config = with("sre-clinic").unwrap();
        assert_eq!(config.chat.networks, ChatConfig::default());
        let rooms: Vec<String> = config.chat.rooms.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            rooms,
            vec![
                "slack:C0SRECLINIC",
                "matrix:!sreClinicRoom:matrix.example.net"
            ]
        );
        assert!(
            with("cloud-clinic").unwrap().chat.rooms.is_empty(),
            "a rotation without chat settings has no room"
        );
        let err = with("no-such-rotation").unwrap_err();
        assert!(
            err.to_string()
                .contains("CLINIC_DUTY_ROTATION names \"no-such-rotation\", which the roster"),
            "{err}"
        );
    }

    #[test]
    fn without_a_roster_there_is_no_room_and_a_bad_roster_is_a_problem() {
        let mut vars: Vec<(&str, &str)> = WEBHOOK.to_vec();
        vars.push(("CLINIC_DUTY_ROTATION", "sre-clinic"));
        let config = VictorOpsWebhookConfig::from_lookup(lookup(&vars)).unwrap();
        assert!(config.chat.rooms.is_empty());
        let broken = roster_file("[[person]\n");
        vars.push(("CLINIC_ROSTER", broken.as_str()));
        let err = VictorOpsWebhookConfig::from_lookup(lookup(&vars)).unwrap_err();
        assert!(
            err.to_string()
                .contains("CLINIC_ROSTER names a roster Clinic cannot use"),
            "{err}"
        );
        let maintenance = MaintenanceMailConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_CALENDAR_BUCKET", "feeds"),
            ("CLINIC_CALENDAR_KEY", "maintenance-3f9c1a7e5b2d4c6e.ics"),
        ]))
        .unwrap();
        assert_eq!(maintenance.chat, EventChat::default());
    }
}
