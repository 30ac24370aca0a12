//! Outside text made safe to quote in a log line or an error answer: [`escape`] writes control
//! characters as visible escapes, so a hostile value cannot end a log line and forge the next one
//! (or recolour a terminal), and bounds the length, so it cannot flood the logs either.

/// The most characters [`escape`] returns, the ellipsis included.
pub const MAX_CHARS: usize = 200;

const ELLIPSIS: char = '…';

/// `text` with every control character escaped (`\n`, `\r`, `\t`, and `\u{1b}`-style for ESC, the
/// other C0 and C1 controls, DEL, the Unicode line and paragraph separators and the bidirectional
/// overrides), cut to [`MAX_CHARS`] characters with a trailing `…` when longer. An escape is never
/// cut in half. Text that needs neither is returned as it is, so escaping twice changes nothing.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CHARS));
    let mut count = 0;
    let mut piece = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        piece.clear();
        match c {
            '\n' => piece.push_str("\\n"),
            '\r' => piece.push_str("\\r"),
            '\t' => piece.push_str("\\t"),
            c if needs_escape(c) => piece.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => piece.push(c),
        }
        let len = piece.chars().count();
        // The last piece may fill the bound exactly; any other must leave room for the ellipsis.
        let room = if chars.peek().is_none() {
            MAX_CHARS
        } else {
            MAX_CHARS - 1
        };
        if count + len > room {
            out.push(ELLIPSIS);
            return out;
        }
        out.push_str(&piece);
        count += len;
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(
            escape("a\nb\rc\td\u{1b}[31me\u{0}f\u{7f}g\u{85}h\u{9b}i\u{2028}j\u{202e}k"),
            "a\\nb\\rc\\td\\u{1b}[31me\\u{0}f\\u{7f}g\\u{85}h\\u{9b}i\\u{2028}j\\u{202e}k"
        );
    }

    #[test]
    fn plain_text_is_left_as_it_is() {
        for text in [
            "",
            "unknown field `teams`",
            "Grüße, 東京 — ok",
            "back\\slash",
        ] {
            assert_eq!(escape(text), text);
        }
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_no_escape_is_cut_in_half() {
        let long = "x".repeat(500);
        let cut = escape(&long);
        assert_eq!(cut.chars().count(), MAX_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(escape(&"x".repeat(MAX_CHARS)), "x".repeat(MAX_CHARS));
        let newlines = escape(&"\n".repeat(150));
        assert!(newlines.ends_with("\\n…"), "{newlines}");
    }

    proptest::proptest! {
        #[test]
        fn escaped_text_holds_no_control_character_stays_bounded_and_escapes_once(text in "\\PC{0,300}|[\\x00-\\x7f\\u{80}-\\u{9f}\\u{2028}]{0,300}") {
            let once = escape(&text);
            proptest::prop_assert!(!once.chars().any(needs_escape), "{:?}", once);
            proptest::prop_assert!(once.chars().count() <= MAX_CHARS);
            proptest::prop_assert_eq!(escape(&once), once.clone());
            if text.chars().count() <= MAX_CHARS && !text.chars().any(needs_escape) {
                proptest::prop_assert_eq!(once, text);
            }
        }
    }
}
