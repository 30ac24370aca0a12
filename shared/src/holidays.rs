//! National public holidays, shipped inside the binary so planning never calls out.
//! Owns `CountryCode` and the lookup over `data/holidays.tsv` (regenerate it with
//! `tools/generate_holidays.py`). Dates outside `covered_years()` count as no holiday.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

const SHIPPED_TSV: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/holidays.tsv"));

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted, two letters each.
/// Kept as one string so a `CountryCode` can borrow its two letters for `'static`.
const ISO_3166_ALPHA_2: &str = concat!(
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZ",
    "BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ",
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZ",
    "DEDJDKDMDODZ",
    "ECEEEGEHERESET",
    "FIFJFKFMFOFR",
    "GAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY",
    "HKHMHNHRHTHU",
    "IDIEILIMINIOIQIRISIT",
    "JEJMJOJP",
    "KEKGKHKIKMKNKPKRKWKYKZ",
    "LALBLCLILKLRLSLTLULVLY",
    "MAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ",
    "NANCNENFNGNINLNONPNRNUNZ",
    "OM",
    "PAPEPFPGPHPKPLPMPNPRPSPTPWPY",
    "QA",
    "RERORSRURW",
    "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ",
    "TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZ",
    "UAUGUMUSUYUZ",
    "VAVCVEVGVIVNVU",
    "WFWS",
    "YEYT",
    "ZAZMZW",
);

fn assigned_codes() -> impl Iterator<Item = &'static str> {
    (0..ISO_3166_ALPHA_2.len() / 2).filter_map(|pair| ISO_3166_ALPHA_2.get(2 * pair..2 * pair + 2))
}

/// An officially assigned ISO 3166-1 alpha-2 country code, upper-case (`"IT"`, `"US"`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode(&'static str);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryCodeError {
    #[error("country code {0:?} should be two upper-case letters, like \"{1}\"")]
    NotUpperCase(String, String),
    #[error("country code {0:?} is not two letters (ISO 3166-1 alpha-2, like \"IT\")")]
    Malformed(String),
    #[error("country code {0:?} is not an assigned ISO 3166-1 alpha-2 code")]
    Unassigned(String),
}

impl CountryCode {
    pub fn parse(text: &str) -> Result<CountryCode, CountryCodeError> {
        if text.len() != 2 || !text.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            return Err(CountryCodeError::Malformed(text.to_owned()));
        }
        if !text.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(CountryCodeError::NotUpperCase(
                text.to_owned(),
                text.to_ascii_uppercase(),
            ));
        }
        assigned_codes()
            .find(|code| *code == text)
            .map(CountryCode)
            .ok_or_else(|| CountryCodeError::Unassigned(text.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl FromStr for CountryCode {
    type Err = CountryCodeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CountryCode::parse(text)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0)
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "CountryCode({})", self.0)
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CountryCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A line of the shipped file that does not read as `country<TAB>date<TAB>name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("holiday data line {line}: {problem}")]
pub struct HolidayDataError {
    pub line: usize,
    pub problem: String,
}

/// Public holidays per country for a fixed range of years.
#[derive(Debug, Clone)]
pub struct PublicHolidays {
    by_country: BTreeMap<CountryCode, BTreeMap<Date, &'static str>>,
    years: RangeInclusive<i16>,
}

static SHIPPED: LazyLock<PublicHolidays> = LazyLock::new(|| {
    // The file is part of the build, not input: `the_shipped_holiday_file_parses` keeps
    // it valid, so a failure here is a packaging defect worth stopping for.
    PublicHolidays::parse(SHIPPED_TSV)
        .unwrap_or_else(|error| panic!("data/holidays.tsv is corrupt: {error}"))
});

impl PublicHolidays {
    /// The holidays compiled into this binary.
    pub fn shipped() -> &'static PublicHolidays {
        &SHIPPED
    }

    /// Reads `country<TAB>YYYY-MM-DD<TAB>name` lines; `#` lines and blank lines are skipped.
    /// The covered years are those of the first and last dates present.
    pub fn parse(text: &'static str) -> Result<PublicHolidays, HolidayDataError> {
        let mut by_country: BTreeMap<CountryCode, BTreeMap<Date, &'static str>> = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let problem = |problem: String| HolidayDataError {
                line: index + 1,
                problem,
            };
            let mut fields = line.split('\t');
            let (Some(country), Some(date), Some(name), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(problem("expected three tab-separated fields".to_owned()));
            };
            let country =
                CountryCode::parse(country).map_err(|error| problem(error.to_string()))?;
            let date: Date = date
                .parse()
                .map_err(|error| problem(format!("date {date:?}: {error}")))?;
            by_country.entry(country).or_default().insert(date, name);
        }
        let all_dates = || by_country.values().flat_map(|dates| dates.keys());
        let (Some(first), Some(last)) = (all_dates().min(), all_dates().max()) else {
            return Err(HolidayDataError {
                line: 0,
                problem: "no holidays at all".to_owned(),
            });
        };
        let years = first.year()..=last.year();
        Ok(PublicHolidays { by_country, years })
    }

    pub fn public_holiday(&self, country: &CountryCode, date: Date) -> Option<&'static str> {
        self.by_country.get(country)?.get(&date).copied()
    }

    pub fn is_supported(&self, country: &CountryCode) -> bool {
        self.by_country.contains_key(country)
    }

    pub fn covered_years(&self) -> RangeInclusive<i16> {
        self.years.clone()
    }

    pub fn is_covered(&self, date: Date) -> bool {
        self.years.contains(&date.year())
    }

    pub fn supported_countries(&self) -> impl Iterator<Item = CountryCode> + '_ {
        self.by_country.keys().copied()
    }
}

/// The name of the public holiday on `date` in `country`, if any. A date outside
/// [`covered_years`] or a country without data is answered with `None`; callers that
/// care (the planner) check [`covered_years`] and say so.
pub fn public_holiday(country: &CountryCode, date: Date) -> Option<&'static str> {
    PublicHolidays::shipped().public_holiday(country, date)
}

pub fn is_supported(country: &CountryCode) -> bool {
    PublicHolidays::shipped().is_supported(country)
}

pub fn covered_years() -> RangeInclusive<i16> {
    PublicHolidays::shipped().covered_years()
}

pub fn supported_countries() -> impl Iterator<Item = CountryCode> {
    PublicHolidays::shipped().supported_countries()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn country(code: &str) -> CountryCode {
        match CountryCode::parse(code) {
            Ok(country) => country,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn the_shipped_holiday_file_parses() {
        let parsed = PublicHolidays::parse(SHIPPED_TSV);
        assert!(parsed.is_ok(), "{parsed:?}");
    }

    #[test]
    fn the_shipped_file_covers_2026_to_2030_for_twenty_countries() {
        assert_eq!(covered_years(), 2026..=2030);
        let countries: Vec<String> = supported_countries().map(|c| c.to_string()).collect();
        for code in "IT NL ES US AU IN DE PL BR CA GB FR IE JP SG NZ MX PT CH SE".split(' ') {
            assert!(countries.iter().any(|c| c == code), "{code} missing");
        }
    }

    #[test]
    fn the_us_observes_independence_day_on_monday_when_it_falls_on_a_sunday() {
        let holiday = public_holiday(&country("US"), date(2027, 7, 5));
        assert_eq!(holiday, Some("Independence Day (observed)"));
    }

    #[test]
    fn thanksgiving_2027_is_on_the_25th_of_november() {
        assert_eq!(
            public_holiday(&country("US"), date(2027, 11, 25)),
            Some("Thanksgiving Day")
        );
    }

    #[test]
    fn germany_has_unity_day_and_italy_the_immaculate_conception() {
        assert!(public_holiday(&country("DE"), date(2027, 10, 3)).is_some());
        assert!(public_holiday(&country("IT"), date(2027, 12, 8)).is_some());
        assert_eq!(public_holiday(&country("IT"), date(2027, 12, 9)), None);
    }

    #[test]
    fn a_country_without_data_has_no_holidays_and_is_not_supported() {
        let kenya = country("KE");
        assert!(!is_supported(&kenya));
        assert_eq!(public_holiday(&kenya, date(2027, 12, 25)), None);
    }

    #[test]
    fn a_date_outside_the_covered_years_is_no_holiday() {
        assert_eq!(public_holiday(&country("US"), date(2031, 12, 25)), None);
        assert!(!PublicHolidays::shipped().is_covered(date(2031, 12, 25)));
    }

    #[test]
    fn sweden_does_not_list_every_sunday() {
        assert_eq!(public_holiday(&country("SE"), date(2027, 1, 10)), None);
    }

    #[test]
    fn country_codes_must_be_assigned_upper_case_pairs() {
        assert!(CountryCode::parse("IT").is_ok());
        assert!(matches!(
            CountryCode::parse("it"),
            Err(CountryCodeError::NotUpperCase(_, _))
        ));
        assert!(matches!(
            CountryCode::parse("ITA"),
            Err(CountryCodeError::Malformed(_))
        ));
        assert!(matches!(
            CountryCode::parse("XX"),
            Err(CountryCodeError::Unassigned(_))
        ));
        assert!(matches!(
            CountryCode::parse("É"),
            Err(CountryCodeError::Malformed(_))
        ));
    }

    #[test]
    fn the_code_table_holds_249_sorted_codes() {
        let codes: Vec<&str> = assigned_codes().collect();
        assert_eq!(ISO_3166_ALPHA_2.len(), 2 * 249);
        assert_eq!(codes.len(), 249);
        assert!(codes.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_country_code_round_trips_through_json() {
        let json = serde_json::to_string(&country("NZ")).unwrap_or_default();
        assert_eq!(json, "\"NZ\"");
        let back: Result<CountryCode, _> = serde_json::from_str("\"NZ\"");
        assert_eq!(back.ok(), Some(country("NZ")));
        assert!(serde_json::from_str::<CountryCode>("\"nz\"").is_err());
    }
}
