//! Statuspage's HTTP adapter of the incident desk's [`StatusPage`] port. It keeps to Statuspage's
//! 1 request per second per key, and backs off and retries when answered 420 or 429.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use crate::adapters::pacing::{JsonRequest, PacedError, Pacer};
use crate::adapters::sdk::CallBudget;
use crate::http_url::HttpUrl;
use crate::incidents::lifecycle::IncidentNumber;
use crate::incidents::mapping::ComponentStatus;
use crate::incidents::ports::{
    IncidentUpdate, NewIncident, NewMaintenance, StatusPage, StatuspageError,
};
use crate::secret::Secret;

pub use crate::adapters::pacing::Pacing;

/// The HTTP adapter (`STATUSPAGE_API_URL`, e.g. `https://api.statuspage.io/v1`).
pub struct StatuspageClient {
    http: reqwest::Client,
    base: HttpUrl,
    page: String,
    key: Secret,
    pacer: Pacer,
}

impl StatuspageClient {
    pub fn new(base: HttpUrl, page: String, key: Secret, pacing: Pacing) -> Self {
        // Called by the VictorOps webhook: a request gets what one of its table calls gets, and
        // a connection room for one lost SYN (resent after 1 s).
        let http = reqwest::Client::builder()
            .timeout(CallBudget::WEBHOOK.total())
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self {
            http,
            base,
            page,
            key,
            pacer: Pacer::new(pacing),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/pages/{}/{path}", self.base.as_str(), self.page)
    }

    async fn call(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, StatuspageError> {
        let unavailable = |reason: String, source: Option<reqwest::Error>, maybe_applied: bool| {
            StatuspageError::Unavailable {
                what,
                reason,
                maybe_applied,
                source: source.map(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
            }
        };
        let url = self.url(path);
        let authorization = format!("OAuth {}", self.key.expose());
        let request = JsonRequest {
            method,
            url: &url,
            headers: &[("Authorization", &authorization)],
            body: body.as_ref(),
        };
        let answer = self
            .pacer
            .exchange_json(&self.http, what, &[420, 429], request)
            .await
            .map_err(|e| {
                // Refused for its rate, or no connection made: Statuspage never saw it.
                let applied = match &e {
                    PacedError::StillLimited { .. } => false,
                    PacedError::Transport(e) => !e.is_connect(),
                    PacedError::Read(_) => true,
                };
                unavailable(e.to_string(), e.into_source(), applied)
            })?;
        if answer.is_success() {
            return serde_json::from_str(&answer.text)
                .map_err(|e| unavailable(format!("the answer is not JSON: {e}"), None, true));
        }
        let (status, message) = (answer.status, answer.message(&["error"]));
        if status >= 500 {
            return Err(unavailable(format!("HTTP {status}: {message}"), None, true));
        }
        Err(StatuspageError::Rejected {
            what,
            status,
            message,
        })
    }
}

fn components_json(components: &BTreeMap<String, ComponentStatus>) -> serde_json::Value {
    components
        .iter()
        .map(|(id, status)| (id.clone(), json!(status.as_str())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn id_of(what: &'static str, answer: &serde_json::Value) -> Result<String, StatuspageError> {
    answer
        .get("id")
        .and_then(|v| v.as_str())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| StatuspageError::Unavailable {
            what,
            reason: "the answer has no incident id".into(),
            maybe_applied: true,
            source: None,
        })
}

#[async_trait]
impl StatusPage for StatuspageClient {
    async fn create_incident(&self, incident: &NewIncident) -> Result<String, StatuspageError> {
        let body = json!({"incident": {
            "name": incident.name,
            "status": incident.status,
            "impact_override": incident.impact.as_str(),
            "body": incident.body,
            "component_ids": incident.components.keys().collect::<Vec<_>>(),
            "components": components_json(&incident.components),
            "deliver_notifications": incident.deliver_notifications,
            "metadata": {"victorops": {
                "incident_number": incident.victorops_number.as_str(),
                "entity_id": incident.entity_id,
            }},
        }});
        let answer = self
            .call(
                "create an incident",
                reqwest::Method::POST,
                "incidents",
                Some(body),
            )
            .await?;
        id_of("create an incident", &answer)
    }

    async fn update_incident(
        &self,
        id: &str,
        update: &IncidentUpdate,
    ) -> Result<(), StatuspageError> {
        let body = json!({"incident": {
            "status": update.status,
            "body": update.body,
            "component_ids": update.components.keys().collect::<Vec<_>>(),
            "components": components_json(&update.components),
            "deliver_notifications": update.deliver_notifications,
        }});
        self.call(
            "update an incident",
            reqwest::Method::PATCH,
            &format!("incidents/{id}"),
            Some(body),
        )
        .await?;
        Ok(())
    }

    async fn incident_status(&self, id: &str) -> Result<String, StatuspageError> {
        let answer = self
            .call(
                "read an incident",
                reqwest::Method::GET,
                &format!("incidents/{id}"),
                None,
            )
            .await?;
        answer
            .get("status")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| StatuspageError::Unavailable {
                what: "read an incident",
                reason: "the answer has no status".into(),
                maybe_applied: false,
                source: None,
            })
    }

    async fn find_unresolved(
        &self,
        number: &IncidentNumber,
    ) -> Result<Option<String>, StatuspageError> {
        let answer = self
            .call(
                "list unresolved incidents",
                reqwest::Method::GET,
                "incidents/unresolved",
                None,
            )
            .await?;
        let found = answer.as_array().and_then(|incidents| {
            incidents.iter().find(|i| {
                i.pointer("/metadata/victorops/incident_number")
                    .and_then(|v| v.as_str())
                    == Some(number.as_str())
            })
        });
        Ok(found.and_then(|i| i.get("id")?.as_str().map(str::to_owned)))
    }

    async fn find_maintenance(&self, downtime_id: &str) -> Result<Option<String>, StatuspageError> {
        let answer = self
            .call(
                "list scheduled maintenances",
                reqwest::Method::GET,
                "incidents/scheduled",
                None,
            )
            .await?;
        let found = answer.as_array().and_then(|incidents| {
            incidents.iter().find(|i| {
                i.pointer("/metadata/clinic/downtime_id")
                    .and_then(|v| v.as_str())
                    == Some(downtime_id)
            })
        });
        Ok(found.and_then(|i| i.get("id")?.as_str().map(str::to_owned)))
    }

    async fn schedule_maintenance(
        &self,
        maintenance: &NewMaintenance,
    ) -> Result<String, StatuspageError> {
        let body = json!({"incident": {
            "name": maintenance.name,
            "status": "scheduled",
            "scheduled_for": maintenance.scheduled_for.to_string(),
            "scheduled_until": maintenance.scheduled_until.to_string(),
            "scheduled_remind_prior": maintenance.statuspage_reminds,
            "scheduled_auto_in_progress": true,
            "scheduled_auto_completed": true,
            // The components show "under maintenance" during the window and operational after it.
            "auto_transition_to_maintenance_state": true,
            "auto_transition_to_operational_state": true,
            "auto_transition_deliver_notifications_at_start": maintenance.statuspage_reminds,
            "auto_transition_deliver_notifications_at_end": maintenance.statuspage_reminds,
            "body": maintenance.body,
            "component_ids": maintenance.component_ids,
            "deliver_notifications": maintenance.deliver_notifications,
            "metadata": {"clinic": {"downtime_id": maintenance.downtime_id}},
        }});
        let answer = self
            .call(
                "schedule a maintenance",
                reqwest::Method::POST,
                "incidents",
                Some(body),
            )
            .await?;
        id_of("schedule a maintenance", &answer)
    }
}
