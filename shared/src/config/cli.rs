//! What the `clinic` commands read besides a function's configuration: the table alone, the table
//! with VictorOps' API (the commands that change shifts), the table with the brief's inputs
//! (`clinic status`), and those with the status token (`clinic serve` without the Herald hook).

use super::sections::{self, BriefInputs};
use super::variables::Variables;
use super::{ConfigError, FromVariables, vars};
use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::adapters::victorops::VictorOpsApiSettings;
use crate::secret::Secret;

/// The commands that only read or write the table.
#[derive(Debug, Clone)]
pub struct TableConfig {
    pub aws: AwsSettings,
    pub table: TableName,
}

impl FromVariables for TableConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        let table = sections::table(variables);
        let aws = sections::aws(variables);
        Some(Self { aws, table: table? })
    }
}

/// `clinic rotation sync`, `override` and `swap`: the table, and VictorOps kept in step when its API
/// is configured.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub table: TableConfig,
    /// How long a week's VictorOps sync stays reserved for the command running it.
    pub mail_lease_seconds: u32,
    pub victorops_api: Option<VictorOpsApiSettings>,
}

impl SyncConfig {
    /// The VictorOps API settings; an error naming the three variables when they are not set.
    pub fn victorops_api(&self) -> Result<&VictorOpsApiSettings, ConfigError> {
        self.victorops_api
            .as_ref()
            .ok_or_else(sections::victorops_api_missing)
    }
}

impl FromVariables for SyncConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        let table = TableConfig::read(variables);
        let mail_lease_seconds = sections::mail_lease_seconds(variables);
        let victorops_api = sections::victorops_api(variables);
        Some(Self {
            table: table?,
            mail_lease_seconds,
            victorops_api,
        })
    }
}

/// `clinic status`: the table and what the brief is built from.
#[derive(Debug, Clone)]
pub struct BriefConfig {
    pub table: TableConfig,
    pub brief: BriefInputs,
}

impl FromVariables for BriefConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        let table = TableConfig::read(variables);
        let brief = BriefInputs::read(variables);
        Some(Self {
            table: table?,
            brief,
        })
    }
}

/// `clinic serve`'s `GET /status` routes when the Herald hook is not configured: the table, what
/// the brief is built from, and the endpoint's bearer token.
#[derive(Debug, Clone)]
pub struct StatusConfig {
    pub table: TableConfig,
    pub brief: BriefInputs,
    pub status_token: Secret,
}

impl FromVariables for StatusConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        let table = TableConfig::read(variables);
        let brief = BriefInputs::read(variables);
        let status_token = variables.required_parsed(vars::STATUS_TOKEN, sections::status_token);
        Some(Self {
            table: table?,
            brief,
            status_token: status_token?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn the_table_commands_need_the_table_alone() {
        assert_eq!(TableConfig::required(), vec![vars::TABLE]);
        let config = TableConfig::from_lookup(lookup(&[("CLINIC_TABLE", "clinic-test")])).unwrap();
        assert_eq!(config.table.as_str(), "clinic-test");
    }

    #[test]
    fn a_command_that_needs_the_victorops_api_names_its_three_variables() {
        let config = SyncConfig::from_lookup(lookup(&[("CLINIC_TABLE", "clinic-test")])).unwrap();
        assert!(config.victorops_api.is_none());
        let missing = config.victorops_api().unwrap_err();
        assert_eq!(
            missing.to_string(),
            "configuration is invalid: VICTOROPS_API_URL is not set; VICTOROPS_API_ID is not set; \
             VICTOROPS_API_KEY is not set"
        );
        let err = SyncConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("VICTOROPS_API_KEY", "vo-key"),
        ]))
        .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(named, vec![vars::VICTOROPS_API_URL, vars::VICTOROPS_API_ID]);
        assert!(
            err.to_string().contains(
                "VICTOROPS_API_URL is not set (the VictorOps API needs VICTOROPS_API_URL, \
                 VICTOROPS_API_ID, VICTOROPS_API_KEY)"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_short_status_token_is_refused_and_a_good_one_is_never_printed() {
        let err = StatusConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_STATUS_TOKEN", "short"),
        ]))
        .unwrap_err();
        assert_eq!(err.problems[0].variable, vars::STATUS_TOKEN);
        let config = StatusConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_STATUS_TOKEN", "status-supersecret-0001"),
        ]))
        .unwrap();
        assert_eq!(config.status_token.expose(), "status-supersecret-0001");
        assert!(!format!("{config:?}").contains("supersecret"));
    }
}
