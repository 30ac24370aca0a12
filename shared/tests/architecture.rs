//! The crate's layering, read from its own sources: the domain names neither adapters nor glue,
//! adapters never name glue, and no two modules depend on each other in a cycle (docs/architecture.md).
//! Only code is read: comments and test modules may name anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules of the glue: wiring, entry points, configuration.
const GLUE: &[&str] = &["cli", "config", "functions"];
/// Top-level modules of the adapters.
const ADAPTERS: &[&str] = &["adapters"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Domain,
    Adapter,
    Glue,
}

fn layer_of(top: &str) -> Layer {
    if GLUE.contains(&top) {
        Layer::Glue
    } else if ADAPTERS.contains(&top) {
        Layer::Adapter
    } else {
        Layer::Domain
    }
}

/// One source file: its module path and its code, comments and test modules removed.
struct Source {
    module: Vec<String>,
    /// A `mod.rs` (or `lib.rs`): its `super` is its module's parent, not its own.
    is_folder: bool,
    code: String,
}

/// The module path of `file` under `root` (`adapters/dynamo/mod.rs` is `adapters::dynamo`).
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let relative = file
        .strip_prefix(root)
        .expect("a file under the source root");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code of a file without comments, string contents, or its test module (by convention the
/// last item, after `#[cfg(test)]`).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut code = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    code.push('"');
                }
                _ => {}
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        code.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                in_string = true;
                code.push('"');
            }
            // A char literal such as '"' must not open a string.
            '\'' => {
                code.push(c);
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\"'") {
                    chars.next();
                    chars.next();
                    code.push_str("\"'");
                } else if rest.starts_with("\\\"'") {
                    chars.next();
                    chars.next();
                    chars.next();
                    code.push_str("\\\"'");
                }
            }
            _ => code.push(c),
        }
    }
    code
}

fn sources(root: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|file| {
            let module = module_of(root, &file);
            // The binary is glue of its own; test-only files may reach anything.
            if module.first().is_some_and(|m| m == "bin")
                || module.last().is_some_and(|m| m == "tests")
            {
                return None;
            }
            let text = std::fs::read_to_string(&file).expect("a readable source file");
            let is_folder = file
                .file_name()
                .is_some_and(|n| n == "mod.rs" || n == "lib.rs");
            Some(Source {
                module,
                is_folder,
                code: code_of(&text),
            })
        })
        .collect()
}

/// The crate paths a piece of code names: `crate::a::b::…` as its segments, and each path inside a
/// `use crate::{…}` group.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let path = segments(item.trim());
                if !path.is_empty() {
                    paths.push(path);
                }
            }
            continue;
        }
        let path = segments(rest);
        if !path.is_empty() {
            paths.push(path);
        }
    }
    paths
}

/// The sibling modules a piece of code names through `super::x`, as crate paths.
fn super_paths(source: &Source) -> Vec<Vec<String>> {
    let parent: &[String] = match source.module.split_last() {
        Some((_, parent)) if !source.is_folder => parent,
        _ => return Vec::new(),
    };
    let mut paths = Vec::new();
    let mut rest = source.code.as_str();
    while let Some(at) = rest.find("super::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "super::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let items: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())]
                .split(',')
                .collect(),
            None => vec![rest],
        };
        for item in items {
            let tail = segments(item.trim());
            if !tail.is_empty() {
                let mut path = parent.to_vec();
                path.extend(tail);
                paths.push(path);
            }
        }
    }
    paths
}

fn segments(text: &str) -> Vec<String> {
    let mut path = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        path.push(rest[..end].to_owned());
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    path
}

/// The node a module counts as in the dependency graph: its top-level module, but one level deeper
/// inside `adapters`, `functions` and `cli`, whose children are independent of one another.
fn node_of(path: &[String]) -> String {
    match path {
        [top, child, ..] if ["adapters", "functions", "cli"].contains(&top.as_str()) => {
            format!("{top}::{child}")
        }
        [top, ..] => top.clone(),
        [] => "lib".to_owned(),
    }
}

/// What the layering rules found wrong: each forbidden reference, each cycle between top-level
/// modules, and each cycle between the modules of one folder.
#[derive(Debug, Default)]
struct Findings {
    forbidden: Vec<String>,
    cycles: Vec<Vec<String>>,
    folder_cycles: Vec<Vec<String>>,
}

/// The module a path lands in, at most two levels deep: `incidents::ports::Claim` is in
/// `incidents::ports`, `incidents::Delivery` in `incidents`.
fn module_named(path: &[String], modules: &BTreeSet<Vec<String>>) -> String {
    if path.len() >= 2 && modules.contains(&path[..2].to_vec()) {
        path[..2].join("::")
    } else {
        path.first().cloned().unwrap_or_default()
    }
}

fn check(sources: &[Source]) -> Findings {
    let known: BTreeSet<&str> = sources
        .iter()
        .filter_map(|s| s.module.first().map(String::as_str))
        .collect();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut findings = Findings::default();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut folder_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in sources {
        let Some(top) = source.module.first() else {
            continue;
        };
        let from = node_of(&source.module);
        for path in crate_paths(&source.code) {
            let Some(target_top) = path.first() else {
                continue;
            };
            if !known.contains(target_top.as_str()) || target_top == top && top != "adapters" {
                continue;
            }
            let (mine, theirs) = (layer_of(top), layer_of(target_top));
            let forbidden = match mine {
                Layer::Domain => theirs != Layer::Domain,
                Layer::Adapter => theirs == Layer::Glue,
                Layer::Glue => false,
            };
            if forbidden {
                findings.forbidden.push(format!(
                    "{} ({mine:?}) names crate::{} ({theirs:?})",
                    source.module.join("::"),
                    path.join("::")
                ));
            }
            let to = node_of(&path);
            if to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
        let here = module_named(&source.module, &modules);
        for path in crate_paths(&source.code)
            .into_iter()
            .chain(super_paths(source))
        {
            let there = module_named(&path, &modules);
            if there != here && path.first() == source.module.first() {
                folder_edges.entry(here.clone()).or_default().insert(there);
            }
        }
    }
    findings.cycles = cycles(&edges);
    findings.folder_cycles = cycles(&folder_edges);
    findings
}

/// The strongly connected components of more than one node (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, node: &str) {
            self.index.insert(node.to_owned(), self.next);
            self.low.insert(node.to_owned(), self.next);
            self.next += 1;
            self.stack.push(node.to_owned());
            self.on_stack.insert(node.to_owned());
            let edges = self.edges;
            for next in edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node.to_owned(), low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node.to_owned(), low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(&member);
                    let done = member == node;
                    component.push(member);
                    if done {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    let nodes: BTreeSet<&String> = edges.keys().chain(edges.values().flatten()).collect();
    for node in nodes {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

fn crate_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_domain_names_no_adapter_or_glue_and_adapters_name_no_glue() {
    let findings = check(&sources(&crate_root()));
    assert!(
        findings.forbidden.is_empty(),
        "references against the layering:\n{}",
        findings.forbidden.join("\n")
    );
}

#[test]
fn no_modules_depend_on_each_other_in_a_cycle() {
    let findings = check(&sources(&crate_root()));
    assert!(
        findings.cycles.is_empty(),
        "module cycles: {:?}",
        findings.cycles
    );
    assert!(
        findings.folder_cycles.is_empty(),
        "cycles inside a folder: {:?}",
        findings.folder_cycles
    );
}

#[test]
fn no_file_outside_tests_is_longer_than_800_lines() {
    let long: Vec<String> = sources(&crate_root())
        .iter()
        .filter(|s| s.code.lines().count() > 800)
        .map(|s| format!("{} ({} lines)", s.module.join("::"), s.code.lines().count()))
        .collect();
    assert!(long.is_empty(), "too long: {long:?}");
}

#[test]
fn domain_code_reads_the_time_from_a_clock_it_is_handed() {
    let reading: Vec<String> = sources(&crate_root())
        .iter()
        .filter(|s| {
            s.module
                .first()
                .is_some_and(|top| layer_of(top) == Layer::Domain)
        })
        .filter(|s| s.module != ["clock"] && s.code.contains("Timestamp::now()"))
        .map(|s| s.module.join("::"))
        .collect();
    assert!(
        reading.is_empty(),
        "domain modules reading the system clock: {reading:?}"
    );
}

fn source(module: &str, code: &str) -> Source {
    Source {
        module: module.split("::").map(str::to_owned).collect(),
        is_folder: false,
        code: code_of(code),
    }
}

#[test]
fn the_check_finds_a_domain_module_naming_an_adapter_or_glue() {
    let findings = check(&[
        source("rotation", "use crate::adapters::dynamo::keys;\nfn f() {}"),
        source(
            "triage::service",
            "fn f() { crate::functions::lambda::init(); }",
        ),
        source("adapters::dynamo", "use crate::config::Config;"),
        source("functions::rotation", "use crate::rotation::Roster;"),
        source("config", ""),
    ]);
    assert_eq!(findings.forbidden.len(), 3, "{:?}", findings.forbidden);
    assert!(findings.forbidden[0].starts_with("rotation (Domain) names crate::adapters"));
}

#[test]
fn the_check_finds_a_cycle_and_ignores_comments_strings_and_tests() {
    let findings = check(&[
        source("brief", "use crate::handoff::job::Shift;"),
        source("handoff::job", "use crate::{brief::Brief, rotation::plan};"),
        source(
            "rotation",
            "// crate::brief in a comment\nconst A: &str = \"crate::brief\";",
        ),
        source(
            "shifts",
            "fn f() {}\n#[cfg(test)]\nmod tests { use crate::brief::X; }",
        ),
    ]);
    assert_eq!(
        findings.cycles,
        vec![vec!["brief".to_owned(), "handoff".to_owned()]]
    );
    assert!(findings.forbidden.is_empty());
}

#[test]
fn the_check_finds_two_modules_of_one_folder_naming_each_other() {
    let findings = check(&[
        source("incidents::ports", "use super::downtime::DowntimeWindow;"),
        source(
            "incidents::downtime",
            "use super::{desk::Desk, ports::DowntimeBook};",
        ),
        source("incidents::desk", "use crate::incidents::lifecycle::Phase;"),
        source("incidents::lifecycle", ""),
    ]);
    assert_eq!(
        findings.folder_cycles,
        vec![vec![
            "incidents::downtime".to_owned(),
            "incidents::ports".to_owned()
        ]]
    );
    assert!(findings.cycles.is_empty());
}
