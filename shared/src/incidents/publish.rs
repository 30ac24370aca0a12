//! What the desk does on Statuspage, each as an effect the claim protocol runs once: creating an
//! incident, moving it to a status, posting a scheduled maintenance. Each can be looked up, so an
//! attempt whose answer was lost is found before anyone tries again.

use async_trait::async_trait;

use super::ACTOR;
use super::lifecycle::IncidentRecord;
use super::ports::{IncidentUpdate, NewIncident, NewMaintenance, StatusPage, StatuspageError};
use crate::audit::AuditEntry;
use crate::claim::{Effect, Failure, Lookup};

/// Statuspage realtime statuses in the order an incident moves through them.
pub(super) fn rank(status: &str) -> u8 {
    match status {
        "investigating" => 0,
        "identified" => 1,
        "monitoring" => 2,
        _ => 3,
    }
}

fn failure(error: StatuspageError) -> Failure<StatuspageError> {
    match error {
        StatuspageError::Rejected { .. }
        | StatuspageError::Unavailable {
            maybe_applied: false,
            ..
        } => Failure::Refused(error),
        // Timed out, failing, or its answer lost: the request may have been applied.
        StatuspageError::Unavailable { .. } => Failure::Unknown(error),
    }
}

/// A realtime incident created for a VictorOps incident; found again by its metadata.
pub(super) struct CreateIncident<'a> {
    pub page: &'a dyn StatusPage,
    pub incident: NewIncident,
    pub record: &'a IncidentRecord,
    pub rule: &'a str,
    pub cause: &'a str,
}

#[async_trait]
impl Effect for CreateIncident<'_> {
    type Error = StatuspageError;

    async fn look_up(&self) -> Result<Lookup, StatuspageError> {
        Ok(self.page.find_unresolved(&self.record.number).await?.into())
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<StatuspageError>> {
        self.page
            .create_incident(&self.incident)
            .await
            .map_err(failure)
    }

    fn audit(&self, id: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        let why = if found {
            format!(
                "Statuspage incident {id} found by its VictorOps number: an earlier attempt created it and its \
                 answer was lost"
            )
        } else {
            format!(
                "Statuspage incident {id} created as {} (mapping rule {:?})",
                self.incident.status, self.rule
            )
        };
        AuditEntry::new(
            now,
            ACTOR,
            "statuspage.create",
            self.record.subject(),
            why,
            self.cause,
        )
    }
}

/// An incident moved to a status (and its components with it); done once per status.
pub(super) struct UpdateStatus<'a> {
    pub page: &'a dyn StatusPage,
    pub id: &'a str,
    pub update: IncidentUpdate,
    pub record: &'a IncidentRecord,
    pub cause: &'a str,
}

#[async_trait]
impl Effect for UpdateStatus<'_> {
    type Error = StatuspageError;

    async fn look_up(&self) -> Result<Lookup, StatuspageError> {
        let status = self.page.incident_status(self.id).await?;
        Ok(if rank(&status) >= rank(self.update.status) {
            Lookup::Found(self.update.status.to_owned())
        } else {
            Lookup::Absent
        })
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<StatuspageError>> {
        self.page
            .update_incident(self.id, &self.update)
            .await
            .map_err(failure)?;
        Ok(self.update.status.to_owned())
    }

    fn audit(&self, status: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        AuditEntry::new(
            now,
            ACTOR,
            "statuspage.update",
            self.record.subject(),
            format!(
                "Statuspage incident {} set to {status} (VictorOps phase {}){}",
                self.id,
                self.record.phase,
                if found {
                    "; found so by a lookup after an answer was lost"
                } else {
                    ""
                }
            ),
            self.cause,
        )
    }
}

/// A scheduled maintenance posted for a planned downtime window; found again by the window's id.
pub(super) struct ScheduleMaintenance<'a> {
    pub page: &'a dyn StatusPage,
    pub maintenance: NewMaintenance,
    pub subject: String,
    pub cause: &'a str,
}

#[async_trait]
impl Effect for ScheduleMaintenance<'_> {
    type Error = StatuspageError;

    async fn look_up(&self) -> Result<Lookup, StatuspageError> {
        Ok(self
            .page
            .find_maintenance(&self.maintenance.downtime_id)
            .await?
            .into())
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<StatuspageError>> {
        self.page
            .schedule_maintenance(&self.maintenance)
            .await
            .map_err(failure)
    }

    fn audit(&self, id: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        AuditEntry::new(
            now,
            ACTOR,
            "statuspage.maintenance",
            self.subject.clone(),
            if found {
                format!("Statuspage scheduled maintenance {id} found: an earlier attempt posted it")
            } else {
                format!("Statuspage scheduled maintenance {id} posted")
            },
            self.cause,
        )
    }
}
