//! Notices written for this repository in the published formats of providers that have no case in the
//! vendor corpus (the ones circuit-maintenance-parser 2.12.0 added, and the newer variants of providers
//! Clinic already read). Each `provider_mails/<provider>-<n>.eml` must parse to exactly its
//! `.expected.json` and be recognised as `<provider>`. The expectations agree with circuit-maintenance-parser
//! 2.12.0's reading of the same mails except two summaries (see docs/maintenance-mail.md#parsing).

use std::path::{Path, PathBuf};

use clinic::maintenance::{detect_provider, parse_notice};
use serde_json::Value;

const FOLDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/provider_mails");

/// The providers each must have at least one mail here, so a lost file is noticed.
const COVERED: [&str; 10] = [
    "summitig", "retn", "telxius", "vodafone", "cirion", "flag", "google", "equinix", "aws",
    "megaport",
];

fn mails() -> Vec<PathBuf> {
    let mut mails: Vec<PathBuf> = std::fs::read_dir(FOLDER)
        .expect("the provider mails folder is in the repository")
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .collect();
    mails.sort();
    mails
}

fn provider_of(mail: &Path) -> String {
    let name = mail.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    name.rsplit_once('-').map_or(name, |(p, _)| p).to_string()
}

#[test]
fn every_own_provider_mail_parses_to_its_expected_maintenances() {
    let mut failures = Vec::new();
    let mails = mails();
    for mail in &mails {
        let raw = std::fs::read(mail).expect("a readable mail");
        let expected_path = mail.with_extension("expected.json");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let name = mail.file_name().unwrap().to_string_lossy().to_string();
        match parse_notice(&raw) {
            Ok(maintenances) => {
                let got = serde_json::to_value(&maintenances).expect("maintenances serialise");
                if got != expected {
                    failures.push(format!(
                        "{name}: got\n{}\nexpected\n{}",
                        serde_json::to_string_pretty(&got).unwrap(),
                        serde_json::to_string_pretty(&expected).unwrap()
                    ));
                }
            }
            Err(error) => failures.push(format!("{name}: {error}")),
        }
        let detected = detect_provider(&raw).map(|p| p.to_string());
        if detected.as_deref() != Some(provider_of(mail).as_str()) {
            failures.push(format!("{name}: recognised as {detected:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} mails differ:\n{}",
        failures.len(),
        mails.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_newly_supported_provider_has_a_mail_of_its_own() {
    let providers: Vec<String> = mails().iter().map(|m| provider_of(m)).collect();
    let missing: Vec<&str> = COVERED
        .iter()
        .copied()
        .filter(|p| !providers.iter().any(|q| q == p))
        .collect();
    assert!(missing.is_empty(), "no mail for {missing:?}");
}

/// One of the own mails with `from` replaced by `to`, to see how a damaged notice is answered.
fn altered(name: &str, from: &str, to: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(Path::new(FOLDER).join(name)).expect("a readable mail");
    assert!(text.contains(from), "{name} has no {from:?}");
    text.replace(from, to).into_bytes()
}

#[test]
fn a_summitig_time_in_a_zone_it_does_not_use_is_refused_naming_the_label() {
    let raw = altered("summitig-1.eml", "Start Time (EST)", "Start Time (XYZ)");
    let error = parse_notice(&raw).expect_err("an unknown zone is not guessed");
    let message = error.to_string();
    assert!(
        message.contains("summitig") && message.contains("Start Time (XYZ)"),
        "{message}"
    );
}

/// A damaged template falls back to the generic reading (marked so, and unverified downstream) or
/// is refused; it is never half read as if the template had matched.
#[test]
fn a_notice_whose_window_is_gone_is_refused_or_read_generically_never_half_read() {
    for (name, from, to) in [
        (
            "telxius-1.eml",
            "<p><b>Schedule:</b></p>",
            "<p><b>Plan:</b></p>",
        ),
        (
            "vodafone-1.eml",
            "06/04/2026 00:00 to 06/04/2026 05:00 UTC",
            "to be announced",
        ),
        ("flag-1.eml", "<td>Window</td>", "<td>Slot</td>"),
        ("retn-1.eml", "Planned start time", "Start"),
        ("cirion-1.eml", "(Greenwich Mean Time)", "(Brasilia Time)"),
    ] {
        match parse_notice(&altered(name, from, to)) {
            Err(error) => assert!(error.to_string().contains("start time"), "{name}: {error}"),
            Ok(read) => assert!(
                !read.is_empty()
                    && read
                        .iter()
                        .all(|m| m.reading == clinic::maintenance::ReadingKind::Generic),
                "{name}: {read:?}"
            ),
        }
    }
}

#[test]
fn a_new_providers_notice_relayed_from_an_unknown_address_is_recognised_by_its_wording() {
    for (name, sender) in [
        ("summitig-1.eml", "outages@summitig.net"),
        ("retn-1.eml", "no-reply@retn.net"),
        ("telxius-1.eml", "sworks@telxius.com"),
        ("vodafone-1.eml", "networkchangemanagement@vodafone.com"),
        ("cirion-1.eml", "customer-report@ciriontechnologies.com"),
        ("flag-1.eml", "change@flagtel.com"),
    ] {
        let raw = altered(name, sender, "relay@lists.ourcorp.example");
        let provider = provider_of(Path::new(name));
        let maintenances = parse_notice(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            maintenances.iter().all(|m| m.provider == provider),
            "{name}"
        );
        assert_eq!(
            detect_provider(&raw).map(|p| p.to_string()),
            Some(provider),
            "{name}"
        );
    }
}
