//! Reads the date-and-time phrases of vendor notices ("Thu, 20 May 2021 08:00:00 GMT", "22:00 12/10/2020
//! GMT", "1/3/2024 3:00 AM", "FRIDAY, 02 JUL 10:00", "07.08.2021 00:00 GMT+3", "2021-05-20 07:00 GMT (Greenwich
//! Mean Time)") into Unix seconds. Word order is free; what a template cannot say itself (day-or-month
//! first, the zone of a "local time", a missing year) the caller supplies.

use jiff::civil::{Date, DateTime};

use super::zones::{Zone, zone_named};

/// How to read an all-numeric date such as 06/08/2021 when both readings are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayMonth {
    DayFirst,
    MonthFirst,
}

/// The reading conventions of one template.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    order: DayMonth,
    /// Zone of times that name none.
    zone: Zone,
    /// Year of dates that name none ("02 JUL 10:00").
    year: Option<i16>,
}

impl Reading {
    pub fn month_first() -> Reading {
        Reading {
            order: DayMonth::MonthFirst,
            zone: Zone::UTC,
            year: None,
        }
    }

    pub fn day_first() -> Reading {
        Reading {
            order: DayMonth::DayFirst,
            zone: Zone::UTC,
            year: None,
        }
    }

    pub fn zone(mut self, zone: Zone) -> Reading {
        self.zone = zone;
        self
    }

    pub fn year(mut self, year: i16) -> Reading {
        self.year = Some(year);
        self
    }

    /// The Unix time written in `text`, or `None` when it holds no complete date.
    pub fn read(&self, text: &str) -> Option<i64> {
        let (local, zone) = self.read_local(text)?;
        zone.unwrap_or_else(|| self.zone.clone()).timestamp(local)
    }

    /// The wall-clock time written in `text` and the zone it names, if any.
    pub fn read_local(&self, text: &str) -> Option<(DateTime, Option<Zone>)> {
        let tokens = tokenize(text);
        let mut used = vec![false; tokens.len()];
        let time = find_time(&tokens, &mut used);
        let zone = find_zone(text, &tokens, &mut used, time.map(|t| t.end));
        let date = find_date(&tokens, &mut used, self.order, self.year)?;
        let (hour, minute, second) = time.map_or((0, 0, 0), |t| (t.hour, t.minute, t.second));
        Some((date.at(hour, minute, second, 0), zone))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num { value: u32, digits: usize },
    Word(String),
    Mark(char),
}

#[derive(Debug, Clone)]
struct Spanned {
    token: Token,
    /// Whether whitespace separates this token from the previous one.
    spaced: bool,
}

fn tokenize(text: &str) -> Vec<Spanned> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut spaced = false;
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            spaced = true;
            chars.next();
            continue;
        }
        let token = if c.is_ascii_digit() {
            let mut end = start;
            while let Some(&(at, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = at + 1;
                chars.next();
            }
            let digits = &text[start..end];
            // Runs too long to be a date part are kept as an unusable number.
            let value = if digits.len() > 9 {
                u32::MAX
            } else {
                digits.parse().unwrap_or(u32::MAX)
            };
            Token::Num {
                value,
                digits: digits.len(),
            }
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                word.push(d);
                chars.next();
            }
            Token::Word(word)
        } else {
            chars.next();
            Token::Mark(c)
        };
        tokens.push(Spanned { token, spaced });
        spaced = false;
        if tokens.len() > 200 {
            break;
        }
    }
    tokens
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    hour: i8,
    minute: i8,
    second: i8,
    /// Index just past the last token of the time.
    end: usize,
}

fn num(tokens: &[Spanned], at: usize) -> Option<(u32, usize)> {
    match tokens.get(at).map(|t| &t.token) {
        Some(Token::Num { value, digits }) => Some((*value, *digits)),
        _ => None,
    }
}

fn mark(tokens: &[Spanned], at: usize, c: char) -> bool {
    matches!(tokens.get(at).map(|t| &t.token), Some(Token::Mark(m)) if *m == c)
}

fn word(tokens: &[Spanned], at: usize) -> Option<&str> {
    match tokens.get(at).map(|t| &t.token) {
        Some(Token::Word(w)) => Some(w),
        _ => None,
    }
}

/// "HH:MM[:SS]" optionally followed by AM/PM ("10:00pm", "2:00:00 am", "12:00 A.M.").
fn find_time(tokens: &[Spanned], used: &mut [bool]) -> Option<Clock> {
    for at in 0..tokens.len() {
        let Some((hour, hd)) = num(tokens, at) else {
            continue;
        };
        if hd > 2 || !mark(tokens, at + 1, ':') || tokens.get(at + 1).is_some_and(|t| t.spaced) {
            continue;
        }
        let Some((minute, md)) = num(tokens, at + 2) else {
            continue;
        };
        if md != 2 || minute > 59 {
            continue;
        }
        let mut end = at + 3;
        let mut second = 0;
        if mark(tokens, end, ':')
            && let Some((s, 2)) = num(tokens, end + 1)
        {
            second = s.min(59);
            end += 2;
            // Fractions of a second are dropped.
            if mark(tokens, end, '.') && num(tokens, end + 1).is_some() {
                end += 2;
            }
        }
        let mut hour = hour;
        if let Some((pm, len)) = meridiem(tokens, end) {
            if hour > 12 || hour == 0 {
                continue;
            }
            hour = match (pm, hour) {
                (false, 12) => 0,
                (true, 12) => 12,
                (true, h) => h + 12,
                (false, h) => h,
            };
            end += len;
        }
        if hour > 24 || (hour == 24 && (minute > 0 || second > 0)) {
            continue;
        }
        for flag in &mut used[at..end] {
            *flag = true;
        }
        // 24:00 is the end of the day; read it as 23:59:59 rather than reject it.
        let (hour, minute, second) = if hour == 24 {
            (23, 59, 59)
        } else {
            (hour, minute, second)
        };
        return Some(Clock {
            hour: hour as i8,
            minute: minute as i8,
            second: second as i8,
            end,
        });
    }
    None
}

/// AM/PM marker at `at`: (is_pm, tokens used).
fn meridiem(tokens: &[Spanned], at: usize) -> Option<(bool, usize)> {
    let w = word(tokens, at)?.to_ascii_lowercase();
    match w.as_str() {
        "am" => Some((false, 1)),
        "pm" => Some((true, 1)),
        "a" | "p"
            if mark(tokens, at + 1, '.')
                && word(tokens, at + 2).is_some_and(|m| m.eq_ignore_ascii_case("m")) =>
        {
            let dot = usize::from(mark(tokens, at + 3, '.'));
            Some((w == "p", 3 + dot))
        }
        _ => None,
    }
}

fn find_zone(
    text: &str,
    tokens: &[Spanned],
    used: &mut [bool],
    time_end: Option<usize>,
) -> Option<Zone> {
    // A numeric offset right after the time: "08:00:00 +0000", "18:00:00+00:00", "10:00Z".
    if let Some(end) = time_end {
        if let Some(zone) = offset_at(tokens, end) {
            mark_used(used, end, zone.1);
            return Some(zone.0);
        }
        if word(tokens, end) == Some("Z") && !tokens[end].spaced {
            used[end] = true;
            return Some(Zone::UTC);
        }
    }
    // IANA names are written as one token with slashes.
    for piece in text.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',') {
        if piece.contains('/')
            && piece.chars().next().is_some_and(char::is_alphabetic)
            && let Some(zone) = zone_named(piece)
        {
            return Some(zone);
        }
    }
    for at in 0..tokens.len() {
        if used[at] {
            continue;
        }
        let Some(w) = word(tokens, at) else { continue };
        let upper = w.to_ascii_uppercase();
        // "GMT+3", "UTC-05:00": the offset follows the zone word.
        if matches!(upper.as_str(), "GMT" | "UTC")
            && let Some((zone, len)) = offset_at(tokens, at + 1)
        {
            mark_used(used, at, len + 1);
            return Some(zone);
        }
        // Spoken names of two or three words first ("Eastern Daylight Time", "Greenwich Mean Time").
        for len in [3, 2] {
            let words: Option<Vec<&str>> = (at..at + len).map(|i| word(tokens, i)).collect();
            if let Some(words) = words
                && let Some(zone) = zone_named(&words.join(" "))
            {
                mark_used(used, at, len);
                return Some(zone);
            }
        }
        if is_zone_word(w)
            && let Some(zone) = zone_named(&upper)
        {
            used[at] = true;
            return Some(zone);
        }
    }
    None
}

/// Words accepted as a zone on their own. Abbreviations ("ET", "PST") only count written in capitals, so
/// that words such as "et" or "pt" in running text are not read as zones.
fn is_zone_word(word: &str) -> bool {
    word.chars().count() > 3 || word.chars().all(|c| c.is_ascii_uppercase())
}

fn mark_used(used: &mut [bool], from: usize, len: usize) {
    for flag in used.iter_mut().skip(from).take(len) {
        *flag = true;
    }
}

/// "+0000", "-05:00", "+3", "+05:30" starting at `at`: the zone and the number of tokens it spans.
fn offset_at(tokens: &[Spanned], at: usize) -> Option<(Zone, usize)> {
    let sign = match tokens.get(at).map(|t| &t.token) {
        Some(Token::Mark('+')) => 1,
        Some(Token::Mark('-' | '\u{2212}')) => -1,
        _ => return None,
    };
    let (first, digits) = num(tokens, at + 1)?;
    if tokens[at + 1].spaced {
        return None;
    }
    let (hours, minutes, len) = match digits {
        4 => (first / 100, first % 100, 2),
        1 | 2 if mark(tokens, at + 2, ':') => {
            let (m, md) = num(tokens, at + 3)?;
            if md != 2 {
                return None;
            }
            (first, m, 4)
        }
        1 | 2 => (first, 0, 2),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some((
        Zone::Fixed(sign * (hours as i32 * 3600 + minutes as i32 * 60)),
        len,
    ))
}

fn month_number(word: &str) -> Option<i8> {
    let w = word.to_lowercase();
    let w = w.trim_end_matches('.');
    // English first, then the Dutch/German/French/Spanish spellings met in bilingual notices.
    Some(match w {
        "jan" | "january" | "janv" | "janvier" | "januar" | "januari" | "ene" | "enero" => 1,
        "feb" | "february" | "févr" | "fevr" | "février" | "februar" | "februari" | "febrero" => {
            2
        }
        "mar" | "march" | "mrt" | "maart" | "mär" | "märz" | "mrz" | "mars" | "marzo" => 3,
        "apr" | "april" | "avr" | "avril" | "abr" | "abril" => 4,
        "may" | "mei" | "mai" | "mayo" => 5,
        "jun" | "june" | "juni" | "juin" | "junio" => 6,
        "jul" | "july" | "juli" | "juil" | "juillet" | "julio" => 7,
        "aug" | "august" | "augustus" | "août" | "aout" | "ago" | "agosto" => 8,
        "sep" | "sept" | "september" | "septembre" | "septiembre" => 9,
        "oct" | "october" | "okt" | "oktober" | "octobre" | "octubre" => 10,
        "nov" | "november" | "novembre" | "noviembre" => 11,
        "dec" | "december" | "dez" | "dezember" | "déc" | "décembre" | "dic" | "diciembre" => 12,
        _ => return None,
    })
}

fn full_year(value: u32, digits: usize) -> Option<i16> {
    match digits {
        4 if (1970..=2200).contains(&value) => Some(value as i16),
        2 => Some(2000 + value as i16),
        _ => None,
    }
}

fn make_date(year: i16, month: i64, day: i64) -> Option<Date> {
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

fn is_date_separator(tokens: &[Spanned], at: usize) -> Option<char> {
    match tokens.get(at).map(|t| &t.token) {
        Some(Token::Mark(c @ ('/' | '-' | '.'))) => Some(*c),
        _ => None,
    }
}

fn find_date(
    tokens: &[Spanned],
    used: &mut [bool],
    order: DayMonth,
    default_year: Option<i16>,
) -> Option<Date> {
    let free = |i: usize, used: &[bool]| i < tokens.len() && !used[i];
    for at in 0..tokens.len() {
        if !free(at, used) {
            continue;
        }
        // Numeric dates: 2021-08-13, 2021/11/14, 06/8/2021, 07.08.2021, 03/20/24.
        if let Some((first, fd)) = num(tokens, at) {
            if let (Some(sep), Some((second, sd))) =
                (is_date_separator(tokens, at + 1), num(tokens, at + 2))
                && is_date_separator(tokens, at + 3) == Some(sep)
                && let Some((third, td)) = num(tokens, at + 4)
            {
                let date = if fd == 4 && sd <= 2 && td <= 2 {
                    full_year(first, 4).and_then(|y| make_date(y, second.into(), third.into()))
                } else if fd <= 2 && sd <= 2 {
                    full_year(third, td).and_then(|y| day_month(first, second, y, order))
                } else {
                    None
                };
                if let Some(date) = date {
                    mark_used(used, at, 5);
                    return Some(date);
                }
            }
            // Day before the month name: 15-Aug-2021, 20 May 2021, 02 JUL, 1st June 2022.
            if fd <= 2 {
                let mut m = at + 1;
                if word(tokens, m).is_some_and(|w| {
                    matches!(w.to_ascii_lowercase().as_str(), "st" | "nd" | "rd" | "th")
                }) {
                    m += 1;
                }
                if matches!(
                    tokens.get(m).map(|t| &t.token),
                    Some(Token::Mark('-' | '.' | '/'))
                ) {
                    m += 1;
                }
                if let Some(month) = word(tokens, m).and_then(month_number) {
                    let mut y = m + 1;
                    if matches!(
                        tokens.get(y).map(|t| &t.token),
                        Some(Token::Mark('-' | ',' | '.' | '/'))
                    ) {
                        y += 1;
                    }
                    let year = match num(tokens, y) {
                        Some((v, d)) if !mark(tokens, y + 1, ':') => {
                            full_year(v, d).map(|yr| (yr, y + 1))
                        }
                        _ => None,
                    };
                    let (year, end) = match year {
                        Some(found) => found,
                        None => (default_year?, m + 1),
                    };
                    if let Some(date) = make_date(year, month.into(), first.into()) {
                        mark_used(used, at, end - at);
                        return Some(date);
                    }
                }
            }
        }
        // Month name first: Aug 29, 2022; March 31 2025; Aug 17 2021 00:01.
        if let Some(month) = word(tokens, at).and_then(month_number) {
            let mut d = at + 1;
            if mark(tokens, d, '.') || mark(tokens, d, '-') {
                d += 1;
            }
            if let Some((day, dd)) = num(tokens, d)
                && dd <= 2
                && !mark(tokens, d + 1, ':')
            {
                let mut y = d + 1;
                if word(tokens, y).is_some_and(|w| {
                    matches!(w.to_ascii_lowercase().as_str(), "st" | "nd" | "rd" | "th")
                }) {
                    y += 1;
                }
                if mark(tokens, y, ',') || mark(tokens, y, '-') {
                    y += 1;
                }
                let year = match num(tokens, y) {
                    Some((v, digits)) if !mark(tokens, y + 1, ':') => {
                        full_year(v, digits).map(|yr| (yr, y + 1))
                    }
                    _ => None,
                };
                let (year, end) = match year {
                    Some(found) => found,
                    None => (default_year?, d + 1),
                };
                if let Some(date) = make_date(year, month.into(), day.into()) {
                    mark_used(used, at, end - at);
                    return Some(date);
                }
            }
        }
        // Compact 20210806 (as in some subjects and iCalendar-like stamps).
        if let Some((value, 8)) = num(tokens, at) {
            let year = (value / 10_000) as i16;
            if (1970..=2200).contains(&year)
                && let Some(date) =
                    make_date(year, ((value / 100) % 100).into(), (value % 100).into())
            {
                used[at] = true;
                return Some(date);
            }
        }
    }
    None
}

/// An all-numeric day and month: the template's order when both are possible, the other when only it is.
fn day_month(first: u32, second: u32, year: i16, order: DayMonth) -> Option<Date> {
    let day_first = make_date(year, second.into(), first.into());
    let month_first = make_date(year, first.into(), second.into());
    match order {
        DayMonth::DayFirst => day_first.or(month_first),
        DayMonth::MonthFirst => month_first.or(day_first),
    }
}

/// Splits "A to B" / "A - B" windows. The separator must stand between spaces so that the hyphens inside
/// dates (15-Aug-2021) and offsets (-05:00) are left alone.
pub(crate) fn split_window(text: &str) -> Option<(&str, &str)> {
    for separator in [
        " to ", " TO ", " To ", " - ", " – ", " — ", " until ", " ~ ",
    ] {
        if let Some((a, b)) = text.split_once(separator)
            && !a.trim().is_empty()
            && !b.trim().is_empty()
        {
            return Some((a.trim(), b.trim()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maintenance::zones::Zone;

    fn utc(text: &str) -> i64 {
        Reading::month_first()
            .read(text)
            .unwrap_or_else(|| panic!("could not read {text:?}"))
    }

    #[test]
    fn common_vendor_phrases_read_as_utc() {
        assert_eq!(utc("Thu, 20 May 2021 08:00:00 GMT"), 1_621_497_600);
        assert_eq!(utc("2 May 2023 14:00 UTC"), 1_683_036_000);
        assert_eq!(utc("2023-12-05 20:55:00 +0000 UTC"), 1_701_809_700);
        assert_eq!(utc("2024-01-31 18:00:00+00:00 UTC"), 1_706_724_000);
        assert_eq!(utc("Aug 29, 2022 15:00 UTC"), 1_661_785_200);
        assert_eq!(utc("15-Aug-2021  07:01 UTC"), 1_629_010_860);
        assert_eq!(utc("01-Jun-2021 15:59:00(UTC)"), 1_622_563_140);
        assert_eq!(utc("Tuesday, 11 Oct 2022 15:00:00 (UTC)"), 1_665_500_400);
        assert_eq!(utc("2021-08-14 09:30 AM UTC"), 1_628_933_400);
        assert_eq!(utc("8/12/2021 2:00:00 am GMT"), 1_628_733_600);
        assert_eq!(utc("March 31, 2025 14:00 GMT"), 1_743_429_600);
        assert_eq!(
            utc("2021-05-20 07:00 GMT (Greenwich Mean Time)"),
            1_621_494_000
        );
    }

    #[test]
    fn the_time_may_come_before_the_date() {
        assert_eq!(
            Reading::day_first().read("22:00 12/10/2020 GMT"),
            Some(1_602_540_000)
        );
    }

    #[test]
    fn numeric_dates_follow_the_template_order_unless_only_one_order_is_valid() {
        let day_first = Reading::day_first();
        assert_eq!(
            day_first.read("06/8/2021 22:00:00 GMT"),
            Some(1_628_287_200)
        );
        assert_eq!(
            day_first.read("11/19/2022 22:00"),
            Reading::month_first().read("11/19/2022 22:00")
        );
    }

    #[test]
    fn zone_names_offsets_and_regions_apply() {
        assert_eq!(utc("2024-12-22 05:31:00 IST"), 1_734_825_660);
        assert_eq!(utc("Aug 17 2021 00:01 BST"), 1_629_154_860);
        assert_eq!(utc("03/20/24 02:00 ET"), 1_710_914_400);
        assert_eq!(
            utc("07.08.2021 00:00 GMT+3"),
            Reading::month_first().read("2021-07-07 21:00 UTC").unwrap()
        );
        assert_eq!(utc("2021-03-01 12:00 Europe/London"), 1_614_600_000);
    }

    #[test]
    fn local_times_take_the_given_zone_across_daylight_saving() {
        let pacific = Reading::month_first().zone(Zone::region("America/Los_Angeles"));
        // PST (UTC-8) in January, PDT (UTC-7) in July.
        assert_eq!(pacific.read("1/3/2024 12:00 AM"), Some(1_704_268_800));
        assert_eq!(pacific.read("7/3/2024 12:00 AM"), Some(1_719_990_000));
    }

    #[test]
    fn a_missing_year_comes_from_the_reading() {
        let reading = Reading::month_first().year(2021);
        assert_eq!(reading.read("FRIDAY, 02 JUL 10:00"), Some(1_625_220_000));
        assert_eq!(Reading::month_first().read("FRIDAY, 02 JUL 10:00"), None);
    }

    #[test]
    fn text_without_a_date_reads_as_nothing() {
        assert_eq!(utc_opt("No impact expected"), None);
        assert_eq!(utc_opt("10:00 - 11:00"), None);
        assert_eq!(utc_opt("99/99/9999 99:99"), None);
    }

    fn utc_opt(text: &str) -> Option<i64> {
        Reading::month_first().read(text)
    }

    #[test]
    fn windows_split_on_spaced_separators_only() {
        assert_eq!(
            split_window("15-Aug-2021 07:01 to 15-Aug-2021 12:00"),
            Some(("15-Aug-2021 07:01", "15-Aug-2021 12:00"))
        );
        assert_eq!(
            split_window("Aug 16 2021 23:01 GMT - Aug 17 2021 05:01 GMT"),
            Some(("Aug 16 2021 23:01 GMT", "Aug 17 2021 05:01 GMT"))
        );
        assert_eq!(split_window("2021-08-13"), None);
    }
}
