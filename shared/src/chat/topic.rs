//! Clinic's section of a channel topic people also edit: rendered from the roster's template, found
//! again by the template's literal prefix, replaced in place with every other byte kept as people
//! wrote it, and trimmed (never people's text) to fit Slack's 250-character topic.

use crate::rotation::roster::TopicTemplate;

/// Slack cuts a channel topic at 250 characters. Matrix has no such limit; Clinic keeps to the same
/// one there so a section reads the same in both.
pub const TOPIC_LIMIT: usize = 250;
/// What separates the sections of a topic: Clinic's runs from its prefix to the next one.
pub const SEPARATOR: &str = " | ";
/// Ends a section trimmed to fit.
const ELLIPSIS: char = '…';

/// What the section says this shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionValues<'a> {
    /// The person on duty (`nobody` for an unstaffed week).
    pub name: &'a str,
    pub backup: Option<&'a str>,
    /// `2027-W01`.
    pub week: &'a str,
    /// A standing notice (the `notices` feature), if one stands.
    pub notice: Option<&'a str>,
}

/// The section for `values`. A template without `{notice}` shows a standing notice appended inside
/// the section as ` (notice: …)`, so it is replaced with the rest and never left behind as people's
/// text. Values lose `|` (it would end the section early) and control characters.
pub fn render_section(template: &TopicTemplate, values: &SectionValues<'_>) -> String {
    let notice = values.notice.map(clean).filter(|n| !n.is_empty());
    let text = template.as_str();
    let mut out = text
        .replace("{name}", &clean(values.name))
        .replace("{backup}", &clean(values.backup.unwrap_or("none")))
        .replace("{week}", &clean(values.week))
        .replace("{notice}", notice.as_deref().unwrap_or(""));
    // An empty `{notice}` at the end would leave trailing blanks Slack trims, making every read
    // look edited.
    out.truncate(out.trim_end().len());
    if !text.contains("{notice}")
        && let Some(notice) = notice
    {
        out.push_str(&format!(" (notice: {notice})"));
    }
    out
}

fn clean(value: &str) -> String {
    value
        .trim()
        .chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Where Clinic's section is in `topic`: the first place that starts a section (the topic's start,
/// or right after a ` | `) whose text up to the next ` | ` (or the end) starts with `prefix`.
pub fn find_section(topic: &str, prefix: &str) -> Option<std::ops::Range<usize>> {
    // Every byte right after a separator, overlapping ones (` | | `) included.
    let mut candidates = std::iter::once(0).chain(
        (1..=topic.len())
            .filter(|&at| topic.is_char_boundary(at) && topic[..at].ends_with(SEPARATOR)),
    );
    candidates.find_map(|start| {
        let end = topic[start..]
            .find(SEPARATOR)
            .map_or(topic.len(), |at| start + at);
        topic[start..end].starts_with(prefix).then_some(start..end)
    })
}

/// The topic with Clinic's section as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicUpdate {
    /// The whole topic to set.
    pub topic: String,
    /// Clinic's section as the topic had it, if it had one.
    pub was: Option<String>,
    /// The section now (trimmed when it did not fit).
    pub section: String,
    pub trimmed: bool,
}

impl TopicUpdate {
    /// Whether the topic must be set: its section differs from what it should be.
    pub fn changes(&self, topic: &str) -> bool {
        self.topic != topic
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// People's text leaves no room for even the section's prefix: Clinic leaves the topic as it
    /// is (it never cuts what people wrote) until someone shortens it.
    #[error(
        "the topic's other text takes {people_chars} of {limit} characters, leaving no room for Clinic's \
         section (it needs at least {needed}); the topic is left as people wrote it"
    )]
    NoRoom {
        people_chars: usize,
        needed: usize,
        limit: usize,
    },
}

/// `topic` with Clinic's section (found by `prefix`) replaced by `section`, or `section` appended
/// after ` | ` when the topic has none; everything else byte for byte as it was. Over `limit`
/// characters, the section is cut and ends in `…`.
pub fn replace_section(
    topic: &str,
    prefix: &str,
    section: &str,
    limit: usize,
) -> Result<TopicUpdate, TopicError> {
    let found = find_section(topic, prefix);
    let (before, after, joiner) = match &found {
        Some(range) => (&topic[..range.start], &topic[range.end..], ""),
        None if topic.is_empty() => ("", "", ""),
        None => (topic, "", SEPARATOR),
    };
    let people_chars = before.chars().count() + joiner.len() + after.chars().count();
    let room = limit.saturating_sub(people_chars);
    let wanted = section.chars().count();
    let (section, trimmed) = if wanted <= room {
        (section.to_owned(), false)
    } else {
        // The prefix and one character of the rest: the section must still be found next time.
        let needed = prefix.chars().count() + 1;
        if room < needed {
            return Err(TopicError::NoRoom {
                people_chars,
                needed,
                limit,
            });
        }
        let mut cut: String = section.chars().take(room - 1).collect();
        cut.push(ELLIPSIS);
        (cut, true)
    };
    Ok(TopicUpdate {
        topic: format!("{before}{joiner}{section}{after}"),
        was: found.map(|range| topic[range].to_owned()),
        section,
        trimmed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn template(text: &str) -> TopicTemplate {
        TopicTemplate::parse(text).expect("template")
    }

    fn values<'a>(name: &'a str, notice: Option<&'a str>) -> SectionValues<'a> {
        SectionValues {
            name,
            backup: Some("Bruno Moreau"),
            week: "2027-W01",
            notice,
        }
    }

    #[test]
    fn the_section_names_the_person_the_backup_and_the_week() {
        let t = template("Clinic duty: {name} (backup {backup}, {week})");
        assert_eq!(
            render_section(&t, &values("Asha Kaur", None)),
            "Clinic duty: Asha Kaur (backup Bruno Moreau, 2027-W01)"
        );
    }

    #[test]
    fn a_notice_shows_where_the_template_puts_it_or_else_at_the_sections_end() {
        let with = template("Clinic duty: {name} {notice}");
        assert_eq!(
            render_section(&with, &values("Asha", Some("VPN down"))),
            "Clinic duty: Asha VPN down"
        );
        assert_eq!(
            render_section(&with, &values("Asha", None)),
            "Clinic duty: Asha"
        );
        let without = template("Clinic duty: {name}");
        assert_eq!(
            render_section(&without, &values("Asha", Some("VPN down"))),
            "Clinic duty: Asha (notice: VPN down)"
        );
    }

    #[test]
    fn a_bar_in_a_value_cannot_end_the_section_early() {
        let t = template("Clinic duty: {name}");
        let section = render_section(&t, &values("A | B", Some("x|y\n")));
        assert_eq!(section, "Clinic duty: A / B (notice: x/y)");
    }

    #[test]
    fn the_section_is_replaced_in_place_and_the_rest_kept_byte_for_byte() {
        let topic = "Welcome  to #ops | Clinic duty: Bruno | runbooks: https://wiki/x ";
        let update =
            replace_section(topic, "Clinic duty: ", "Clinic duty: Asha", TOPIC_LIMIT).unwrap();
        assert_eq!(
            update.topic,
            "Welcome  to #ops | Clinic duty: Asha | runbooks: https://wiki/x "
        );
        assert_eq!(update.was.as_deref(), Some("Clinic duty: Bruno"));
        assert!(update.changes(topic));
        assert!(!update.trimmed);
    }

    #[test]
    fn a_topic_without_the_section_gains_it_at_the_end() {
        let update = replace_section("Welcome", "Clinic duty: ", "Clinic duty: Asha", 250).unwrap();
        assert_eq!(update.topic, "Welcome | Clinic duty: Asha");
        assert_eq!(update.was, None);
        let empty = replace_section("", "Clinic duty: ", "Clinic duty: Asha", 250).unwrap();
        assert_eq!(empty.topic, "Clinic duty: Asha");
    }

    #[test]
    fn the_prefix_inside_peoples_sentence_is_not_the_section() {
        let topic = "Ask Clinic duty: first";
        let update = replace_section(topic, "Clinic duty: ", "Clinic duty: Asha", 250).unwrap();
        assert_eq!(update.topic, "Ask Clinic duty: first | Clinic duty: Asha");
    }

    #[test]
    fn a_long_section_is_cut_and_peoples_text_never() {
        let people = "p".repeat(230);
        let update = replace_section(
            &people,
            "Clinic duty: ",
            "Clinic duty: Asha Kaur (backup Bruno Moreau)",
            TOPIC_LIMIT,
        )
        .unwrap();
        assert!(update.trimmed);
        assert_eq!(update.topic.chars().count(), TOPIC_LIMIT);
        assert!(update.topic.starts_with(&people));
        assert_eq!(update.section, "Clinic duty: Ash…");
    }

    #[test]
    fn peoples_text_alone_over_the_limit_leaves_the_topic_alone() {
        let people = "p".repeat(240);
        let error = replace_section(&people, "Clinic duty: ", "Clinic duty: Asha", TOPIC_LIMIT)
            .unwrap_err();
        assert_eq!(
            error,
            TopicError::NoRoom {
                people_chars: 243,
                needed: 14,
                limit: 250
            }
        );
    }

    /// Topics built of pieces that make the separator tricky: bars, blanks, the prefix, and text.
    fn topic_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just(" | ".to_owned()),
            Just("|".to_owned()),
            Just(" ".to_owned()),
            Just("Clinic duty:".to_owned()),
            Just("Clinic duty: ".to_owned()),
            Just("Clinic duty: old".to_owned()),
            "[a-zé€ ]{0,12}",
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    fn section_text() -> impl Strategy<Value = String> {
        "[A-Za-z ()é]{0,60}".prop_map(|rest| format!("Clinic duty: X{rest}").trim_end().to_owned())
    }

    proptest! {
        #[test]
        fn replacing_twice_is_replacing_once(topic in topic_text(), section in section_text(), limit in 20usize..300) {
            if let Ok(once) = replace_section(&topic, "Clinic duty: ", &section, limit) {
                let twice = replace_section(&once.topic, "Clinic duty: ", &section, limit).unwrap();
                prop_assert_eq!(&twice.topic, &once.topic);
                prop_assert!(!twice.changes(&once.topic));
                prop_assert!(once.topic.chars().count() <= limit.max(topic.chars().count()));
            }
        }

        #[test]
        fn text_outside_the_section_is_unchanged(topic in topic_text(), section in section_text()) {
            let update = replace_section(&topic, "Clinic duty: ", &section, 1000).unwrap();
            match find_section(&topic, "Clinic duty: ") {
                Some(range) => {
                    prop_assert!(update.topic.starts_with(&topic[..range.start]));
                    prop_assert!(update.topic.ends_with(&topic[range.end..]));
                    prop_assert_eq!(update.topic.len(), topic.len() - range.len() + section.len());
                }
                None if topic.is_empty() => prop_assert_eq!(&update.topic, &section),
                None => prop_assert_eq!(update.topic, format!("{topic} | {section}")),
            }
        }

        #[test]
        fn a_topic_without_the_section_gains_exactly_one(topic in topic_text(), section in section_text()) {
            prop_assume!(find_section(&topic, "Clinic duty: ").is_none());
            let update = replace_section(&topic, "Clinic duty: ", &section, 1000).unwrap();
            let found = find_section(&update.topic, "Clinic duty: ").expect("the section is found");
            prop_assert_eq!(&update.topic[found.clone()], section.as_str());
            // Removing it gives back people's text and nothing else of Clinic's.
            let rest = format!("{}{}", &update.topic[..found.start], &update.topic[found.end..]);
            let expected = if topic.is_empty() { String::new() } else { format!("{topic} | ") };
            prop_assert_eq!(rest, expected);
        }
    }
}
