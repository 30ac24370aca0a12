//! Close matches for a region code the data does not know, so a roster saying `"DE-XX"`
//! or `"GRR"` is answered with the codes its author probably meant.

/// At most this many suggestions: enough for any country's short list, short enough to read
/// in one error line (the United States alone has 56 subdivisions).
const MOST: usize = 20;

/// The codes in `known` closest to `text`, best first, and how many more were as relevant.
/// Close means one edit away once upper-cased (`"GRR"`, `"gr"` → `GR`), or, when the text
/// starts with a known country, that country and its subdivisions (`"DE-XX"` → `DE`, `DE-BW`…).
pub(super) fn close_matches<'a>(
    text: &str,
    known: impl Iterator<Item = &'a str>,
) -> (Vec<&'a str>, usize) {
    let wanted = text.trim().to_ascii_uppercase();
    let country = wanted.split('-').next().unwrap_or_default().to_owned();
    let known: Vec<&str> = known.collect();
    let country_known = known.contains(&country.as_str());
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter_map(|code| {
            let distance = edit_distance(&wanted, code);
            let same_country = country_known && code.split('-').next() == Some(country.as_str());
            (distance <= 1 || same_country).then_some((distance, code))
        })
        .collect();
    scored.sort();
    let more = scored.len().saturating_sub(MOST);
    scored.truncate(MOST);
    (scored.into_iter().map(|(_, code)| code).collect(), more)
}

/// Levenshtein distance over bytes: codes are ASCII, and anything else is simply far.
fn edit_distance(left: &str, right: &str) -> usize {
    let right = right.as_bytes();
    let mut row: Vec<usize> = (0..=right.len()).collect();
    for (i, l) in left.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, r) in right.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(l != *r));
            diagonal = above;
        }
    }
    row[right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 8] = ["DE", "DE-BW", "DE-BY", "GB", "GR", "GT", "US", "US-CA"];

    #[test]
    fn a_code_one_letter_off_is_matched_to_its_neighbours() {
        assert_eq!(close_matches("GRR", KNOWN.into_iter()), (vec!["GR"], 0));
        assert_eq!(
            close_matches("GX", KNOWN.into_iter()).0,
            vec!["GB", "GR", "GT"]
        );
    }

    #[test]
    fn a_code_in_lower_case_is_matched_to_the_upper_case_one_first() {
        assert_eq!(close_matches("de-by", KNOWN.into_iter()).0[0], "DE-BY");
    }

    #[test]
    fn an_unknown_subdivision_lists_its_country_and_the_countrys_subdivisions() {
        let (matches, more) = close_matches("DE-XX", KNOWN.into_iter());
        assert_eq!(matches, vec!["DE-BW", "DE-BY", "DE"]);
        assert_eq!(more, 0);
    }

    #[test]
    fn a_long_list_is_cut_and_says_how_many_more() {
        let many: Vec<String> = (0..30).map(|n| format!("US-{n:02}")).collect();
        let known = many.iter().map(String::as_str).chain(["US"]);
        let (matches, more) = close_matches("US-ZZ", known);
        assert_eq!((matches.len(), more), (MOST, 11));
    }

    #[test]
    fn nothing_close_gives_no_matches() {
        assert_eq!(close_matches("Narnia", KNOWN.into_iter()), (vec![], 0));
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("GR", "GR"), 0);
        assert_eq!(edit_distance("GRR", "GR"), 1);
        assert_eq!(edit_distance("G", "GR"), 1);
        assert_eq!(edit_distance("GB", "GR"), 1);
        assert_eq!(edit_distance("DE-XX", "DE"), 3);
        assert_eq!(edit_distance("", "US"), 2);
    }
}
