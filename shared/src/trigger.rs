//! What started a scheduled job: an EventBridge scheduled rule (`detail-type: "Scheduled Event"`) or
//! an EventBridge Scheduler target that passes only its input. Anything else is refused.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;

use crate::log_text::escape;

/// A validated trigger of a scheduled job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// Identifies the delivery: EventBridge's event id, or the Scheduler's job and time.
    pub event_id: String,
    /// The scheduled time; the job decides "the coming week" from it, not from the clock, so a
    /// late or repeated delivery acts on the same week.
    pub time: jiff::Timestamp,
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error(
        "the event is neither an EventBridge scheduled event nor a Scheduler input for job {job:?}: {reason}"
    )]
    Unrecognised { job: String, reason: String },
    #[error("the event's time {0:?} is not an RFC 3339 timestamp")]
    BadTime(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchedulerInput {
    job: String,
    scheduled_time: String,
    #[serde(default)]
    dry_run: bool,
}

impl Trigger {
    /// Parses the event a scheduled job received; `job` is the Scheduler job name it answers to.
    pub fn parse(event: &serde_json::Value, job: &str) -> Result<Self, TriggerError> {
        let unrecognised = |reason: String| TriggerError::Unrecognised {
            job: job.to_owned(),
            reason,
        };
        if event.get("detail-type").is_some() {
            let parsed: EventBridgeEvent<serde_json::Value> = serde_json::from_value(event.clone())
                .map_err(|e| {
                    unrecognised(format!(
                        "malformed EventBridge event: {}",
                        escape(&e.to_string())
                    ))
                })?;
            if parsed.detail_type != "Scheduled Event" {
                return Err(unrecognised(format!(
                    "detail-type is {:?}",
                    parsed.detail_type
                )));
            }
            let id = parsed
                .id
                .filter(|id| !id.is_empty())
                .ok_or_else(|| unrecognised("no id".into()))?;
            let time = parsed.time.ok_or_else(|| unrecognised("no time".into()))?;
            let time = jiff::Timestamp::from_second(time.timestamp())
                .map_err(|_| TriggerError::BadTime(time.to_rfc3339()))?;
            return Ok(Self {
                event_id: id,
                time,
                dry_run: false,
            });
        }
        let input: SchedulerInput = serde_json::from_value(event.clone()).map_err(|e| {
            unrecognised(format!(
                "malformed Scheduler input: {}",
                escape(&e.to_string())
            ))
        })?;
        if input.job != job {
            return Err(unrecognised(format!("it names job {:?}", input.job)));
        }
        let time: jiff::Timestamp = input
            .scheduled_time
            .parse()
            .map_err(|_| TriggerError::BadTime(input.scheduled_time.clone()))?;
        Ok(Self {
            event_id: format!("scheduler:{job}:{time}"),
            time,
            dry_run: input.dry_run,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_eventbridge_scheduled_event_gives_its_id_and_time() {
        let event = json!({
            "version": "0", "id": "89d1a02d-5ec7-412e-82f5-13505f849b41", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2027-01-01T09:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/clinic"], "detail": {}
        });
        let trigger = Trigger::parse(&event, "weekly-rotation").unwrap();
        assert_eq!(trigger.event_id, "89d1a02d-5ec7-412e-82f5-13505f849b41");
        assert_eq!(trigger.time.to_string(), "2027-01-01T09:00:00Z");
        assert!(!trigger.dry_run);
    }

    #[test]
    fn a_scheduler_input_for_this_job_is_accepted_with_its_dry_run_flag() {
        let event = json!({"job": "weekly-rotation", "scheduled_time": "2026-01-05T09:00:00Z", "dry_run": true});
        let trigger = Trigger::parse(&event, "weekly-rotation").unwrap();
        assert!(trigger.dry_run);
        assert_eq!(
            trigger.event_id,
            "scheduler:weekly-rotation:2026-01-05T09:00:00Z"
        );
    }

    #[test]
    fn other_events_are_refused_with_the_reason() {
        for event in [
            json!({"job": "other", "scheduled_time": "2026-01-05T09:00:00Z"}),
            json!({"job": "weekly-rotation", "scheduled_time": "monday"}),
            json!({"detail-type": "Object Created", "id": "x", "time": "2026-01-05T09:00:00Z", "source": "aws.s3", "detail": {}}),
            json!({"Records": []}),
            json!("text"),
        ] {
            assert!(
                Trigger::parse(&event, "weekly-rotation").is_err(),
                "{event}"
            );
        }
    }
}
