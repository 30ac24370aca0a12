//! Calendar arithmetic the planner stands on: ISO weeks as labels, shift windows in a
//! given zone, and how many working days a person has among some dates.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use super::roster::{Handoff, Person, Roster};
use crate::holidays::{HolidayRegion, PublicHolidays};

/// An ISO 8601 week, written `2027-W01`. Ordered chronologically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IsoWeek {
    // The Monday carries both the label (via ISOWeekDate) and cheap ordering.
    monday: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsoWeekError {
    #[error("{0:?} is not an ISO week like \"2027-W01\"")]
    Malformed(String),
    #[error("ISO year {year} has no week {week}")]
    NoSuchWeek { year: i16, week: i8 },
}

impl IsoWeek {
    pub fn new(year: i16, week: i8) -> Result<IsoWeek, IsoWeekError> {
        ISOWeekDate::new(year, week, Weekday::Monday)
            .map(|monday| IsoWeek {
                monday: monday.date(),
            })
            .map_err(|_| IsoWeekError::NoSuchWeek { year, week })
    }

    pub fn containing(date: Date) -> IsoWeek {
        let week_date = date.iso_week_date();
        // jiff's calendar starts on a Monday (-9999-01-01), so every week has its
        // Monday; the fallback only keeps this free of panics.
        let monday = ISOWeekDate::new(week_date.year(), week_date.week(), Weekday::Monday)
            .map_or(Date::MIN, ISOWeekDate::date);
        IsoWeek { monday }
    }

    pub fn year(self) -> i16 {
        self.monday.iso_week_date().year()
    }

    pub fn week(self) -> i8 {
        self.monday.iso_week_date().week()
    }

    pub fn monday(self) -> Date {
        self.monday
    }

    /// The date of `weekday` in this week, or `None` past the end of jiff's calendar.
    pub fn day(self, weekday: Weekday) -> Option<Date> {
        let offset = i64::from(weekday.to_monday_zero_offset());
        self.monday.checked_add(offset.days()).ok()
    }

    /// Monday to Friday.
    pub fn weekdays(self) -> impl Iterator<Item = Date> {
        (0..5).filter_map(move |offset: i64| self.monday.checked_add(offset.days()).ok())
    }

    /// `None` only at the end of jiff's calendar (year 9999).
    pub fn next(self) -> Option<IsoWeek> {
        self.monday
            .checked_add(7.days())
            .ok()
            .map(|monday| IsoWeek { monday })
    }

    /// `None` only at the start of jiff's calendar (year -9999).
    pub fn previous(self) -> Option<IsoWeek> {
        self.monday
            .checked_sub(7.days())
            .ok()
            .map(|monday| IsoWeek { monday })
    }

    /// Whole weeks from `self` to `later` (negative when `later` is earlier).
    pub fn weeks_until(self, later: IsoWeek) -> i64 {
        later.monday.duration_since(self.monday).as_hours() / (7 * 24)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:04}-W{:02}", self.year(), self.week())
    }
}

impl fmt::Debug for IsoWeek {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "IsoWeek({self})")
    }
}

impl FromStr for IsoWeek {
    type Err = IsoWeekError;

    /// Exactly `YYYY-Www`: four-digit year, upper-case `W`, two-digit week.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || IsoWeekError::Malformed(text.to_owned());
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 8
            && bytes[4] == b'-'
            && bytes[5] == b'W'
            && bytes[..4].iter().chain(&bytes[6..]).all(u8::is_ascii_digit);
        if !shaped {
            return Err(malformed());
        }
        let year: i16 = text
            .get(..4)
            .and_then(|year| year.parse().ok())
            .ok_or_else(malformed)?;
        let week: i8 = text
            .get(6..)
            .and_then(|week| week.parse().ok())
            .ok_or_else(malformed)?;
        IsoWeek::new(year, week)
    }
}

impl TryFrom<String> for IsoWeek {
    type Error = IsoWeekError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<IsoWeek> for String {
    fn from(week: IsoWeek) -> String {
        week.to_string()
    }
}

/// When a shift starts and ends, as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftWindow {
    pub start: Timestamp,
    pub end: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("week {week} is beyond the calendar this planner can compute")]
pub struct OutOfCalendar {
    pub week: IsoWeek,
}

/// Monday 00:00 to Saturday 00:00 (the end of Friday) in `zone`. A DST change inside
/// the week makes it 119 or 121 hours long instead of 120.
pub fn weekday_shift(week: IsoWeek, zone: &TimeZone) -> Result<ShiftWindow, OutOfCalendar> {
    let out = |_| OutOfCalendar { week };
    let saturday = week.day(Weekday::Saturday).ok_or(OutOfCalendar { week })?;
    Ok(ShiftWindow {
        start: week
            .monday()
            .to_zoned(zone.clone())
            .map_err(out)?
            .timestamp(),
        end: saturday.to_zoned(zone.clone()).map_err(out)?.timestamp(),
    })
}

/// The handoff that opens `week`'s shift of a sequential rotation: its weekday and time
/// in its zone. A time that falls in a DST gap moves forward, as clocks do.
pub fn handoff_instant(week: IsoWeek, handoff: &Handoff) -> Result<Timestamp, OutOfCalendar> {
    let day = week.day(handoff.weekday).ok_or(OutOfCalendar { week })?;
    let moment = day.to_datetime(handoff.time);
    handoff
        .timezone
        .zone()
        .to_zoned(moment)
        .map(|zoned| zoned.timestamp())
        .map_err(|_| OutOfCalendar { week })
}

/// From `week`'s handoff to the next one: 168 hours, or 167/169 across a DST change.
pub fn handoff_shift(week: IsoWeek, handoff: &Handoff) -> Result<ShiftWindow, OutOfCalendar> {
    let next = week.next().ok_or(OutOfCalendar { week })?;
    Ok(ShiftWindow {
        start: handoff_instant(week, handoff)?,
        end: handoff_instant(next, handoff)?,
    })
}

/// The calendar date in `zone` at `instant`.
pub fn local_date(instant: Timestamp, zone: &TimeZone) -> Date {
    instant.to_zoned(zone.clone()).date()
}

/// The seven calendar dates starting at `first`.
pub fn seven_days_from(first: Date) -> Vec<Date> {
    (0..7_i64)
        .filter_map(|offset| first.checked_add(offset.days()).ok())
        .collect()
}

/// How many working days someone has among some dates, and what took the others.
/// A day off for two reasons is counted once: public holiday, then company holiday,
/// then absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkingDays {
    pub working: u8,
    /// Monday-Friday dates among those looked at.
    pub weekdays: u8,
    pub public_holidays: u8,
    pub company_holidays: u8,
    pub absent: u8,
}

impl fmt::Display for WorkingDays {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |count: u8, one: &str, many: &str| match count {
            1 => format!("1 {one}"),
            n => format!("{n} {many}"),
        };
        write!(
            formatter,
            "{}",
            plural(self.working, "working day", "working days")
        )?;
        let mut reasons = Vec::new();
        if self.public_holidays > 0 {
            reasons.push(plural(
                self.public_holidays,
                "public holiday",
                "public holidays",
            ));
        }
        if self.company_holidays > 0 {
            reasons.push(plural(
                self.company_holidays,
                "company holiday",
                "company holidays",
            ));
        }
        if self.absent > 0 {
            reasons.push(plural(self.absent, "day absent", "days absent"));
        }
        if !reasons.is_empty() {
            write!(formatter, " ({})", reasons.join(", "))?;
        }
        Ok(())
    }
}

/// Bit `i` stands for `dates[i]`; a week needs at most seven bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DayMask(pub(crate) u8);

impl DayMask {
    pub(crate) fn of(dates: &[Date], mut marked: impl FnMut(Date) -> bool) -> DayMask {
        let bits = dates
            .iter()
            .take(8)
            .enumerate()
            .filter(|(_, date)| marked(**date))
            .fold(0_u8, |bits, (index, _)| bits | (1 << index));
        DayMask(bits)
    }

    fn count(self) -> u8 {
        // At most 8 bits are ever set, so the count fits a u8.
        self.0.count_ones() as u8
    }
}

/// The per-day marks that decide working days; the planner caches the shared ones
/// (weekdays, a country's holidays, company holidays) and computes absences per person.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DayMarks {
    pub(crate) weekdays: DayMask,
    pub(crate) public_holidays: DayMask,
    pub(crate) company_holidays: DayMask,
    pub(crate) absent: DayMask,
}

impl DayMarks {
    pub(crate) fn working_days(self) -> WorkingDays {
        let weekdays = self.weekdays.0;
        let public = weekdays & self.public_holidays.0;
        let company = weekdays & self.company_holidays.0 & !public;
        let absent = weekdays & self.absent.0 & !public & !company;
        let working = weekdays & !public & !company & !absent;
        WorkingDays {
            working: DayMask(working).count(),
            weekdays: DayMask(weekdays).count(),
            public_holidays: DayMask(public).count(),
            company_holidays: DayMask(company).count(),
            absent: DayMask(absent).count(),
        }
    }
}

pub(crate) fn weekday_mask(dates: &[Date]) -> DayMask {
    DayMask::of(dates, |date| date.weekday().to_monday_zero_offset() < 5)
}

pub(crate) fn public_holiday_mask(region: &HolidayRegion, dates: &[Date]) -> DayMask {
    let holidays = PublicHolidays::shipped();
    DayMask::of(dates, |date| {
        holidays.public_holiday(region, date).is_some()
    })
}

pub(crate) fn company_holiday_mask(roster: &Roster, dates: &[Date]) -> DayMask {
    DayMask::of(dates, |date| roster.company_holiday(date).is_some())
}

pub(crate) fn absence_mask(person: &Person, dates: &[Date]) -> DayMask {
    DayMask::of(dates, |date| person.is_absent_on(date))
}

/// Working days of `person` among `dates` (calendar dates in their own zone): the
/// Monday-Friday ones, less their region's public holidays, company holidays and
/// their absences. Years the holiday data does not cover count as holiday-free.
pub fn working_days(roster: &Roster, person: &Person, dates: &[Date]) -> WorkingDays {
    DayMarks {
        weekdays: weekday_mask(dates),
        public_holidays: public_holiday_mask(&person.holidays, dates),
        company_holidays: company_holiday_mask(roster, dates),
        absent: absence_mask(person, dates),
    }
    .working_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn week(text: &str) -> IsoWeek {
        text.parse().expect("week")
    }

    #[test]
    fn iso_weeks_print_zero_padded_and_parse_back() {
        let first = IsoWeek::containing(date(2027, 1, 6));
        assert_eq!(first.to_string(), "2027-W01");
        assert_eq!(first.monday(), date(2027, 1, 4));
        assert_eq!(week("2027-W01"), first);
        assert_eq!(serde_json::to_string(&first).expect("json"), "\"2027-W01\"");
        let back: IsoWeek = serde_json::from_str("\"2027-W01\"").expect("json");
        assert_eq!(back, first);
    }

    #[test]
    fn the_first_days_of_january_can_belong_to_the_previous_iso_year() {
        assert_eq!(
            IsoWeek::containing(date(2027, 1, 1)).to_string(),
            "2026-W53"
        );
        assert_eq!(
            IsoWeek::containing(date(2026, 12, 28)).to_string(),
            "2026-W53"
        );
    }

    #[test]
    fn next_and_previous_cross_year_boundaries() {
        assert_eq!(week("2026-W53").next(), Some(week("2027-W01")));
        assert_eq!(week("2027-W01").previous(), Some(week("2026-W53")));
        assert_eq!(week("2027-W52").next(), Some(week("2028-W01")));
        assert_eq!(week("2027-W01").weeks_until(week("2028-W01")), 52);
        assert!(week("2027-W01") < week("2027-W02"));
    }

    #[test]
    fn week_strings_are_parsed_strictly() {
        for bad in [
            "2027-W1",
            "2027-w01",
            "2027W01",
            "27-W01",
            "2027-W01 ",
            "+027-W01",
            "2027-W٠1",
        ] {
            assert!(
                matches!(bad.parse::<IsoWeek>(), Err(IsoWeekError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(
            "2027-W53".parse::<IsoWeek>(),
            Err(IsoWeekError::NoSuchWeek {
                year: 2027,
                week: 53
            })
        );
        assert!("2026-W53".parse::<IsoWeek>().is_ok());
        assert!("2027-W00".parse::<IsoWeek>().is_err());
    }

    #[test]
    fn a_weekday_shift_in_jerusalem_loses_an_hour_when_dst_starts_on_a_friday() {
        let zone = TimeZone::get("Asia/Jerusalem").expect("zone");
        let window = weekday_shift(week("2027-W12"), &zone).expect("window");
        assert_eq!(window.start.to_string(), "2027-03-21T22:00:00Z");
        assert_eq!(window.end.duration_since(window.start).as_hours(), 119);
    }

    #[test]
    fn a_madrid_handoff_week_across_the_march_change_lasts_167_hours() {
        let handoff = Handoff {
            weekday: Weekday::Wednesday,
            time: jiff::civil::Time::constant(16, 0, 0, 0),
            timezone: crate::rotation::roster::IanaTimeZone::parse("Europe/Madrid").expect("zone"),
        };
        let window = handoff_shift(week("2027-W12"), &handoff).expect("window");
        assert_eq!(window.start.to_string(), "2027-03-24T15:00:00Z");
        assert_eq!(window.end.to_string(), "2027-03-31T14:00:00Z");
        assert_eq!(window.end.duration_since(window.start).as_hours(), 167);
        let autumn = handoff_shift(week("2027-W43"), &handoff).expect("window");
        assert_eq!(autumn.end.duration_since(autumn.start).as_hours(), 169);
    }

    #[test]
    fn working_days_say_what_took_the_other_days() {
        let marks = DayMarks {
            weekdays: DayMask(0b11111),
            public_holidays: DayMask(0b00011),
            company_holidays: DayMask(0b00110),
            absent: DayMask(0b11000),
        };
        let days = marks.working_days();
        assert_eq!(days.working, 0);
        assert_eq!(
            (days.public_holidays, days.company_holidays, days.absent),
            (2, 1, 2)
        );
        assert_eq!(
            days.to_string(),
            "0 working days (2 public holidays, 1 company holiday, 2 days absent)"
        );
    }

    proptest! {
        #[test]
        fn any_week_string_round_trips(year in 1000_i16..=9998, week_number in 1_i8..=53) {
            if let Ok(week) = IsoWeek::new(year, week_number) {
                prop_assert_eq!(week.to_string().parse::<IsoWeek>(), Ok(week));
                prop_assert_eq!(IsoWeek::containing(week.monday()), week);
                prop_assert_eq!(week.next().and_then(IsoWeek::previous), Some(week));
            }
        }

        #[test]
        fn parsing_arbitrary_week_strings_never_panics(text in "\\PC{0,12}") {
            let _ = text.parse::<IsoWeek>();
        }
    }
}
