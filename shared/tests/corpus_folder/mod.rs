//! Where the maintenance corpus lives: a `shared/corpus/maintenance` folder beside one of the crate's
//! ancestor folders (the real repository keeps the crate at `<repo>/shared` and the corpus at
//! `<repo>/../shared/corpus/maintenance`), else the workplace default.

use std::path::{Path, PathBuf};

const FALLBACK: &str = "../shared/corpus/maintenance";

pub fn corpus_folder() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared").join("corpus").join("maintenance"))
        .find(|dir| dir.join("INDEX.tsv").is_file())
        .or_else(|| Some(PathBuf::from(FALLBACK)).filter(|dir| dir.join("INDEX.tsv").is_file()))
}

/// The corpus folder, or `None` after telling stderr why the calling test does nothing.
pub fn corpus_or_skip() -> Option<PathBuf> {
    let found = corpus_folder();
    if found.is_none() {
        eprintln!(
            "SKIPPED: corpus not found at {} (nor beside any ancestor of {})",
            FALLBACK,
            env!("CARGO_MANIFEST_DIR")
        );
    }
    found
}

/// The `.eml` files listed in the corpus INDEX.tsv, in index order.
pub fn indexed_mails(folder: &Path) -> Vec<PathBuf> {
    let index = std::fs::read_to_string(folder.join("INDEX.tsv")).unwrap_or_default();
    index
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|name| name.ends_with(".eml"))
        .map(|name| folder.join(name))
        .collect()
}
