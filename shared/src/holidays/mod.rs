//! Public holidays, shipped inside the binary so planning never calls out: every country of
//! the Python `holidays` package and its coded subdivisions (`GR`, `DE-BY`, `US-CA`).
//! Owns `HolidayRegion` and the lookup over `data/holidays.bin` (regenerate it with `make
//! holidays-data`). Dates outside `covered_years()` count as no holiday.

mod encoding;
mod matches;

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub use encoding::HolidayDataError;
use encoding::{Check, Decoded, RegionDays, day_number};

const SHIPPED: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/holidays.bin"));

/// A country (`"GR"`) or a country's subdivision (`"DE-BY"`) the holiday data knows,
/// as a roster's `holidays` field names it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HolidayRegion(&'static str);

/// A `holidays` value the data does not know, with the known codes closest to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHolidayRegion {
    pub text: String,
    pub close_matches: Vec<&'static str>,
    /// How many more codes were as close as the last one listed.
    pub more: usize,
}

impl std::error::Error for UnknownHolidayRegion {}

impl fmt::Display for UnknownHolidayRegion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "there is no public holiday data for {:?}",
            self.text
        )?;
        if self.close_matches.is_empty() {
            return formatter.write_str(
                "; give a country code like \"GR\" or a subdivision like \"DE-BY\" \
                 (ISO 3166, as the Python holidays package names them)",
            );
        }
        write!(
            formatter,
            "; close matches: {}",
            self.close_matches.join(", ")
        )?;
        if self.more > 0 {
            write!(formatter, " and {} more", self.more)?;
        }
        Ok(())
    }
}

impl HolidayRegion {
    /// The region of the shipped data named exactly `text` (codes are upper-case).
    pub fn parse(text: &str) -> Result<HolidayRegion, UnknownHolidayRegion> {
        PublicHolidays::shipped().region(text)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The country part: `"DE"` for `"DE-BY"`.
    pub fn country(&self) -> &'static str {
        self.0.split('-').next().unwrap_or(self.0)
    }
}

impl fmt::Display for HolidayRegion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0)
    }
}

impl fmt::Debug for HolidayRegion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "HolidayRegion({})", self.0)
    }
}

impl Serialize for HolidayRegion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for HolidayRegion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HolidayRegion::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Public holidays per region for a fixed range of years.
#[derive(Debug, Clone)]
pub struct PublicHolidays {
    decoded: Decoded,
}

static SHIPPED_HOLIDAYS: LazyLock<PublicHolidays> = LazyLock::new(|| {
    // The file is part of the build, not input: `the_shipped_holiday_file_decodes` checks
    // every entry of it, so at start only its directory is read, and a failure here is a
    // packaging defect worth stopping for.
    encoding::decode(SHIPPED, Check::Directory)
        .map(|decoded| PublicHolidays { decoded })
        .unwrap_or_else(|error| panic!("data/holidays.bin is corrupt: {error}"))
});

impl PublicHolidays {
    /// The holidays compiled into this binary, decoded on first use.
    pub fn shipped() -> &'static PublicHolidays {
        &SHIPPED_HOLIDAYS
    }

    /// Reads a file as `shared/tools/generate_holidays.py` writes it, checking every entry.
    pub fn decode(bytes: &'static [u8]) -> Result<PublicHolidays, HolidayDataError> {
        Ok(PublicHolidays {
            decoded: encoding::decode(bytes, Check::Everything)?,
        })
    }

    /// The generator's header line: package version, years, counts.
    pub fn provenance(&self) -> &'static str {
        self.decoded.header
    }

    fn days_of(&self, code: &str) -> Option<&RegionDays> {
        let regions = &self.decoded.regions;
        let index = regions
            .binary_search_by(|region| region.code.cmp(code))
            .ok()?;
        regions.get(index)
    }

    /// The region named exactly `text`, or the error listing the codes closest to it.
    pub fn region(&self, text: &str) -> Result<HolidayRegion, UnknownHolidayRegion> {
        if let Some(days) = self.days_of(text) {
            return Ok(HolidayRegion(days.code));
        }
        let (close_matches, more) = matches::close_matches(text, self.regions_codes());
        Err(UnknownHolidayRegion {
            text: text.to_owned(),
            close_matches,
            more,
        })
    }

    fn regions_codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.decoded.regions.iter().map(|region| region.code)
    }

    /// The name of the public holiday on `date` in `region`, if any; `None` outside the
    /// covered years and for a region this data does not hold.
    pub fn public_holiday(&self, region: &HolidayRegion, date: Date) -> Option<&'static str> {
        let day = day_number(&self.decoded.years, date.year(), date.day_of_year())?;
        let name = self.days_of(region.0)?.holiday_on(day)?;
        self.decoded.names.get(usize::from(name)).copied()
    }

    /// How many holidays `region` has over the covered years.
    pub fn holiday_count(&self, region: &HolidayRegion) -> usize {
        self.days_of(region.0).map_or(0, RegionDays::count)
    }

    pub fn covered_years(&self) -> RangeInclusive<i16> {
        self.decoded.years.clone()
    }

    pub fn is_covered(&self, date: Date) -> bool {
        self.decoded.years.contains(&date.year())
    }

    /// Every region, countries and subdivisions, sorted by code.
    pub fn regions(&self) -> impl Iterator<Item = HolidayRegion> + '_ {
        self.regions_codes().map(HolidayRegion)
    }
}

/// The name of the public holiday on `date` in `region`, if any. A date outside
/// [`covered_years`] is answered with `None`; callers that care (the planner) check
/// [`covered_years`] and say so.
pub fn public_holiday(region: &HolidayRegion, date: Date) -> Option<&'static str> {
    PublicHolidays::shipped().public_holiday(region, date)
}

pub fn covered_years() -> RangeInclusive<i16> {
    PublicHolidays::shipped().covered_years()
}

#[cfg(test)]
mod tests;
