//! What the web function (and `clinic serve`'s pages) reads: the table, the sender of sign-in
//! links, the pages' public URL and the key that signs links, sessions and CSRF tokens; the roster
//! and the brief's inputs for *ahead* and *mine*.

use super::sections;
use super::variables::Variables;
use super::{FromVariables, vars};
use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::http_url::HttpUrl;
use crate::mail::EmailAddress;
use crate::signin::token::SigningKey;

#[derive(Debug, Clone)]
pub struct WebConfig {
    pub aws: AwsSettings,
    pub table: TableName,
    pub sender: EmailAddress,
    /// Where people open the pages (`https://clinic.example.org`): the links mailed point there.
    pub web_url: HttpUrl,
    pub signing_key: SigningKey,
    /// API Gateway's JWT authorizer guards every page route: its `email` claim signs people in.
    pub jwt_authorizer: bool,
    /// The feeds' event UIDs end in it (`CLINIC_MAIL_DOMAIN`).
    pub mail_domain: crate::mail::MailDomain,
    /// The reviewed roster (`CLINIC_ROSTER`), loaded: the feeds' planned weeks come from it.
    pub roster: Option<crate::rotation::roster::Roster>,
    /// Where the maintenance-mail function writes its calendar (`CLINIC_CALENDAR_BUCKET`,
    /// `CLINIC_CALENDAR_KEY`): the maintenance feed serves that object.
    pub maintenance_calendar: Option<(String, String)>,
    /// Task links and the stale threshold of *mine*, as the brief's.
    pub brief: sections::BriefInputs,
    /// VictorOps' public API, when set: an accepted swap replaces the week's overrides there.
    pub victorops_api: Option<crate::adapters::victorops::VictorOpsApiSettings>,
    /// How long a claimed swap mail (or a week's VictorOps sync) is held.
    pub mail_lease_seconds: u32,
    /// The longest a swap request stays open.
    pub swap_max_age: jiff::SignedDuration,
    /// The Slack app's signing secret (`CLINIC_SLACK_SIGNING_SECRET`): without it the slash
    /// command route answers 503.
    pub slack_signing_secret: Option<crate::secret::Secret>,
}

impl FromVariables for WebConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        let table = sections::table(variables);
        let aws = sections::aws(variables);
        let sender = sections::sender(variables);
        let web_url = variables.required_parsed(vars::WEB_URL, HttpUrl::parse);
        let signing_key = variables.required_parsed(vars::WEB_SIGNING_KEY, SigningKey::parse);
        let jwt_authorizer = variables.flag(
            vars::WEB_JWT_AUTHORIZER,
            &["1", "true"],
            &["0", "false"],
            "1, true, 0 or false",
        );
        let mail_domain = sections::mail_domain(variables);
        let roster = variables.optional_parsed(vars::ROSTER, |path: &str| {
            use crate::reviewed_file::ReviewedFile as _;
            crate::rotation::roster::Roster::load(std::path::Path::new(path))
                .map_err(|e| format!("names a roster Clinic cannot use: {e}"))
        });
        let bucket = variables.optional(vars::CALENDAR_BUCKET);
        let key = variables.optional(vars::CALENDAR_KEY);
        let maintenance_calendar = match (bucket, key) {
            (Some(bucket), Some(key)) => Some((bucket, key)),
            (None, None) => None,
            (Some(_), None) => {
                variables.problem(
                    vars::CALENDAR_KEY,
                    "must be set with CLINIC_CALENDAR_BUCKET",
                );
                None
            }
            (None, Some(_)) => {
                variables.problem(
                    vars::CALENDAR_BUCKET,
                    "must be set with CLINIC_CALENDAR_KEY",
                );
                None
            }
        };
        let brief = sections::BriefInputs::read(variables);
        let victorops_api = sections::victorops_api(variables);
        let mail_lease_seconds = sections::mail_lease_seconds(variables);
        let swap_max_age = sections::swap_max_age(variables);
        let slack_signing_secret = variables
            .optional(vars::SLACK_SIGNING_SECRET)
            .map(crate::secret::Secret::new);
        Some(Self {
            slack_signing_secret,
            brief,
            victorops_api,
            mail_lease_seconds,
            swap_max_age,
            mail_domain,
            roster,
            maintenance_calendar,
            aws,
            table: table?,
            sender: sender?,
            web_url: web_url?,
            signing_key: signing_key?,
            jwt_authorizer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn the_web_function_names_what_it_lacks_and_never_prints_its_key() {
        let err =
            WebConfig::from_lookup(lookup(&[("CLINIC_WEB_SIGNING_KEY", "short")])).unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![
                vars::TABLE,
                vars::SENDER,
                vars::WEB_URL,
                vars::WEB_SIGNING_KEY
            ]
        );
        let config = WebConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_SENDER", "clinic@example.org"),
            ("CLINIC_WEB_URL", "https://clinic.example.org/"),
            (
                "CLINIC_WEB_SIGNING_KEY",
                "supersecret-supersecret-supersecret-0",
            ),
        ]))
        .unwrap();
        assert_eq!(config.web_url.as_str(), "https://clinic.example.org");
        assert!(!format!("{config:?}").contains("supersecret"));
    }
}
