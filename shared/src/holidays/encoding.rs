//! Reads the compact holiday file `shared/tools/generate_holidays.py` writes: one ASCII
//! comment line, then little-endian tables (the layout is in the generator's docstring).
//! Only the name table and the region directory are decoded up front; a region's holidays
//! stay raw bytes, searched in place, so a roster naming three regions touches three slices.
//! `Check::Everything` walks every entry too, for files from elsewhere and for the tests.

use std::ops::RangeInclusive;

/// Where the holiday file stops reading as the generator writes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("holiday data at byte {offset}: {problem}")]
pub struct HolidayDataError {
    pub offset: usize,
    pub problem: String,
}

/// One region's holidays: 4-byte entries (day, name index), sorted by day.
#[derive(Debug, Clone, Copy)]
pub(super) struct RegionDays {
    pub(super) code: &'static str,
    entries: &'static [u8],
}

/// The decoded directory over the file's bytes.
#[derive(Debug, Clone)]
pub(super) struct Decoded {
    pub(super) header: &'static str,
    pub(super) years: RangeInclusive<i16>,
    pub(super) names: Vec<&'static str>,
    /// Sorted by code, as the generator writes them (checked).
    pub(super) regions: Vec<RegionDays>,
}

struct Reader {
    bytes: &'static [u8],
    at: usize,
}

impl Reader {
    fn fail(&self, problem: impl Into<String>) -> HolidayDataError {
        HolidayDataError {
            offset: self.at,
            problem: problem.into(),
        }
    }

    fn take(&mut self, count: usize, what: &str) -> Result<&'static [u8], HolidayDataError> {
        let bytes = self.bytes;
        let taken = self
            .at
            .checked_add(count)
            .and_then(|end| bytes.get(self.at..end))
            .ok_or_else(|| self.fail(format!("the file ends inside {what}")))?;
        self.at += count;
        Ok(taken)
    }

    fn u8(&mut self, what: &str) -> Result<u8, HolidayDataError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, HolidayDataError> {
        let pair = self.take(2, what)?;
        Ok(u16::from_le_bytes([pair[0], pair[1]]))
    }

    fn text(&mut self, count: usize, what: &str) -> Result<&'static str, HolidayDataError> {
        let start = self.at;
        let bytes = self.take(count, what)?;
        std::str::from_utf8(bytes).map_err(|error| HolidayDataError {
            offset: start,
            problem: format!("{what} is not UTF-8: {error}"),
        })
    }
}

/// How much of the file `decode` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// Every entry of every region: for a file from elsewhere.
    Everything,
    /// The header, names and directory only. For the file compiled into the binary, whose
    /// entries a unit test checks: a cold start then reads no region it is not asked about.
    /// A wrong entry can only make a look-up miss, never read out of bounds.
    Directory,
}

pub(super) fn decode(bytes: &'static [u8], check: Check) -> Result<Decoded, HolidayDataError> {
    let mut reader = Reader { bytes, at: 0 };
    if !bytes.starts_with(b"#") {
        return Err(reader.fail("the file does not start with its `#` header line"));
    }
    let header_end = bytes
        .iter()
        .position(|byte| *byte == b'\n')
        .ok_or_else(|| reader.fail("the header line has no end"))?;
    let header = reader.text(header_end, "the header line")?;
    reader.at += 1;

    let first = reader.u16("the first year")?;
    let last = reader.u16("the last year")?;
    let (Ok(first), Ok(last)) = (i16::try_from(first), i16::try_from(last)) else {
        return Err(reader.fail(format!("years {first}-{last} are out of range")));
    };
    if first > last || !(1900..=2200).contains(&first) || !(1900..=2200).contains(&last) {
        return Err(reader.fail(format!("years {first}-{last} are not a plausible range")));
    }

    let name_count = reader.u16("the name count")?;
    let mut names = Vec::with_capacity(usize::from(name_count));
    for _ in 0..name_count {
        let length = reader.u16("a name's length")?;
        names.push(reader.text(usize::from(length), "a holiday name")?);
    }

    let region_count = reader.u16("the region count")?;
    let mut directory = Vec::with_capacity(usize::from(region_count));
    for _ in 0..region_count {
        let length = reader.u8("a region code's length")?;
        let code = reader.text(usize::from(length), "a region code")?;
        if !is_region_code(code) {
            return Err(reader.fail(format!("{code:?} is not a region code like DE or DE-BY")));
        }
        if directory
            .last()
            .is_some_and(|(previous, _): &(&str, u16)| *previous >= code)
        {
            return Err(reader.fail(format!("region {code} is out of order")));
        }
        directory.push((code, reader.u16("a region's holiday count")?));
    }

    let days_covered = (first..=last).map(days_in_year).sum::<u16>();
    let mut regions = Vec::with_capacity(directory.len());
    for (code, count) in directory {
        let entries = reader.take(4 * usize::from(count), "a region's holidays")?;
        let days = RegionDays { code, entries };
        let mut previous = None;
        let checked = if check == Check::Everything {
            days.len()
        } else {
            0
        };
        for index in 0..checked {
            let (day, name) = days.entry(index);
            if day >= days_covered || usize::from(name) >= names.len() {
                return Err(reader.fail(format!("{code}: entry {index} points outside the file")));
            }
            if previous.is_some_and(|previous| previous >= day) {
                return Err(reader.fail(format!("{code}: entry {index} is out of order")));
            }
            previous = Some(day);
        }
        regions.push(days);
    }
    if reader.at != bytes.len() {
        return Err(reader.fail("bytes left over after the last region"));
    }
    Ok(Decoded {
        header,
        years: first..=last,
        names,
        regions,
    })
}

/// Two to three upper-case letters, then optionally `-` and one to three upper-case letters or
/// digits (ISO 3166-1 alpha-2 and 3166-2 subdivision codes).
pub(super) fn is_region_code(code: &str) -> bool {
    let (country, subdivision) = match code.split_once('-') {
        Some((country, subdivision)) => (country, Some(subdivision)),
        None => (code, None),
    };
    let upper = |part: &str| part.bytes().all(|byte| byte.is_ascii_uppercase());
    country.len() == 2
        && upper(country)
        && subdivision.is_none_or(|part| {
            (1..=3).contains(&part.len())
                && part
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
        })
}

fn days_in_year(year: i16) -> u16 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if leap { 366 } else { 365 }
}

impl RegionDays {
    fn len(&self) -> usize {
        self.entries.len() / 4
    }

    fn entry(&self, index: usize) -> (u16, u16) {
        let at = 4 * index;
        let word = |offset: usize| {
            u16::from_le_bytes([self.entries[at + offset], self.entries[at + offset + 1]])
        };
        (word(0), word(2))
    }

    /// The name index of the holiday `day` days after 1 January of the first year, if any.
    pub(super) fn holiday_on(&self, day: u16) -> Option<u16> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = (low + high) / 2;
            let (found, name) = self.entry(middle);
            match found.cmp(&day) {
                std::cmp::Ordering::Equal => return Some(name),
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
            }
        }
        None
    }

    pub(super) fn count(&self) -> usize {
        self.len()
    }
}

/// Days from 1 January of `first` to `(year, day_of_year)`, if within `first..=last`.
pub(super) fn day_number(years: &RangeInclusive<i16>, year: i16, day_of_year: i16) -> Option<u16> {
    if !years.contains(&year) {
        return None;
    }
    let before: u16 = (*years.start()..year).map(days_in_year).sum();
    Some(before + u16::try_from(day_of_year - 1).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &'static [u8]) -> Result<Decoded, HolidayDataError> {
        decode(bytes, Check::Everything)
    }

    #[test]
    fn checking_only_the_directory_leaves_the_entries_for_the_look_ups() {
        let unsorted = file(&[("GR", &[(5, 0), (0, 0)])], &["A"]);
        assert!(decode(unsorted, Check::Directory).is_ok());
        assert!(decode_all(unsorted).is_err());
    }

    /// A file as the generator lays it out: years 2026-2026, names, regions with entries.
    fn file(regions: &[(&str, &[(u16, u16)])], names: &[&str]) -> &'static [u8] {
        let mut out = b"# test file\n".to_vec();
        out.extend(2026u16.to_le_bytes());
        out.extend(2026u16.to_le_bytes());
        out.extend((names.len() as u16).to_le_bytes());
        for name in names {
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(name.as_bytes());
        }
        out.extend((regions.len() as u16).to_le_bytes());
        for (code, entries) in regions {
            out.push(code.len() as u8);
            out.extend(code.as_bytes());
            out.extend((entries.len() as u16).to_le_bytes());
        }
        for (_, entries) in regions {
            for (day, name) in *entries {
                out.extend(day.to_le_bytes());
                out.extend(name.to_le_bytes());
            }
        }
        out.leak()
    }

    #[test]
    fn a_well_formed_file_decodes_and_answers_by_day() {
        let decoded = decode_all(file(
            &[("GR", &[(0, 0), (5, 1)])],
            &["New Year", "Epiphany"],
        ));
        let Ok(decoded) = decoded else {
            panic!("{decoded:?}")
        };
        assert_eq!(decoded.header, "# test file");
        assert_eq!(decoded.years, 2026..=2026);
        assert_eq!(decoded.regions[0].holiday_on(5), Some(1));
        assert_eq!(decoded.regions[0].holiday_on(4), None);
    }

    #[test]
    fn every_truncation_of_a_file_is_refused_with_an_offset_not_a_panic() {
        let whole = file(
            &[("DE", &[(0, 0)]), ("DE-BY", &[(0, 0), (5, 1)])],
            &["A", "B"],
        );
        for end in 0..whole.len() {
            assert!(
                decode_all(&whole[..end]).is_err(),
                "cut at {end} was accepted"
            );
        }
        assert!(decode_all(whole).is_ok());
    }

    #[test]
    fn entries_out_of_order_pointing_nowhere_or_codes_unsorted_are_refused() {
        let unsorted_days = decode_all(file(&[("GR", &[(5, 0), (0, 0)])], &["A"]));
        assert!(unsorted_days.is_err_and(|error| error.problem.contains("out of order")));
        let no_such_name = decode_all(file(&[("GR", &[(0, 3)])], &["A"]));
        assert!(no_such_name.is_err_and(|error| error.problem.contains("outside")));
        let past_the_year = decode_all(file(&[("GR", &[(365, 0)])], &["A"]));
        assert!(past_the_year.is_err());
        let unsorted_codes = decode_all(file(&[("GR", &[]), ("DE", &[])], &[]));
        assert!(unsorted_codes.is_err_and(|error| error.problem.contains("out of order")));
        let lower_case = decode_all(file(&[("gr", &[])], &[]));
        assert!(lower_case.is_err());
    }

    #[test]
    fn region_codes_are_a_country_and_an_optional_subdivision() {
        for good in ["GR", "DE-BY", "US-CA", "FR-971", "ES-CT", "XK"] {
            assert!(is_region_code(good), "{good}");
        }
        for bad in [
            "", "G", "GRC", "de", "DE-", "DE-by", "DE-ABCD", "DE BY", "DE-B-Y",
        ] {
            assert!(!is_region_code(bad), "{bad}");
        }
    }

    #[test]
    fn day_numbers_count_from_the_first_year_across_a_leap_year() {
        assert_eq!(day_number(&(2026..=2035), 2026, 1), Some(0));
        assert_eq!(day_number(&(2026..=2035), 2029, 1), Some(365 + 365 + 366));
        assert_eq!(day_number(&(2026..=2035), 2036, 1), None);
        assert_eq!(day_number(&(2026..=2035), 2025, 365), None);
    }
}
