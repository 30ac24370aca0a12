//! iCalendar objects (RFC 5545) and the Maintenance Notification BCOP that rides on them: any VEVENT
//! carrying `X-MAINTNOTE-*` properties is a maintenance, whoever sent it.

use jiff::civil::{Date, DateTime};

use super::error::Field;
use super::model::{Circuit, Draft, Impact, Status};
use super::zones::{Zone, windows_zone, zone_named};

/// Enough iCalendar for maintenance notes: the events and the fixed offsets of the VTIMEZONEs they cite.
#[derive(Debug, Default)]
pub(crate) struct Calendar {
    pub events: Vec<Event>,
    /// TZID and standard-time offset of each VTIMEZONE, for TZIDs that name no known zone.
    zones: Vec<(String, i32)>,
}

#[derive(Debug, Default)]
pub(crate) struct Event {
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone)]
pub(crate) struct Property {
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: String,
}

impl Property {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value with TEXT escapes undone (`\,` `\;` `\\` `\n`); other backslashes are kept as written.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.value.len());
        let mut chars = self.value.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(e @ ('\\' | ',' | ';' | ':' | '"')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        out
    }
}

impl Event {
    pub fn get(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties.iter().filter(move |p| p.name == name)
    }

    /// Whether the event follows the maintenance-note BCOP.
    pub fn is_maintenance_note(&self) -> bool {
        self.properties
            .iter()
            .any(|p| p.name.starts_with("X-MAINTNOTE-"))
    }
}

/// Events beyond this many are ignored: no notice holds more, and it bounds hostile input.
const MAX_EVENTS: usize = 500;

pub(crate) fn read_calendar(text: &str) -> Calendar {
    let mut calendar = Calendar::default();
    // Component nesting: properties belong to the innermost open component only (a VALARM's
    // DESCRIPTION is not the event's).
    let mut stack: Vec<String> = Vec::new();
    let mut event: Option<Event> = None;
    let mut zone_id: Option<String> = None;
    let mut zone_offset: Option<i32> = None;
    for line in unfold(text) {
        let Some(property) = read_property(&line) else {
            continue;
        };
        match property.name.as_str() {
            "BEGIN" => {
                let component = property.value.trim().to_ascii_uppercase();
                if component == "VEVENT" && stack.last().is_none_or(|c| c == "VCALENDAR") {
                    event = Some(Event::default());
                }
                stack.push(component);
                if stack.len() > 16 {
                    break;
                }
            }
            "END" => {
                let component = stack.pop().unwrap_or_default();
                if component == "VEVENT" {
                    if let Some(done) = event.take()
                        && calendar.events.len() < MAX_EVENTS
                    {
                        calendar.events.push(done);
                    }
                } else if component == "VTIMEZONE"
                    && let (Some(id), Some(offset)) = (zone_id.take(), zone_offset.take())
                {
                    calendar.zones.push((id, offset));
                }
            }
            _ => match stack.last().map(String::as_str) {
                Some("VEVENT") => {
                    if let Some(event) = event.as_mut() {
                        event.properties.push(property);
                    }
                }
                Some("VTIMEZONE") if property.name == "TZID" => {
                    zone_id = Some(property.value.trim().to_string())
                }
                Some("STANDARD") if property.name == "TZOFFSETTO" => {
                    zone_offset = parse_offset(&property.value)
                }
                _ => {}
            },
        }
    }
    calendar
}

/// Content lines with folding undone. Lines that are not `NAME[;params]:value` are skipped later.
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.push_str(rest);
            continue;
        }
        lines.push(raw.to_string());
    }
    lines
}

fn read_property(line: &str) -> Option<Property> {
    let name_end = line.find([';', ':'])?;
    let name = line[..name_end].trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = &line[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let eq = after.find('=')?;
        let param_name = after[..eq].trim().to_ascii_uppercase();
        let mut value_part = &after[eq + 1..];
        let value;
        if let Some(quoted) = value_part.strip_prefix('"') {
            let close = quoted.find('"')?;
            value = quoted[..close].to_string();
            value_part = &quoted[close + 1..];
            // Further comma-separated values of a multi-valued parameter are dropped.
            let next = value_part.find([';', ':']).unwrap_or(value_part.len());
            value_part = &value_part[next..];
        } else {
            let end = value_part.find([';', ':'])?;
            value = value_part[..end].to_string();
            value_part = &value_part[end..];
        }
        params.push((param_name, value));
        rest = value_part;
    }
    let value = rest.strip_prefix(':')?.to_string();
    Some(Property {
        name,
        params,
        value,
    })
}

/// "+0100", "-0500", "+053000".
fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (sign, digits) = match text.chars().next()? {
        '+' => (1, &text[1..]),
        '-' => (-1, &text[1..]),
        _ => (1, text),
    };
    if digits.len() < 4 || !digits.is_ascii() {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..4].parse().ok()?;
    let s: i32 = digits.get(4..6).and_then(|s| s.parse().ok()).unwrap_or(0);
    Some(sign * (h * 3600 + m * 60 + s))
}

impl Calendar {
    /// A DATE-TIME or DATE property as Unix seconds. Floating times are read as UTC, as the BCOP examples
    /// (and the reference library) do.
    pub fn timestamp(&self, property: &Property) -> Option<i64> {
        let value = property.value.trim();
        let (date_part, time_part) = match value.split_once(['T', 't']) {
            Some((d, t)) => (d, Some(t)),
            None => (value, None),
        };
        if date_part.len() != 8 || !date_part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let date = Date::new(
            date_part[..4].parse().ok()?,
            date_part[4..6].parse().ok()?,
            date_part[6..8].parse().ok()?,
        )
        .ok()?;
        let Some(time) = time_part else {
            return Zone::UTC.timestamp(date.at(0, 0, 0, 0));
        };
        let utc = time.ends_with(['Z', 'z']);
        let digits = time.trim_end_matches(['Z', 'z']);
        if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let local = DateTime::new(
            date.year(),
            date.month(),
            date.day(),
            digits[..2].parse().ok()?,
            digits[2..4].parse().ok()?,
            digits.get(4..6).and_then(|s| s.parse().ok()).unwrap_or(0),
            0,
        )
        .ok()?;
        let zone = if utc {
            Zone::UTC
        } else {
            match property.param("TZID") {
                Some(tzid) => self.zone_of(tzid),
                None => Zone::UTC,
            }
        };
        zone.timestamp(local)
    }

    fn zone_of(&self, tzid: &str) -> Zone {
        let tzid = tzid.trim().trim_start_matches('/');
        zone_named(tzid)
            .or_else(|| windows_zone(tzid))
            .or_else(|| {
                self.zones
                    .iter()
                    .find(|(id, _)| id == tzid)
                    .map(|(_, offset)| Zone::Fixed(*offset))
            })
            .unwrap_or(Zone::UTC)
    }

    /// The maintenance-note events as drafts, in calendar order.
    pub fn maintenance_notes(&self) -> Vec<Draft> {
        self.events
            .iter()
            .filter(|e| e.is_maintenance_note())
            .map(|e| self.note(e))
            .collect()
    }

    fn note(&self, event: &Event) -> Draft {
        let text = |name: &str| event.get(name).map(Property::text);
        let default_impact = event
            .get("X-MAINTNOTE-IMPACT")
            .and_then(|p| Impact::from_bcop(&p.value));
        let circuits = event
            .all("X-MAINTNOTE-OBJECT-ID")
            .filter(|p| !p.value.trim().is_empty())
            .map(|p| {
                let impact = p
                    .param("X-MAINTNOTE-OBJECT-IMPACT")
                    .and_then(Impact::from_bcop)
                    .or(default_impact)
                    // The BCOP requires an impact; when a sender leaves it out, assume the worst.
                    .unwrap_or(Impact::Outage);
                Circuit::new(p.text(), impact)
            })
            .collect();
        let end = event
            .get("DTEND")
            .and_then(|p| self.timestamp(p))
            .or_else(|| {
                let start = self.timestamp(event.get("DTSTART")?)?;
                start.checked_add(parse_duration(&event.get("DURATION")?.value)?)
            });
        let status = event.get("X-MAINTNOTE-STATUS");
        let unreadable = match status {
            Some(p) if Status::from_bcop(&p.value).is_none() => Some((
                Field::Status,
                format!("{:?} is not a BCOP status", p.value.trim()),
            )),
            _ => ["DTSTART", "DTEND", "DTSTAMP"].iter().find_map(|name| {
                let p = event.get(name)?;
                let field = match *name {
                    "DTSTART" => Field::Start,
                    "DTEND" => Field::End,
                    _ => Field::Stamp,
                };
                self.timestamp(p).is_none().then(|| {
                    (
                        field,
                        format!("{name} {:?} is not an iCalendar date-time", p.value.trim()),
                    )
                })
            }),
        };
        Draft {
            provider: text("X-MAINTNOTE-PROVIDER"),
            account: text("X-MAINTNOTE-ACCOUNT"),
            maintenance_id: text("X-MAINTNOTE-MAINTENANCE-ID"),
            circuits,
            status: status.and_then(|p| Status::from_bcop(&p.value)),
            start: event.get("DTSTART").and_then(|p| self.timestamp(p)),
            end,
            stamp: event.get("DTSTAMP").and_then(|p| self.timestamp(p)),
            organizer: event.get("ORGANIZER").map(|p| p.value.trim().to_string()),
            uid: text("UID"),
            sequence: event
                .get("SEQUENCE")
                .and_then(|p| p.value.trim().parse().ok()),
            summary: text("SUMMARY"),
            unreadable,
            open_ended: false,
        }
    }
}

/// RFC 5545 DURATION ("PT2H", "P1DT30M", "-PT15M") in seconds.
fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let rest = rest.strip_prefix('P')?;
    let mut total: i64 = 0;
    let mut number: i64 = 0;
    for c in rest.chars() {
        match c {
            '0'..='9' => {
                number = number
                    .checked_mul(10)?
                    .checked_add(i64::from(c as u8 - b'0'))?
            }
            'T' => {}
            'W' | 'D' | 'H' | 'M' | 'S' => {
                let unit = match c {
                    'W' => 604_800,
                    'D' => 86_400,
                    'H' => 3600,
                    'M' => 60,
                    _ => 1,
                };
                total = total.checked_add(number.checked_mul(unit)?)?;
                number = 0;
            }
            _ => return None,
        }
    }
    Some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Fibre work\\, Paris\r\n\
DTSTART;TZID=Europe/Paris:20240310T020000\r\nDTEND:20240310T060000Z\r\nDTSTAMP:20240301T000000Z\r\n\
UID:abc\r\nX-MAINTNOTE-PROVIDER:example.net\r\nX-MAINTNOTE-ACCOUNT:Acme\r\nX-MAINTNOTE-MAINTENANCE-ID:MW-1\r\n\
X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT=NO-IMPACT:circ-a\r\nX-MAINTNOTE-OBJECT-ID:circ-\r\n b\r\n\
X-MAINTNOTE-IMPACT:DEGRADED\r\nX-MAINTNOTE-STATUS:TENTATIVE\r\nBEGIN:VALARM\r\nSUMMARY:not this\r\nEND:VALARM\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn a_maintenance_note_event_becomes_a_draft() {
        let notes = read_calendar(NOTE).maintenance_notes();
        assert_eq!(notes.len(), 1);
        let note = &notes[0];
        assert_eq!(note.summary.as_deref(), Some("Fibre work, Paris"));
        // 02:00 in Paris on 10 March is still winter time (UTC+1).
        assert_eq!(note.start, Some(1_710_032_400));
        assert_eq!(note.end, Some(1_710_050_400));
        assert_eq!(
            note.circuits,
            vec![
                Circuit::new("circ-a", Impact::NoImpact),
                Circuit::new("circ-b", Impact::Degraded)
            ]
        );
        assert_eq!(note.status, Some(Status::Tentative));
    }

    #[test]
    fn parameters_may_be_quoted_and_hold_colons() {
        let p = read_property("ORGANIZER;CN=\"NOC: Example\":mailto:noc@example.com").unwrap();
        assert_eq!(p.param("cn"), Some("NOC: Example"));
        assert_eq!(p.value, "mailto:noc@example.com");
        assert!(read_property("no colon here").is_none());
    }

    #[test]
    fn durations_and_offsets_read_as_seconds() {
        assert_eq!(parse_duration("P1DT2H30M"), Some(95_400));
        assert_eq!(parse_duration("-PT15M"), Some(-900));
        assert_eq!(parse_offset("+0530"), Some(19_800));
    }
}
