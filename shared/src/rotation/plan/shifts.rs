//! When a week's shift runs and which of its dates count for working days: a fair
//! rotation's Monday to Friday in each zone, a sequential rotation's seven days from
//! the common handoff.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::{IsoWeek, OutOfCalendar, ShiftWindow, Style, calendar};

/// Each zone's shift window for `week`: its own Monday midnight to Saturday for a
/// fair rotation, the common handoff for a sequential one. Indexed like `zones`.
pub(super) fn zone_windows(
    style: &Style,
    zones: &[&TimeZone],
    week: IsoWeek,
) -> Result<Vec<ShiftWindow>, OutOfCalendar> {
    match style {
        Style::Sequential { handoff, .. } => {
            let window = calendar::handoff_shift(week, handoff)?;
            Ok(vec![window; zones.len()])
        }
        Style::Fair => zones
            .iter()
            .map(|zone| calendar::weekday_shift(week, zone))
            .collect(),
    }
}

/// The dates whose working days count for someone in `zone` this week, in that zone.
pub(super) fn shift_dates(
    style: &Style,
    week: IsoWeek,
    window: &ShiftWindow,
    zone: &TimeZone,
) -> Vec<Date> {
    match style {
        Style::Fair => week.weekdays().collect(),
        Style::Sequential { .. } => {
            let first = calendar::local_date(window.start, zone);
            calendar::seven_days_from(first)
        }
    }
}

/// The week's shift as the plan states it: in the primary's zone for a fair rotation
/// (in UTC when nobody serves), the common handoff for a sequential one.
pub(super) fn window_for(
    style: &Style,
    week: IsoWeek,
    primary_zone: Option<&TimeZone>,
) -> Result<ShiftWindow, OutOfCalendar> {
    match (style, primary_zone) {
        (Style::Sequential { handoff, .. }, _) => calendar::handoff_shift(week, handoff),
        (Style::Fair, Some(zone)) => calendar::weekday_shift(week, zone),
        (Style::Fair, None) => calendar::weekday_shift(week, &TimeZone::UTC),
    }
}
