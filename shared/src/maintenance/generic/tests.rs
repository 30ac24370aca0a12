use super::*;
use crate::maintenance::model::Impact;

fn notice(raw: &str) -> Notice {
    Notice::read(raw.replace('\n', "\r\n").as_bytes()).expect("a readable mail")
}

#[test]
fn a_labelled_window_with_a_zone_in_the_label_is_read() {
    let n = notice(
        "From: NOC <noc@ops.nordlicht-netz.de>\nSubject: Planned maintenance NL-2026-0042\nDate: Mon, 4 May 2026 09:00:00 +0000\n\n\
Dear customer,\n\nStart Time (EST): 05/13/2026 20:00\nEnd Time (EST): 05/14/2026 02:00\nCircuit ID: NL-100234, NL-100235\nImpact: outage of up to 30 minutes\n",
    );
    let drafts = read(&n);
    assert_eq!(drafts.len(), 1);
    let d = &drafts[0];
    assert_eq!(d.maintenance_id.as_deref(), Some("NL-2026-0042"));
    assert_eq!(d.provider.as_deref(), Some("nordlicht-netz"));
    // 20:00 EST = 01:00 UTC next day.
    assert_eq!(d.start, Some(1_778_720_400));
    assert_eq!(d.end, Some(1_778_742_000));
    assert_eq!(d.circuits.len(), 2);
    assert_eq!(d.circuits[0].impact, Impact::Outage);
}

#[test]
fn a_window_without_an_end_is_kept_open() {
    let n = notice(
        "From: noc@example-fibre.co.uk\nSubject: Scheduled maintenance ref EF-7781\n\n\
Planned Start Time: 07.05.2026 16:00 GMT\nPlanned End Time: TBC\nService ID: EF/LON/0042\n",
    );
    let drafts = read(&n);
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].start, Some(1_778_169_600));
    assert_eq!(drafts[0].end, None);
    assert!(drafts[0].open_ended);
    assert_eq!(drafts[0].provider.as_deref(), Some("example-fibre"));
}

#[test]
fn an_invoice_that_mentions_maintenance_and_times_is_not_read() {
    let n = notice(
        "From: billing@example-fibre.co.uk\nSubject: Invoice 2026-0042 for maintenance services\n\n\
Start Time: 07.05.2026 16:00 GMT\nEnd Time: 07.05.2026 18:00 GMT\n",
    );
    assert!(read(&n).is_empty());
}

#[test]
fn organisations_are_the_registrable_part_of_the_sender_domain() {
    for (from, name) in [
        ("a@noc.acme.com", "acme"),
        ("a@mail.example.co.uk", "example"),
        ("a@x.net.br", "x"),
        ("nobody", "unknown"),
    ] {
        let n = notice(&format!("From: {from}\nSubject: x\n\nbody\n"));
        assert_eq!(organisation(&n), name, "{from}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Start Time (EST): ".to_string()),
            Just("End: ".to_string()),
            Just("Outage Window: ".to_string()),
            Just("Circuit ID: ".to_string()),
            Just("Reference: ".to_string()),
            Just(" to ".to_string()),
            Just("07.05.2026 16:00 GMT".to_string()),
            Just("05/13/2026 22:00".to_string()),
            Just("TBC".to_string()),
            Just("\t".to_string()),
            Just("\n".to_string()),
            "[ -~]{0,12}",
            "\\PC{0,6}",
        ]
    }

    proptest! {
        /// Whatever labels and values a hostile mail strings together, the reading never panics, and
        /// every window it reads ends no earlier than it starts and lasts at most 31 days.
        #[test]
        fn any_labelled_body_reads_without_panicking_into_sane_windows(
            parts in proptest::collection::vec(fragment(), 0..40)
        ) {
            let body: String = parts.concat();
            let n = notice(&format!(
                "From: noc@fuzz-carrier.de\nSubject: Planned maintenance FZ-1\n\n{body}\n"
            ));
            for draft in read(&n) {
                let start = draft.start.expect("a draft has a start");
                if let Some(end) = draft.end {
                    prop_assert!(end >= start && end - start <= 31 * 86_400);
                }
            }
        }
    }
}

#[test]
fn a_label_naming_a_zone_clinic_does_not_know_is_not_read_in_a_guessed_one() {
    assert!(super::windows::names_unknown_zone("Start Time (XYZ)"));
    assert!(!super::windows::names_unknown_zone("Start Time (EST)"));
    assert!(!super::windows::names_unknown_zone("Start Time (UTC)"));
    assert!(!super::windows::names_unknown_zone("Start (local time)"));
}
