//! The words of a handoff e-mail: who is on duty, the window in UTC and in each person's own zone,
//! dates as YYYY-MM-DD, then the brief (what else needs someone now) with times in the reader's
//! zone; a text and an HTML part saying the same.

use std::fmt::Write as _;

use crate::brief::{Brief, render};
use crate::handoff::ports::MailRole;
use crate::mail::{Mailbox, OutgoingMail};
use crate::rotation::roster::Person;
use crate::shifts::ShiftRecord;

/// The facts every mail of one handoff shares.
pub struct HandoffBrief<'a> {
    pub shift: &'a ShiftRecord,
    pub incoming: Option<&'a Person>,
    pub backup: Option<&'a Person>,
    pub outgoing: Option<&'a Person>,
    /// The brief at the handoff, or why it could not be built; `None` when the job builds none.
    pub status: Option<Result<&'a Brief, &'a str>>,
    /// The *Swaps* page, where the incoming person can ask for cover of their week.
    pub swaps_page: Option<String>,
}

const TIME: &str = "%Y-%m-%d %H:%M";

fn in_zone(at: jiff::Timestamp, person: &Person) -> String {
    let zoned = at.to_zoned(person.timezone.zone().clone());
    format!("{} {}", zoned.strftime(TIME), zoned.strftime("%Z"))
}

fn utc(at: jiff::Timestamp) -> String {
    format!("{} UTC", at.strftime(TIME))
}

fn who(person: Option<&Person>) -> String {
    match person {
        Some(p) => format!(
            "{} <{}> ({}, {})",
            p.name,
            p.email,
            p.team,
            p.timezone.name()
        ),
        None => "nobody".to_owned(),
    }
}

use render::escape;

/// Why a mail carries no brief, in its words.
fn no_brief(reason: &str) -> String {
    format!(
        "The brief (what else needs someone now) could not be built: {reason}. `clinic status` prints it."
    )
}

impl HandoffBrief<'_> {
    fn subject(&self, role: MailRole) -> String {
        let s = self.shift;
        match (role, self.incoming) {
            (MailRole::Alert, _) | (_, None) => {
                format!(
                    "[Clinic] ACTION NEEDED: {} {} is unstaffed",
                    s.rotation, s.week
                )
            }
            (_, Some(p)) => format!(
                "[Clinic] {} {}: {} is on clinic duty",
                s.rotation, s.week, p.name
            ),
        }
    }

    fn opening(&self, role: MailRole, reader: Option<&Person>) -> String {
        let s = self.shift;
        let name = reader.map(|p| p.name.as_str()).unwrap_or("team");
        match role {
            MailRole::Incoming => format!(
                "Hello {name},\n\nyou are on clinic duty for {} in week {}.",
                s.rotation, s.week
            ),
            MailRole::Backup => format!(
                "Hello {name},\n\nyou are the backup for {} in week {}: it is their first clinic duty, please be \
                 around for their questions.",
                self.incoming
                    .map(|p| p.name.as_str())
                    .unwrap_or("the person on duty"),
                s.week
            ),
            MailRole::Outgoing => format!(
                "Hello {name},\n\nthank you for your clinic duty. {} takes over for {} in week {}: please hand over \
                 anything still open.",
                self.incoming.map(|p| p.name.as_str()).unwrap_or("Nobody"),
                s.rotation,
                s.week
            ),
            MailRole::Notify => format!(
                "Hello {name},\n\nclinic duty for {} in week {} is handed over.",
                s.rotation, s.week
            ),
            MailRole::Alert => format!(
                "Hello {name},\n\nnobody can be planned for {} in week {}: {}.\nPlease find someone and record them \
                 with `clinic rotation override --rotation {} --week {} --person ID --reason ...`.",
                s.rotation,
                s.week,
                s.unstaffed_reason
                    .as_deref()
                    .unwrap_or("no reason recorded"),
                s.rotation,
                s.week
            ),
        }
    }

    /// What only the incoming person reads: where to ask for cover.
    fn cover_note(&self, role: MailRole) -> Option<String> {
        let page = self
            .swaps_page
            .as_ref()
            .filter(|_| role == MailRole::Incoming)?;
        Some(format!(
            "Cannot make it? Ask for cover of week {} (or a swap) here: {page}",
            self.shift.week
        ))
    }

    fn notes(&self) -> Vec<String> {
        let s = self.shift;
        let mut notes = Vec::new();
        if let Some(reason) = &s.overridden {
            notes.push(format!("This week was assigned by an override: {reason}."));
        }
        if !s.relaxed.is_empty() {
            notes.push(format!(
                "Relaxed this week because nobody else could serve: {}.",
                s.relaxed.join(", ")
            ));
        }
        notes
    }

    fn people(&self) -> Vec<(&'static str, &Person)> {
        [
            ("On duty", self.incoming),
            ("Backup", self.backup),
            ("Outgoing", self.outgoing),
        ]
        .into_iter()
        .filter_map(|(label, p)| p.map(|p| (label, p)))
        .collect()
    }

    /// One mail of the handoff, for `to` in `role`; `reader` is the person reading, when known.
    pub fn compose(
        &self,
        from: Mailbox,
        to: Mailbox,
        role: MailRole,
        reader: Option<&Person>,
    ) -> OutgoingMail {
        let s = self.shift;
        let mut text = self.opening(role, reader);
        text.push_str("\n\n");
        let _ = writeln!(text, "  Rotation:  {}", s.rotation);
        let _ = writeln!(text, "  Week:      {}", s.week);
        let _ = writeln!(text, "  On duty:   {}", who(self.incoming));
        let _ = writeln!(text, "  Backup:    {}", who(self.backup));
        let _ = writeln!(text, "  Outgoing:  {}", who(self.outgoing));
        text.push_str("\nShift window\n");
        let _ = writeln!(text, "  UTC: {} to {}", utc(s.start_utc), utc(s.end_utc));
        for (label, p) in self.people() {
            let _ = writeln!(
                text,
                "  {label}, {}: {} to {}",
                p.name,
                in_zone(s.start_utc, p),
                in_zone(s.end_utc, p)
            );
        }
        for note in self.notes() {
            let _ = writeln!(text, "\n{note}");
        }
        if let Some(cover) = self.cover_note(role) {
            let _ = writeln!(text, "\n{cover}");
        }
        let zone = reader.map(|p| &p.timezone);
        match self.status {
            Some(Ok(brief)) => {
                text.push('\n');
                text.push_str(&render::text(brief, zone));
            }
            Some(Err(reason)) => {
                let _ = writeln!(text, "\n{}", no_brief(reason));
            }
            None => {}
        }
        text.push_str("\nThis message was sent by Clinic; `clinic rotation explain` says why this person was planned.\n");

        let mut html = String::from("<!DOCTYPE html><html><body>");
        for paragraph in self.opening(role, reader).split("\n\n") {
            let _ = write!(html, "<p>{}</p>", escape(paragraph).replace('\n', "<br>"));
        }
        html.push_str("<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">");
        let _ = write!(
            html,
            "<tr><th align=\"left\">Rotation</th><td>{}</td></tr>",
            escape(&s.rotation)
        );
        let _ = write!(
            html,
            "<tr><th align=\"left\">Week</th><td>{}</td></tr>",
            escape(&s.week)
        );
        for (label, p) in [
            ("On duty", self.incoming),
            ("Backup", self.backup),
            ("Outgoing", self.outgoing),
        ] {
            let _ = write!(
                html,
                "<tr><th align=\"left\">{label}</th><td>{}</td></tr>",
                escape(&who(p))
            );
        }
        let _ = write!(
            html,
            "<tr><th align=\"left\">UTC</th><td>{} to {}</td></tr>",
            utc(s.start_utc),
            utc(s.end_utc)
        );
        for (label, p) in self.people() {
            let _ = write!(
                html,
                "<tr><th align=\"left\">{label}, {}</th><td>{} to {}</td></tr>",
                escape(&p.name),
                escape(&in_zone(s.start_utc, p)),
                escape(&in_zone(s.end_utc, p))
            );
        }
        html.push_str("</table>");
        for note in self.notes() {
            let _ = write!(html, "<p><strong>{}</strong></p>", escape(&note));
        }
        if let (Some(page), Some(_)) = (&self.swaps_page, self.cover_note(role)) {
            let _ = write!(
                html,
                "<p>Cannot make it? <a href=\"{}\">Ask for cover of week {} (or a swap)</a>.</p>",
                escape(page),
                escape(&s.week)
            );
        }
        match self.status {
            Some(Ok(brief)) => {
                html.push_str("<hr>");
                html.push_str(&render::html_fragment(brief, zone));
            }
            Some(Err(reason)) => {
                let _ = write!(html, "<p>{}</p>", escape(&no_brief(reason)));
            }
            None => {}
        }
        html.push_str("<p><small>Sent by Clinic.</small></p></body></html>");

        OutgoingMail {
            from,
            to: vec![to],
            cc: Vec::new(),
            subject: self.subject(role),
            text,
            html,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::EmailAddress;
    use crate::rotation::roster::{PersonId, Roster};

    const ROSTER: &str = r#"
[rotations.ops]
style = "fair"
min_working_days = 3

[[people]]
id = "ana"
name = "Ana"
email = "ana@example.org"
team = "red"
timezone = "Europe/Rome"
holidays = "IT"
role = "engineer"
rotations = ["ops"]
"#;

    #[test]
    fn only_the_incoming_persons_mail_links_to_ask_for_cover() {
        let roster = Roster::parse(ROSTER).unwrap();
        let ana = roster.person(&PersonId::parse("ana").unwrap()).unwrap();
        let at: jiff::Timestamp = "2027-01-04T00:00:00Z".parse().unwrap();
        let shift = ShiftRecord {
            rotation: "ops".into(),
            week: "2027-W01".into(),
            primary: Some("ana".into()),
            backup: None,
            team: Some("red".into()),
            start_utc: at,
            end_utc: at + jiff::SignedDuration::from_hours(100),
            relaxed: Vec::new(),
            unstaffed_reason: None,
            overridden: None,
            committed_at: at,
            cause: "test".into(),
            victorops_overrides: Vec::new(),
        };
        let brief = HandoffBrief {
            shift: &shift,
            incoming: Some(ana),
            backup: None,
            outgoing: None,
            status: None,
            swaps_page: Some("https://clinic.example.org/swaps".into()),
        };
        let from = Mailbox::new("Clinic", EmailAddress::parse("clinic@example.org").unwrap());
        let to = Mailbox::new("Ana", ana.email.clone());
        let incoming = brief.compose(from.clone(), to.clone(), MailRole::Incoming, Some(ana));
        assert!(
            incoming.text.contains(
                "Ask for cover of week 2027-W01 (or a swap) here: https://clinic.example.org/swaps"
            ),
            "{}",
            incoming.text
        );
        assert!(
            incoming
                .html
                .contains("href=\"https://clinic.example.org/swaps\"")
        );
        let notify = brief.compose(from, to, MailRole::Notify, None);
        assert!(!notify.text.contains("/swaps"), "{}", notify.text);
        assert!(!notify.html.contains("/swaps"));
    }
}
