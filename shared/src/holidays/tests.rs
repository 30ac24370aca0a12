use super::*;
use jiff::civil::date;

fn region(code: &str) -> HolidayRegion {
    match HolidayRegion::parse(code) {
        Ok(region) => region,
        Err(error) => panic!("{error}"),
    }
}

fn holiday(code: &str, on: Date) -> Option<&'static str> {
    public_holiday(&region(code), on)
}

#[test]
fn the_shipped_holiday_file_decodes() {
    let decoded = PublicHolidays::decode(SHIPPED);
    assert!(decoded.is_ok(), "{decoded:?}");
}

#[test]
fn the_shipped_file_says_how_it_was_made_and_covers_2026_to_2035() {
    let provenance = PublicHolidays::shipped().provenance();
    assert!(provenance.contains("make holidays-data"), "{provenance}");
    assert!(provenance.contains("holidays==0.109"), "{provenance}");
    assert_eq!(covered_years(), 2026..=2035);
}

#[test]
fn every_country_of_the_package_is_shipped_with_its_subdivisions() {
    let shipped = PublicHolidays::shipped();
    let countries = shipped.regions().filter(|r| !r.as_str().contains('-'));
    assert!(countries.count() >= 250);
    assert!(
        shipped
            .regions()
            .filter(|r| r.as_str().contains('-'))
            .count()
            >= 600
    );
    let old_twenty = "IT NL ES US AU IN DE PL BR CA GB FR IE JP SG NZ MX PT CH SE";
    for code in old_twenty
        .split(' ')
        .chain(["GR", "KE", "DE-BY", "US-CA", "ES-CT"])
    {
        let found = region(code);
        assert!(
            shipped.holiday_count(&found) > 30,
            "{code} has too few holidays"
        );
    }
}

#[test]
fn greece_keeps_orthodox_easter_monday_on_the_3rd_of_may_2027() {
    assert_eq!(holiday("GR", date(2027, 5, 3)), Some("Easter Monday"));
    // The Western Easter Monday of 2027 is 29 March: a holiday in Germany, not in Greece.
    assert_eq!(holiday("GR", date(2027, 3, 29)), None);
    assert!(holiday("DE", date(2027, 3, 29)).is_some());
    assert_eq!(holiday("GR", date(2027, 3, 25)), Some("Independence Day"));
}

#[test]
fn bavaria_has_epiphany_and_germany_as_a_whole_does_not() {
    assert_eq!(holiday("DE-BY", date(2027, 1, 6)), Some("Epiphany"));
    assert_eq!(holiday("DE", date(2027, 1, 6)), None);
    assert_eq!(holiday("DE-BE", date(2027, 1, 6)), None);
    // A subdivision keeps the national days.
    assert!(holiday("DE-BY", date(2027, 10, 3)).is_some());
}

#[test]
fn catalonia_has_sant_esteve_and_spain_as_a_whole_does_not() {
    assert_eq!(
        holiday("ES-CT", date(2028, 12, 26)),
        Some("Saint Stephen's Day")
    );
    assert_eq!(holiday("ES", date(2028, 12, 26)), None);
}

#[test]
fn california_has_cesar_chavez_day_and_the_us_as_a_whole_does_not() {
    assert_eq!(
        holiday("US-CA", date(2027, 3, 31)),
        Some("Cesar Chavez Day")
    );
    assert_eq!(holiday("US", date(2027, 3, 31)), None);
}

#[test]
fn the_us_observes_independence_day_on_monday_when_it_falls_on_a_sunday() {
    assert_eq!(
        holiday("US", date(2027, 7, 5)),
        Some("Independence Day (observed)")
    );
    assert_eq!(holiday("US", date(2027, 11, 25)), Some("Thanksgiving Day"));
}

#[test]
fn the_last_covered_year_has_its_holidays_and_the_next_has_none() {
    assert_eq!(holiday("GB", date(2035, 12, 25)), Some("Christmas Day"));
    assert_eq!(holiday("GB", date(2036, 12, 25)), None);
    assert!(!PublicHolidays::shipped().is_covered(date(2036, 1, 1)));
    assert_eq!(holiday("GB", date(2025, 12, 25)), None);
}

#[test]
fn sweden_and_norway_do_not_list_every_sunday() {
    assert_eq!(holiday("SE", date(2027, 1, 10)), None);
    assert_eq!(holiday("NO", date(2027, 1, 10)), None);
}

#[test]
fn a_code_one_letter_too_long_is_refused_naming_the_country_meant() {
    let error = HolidayRegion::parse("GRR").err();
    assert_eq!(
        error.as_ref().map(|e| e.close_matches.clone()),
        Some(vec!["GR"])
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "there is no public holiday data for \"GRR\"; close matches: GR"
    );
}

#[test]
fn an_unknown_subdivision_is_refused_listing_the_countrys_subdivisions() {
    let Err(error) = HolidayRegion::parse("DE-XX") else {
        panic!("DE-XX was accepted")
    };
    for code in ["DE", "DE-BY", "DE-BE", "DE-NW"] {
        assert!(
            error.close_matches.contains(&code),
            "{code} missing: {error}"
        );
    }
    assert!(error.to_string().contains("close matches: DE-"), "{error}");
}

#[test]
fn a_lower_case_code_is_refused_with_the_upper_case_one_first() {
    let matches = HolidayRegion::parse("de-by").err().map(|e| e.close_matches);
    assert_eq!(matches.and_then(|m| m.first().copied()), Some("DE-BY"));
}

#[test]
fn a_code_like_nothing_known_is_refused_with_the_shape_of_a_code() {
    let message = HolidayRegion::parse("Atlantis")
        .err()
        .map(|e| e.to_string());
    assert!(message.is_some_and(|m| m.contains("like \"GR\" or a subdivision like \"DE-BY\"")));
}

#[test]
fn a_region_round_trips_through_json() {
    let json = serde_json::to_string(&region("DE-BY")).unwrap_or_default();
    assert_eq!(json, "\"DE-BY\"");
    let back: Result<HolidayRegion, _> = serde_json::from_str("\"DE-BY\"");
    assert_eq!(back.ok(), Some(region("DE-BY")));
    assert!(serde_json::from_str::<HolidayRegion>("\"DE-XX\"").is_err());
    assert_eq!(region("US-CA").country(), "US");
}

#[test]
fn the_makefile_the_generator_and_the_shipped_file_name_the_same_package_version() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_default();
    let makefile = read("../Makefile");
    let generator = read("tools/generate_holidays.py");
    let pinned = makefile
        .lines()
        .find_map(|line| line.strip_prefix("HOLIDAYS_VERSION := "))
        .unwrap_or("(no HOLIDAYS_VERSION in the Makefile)");
    assert!(
        generator.contains(&format!("PINNED_VERSION = \"{pinned}\"")),
        "the generator is not pinned to {pinned}"
    );
    let provenance = PublicHolidays::shipped().provenance();
    assert!(
        provenance.contains(&format!("holidays=={pinned};")),
        "{provenance} was not made with {pinned}: run make holidays-data"
    );
}

#[test]
#[ignore = "a timing probe, run by hand: cargo test -p clinic --lib how_long_decoding -- --ignored --nocapture"]
fn how_long_decoding_the_shipped_file_takes() {
    for check in [Check::Directory, Check::Everything] {
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert!(encoding::decode(SHIPPED, check).is_ok());
        }
        println!("{check:?}: {:?} a decode", start.elapsed() / 100);
    }
}
