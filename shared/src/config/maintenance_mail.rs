//! What the maintenance-mail function reads: the table, where the calendar feed goes and what it
//! shows, and the largest mail it parses.

use super::sections;
use super::variables::Variables;
use super::{FromVariables, vars};
use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::adapters::sdk::CallBudget;
use crate::maintenance::calendar_feed::FeedOptions;
use crate::maintenance::ingest::CalendarTarget;

#[derive(Debug, Clone)]
pub struct MaintenanceMailConfig {
    pub aws: AwsSettings,
    pub table: TableName,
    /// Bucket and key of the maintenance calendar feed (the key is the unguessable part of its
    /// URL), and whether it shows maintenances that only reduce redundancy.
    pub calendar: CalendarTarget,
    /// Inbound mail larger than this is kept for review instead of parsed.
    pub mail_max_bytes: u64,
    /// Who is told of an outage the circuits file reveals: the person on duty in this rotation
    /// (`CLINIC_DUTY_ROTATION`), mailed from `CLINIC_SENDER`. `None` without a circuits file or
    /// without a rotation.
    pub outage_mail: Option<OutageMailSettings>,
    /// Where the minute sweep posts maintenances starting soon and mails new on the review list:
    /// the rooms of `CLINIC_DUTY_ROTATION` in the roster.
    pub chat: super::EventChat,
}

#[derive(Debug, Clone)]
pub struct OutageMailSettings {
    pub sender: crate::mail::EmailAddress,
    pub rotation: String,
}

impl FromVariables for MaintenanceMailConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        let table = sections::table(variables);
        let aws = sections::aws(variables).with_budget(CallBudget::JOB);
        let bucket = variables.required(vars::CALENDAR_BUCKET);
        let key = variables.required_parsed(vars::CALENDAR_KEY, calendar_key);
        let include_redundancy_only = variables.flag(
            vars::CALENDAR_INCLUDE_REDUNDANCY,
            &["true", "1", "yes"],
            &["false", "0", "no"],
            "true or false",
        );
        let uid_domain = sections::mail_domain(variables);
        // Loaded here, so a bad file is a configuration problem naming the variable.
        let circuits = variables.optional_parsed(vars::CIRCUITS, |path: &str| {
            use crate::reviewed_file::ReviewedFile as _;
            crate::maintenance::circuits::Circuits::load(std::path::Path::new(path))
                .map_err(|e| format!("names a file Clinic cannot use: {e}"))
        });
        let rotation = variables.optional(vars::DUTY_ROTATION);
        let chat = super::event_chat::event_chat(variables, rotation.as_deref().map(str::trim));
        let sender = match rotation {
            // Only needed, and then required, when someone is to be mailed.
            Some(_) => sections::sender(variables),
            None => None,
        };
        let mail_max_bytes = variables.number_in(
            vars::MAIL_MAX_BYTES,
            1024..=40 * 1024 * 1024,
            10 * 1024 * 1024,
            "a number of bytes",
        );
        let has_circuits = circuits.is_some();
        Some(Self {
            aws,
            table: table?,
            calendar: CalendarTarget {
                bucket: bucket?,
                key: key?,
                options: FeedOptions {
                    include_redundancy_only,
                    uid_domain,
                    circuits,
                },
            },
            mail_max_bytes,
            outage_mail: rotation
                .zip(sender)
                .filter(|_| has_circuits)
                .map(|(rotation, sender)| OutageMailSettings { sender, rotation }),
            chat,
        })
    }
}

/// The key is the secret part of the feed's URL: a short one could be guessed.
fn calendar_key(key: &str) -> Result<String, &'static str> {
    if key.len() < 24 || key.starts_with('/') {
        Err(
            "must be an object key of at least 24 characters (include a random token) without a \
             leading '/'",
        )
    } else {
        Ok(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn the_calendar_is_required_and_its_key_must_be_hard_to_guess() {
        let err = MaintenanceMailConfig::from_lookup(lookup(&[])).unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![vars::TABLE, vars::CALENDAR_BUCKET, vars::CALENDAR_KEY]
        );
        let err = MaintenanceMailConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_CALENDAR_BUCKET", "feeds"),
            ("CLINIC_CALENDAR_KEY", "/short.ics"),
            ("CLINIC_CALENDAR_INCLUDE_REDUNDANCY", "sometimes"),
            ("CLINIC_MAIL_MAX_BYTES", "12"),
        ]))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration is invalid: CLINIC_CALENDAR_KEY must be an object key of at least 24 \
             characters (include a random token) without a leading '/'; \
             CLINIC_CALENDAR_INCLUDE_REDUNDANCY must be true or false (got \"sometimes\"); \
             CLINIC_MAIL_MAX_BYTES must be a number of bytes from 1024 to 41943040 (got \"12\")"
        );
    }

    #[test]
    fn the_person_on_duty_is_mailed_of_outages_only_with_circuits_and_a_rotation_and_then_needs_a_sender()
     {
        let circuits = format!("{}/../events/circuits.toml", env!("CARGO_MANIFEST_DIR"));
        let base = [
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_CALENDAR_BUCKET", "feeds"),
            ("CLINIC_CALENDAR_KEY", "maintenance-3f9c1a7e5b2d4c6e.ics"),
        ];
        let with = |extra: &[(&'static str, &str)]| {
            let mut all: Vec<(&str, String)> =
                base.iter().map(|(k, v)| (*k, v.to_string())).collect();
            all.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
            all
        };
        let pairs = |all: Vec<(&'static str, String)>| {
            lookup(
                &all.iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect::<Vec<_>>(),
            )
        };
        let circuits = circuits.as_str();
        let config = MaintenanceMailConfig::from_lookup(pairs(with(&[
            ("CLINIC_CIRCUITS", circuits),
            ("CLINIC_DUTY_ROTATION", "sre-clinic"),
            ("CLINIC_SENDER", "clinic@example.org"),
        ])))
        .unwrap();
        let settings = config.outage_mail.expect("outage mail is on");
        assert_eq!(settings.rotation, "sre-clinic");
        assert_eq!(settings.sender.as_str(), "clinic@example.org");
        let err = MaintenanceMailConfig::from_lookup(pairs(with(&[
            ("CLINIC_CIRCUITS", circuits),
            ("CLINIC_DUTY_ROTATION", "sre-clinic"),
        ])))
        .unwrap_err();
        assert!(
            err.to_string().contains("CLINIC_SENDER is not set"),
            "{err}"
        );
        let without_circuits = MaintenanceMailConfig::from_lookup(pairs(with(&[
            ("CLINIC_DUTY_ROTATION", "sre-clinic"),
            ("CLINIC_SENDER", "clinic@example.org"),
        ])))
        .unwrap();
        assert!(without_circuits.outage_mail.is_none());
    }

    #[test]
    fn a_complete_maintenance_environment_is_accepted_with_its_defaults() {
        let config = MaintenanceMailConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_CALENDAR_BUCKET", "feeds"),
            ("CLINIC_CALENDAR_KEY", "maintenance-3f9c1a7e5b2d4c6e.ics"),
            ("CLINIC_CALENDAR_INCLUDE_REDUNDANCY", " yes "),
        ]))
        .unwrap();
        assert_eq!(config.calendar.bucket, "feeds");
        assert!(config.calendar.options.include_redundancy_only);
        assert_eq!(config.mail_max_bytes, 10 * 1024 * 1024);
        assert_eq!(
            config.calendar.options.uid_domain.as_str(),
            "clinic.invalid"
        );
    }

    #[test]
    fn the_feeds_uids_are_on_the_deployments_mail_domain_and_a_bad_one_is_refused() {
        let env = |domain: &'static str| {
            lookup(&[
                ("CLINIC_TABLE", "clinic-test"),
                ("CLINIC_CALENDAR_BUCKET", "feeds"),
                ("CLINIC_CALENDAR_KEY", "maintenance-3f9c1a7e5b2d4c6e.ics"),
                ("CLINIC_MAIL_DOMAIN", domain),
            ])
        };
        let config = MaintenanceMailConfig::from_lookup(env("Example.ORG.")).unwrap();
        assert_eq!(config.calendar.options.uid_domain.as_str(), "example.org");
        let err = MaintenanceMailConfig::from_lookup(env("not a domain")).unwrap_err();
        assert!(
            err.to_string()
                .contains("CLINIC_MAIL_DOMAIN must be a domain name"),
            "{err}"
        );
    }

    #[test]
    fn a_circuits_file_that_cannot_be_read_is_a_configuration_problem_naming_the_variable() {
        let err = MaintenanceMailConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_CALENDAR_BUCKET", "feeds"),
            ("CLINIC_CALENDAR_KEY", "maintenance-3f9c1a7e5b2d4c6e.ics"),
            ("CLINIC_CIRCUITS", "/nonexistent/circuits.toml"),
        ]))
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("CLINIC_CIRCUITS names a file Clinic cannot use: cannot read the circuits file /nonexistent/circuits.toml"),
            "{text}"
        );
    }
}
