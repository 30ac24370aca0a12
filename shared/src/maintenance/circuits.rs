//! What a maintenance means for us: the circuits file (vendor circuit id -> site, service,
//! redundancy group), reviewed like the roster, and what it tells about the maintenances in the
//! table: circuits no file entry knows, and redundancy groups that lose every circuit at once.
//!
//! Two maintenances that each "only reduce redundancy" of one circuit of a pair, at overlapping
//! times, take the pair down: each vendor is right about its own circuit, and the site is still
//! cut off. [`outages`] finds every such moment, whichever vendors and however many notices.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::Impact;
use super::lifecycle::MaintenanceRecord;
use super::model::Status;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct CircuitsFile {
    #[serde(default, rename = "circuit")]
    circuits: Vec<CircuitEntry>,
}

/// One vendor circuit as the team knows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitEntry {
    /// The id as the vendor's notices name it.
    pub id: String,
    /// The provider the notices come from (`harbour-transit`); when given, only its notices match.
    #[serde(default)]
    pub provider: Option<String>,
    pub site: String,
    pub service: String,
    /// Circuits that back each other up; a group whose every circuit is affected at one moment is
    /// down at that moment.
    pub redundancy_group: String,
}

/// The circuits file, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Circuits {
    entries: Vec<CircuitEntry>,
}

/// Why a circuits file was refused: every problem at once, each saying where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CircuitsError {
    #[error("not valid TOML for a circuits file: {0}")]
    Syntax(String),
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Longest id, site, service or group name accepted: vendor ids are short; anything longer is a
/// pasted paragraph.
const MAX_NAME: usize = 128;

impl Circuits {
    pub fn parse(text: &str) -> Result<Self, CircuitsError> {
        let file: CircuitsFile =
            toml::from_str(text).map_err(|e| CircuitsError::Syntax(e.to_string()))?;
        let mut problems = Vec::new();
        let mut seen: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
        for (i, entry) in file.circuits.iter().enumerate() {
            let place = format!("circuit[{i}] ({:?})", entry.id);
            for (field, value) in [
                ("id", &entry.id),
                ("site", &entry.site),
                ("service", &entry.service),
                ("redundancy_group", &entry.redundancy_group),
            ] {
                if value.trim().is_empty() {
                    problems.push(format!("{place}: {field} is empty"));
                } else if value.len() > MAX_NAME || value.chars().any(char::is_control) {
                    problems.push(format!(
                        "{place}: {field} is not a name (control characters or over {MAX_NAME} characters)"
                    ));
                }
            }
            let key = (normal(&entry.id), entry.provider.as_deref().map(normal));
            if let Some(first) = seen.insert(key, i) {
                problems.push(format!("{place}: the same circuit as circuit[{first}]"));
            }
        }
        if problems.is_empty() {
            Ok(Self {
                entries: file.circuits,
            })
        } else {
            Err(CircuitsError::Invalid(problems))
        }
    }

    pub fn entries(&self) -> &[CircuitEntry] {
        &self.entries
    }

    /// Groups of a single circuit: no redundancy to lose, worth a word when the file is checked.
    pub fn lone_groups(&self) -> Vec<String> {
        let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
        for entry in &self.entries {
            *sizes.entry(entry.redundancy_group.as_str()).or_default() += 1;
        }
        sizes
            .into_iter()
            .filter(|(_, n)| *n == 1)
            .map(|(g, _)| g.to_owned())
            .collect()
    }

    /// The entry for a circuit a notice of `provider` names: one for that provider first, then one
    /// for any provider. Ids compare without case and surrounding spaces, as vendors vary them.
    pub fn find(&self, provider: &str, circuit_id: &str) -> Option<&CircuitEntry> {
        self.position(provider, circuit_id)
            .map(|i| &self.entries[i])
    }

    /// [`Self::find`], as the entry's index.
    fn position(&self, provider: &str, circuit_id: &str) -> Option<usize> {
        let id = normal(circuit_id);
        let provider = normal(provider);
        let mut any = None;
        for (i, entry) in self.entries.iter().enumerate() {
            if normal(&entry.id) != id {
                continue;
            }
            match &entry.provider {
                Some(p) if normal(p) == provider => return Some(i),
                Some(_) => {}
                None => any = any.or(Some(i)),
            }
        }
        any
    }

    fn group_members(&self) -> BTreeMap<&str, BTreeSet<usize>> {
        let mut groups: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for (i, entry) in self.entries.iter().enumerate() {
            groups
                .entry(entry.redundancy_group.as_str())
                .or_default()
                .insert(i);
        }
        groups
    }
}

impl crate::reviewed_file::ReviewedFile for Circuits {
    const WHAT: &'static str = "circuits file";
    type Invalid = CircuitsError;

    fn parse_text(text: &str) -> Result<Self, CircuitsError> {
        Self::parse(text)
    }
}

fn normal(text: &str) -> String {
    text.trim().to_lowercase()
}

/// A maintenance that still matters: not cancelled, not over.
fn live(record: &MaintenanceRecord) -> bool {
    !matches!(record.status, Status::Cancelled | Status::Completed)
}

/// A circuit named in a maintenance that the circuits file does not know.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnknownCircuit {
    pub provider: String,
    pub circuit_id: String,
    /// The maintenances naming it (`provider/id`).
    pub maintenances: BTreeSet<String>,
}

/// Every circuit the live maintenances name that the file does not know, sorted.
pub fn unknown_circuits(records: &[MaintenanceRecord], circuits: &Circuits) -> Vec<UnknownCircuit> {
    let mut unknown: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for record in records.iter().filter(|r| live(r)) {
        for circuit in &record.circuits {
            if circuits
                .find(&record.provider, &circuit.circuit_id)
                .is_none()
            {
                unknown
                    .entry((record.provider.clone(), circuit.circuit_id.clone()))
                    .or_default()
                    .insert(name(record));
            }
        }
    }
    unknown
        .into_iter()
        .map(|((provider, circuit_id), maintenances)| UnknownCircuit {
            provider,
            circuit_id,
            maintenances,
        })
        .collect()
}

fn name(record: &MaintenanceRecord) -> String {
    format!("{}/{}", record.provider, record.maintenance_id)
}

/// A redundancy group with every circuit affected at once, from `start` to `end` (epoch seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOutage {
    pub group: String,
    pub site: String,
    pub start: i64,
    pub end: i64,
    /// The maintenances that together take the group down (`provider/id`), sorted.
    pub maintenances: Vec<String>,
    /// The group's circuits (their ids), sorted.
    pub circuits: Vec<String>,
    /// Every one of those maintenances said it only reduces redundancy (or has no impact): the
    /// outage is one no vendor announced.
    pub unannounced: bool,
}

/// Every stretch of time in which a redundancy group of two or more circuits has all of them
/// affected by live maintenances, with the maintenances responsible. A maintenance affects a
/// circuit unless it says `NO-IMPACT` for it.
pub fn outages(records: &[MaintenanceRecord], circuits: &Circuits) -> Vec<GroupOutage> {
    // Per circuit entry: (start, end, maintenance index, impact) of each live maintenance on it.
    let mut hits: BTreeMap<usize, Vec<(i64, i64, usize, Impact)>> = BTreeMap::new();
    for (m, record) in records.iter().enumerate().filter(|(_, r)| live(r)) {
        if record.end <= record.start {
            continue;
        }
        for circuit in &record.circuits {
            if circuit.impact == Impact::NoImpact {
                continue;
            }
            if let Some(index) = circuits.position(&record.provider, &circuit.circuit_id) {
                hits.entry(index)
                    .or_default()
                    .push((record.start, record.end, m, circuit.impact));
            }
        }
    }
    let mut found = Vec::new();
    for (group, members) in circuits.group_members() {
        if members.len() < 2 || !members.iter().all(|i| hits.contains_key(i)) {
            continue;
        }
        // The moments at which the set of affected circuits can change: every start and end.
        let mut edges: Vec<i64> = members
            .iter()
            .flat_map(|i| hits[i].iter().flat_map(|(s, e, _, _)| [*s, *e]))
            .collect();
        edges.sort_unstable();
        edges.dedup();
        let mut open: Option<GroupOutage> = None;
        for pair in edges.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            // Every member has a maintenance covering [from, to)?
            let covering: Option<Vec<&(i64, i64, usize, Impact)>> = members
                .iter()
                .map(|i| hits[i].iter().find(|(s, e, _, _)| *s <= from && to <= *e))
                .collect();
            match (covering, open.as_mut()) {
                (Some(cover), Some(current)) if current.end == from => {
                    current.end = to;
                    add(current, &cover, records);
                }
                (Some(cover), _) => {
                    if let Some(done) = open.take() {
                        found.push(done);
                    }
                    let entry = &circuits.entries[*members.iter().next().unwrap_or(&0)];
                    let mut outage = GroupOutage {
                        group: group.to_owned(),
                        site: entry.site.clone(),
                        start: from,
                        end: to,
                        maintenances: Vec::new(),
                        circuits: members
                            .iter()
                            .map(|i| circuits.entries[*i].id.clone())
                            .collect(),
                        unannounced: true,
                    };
                    outage.circuits.sort();
                    add(&mut outage, &cover, records);
                    open = Some(outage);
                }
                (None, _) => {
                    if let Some(done) = open.take() {
                        found.push(done);
                    }
                }
            }
        }
        found.extend(open);
    }
    found.sort_by(|a, b| (a.start, &a.group).cmp(&(b.start, &b.group)));
    found
}

fn add(
    outage: &mut GroupOutage,
    cover: &[&(i64, i64, usize, Impact)],
    records: &[MaintenanceRecord],
) {
    for (_, _, m, impact) in cover {
        let n = name(&records[*m]);
        if !outage.maintenances.contains(&n) {
            outage.maintenances.push(n);
            outage.maintenances.sort();
        }
        if *impact != Impact::ReducedRedundancy {
            outage.unannounced = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FILE: &str = r#"
[[circuit]]
id = "HT-100234"
provider = "harbour-transit"
site = "ams1"
service = "transit"
redundancy_group = "ams1-uplinks"

[[circuit]]
id = "NW-77"
site = "ams1"
service = "transit"
redundancy_group = "ams1-uplinks"

[[circuit]]
id = "NW-78"
site = "fra1"
service = "wave to ams1"
redundancy_group = "fra1-wave"
"#;

    fn circuits() -> Circuits {
        Circuits::parse(FILE).unwrap()
    }

    fn maintenance(
        provider: &str,
        id: &str,
        circuits: &[(&str, Impact)],
        window: (i64, i64),
    ) -> MaintenanceRecord {
        MaintenanceRecord::sample(provider, id, circuits, window)
    }

    #[test]
    fn two_vendors_each_only_reducing_redundancy_at_overlapping_times_take_the_group_down() {
        let records = [
            maintenance(
                "harbour-transit",
                "HT-1",
                &[("HT-100234", Impact::ReducedRedundancy)],
                (1_000, 5_000),
            ),
            maintenance(
                "northwave",
                "NW-9",
                &[("nw-77 ", Impact::ReducedRedundancy)],
                (4_000, 9_000),
            ),
        ];
        let found = outages(&records, &circuits());
        assert_eq!(
            found,
            vec![GroupOutage {
                group: "ams1-uplinks".into(),
                site: "ams1".into(),
                start: 4_000,
                end: 5_000,
                maintenances: vec!["harbour-transit/HT-1".into(), "northwave/NW-9".into()],
                circuits: vec!["HT-100234".into(), "NW-77".into()],
                unannounced: true,
            }]
        );
    }

    #[test]
    fn windows_that_only_touch_a_cancelled_one_or_no_impact_are_no_outage() {
        let ht = |window| {
            maintenance(
                "harbour-transit",
                "HT-1",
                &[("HT-100234", Impact::ReducedRedundancy)],
                window,
            )
        };
        let nw = |window, impact| maintenance("northwave", "NW-9", &[("NW-77", impact)], window);
        let touching = [ht((1_000, 5_000)), nw((5_000, 9_000), Impact::Outage)];
        assert!(outages(&touching, &circuits()).is_empty());
        let no_impact = [ht((1_000, 5_000)), nw((1_000, 5_000), Impact::NoImpact)];
        assert!(outages(&no_impact, &circuits()).is_empty());
        let mut cancelled = nw((1_000, 5_000), Impact::ReducedRedundancy);
        cancelled.status = Status::Cancelled;
        assert!(outages(&[ht((1_000, 5_000)), cancelled], &circuits()).is_empty());
    }

    #[test]
    fn a_circuit_id_of_another_provider_does_not_match_a_provider_bound_entry() {
        let records = [
            maintenance(
                "elsewhere",
                "E-1",
                &[("HT-100234", Impact::ReducedRedundancy)],
                (1_000, 5_000),
            ),
            maintenance(
                "northwave",
                "NW-9",
                &[("NW-77", Impact::ReducedRedundancy)],
                (1_000, 5_000),
            ),
        ];
        assert!(outages(&records, &circuits()).is_empty());
        let unknown = unknown_circuits(&records, &circuits());
        assert_eq!(unknown.len(), 1);
        assert_eq!(
            (unknown[0].provider.as_str(), unknown[0].circuit_id.as_str()),
            ("elsewhere", "HT-100234")
        );
        assert_eq!(
            unknown[0].maintenances,
            BTreeSet::from(["elsewhere/E-1".to_owned()])
        );
    }

    #[test]
    fn a_file_with_duplicates_empty_fields_or_unknown_keys_is_refused_with_every_problem() {
        let bad = r#"
[[circuit]]
id = "A"
site = ""
service = "transit"
redundancy_group = "g"

[[circuit]]
id = " a"
site = "x"
service = "transit"
redundancy_group = "g"
"#;
        let err = Circuits::parse(bad).unwrap_err().to_string();
        assert!(err.contains("circuit[0] (\"A\"): site is empty"), "{err}");
        assert!(
            err.contains("circuit[1] (\" a\"): the same circuit as circuit[0]"),
            "{err}"
        );
        let typo =
            "[[circuit]]\nid = \"A\"\nsite = \"x\"\nservice = \"s\"\nredundancy_grop = \"g\"\n";
        let err = Circuits::parse(typo).unwrap_err().to_string();
        assert!(err.contains("redundancy_grop"), "{err}");
        assert_eq!(circuits().lone_groups(), vec!["fra1-wave".to_owned()]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Checked against a brute force over every second: a group is reported down exactly at
        /// the moments every one of its circuits is inside some live maintenance's window.
        #[test]
        fn the_group_is_reported_down_exactly_when_every_circuit_is_affected(
            windows in proptest::collection::vec((0i64..60, 1i64..30, 0usize..2, any::<bool>()), 0..6)
        ) {
            let ids = ["HT-100234", "NW-77"];
            let records: Vec<MaintenanceRecord> = windows
                .iter()
                .enumerate()
                .map(|(n, (start, length, which, cancelled))| {
                    let provider = if *which == 0 { "harbour-transit" } else { "northwave" };
                    let mut r = maintenance(
                        provider,
                        &format!("M{n}"),
                        &[(ids[*which], Impact::ReducedRedundancy)],
                        (*start, start + length),
                    );
                    if *cancelled {
                        r.status = Status::Cancelled;
                    }
                    r
                })
                .collect();
            let found = outages(&records, &circuits());
            for second in 0..100i64 {
                let covered = |id: &str| {
                    records.iter().any(|r| {
                        live(r)
                            && r.circuits[0].circuit_id == id
                            && r.start <= second
                            && second < r.end
                    })
                };
                let down = ids.iter().all(|id| covered(id));
                let reported = found
                    .iter()
                    .any(|o| o.group == "ams1-uplinks" && o.start <= second && second < o.end);
                prop_assert_eq!(down, reported, "second {}", second);
            }
            // Stretches are maximal: two reported outages of a group never touch.
            for pair in found.windows(2) {
                prop_assert!(pair[0].end < pair[1].start || pair[0].group != pair[1].group);
            }
        }
    }
}
