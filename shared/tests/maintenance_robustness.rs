//! No input makes the parser panic: arbitrary bytes, e-mail-shaped noise, and the corpus mails with bytes
//! flipped, inserted, removed or cut off.

mod corpus_folder;

use std::sync::{LazyLock, Once};

use proptest::prelude::*;

use clinic::maintenance::{detect_provider, parse_notice};
use corpus_folder::{corpus_folder, corpus_or_skip, indexed_mails};

static SKIP_NOTICE: Once = Once::new();

static CORPUS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    corpus_folder()
        .map(|folder| {
            indexed_mails(&folder)
                .iter()
                .filter_map(|p| std::fs::read(p).ok())
                .collect()
        })
        .unwrap_or_default()
});

/// Lines that steer the parser into its deeper paths: MIME structure, calendars, tables, dates.
const FRAGMENTS: &[&str] = &[
    "From: NOC <noc@zayo.com>\r\n",
    "Subject: ***Acme***ZAYO TTN-0001 Planned***\r\n",
    "Date: Tue, 01 Jun 2021 10:00:00 +0000\r\n",
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
    "Content-Type: text/html; charset=utf-8\r\n",
    "Content-Type: text/calendar\r\n",
    "Content-Type: message/rfc822\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "\r\n",
    "--b\r\n",
    "--b--\r\n",
    "BEGIN:VEVENT\r\nX-MAINTNOTE-MAINTENANCE-ID:1\r\nDTSTART:20210101T000000Z\r\n",
    "END:VEVENT\r\n",
    "<table><tr><td>Start</td><td>2021-13-45 25:61 GMT+99</td>",
    "<td>Circuit Id</td><td>Expected Impact</td></tr>",
    "1st Activity Date<br>01-Jan-2021 00:01 to 01-Jan-2021 05:00 ( GMT )<br>",
    "=3D=\r\n=ZZ&#x110000;&#99999999999;&nbsp",
    "Start time: 12:00 AM (local time) 99/99/2021\n",
    "\u{0130}\u{fffd}\u{200b}",
];

fn try_everything(bytes: &[u8]) {
    let _ = parse_notice(bytes);
    let _ = detect_provider(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        try_everything(&bytes);
    }

    #[test]
    fn email_shaped_noise_never_panics(
        parts in proptest::collection::vec((0..FRAGMENTS.len(), proptest::collection::vec(any::<u8>(), 0..12)), 0..40)
    ) {
        let mut bytes = Vec::new();
        for (fragment, noise) in parts {
            bytes.extend_from_slice(FRAGMENTS[fragment].as_bytes());
            bytes.extend_from_slice(&noise);
        }
        try_everything(&bytes);
    }

    #[test]
    fn mutated_corpus_mails_never_panic(
        pick in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..24),
        cut in any::<prop::sample::Index>(),
        cut_it in any::<bool>(),
        splice in any::<prop::sample::Index>(),
    ) {
        if CORPUS.is_empty() {
            // Say once, not once per generated case, why this property checks nothing.
            SKIP_NOTICE.call_once(|| { let _ = corpus_or_skip(); });
            return Ok(());
        }
        let mut bytes = CORPUS[pick.index(CORPUS.len())].clone();
        for (at, byte) in flips {
            let at = at.index(bytes.len().max(1));
            match byte % 3 {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at.min(bytes.len()), byte),
                _ if at < bytes.len() => { bytes.remove(at); }
                _ => {}
            }
        }
        if !bytes.is_empty() {
            // Repeat a slice of the mail somewhere else: duplicated boundaries and headers.
            let from = splice.index(bytes.len());
            let piece: Vec<u8> = bytes[from..(from + 200).min(bytes.len())].to_vec();
            let into = (from * 7 + 13) % bytes.len();
            bytes.splice(into..into, piece);
        }
        if cut_it && !bytes.is_empty() {
            bytes.truncate(cut.index(bytes.len()));
        }
        try_everything(&bytes);
    }
}

#[test]
fn every_corpus_mail_cut_at_many_points_never_panics() {
    if corpus_or_skip().is_none() {
        return;
    }
    for mail in CORPUS.iter() {
        let step = (mail.len() / 40).max(1);
        for end in (0..mail.len()).step_by(step) {
            try_everything(&mail[..end]);
        }
    }
}
