//! The documents that restate the code are held to it: the key table of docs/table-design.md against
//! the key layout's module doc, the variables of docs/configuration.md against the configuration's
//! declared names, and README.md as an entry page (short, its two commands, links that resolve).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the key layout lives: the DynamoDB adapter's key module.
const KEY_LAYOUT_FILES: [&str; 1] = ["shared/src/adapters/dynamo/keys.rs"];
const KEY_TABLE_HEADER: [&str; 4] = ["entity", "PK", "SK", "GSI1PK / GSI1SK"];
const README_MAX_LINES: usize = 200;

fn repo_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn normalise(cell: &str) -> String {
    cell.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(normalise).collect()
}

fn is_separator(row: &[String]) -> bool {
    row.iter()
        .all(|cell| !cell.is_empty() && cell.chars().all(|c| matches!(c, '-' | ':' | ' ')))
}

/// Markdown lines outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut in_fence = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                return false;
            }
            !in_fence
        })
        .collect()
}

/// Every Markdown table of `lines`, as its header and its body rows (cells whitespace-normalised).
fn tables(lines: &[&str]) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut found = Vec::new();
    let mut block: Vec<Vec<String>> = Vec::new();
    let mut flush = |block: &mut Vec<Vec<String>>| {
        if block.len() >= 2 && is_separator(&block[1]) {
            let body = block[2..].to_vec();
            found.push((block[0].clone(), body));
        }
        block.clear();
    };
    for line in lines {
        if line.trim_start().starts_with('|') {
            block.push(cells(line));
        } else {
            flush(&mut block);
        }
    }
    flush(&mut block);
    found
}

fn table_with_header(
    lines: &[&str],
    wanted: &dyn Fn(&[String]) -> bool,
    what: &str,
) -> Vec<Vec<String>> {
    let mut matching: Vec<_> = tables(lines)
        .into_iter()
        .filter(|(header, _)| wanted(header))
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "expected exactly one {what}, found {}",
        matching.len()
    );
    matching.remove(0).1
}

fn key_table(lines: &[&str], source: &Path) -> Vec<Vec<String>> {
    let header: Vec<String> = KEY_TABLE_HEADER.iter().map(|c| c.to_string()).collect();
    table_with_header(
        lines,
        &|h| h == header.as_slice(),
        &format!(
            "key table (| {} |) in {}",
            KEY_TABLE_HEADER.join(" | "),
            source.display()
        ),
    )
}

/// The key layout source file: the first of [`KEY_LAYOUT_FILES`] that exists.
fn key_layout_file() -> PathBuf {
    let root = repo_root();
    KEY_LAYOUT_FILES
        .iter()
        .map(|relative| root.join(relative))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the key layout source file is in none of its known places ({}, relative to {}); \
                 if it moved again, add its new path to KEY_LAYOUT_FILES in tests/tests/docs.rs",
                KEY_LAYOUT_FILES.join(", "),
                root.display()
            )
        })
}

/// The module doc (`//!` lines) of a Rust source file, as Markdown lines.
fn module_doc(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect()
}

fn describe(rows: &[&Vec<String>]) -> String {
    rows.iter()
        .map(|row| format!("\n    | {} |", row.join(" | ")))
        .collect::<Vec<_>>()
        .concat()
}

#[test]
fn the_key_table_in_the_docs_is_the_one_in_the_key_layout_source() {
    let source_path = key_layout_file();
    let source = read(&source_path);
    let in_code = key_table(&module_doc(&source), &source_path);
    let docs_path = repo_root().join("docs/table-design.md");
    let docs = read(&docs_path);
    let in_docs = key_table(&prose_lines(&docs), &docs_path);

    assert!(
        !in_code.is_empty(),
        "the key table in {} has no rows",
        source_path.display()
    );
    let only_in_code: Vec<_> = in_code.iter().filter(|r| !in_docs.contains(r)).collect();
    let only_in_docs: Vec<_> = in_docs.iter().filter(|r| !in_code.contains(r)).collect();
    assert!(
        only_in_code.is_empty() && only_in_docs.is_empty(),
        "docs/table-design.md and {} disagree on the keys.\nrows only in the code:{}\nrows only in the docs:{}",
        source_path.display(),
        describe(&only_in_code),
        describe(&only_in_docs),
    );
    assert_eq!(
        in_docs.len(),
        in_code.len(),
        "docs/table-design.md and {} list the same key rows but a row is repeated in one of them",
        source_path.display()
    );
    if let Some(at) = in_code
        .iter()
        .zip(&in_docs)
        .position(|(code, docs)| code != docs)
    {
        panic!(
            "docs/table-design.md has the same key rows as {} but in another order.\n\
             row {} in the code:{}\nrow {1} in the docs:{}",
            source_path.display(),
            at + 1,
            describe(&[&in_code[at]]),
            describe(&[&in_docs[at]]),
        );
    }
}

/// An environment variable's name: upper case, digits and underscores, with an inner underscore
/// (which tells `CLINIC_TABLE` apart from other string constants such as `"UTC"`).
fn looks_like_variable(name: &str) -> bool {
    let inner = name.trim_matches('_');
    inner.len() == name.len()
        && name.contains('_')
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The variable names the configuration declares (`pub const NAME: &str = "CLINIC_…";`), read from
/// `shared/src/config.rs` and everything under `shared/src/config/`.
fn declared_variables() -> BTreeMap<String, PathBuf> {
    let src = repo_root().join("shared/src");
    let mut files = Vec::new();
    if src.join("config.rs").is_file() {
        files.push(src.join("config.rs"));
    }
    rust_files(&src.join("config"), &mut files);
    assert!(
        !files.is_empty(),
        "no configuration source found (shared/src/config.rs or shared/src/config/*.rs)"
    );
    let mut names = BTreeMap::new();
    for file in files {
        for line in read(&file).lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("pub ").or_else(|| {
                line.strip_prefix("pub(crate) ")
                    .or_else(|| line.strip_prefix("pub(super) "))
            }) else {
                continue;
            };
            let Some((_, value)) = rest
                .strip_prefix("const ")
                .and_then(|decl| decl.split_once(": &str = \""))
            else {
                continue;
            };
            let Some(value) = value.strip_suffix("\";") else {
                continue;
            };
            if looks_like_variable(value) {
                names.insert(value.to_owned(), file.clone());
            }
        }
    }
    assert!(
        !names.is_empty(),
        "found no `pub const NAME: &str = \"CLINIC_…\";` declarations under shared/src/config*"
    );
    names
}

/// The backticked names in the first column of docs/configuration.md's variable table.
fn documented_variables() -> BTreeSet<String> {
    let docs = read(&repo_root().join("docs/configuration.md"));
    let rows = table_with_header(
        &prose_lines(&docs),
        &|h| h.first().is_some_and(|c| c == "variable"),
        "variable table (| variable | … |) in docs/configuration.md",
    );
    let mut names = BTreeSet::new();
    for row in rows {
        let first = row.first().cloned().unwrap_or_default();
        let spans: Vec<&str> = first.split('`').skip(1).step_by(2).collect();
        assert!(
            !spans.is_empty(),
            "a row of docs/configuration.md's variable table names no `VARIABLE`: {first:?}"
        );
        names.extend(
            spans
                .into_iter()
                .filter(|s| looks_like_variable(s))
                .map(str::to_owned),
        );
    }
    names
}

#[test]
fn the_configuration_doc_lists_exactly_the_variables_the_code_reads() {
    let declared = declared_variables();
    let documented = documented_variables();
    let undocumented: Vec<_> = declared
        .iter()
        .filter(|(name, _)| !documented.contains(*name))
        .map(|(name, file)| format!("{name} (declared in {})", file.display()))
        .collect();
    let unknown: Vec<_> = documented
        .iter()
        .filter(|name| !declared.contains_key(*name))
        .collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "docs/configuration.md's variable table and the configuration code disagree.\n\
         read by the code, not in the table: {undocumented:?}\n\
         in the table, not read by the code: {unknown:?}"
    );
}

#[test]
fn the_readme_is_an_entry_page_with_the_two_commands() {
    let readme = read(&repo_root().join("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines; an entry page keeps to {README_MAX_LINES}: move the detail into docs/"
    );
    for command in ["make demo", "make test"] {
        assert!(
            readme.contains(command),
            "README.md does not mention `{command}`"
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut found = BTreeSet::new();
    for line in prose_lines(markdown) {
        let Some(heading) = line
            .strip_prefix('#')
            .map(|h| h.trim_start_matches('#'))
            .and_then(|h| h.strip_prefix(' '))
        else {
            continue;
        };
        let base = anchor(heading);
        let count = seen.entry(base.clone()).or_insert(0);
        found.insert(if *count == 0 {
            base
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    found
}

/// The targets of the inline links `[text](target)` outside code blocks.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(markdown) {
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            rest = &rest[start + 2..];
            let Some(end) = rest.find(')') else {
                break;
            };
            targets.push(rest[..end].trim().to_owned());
            rest = &rest[end + 1..];
        }
    }
    targets
}

/// Problems with the relative links of one Markdown file: missing files, missing headings.
fn broken_links(file: &Path) -> Vec<String> {
    let text = read(file);
    let dir = file.parent().expect("a file has a folder");
    let mut broken = Vec::new();
    for target in link_targets(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, fragment) = match target.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (target.as_str(), None),
        };
        let linked = if path.is_empty() {
            file.to_path_buf()
        } else {
            dir.join(path)
        };
        if !linked.exists() {
            broken.push(format!("{}: ({target}): no such file", file.display()));
            continue;
        }
        if let Some(fragment) = fragment
            && linked.extension().is_some_and(|e| e == "md")
            && !anchors(&read(&linked)).contains(fragment)
        {
            broken.push(format!(
                "{}: ({target}): no heading with that anchor",
                file.display()
            ));
        }
    }
    broken
}

fn design_documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("docs"))
        .expect("docs/ exists")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs
}

#[test]
fn every_link_of_the_readme_and_the_docs_leads_somewhere() {
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    files.extend(design_documents());
    let broken: Vec<String> = files.iter().flat_map(|f| broken_links(f)).collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_links_every_design_document() {
    let readme = read(&repo_root().join("README.md"));
    let linked: BTreeSet<String> = link_targets(&readme)
        .into_iter()
        .map(|t| t.split('#').next().unwrap_or_default().to_owned())
        .collect();
    let unlinked: Vec<String> = design_documents()
        .iter()
        .filter_map(|path| {
            path.file_name()?
                .to_str()
                .map(|name| format!("docs/{name}"))
        })
        .filter(|doc| !linked.contains(doc))
        .collect();
    assert!(unlinked.is_empty(), "README.md links none of: {unlinked:?}");
}

/// `eval $(make -s stack-env)`, as README.md says: export lines for a running stack, and for none a
/// line that fails loudly when evaluated.
#[test]
fn make_stack_env_prints_what_the_cli_needs_for_a_running_stack() {
    let dir = std::env::temp_dir().join(format!("clinic-stack-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = || {
        std::process::Command::new("make")
            .args(["-s", "--no-print-directory", "stack-env"])
            .arg(format!("STACK_DIR={}", dir.display()))
            .current_dir(repo_root())
            .output()
            .expect("make runs")
    };
    let none = run();
    let said = String::from_utf8_lossy(&none.stdout).into_owned();
    assert!(
        said.contains("no local stack is running: make stack-up"),
        "{said}"
    );
    assert!(
        said.trim_end().ends_with("false"),
        "evaluating it fails: {said}"
    );

    // A "stack" that is this test process, on a made-up port.
    std::fs::write(dir.join("pid"), std::process::id().to_string()).unwrap();
    std::fs::write(dir.join("port"), "45678").unwrap();
    let running = run();
    let _ = std::fs::remove_dir_all(&dir);
    let exports = String::from_utf8_lossy(&running.stdout).into_owned();
    assert!(running.status.success());
    for variable in [
        "AWS_ENDPOINT_URL=http://127.0.0.1:45678",
        "AWS_REGION=",
        "AWS_ACCESS_KEY_ID=",
        "AWS_SECRET_ACCESS_KEY=",
        "CLINIC_TABLE=",
        "CLINIC_ROSTER=",
    ] {
        assert!(exports.contains(variable), "{variable} in {exports}");
    }
    assert!(
        exports.lines().all(|l| l.starts_with("export ")),
        "{exports}"
    );
}
