//! What the caller of a plan should know besides the weeks: history that was ignored,
//! overrides that put someone on duty against the rules, and years the public holiday
//! data does not cover.

use std::collections::BTreeSet;

use jiff::civil::Date;

use super::PublicHolidays;

#[derive(Debug, Default)]
pub(super) struct Warnings {
    messages: Vec<String>,
    uncovered_years: BTreeSet<i16>,
}

impl Warnings {
    pub(super) fn push(&mut self, message: String) {
        self.messages.push(message);
    }

    /// Remembers the years of `dates` that the holiday data does not cover; they are
    /// reported once each, at the end.
    pub(super) fn note_uncovered_years(&mut self, dates: impl IntoIterator<Item = Date>) {
        let holidays = PublicHolidays::shipped();
        for date in dates {
            if !holidays.is_covered(date) {
                self.uncovered_years.insert(date.year());
            }
        }
    }

    /// The warnings in the order they arose, then one per uncovered year.
    pub(super) fn finish(mut self) -> Vec<String> {
        let covered = PublicHolidays::shipped().covered_years();
        for year in &self.uncovered_years {
            self.messages.push(format!(
                "public holiday data covers {}-{}; holidays in {year} were not taken into account",
                covered.start(),
                covered.end()
            ));
        }
        self.messages
    }
}
