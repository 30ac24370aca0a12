//! Which provider sent a notice, judged from the mail itself: the sender addresses (and their parent
//! domains), the original sender of a forwarded notice, and failing those the distinctive wording of each
//! provider's template. The result is an ordered list of candidates; the first whose parser succeeds wins.

use std::sync::LazyLock;

use super::notice::{Notice, domain_of};
use super::provider_id::{ALL, ProviderId};
use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// The provider a sender domain (or one of its parent domains) belongs to. Several providers can share a
/// domain (Seaborn and Turkcell both send from superonline.net); all are returned in table order.
fn providers_of_domain(domain: &str) -> Vec<ProviderId> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut found = Vec::new();
    let mut candidate = domain.as_str();
    loop {
        for provider in ALL {
            if provider.profile().domains.contains(&candidate) && !found.contains(&provider) {
                found.push(provider);
            }
        }
        match candidate.split_once('.') {
            Some((_, parent)) if parent.contains('.') => candidate = parent,
            _ => break,
        }
    }
    found
}

/// Providers that sent this notice according to its sender addresses, or the sender of the original it
/// forwards, most likely first. A domain several providers share is settled by the wording.
pub(crate) fn by_sender(notice: &Notice) -> Vec<ProviderId> {
    let mut ranked: Vec<ProviderId> = Vec::new();
    for sender in notice.senders.iter().chain(&notice.forwarded_senders) {
        let Some(domain) = domain_of(sender) else {
            continue;
        };
        let mut providers = providers_of_domain(&domain);
        if providers.len() > 1 {
            let scores = by_wording(notice);
            let score = |p: &ProviderId| scores.iter().find(|(q, _)| q == p).map_or(0, |(_, s)| *s);
            providers.sort_by_key(|p| std::cmp::Reverse(score(p)));
        }
        for provider in providers {
            if !ranked.contains(&provider) {
                ranked.push(provider);
            }
        }
    }
    ranked
}

/// Every provider's markers in one automaton, each pattern tagged with its provider.
static MARKERS: LazyLock<(AhoCorasick, Vec<ProviderId>)> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    let mut owners = Vec::new();
    for provider in ALL {
        for marker in provider.profile().markers {
            patterns.push(*marker);
            owners.push(provider);
        }
    }
    // A contiguous NFA builds in a fraction of a DFA's time, and one pass per notice does not need more.
    let automaton = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .ascii_case_insensitive(true)
        .build(&patterns)
        .expect("marker patterns are plain literals");
    (automaton, owners)
});

/// Providers whose template wording appears in the subject or body, best first, with a score: each marker
/// counts once per occurrence, up to three, so one passing mention of another provider ranks below a template.
pub(crate) fn by_wording(notice: &Notice) -> Vec<(ProviderId, usize)> {
    let (automaton, owners) = &*MARKERS;
    let mut hits = vec![0usize; owners.len()];
    let texts = [notice.subject.as_str(), notice.body_text()]
        .into_iter()
        .chain(notice.calendars.iter().map(String::as_str));
    for text in texts {
        for found in automaton.find_overlapping_iter(text) {
            let count = &mut hits[found.pattern().as_usize()];
            *count = (*count + 1).min(3);
        }
    }
    let mut scored: Vec<(ProviderId, usize)> = Vec::new();
    for (pattern, count) in hits.into_iter().enumerate() {
        if count == 0 {
            continue;
        }
        let owner = owners[pattern];
        match scored.iter_mut().find(|(p, _)| *p == owner) {
            Some((_, score)) => *score += count,
            None => scored.push((owner, count)),
        }
    }
    scored.sort_by_key(|(_, score)| std::cmp::Reverse(*score));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_domains_of_a_sender_are_recognised() {
        assert_eq!(
            providers_of_domain("EMEA.verizonbusiness.com"),
            vec![ProviderId::Verizon]
        );
        assert_eq!(
            providers_of_domain("saasmail.netflix.com"),
            vec![ProviderId::Netflix]
        );
        assert_eq!(
            providers_of_domain("superonline.net"),
            vec![ProviderId::Seaborn, ProviderId::Turkcell]
        );
        assert!(providers_of_domain("example.com").is_empty());
        assert!(providers_of_domain("com").is_empty());
    }

    #[test]
    fn provider_names_are_the_reference_provider_types() {
        assert_eq!(ProviderId::CrownCastle.to_string(), "crowncastle");
        assert_eq!(ProviderId::Generic.to_string(), "genericprovider");
        assert_eq!(
            serde_json::to_string(&ProviderId::GlobalCloudXchange).unwrap(),
            "\"globalcloudxchange\""
        );
    }
}
