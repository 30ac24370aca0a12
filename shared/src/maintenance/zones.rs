//! Time zones as notices name them: abbreviations ("EST", "CET"), spoken names ("Eastern", "Greenwich
//! Mean Time"), offsets ("GMT+3", "(GMT+08:00)", "+0530"), IANA names ("Europe/London") and places ("San
//! Jose, CA"). Conversion always goes through jiff's bundled tz database, so DST is exact and offline.

use std::sync::LazyLock;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone, TimeZoneDatabase};

/// The tz database compiled into the binary, used explicitly so results never depend on the host's
/// /usr/share/zoneinfo (which jiff would otherwise prefer).
static TZDB: LazyLock<TimeZoneDatabase> = LazyLock::new(TimeZoneDatabase::bundled);

/// A zone a local wall-clock time is expressed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Zone {
    /// A fixed offset, in seconds east of UTC ("EST" is always -05:00, "GMT+3" always +03:00).
    Fixed(i32),
    /// A region whose offset depends on the date ("Eastern", "Europe/London").
    Region(String),
}

impl Zone {
    pub const UTC: Zone = Zone::Fixed(0);

    /// The Unix time of a wall-clock time in this zone. A time that falls in a DST gap or fold resolves
    /// the way clocks are read in practice: a skipped time counts after the jump, a repeated one the first time.
    pub fn timestamp(&self, local: DateTime) -> Option<i64> {
        let tz = match self {
            Zone::Fixed(seconds) => TimeZone::fixed(Offset::from_seconds(*seconds).ok()?),
            Zone::Region(name) => TZDB.get(name).ok()?,
        };
        local.to_zoned(tz).ok().map(|z| z.timestamp().as_second())
    }

    pub fn region(name: &str) -> Zone {
        Zone::Region(name.to_string())
    }
}

/// A zone from one word or short phrase as it appears next to a time, e.g. "GMT", "Pacific", "IST".
/// Ambiguous abbreviations take the reading most common in network-operator mail (CST = US Central,
/// IST = India, BST = British Summer Time).
pub(crate) fn zone_named(name: &str) -> Option<Zone> {
    let key = name
        .trim()
        .trim_matches(|c| c == '(' || c == ')')
        .trim()
        .to_ascii_uppercase();
    let hours = |h: i32| Some(Zone::Fixed(h * 3600));
    let minutes = |m: i32| Some(Zone::Fixed(m * 60));
    match key.as_str() {
        "UTC"
        | "GMT"
        | "UT"
        | "Z"
        | "ZULU"
        | "UCT"
        | "GREENWICH"
        | "GREENWICH MEAN TIME"
        | "COORDINATED UNIVERSAL TIME"
        | "WET"
        | "UTC+0"
        | "GMT+0" => hours(0),
        // North America: abbreviations fix the offset, spoken names follow the region's DST.
        "EST" => hours(-5),
        "EDT" => hours(-4),
        "CST" => hours(-6),
        "CDT" => hours(-5),
        "MST" => hours(-7),
        "MDT" => hours(-6),
        "PST" => hours(-8),
        "PDT" => hours(-7),
        "AKST" => hours(-9),
        "AKDT" => hours(-8),
        "HST" => hours(-10),
        "AST" => hours(-4),
        "ADT" => hours(-3),
        "NST" => minutes(-210),
        "NDT" => minutes(-150),
        "ET"
        | "EASTERN"
        | "EASTERN TIME"
        | "US/EASTERN"
        | "EASTERN STANDARD TIME"
        | "EASTERN DAYLIGHT TIME" => Some(Zone::region("America/New_York")),
        "CT"
        | "CENTRAL"
        | "CENTRAL TIME"
        | "US/CENTRAL"
        | "CENTRAL STANDARD TIME"
        | "CENTRAL DAYLIGHT TIME" => Some(Zone::region("America/Chicago")),
        "MT"
        | "MOUNTAIN"
        | "MOUNTAIN TIME"
        | "US/MOUNTAIN"
        | "MOUNTAIN STANDARD TIME"
        | "MOUNTAIN DAYLIGHT TIME" => Some(Zone::region("America/Denver")),
        "PT"
        | "PACIFIC"
        | "PACIFIC TIME"
        | "US/PACIFIC"
        | "PACIFIC STANDARD TIME"
        | "PACIFIC DAYLIGHT TIME" => Some(Zone::region("America/Los_Angeles")),
        "ALASKA" | "ALASKAN" => Some(Zone::region("America/Anchorage")),
        "HAWAII" | "HAWAIIAN" => Some(Zone::region("Pacific/Honolulu")),
        "ARIZONA" => Some(Zone::region("America/Phoenix")),
        // Europe.
        "BST" => hours(1),
        "IST" | "INDIA STANDARD TIME" => minutes(330),
        "CET" | "MET" => hours(1),
        "CEST" | "MEST" | "MESZ" => hours(2),
        "MEZ" => hours(1),
        "WEST" => hours(1),
        "EET" => hours(2),
        "EEST" => hours(3),
        "MSK" | "TRT" => hours(3),
        "CENTRAL EUROPEAN TIME"
        | "CENTRAL EUROPEAN STANDARD TIME"
        | "CENTRAL EUROPEAN SUMMER TIME" => Some(Zone::region("Europe/Paris")),
        "BRITISH SUMMER TIME" | "UK" | "LONDON" => Some(Zone::region("Europe/London")),
        // Asia-Pacific, Middle East, South America.
        "GST" | "GULF STANDARD TIME" => hours(4),
        "PKT" => hours(5),
        "NPT" => minutes(345),
        "ICT" | "WIB" => hours(7),
        "SGT"
        | "HKT"
        | "AWST"
        | "PHT"
        | "MYT"
        | "WITA"
        | "CHINA STANDARD TIME"
        | "HONG KONG TIME"
        | "SINGAPORE TIME" => hours(8),
        "JST" | "KST" | "JAPAN STANDARD TIME" | "KOREA STANDARD TIME" => hours(9),
        "ACST" => minutes(570),
        "ACDT" => minutes(630),
        "AEST" => hours(10),
        "AEDT" => hours(11),
        "NZST" => hours(12),
        "NZDT" => hours(13),
        "BRT" | "ART" | "UYT" | "BRASILIA" | "BRASILIA TIME" => hours(-3),
        "CLT" | "BOT" | "VET" => hours(-4),
        "COT" | "PET" | "ECT" => hours(-5),
        _ => offset_zone(&key).or_else(|| iana_zone(name.trim())),
    }
}

/// "GMT+3", "UTC-05:00", "GMT+0530", "+05:30", "-0500": an explicit offset east of UTC.
fn offset_zone(key: &str) -> Option<Zone> {
    let rest = key
        .strip_prefix("GMT")
        .or_else(|| key.strip_prefix("UTC"))
        .unwrap_or(key)
        .trim();
    let (sign, digits) = match rest.chars().next()? {
        '+' => (1, &rest[1..]),
        '-' | '\u{2212}' => (-1, &rest[rest.chars().next()?.len_utf8()..]),
        _ => return None,
    };
    let digits = digits.trim();
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if digits.len() == 4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        None if !digits.is_empty() && digits.len() <= 2 => (digits.parse::<i32>().ok()?, 0),
        None => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(Zone::Fixed(sign * (h * 3600 + m * 60)))
}

fn iana_zone(name: &str) -> Option<Zone> {
    if !name.contains('/') || name.contains(' ') {
        return None;
    }
    TZDB.get(name).ok().map(|_| Zone::Region(name.to_string()))
}

/// Windows time-zone ids, which Outlook writes as iCalendar TZIDs ("W. Europe Standard Time").
pub(crate) fn windows_zone(id: &str) -> Option<Zone> {
    let region = match id.trim() {
        "UTC" | "Coordinated Universal Time" | "Greenwich Standard Time" => "UTC",
        "GMT Standard Time" => "Europe/London",
        "W. Europe Standard Time" => "Europe/Berlin",
        "Romance Standard Time" => "Europe/Paris",
        "Central Europe Standard Time" => "Europe/Budapest",
        "Central European Standard Time" => "Europe/Warsaw",
        "GTB Standard Time" => "Europe/Bucharest",
        "FLE Standard Time" => "Europe/Kiev",
        "Turkey Standard Time" => "Europe/Istanbul",
        "Russian Standard Time" => "Europe/Moscow",
        "Arabian Standard Time" => "Asia/Dubai",
        "India Standard Time" => "Asia/Kolkata",
        "SE Asia Standard Time" => "Asia/Bangkok",
        "Singapore Standard Time" => "Asia/Singapore",
        "China Standard Time" => "Asia/Shanghai",
        "Taipei Standard Time" => "Asia/Taipei",
        "Tokyo Standard Time" => "Asia/Tokyo",
        "Korea Standard Time" => "Asia/Seoul",
        "W. Australia Standard Time" => "Australia/Perth",
        "AUS Eastern Standard Time" => "Australia/Sydney",
        "New Zealand Standard Time" => "Pacific/Auckland",
        "Eastern Standard Time" => "America/New_York",
        "Central Standard Time" => "America/Chicago",
        "Mountain Standard Time" => "America/Denver",
        "US Mountain Standard Time" => "America/Phoenix",
        "Pacific Standard Time" => "America/Los_Angeles",
        "Alaskan Standard Time" => "America/Anchorage",
        "Hawaiian Standard Time" => "Pacific/Honolulu",
        "E. South America Standard Time" => "America/Sao_Paulo",
        "SA Pacific Standard Time" => "America/Bogota",
        "Central Standard Time (Mexico)" => "America/Mexico_City",
        _ => return None,
    };
    Some(Zone::region(region))
}

/// The zone of a place written the way US-centric notices write it: "San Jose, CA", "Edina, MN",
/// "Toronto, ON", or a country / well-known city name. Multi-zone states take the zone of most of
/// their population.
pub(crate) fn zone_of_place(place: &str) -> Option<Zone> {
    let place = place.trim().trim_end_matches(['.', ',']);
    if let Some((_, region)) = place.rsplit_once(',') {
        let code = region.trim().trim_end_matches('.').to_ascii_uppercase();
        let code = code.split_whitespace().next().unwrap_or("");
        if let Some(zone) = state_zone(code) {
            return Some(Zone::region(zone));
        }
    }
    let upper = place.to_ascii_uppercase();
    PLACES
        .iter()
        .find(|(name, _)| contains_word(&upper, name))
        .map(|(_, zone)| Zone::region(zone))
}

fn contains_word(haystack: &str, word: &str) -> bool {
    haystack.match_indices(word).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn state_zone(code: &str) -> Option<&'static str> {
    Some(match code {
        "CT" | "DE" | "DC" | "FL" | "GA" | "IN" | "KY" | "ME" | "MD" | "MA" | "MI" | "NH"
        | "NJ" | "NY" | "NC" | "OH" | "PA" | "RI" | "SC" | "VT" | "VA" | "WV" | "ON" | "QC" => {
            "America/New_York"
        }
        "AL" | "AR" | "IL" | "IA" | "KS" | "LA" | "MN" | "MS" | "MO" | "NE" | "ND" | "OK"
        | "SD" | "TN" | "TX" | "WI" | "MB" => "America/Chicago",
        "CO" | "ID" | "MT" | "NM" | "UT" | "WY" | "AB" => "America/Denver",
        "AZ" => "America/Phoenix",
        "CA" | "NV" | "OR" | "WA" | "BC" => "America/Los_Angeles",
        "AK" => "America/Anchorage",
        "HI" => "Pacific/Honolulu",
        "PR" => "America/Puerto_Rico",
        "SK" => "America/Regina",
        "NS" | "NB" | "PE" => "America/Halifax",
        "NL" => "America/St_Johns",
        _ => return None,
    })
}

/// Countries and cities named in notices whose zone is unambiguous enough for a maintenance window.
const PLACES: &[(&str, &str)] = &[
    ("UNITED KINGDOM", "Europe/London"),
    ("LONDON", "Europe/London"),
    ("IRELAND", "Europe/Dublin"),
    ("DUBLIN", "Europe/Dublin"),
    ("PORTUGAL", "Europe/Lisbon"),
    ("SPAIN", "Europe/Madrid"),
    ("MADRID", "Europe/Madrid"),
    ("FRANCE", "Europe/Paris"),
    ("PARIS", "Europe/Paris"),
    ("BELGIUM", "Europe/Brussels"),
    ("BRUSSELS", "Europe/Brussels"),
    ("NETHERLANDS", "Europe/Amsterdam"),
    ("AMSTERDAM", "Europe/Amsterdam"),
    ("GERMANY", "Europe/Berlin"),
    ("FRANKFURT", "Europe/Berlin"),
    ("BERLIN", "Europe/Berlin"),
    ("MUNICH", "Europe/Berlin"),
    ("DUSSELDORF", "Europe/Berlin"),
    ("HAMBURG", "Europe/Berlin"),
    ("SWITZERLAND", "Europe/Zurich"),
    ("ZURICH", "Europe/Zurich"),
    ("AUSTRIA", "Europe/Vienna"),
    ("VIENNA", "Europe/Vienna"),
    ("ITALY", "Europe/Rome"),
    ("MILAN", "Europe/Rome"),
    ("DENMARK", "Europe/Copenhagen"),
    ("SWEDEN", "Europe/Stockholm"),
    ("STOCKHOLM", "Europe/Stockholm"),
    ("NORWAY", "Europe/Oslo"),
    ("FINLAND", "Europe/Helsinki"),
    ("POLAND", "Europe/Warsaw"),
    ("WARSAW", "Europe/Warsaw"),
    ("CZECH", "Europe/Prague"),
    ("PRAGUE", "Europe/Prague"),
    ("HUNGARY", "Europe/Budapest"),
    ("ROMANIA", "Europe/Bucharest"),
    ("BULGARIA", "Europe/Sofia"),
    ("GREECE", "Europe/Athens"),
    ("TURKEY", "Europe/Istanbul"),
    ("ISTANBUL", "Europe/Istanbul"),
    ("UKRAINE", "Europe/Kyiv"),
    ("ISRAEL", "Asia/Jerusalem"),
    ("UNITED ARAB EMIRATES", "Asia/Dubai"),
    ("DUBAI", "Asia/Dubai"),
    ("INDIA", "Asia/Kolkata"),
    ("MUMBAI", "Asia/Kolkata"),
    ("SINGAPORE", "Asia/Singapore"),
    ("HONG KONG", "Asia/Hong_Kong"),
    ("JAPAN", "Asia/Tokyo"),
    ("TOKYO", "Asia/Tokyo"),
    ("KOREA", "Asia/Seoul"),
    ("TAIWAN", "Asia/Taipei"),
    ("PHILIPPINES", "Asia/Manila"),
    ("SYDNEY", "Australia/Sydney"),
    ("MELBOURNE", "Australia/Melbourne"),
    ("PERTH", "Australia/Perth"),
    ("NEW ZEALAND", "Pacific/Auckland"),
    ("MEXICO", "America/Mexico_City"),
    ("BRAZIL", "America/Sao_Paulo"),
    ("SAO PAULO", "America/Sao_Paulo"),
    ("ARGENTINA", "America/Argentina/Buenos_Aires"),
    ("CHILE", "America/Santiago"),
    ("COLOMBIA", "America/Bogota"),
    ("PERU", "America/Lima"),
    ("TORONTO", "America/Toronto"),
    ("MONTREAL", "America/Toronto"),
    ("VANCOUVER", "America/Vancouver"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn at(zone: &Zone, y: i16, mo: i8, d: i8, h: i8) -> i64 {
        zone.timestamp(jiff::civil::date(y, mo, d).at(h, 0, 0, 0))
            .unwrap()
    }

    #[test]
    fn spoken_us_zone_names_follow_daylight_saving() {
        let eastern = zone_named("Eastern").unwrap();
        // 2024-01-10 00:00 EST is 05:00Z; 2024-07-10 00:00 EDT is 04:00Z.
        assert_eq!(at(&eastern, 2024, 1, 10, 0), 1_704_862_800);
        assert_eq!(at(&eastern, 2024, 7, 10, 0), 1_720_584_000);
    }

    #[test]
    fn abbreviations_and_offsets_are_fixed() {
        assert_eq!(zone_named("EST"), Some(Zone::Fixed(-5 * 3600)));
        assert_eq!(zone_named("(GMT+08:00)"), Some(Zone::Fixed(8 * 3600)));
        assert_eq!(zone_named("GMT+3"), Some(Zone::Fixed(3 * 3600)));
        assert_eq!(zone_named("-0530"), Some(Zone::Fixed(-(5 * 3600 + 1800))));
        assert_eq!(
            zone_named("Europe/London"),
            Some(Zone::region("Europe/London"))
        );
        assert_eq!(zone_named("Mars/Olympus"), None);
    }

    #[test]
    fn places_resolve_by_state_code_then_by_name() {
        assert_eq!(
            zone_of_place("San Jose, CA"),
            Some(Zone::region("America/Los_Angeles"))
        );
        assert_eq!(
            zone_of_place("Edina, MN "),
            Some(Zone::region("America/Chicago"))
        );
        assert_eq!(
            zone_of_place("Frankfurt am Main"),
            Some(Zone::region("Europe/Berlin"))
        );
        assert_eq!(zone_of_place("Atlantis"), None);
    }
}
